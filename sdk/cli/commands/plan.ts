import type { Command } from "commander";
import * as fs from "node:fs";
import { isKsailError, KsailError } from "../../errors";
import { COMPUTED, runProgramUnderMocks, SECRET, type MockRunResult, type PlannedResource } from "../mockrun";
import type { SetExitCode } from "./index";

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

/** Human-readable graph: one line per resource as a tree, then its dependencies and key inputs. */
export function formatPlan(r: MockRunResult): string {
  const depth = new Map<string, number>();
  const lines = [
    `Plan of ${r.project} (stack ${r.stack}) under the mock runtime: ${r.resources.length} resources would be created (${r.preview ? "preview of a new stack" : "up"}).`,
    `Secrets show as ${SECRET}; values known only after apply as ${COMPUTED}.`,
    "",
  ];
  for (const res of r.resources) {
    const d = res.parent !== undefined ? (depth.get(res.parent) ?? 0) + 1 : 0;
    depth.set(res.name, d);
    const pad = "  ".repeat(d);
    lines.push(`${pad}+ ${res.name}  (${res.type})${res.protect ? "  [protected]" : ""}`);
    const deps = res.dependencies.filter((x) => x !== res.parent);
    if (deps.length > 0) lines.push(`${pad}    after: ${deps.join(", ")}`);
    const keys = keyInputs(res);
    if (keys.length > 0) lines.push(`${pad}    ${keys.join("  ")}`);
  }
  const outs = Object.keys(r.outputs);
  if (outs.length > 0) lines.push("", `Stack outputs: ${outs.map((k) => (r.outputs[k] === SECRET ? `${k} ${SECRET}` : k)).join(", ")}`);
  return `${lines.join("\n")}\n`;
}

const MAX_KEYS = 6;
const MAX_LEN = 60;

/** The plain, short top-level inputs of a resource (`key=value`), secrets redacted. */
function keyInputs(res: PlannedResource): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(res.inputs)) {
    if (out.length >= MAX_KEYS) break;
    if (k.startsWith("__") || v === undefined || v === null) continue;
    if (typeof v === "object") continue;
    const s = String(v).replace(/\s+/g, " ");
    out.push(`${k}=${s.length > MAX_LEN ? `${s.slice(0, MAX_LEN)}…` : s}`);
  }
  return out;
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
