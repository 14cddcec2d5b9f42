import * as crypto from "node:crypto";
import * as YAML from "yaml";
import type { K3sPki } from "../../pki/types";
import type { NodeRole } from "../roles";
import { K3S_CA_STAGING_DIR, K3S_ENTRYPOINT, renderK3sEntrypoint } from "./entrypoint";

/** One file uploaded into a node before it starts. */
export interface K3sNodeFile {
  readonly path: string;
  readonly content: string;
  readonly permissions: string;
  readonly secret: boolean;
}

/** k3s data dir (a named volume per node so a replaced container keeps its state). */
export const K3S_DATA_DIR = "/var/lib/rancher/k3s";
export const K3S_TLS_DIR = `${K3S_DATA_DIR}/server/tls`;
export const K3S_REGISTRIES_PATH = "/etc/rancher/k3s/registries.yaml";
export const K3S_NODE_PASSWORD_PATH = "/etc/rancher/node/password";

/**
 * Custom CA layout k3s reads before the first start of the first server (docs.k3s.io "k3s certificate", Using
 * Custom CA Certificates): five CA pairs and the service-account key, laid out as under `server/tls`. Uploaded to
 * the first server only, into a staging directory the entrypoint copies into `server/tls` once (joiners receive
 * them from the datastore).
 */
export function k3sCaFiles(pki: K3sPki): K3sNodeFile[] {
  const f = (rel: string, content: string, secret: boolean): K3sNodeFile => ({
    path: `${K3S_CA_STAGING_DIR}/${rel}`,
    content,
    permissions: secret ? "0600" : "0644",
    secret,
  });
  return [
    f("server-ca.crt", pki.serverCa.cert, false),
    f("server-ca.key", pki.serverCa.key, true),
    f("client-ca.crt", pki.clientCa.cert, false),
    f("client-ca.key", pki.clientCa.key, true),
    f("request-header-ca.crt", pki.requestHeaderCa.cert, false),
    f("request-header-ca.key", pki.requestHeaderCa.key, true),
    f("etcd/server-ca.crt", pki.etcdServerCa.cert, false),
    f("etcd/server-ca.key", pki.etcdServerCa.key, true),
    f("etcd/peer-ca.crt", pki.etcdPeerCa.cert, false),
    f("etcd/peer-ca.key", pki.etcdPeerCa.key, true),
    f("service.key", pki.serviceKey, true),
  ];
}

/**
 * The node password k3s records per node name. Derived from the cluster token and the node name, so it is
 * stable for the life of the cluster: a re-created agent with the same name presents the same password and is
 * accepted ("Node password rejected" otherwise), and no extra secret needs storing.
 */
export function k3sNodePassword(token: string, nodeName: string): string {
  return crypto.createHmac("sha256", token).update(`ksail-node-password/${nodeName}`).digest("hex").slice(0, 32);
}

/**
 * `K10<sha256 of the exact server-ca.crt bytes>::server:<password>` — the secure token form whose hash joiners
 * use to pin the CA. Returns the expected token for a password and CA file.
 */
export function k3sSecureToken(serverCaCrt: string, password: string): string {
  return `K10${crypto.createHash("sha256").update(serverCaCrt).digest("hex")}::server:${password}`;
}

/** True when a K10 token's CA hash matches the exact CA file bytes. */
export function k3sTokenMatchesCa(token: string, serverCaCrt: string): boolean {
  const m = /^K10([0-9a-f]{64})::/.exec(token);
  return m !== null && m[1] === crypto.createHash("sha256").update(serverCaCrt).digest("hex");
}

export interface K3sRegistryInput {
  readonly mirrors: readonly {
    readonly host: string;
    readonly upstream: string;
    readonly endpoint: string;
  }[];
  readonly localRegistry?: {
    readonly containerName: string;
    readonly hostPort: number;
    readonly endpoint: string;
  };
}

/** `registries.yaml` (docs.k3s.io private-registry): local mirror first, upstream second, as KSail writes it. */
export function renderK3sRegistries(input: K3sRegistryInput): string {
  const mirrors: Record<string, { endpoint: string[] }> = {};
  for (const m of input.mirrors) mirrors[m.host] = { endpoint: [m.endpoint, m.upstream] };
  if (input.localRegistry) {
    const r = input.localRegistry;
    mirrors[`${r.containerName}:5000`] = { endpoint: [r.endpoint] };
    mirrors[`localhost:${r.hostPort}`] = { endpoint: [r.endpoint] };
  }
  return YAML.stringify({ mirrors }, { lineWidth: 0 });
}

/** Files for one k3s node: the entrypoint, CA set (first server only), registries.yaml, node password. */
export function k3sNodeFiles(
  pki: K3sPki,
  node: { name: string; role: NodeRole; index: number },
  registries: K3sRegistryInput,
  network: { gateway: string },
): K3sNodeFile[] {
  const files: K3sNodeFile[] = [
    {
      path: K3S_ENTRYPOINT,
      content: renderK3sEntrypoint({ gateway: network.gateway, tlsDir: K3S_TLS_DIR }),
      permissions: "0755",
      secret: false,
    },
  ];
  if (node.role === "control-plane" && node.index === 1) files.push(...k3sCaFiles(pki));
  if (registries.mirrors.length > 0 || registries.localRegistry)
    files.push({
      path: K3S_REGISTRIES_PATH,
      content: renderK3sRegistries(registries),
      permissions: "0644",
      secret: false,
    });
  files.push({
    path: K3S_NODE_PASSWORD_PATH,
    content: k3sNodePassword(pki.token, node.name) + "\n",
    permissions: "0600",
    secret: true,
  });
  return files;
}
