/** Impact rows of the cluster's identity, its nodes and versions, and configuration baked into the nodes. */
import { DEFAULT_TALOS_ISO } from "../../config/defaults";
import { cells, HETZNER_ONLY, type ImpactRule, type Refine } from "../rule";
import { int, json, oidc, registry, set, str, toggle, version } from "../values";
import { compareTalosVersions, DEFAULT_TALOS_VERSION, sameTalosMinor } from "../../distributions/talos/versions";
import type { Combo } from "../types";
import type { SpecLike } from "../values";

/** The Talos version nodes really run: an unpinned spec follows the library's default. */
function talosVersionOf(spec: SpecLike, combo: Combo): string {
  const v = version("cluster.talos.version")(spec, combo);
  return v === "" ? DEFAULT_TALOS_VERSION : v;
}

/**
 * On Hetzner a lower Talos version is no upgrade: within a minor the nodes are downgraded one at a time; across
 * minors every TalosMachine refuses it in its check (preview and up fail before anything changes), so the row says so instead of "upgraded".
 */
const talosDowngrade: Refine = (old, next, combo) => {
  if (combo !== "Talos/Hetzner") return undefined;
  const from = talosVersionOf(old, combo);
  const to = talosVersionOf(next, combo);
  if (compareTalosVersions(to, from) >= 0) return undefined;
  if (sameTalosMinor(from, to))
    return {
      category: "reboot-required",
      reason: "a DOWNGRADE within the minor: nodes install the older Talos image and reboot one at a time",
    };
  const [a, b] = [from, to].map((v) => v.replace(/^v/, "").split(".").slice(0, 2).join("."));
  return {
    category: "reboot-required",
    reason: `a DOWNGRADE across Talos minors (${a} to ${b}): every TalosMachine refuses it (preview and up fail before any node changes); pin a ${a}.x release, or recreate the cluster on ${b}`,
  };
};

export const CLUSTER_RULES: readonly ImpactRule[] = [
  // ── identity of the cluster ──────────────────────────────────────────────────────────────
  {
    field: "cluster.distribution",
    value: str("cluster.distribution", "Vanilla"),
    cells: cells("X", "X", "X", "X", "X", "X", "X", "X", "X"),
    reason: "changing the Kubernetes distribution requires cluster recreation",
  },
  {
    field: "cluster.provider",
    value: str("cluster.provider", "Docker"),
    cells: cells("X", "X", "X", "X", "X", "X", "X", "X", "X"),
    reason: "changing the infrastructure provider requires cluster recreation",
  },
  // ── nodes and versions ───────────────────────────────────────────────────────────────────
  {
    field: "cluster.controlPlanes",
    value: int("cluster.controlPlanes", 1),
    cells: cells("X", "X", "I", "I", "I", "I", "X", "X", "X"),
    reason: {
      "Vanilla/Docker": "Kind cannot add or remove nodes after creation (KSail silently ignores this change)",
      "K3s/Docker": "K3s server (control-plane) nodes cannot be added or removed after creation",
      "K3s/Kubernetes": "k3k scales the Cluster's server pods (its CRD allows any count of at least one); the nested cluster stays",
      "VCluster/Kubernetes":
        "the vCluster control plane's replica count and backing store (embedded SQLite for one, embedded etcd for several) are fixed at creation",
      "VCluster/Docker": "vCluster's Docker driver runs one control-plane container, created with the cluster",
      "KWOK/Docker": "a KWOK cluster has one etcd and one API server (kwokctl's docker runtime), fixed at creation",
      "KWOK/Kubernetes": "a KWOK cluster has one etcd and one API server (one control-plane pod), fixed at creation",
      "Talos/Omni":
        "the control-plane machine set gains or loses a machine through template sync: Omni joins it to etcd, or removes it from etcd and wipes it",
      "*": "control-plane nodes are added, or leave etcd and are removed, one at a time",
    },
  },
  {
    field: "cluster.workers",
    value: int("cluster.workers", 0),
    cells: cells("X", "I", "I", "I", "I", "I", "-", "-", "-"),
    reason: {
      "Vanilla/Docker": "Kind cannot add or remove nodes after creation (KSail silently ignores this change)",
      "K3s/Docker": "K3s agent (worker) nodes are added or removed",
      "K3s/Kubernetes": "k3k scales the Cluster's agent pods",
      "Talos/Omni":
        "the worker machine set gains or loses a machine through template sync; Omni wipes a removed machine and returns it to the pool",
      "*": "worker nodes are added, or drained and removed",
    },
  },
  {
    field: "cluster.kubernetesVersion",
    value: version("cluster.kubernetesVersion"),
    cells: cells("X", "X", "I", "I", "I", "R", "X", "X", "X"),
    reason: {
      "Vanilla/Docker": "the Kubernetes version is the kindest/node image; a new image means new nodes",
      "K3s/Docker": "the Kubernetes version is the rancher/k3s image; a new image means new nodes",
      "K3s/Kubernetes": "the Cluster's rancher/k3s tag changes; k3k rolls its server and agent pods to the new image",
      "VCluster/Kubernetes":
        "the vCluster control plane runs the new Kubernetes image in a new pod; as KSail treats it, the nested cluster is created again",
      "VCluster/Docker":
        "the Kubernetes binaries are staged from the new release's image and installed by the standalone installer at create; as KSail treats it, the cluster is created again",
      "KWOK/Docker":
        "every component container runs the new release's image (etcd's by the minor); etcd keeps its data in its container, so the cluster is created again",
      "KWOK/Kubernetes":
        "the control-plane pod runs the new release's images (etcd's by the minor); as on Docker the nested cluster is created again (its namespace is replaced)",
      "Talos/Omni":
        "Omni upgrades the Kubernetes components without a reboot (when provider.omni.kubernetesVersion is empty); it accepts one minor version per change",
      "*": "the machine config is re-rendered and Kubernetes components are upgraded without a reboot",
    },
  },
  {
    field: "cluster.talos.version",
    // The version nodes really run: an unpinned spec follows the library's default, so bumping that default is a
    // visible change of this row (Docker: the cluster is recreated coherently, not half of it; Hetzner: upgrades).
    value: talosVersionOf,
    cells: cells("-", "-", "X", "B", "B", "-", "-", "-", "-"),
    refine: talosDowngrade,
    reason: {
      "Talos/Docker": "Talos cannot upgrade inside a container; new node containers are created from the new image",
      "Talos/Hetzner": "nodes are upgraded to the new Talos image and rebooted one at a time",
      "Talos/Omni":
        "Omni upgrades the machines to the new Talos version and reboots them one at a time (when provider.omni.talosVersion is empty); it refuses minor downgrades",
    },
  },
  {
    field: "cluster.talos.iso",
    value: int("cluster.talos.iso", DEFAULT_TALOS_ISO),
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
    cells: cells("-", "-", "X", "-", "-", "-", "-", "-", "-", "-", "-"),
    reason: "port mappings are fixed when a Docker container is created; the control-plane container (and its etcd) would be replaced",
  },
  {
    field: "cluster.talos.drainTimeout",
    value: str("cluster.talos.drainTimeout", "10m"),
    cells: cells("-", "-", "I", "I", "-", "-", "-", "-", "-"),
    reason: "only affects how later node operations drain nodes",
  },
  {
    field: "cluster.talos.storageHealthTimeout",
    value: str("cluster.talos.storageHealthTimeout"),
    cells: cells("-", "-", "I", "I", "-", "-", "-", "-", "-"),
    reason: "only affects the storage-health gate of later reboots",
  },
  // ── node-level configuration ─────────────────────────────────────────────────────────────
  {
    field: "cluster.cdi",
    value: toggle("cdi"),
    cells: cells("X", "-", "B", "B", "-", "-", "-", "-", "-"),
    reason: {
      "Vanilla/Docker": "CDI is a containerd setting baked into Kind nodes at creation",
      "K3s/Docker": "CDI is not configurable on K3s",
      "*": "CDI is a containerd setting in the machine config; nodes reboot one at a time to apply it",
    },
  },
  {
    field: "cluster.imageVerification",
    value: str("cluster.imageVerification", "Disabled"),
    cells: cells("X", "X", "B", "B", "-", "-", "-", "-", "-"),
    reason: {
      "Vanilla/Docker": "containerd's image verifier is switched on by each Kind node's bootstrap, at creation",
      "K3s/Docker":
        "not available on K3s (validation refuses Enabled); switching it off again is a change of what the nodes were created with",
      // Talos reconciles the ImageVerificationConfig document live (the patch classifier says so), but switching the
      // feature is announced as a rolling reboot until a real Talos node confirms it: a preview never understates.
      "*": "image verification is an ImageVerificationConfig document in the machine config; announced as a rolling reboot until confirmed live on a real node",
    },
  },
  {
    field: "cluster.oidc",
    value: oidc("cluster.oidc"),
    cells: cells("X", "X", "I", "I", "-", "-", "-", "-", "-"),
    reason: {
      "Vanilla/Docker": "API-server OIDC flags are set by kubeadm when the Kind cluster is created",
      "K3s/Docker": "API-server OIDC flags are arguments of the K3s server containers, fixed at creation",
      "*": "the API-server configuration in the machine config is applied without a reboot",
    },
  },
  {
    field: "cluster.localRegistry.registry",
    value: registry("cluster.localRegistry.registry"),
    cells: cells("X", "I", "I", "I", "I", "I", "I", "I", "I"),
    reason: {
      "Vanilla/Docker": "Kind bakes the containerd registry configuration into nodes at creation",
      "K3s/Docker": "K3s registries.yaml is updated on the nodes",
      "K3s/Kubernetes": "the registry must be external on a host cluster; only the GitOps configuration is updated",
      "VCluster/Kubernetes": "the registry must be external on a host cluster; only the GitOps configuration is updated",
      "VCluster/Docker":
        "the registry must be external (no local registry is wired into the vCluster's nodes); only the GitOps configuration is updated",
      "KWOK/Docker": "simulated nodes pull nothing; only the GitOps configuration is updated",
      "KWOK/Kubernetes": "simulated nodes pull nothing; only the GitOps configuration is updated",
      "Talos/Omni": "on Omni the registry is only the GitOps source (it must be external); the GitOps configuration is updated",
      "*": "Talos applies machine.registries changes without a reboot",
    },
  },
  {
    field: "cluster.localRegistry.credentials",
    value: json("cluster.localRegistry.credentials"),
    cells: cells("X", "I", "I", "I", "I", "I", "I", "I", "I"),
    reason: {
      "Vanilla/Docker": "registry credentials are part of the containerd configuration baked into Kind nodes",
      "Talos/Omni": "the GitOps engine's pull secret is updated",
      "K3s/Kubernetes": "the GitOps engine's pull secret is updated",
      "VCluster/Kubernetes": "the GitOps engine's pull secret is updated",
      "KWOK/Docker": "the GitOps engine's pull secret is updated",
      "KWOK/Kubernetes": "the GitOps engine's pull secret is updated",
      "*": "registry credentials are re-applied to the registry configuration without a reboot",
    },
  },
  {
    field: "cluster.vanilla.mirrorsDir",
    value: str("cluster.vanilla.mirrorsDir"),
    cells: cells("X", "-", "-", "-", "-", "-", "-", "-", "-", "-"),
    reason: {
      "Vanilla/Docker": "Kind containerd mirror configuration is mounted into nodes at cluster creation",
      "*": "no pull-through mirrors run beside a nested cluster's nodes (refused)",
    },
  },
];
