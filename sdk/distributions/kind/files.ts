import type { KubeadmPki } from "../../pki/types";
import { KIND_PATHS, renderBootstrapDropIn, renderBootstrapScript, renderBootstrapUnit } from "./bootstrap";
import { containerdServer, hostsTomlPath, renderHostsToml } from "./containerd";
import { renderKubeadmConfig } from "./kubeadm";
import type { NodeRole } from "../roles";

/** One file uploaded into a node before it starts. */
export interface NodeFile {
  readonly path: string;
  readonly content: string;
  /** Octal permissions, e.g. "0600" for keys. */
  readonly permissions: string;
  /** True when the content holds key material or a token. */
  readonly secret: boolean;
}

export interface KindClusterFacts {
  readonly clusterName: string;
  readonly kubernetesVersion: string;
  /** `<lb or first control plane>:6443`. */
  readonly controlPlaneEndpoint: string;
  readonly certSANs: readonly string[];
  readonly podSubnet: string;
  readonly serviceSubnet: string;
  readonly schedulableControlPlanes: boolean;
  /** containerd's image-verifier plugin on (see renderBootstrapScript). */
  readonly imageVerification?: boolean;
  readonly tokenTtl?: string;
  readonly apiServerExtraArgs?: Readonly<Record<string, string>>;
  /** Registry hosts → hosts.toml content inputs. */
  readonly registries: readonly {
    readonly host: string;
    readonly server: string;
    readonly mirrors: readonly string[];
  }[];
}

/** The CA set kubeadm accepts pre-placed; only control planes get it (kubeadm HA guide, manual distribution). */
export function kindPkiFiles(pki: KubeadmPki): NodeFile[] {
  const p = KIND_PATHS.pki;
  const f = (path: string, content: string, secret: boolean): NodeFile => ({
    path: `${p}/${path}`,
    content,
    permissions: secret ? "0600" : "0644",
    secret,
  });
  return [
    f("ca.crt", pki.ca.cert, false),
    f("ca.key", pki.ca.key, true),
    f("front-proxy-ca.crt", pki.frontProxyCa.cert, false),
    f("front-proxy-ca.key", pki.frontProxyCa.key, true),
    f("etcd/ca.crt", pki.etcdCa.cert, false),
    f("etcd/ca.key", pki.etcdCa.key, true),
    f("sa.key", pki.serviceAccount.key, true),
    f("sa.pub", pki.serviceAccount.pub, false),
  ];
}

/** Mirror/registry entries for `KindClusterFacts.registries` from upstream mirrors and an optional local registry. */
export function kindRegistries(
  mirrors: readonly { host: string; upstream: string; endpoint: string }[],
  localRegistry?: { containerName: string; hostPort: number; endpoint: string },
): KindClusterFacts["registries"] {
  const out: { host: string; server: string; mirrors: string[] }[] = mirrors.map((m) => ({
    host: m.host,
    server: containerdServer(m.host, m.upstream),
    mirrors: [m.endpoint],
  }));
  if (localRegistry) {
    out.push({
      host: `localhost:${localRegistry.hostPort}`,
      server: localRegistry.endpoint,
      mirrors: [localRegistry.endpoint],
    });
    out.push({
      host: `${localRegistry.containerName}:5000`,
      server: localRegistry.endpoint,
      mirrors: [localRegistry.endpoint],
    });
  }
  return out;
}

/**
 * Every file one Kind node gets: kubeadm config (holds the bootstrap token: secret), bootstrap script, unit and
 * drop-in, containerd hosts files, and on control planes the CA set.
 */
export function kindNodeFiles(
  facts: KindClusterFacts,
  node: { name: string; ip: string; role: NodeRole; init: boolean },
  pki: KubeadmPki,
): NodeFile[] {
  const files: NodeFile[] = [
    {
      path: KIND_PATHS.kubeadmConfig,
      content: renderKubeadmConfig({
        clusterName: facts.clusterName,
        kubernetesVersion: facts.kubernetesVersion,
        controlPlaneEndpoint: facts.controlPlaneEndpoint,
        certSANs: facts.certSANs,
        podSubnet: facts.podSubnet,
        serviceSubnet: facts.serviceSubnet,
        bootstrapToken: pki.bootstrapToken,
        tokenTtl: facts.tokenTtl,
        caCertHash: pki.caCertHash,
        schedulableControlPlanes: facts.schedulableControlPlanes,
        apiServerExtraArgs: facts.apiServerExtraArgs,
        node,
      }),
      permissions: "0600",
      secret: true,
    },
    {
      path: KIND_PATHS.script,
      content: renderBootstrapScript({
        nodeName: node.name,
        mode: node.init ? "init" : "join",
        controlPlane: node.role === "control-plane",
        schedulableControlPlanes: facts.schedulableControlPlanes,
        imageVerification: facts.imageVerification,
      }),
      permissions: "0755",
      secret: false,
    },
    { path: KIND_PATHS.unit, content: renderBootstrapUnit(), permissions: "0644", secret: false },
    { path: KIND_PATHS.dropIn, content: renderBootstrapDropIn(), permissions: "0644", secret: false },
    ...facts.registries.map((r): NodeFile => ({
      path: hostsTomlPath(r.host),
      content: renderHostsToml({ server: r.server, mirrors: r.mirrors }),
      permissions: "0644",
      secret: false,
    })),
  ];
  if (node.role === "control-plane") files.push(...kindPkiFiles(pki));
  return files;
}
