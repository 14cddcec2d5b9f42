// `@ksail/pulumi/plan`: the pure plan every entry point walks (re-exports only).
export { planCluster, pinnedVersionArgs, type ClusterPlan, type ClusterPlanInput, type ClusterVersions, type PlannedNode } from "./cluster";
export { planIssues, planInputOf } from "./check";
