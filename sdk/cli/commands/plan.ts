import type { Command } from "commander";
import * as fs from "node:fs";
import { isKsailError, KsailError } from "../../errors";
import type { MockRunResult } from "../mockrun";
import type { SetExitCode } from "./exitCode";

/**
 * `ksail-pulumi plan DIR [--stack NAME] [--json] [--stack-outputs FILE]`: runs the Pulumi program in DIR under the mock
 * runtime with the stack's config and prints the resource graph — type, name, parent, dependencies and key
 * inputs (secrets redacted). The offline "what would be created" for CI and machines without the Pulumi CLI.
 * Exit 0, or 1 when the program fails (the error on stderr).
 */
export function registerPlan(program: Command, setExitCode: SetExitCode): void {
  program
    .command("plan")
    .description(
      "Run the Pulumi program in DIR under the mock runtime (stack config from Pulumi.<stack>.yaml) and print the " +
        "resource graph: type, name, parent, dependencies, key inputs with secrets redacted. Nothing is created.",
    )
    .argument("<dir>", "directory of a Pulumi program (holds Pulumi.yaml)")
    .option("-s, --stack <name>", "stack whose Pulumi.<stack>.yaml config to use (default: dev, else the first stack file)")
    .option("--json", "print the graph as JSON (machines)", false)
    .option("--stack-outputs <file>", 'JSON file {"<stack>": {<output>: value}} answering the program\'s StackReferences')
    .action(async (dir: string, opts: { stack?: string; json: boolean; stackOutputs?: string }) => {
      // Loaded here, not at the top: the CLI loads only what the command it runs needs.
      const { formatPlan, runProgramUnderMocks } = await import("../mockrun");
      let result: MockRunResult;
      try {
        const stackOutputs = opts.stackOutputs ? readStackOutputs(opts.stackOutputs) : undefined;
        result = await runProgramUnderMocks({ dir, stack: opts.stack, stackOutputs });
      } catch (e) {
        if (isKsailError(e)) throw e;
        process.stderr.write(`plan: the program in ${dir} failed under the mock runtime: ${e instanceof Error ? e.message : String(e)}\n`);
        setExitCode(1);
        return;
      }
      process.stdout.write(opts.json ? `${JSON.stringify(result, null, 2)}\n` : formatPlan(result));
      setExitCode(0);
    });
}

function readStackOutputs(file: string): Record<string, Record<string, unknown>> {
  let v: unknown;
  try {
    v = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (e) {
    throw new KsailError([
      {
        path: "--stack-outputs",
        message: `cannot read ${file} as JSON (${(e as Error).message}); expected {"<stack>": {"<output>": value}}`,
      },
    ]);
  }
  if (v === null || typeof v !== "object" || Array.isArray(v)) {
    throw new KsailError([{ path: "--stack-outputs", message: `${file} must hold an object {"<stack>": {"<output>": value}}` }]);
  }
  return v as Record<string, Record<string, unknown>>;
}
