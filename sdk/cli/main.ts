import { Command, CommanderError } from "commander";
import { isKsailError } from "../errors";
import { registerCommands } from "./commands";

/**
 * `ksail-pulumi`: the offline work a CI gate needs. Each command lives in `commands/<name>.ts` and is
 * registered in `commands/index.ts`. Returns the process exit code; user errors print without a stack.
 */
export async function main(argv: string[]): Promise<number> {
  const program = new Command("ksail-pulumi")
    .description("Offline companion of @ksail/pulumi: validate, diff, render, plan and gate KSail clusters.")
    .exitOverride()
    .configureOutput({ writeOut: (s) => process.stdout.write(s), writeErr: (s) => process.stderr.write(s) })
    .showHelpAfterError(false);
  let exitCode = 0;
  registerCommands(program, (code) => {
    exitCode = code;
  });
  try {
    await program.parseAsync(argv, { from: "user" });
    return exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version exit with 0; usage errors with 1 (commander already printed the message).
      return err.exitCode === 0 ? 0 : 1;
    }
    if (isKsailError(err)) {
      process.stderr.write(`${err.message}\n`);
      return 1;
    }
    throw err;
  }
}
