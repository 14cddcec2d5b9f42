import type { Command } from "commander";
import { registerDiff } from "./diff";
import { registerGate } from "./gate";
import { registerRender } from "./render";
import { registerPlan } from "./plan";
import { registerSchema } from "./schema";
import { registerValidate } from "./validate";

/** Sets the exit code of the current command (commands never call process.exit themselves). */
export type SetExitCode = (code: number) => void;

/**
 * One line per command; later commands (`diff`, `render`, `plan`, `gate`) slot in here.
 * Each `register*` adds a subcommand with its own `--help`.
 */
export function registerCommands(program: Command, setExitCode: SetExitCode): void {
  registerValidate(program, setExitCode);
  registerSchema(program, setExitCode);
  registerDiff(program, setExitCode);
  registerGate(program, setExitCode);
  registerRender(program, setExitCode);
  registerPlan(program, setExitCode);
}
