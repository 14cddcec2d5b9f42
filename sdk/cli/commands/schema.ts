import type { Command } from "commander";
import type { SetExitCode } from "./exitCode";

/** `ksail-pulumi schema`: the JSON Schema of ksail.yaml, generated from the zod model, on stdout. */
export function registerSchema(program: Command, setExitCode: SetExitCode): void {
  program
    .command("schema")
    .description("Print the JSON Schema of ksail.yaml (as accepted by @ksail/pulumi), generated from the zod model.")
    .action(async () => {
      const { clusterJsonSchema } = await import("../../config");
      process.stdout.write(`${JSON.stringify(clusterJsonSchema(), null, 2)}\n`);
      setExitCode(0);
    });
}
