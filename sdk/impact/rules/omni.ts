/**
 * Impact rows of Talos on Sidero Omni (`spec.provider.omni`). KSail's diff engine has no Omni rules beyond
 * "node scaling is in place through template sync"; these rows follow what Omni does with each change of
 * the cluster template's resources (siderolabs/omni: the Cluster spec's versions drive Omni's rolling
 * Kubernetes and Talos upgrades; MachineSet allocation and MachineSetNodes decide which machines belong to
 * the cluster; Omni refuses to switch a non-empty machine set between a machine class and listed machines).
 */
import { OMNI_DEFAULTS as O } from "../../config/defaults";
import { OMNI_ONLY, type ImpactRule, type Refine } from "../rule";
import { getPath, list, str, version, type SpecLike } from "../values";

const count = (s: SpecLike, path: string, def: number) => {
  const v = getPath(s, path);
  return typeof v === "number" ? v : def;
};
const strings = (s: SpecLike, path: string): string[] => {
  const v = getPath(s, path);
  return Array.isArray(v) ? v.map(String) : [];
};

/** The machines a spec really uses: the first `controlPlanes` of the list, then the next `workers`. */
function usedMachines(s: SpecLike): { cp: string[]; workers: string[] } {
  const all = strings(s, "provider.omni.machines");
  const cp = count(s, "cluster.controlPlanes", 1);
  return { cp: all.slice(0, cp), workers: all.slice(cp, cp + count(s, "cluster.workers", 0)) };
}

const MODE_SWITCH =
  "the machine sets switch between a machine class and listed machines; Omni refuses that for a machine set with machines, so both sets (and the control plane with them) are recreated";

/** Switching allocation mode recreates; otherwise listed machines that leave or join are replaced one at a time. */
const machinesRefine: Refine = (old, next) => {
  const had = strings(old, "provider.omni.machines").length > 0;
  const has = strings(next, "provider.omni.machines").length > 0;
  if (had !== has) return { category: "recreate-required", reason: MODE_SWITCH };
  const a = usedMachines(old);
  const b = usedMachines(next);
  const same = (x: string[], y: string[]) => x.length === y.length && x.every((m, i) => m === y[i]);
  if (same(a.cp, b.cp) && same(a.workers, b.workers))
    return { category: "in-place", reason: "only entries the node counts do not use changed" };
  return {
    category: "rolling-recreate",
    reason:
      "machines that leave the list leave the cluster (Omni removes them from etcd and wipes them); the machines that join are installed and join",
  };
};

const classRefine: Refine = (old, next) => {
  const had = str("provider.omni.machineClass")(old, "Talos/Omni") !== "";
  const has = str("provider.omni.machineClass")(next, "Talos/Omni") !== "";
  if (had !== has) return { category: "recreate-required", reason: MODE_SWITCH };
  return undefined;
};

export const OMNI_RULES: readonly ImpactRule[] = [
  {
    field: "provider.omni.endpoint",
    value: str("provider.omni.endpoint"),
    cells: OMNI_ONLY("X"),
    reason: "another Omni endpoint is another Omni account: the cluster is created there and torn down in the old one",
  },
  {
    field: "provider.omni.endpointEnvVar",
    value: str("provider.omni.endpointEnvVar", O.endpointEnvVar),
    cells: OMNI_ONLY("I"),
    reason: "only where the endpoint is read from; when the endpoint it yields changes, the Omni resources are recreated",
  },
  {
    field: "provider.omni.serviceAccountKeyEnvVar",
    value: str("provider.omni.serviceAccountKeyEnvVar", O.serviceAccountKeyEnvVar),
    cells: OMNI_ONLY("I"),
    reason: "only where the service-account key is read from at operation time",
  },
  {
    field: "provider.omni.talosVersion",
    value: version("provider.omni.talosVersion"),
    cells: OMNI_ONLY("B"),
    reason: "Omni upgrades the machines to the new Talos version and reboots them one at a time; it refuses minor downgrades",
  },
  {
    field: "provider.omni.kubernetesVersion",
    value: version("provider.omni.kubernetesVersion"),
    cells: OMNI_ONLY("I"),
    reason: "Omni upgrades the Kubernetes components without a reboot; it accepts one minor version per change",
  },
  {
    field: "provider.omni.machineClass",
    value: str("provider.omni.machineClass"),
    cells: OMNI_ONLY("R"),
    reason: "Omni allocates the machine sets' machines from the new class; machines of the old class may be released and others join",
    refine: classRefine,
    note: "switching between a machine class and listed machines is recreate-required",
  },
  {
    field: "provider.omni.machines",
    value: list("provider.omni.machines"),
    cells: OMNI_ONLY("R"),
    reason: "machines that leave the list leave the cluster and are wiped; the machines that join are installed and join",
    refine: machinesRefine,
    note: "in place when only entries beyond controlPlanes + workers change; recreate-required when switching to or from a machine class",
  },
];
