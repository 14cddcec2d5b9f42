// `@ksail/pulumi/components`: the installers and their building blocks. Re-exports only.
export { Cilium, type CiliumArgs } from "./cilium";
export { Calico, type CalicoArgs } from "./calico";
export { LocalPathProvisioner, type LocalPathProvisionerArgs } from "./localPathProvisioner";
export { Kindnet, type KindnetArgs } from "./kindnet";
export { KubeletCsrApprover, type KubeletCsrApproverArgs } from "./kubeletCsrApprover";
export { HetznerCsi, type HetznerCsiArgs } from "./hetznerCsi";
export { HcloudCcm, type HcloudCcmArgs } from "./hcloudCcm";
export { MetricsServer, type MetricsServerArgs } from "./metricsServer";
export { MetalLb, type MetalLbArgs } from "./metallb";
export { CloudProviderKind, type CloudProviderKindArgs } from "./cloudProviderKind";
export { LocalRegistryHosting, type LocalRegistryHostingArgs } from "./localRegistryHosting";
export { MetadataGuard, type MetadataGuardArgs } from "./metadataGuard";
export { CertManager, type CertManagerArgs } from "./certManager";
export { Kyverno, type KyvernoArgs } from "./kyverno";
export { Gatekeeper, type GatekeeperArgs } from "./gatekeeper";
export { Flux, type FluxArgs } from "./flux";
export { ArgoCd, type ArgoCdArgs } from "./argoCd";
export { ClusterAutoscaler, type ClusterAutoscalerArgs } from "./clusterAutoscaler";
export { type RegistryCredentials } from "./gitopsSecrets";
export { type InstallerArgs } from "./release";
export { clusterProvider, type ClusterProviderArgs } from "./provider";
export { installComponents, type InstallInputs, type InstalledComponents, type Installers } from "./phases";
export type { ComponentId } from "../plan/catalog";
export {
  componentPlan,
  type ComponentPlan,
  type GitOpsSource,
  type AutoscalerSettings,
  type AutoscalerPool,
  type PoolTaint,
} from "../plan/components";
export { type ComponentContext, isHa } from "../plan/context";
export { deepMerge } from "./merge";
export { charts, manifests, images, nodeAddons, fluxDistribution, type ChartPin, type ChartKey } from "../versions";
export { chartValues, metallbAddressRange, hcloudClusterConfig } from "./values";
export { ClusterReadiness, type ClusterReadinessArgs, type ReadinessTimeouts } from "../dynamic/clusterReadiness";
