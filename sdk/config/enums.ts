import * as z from "zod";

/**
 * KSail's enums, spelled exactly as in ksail.yaml. Every value KSail accepts is accepted by the schema;
 * which distribution × provider combinations this package can build is decided in `support.ts`.
 */
export const DISTRIBUTIONS = ["Vanilla", "K3s", "Talos", "VCluster", "KWOK", "EKS", "GKE", "AKS"] as const;
export const PROVIDERS = ["Docker", "Hetzner", "Omni", "AWS", "GCP", "Azure", "Kubernetes"] as const;
export const CNIS = ["Default", "Cilium", "Calico"] as const;
export const TRI_TOGGLES = ["Default", "Enabled", "Disabled"] as const;
export const TOGGLES = ["Enabled", "Disabled"] as const;
export const POLICY_ENGINES = ["None", "Kyverno", "Gatekeeper"] as const;
export const GITOPS_ENGINES = ["None", "Flux", "ArgoCD"] as const;
export const EXPANDERS = ["Price", "LeastWaste", "LeastNodes", "Random"] as const;
export const TAINT_EFFECTS = ["NoSchedule", "PreferNoSchedule", "NoExecute"] as const;
export const PLACEMENT_STRATEGIES = ["None", "Spread"] as const;
export const PORT_PROTOCOLS = ["TCP", "UDP"] as const;

export type Distribution = (typeof DISTRIBUTIONS)[number];
export type Provider = (typeof PROVIDERS)[number];
export type Cni = (typeof CNIS)[number];
/** `Default` means "whatever the distribution × provider ships"; see `effective()`. */
export type TriToggle = (typeof TRI_TOGGLES)[number];
export type Toggle = (typeof TOGGLES)[number];
export type PolicyEngine = (typeof POLICY_ENGINES)[number];
export type GitOpsEngine = (typeof GITOPS_ENGINES)[number];
export type Expander = (typeof EXPANDERS)[number];
export type TaintEffect = (typeof TAINT_EFFECTS)[number];

/** YAML booleans are accepted for toggle enums, as KSail does: `true` → `Enabled`, `false` → `Disabled`. */
function boolAlias<T extends readonly [string, ...string[]]>(values: T) {
  return z.union([z.enum(values), z.boolean()]).transform((v): T[number] => (typeof v === "boolean" ? (v ? "Enabled" : "Disabled") : v));
}

export const toggle = () => boolAlias(TOGGLES);
export const triToggle = () => boolAlias(TRI_TOGGLES);
