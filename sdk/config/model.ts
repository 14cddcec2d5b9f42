import * as z from "zod";
import {
  CNIS,
  DISTRIBUTIONS,
  GITOPS_ENGINES,
  PLACEMENT_STRATEGIES,
  POLICY_ENGINES,
  PORT_PROTOCOLS,
  PROVIDERS,
  TAINT_EFFECTS,
  toggle,
  triToggle,
} from "./enums";
import { DEFAULT_TALOS_ISO, HETZNER_DEFAULTS as H, KUBERNETES_HOST_DEFAULTS as KH, OMNI_DEFAULTS as O } from "./defaults";

/**
 * The zod model of KSail's `ksail.yaml` (`apiVersion: ksail.io/v1alpha1`, `kind: Cluster`).
 * Field names, enums and defaults follow KSail. Unknown keys are errors (strict objects everywhere);
 * KSail sections this package does not use (editor, chat, eks, omni, aws, ...) are accepted as
 * `unknown` and dropped with a warning by `parseClusterDocument` (see `IGNORED_FIELDS`).
 */

/** Go duration syntax, e.g. `90s`, `5m`, `1h30m` (empty = unset). */
const GO_DURATION = /^(0|([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+)$/;
const duration = (what: string) =>
  z
    .string()
    .regex(GO_DURATION, { message: `must be a Go duration such as "90s", "10m" or "1h30m" (${what})` })
    .or(z.literal(""));

const ignored = () => z.unknown().optional();
const str = (def = "") => z.string().default(def);
const int = (def: number) => z.number().int().min(0).default(def);
const strList = () => z.array(z.string()).default([]);

export const TaintSchema = z.strictObject({
  key: z.string(),
  value: z.string().optional(),
  effect: z.enum(TAINT_EFFECTS),
});

export const NodePoolSchema = z.strictObject({
  /** DNS-1123 label, 1–63 characters. */
  name: z.string(),
  serverType: z.string(),
  location: z.string(),
  min: z.number().int().default(0),
  max: z.number().int().default(0),
  labels: z.record(z.string(), z.string()).default({}),
  taints: z.array(TaintSchema).default([]),
});

/** `expander` accepts a comma-separated scalar or a list; the output is always a list. */
const ExpanderSchema = z
  .union([z.string(), z.array(z.string())])
  .transform((v) => (typeof v === "string" ? v.split(",") : v).map((s) => s.trim()).filter((s) => s !== ""))
  .default([]);

export const NodeAutoscalerSchema = z.strictObject({
  enabled: toggle().default("Disabled"),
  pools: z.array(NodePoolSchema).default([]),
  maxNodesTotal: int(0),
  /** Ordered expander chain; an empty list means `LeastWaste`. Values: Price, LeastWaste, LeastNodes, Random. */
  expander: ExpanderSchema,
  scaleDownUnneededTime: duration("scale-down unneeded time").default(""),
  /** Decimal ratio 0.0–1.0 as a string (empty = upstream 0.5). */
  scaleDownUtilizationThreshold: z.string().default(""),
  capacityBuffers: z.boolean().default(false),
  ignoreDaemonsetsUtilization: z.boolean().default(false),
  skipNodesWithLocalStorage: z.boolean().default(true),
  skipNodesWithSystemPods: z.boolean().default(true),
});

export const AutoscalerSchema = z.strictObject({
  pod: z.strictObject({ horizontal: toggle().default("Disabled"), vertical: toggle().default("Disabled") }).prefault({}),
  node: NodeAutoscalerSchema.prefault({}),
});

export const OidcSchema = z.strictObject({
  issuerURL: str(),
  clientID: str(),
  extraScopes: strList(),
  usernameClaim: str("email"),
  usernamePrefix: str("oidc:"),
  groupsClaim: str("groups"),
  groupsPrefix: str("oidc:"),
  caFile: str(),
});

export const PortMappingSchema = z.strictObject({
  containerPort: z.number().int(),
  hostPort: z.number().int().default(0),
  protocol: z.enum(PORT_PROTOCOLS).default("TCP"),
});

export const TalosSchema = z.strictObject({
  version: str(),
  config: str("~/.talos/config"),
  iso: z.number().int().min(0).default(DEFAULT_TALOS_ISO),
  schematicId: str(),
  extensions: strList(),
  extraPortMappings: z.array(PortMappingSchema).default([]),
  drainTimeout: duration("per-node drain budget").default(""),
  storageHealthTimeout: duration("storage-health gate").default(""),
  /** Deprecated: migrated to `spec.cluster.controlPlanes`. */
  controlPlanes: z.number().int().optional(),
  /** Deprecated: migrated to `spec.cluster.workers`. */
  workers: z.number().int().optional(),
  /** Deprecated: migrated to `spec.cluster.imageVerification`. */
  imageVerification: toggle().optional(),
});

export const LocalRegistrySchema = z.strictObject({
  /** `[user:pass@]host[:port][/path[:tag]]`; empty = none (GitOps engines default it to `localhost:5050`). */
  registry: str(),
  credentials: z.strictObject({ tokenEnvVar: str(), cliTokenEnvVar: str(), clusterTokenEnvVar: str() }).prefault({}),
});

export const SopsSchema = z.strictObject({
  enabled: triToggle().default("Default"),
  ageKeyEnvVar: str("SOPS_AGE_KEY"),
  env: z.strictObject({ var: str() }).prefault({}),
  extract: z.strictObject({ file: str(), publicKeys: strList() }).prefault({}),
});

export const ConnectionSchema = z.strictObject({
  kubeconfig: str("~/.kube/config"),
  /** Empty = derived (`kind-<name>`, `k3d-<name>`, `admin@<name>`). */
  context: str(),
  timeout: z
    .string()
    .regex(/^[0-9]+(ns|us|µs|ms|s|m|h)$/, { message: 'must be a number followed by a unit, e.g. "10m"' })
    .or(z.literal(""))
    .default(""),
});

export const ClusterSpecSchema = z.strictObject({
  /** Path of kind.yaml / k3d.yaml / the Talos patch directory; empty = the distribution's default. */
  distributionConfig: str(),
  connection: ConnectionSchema.prefault({}),
  distribution: z.enum(DISTRIBUTIONS).default("Vanilla"),
  /** Empty = the first provider the distribution supports (Docker for Vanilla, K3s, Talos). */
  provider: z.enum(PROVIDERS).default("Docker"),
  cni: z.enum(CNIS).default("Default"),
  csi: triToggle().default("Default"),
  cdi: triToggle().default("Default"),
  metricsServer: triToggle().default("Default"),
  loadBalancer: triToggle().default("Default"),
  certManager: toggle().default("Disabled"),
  imageVerification: toggle().default("Disabled"),
  policyEngine: z.enum(POLICY_ENGINES).default("None"),
  localRegistry: LocalRegistrySchema.prefault({}),
  gitOpsEngine: z.enum(GITOPS_ENGINES).default("None"),
  sops: SopsSchema.prefault({}),
  /** Deprecated alias of `autoscaler.node.enabled`. */
  nodeAutoscaling: toggle().optional(),
  autoscaler: AutoscalerSchema.prefault({}),
  importImages: str(),
  controlPlanes: z.number().int().default(1),
  workers: z.number().int().default(0),
  kubernetesVersion: str(),
  oidc: OidcSchema.prefault({}),
  vanilla: z.strictObject({ mirrorsDir: str() }).prefault({}),
  talos: TalosSchema.prefault({}),
  eks: ignored(),
});

export const HetznerSchema = z.strictObject({
  controlPlaneServerType: str(H.controlPlaneServerType),
  workerServerType: str(H.workerServerType),
  location: str(H.location),
  /** Empty = `<cluster>-network`. */
  networkName: str(),
  networkCidr: str(H.networkCidr),
  sshKeyName: str(),
  tokenEnvVar: str(H.tokenEnvVar),
  placementGroupStrategy: z.enum(PLACEMENT_STRATEGIES).default("Spread"),
  /** Empty = `<cluster>-placement`. */
  placementGroup: str(),
  /** Empty = `nbg1`, `hel1`. */
  fallbackLocations: strList(),
  placementGroupFallbackToNone: z.boolean().default(false),
  floatingIPEnabled: z.boolean().default(false),
  /** Empty = the cluster location. */
  floatingIPLocation: str(),
  ingressFirewall: toggle().default("Enabled"),
  /** Hetzner project server quota used by validation (0 = 10). */
  serverLimit: int(H.serverLimit),
  /** CIDRs allowed to reach the APIs; empty = open (0.0.0.0/0, ::/0). */
  allowedCidrs: strList(),
  workerPublicIPv4: z.boolean().default(true),
  workerPublicIPv6: z.boolean().default(true),
  controlPlanePublicIPv4: z.boolean().default(true),
  controlPlanePublicIPv6: z.boolean().default(true),
  autoscalerNodePoolNames: strList(),
});

export const OmniSchema = z.strictObject({
  /** Omni API URL, `https://<account>.omni.siderolabs.io`. */
  endpoint: str(),
  /** Environment variable whose value, when set, overrides `endpoint`. */
  endpointEnvVar: str(O.endpointEnvVar),
  /** Environment variable holding the service-account key. */
  serviceAccountKeyEnvVar: str(O.serviceAccountKeyEnvVar),
  /** Empty = `cluster.talos.version`, else the pinned default. */
  talosVersion: str(),
  /** Empty = `cluster.kubernetesVersion`, else the Talos version's default. */
  kubernetesVersion: str(),
  /** Machine class the machine sets allocate from (mutually exclusive with `machines`). */
  machineClass: str(),
  /** Machine UUIDs: the first `controlPlanes` are control planes, the next `workers` workers. */
  machines: strList(),
});

export const KubernetesHostSchema = z.strictObject({
  /** Host cluster kubeconfig path. */
  kubeconfig: str(KH.kubeconfig),
  /** Environment variable whose value, when set, is the kubeconfig path instead. */
  kubeconfigEnvVar: str(KH.kubeconfigEnvVar),
  /** Host kubeconfig context; empty = its current context. */
  context: str(),
  /** Environment variable whose value, when set, is the context instead. */
  contextEnvVar: str(KH.contextEnvVar),
  /** Gateway class for the nested API server's Gateway + TCPRoute; empty = a LoadBalancer Service. */
  gatewayClassName: str(),
  podCidr: str(KH.podCidr),
  serviceCidr: str(KH.serviceCidr),
  persistence: z.strictObject({ enabled: z.boolean().default(false), storageClassName: str(), size: str(KH.persistenceSize) }).prefault({}),
});

export const ProviderSpecSchema = z.strictObject({
  hetzner: HetznerSchema.prefault({}),
  omni: OmniSchema.prefault({}),
  aws: ignored(),
  gcp: ignored(),
  azure: ignored(),
  kubernetes: KubernetesHostSchema.prefault({}),
});

export const FluxSchema = z.strictObject({
  operatorVersion: str(),
  distributionVersion: str(),
  verify: z
    .strictObject({
      provider: z.enum(["cosign", "notation"]).optional(),
      secretRef: z.strictObject({ name: str() }).prefault({}),
      matchOIDCIdentity: z.array(z.strictObject({ issuer: z.string(), subject: z.string() })).default([]),
    })
    .prefault({}),
});

export const WorkloadSchema = z.strictObject({
  sourceDirectory: str("k8s"),
  validateOnPush: z.boolean().default(false),
  tag: str("dev"),
  kustomizationFile: str(),
  flux: FluxSchema.prefault({}),
  watch: ignored(),
  validation: z
    .strictObject({
      /** Kinds `workload validate` does not check (`Kind` or `group/version/Kind`). */
      skipKinds: z.array(z.string()).default([]),
      /** kubeconform schema locations: accepted, not used (schemas are shipped; nothing is downloaded). */
      schemaLocations: z.array(z.string()).default([]),
      /** KSail renders HelmReleases before validating; accepted, not done here (HelmReleases are checked as objects). */
      helmRender: z.boolean().default(true),
      /** KSail's custom validation rules: accepted, not applied. */
      rules: z.unknown().default(null),
    })
    .prefault({}),
  scan: z
    .strictObject({
      /** Kubescape exceptions file (posture exceptions), relative to the working directory. */
      exceptions: str(),
      /** Frameworks `workload scan` runs; only `nsa` is available offline. */
      frameworks: z.array(z.string()).default([]),
      /** Minimum compliance score (0–100) for `workload scan` to pass; 0 accepts any score. */
      complianceThreshold: z.number().int().min(0).max(100).default(0),
    })
    .prefault({}),
});

export const SpecSchema = z.strictObject({
  editor: ignored(),
  cluster: ClusterSpecSchema.prefault({}),
  provider: ProviderSpecSchema.prefault({}),
  workload: WorkloadSchema.prefault({}),
  chat: ignored(),
});

export const API_VERSION = "ksail.io/v1alpha1";
export const KIND = "Cluster";

export const ClusterDocumentSchema = z.strictObject({
  apiVersion: z.literal(API_VERSION),
  kind: z.literal(KIND),
  metadata: z.strictObject({ name: z.string().optional() }).prefault({}),
  spec: SpecSchema.prefault({}),
});

/** A parsed ksail.yaml with every zod default applied (ignored sections removed). */
export type ClusterDocument = z.output<typeof ClusterDocumentSchema>;
/** What a ksail.yaml file may contain (before defaults). */
export type ClusterDocumentInput = z.input<typeof ClusterDocumentSchema>;
export type Spec = ClusterDocument["spec"];
export type SpecInput = z.input<typeof SpecSchema>;
export type ClusterSpec = Spec["cluster"];
export type HetznerSpec = Spec["provider"]["hetzner"];
export type OmniSpec = Spec["provider"]["omni"];
export type KubernetesHostSpec = Spec["provider"]["kubernetes"];
export type WorkloadSpec = Spec["workload"];
export type AutoscalerSpec = ClusterSpec["autoscaler"];
export type NodePool = z.output<typeof NodePoolSchema>;
export type Taint = z.output<typeof TaintSchema>;
export type OidcSpec = ClusterSpec["oidc"];
export type TalosSpec = ClusterSpec["talos"];
export type PortMapping = z.output<typeof PortMappingSchema>;

/** KSail fields accepted (so a real ksail.yaml loads) but not used by this package; dropped with a warning. */
export const IGNORED_FIELDS = [
  "spec.editor",
  "spec.chat",
  "spec.cluster.eks",
  "spec.provider.aws",
  "spec.provider.gcp",
  "spec.provider.azure",
  "spec.workload.watch",
] as const;

/** Deprecated KSail fields, migrated to their replacement before parsing (`migrate.ts`). */
export const DEPRECATED_FIELDS = {
  "spec.cluster.talos.controlPlanes": "spec.cluster.controlPlanes",
  "spec.cluster.talos.workers": "spec.cluster.workers",
  "spec.cluster.nodeAutoscaling": "spec.cluster.autoscaler.node.enabled",
  "spec.cluster.talos.imageVerification": "spec.cluster.imageVerification",
} as const;
