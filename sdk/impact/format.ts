import type { Change, ImpactClass, ImpactSummary } from "./types";

/** KSail's JSON (`cluster diff --output json`): 2-space indent, trailing newline, KSail's key order. */
export function formatJson(s: ImpactSummary): string {
  const item = (c: Change) => ({ field: c.field, oldValue: c.oldValue, newValue: c.newValue, category: c.category, reason: c.reason });
  const ordered = {
    totalChanges: s.totalChanges,
    inPlaceChanges: s.inPlaceChanges.map(item),
    rebootRequired: s.rebootRequired.map(item),
    recreateRequired: s.recreateRequired.map(item),
    rollingRecreate: s.rollingRecreate.map(item),
    wipeRequired: s.wipeRequired.map(item),
    unknownBaseline: s.unknownBaseline.map(item),
    requiresConfirmation: s.requiresConfirmation,
  };
  return `${JSON.stringify(ordered, null, 2)}\n`;
}

export const ICONS: Readonly<Record<ImpactClass, string>> = {
  "recreate-required": "🔴",
  "rolling-recreate": "🟠",
  "reboot-required": "🟡",
  "in-place": "🟢",
};

/** Changes ordered for people: recreate → rolling → reboot → in-place (detection order within a class). */
export function orderedChanges(s: ImpactSummary): Change[] {
  return [...s.recreateRequired, ...s.rollingRecreate, ...s.rebootRequired, ...s.inPlaceChanges];
}

/**
 * The change table: one row per change with field, before, after, impact and reason, ordered
 * recreate → rolling → reboot → in-place. Empty values show as `-`.
 */
export function formatText(s: ImpactSummary, title = "🔍 Update impact"): string {
  const rows = orderedChanges(s);
  if (rows.length === 0) return `${title}\nNo changes detected\n`;
  const cell = (v: string) => (v === "" ? "-" : v);
  const table = [
    ["Field", "Before", "After", "Impact", "Reason"],
    ...rows.map((c) => [c.field, cell(c.oldValue), cell(c.newValue), c.category, c.reason]),
  ];
  const widths = [0, 1, 2, 3].map((i) => Math.max(...table.map((r) => [...r[i]].length)));
  const pad = (v: string, i: number) => (i < 4 ? v + " ".repeat(widths[i] - [...v].length) : v);
  const line = (r: string[]) => r.map(pad).join("  ").trimEnd();
  const n = rows.length;
  const out = [title, `Detected ${n} configuration change${n === 1 ? "" : "s"}:`, ""];
  out.push(`   ${line(table[0])}`);
  out.push(`   ${"─".repeat(widths.reduce((a, b) => a + b + 2, 0) + "Reason".length)}`);
  rows.forEach((c, i) => out.push(`${ICONS[c.category]} ${line(table[i + 1])}`));
  const heavy = s.requiresConfirmation ? "\nRequires confirmation: changes beyond in-place are present." : "";
  return `${out.join("\n")}\n${heavy ? `${heavy.trimStart()}\n` : ""}`;
}
