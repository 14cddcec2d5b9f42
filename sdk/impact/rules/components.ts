/** Impact rows of the components the cluster installs (Helm releases), the autoscaler and the GitOps configuration. */
import { cells, ALL_IN_PLACE, type ImpactRule } from "../rule";
import { bool, int, json, list, str, toggle, whileOn } from "../values";

/** A component installed with Helm: no node is touched. */
const HELM = (what: string) => `${what} is installed, upgraded or removed with Helm; no node is touched`;
/** K3s's bundled add-ons are `--disable` flags of the server containers. */
const K3S_ADDON = (addon: string) =>
  `K3s's bundled ${addon} is switched by a server flag: the server containers are replaced and start again on their kept data volumes (agents are untouched; with several servers Pulumi replaces them in dependency order, so expect a short API outage)`;
/**
 * A vCluster's pods run on the host's nodes, network and storage, and a KWOK cluster's pods are simulated: CNI, CSI,
 * metrics-server and the load balancer mean nothing there (KSail's matrix: N/A on VCluster; skipped on KWOK;
 * validation refuses them on both).
 */
const NOT_ON_VCLUSTER = cells("I", "I", "I", "I", "I", "I", "-", "-", "-");
/**
 * cert-manager and the policy engines serve admission webhooks from pods; a KWOK cluster's pods are simulated, so
 * nothing answers and later installs fail (KSail skips them there; validation refuses them).
 */
const NO_WEBHOOKS_ON_KWOK = cells("I", "I", "I", "I", "I", "I", "I", "-", "-");
const AUTOSCALER = "cluster-autoscaler settings are applied with a Helm upgrade";
/** Node-autoscaler settings mean nothing while it is off (no rows for them in `diff`). */
const NODE_AUTOSCALER_ON = whileOn("cluster.autoscaler.node.enabled", "Enabled");

export const COMPONENT_RULES: readonly ImpactRule[] = [
  // ── components (Helm) ────────────────────────────────────────────────────────────────────
  {
    field: "cluster.cni",
    value: str("cluster.cni", "Default"),
    cells: NOT_ON_VCLUSTER,
    reason: HELM("the CNI") + " (the old one is removed)",
    // Cilium ↔ Calico is a Helm switch; turning the distribution's own CNI on or off is node configuration.
    node: {
      value: (spec, combo) => (str("cluster.cni", "Default")(spec, combo) === "Default" ? "built-in" : "none"),
      cells: cells("I", "X", "B", "B", "B", "X", "-", "-", "-"),
      reason: {
        "Vanilla/Docker": "kindnet, Kind's built-in CNI, is a set of Kubernetes objects managed from Pulumi; no node is touched",
        "K3s/Docker": "flannel is switched by K3s server flags that must match on every server from creation",
        "K3s/Kubernetes": "flannel runs inside k3k's pods from creation (provider Kubernetes only builds the built-in CNI)",
        "Talos/Omni": "the ksail-cni config patch (cluster.network.cni) changes; Omni applies it and reboots the machines one at a time",
        "*": "the machine config's cluster.network.cni changes; nodes reboot one at a time to clear the old CNI",
      },
    },
    note: "switching between Cilium and Calico is in place; turning the built-in CNI on or off is the `#node` class (in place on Kind: kindnet is managed from Pulumi)",
  },
  {
    field: "cluster.csi",
    value: toggle("csi"),
    cells: NOT_ON_VCLUSTER,
    reason: {
      "Vanilla/Docker":
        "local-path-provisioner (Kind's default storage) is a set of Kubernetes objects managed from Pulumi; no node is touched",
      "K3s/Docker":
        "K3s starts with its packaged local-storage disabled; local-path-provisioner is a set of Kubernetes objects managed from Pulumi, so no node is touched",
      "*": HELM("the CSI driver"),
    },
  },
  {
    field: "cluster.metricsServer",
    value: toggle("metricsServer"),
    cells: NOT_ON_VCLUSTER,
    reason: {
      "Vanilla/Docker":
        "metrics-server is a Helm release; Kind nodes always request kubelet serving certificates (approved by kubelet-csr-approver), so no node is touched",
      "K3s/Docker": "K3s starts with its packaged metrics-server disabled; metrics-server is a Helm release, so no node is touched",
      "*": "kubelet serving-cert rotation and the approver are live machine-config changes; metrics-server is a Helm release",
    },
  },
  {
    field: "cluster.loadBalancer",
    value: toggle("loadBalancer"),
    cells: cells("I", "R", "I", "I", "I", "R", "-", "-", "-", "-", "-"),
    reason: {
      "Vanilla/Kubernetes":
        "refused: cloud-provider-kind would give LoadBalancer Services addresses on the Docker network inside the pod, which nothing outside reaches",
      "Talos/Kubernetes": "refused: MetalLB would announce addresses on the Docker network inside the pod, which nothing outside reaches",
      "K3s/Docker": K3S_ADDON("servicelb"),
      "K3s/Kubernetes":
        "servicelb is a --disable flag in the Cluster's serverArgs; k3k re-renders the server config and restarts its server pods",
      "*": HELM("the load-balancer controller"),
    },
  },
  { field: "cluster.certManager", value: str("cluster.certManager", "Disabled"), cells: NO_WEBHOOKS_ON_KWOK, reason: HELM("cert-manager") },
  {
    field: "cluster.policyEngine",
    value: str("cluster.policyEngine", "None"),
    cells: NO_WEBHOOKS_ON_KWOK,
    reason: HELM("the policy engine") + " (switching removes the old one)",
  },
  {
    field: "cluster.gitOpsEngine",
    value: str("cluster.gitOpsEngine", "None"),
    cells: ALL_IN_PLACE,
    reason: HELM("the GitOps engine") + " (switching removes the old one)",
  },
  {
    field: "cluster.sops",
    value: json("cluster.sops", { enabled: "Default", ageKeyEnvVar: "SOPS_AGE_KEY" }),
    cells: ALL_IN_PLACE,
    reason: "the SOPS age-key Secret is created, updated or removed",
  },
  {
    field: "cluster.autoscaler.pod.horizontal",
    value: str("cluster.autoscaler.pod.horizontal", "Disabled"),
    cells: ALL_IN_PLACE,
    reason: "pod autoscaling support is installed or removed with Helm",
  },
  {
    field: "cluster.autoscaler.pod.vertical",
    value: str("cluster.autoscaler.pod.vertical", "Disabled"),
    cells: ALL_IN_PLACE,
    reason: "pod autoscaling support is installed or removed with Helm",
  },
  {
    field: "cluster.autoscaler.node.enabled",
    value: str("cluster.autoscaler.node.enabled", "Disabled"),
    cells: ALL_IN_PLACE,
    reason: HELM("cluster-autoscaler"),
  },
  {
    field: "cluster.autoscaler.node.maxNodesTotal",
    value: int("cluster.autoscaler.node.maxNodesTotal", 0),
    active: NODE_AUTOSCALER_ON,
    cells: ALL_IN_PLACE,
    reason: AUTOSCALER,
  },
  {
    field: "cluster.autoscaler.node.expander",
    value: list("cluster.autoscaler.node.expander", "LeastWaste"),
    active: NODE_AUTOSCALER_ON,
    cells: ALL_IN_PLACE,
    reason: AUTOSCALER,
  },
  {
    field: "cluster.autoscaler.node.scaleDownUnneededTime",
    value: str("cluster.autoscaler.node.scaleDownUnneededTime"),
    active: NODE_AUTOSCALER_ON,
    cells: ALL_IN_PLACE,
    reason: AUTOSCALER,
  },
  {
    field: "cluster.autoscaler.node.scaleDownUtilizationThreshold",
    value: str("cluster.autoscaler.node.scaleDownUtilizationThreshold"),
    active: NODE_AUTOSCALER_ON,
    cells: ALL_IN_PLACE,
    reason: AUTOSCALER,
  },
  {
    field: "cluster.autoscaler.node.capacityBuffers",
    value: bool("cluster.autoscaler.node.capacityBuffers", false),
    active: NODE_AUTOSCALER_ON,
    cells: ALL_IN_PLACE,
    reason: AUTOSCALER,
  },
  {
    field: "cluster.autoscaler.node.ignoreDaemonsetsUtilization",
    value: bool("cluster.autoscaler.node.ignoreDaemonsetsUtilization", false),
    active: NODE_AUTOSCALER_ON,
    cells: ALL_IN_PLACE,
    reason: AUTOSCALER,
  },
  {
    field: "cluster.autoscaler.node.skipNodesWithLocalStorage",
    value: bool("cluster.autoscaler.node.skipNodesWithLocalStorage", true),
    active: NODE_AUTOSCALER_ON,
    cells: ALL_IN_PLACE,
    reason: AUTOSCALER,
  },
  {
    field: "cluster.autoscaler.node.skipNodesWithSystemPods",
    value: bool("cluster.autoscaler.node.skipNodesWithSystemPods", true),
    active: NODE_AUTOSCALER_ON,
    cells: ALL_IN_PLACE,
    reason: AUTOSCALER,
  },
  {
    field: "cluster.autoscaler.node.pools",
    value: json("cluster.autoscaler.node.pools"),
    active: NODE_AUTOSCALER_ON,
    cells: ALL_IN_PLACE,
    reason: "node pools are cluster-autoscaler configuration, applied with a Helm upgrade",
    note: "compared per pool name: `pools[<name>]` added/removed, `pools[<name>].{serverType,location,min,max,labels,taints}` changed",
    pools: true,
  },
  // ── GitOps configuration ─────────────────────────────────────────────────────────────────
  { field: "workload.tag", value: str("workload.tag", "dev"), cells: ALL_IN_PLACE, reason: "the GitOps sync reference is updated" },
  {
    field: "workload.kustomizationFile",
    value: str("workload.kustomizationFile"),
    cells: ALL_IN_PLACE,
    reason: "the GitOps sync path is updated",
  },
  {
    field: "workload.flux",
    value: json("workload.flux"),
    cells: ALL_IN_PLACE,
    reason: "Flux operator and FluxInstance settings are applied with Helm and the FluxInstance",
  },
];
