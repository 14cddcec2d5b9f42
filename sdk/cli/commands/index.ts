import type { Command } from "commander";
import type { SetExitCode } from "./exitCode";
import { registerDiff } from "./diff";
import { registerGate } from "./gate";
import { registerRender } from "./render";
import { registerPlan } from "./plan";
import { registerSchema } from "./schema";
import { registerValidate } from "./validate";
import { registerCipher } from "./cipher";
import { registerWorkload } from "./workload";

/** Sets the exit code of the current command (commands never call process.exit themselves). */

/**
 * One line per command. Each `register*` adds a subcommand with its own `--help` and imports only commander
 * and types at the top: what a command needs (the config model, the impact engine, the renderer, the Pulumi
 * runtime) is imported inside its action, so `validate` never loads @pulumi/pulumi, gRPC or X.509
 * (test/cli/startup.test.ts holds each command to its list of modules).
 */
export function registerCommands(program: Command, setExitCode: SetExitCode): void {
  registerValidate(program, setExitCode);
  registerSchema(program, setExitCode);
  registerDiff(program, setExitCode);
  registerGate(program, setExitCode);
  registerRender(program, setExitCode);
  registerPlan(program, setExitCode);
  registerCipher(program, setExitCode);
  registerWorkload(program, setExitCode);
}
