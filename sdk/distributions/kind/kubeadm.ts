import * as YAML from "yaml";
import { KsailError } from "../../errors";
import type { NodeRole } from "../roles";

/**
 * kubeadm configuration for Kind node images, following the steps of kind v0.32.0 (pkg/cluster/internal/kubeadm),
 * re-implemented from its described behaviour with three deliberate differences: the bootstrap token is the
 * pre-shared one from ClusterSecrets with an explicit TTL, joins pin the CA by hash instead of skipping
 * verification, and each node gets only the documents its own step reads (init or join).
 */
export const KIND_VERSION = "v0.32.0";

/** Kubernetes `v1.36.1` → `{ major: 1, minor: 36 }`. */
export function parseKubernetesVersion(version: string): { major: number; minor: number; patch: number } {
  const m = /^v?(\d+)\.(\d+)\.(\d+)/.exec(version);
  if (!m)
    throw new KsailError([
      {
        path: "spec.cluster.kubernetesVersion",
        message: `"${version}" is not a Kubernetes version; write it as v1.36.1`,
      },
    ]);
  return { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]) };
}

/** kubeadm API version kind uses for a Kubernetes version: v1beta4 from 1.36, v1beta3 for 1.23–1.35. */
export function kubeadmApiVersion(kubernetesVersion: string): "kubeadm.k8s.io/v1beta3" | "kubeadm.k8s.io/v1beta4" {
  const v = parseKubernetesVersion(kubernetesVersion);
  if (v.major !== 1 || v.minor < 23)
    throw new KsailError([
      {
        path: "spec.cluster.kubernetesVersion",
        message: `${kubernetesVersion} is older than the oldest supported Kind node image (v1.23); use kindest/node v1.23 or newer`,
      },
    ]);
  return v.minor >= 36 ? "kubeadm.k8s.io/v1beta4" : "kubeadm.k8s.io/v1beta3";
}

/** Node-specific part of the kubeadm config. */
export interface KubeadmNode {
  readonly name: string;
  readonly ip: string;
  readonly role: NodeRole;
  /** True on the first control plane only: it runs `kubeadm init`. */
  readonly init: boolean;
}

export interface KubeadmConfigInput {
  readonly clusterName: string;
  readonly kubernetesVersion: string;
  /** `<lb or first control plane name>:6443`. */
  readonly controlPlaneEndpoint: string;
  /** Extra API server certificate SANs (localhost and 127.0.0.1 are always added). */
  readonly certSANs?: readonly string[];
  readonly podSubnet: string;
  readonly serviceSubnet: string;
  /** `[a-z0-9]{6}.[a-z0-9]{16}`, pre-shared. */
  readonly bootstrapToken: string;
  /** Token lifetime, e.g. `0s` (never expires: nodes may be added at any later time) or `24h0m0s`. */
  readonly tokenTtl?: string;
  /** `sha256:<hex>` of the CA's SubjectPublicKeyInfo. */
  readonly caCertHash: string;
  /** Remove the control-plane taint (clusters without workers). */
  readonly schedulableControlPlanes: boolean;
  /** Extra API server arguments (e.g. OIDC), applied in place of nothing else. */
  readonly apiServerExtraArgs?: Readonly<Record<string, string>>;
  readonly node: KubeadmNode;
}

const TOKEN_RE = /^[a-z0-9]{6}\.[a-z0-9]{16}$/;
const HASH_RE = /^sha256:[0-9a-f]{64}$/;

/** The kubeadm config documents for one node, as objects (YAML text via `renderKubeadmConfig`). */
export function kubeadmConfigDocuments(input: KubeadmConfigInput): Record<string, unknown>[] {
  const apiVersion = kubeadmApiVersion(input.kubernetesVersion);
  const beta4 = apiVersion.endsWith("v1beta4");
  if (!TOKEN_RE.test(input.bootstrapToken))
    throw new KsailError([{ path: "pki.bootstrapToken", message: "is not a kubeadm token [a-z0-9]{6}.[a-z0-9]{16}" }]);
  if (!HASH_RE.test(input.caCertHash))
    throw new KsailError([{ path: "pki.caCertHash", message: `"${input.caCertHash}" is not sha256:<64 hex digits>` }]);
  // v1beta4 writes argument maps as lists of {name, value}; older versions as maps.
  const args = (m: Record<string, string>) => (beta4 ? Object.entries(m).map(([name, value]) => ({ name, value })) : { ...m });
  const { node } = input;
  const kubeletArgs: Record<string, string> = {
    "node-ip": node.ip,
    "provider-id": `kind://docker/${input.clusterName}/${node.name}`,
  };
  const taints = node.role === "control-plane" && input.schedulableControlPlanes ? { taints: [] as unknown[] } : {};
  const nodeRegistration = {
    name: node.name,
    criSocket: "unix:///run/containerd/containerd.sock",
    kubeletExtraArgs: args(kubeletArgs),
    ...taints,
  };
  const version = input.kubernetesVersion.startsWith("v") ? input.kubernetesVersion : `v${input.kubernetesVersion}`;

  const cluster = {
    apiVersion,
    kind: "ClusterConfiguration",
    clusterName: input.clusterName,
    kubernetesVersion: version,
    controlPlaneEndpoint: input.controlPlaneEndpoint,
    apiServer: {
      certSANs: [...new Set(["localhost", "127.0.0.1", ...(input.certSANs ?? [])])],
      extraArgs: args({ ...(input.apiServerExtraArgs ?? {}) }),
    },
    controllerManager: { extraArgs: args({ "enable-hostpath-provisioner": "true" }) },
    scheduler: { extraArgs: args({}) },
    networking: { podSubnet: input.podSubnet, serviceSubnet: input.serviceSubnet },
  };
  const docs: Record<string, unknown>[] = [cluster];
  if (node.init) {
    docs.push({
      apiVersion,
      kind: "InitConfiguration",
      bootstrapTokens: [
        {
          token: input.bootstrapToken,
          ttl: input.tokenTtl ?? "0s",
          groups: ["system:bootstrappers:kubeadm:default-node-token"],
          usages: ["signing", "authentication"],
        },
      ],
      localAPIEndpoint: { advertiseAddress: node.ip, bindPort: 6443 },
      nodeRegistration,
      skipPhases: ["preflight"],
    });
  } else {
    docs.push({
      apiVersion,
      kind: "JoinConfiguration",
      ...(node.role === "control-plane" ? { controlPlane: { localAPIEndpoint: { advertiseAddress: node.ip, bindPort: 6443 } } } : {}),
      nodeRegistration,
      discovery: {
        bootstrapToken: {
          apiServerEndpoint: input.controlPlaneEndpoint,
          token: input.bootstrapToken,
          caCertHashes: [input.caCertHash],
        },
      },
      skipPhases: ["preflight"],
    });
  }
  docs.push({
    apiVersion: "kubelet.config.k8s.io/v1beta1",
    kind: "KubeletConfiguration",
    cgroupDriver: "systemd",
    cgroupRoot: "/kubelet",
    failSwapOn: false,
    imageGCHighThresholdPercent: 100,
    evictionHard: { "nodefs.available": "0%", "nodefs.inodesFree": "0%", "imagefs.available": "0%" },
    // Always: kubelets get serving certificates from the cluster CA (approved by kubelet-csr-approver), so
    // metrics-server verifies kubelet TLS and can be switched on or off without touching a node (KSail sets this
    // only with metrics-server, which bakes the switch into the nodes).
    serverTLSBootstrap: true,
  });
  docs.push({
    apiVersion: "kubeproxy.config.k8s.io/v1alpha1",
    kind: "KubeProxyConfiguration",
    mode: "iptables",
    iptables: { minSyncPeriod: "1s" },
    conntrack: { maxPerCore: 0 },
  });
  return docs;
}

/** The multi-document YAML written to `/kind/kubeadm.conf` on one node. */
export function renderKubeadmConfig(input: KubeadmConfigInput): string {
  return kubeadmConfigDocuments(input)
    .map((d) => YAML.stringify(d, { lineWidth: 0 }))
    .join("---\n");
}
