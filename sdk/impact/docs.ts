import { IMPACT_TABLE, reasonOf } from "./table";
import { NEVER_COMPARED } from "./neverCompared";
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
    "| 🟠 rolling-recreate | nodes replaced one at a time |",
    "| 🔴 recreate-required | the cluster is deleted and created again |",
    "",
    `| Field | ${COMBOS.join(" | ")} | Reason |`,
    `|---|${COMBOS.map(() => "---|").join("")}---|`,
  ];
  for (const rule of IMPACT_TABLE) {
    const byReason = new Map<string, string[]>();
    for (const c of COMBOS.filter((x) => rule.cells[x] !== "n/a"))
      byReason.set(reasonOf(rule, c), [...(byReason.get(reasonOf(rule, c)) ?? []), c]);
    const reason =
      byReason.size === 1 ? [...byReason.keys()][0] : [...byReason].map(([text, combos]) => `${combos.join(", ")}: ${text}`).join("; ");
    const note = rule.note ? ` (${rule.note})` : "";
    out.push(`| \`${rule.field}\` | ${COMBOS.map((c) => LABEL[rule.cells[c]]).join(" | ")} | ${esc(reason + note)} |`);
  }
  out.push(
    "",
    "## Talos machine-config patches",
    "",
    "`ksail-pulumi diff` also compares the Talos patches under `distributionConfig` (`cluster/`, `control-planes/`,",
    "`workers/`): one row per role, `cluster.talos.patches.controlPlanes` / `cluster.talos.patches.workers`, classified",
    "by the Talos machine-config classifier (live → 🟢 in-place, reboot → 🟡 reboot-required, immutable → 🔴",
    "recreate-required; a patch that cannot be evaluated offline counts as reboot-required). In a Pulumi program the",
    "per-node `TalosMachine` resources classify the rendered configs themselves.",
  );
  out.push("", "## Never compared", "", "| Field | Why |", "|---|---|");
  for (const [field, why] of Object.entries(NEVER_COMPARED)) out.push(`| \`${field}\` | ${esc(why)} |`);
  out.push("");
  return out.join("\n");
}

/** Words for a class in JSDoc impact lines (the first sentence that says what a change does). */
const IMPACT_WORDS: Readonly<Record<ImpactCell, string>> = {
  "in-place": "Applied in place",
  "reboot-required": "Nodes reboot",
  "rolling-recreate": "Nodes are replaced one at a time",
  "recreate-required": "Recreates the cluster",
  "n/a": "Not applicable",
};

/**
 * The JSDoc impact line of a table field, e.g. `impactLine("cluster.cni")` → "Applied in place",
 * `impactLine("cluster.workers")` → "Recreates the cluster on Vanilla/Docker; applied in place on K3s/Docker,
 * Talos/Docker, Talos/Hetzner". Undefined for fields the table does not hold.
 */
export function impactLine(field: string): string | undefined {
  const rule = IMPACT_TABLE.find((r) => r.field === field);
  if (!rule) return undefined;
  const byClass = new Map<ImpactCell, string[]>();
  for (const c of COMBOS) if (rule.cells[c] !== "n/a") byClass.set(rule.cells[c], [...(byClass.get(rule.cells[c]) ?? []), c]);
  if (byClass.size === 1) return IMPACT_WORDS[[...byClass.keys()][0]];
  const parts = [...byClass].map(([cls, combos], i) => {
    const words = IMPACT_WORDS[cls];
    return `${i === 0 ? words : words.charAt(0).toLowerCase() + words.slice(1)} on ${combos.join(", ")}`;
  });
  return parts.join("; ");
}
