// The package root, kept narrow: the cluster component and its installers, the ksail.yaml loaders, the error type,
// the version types and the impact engine as a namespace. Everything else is a subpath export (package.json
// "exports"): @ksail/pulumi/config (the spec model), /plan, /impact, /talos (machine configs), /talos-api (the Talos
// API client), /pki, /resources (the dynamic resources KSailCluster is built from), /components. Re-exports
// only.
export { KsailError, isKsailError, type Issue } from "./errors";
export { KSailCluster, type KSailClusterArgs, type KSailClusterNode, type ComponentOverride } from "./cluster";
export {
  ArgoCd,
  Calico,
  CertManager,
  Cilium,
  CloudProviderKind,
  ClusterAutoscaler,
  Flux,
  Gatekeeper,
  HcloudCcm,
  HetznerCsi,
  Kindnet,
  KubeletCsrApprover,
  Kyverno,
  LocalPathProvisioner,
  LocalRegistryHosting,
  MetalLb,
  MetricsServer,
  type ArgoCdArgs,
  type CalicoArgs,
  type CertManagerArgs,
  type CiliumArgs,
  type CloudProviderKindArgs,
  type ClusterAutoscalerArgs,
  type FluxArgs,
  type GatekeeperArgs,
  type HcloudCcmArgs,
  type HetznerCsiArgs,
  type KindnetArgs,
  type KubeletCsrApproverArgs,
  type KyvernoArgs,
  type LocalPathProvisionerArgs,
  type LocalRegistryHostingArgs,
  type MetalLbArgs,
  type MetricsServerArgs,
  type InstallerArgs,
  type Installers,
  type RegistryCredentials,
  type ComponentId,
} from "./components";
export {
  loadClusterConfig,
  validateClusterConfigFile,
  parseSpec,
  type LoadedClusterConfig,
  type LoadOptions,
  type FileValidation,
  type TalosPatchSet,
  type PatchFile,
  type Spec,
  type SpecInput,
} from "./config";
export { clusterConfigFromStack } from "./stack";
export { pinnedVersionArgs, type ClusterVersions } from "./plan/cluster";
export * as impact from "./impact";
