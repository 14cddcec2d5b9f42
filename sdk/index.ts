// Re-exports only (STYLE.md §1).
export * from "./errors";
export * from "./spec";
export * from "./pki";
export * from "./impact";
export * as talosApi from "./distributions/talos/api";
export { TalosMachine, type TalosMachineArgs, type MachineNode, type MachinePlatform, type MachineRole } from "./dynamic/talosMachine";
export { TalosBootstrap, type TalosBootstrapArgs } from "./dynamic/talosBootstrap";
export { KSailCluster, type KSailClusterArgs, type KSailClusterNode, type ComponentOverride } from "./cluster";
export { planCluster, pinnedVersionArgs, type ClusterPlan, type ClusterPlanInput, type ClusterVersions, type PlannedNode } from "./plan";
