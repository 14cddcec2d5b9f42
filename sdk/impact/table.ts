import type { Combo, ImpactCell, ImpactClass } from "./types";
import { bool, getPath, int, json, list, oidc, registry, set, str, strOr, toggle, version, type SpecLike, type ValueFn } from "./values";

/**
 * THE impact table (DESIGN.md §2.4): for every spec field that can change on a live cluster, its class per
 * distribution × provider and why. The classifier, the `ClusterSpec` grouping, the recreate hash, the
 * `diff` command and docs/impact.md all read this array; nothing else decides a class.
 *
 * Based on KSail's update engine (reference/ksail-spec-and-diff.md §2.4–2.6), with its known gaps fixed:
 * Kind node counts recreate (KSail reports nothing), Kind/K3s Kubernetes versions recreate (new node image),
 * Talos versions reboot on Hetzner (upgrade node by node) and recreate on Docker, Hetzner server types
 * resize node by node keeping the disk, registries are compared even when newly added, and CSI is
 * compared on Kind too. Fields listed in `NEVER_COMPARED` are deliberately not compared.
 */

/** Refines a cell whose class depends on the old and new specs (e.g. how many nodes a role keeps). */
export type Refine = (old: SpecLike, next: SpecLike, combo: Combo) => { category: ImpactClass; reason: string } | undefined;

export interface ImpactRule {
  /** KSail's field key (`cluster.cni`, `provider.hetzner.location`, …); also the spec path unless `paths` says otherwise. */
  readonly field: string;
  /** Spec paths (relative to `spec`) this row covers; a path covers its whole subtree. Default `[field]`. */
  readonly paths?: readonly string[];
  /** Compared/displayed value. */
  readonly value: ValueFn;
  /** Class per combination, in COMBOS order. */
  readonly cells: Readonly<Record<Combo, ImpactCell>>;
  /** Why; one text, or per combination (`"*"` for the rest). */
  readonly reason: string | Readonly<Partial<Record<Combo | "*", string>>>;
  /** Class depending on old/new node counts (documented in `note`). */
  readonly refine?: Refine;
  /** Extra text for the docs table. */
  readonly note?: string;
  /** Autoscaler pools: compared per pool name (added/removed/sub-fields), not as one value. */
  readonly pools?: true;
  /**
   * The part of the value that is baked into the nodes (e.g. "is the distribution's built-in CNI on?").
   * When it changes, the change takes the more severe of `cells` and `node.cells`; its value is grouped
   * and hashed (recreate trigger) under `<field>#node`.
   */
  readonly node?: {
    readonly value: ValueFn;
    readonly cells: Readonly<Record<Combo, ImpactCell>>;
    readonly reason: string | Readonly<Partial<Record<Combo | "*", string>>>;
  };
}

type Code = "I" | "B" | "R" | "X" | "-";
const CODE: Record<Code, ImpactCell> = {
  I: "in-place",
  B: "reboot-required",
  R: "rolling-recreate",
  X: "recreate-required",
  "-": "n/a",
};
/** Cells in column order Vanilla/Docker, K3s/Docker, Talos/Docker, Talos/Hetzner. */
function cells(vanilla: Code, k3s: Code, talosDocker: Code, talosHetzner: Code): Record<Combo, ImpactCell> {
  return {
    "Vanilla/Docker": CODE[vanilla],
    "K3s/Docker": CODE[k3s],
    "Talos/Docker": CODE[talosDocker],
    "Talos/Hetzner": CODE[talosHetzner],
  };
}
const ALL_IN_PLACE = cells("I", "I", "I", "I");
const HETZNER_ONLY = (c: Code) => cells("-", "-", "-", c);

/** Nodes a role keeps across the change (min of old and new count). */
function kept(old: SpecLike, next: SpecLike, path: string, def: number): number {
  const n = (s: SpecLike) => {
    const v = getPath(s, path);
    return typeof v === "number" ? v : def;
  };
  return Math.min(n(old), n(next));
}

const RESIZE = "resize keeping the disk: hcloud ChangeType powers the server off, resizes it, powers it on; no rolling replacement";

/** Server type of a role: nodes resized one at a time when the role keeps nodes, else only new servers use it. */
function serverTypeRefine(countPath: string, def: number, role: string): Refine {
  return (old, next) =>
    kept(old, next, countPath, def) >= 1
      ? { category: "reboot-required", reason: `existing ${role} servers are resized one at a time (${RESIZE})` }
      : { category: "in-place", reason: `no existing ${role} servers; new servers are created with the new type` };
}

const HELM = (what: string) => `${what} is installed, upgraded or removed with Helm; no node is touched`;
/** K3s's bundled add-ons are `--disable` flags of the server containers. */
const K3S_ADDON = (addon: string) =>
  `K3s's bundled ${addon} is switched by a server flag: the server containers are replaced and start again on their kept data volumes (agents are untouched; with several servers Pulumi replaces them in dependency order, so expect a short API outage)`;
const AUTOSCALER = "cluster-autoscaler settings are applied with a Helm upgrade";

export const IMPACT_TABLE: readonly ImpactRule[] = [
  // ── identity of the cluster ──────────────────────────────────────────────────────────────
  {
    field: "cluster.distribution",
    value: str("cluster.distribution", "Vanilla"),
    cells: cells("X", "X", "X", "X"),
    reason: "changing the Kubernetes distribution requires cluster recreation",
  },
  {
    field: "cluster.provider",
    value: str("cluster.provider", "Docker"),
    cells: cells("X", "X", "X", "X"),
    reason: "changing the infrastructure provider requires cluster recreation",
  },
  // ── nodes and versions ───────────────────────────────────────────────────────────────────
  {
    field: "cluster.controlPlanes",
    value: int("cluster.controlPlanes", 1),
    cells: cells("X", "X", "I", "I"),
    reason: {
      "Vanilla/Docker": "Kind cannot add or remove nodes after creation (KSail silently ignores this change)",
      "K3s/Docker": "K3s server (control-plane) nodes cannot be added or removed after creation",
      "*": "control-plane nodes are added, or leave etcd and are removed, one at a time",
    },
  },
  {
    field: "cluster.workers",
    value: int("cluster.workers", 0),
    cells: cells("X", "I", "I", "I"),
    reason: {
      "Vanilla/Docker": "Kind cannot add or remove nodes after creation (KSail silently ignores this change)",
      "K3s/Docker": "K3s agent (worker) nodes are added or removed",
      "*": "worker nodes are added, or drained and removed",
    },
  },
  {
    field: "cluster.kubernetesVersion",
    value: version("cluster.kubernetesVersion"),
    cells: cells("X", "X", "I", "I"),
    reason: {
      "Vanilla/Docker": "the Kubernetes version is the kindest/node image; a new image means new nodes",
      "K3s/Docker": "the Kubernetes version is the rancher/k3s image; a new image means new nodes",
      "*": "the machine config is re-rendered and Kubernetes components are upgraded without a reboot",
    },
  },
  {
    field: "cluster.talos.version",
    value: version("cluster.talos.version"),
    cells: cells("-", "-", "X", "B"),
    reason: {
      "Talos/Docker": "Talos cannot upgrade inside a container; new node containers are created from the new image",
      "Talos/Hetzner": "nodes are upgraded to the new Talos image and rebooted one at a time",
    },
  },
  {
    field: "cluster.talos.iso",
    value: int("cluster.talos.iso", 125127),
    cells: HETZNER_ONLY("I"),
    reason: "the ISO is only used to provision new servers",
  },
  {
    field: "cluster.talos.schematicId",
    value: str("cluster.talos.schematicId"),
    cells: HETZNER_ONLY("B"),
    reason: "nodes are upgraded to the new Image Factory installer and rebooted one at a time; new servers boot the new image",
  },
  {
    field: "cluster.talos.extensions",
    value: set("cluster.talos.extensions"),
    cells: HETZNER_ONLY("B"),
    reason: "system extensions are part of the installer image; nodes are upgraded and rebooted one at a time",
  },
  {
    field: "cluster.talos.extraPortMappings",
    value: json("cluster.talos.extraPortMappings"),
    cells: cells("-", "-", "X", "-"),
    reason: "port mappings are fixed when a Docker container is created; the control-plane container (and its etcd) would be replaced",
  },
  {
    field: "cluster.talos.drainTimeout",
    value: str("cluster.talos.drainTimeout", "10m"),
    cells: cells("-", "-", "I", "I"),
    reason: "only affects how later node operations drain nodes",
  },
  {
    field: "cluster.talos.storageHealthTimeout",
    value: str("cluster.talos.storageHealthTimeout"),
    cells: cells("-", "-", "I", "I"),
    reason: "only affects the storage-health gate of later reboots",
  },
  // ── node-level configuration ─────────────────────────────────────────────────────────────
  {
    field: "cluster.cdi",
    value: toggle("cdi"),
    cells: cells("X", "-", "B", "B"),
    reason: {
      "Vanilla/Docker": "CDI is a containerd setting baked into Kind nodes at creation",
      "K3s/Docker": "CDI is not configurable on K3s",
      "*": "CDI is a containerd setting in the machine config; nodes reboot one at a time to apply it",
    },
  },
  {
    field: "cluster.imageVerification",
    value: str("cluster.imageVerification", "Disabled"),
    cells: cells("X", "X", "B", "B"),
    reason: {
      "Vanilla/Docker": "the image verifier is a containerd patch baked into Kind nodes at creation",
      "K3s/Docker": "the image verifier is a containerd template mounted into K3s containers at creation",
      "*": "image verification is containerd configuration in the machine config; nodes reboot one at a time",
    },
  },
  {
    field: "cluster.oidc",
    value: oidc("cluster.oidc"),
    cells: cells("X", "X", "I", "I"),
    reason: {
      "Vanilla/Docker": "API-server OIDC flags are set by kubeadm when the Kind cluster is created",
      "K3s/Docker": "API-server OIDC flags are arguments of the K3s server containers, fixed at creation",
      "*": "the API-server configuration in the machine config is applied without a reboot",
    },
  },
  {
    field: "cluster.localRegistry.registry",
    value: registry("cluster.localRegistry.registry"),
    cells: cells("X", "I", "I", "I"),
    reason: {
      "Vanilla/Docker": "Kind bakes the containerd registry configuration into nodes at creation",
      "K3s/Docker": "K3s registries.yaml is updated on the nodes",
      "*": "Talos applies machine.registries changes without a reboot",
    },
  },
  {
    field: "cluster.localRegistry.credentials",
    value: json("cluster.localRegistry.credentials"),
    cells: cells("X", "I", "I", "I"),
    reason: {
      "Vanilla/Docker": "registry credentials are part of the containerd configuration baked into Kind nodes",
      "*": "registry credentials are re-applied to the registry configuration without a reboot",
    },
  },
  {
    field: "cluster.vanilla.mirrorsDir",
    value: str("cluster.vanilla.mirrorsDir"),
    cells: cells("X", "-", "-", "-"),
    reason: "Kind containerd mirror configuration is mounted into nodes at cluster creation",
  },
  // ── components (Helm) ────────────────────────────────────────────────────────────────────
  {
    field: "cluster.cni",
    value: str("cluster.cni", "Default"),
    cells: ALL_IN_PLACE,
    reason: HELM("the CNI") + " (the old one is removed)",
    // Cilium ↔ Calico is a Helm switch; turning the distribution's own CNI on or off is node configuration.
    node: {
      value: (spec, combo) => (str("cluster.cni", "Default")(spec, combo) === "Default" ? "built-in" : "none"),
      cells: cells("X", "X", "B", "B"),
      reason: {
        "Vanilla/Docker": "the built-in kindnet is applied (or not) by the Kind nodes' kubeadm bootstrap at creation",
        "K3s/Docker": "flannel is switched by K3s server flags that must match on every server from creation",
        "*": "the machine config's cluster.network.cni changes; nodes reboot one at a time to clear the old CNI",
      },
    },
    note: "switching between Cilium and Calico is in place; turning the built-in CNI on or off is the `#node` class",
  },
  {
    field: "cluster.csi",
    value: toggle("csi"),
    cells: cells("I", "R", "I", "I"),
    reason: { "K3s/Docker": K3S_ADDON("local-storage"), "*": HELM("the CSI driver") },
  },
  {
    field: "cluster.metricsServer",
    value: toggle("metricsServer"),
    cells: cells("X", "R", "I", "I"),
    reason: {
      "Vanilla/Docker":
        "kubelet serving-certificate bootstrap (needed by metrics-server) is set in the Kind nodes' kubeadm configuration at creation",
      "K3s/Docker": K3S_ADDON("metrics-server"),
      "*": "kubelet serving-cert rotation and the approver are live machine-config changes; metrics-server is a Helm release",
    },
  },
  {
    field: "cluster.loadBalancer",
    value: toggle("loadBalancer"),
    cells: cells("I", "R", "I", "I"),
    reason: { "K3s/Docker": K3S_ADDON("servicelb"), "*": HELM("the load-balancer controller") },
  },
  { field: "cluster.certManager", value: str("cluster.certManager", "Disabled"), cells: ALL_IN_PLACE, reason: HELM("cert-manager") },
  {
    field: "cluster.policyEngine",
    value: str("cluster.policyEngine", "None"),
    cells: ALL_IN_PLACE,
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
    cells: ALL_IN_PLACE,
    reason: AUTOSCALER,
  },
  {
    field: "cluster.autoscaler.node.expander",
    value: list("cluster.autoscaler.node.expander", "LeastWaste"),
    cells: ALL_IN_PLACE,
    reason: AUTOSCALER,
  },
  {
    field: "cluster.autoscaler.node.scaleDownUnneededTime",
    value: str("cluster.autoscaler.node.scaleDownUnneededTime"),
    cells: ALL_IN_PLACE,
    reason: AUTOSCALER,
  },
  {
    field: "cluster.autoscaler.node.scaleDownUtilizationThreshold",
    value: str("cluster.autoscaler.node.scaleDownUtilizationThreshold"),
    cells: ALL_IN_PLACE,
    reason: AUTOSCALER,
  },
  {
    field: "cluster.autoscaler.node.capacityBuffers",
    value: bool("cluster.autoscaler.node.capacityBuffers", false),
    cells: ALL_IN_PLACE,
    reason: AUTOSCALER,
  },
  {
    field: "cluster.autoscaler.node.ignoreDaemonsetsUtilization",
    value: bool("cluster.autoscaler.node.ignoreDaemonsetsUtilization", false),
    cells: ALL_IN_PLACE,
    reason: AUTOSCALER,
  },
  {
    field: "cluster.autoscaler.node.skipNodesWithLocalStorage",
    value: bool("cluster.autoscaler.node.skipNodesWithLocalStorage", true),
    cells: ALL_IN_PLACE,
    reason: AUTOSCALER,
  },
  {
    field: "cluster.autoscaler.node.skipNodesWithSystemPods",
    value: bool("cluster.autoscaler.node.skipNodesWithSystemPods", true),
    cells: ALL_IN_PLACE,
    reason: AUTOSCALER,
  },
  {
    field: "cluster.autoscaler.node.pools",
    value: json("cluster.autoscaler.node.pools"),
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
  // ── Hetzner infrastructure ───────────────────────────────────────────────────────────────
  {
    field: "provider.hetzner.location",
    value: str("provider.hetzner.location", "fsn1"),
    cells: HETZNER_ONLY("X"),
    reason: "servers cannot move to another datacenter location",
  },
  {
    field: "provider.hetzner.networkName",
    value: str("provider.hetzner.networkName"),
    cells: HETZNER_ONLY("X"),
    reason: "servers cannot migrate between private networks",
  },
  {
    field: "provider.hetzner.networkCidr",
    value: str("provider.hetzner.networkCidr", "10.0.0.0/16"),
    cells: HETZNER_ONLY("X"),
    reason: "the network range is fixed (ForceNew) and node addresses and certificates depend on it",
  },
  {
    field: "provider.hetzner.sshKeyName",
    value: str("provider.hetzner.sshKeyName"),
    cells: HETZNER_ONLY("I"),
    reason: "only new servers get the key; existing servers are never replaced for it",
  },
  {
    field: "provider.hetzner.controlPlaneServerType",
    value: str("provider.hetzner.controlPlaneServerType", "cx23"),
    cells: HETZNER_ONLY("B"),
    reason: `existing control-plane servers are resized one at a time (${RESIZE})`,
    refine: serverTypeRefine("cluster.controlPlanes", 1, "control-plane"),
    note: "in-place when the role keeps no nodes",
  },
  {
    field: "provider.hetzner.workerServerType",
    value: str("provider.hetzner.workerServerType", "cx23"),
    cells: HETZNER_ONLY("B"),
    reason: `existing worker servers are resized one at a time (${RESIZE})`,
    refine: serverTypeRefine("cluster.workers", 0, "worker"),
    note: "in-place when the role keeps no nodes (no workers before or after)",
  },
  {
    field: "provider.hetzner.ingressFirewall",
    value: str("provider.hetzner.ingressFirewall", "Enabled"),
    cells: HETZNER_ONLY("I"),
    reason: "firewall rules are Talos machine-config patches applied without a reboot",
  },
  {
    field: "provider.hetzner.allowedCidrs",
    value: set("provider.hetzner.allowedCidrs"),
    cells: HETZNER_ONLY("I"),
    reason: "firewall rules are updated in place",
  },
  {
    field: "provider.hetzner.placementGroupStrategy",
    value: str("provider.hetzner.placementGroupStrategy", "Spread"),
    cells: HETZNER_ONLY("X"),
    reason: "hcloud cannot move a running server into or out of a placement group; the servers would be replaced",
  },
  {
    field: "provider.hetzner.placementGroup",
    value: str("provider.hetzner.placementGroup"),
    cells: HETZNER_ONLY("X"),
    reason: "hcloud cannot move a running server into or out of a placement group; the servers would be replaced",
  },
  {
    field: "provider.hetzner.placementGroupFallbackToNone",
    value: bool("provider.hetzner.placementGroupFallbackToNone", false),
    cells: HETZNER_ONLY("I"),
    reason: "only used when new servers are created",
  },
  {
    field: "provider.hetzner.fallbackLocations",
    value: list("provider.hetzner.fallbackLocations", "nbg1,hel1"),
    cells: HETZNER_ONLY("I"),
    reason: "only used when new servers are created",
  },
  {
    field: "provider.hetzner.floatingIPEnabled",
    value: bool("provider.hetzner.floatingIPEnabled", false),
    cells: HETZNER_ONLY("I"),
    reason: "the API endpoint moves; machine configs (certificate SANs, endpoint) are re-applied without a reboot",
  },
  {
    field: "provider.hetzner.floatingIPLocation",
    value: strOr("provider.hetzner.floatingIPLocation", str("provider.hetzner.location", "fsn1")),
    cells: HETZNER_ONLY("I"),
    reason: "the floating IP is re-created and the endpoint re-applied without a reboot",
  },
  ...(["controlPlanePublicIPv4", "controlPlanePublicIPv6", "workerPublicIPv4", "workerPublicIPv6"] as const).map((f): ImpactRule => ({
    field: `provider.hetzner.${f}`,
    value: bool(`provider.hetzner.${f}`, true),
    cells: HETZNER_ONLY("B"),
    reason: "hcloud powers a server off to change its public network; servers are changed one at a time",
  })),
];

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
  "provider.omni": "Omni is not supported by this package",
  "provider.aws": "AWS is not supported by this package",
  "provider.gcp": "GCP is not supported by this package",
  "provider.azure": "Azure is not supported by this package",
  "provider.kubernetes": "nested clusters are not supported by this package",
  "workload.sourceDirectory": "a local directory pushed as an artifact; not part of the cluster",
  "workload.validateOnPush": "local push behaviour",
  "workload.watch": "local tooling",
  "workload.validation": "local tooling",
  "workload.scan": "local tooling",
  editor: "local tooling",
  chat: "local tooling",
};

/** The reason text of a rule for a combination. */
export function reasonOf(rule: Pick<ImpactRule, "reason">, combo: Combo): string {
  if (typeof rule.reason === "string") return rule.reason;
  return rule.reason[combo] ?? rule.reason["*"] ?? "";
}

/** The rule covering a spec path (exact or ancestor), if any. */
export function ruleFor(path: string): ImpactRule | undefined {
  return IMPACT_TABLE.find((r) => (r.paths ?? [r.field]).some((p) => path === p || path.startsWith(`${p}.`)));
}
