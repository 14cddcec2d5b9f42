import { formatJson, formatText } from "../impact";
import type { ImpactClass } from "../impact/types";
import type { PreviewImpact, Violation } from "./preview";

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
