import { Option, type Command } from "commander";
import type { Issue } from "../../errors";
import type { SetExitCode } from "./exitCode";

interface FileReport {
  file: string;
  valid: boolean;
  /** "Talos on Hetzner, 3 control planes, 3 workers" for valid files. */
  summary?: string;
  issues: Issue[];
  warnings: Issue[];
}

const line = (file: string, i: Issue): string => (i.path ? `${file}: ${i.path}: ${i.message}` : `${file}: ${i.message}`);

/** `ksail-pulumi validate FILE...`: exit 0 when every file is valid, else 1 with every problem listed. */
export function registerValidate(program: Command, setExitCode: SetExitCode): void {
  program
    .command("validate")
    .description(
      "Validate ksail.yaml files (schema, cross-field rules, the kind.yaml / k3d.yaml / Talos patches they point to, and every check of the plan). " +
        "Prints every problem as FILE: path: message; exit 0 when all files are valid, 1 otherwise.",
    )
    .argument("<file...>", "ksail.yaml files to validate")
    .addOption(new Option("-o, --output <format>", "output format").choices(["text", "json"]).default("text"))
    .option("-q, --quiet", "print problems only (no warnings, no summary lines)", false)
    .option("--allow-paths-outside", "let the ksail.yaml name files outside its directory (or symbolic links out of it)", false)
    .action(async (files: string[], opts: { output: "text" | "json"; quiet: boolean; allowPathsOutside: boolean }) => {
      // Loaded here, not at the top: the CLI loads only what the command it runs needs.
      const { validateClusterConfigFile } = await import("../../config");
      const { planIssues } = await import("../../plan/check");
      const reports = files.map((file): FileReport => {
        const r = validateClusterConfigFile(file, { allowPathsOutside: opts.allowPathsOutside });
        // The plan's checks too, so a file is valid exactly when render, plan and KSailCluster accept it.
        const planned = r.ok && r.config ? planIssues(r.config).issues : [];
        if (planned.length > 0) return { file, valid: false, issues: planned, warnings: r.warnings };
        const c = r.config?.spec.cluster;
        const summary = c
          ? `${c.distribution} on ${c.provider}, ${c.controlPlanes} control plane${c.controlPlanes === 1 ? "" : "s"}, ${c.workers} worker${c.workers === 1 ? "" : "s"}`
          : undefined;
        return { file, valid: r.ok, summary, issues: r.issues, warnings: r.warnings };
      });
      const valid = reports.every((r) => r.valid);
      if (opts.output === "json") {
        process.stdout.write(`${JSON.stringify({ valid, files: reports }, null, 2)}\n`);
      } else {
        for (const r of reports) {
          if (!opts.quiet) for (const w of r.warnings) process.stderr.write(`warning: ${line(r.file, w)}\n`);
          for (const i of r.issues) process.stdout.write(`${line(r.file, i)}\n`);
          if (r.valid && !opts.quiet) process.stdout.write(`${r.file}: valid (${r.summary ?? ""})\n`);
        }
      }
      setExitCode(valid ? 0 : 1);
    });
}
