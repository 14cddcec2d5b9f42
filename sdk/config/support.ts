import type { Distribution, Provider } from "./enums";

/** Providers KSail allows per distribution; the first one is the default when `provider` is omitted. */
export const KSAIL_PROVIDERS: Readonly<Record<Distribution, readonly Provider[]>> = {
  Vanilla: ["Docker", "Hetzner", "Kubernetes"],
  K3s: ["Docker", "Hetzner", "Kubernetes"],
  Talos: ["Docker", "Hetzner", "Omni", "Kubernetes"],
  VCluster: ["Docker", "Kubernetes"],
  KWOK: ["Docker", "Kubernetes"],
  EKS: ["AWS"],
  GKE: ["GCP"],
  AKS: ["Azure"],
};

/**
 * The distribution × provider combinations this package can build. Everything else fails validation. The
 * planners, the component contexts and the impact table's columns all take their unions from this list.
 */
export const SUPPORTED_COMBINATIONS = [
  { distribution: "Vanilla", provider: "Docker" },
  { distribution: "K3s", provider: "Docker" },
  { distribution: "Talos", provider: "Docker" },
  { distribution: "Talos", provider: "Hetzner" },
  { distribution: "Talos", provider: "Omni" },
  { distribution: "Vanilla", provider: "Kubernetes" },
  { distribution: "Talos", provider: "Kubernetes" },
  { distribution: "K3s", provider: "Kubernetes" },
  { distribution: "VCluster", provider: "Kubernetes" },
  { distribution: "VCluster", provider: "Docker" },
  { distribution: "KWOK", provider: "Docker" },
  { distribution: "KWOK", provider: "Kubernetes" },
] as const satisfies readonly { distribution: Distribution; provider: Provider }[];

export type SupportedCombination = (typeof SUPPORTED_COMBINATIONS)[number];
/** A distribution this package builds (`Distribution` is every value KSail accepts). */
export type SupportedDistribution = SupportedCombination["distribution"];
/** A provider this package builds on. */
export type SupportedProvider = SupportedCombination["provider"];

/** The distributions this package builds, in table order. */
export const SUPPORTED_DISTRIBUTIONS: readonly SupportedDistribution[] = [...new Set(SUPPORTED_COMBINATIONS.map((c) => c.distribution))];

export function isSupportedCombination(distribution: Distribution, provider: Provider): boolean {
  return SUPPORTED_COMBINATIONS.some((c) => c.distribution === distribution && c.provider === provider);
}

/** "Vanilla on Docker, K3s on Docker, Talos on Docker, Talos on Hetzner". */
export function supportedCombinationsText(): string {
  return SUPPORTED_COMBINATIONS.map((c) => `${c.distribution} on ${c.provider}`).join(", ");
}

/** KSail's per-distribution defaults: the distribution config file, the default cluster name, the kube context. */
export interface DistributionMeta {
  /** Default `distributionConfig`. */
  readonly config: string;
  /** Default cluster name when `metadata.name` is empty. */
  readonly defaultName: string;
  /** Expected kube context for a cluster name. */
  readonly context: (name: string) => string;
}

export const DISTRIBUTION_META: Readonly<Record<Distribution, DistributionMeta>> = {
  Vanilla: { config: "kind.yaml", defaultName: "kind", context: (n) => `kind-${n}` },
  K3s: { config: "k3d.yaml", defaultName: "k3d-default", context: (n) => `k3d-${n}` },
  Talos: { config: "talos", defaultName: "talos-default", context: (n) => `admin@${n}` },
  VCluster: { config: "vcluster.yaml", defaultName: "vcluster-default", context: (n) => `vcluster-docker_${n}` },
  KWOK: { config: "kwok", defaultName: "kwok-default", context: (n) => `kwok-${n}` },
  EKS: { config: "eks.yaml", defaultName: "eks-default", context: (n) => `${n}.eksctl.io` },
  GKE: { config: "gke.yaml", defaultName: "gke-default", context: (n) => `gke_${n}` },
  AKS: { config: "aks.yaml", defaultName: "aks-default", context: (n) => n },
};
