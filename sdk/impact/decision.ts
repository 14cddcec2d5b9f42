import { GROUP_OF, type ImpactSummary } from "./types";

/**
 * What a dynamic provider's `diff` returns to the Pulumi engine: `changes` (false = a "same" step), the input
 * keys whose change `replaces` the resource, and whether to delete before creating the replacement.
 */
export interface EngineDiff {
  changes: boolean;
  replaces?: string[];
  deleteBeforeReplace?: boolean;
}

/**
 * The engine decision for a classified change: nothing → no change (a "same" step);
 * in-place, reboot-required or rolling-recreate → an update (`update()` carries it out); any
 * recreate-required change → replace on the `recreateRequired` input group, deleting first because the
 * cluster's names and ports would collide.
 */
export function engineDiff(s: ImpactSummary): EngineDiff {
  if (s.totalChanges === 0) return { changes: false };
  if (s.recreateRequired.length > 0) return { changes: true, replaces: [GROUP_OF["recreate-required"]], deleteBeforeReplace: true };
  return { changes: true };
}
