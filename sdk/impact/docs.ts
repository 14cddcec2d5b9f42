import { IMPACT_TABLE, NEVER_COMPARED, reasonOf } from "./table";
import { COMBOS, type ImpactCell } from "./types";

const LABEL: Readonly<Record<ImpactCell, string>> = {
  "in-place": "🟢 in-place",
  "reboot-required": "🟡 reboot-required",
  "rolling-recreate": "🟠 rolling-recreate",
  "recreate-required": "🔴 recreate-required",
  "n/a": "–",
};

const esc = (s: string) => s.replace(/\|/g, "\\|");

/**
 * docs/impact.md, generated from the impact table (a test fails when the committed file is stale;
 * regenerate with `npm run build && node -e 'process.stdout.write(require("./dist/sdk/impact").renderImpactMarkdown())' > docs/impact.md`).
 */
export function renderImpactMarkdown(): string {
  const out: string[] = [
    "# Update-impact classes",
    "",
    "<!-- Generated from sdk/impact/table.ts by renderImpactMarkdown(); do not edit by hand. -->",
    "",
    "What a change to each `ksail.yaml` field does to a live cluster, per distribution × provider.",
    "`pulumi preview` shows it on the `ClusterSpec` resource (`[diff: ~rebootRequired]`, `+- replace` for",
    "recreate-required) and prints the change table; `ksail-pulumi diff OLD NEW` prints the same result.",
    "Values are compared after resolving `Default` (e.g. Vanilla `metricsServer: Default` is `Disabled`);",
    "registry passwords are redacted (`user:****@host`).",
    "",
    "| Class | Meaning |",
    "|---|---|",
    "| 🟢 in-place | applied without touching a node (Helm upgrade, config applied without reboot, node added or removed) |",
    "| 🟡 reboot-required | applied node by node with a reboot (or, on Hetzner, a power-off resize) |",
    "| 🟠 rolling-recreate | nodes replaced one at a time (no field maps to it in the current table) |",
    "| 🔴 recreate-required | the cluster is deleted and created again |",
    "",
    `| Field | ${COMBOS.join(" | ")} | Reason |`,
    `|---|${COMBOS.map(() => "---|").join("")}---|`,
  ];
  for (const rule of IMPACT_TABLE) {
    const byReason = new Map<string, string[]>();
    for (const c of COMBOS.filter((x) => rule.cells[x] !== "n/a")) byReason.set(reasonOf(rule, c), [...(byReason.get(reasonOf(rule, c)) ?? []), c]);
    const reason =
      byReason.size === 1 ? [...byReason.keys()][0] : [...byReason].map(([text, combos]) => `${combos.join(", ")}: ${text}`).join("; ");
    const note = rule.note ? ` (${rule.note})` : "";
    out.push(`| \`${rule.field}\` | ${COMBOS.map((c) => LABEL[rule.cells[c]]).join(" | ")} | ${esc(reason + note)} |`);
  }
  out.push("", "## Never compared", "", "| Field | Why |", "|---|---|");
  for (const [field, why] of Object.entries(NEVER_COMPARED)) out.push(`| \`${field}\` | ${esc(why)} |`);
  out.push("");
  return out.join("\n");
}
