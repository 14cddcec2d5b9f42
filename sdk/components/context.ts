/**
 * The small plain context every values builder reads. It decides the shape of the values, so it is plain
 * data (no Inputs): tests enumerate every combination.
 */
export type Distribution = "Vanilla" | "K3s" | "Talos";
export type InfraProvider = "Docker" | "Hetzner";
export type CniChoice = "Default" | "Cilium" | "Calico";

export interface ComponentContext {
  /** Kubernetes distribution. */
  readonly distribution: Distribution;
  /** Where the nodes run. */
  readonly provider: InfraProvider;
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

export const distributions: readonly Distribution[] = ["Vanilla", "K3s", "Talos"];
export const providers: readonly InfraProvider[] = ["Docker", "Hetzner"];

/** Distribution × provider pairs this library builds clusters for. */
export function supportedPairs(): { distribution: Distribution; provider: InfraProvider }[] {
  return [
    { distribution: "Vanilla", provider: "Docker" },
    { distribution: "K3s", provider: "Docker" },
    { distribution: "Talos", provider: "Docker" },
    { distribution: "Talos", provider: "Hetzner" },
  ];
}
