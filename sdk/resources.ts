// `@ksail/pulumi/resources`: the dynamic resources KSailCluster is built from, for programs that compose their own
// cluster (re-exports only).
export { TalosMachine, type TalosMachineArgs, type MachineNode, type MachinePlatform, type MachineRole } from "./dynamic/talosMachine";
export { TalosBootstrap, type TalosBootstrapArgs } from "./dynamic/talosBootstrap";
export { ClusterSecrets, type ClusterSecretsArgs } from "./dynamic/clusterSecrets";
export { ClusterReadiness, type ClusterReadinessArgs } from "./dynamic/clusterReadiness";
export { WorkloadArtifact, type WorkloadArtifactArgs } from "./dynamic/workloadArtifact";
// Named ClusterSpecRecord: `ClusterSpec` is the spec model's type of spec.cluster.
export { ClusterSpec as ClusterSpecRecord, type ClusterSpecArgs as ClusterSpecRecordArgs } from "./dynamic/clusterSpec";
