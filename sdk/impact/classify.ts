import { KsailError } from "../errors";
import { UNKNOWN } from "./unknown";
import { IMPACT_TABLE, reasonOf } from "./table";
import type { ImpactRule } from "./rule";
import { COMBOS, IMPACT_CLASSES, type Change, type Combo, type ImpactClass, type ImpactSummary } from "./types";
import { display, getPath, stableJson, UNKNOWN_DISPLAY, type SpecLike } from "./values";

/**
 * The classifier: compares the last-applied spec with the desired one, field by field as the impact table
 * says, and returns KSail's result shape. Pure; both specs are exact (Pulumi state is the baseline), so
 * there is no "unknown baseline" — only preview unknowns in the desired spec, which count as "may change"
 * in their field's class.
 */

/** The table column for a spec; distribution and provider default to Vanilla and Docker as in KSail. */
export function comboOf(spec: SpecLike): Combo {
  const d = getPath(spec, "cluster.distribution");
  const p = getPath(spec, "cluster.provider");
  if (d === UNKNOWN || p === UNKNOWN) {
    throw new KsailError([
      { path: "spec.cluster.distribution", message: "distribution and provider must be known during preview (plain values, not outputs)" },
    ]);
  }
  const combo = `${d === undefined || d === "" ? "Vanilla" : String(d)}/${p === undefined || p === "" ? "Docker" : String(p)}`;
  if (!(COMBOS as readonly string[]).includes(combo)) {
    throw new KsailError([
      {
        path: "spec.cluster.provider",
        message: `distribution × provider "${combo}" is not supported by @ksail/pulumi; supported: ${COMBOS.join(", ")}. Change spec.cluster.distribution or spec.cluster.provider.`,
      },
    ]);
  }
  return combo as Combo;
}

/** An empty result in KSail's key order. */
export function emptySummary(): ImpactSummary {
  return {
    totalChanges: 0,
    inPlaceChanges: [],
    rebootRequired: [],
    recreateRequired: [],
    rollingRecreate: [],
    wipeRequired: [],
    unknownBaseline: [],
    requiresConfirmation: false,
  };
}

/** Builds the summary from changes in detection order (lists keep that order, as KSail does). */
export function summarize(changes: readonly Change[]): ImpactSummary {
  const s = emptySummary();
  for (const c of changes) {
    if (c.category === "in-place") s.inPlaceChanges.push(c);
    else if (c.category === "reboot-required") s.rebootRequired.push(c);
    else if (c.category === "rolling-recreate") s.rollingRecreate.push(c);
    else s.recreateRequired.push(c);
  }
  s.totalChanges = changes.length;
  s.requiresConfirmation = changes.some((c) => c.category !== "in-place");
  return s;
}

/** Rank of a class, mildest first. */
function severity(c: ImpactClass): number {
  return IMPACT_CLASSES.indexOf(c);
}

function change(field: string, o: string, n: string, category: ImpactClass, reason: string): Change {
  const unknown = o === UNKNOWN || n === UNKNOWN;
  return {
    field,
    oldValue: display(o),
    newValue: display(n),
    category,
    reason: unknown ? `may change (value unknown until apply): ${reason}` : reason,
  };
}

interface Pool {
  name: string;
  serverType?: unknown;
  location?: unknown;
  min?: unknown;
  max?: unknown;
  labels?: Record<string, unknown>;
  taints?: { key?: unknown; value?: unknown; effect?: unknown }[];
}

/** Pools by name; the first occurrence of a duplicate name wins (KSail). */
function poolsByName(spec: SpecLike): Map<string, Pool> | typeof UNKNOWN {
  const v = getPath(spec, "cluster.autoscaler.node.pools");
  if (v === UNKNOWN) return UNKNOWN;
  const out = new Map<string, Pool>();
  if (!Array.isArray(v)) return out;
  for (const p of v as Pool[]) {
    if (p === null || typeof p !== "object") continue;
    if (stableJson(p).includes(UNKNOWN)) return UNKNOWN;
    if (!out.has(String(p.name))) out.set(String(p.name), p);
  }
  return out;
}

/** Sub-fields of a pool as compared strings, in KSail's order. */
export function poolValues(p: Pool): [string, string][] {
  const labels = Object.entries(p.labels ?? {})
    .map(([k, v]) => `${k}=${String(v)}`)
    .sort()
    .join(",");
  const taints = (p.taints ?? [])
    .map((t) => `${String(t.key)}=${t.value === undefined ? "" : String(t.value)}:${String(t.effect)}`)
    .sort()
    .join(",");
  const s = (v: unknown, def = "") => (v === undefined || v === null ? def : String(v));
  return [
    ["serverType", s(p.serverType)],
    ["location", s(p.location)],
    ["min", s(p.min, "0")],
    ["max", s(p.max, "0")],
    ["labels", labels],
    ["taints", taints],
  ];
}

function poolChanges(rule: ImpactRule, old: SpecLike, next: SpecLike, combo: Combo): Change[] {
  const category = rule.cells[combo] as ImpactClass;
  const reason = reasonOf(rule, combo);
  const a = poolsByName(old);
  const b = poolsByName(next);
  if (a === UNKNOWN || b === UNKNOWN) {
    if (a === b) return [];
    return [change(rule.field, a === UNKNOWN ? UNKNOWN : stableJson([...a.values()]), UNKNOWN, category, reason)];
  }
  const out: Change[] = [];
  const sorted = (m: Map<string, Pool>) => [...m.keys()].sort();
  for (const name of sorted(b))
    if (!a.has(name)) out.push(change(`${rule.field}[${name}]`, "", "Added", category, `node pool ${name} added; ${reason}`));
  for (const name of sorted(a))
    if (!b.has(name)) out.push(change(`${rule.field}[${name}]`, "Removed", "", category, `node pool ${name} removed; ${reason}`));
  for (const name of sorted(b)) {
    const pa = a.get(name);
    if (!pa) continue;
    const ov = poolValues(pa);
    const nv = poolValues(b.get(name) as Pool);
    ov.forEach(([key, o], i) => {
      const n = nv[i][1];
      if (o === n) return;
      const why =
        key === "labels" || key === "taints"
          ? `pool ${name} ${key} change; existing autoscaler nodes are recycled by the autoscaler, not by the cluster update`
          : `pool ${name} ${key} can be updated in place; ${reason}`;
      out.push(change(`${rule.field}[${name}].${key}`, o, n, category, why));
    });
  }
  return out;
}

/** Every change between two specs, in table order. Distribution and provider rules follow `next`. */
export function diffSpecs(old: SpecLike, next: SpecLike): Change[] {
  const combo = comboOf(next);
  const out: Change[] = [];
  for (const rule of IMPACT_TABLE) {
    const cell = rule.cells[combo];
    if (cell === "n/a") continue;
    if (rule.active && !rule.active(old) && !rule.active(next)) continue;
    if (rule.pools) {
      out.push(...poolChanges(rule, old, next, combo));
      continue;
    }
    const o = rule.value(old, combo);
    const n = rule.value(next, combo);
    if (o === n && o !== UNKNOWN) continue;
    const refined = rule.refine?.(old, next, combo);
    let category: ImpactClass = refined?.category ?? cell;
    let reason = refined?.reason ?? reasonOf(rule, combo);
    const nodeCell = rule.node?.cells[combo];
    if (rule.node && nodeCell && nodeCell !== "n/a" && severity(nodeCell) > severity(category)) {
      const no = rule.node.value(old, combo);
      const nn = rule.node.value(next, combo);
      if (no !== nn || no === UNKNOWN) {
        category = nodeCell;
        reason = reasonOf({ reason: rule.node.reason }, combo);
      }
    }
    out.push(change(rule.field, o, n, category, reason));
  }
  return out;
}

/**
 * `classify(old, next)`: KSail's JSON result between the last-applied and the desired spec.
 * Throws `KsailError` for a distribution × provider this package does not build.
 */
export function classify(old: SpecLike, next: SpecLike): ImpactSummary {
  return summarize(withoutMootChanges(diffSpecs(old, next)));
}

/**
 * The changes that still mean something: beside a change that recreates the cluster, the rows that would reboot or
 * replace nodes one at a time are dropped (the new cluster is built with those values anyway); in-place rows stay
 * (they are installed on the new cluster as configured).
 */
export function withoutMootChanges(changes: readonly Change[]): Change[] {
  if (!changes.some((c) => c.category === "recreate-required")) return [...changes];
  return changes.filter((c) => c.category !== "reboot-required" && c.category !== "rolling-recreate");
}

export { UNKNOWN_DISPLAY };
