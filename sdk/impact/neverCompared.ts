/** The spec fields the impact table deliberately never compares, with the reason. */

/**
 * Spec fields that are deliberately never compared, with the reason. Together with `IMPACT_TABLE` they
 * must cover every leaf of the zod model (a test enforces it).
 */
export const NEVER_COMPARED: Readonly<Record<string, string>> = {
  "metadata.name":
    "outside the compared spec: the cluster name prefixes every resource name, so a rename is shown by Pulumi itself as replacements",
  "cluster.distributionConfig": "a local path; the Talos patches it holds are classified by the machine-config classifier",
  "cluster.connection": "where the local kubeconfig/context is written; not part of the cluster",
  "cluster.importImages": "only used once, when the cluster is created",
  "cluster.talos.config": "where the local talosconfig is written; not part of the cluster",
  "cluster.talos.controlPlanes": "deprecated; migrated to cluster.controlPlanes before comparing",
  "cluster.talos.workers": "deprecated; migrated to cluster.workers before comparing",
  "cluster.talos.imageVerification": "deprecated; migrated to cluster.imageVerification before comparing",
  "cluster.nodeAutoscaling": "deprecated; migrated to cluster.autoscaler.node.enabled before comparing",
  "cluster.eks": "EKS is not supported by this package",
  "provider.hetzner.tokenEnvVar": "names the environment variable holding the API token (a credential source, not cluster state)",
  "provider.hetzner.serverLimit": "only used by validation",
  "provider.hetzner.autoscalerNodePoolNames": "only used to clean up autoscaler servers on delete",
  "provider.aws": "AWS is not supported by this package",
  "provider.gcp": "GCP is not supported by this package",
  "provider.azure": "Azure is not supported by this package",
  "workload.sourceDirectory": "a local directory pushed as an artifact; not part of the cluster",
  "workload.validateOnPush": "local push behaviour",
  "workload.watch": "local tooling",
  "workload.validation": "local tooling",
  "workload.scan": "local tooling",
  editor: "local tooling",
  chat: "local tooling",
};
