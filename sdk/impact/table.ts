/**
 * THE impact table: for every spec field that can change on a live cluster, its class per distribution ×
 * provider and why. The classifier, the `ClusterSpec` grouping, the recreate hash, the `diff` command and
 * docs/impact.md all read this array; nothing else decides a class. The rows live in rules/ by subject.
 *
 * Based on KSail's update engine, with its known gaps fixed: Kind node counts recreate (KSail reports
 * nothing), Kind/K3s Kubernetes versions recreate (new node image), Talos versions reboot on Hetzner (upgrade
 * node by node) and recreate on Docker, Hetzner server types resize node by node keeping the disk, registries
 * are compared even when newly added, and CSI is compared on Kind too. Fields listed in `NEVER_COMPARED` are
 * deliberately not compared.
 */
import type { Combo } from "./types";
import type { ImpactRule } from "./rule";
import { CLUSTER_RULES } from "./rules/cluster";
import { COMPONENT_RULES } from "./rules/components";
import { HETZNER_RULES } from "./rules/hetzner";
import { OMNI_RULES } from "./rules/omni";
import { KUBERNETES_RULES } from "./rules/kubernetes";

export const IMPACT_TABLE: readonly ImpactRule[] = [
  ...CLUSTER_RULES,
  ...COMPONENT_RULES,
  ...HETZNER_RULES,
  ...OMNI_RULES,
  ...KUBERNETES_RULES,
];

/** The reason text of a rule for a combination. */
export function reasonOf(rule: Pick<ImpactRule, "reason">, combo: Combo): string {
  if (typeof rule.reason === "string") return rule.reason;
  // Vanilla and Talos on a host run their Docker node containers in a pod's engine: that reason holds unless they have their own.
  // (Talos's pod rows, the host settings, read as Vanilla's.)
  // VCluster on Docker reads as VCluster on a host only where it has no reason of its own.
  const docker =
    combo === "VCluster/Docker"
      ? rule.reason["VCluster/Kubernetes"]
      : combo === "Vanilla/Kubernetes"
        ? rule.reason["Vanilla/Docker"]
        : combo === "Talos/Kubernetes"
          ? (rule.reason["Talos/Docker"] ?? rule.reason["Vanilla/Kubernetes"])
          : undefined;
  return rule.reason[combo] ?? docker ?? rule.reason["*"] ?? "";
}

/** The rule covering a spec path (exact or ancestor), if any. */
export function ruleFor(path: string): ImpactRule | undefined {
  return IMPACT_TABLE.find((r) => (r.paths ?? [r.field]).some((p) => path === p || path.startsWith(`${p}.`)));
}
