import * as crypto from "node:crypto";
import { comboOf } from "./classify";
import { IMPACT_TABLE } from "./table";
import { GROUP_KEYS, GROUP_OF, type GroupKey } from "./types";
import { redactRegistry } from "../config/registry";
import { getPath, type SpecLike } from "./values";

/**
 * `recreateTrigger(spec)`: a stable hash (sha256, hex) of the recreate-class values for the spec's
 * distribution × provider. Infrastructure resources put it in their `replacementTrigger` option, so a
 * recreate-class change replaces all of them in the same preview, while any other change leaves it equal.
 */
export function recreateTrigger(spec: SpecLike): string {
  const combo = comboOf(spec);
  const parts: [string, string][] = [];
  for (const rule of IMPACT_TABLE) {
    if (rule.cells[combo] === "recreate-required") parts.push([rule.field, rule.value(spec, combo)]);
    else if (rule.node?.cells[combo] === "recreate-required") parts.push([`${rule.field}#node`, rule.node.value(spec, combo)]);
  }
  return crypto
    .createHash("sha256")
    .update(JSON.stringify([combo, parts]))
    .digest("hex");
}

export type Groups = Record<GroupKey, Record<string, string>>;

/**
 * The spec's compared values grouped by class (`inPlace`, `rebootRequired`, `rollingRecreate`,
 * `recreateRequired`) for its distribution × provider: the `ClusterSpec` resource's inputs, so that a
 * preview shows `[diff: ~rebootRequired]`. A refined row (server types) sits in the class it has when
 * nothing else changes; the exact class of a change comes from `classify`.
 */
export function groupByClass(spec: SpecLike): Groups {
  const combo = comboOf(spec);
  const groups: Groups = { inPlace: {}, rebootRequired: {}, rollingRecreate: {}, recreateRequired: {} };
  for (const rule of IMPACT_TABLE) {
    const cell = rule.cells[combo];
    if (cell === "n/a") continue;
    const cls = rule.refine?.(spec, spec, combo)?.category ?? cell;
    groups[GROUP_OF[cls]][rule.field] = rule.value(spec, combo);
    const nodeCell = rule.node?.cells[combo];
    if (rule.node && nodeCell && nodeCell !== "n/a" && nodeCell !== "in-place" && nodeCell !== cls) {
      groups[GROUP_OF[nodeCell]][`${rule.field}#node`] = rule.node.value(spec, combo);
    }
  }
  for (const k of GROUP_KEYS) groups[k] = Object.fromEntries(Object.entries(groups[k]).sort(([a], [b]) => a.localeCompare(b)));
  return groups;
}

/** A deep copy of the spec with the registry password redacted (what the `ClusterSpec` record stores). */
export function redactSpec<T>(spec: T): T {
  const copy = JSON.parse(JSON.stringify(spec ?? {})) as T;
  const reg = getPath(copy, "cluster.localRegistry.registry");
  if (typeof reg === "string") {
    (getPath(copy, "cluster.localRegistry") as Record<string, unknown>).registry = redactRegistry(reg);
  }
  return copy;
}
