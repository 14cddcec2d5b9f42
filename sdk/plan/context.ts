/**
 * The small plain context every values builder reads. It decides the shape of the values, so it is plain
 * data (no Inputs): tests enumerate every combination.
 */
import type { SupportedDistribution, SupportedProvider } from "../config/support";

export type CniChoice = "Default" | "Cilium" | "Calico";

export interface ComponentContext {
  /** Kubernetes distribution. */
  readonly distribution: SupportedDistribution;
  /** Where the nodes run. */
  readonly provider: SupportedProvider;
  /** Control planes + workers; HA values apply from 3 nodes (KSail's rule). */
  readonly nodeCount: number;
  /** The CNI the cluster runs. */
  readonly cni: CniChoice;
  /** Effective LoadBalancer setting (K3s ships one, so it is enabled there by default). */
  readonly loadBalancerEnabled: boolean;
  /** Install timeout base in seconds (`connection.timeout`, else 8 min on Talos and 5 min elsewhere). */
  readonly baseTimeoutSeconds?: number;
}

/** KSail's HA rule: `controlPlanes + workers >= 3`. */
export function isHa(ctx: Pick<ComponentContext, "nodeCount">): boolean {
  return ctx.nodeCount >= 3;
}

/** A context for standalone use on an unknown cluster: chart defaults, no distribution-specific values. */
export const genericContext: ComponentContext = {
  distribution: "Vanilla",
  provider: "Docker",
  nodeCount: 1,
  cni: "Default",
  loadBalancerEnabled: false,
};
