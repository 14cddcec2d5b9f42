/**
 * Update-impact classes and the result shapes shared by the classifier, the `diff` command and the
 * `ClusterSpec` dynamic resource. JSON shapes and key order follow KSail's `cluster diff --output json`.
 */
import { SUPPORTED_COMBINATIONS, type SupportedCombination } from "../config/support";

/**
 * How a change reaches a live cluster: applied in place, nodes reboot (one at a time), nodes are replaced one
 * at a time, or the whole cluster is recreated (docs/impact.md).
 */
export type ImpactClass = "in-place" | "reboot-required" | "rolling-recreate" | "recreate-required";

/** Every class, mildest first. */
export const IMPACT_CLASSES: readonly ImpactClass[] = ["in-place", "reboot-required", "rolling-recreate", "recreate-required"];

/** A table cell: a class, or "n/a" when the field means nothing for that distribution × provider. */
export type ImpactCell = ImpactClass | "n/a";

/** The distribution × provider combinations this package builds (the table's columns), as `Distribution/Provider`. */
export type Combo = SupportedCombination extends infer C
  ? C extends { readonly distribution: infer D extends string; readonly provider: infer P extends string }
    ? `${D}/${P}`
    : never
  : never;
export const COMBOS: readonly Combo[] = SUPPORTED_COMBINATIONS.map((c) => `${c.distribution}/${c.provider}` as Combo);

/** One detected change, as KSail prints it (`field` uses KSail's names, values are display strings). */
export interface Change {
  readonly field: string;
  readonly oldValue: string;
  readonly newValue: string;
  readonly category: ImpactClass;
  readonly reason: string;
}

/**
 * KSail's JSON result (`cluster diff --output json`), keys in KSail's order. `wipeRequired` and
 * `unknownBaseline` are always empty here: Pulumi state is the exact baseline, and partition wipes are
 * decided by the Talos machine-config classifier at apply time.
 */
export interface ImpactSummary {
  totalChanges: number;
  inPlaceChanges: Change[];
  rebootRequired: Change[];
  recreateRequired: Change[];
  rollingRecreate: Change[];
  wipeRequired: Change[];
  unknownBaseline: Change[];
  requiresConfirmation: boolean;
}

/** The names of the `ClusterSpec` input groups, one per class (they show in `[diff: ~rebootRequired]`). */
export type GroupKey = "inPlace" | "rebootRequired" | "rollingRecreate" | "recreateRequired";
export const GROUP_OF: Readonly<Record<ImpactClass, GroupKey>> = {
  "in-place": "inPlace",
  "reboot-required": "rebootRequired",
  "rolling-recreate": "rollingRecreate",
  "recreate-required": "recreateRequired",
};
export const GROUP_KEYS: readonly GroupKey[] = ["inPlace", "rebootRequired", "rollingRecreate", "recreateRequired"];
