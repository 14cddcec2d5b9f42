// Re-exports only (STYLE.md §1).
export * from "./errors";
export * from "./config";
export * from "./pki";
export * from "./impact";
export * as talosApi from "./clients/talos";
export { TalosMachine, type TalosMachineArgs, type MachineNode, type MachinePlatform, type MachineRole } from "./dynamic/talosMachine";
export { TalosBootstrap, type TalosBootstrapArgs } from "./dynamic/talosBootstrap";
export { KSailCluster, type KSailClusterArgs, type KSailClusterNode, type ComponentOverride } from "./cluster";
export {
  planCluster,
  pinnedVersionArgs,
  type ClusterPlan,
  type ClusterPlanInput,
  type ClusterVersions,
  type PlannedNode,
} from "./plan/cluster";
export * from "./components";
export { ClusterSecrets, type ClusterSecretsArgs } from "./dynamic/clusterSecrets";
export { ClusterReadiness, type ClusterReadinessArgs } from "./dynamic/clusterReadiness";
export { WorkloadArtifact, type WorkloadArtifactArgs } from "./dynamic/workloadArtifact";
// Named ClusterSpecRecord at the root: `ClusterSpec` is the spec model's type of spec.cluster.
export { ClusterSpec as ClusterSpecRecord, type ClusterSpecArgs as ClusterSpecRecordArgs } from "./dynamic/clusterSpec";
export * as talos from "./distributions/talos";
