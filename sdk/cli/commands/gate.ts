import * as fs from "node:fs";
import { Option, type Command } from "commander";
import { KsailError } from "../../errors";
import { formatJson, formatText } from "../../impact";
import { parseAllow, previewImpact, readPreview, violations, type PreviewImpact, type Violation } from "../preview";
import type { ImpactClass } from "../../impact/types";
import type { SetExitCode } from "./index";

/** The gate's JSON: per cluster KSail's `cluster diff --output json` shape, then the verdict. */
export function gateJson(p: PreviewImpact, allowed: readonly ImpactClass[], v: readonly Violation[]): string {
  const doc = {
    clusters: p.clusters.map((c) => ({
      name: c.name,
      urn: c.urn,
      op: c.op,
      source: c.source,
      impact: JSON.parse(formatJson(c.impact)) as unknown,
      replacements: c.replacements,
    })),
    otherReplacements: p.otherReplacements,
    allowed,
    violations: v,
    pass: v.length === 0,
  };
  return `${JSON.stringify(doc, null, 2)}\n`;
}

/** People's view: one change table per cluster, then the verdict. */
export function gateText(p: PreviewImpact, allowed: readonly ImpactClass[], v: readonly Violation[]): string {
  const out: string[] = [];
  if (p.clusters.length === 0) out.push("No KSail cluster (ksail ClusterSpec step) in this preview.");
  for (const c of p.clusters) out.push(formatText(c.impact, `🔍 Update impact of cluster ${c.name} (${c.op})`).trimEnd());
  for (const r of p.otherReplacements) out.push(`note: ${r.name} (${r.type}) is replaced outside any KSail cluster; not classified`);
  out.push(
    v.length === 0
      ? `gate: pass (allowed: ${allowed.join(", ")})`
      : `gate: FAIL — ${v.length} change(s) of a class not allowed (allowed: ${allowed.join(", ")}):\n${v.map((x) => `  ${x.cluster}: ${x.field} is ${x.category}`).join("\n")}`,
  );
  return `${out.join("\n\n")}\n`;
}

/**
 * `ksail-pulumi gate PREVIEW_JSON [--allow recreate,rolling,reboot] [--output json|text]`: reads
 * `pulumi preview --json` (a file, or `-` for stdin), extracts the impact of every KSail cluster and applies
 * the policy. In-place changes are always allowed. Exit 0 pass, 1 unreadable input, 2 a class not allowed.
 */
export function registerGate(program: Command, setExitCode: SetExitCode): void {
  program
    .command("gate")
    .description(
      "Read `pulumi preview --json` output and report the update impact of every KSail cluster in it (KSail's JSON shape). " +
        "Exit 0 when only allowed classes appear, 2 when a class not allowed appears, 1 for unreadable input. In-place is always allowed.",
    )
    .argument("<preview>", "file holding `pulumi preview --json` output, or - for stdin")
    .option("-a, --allow <classes>", "comma-separated classes to allow besides in-place: reboot, rolling, recreate", "")
    .addOption(new Option("-o, --output <format>", "output format").choices(["json", "text"]).default("json"))
    .action((file: string, opts: { allow: string; output: "json" | "text" }) => {
      const allowed = parseAllow(opts.allow);
      let text: string;
      try {
        text = fs.readFileSync(file === "-" ? 0 : file, "utf8");
      } catch (e) {
        throw new KsailError([
          {
            path: file,
            message: `cannot be read (${(e as NodeJS.ErrnoException).code ?? String(e)}); pass the file \`pulumi preview --json > preview.json\` wrote`,
          },
        ]);
      }
      const impact = previewImpact(readPreview(text, file));
      const v = violations(impact, allowed);
      process.stdout.write(opts.output === "json" ? gateJson(impact, allowed, v) : gateText(impact, allowed, v));
      if (opts.output === "json" && v.length > 0) {
        process.stderr.write(`gate: ${v.length} change(s) of a class not allowed: ${[...new Set(v.map((x) => x.category))].join(", ")}\n`);
      }
      setExitCode(v.length > 0 ? 2 : 0);
    });
}
