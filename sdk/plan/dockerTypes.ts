/** The shapes of the Docker plan (docker.ts builds it): nodes, mirrors, the local registry, the load balancer, add-ons. */
import type { SupportedCombination } from "../config/support";
import type { NodeRole } from "../distributions/roles";

/** Distributions the Docker provider runs. */
/** The node-container distributions of the Docker plan (KWOK and VCluster on Docker have their own: sdk/plan/kwok.ts, vind.ts). */
export type DockerDistribution = Exclude<Extract<SupportedCombination, { provider: "Docker" }>["distribution"], "KWOK" | "VCluster">;

/** One node container. */
export interface DockerNodePlan {
  /** Container name = hostname = Kubernetes node name, `<cluster>-control-plane-<n>` / `<cluster>-worker-<n>`. */
  readonly name: string;
  readonly role: NodeRole;
  /** 1-based index within its role. */
  readonly index: number;
  /** Static IPv4 address on the cluster network. */
  readonly ip: string;
}

/** A pull-through mirror container (`registry:3` with `REGISTRY_PROXY_REMOTEURL`). */
export interface DockerMirrorPlan {
  /** Registry host it mirrors, e.g. `docker.io`. */
  readonly host: string;
  /** Upstream URL, e.g. `https://registry-1.docker.io`. */
  readonly upstream: string;
  /** Container name (also its DNS name on the cluster network): `<cluster>-<host with / and : as ->`. */
  readonly containerName: string;
  /** Cache volume, shared by clusters on this host: `ksail-mirror-<sanitized host>`. */
  readonly volumeName: string;
  /** Static IPv4 address on the cluster network (counting down from .250). */
  readonly ip: string;
  /** Endpoint the nodes pull through: `http://<containerName>:5000`. */
  readonly endpoint: string;
}

/** The local OCI registry (`registry:3`). */
export interface DockerLocalRegistryPlan {
  readonly containerName: string;
  readonly volumeName: string;
  /** Published on 127.0.0.1 at this port. */
  readonly hostPort: number;
  readonly ip: string;
  /** In-network endpoint `http://<containerName>:5000`. */
  readonly endpoint: string;
}

/** The API load balancer in front of several Kind control planes (envoy) or K3s servers (k3d's proxy). */
export interface DockerLoadBalancerPlan {
  readonly name: string;
  readonly ip: string;
  readonly image: string;
}

/** Which bundled add-ons stay on (K3s `--disable`, Kind default CNI/storage). */
export interface DockerAddons {
  /** CNI: "Default" keeps the distribution's own (kindnet / flannel); Cilium or Calico disable it. */
  readonly cni: "Default" | "Cilium" | "Calico";
  /** Effective metrics-server (K3s ships one; Kind: kubelet serving certs are bootstrapped for it). */
  readonly metricsServer: boolean;
  /** Effective storage (K3s local-storage). */
  readonly csi: boolean;
  /** Effective LoadBalancer (K3s servicelb). */
  readonly loadBalancer: boolean;
}

export interface DockerClusterPlan {
  readonly distribution: DockerDistribution;
  readonly clusterName: string;
  /** Node image, e.g. `ghcr.io/siderolabs/talos:v1.12.4`, `rancher/k3s:v1.36.2-k3s1`, `kindest/node:v1.36.1`. */
  readonly image: string;
  /** Kubernetes version the nodes run (`v1.36.1`); decides the kubeadm API version for Kind. */
  readonly kubernetesVersion: string;
  readonly nodes: readonly DockerNodePlan[];
  readonly network: {
    readonly name: string;
    readonly cidr: string;
    readonly gateway: string;
    readonly mtu: number;
  };
  /** Host port (127.0.0.1) of the Kubernetes API. */
  readonly apiHostPort: number;
  /**
   * Address the Kubernetes API is published on; absent = 127.0.0.1. A cluster inside a Docker-in-Docker pod
   * publishes it on every address of the pod (`0.0.0.0`), where the host's API front reaches it.
   */
  readonly apiPublishAddress?: string;
  /** Host port (127.0.0.1) of the Talos apid on the first control plane (Talos only). */
  readonly talosApiHostPort?: number;
  /** Extra `hostPort:containerPort/proto` mappings on the first control plane. */
  readonly extraPorts: readonly {
    readonly hostPort: number;
    readonly containerPort: number;
    readonly protocol: "tcp" | "udp";
  }[];
  readonly mirrors: readonly DockerMirrorPlan[];
  readonly localRegistry?: DockerLocalRegistryPlan;
  /** Present for Kind and K3s with more than one control plane. */
  readonly loadBalancer?: DockerLoadBalancerPlan;
  readonly addons: DockerAddons;
  /** Pod and service CIDRs (Kind kubeadm / K3s flags). */
  readonly podSubnet: string;
  readonly serviceSubnet: string;
  /** kube-apiserver arguments (Kind, K3s), e.g. OIDC; absent when there are none. */
  readonly apiServerArgs?: Readonly<Record<string, string>>;
  /** K3s only: extra k3s arguments per role, from the k3d.yaml; absent when there are none. */
  readonly k3sExtraArgs?: { readonly server: readonly string[]; readonly agent: readonly string[] };
  /** Vanilla only: containerd's image-verifier plugin is switched on in every node; absent when it is off. */
  readonly imageVerification?: true;
  /** Per-node CPU count and memory (MiB); Talos sets TALOSSKU from them. */
  readonly resources: { readonly cpus: number; readonly memoryMiB: number };
}

/** Mirror as the spec gives it (`host[=upstream]`), parsed. Credentials travel separately as secrets. */
export interface DockerMirrorInput {
  readonly host: string;
  readonly upstream?: string;
}

export interface DockerPlanInput {
  readonly distribution: DockerDistribution;
  readonly clusterName: string;
  readonly controlPlanes: number;
  readonly workers: number;
  /** Node image; default per distribution (see DEFAULT_IMAGES). */
  readonly image?: string;
  /** Kubernetes version; default: parsed from the Kind image tag, or per distribution. */
  readonly kubernetesVersion?: string;
  /** Network CIDR (IPv4, prefix ≤ 24 bits… i.e. /24 or larger). Default: Talos 10.5.0.0/24, others per cluster name. */
  readonly networkCidr?: string;
  /** Network name; default: Talos `<cluster>`, Kind/K3s `<cluster>-network`. */
  readonly networkName?: string;
  /** MTU; default 1500. */
  readonly mtu?: number;
  /** API host port; default allocated from the cluster name. */
  readonly apiHostPort?: number;
  /** Address the API is published on; default 127.0.0.1. */
  readonly apiPublishAddress?: string;
  /** Talos apid host port; default allocated from the cluster name. */
  readonly talosApiHostPort?: number;
  /** Extra port mappings on the first control plane, `hostPort:containerPort[/proto]`. */
  readonly extraPortMappings?: readonly string[];
  /** Mirrors; `undefined` = the four defaults, `[]` = none. */
  readonly mirrors?: readonly DockerMirrorInput[];
  /** Local registry host port; `undefined` = no local registry. */
  readonly localRegistryPort?: number;
  readonly addons?: Partial<DockerAddons>;
  readonly podSubnet?: string;
  readonly serviceSubnet?: string;
  /** kube-apiserver arguments (Kind, K3s), e.g. OIDC. Recreates the cluster. @default none */
  readonly apiServerArgs?: Readonly<Record<string, string>>;
  /** K3s only: extra k3s arguments on every server / agent (k3d.yaml `options.k3s`). Recreates the cluster. @default none */
  readonly k3sExtraArgs?: { readonly server: readonly string[]; readonly agent: readonly string[] };
  /**
   * Vanilla: containerd's image-verifier bindir plugin in every node (verifiers in /opt/image-verifier/bin of the
   * node image; kindest/node v1.35.1 or newer, containerd 2.x). K3s: refused (not supported). Recreates the cluster.
   * @default false
   */
  readonly imageVerification?: boolean;
  readonly resources?: { readonly cpus?: number; readonly memoryMiB?: number };
}
