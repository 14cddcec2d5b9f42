/**
 * The plan's own checks as a list of issues: what `planCluster` refuses (node counts a Docker network can hold,
 * version compatibility, the autoscaler's snapshot, Hetzner locations and server types, distribution-file fields,
 * Talos patches the target version would refuse). `validate` and `diff` run it after the file checks, so they refuse
 * exactly what `render`, `plan` and `KSailCluster` (which plan the same way) refuse.
 */
import { isKsailError, type Issue } from "../errors";
import type { LoadedClusterConfig } from "../config/load";
import { planCluster, type ClusterPlan, type ClusterPlanInput } from "./cluster";

/** The plan input of a loaded ksail.yaml (`name` when the file has none). */
export function planInputOf(config: LoadedClusterConfig, name = "ksail"): ClusterPlanInput {
  return {
    name: config.name ?? name,
    spec: config.spec,
    talosConfigPatches: config.talosConfigPatches,
    kindConfig: config.kindConfig,
    k3dConfig: config.k3dConfig,
    vclusterValues: config.vclusterValues,
    kwokObjects: config.kwokObjects,
    fileMirrors: config.fileMirrors,
  };
}

/** The plan of a loaded ksail.yaml, or every issue that stops it (a KsailError's list). */
export function planIssues(config: LoadedClusterConfig, name?: string): { plan?: ClusterPlan; issues: Issue[] } {
  try {
    return { plan: planCluster(planInputOf(config, name)), issues: [] };
  } catch (e) {
    if (!isKsailError(e)) throw e;
    return { issues: [...e.issues] };
  }
}
