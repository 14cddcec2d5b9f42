import * as YAML from "yaml";
import { KsailError } from "../errors";
import { issueClientCert, KeyUsage } from "./issue";
import { base64ToPem, pemToBase64 } from "./pem";

export interface DeriveKubeconfigOptions {
  /** Cluster name: the kubeconfig's cluster entry; user and context are `<user>@<clusterName>`. */
  readonly clusterName: string;
  /** Kubernetes API URL, `https://host:port`. */
  readonly endpoint: string;
  /** CA that signs the client certificate (Talos `certs.k8s`, kubeadm `ca`, k3s `client-ca`). PEM. */
  readonly caCert: string;
  /** That CA's private key, PEM. */
  readonly caKey: string;
  /**
   * CA the client trusts for the API server (`certificate-authority-data`).
   * @default caCert (k3s: pass `server-ca.crt`, since its client and server CAs differ)
   */
  readonly serverCaCert?: string;
  /** Client certificate lifetime in milliseconds. @default 1 year */
  readonly lifetime?: number;
  /** @default the current time */
  readonly now?: Date;
  /** Client certificate CN and the name prefix of the user and context. @default "admin" */
  readonly user?: string;
  /**
   * `tls-server-name`: the name the API server's certificate is checked against instead of the endpoint's host (a
   * certificate that names a fixed service name, reached at an address it does not carry). @default none
   */
  readonly tlsServerName?: string;
}

/** A derived credential file and its client certificate's validity. */
export interface DerivedCredential {
  /** The YAML file. */
  readonly text: string;
  /** Client certificate PEM (public; for inspection and fingerprints). */
  readonly clientCert: string;
  readonly notBefore: string;
  /** ISO 8601 expiry of the client certificate. */
  readonly notAfter: string;
}

function httpsUrl(field: string, value: string): URL {
  let u: URL | undefined;
  try {
    u = new URL(value);
  } catch {
    u = undefined;
  }
  if (!u || u.protocol !== "https:" || u.hostname === "") {
    throw new KsailError([{ path: field, message: `is ${JSON.stringify(value)}; expected an https URL such as "https://127.0.0.1:6443"` }]);
  }
  return u;
}

/**
 * An admin kubeconfig for `endpoint`: a fresh ECDSA P-256 client certificate (CN=admin, O=system:masters,
 * KeyUsage digitalSignature+keyEncipherment, EKU clientAuth, NotBefore now−10 s) signed by `caCert`, the
 * server CA embedded as `certificate-authority-data`, cluster entry `<clusterName>`, user and context
 * `admin@<clusterName>`. No node is contacted.
 */
export async function deriveKubeconfig(opts: DeriveKubeconfigOptions): Promise<DerivedCredential> {
  httpsUrl("endpoint", opts.endpoint);
  if (!opts.clusterName) throw new KsailError([{ path: "clusterName", message: "is empty; give the cluster's name" }]);
  const user = opts.user ?? "admin";
  const leaf = await issueClientCert({
    ca: { cert: opts.caCert, key: opts.caKey },
    subject: { commonName: user, organizations: ["system:masters"] },
    algorithm: "ecdsa-p256",
    keyUsage: KeyUsage.digitalSignature | KeyUsage.keyEncipherment,
    lifetime: opts.lifetime,
    now: opts.now,
  });
  const ctx = `${user}@${opts.clusterName}`;
  const doc = {
    apiVersion: "v1",
    kind: "Config",
    clusters: [
      {
        name: opts.clusterName,
        cluster: {
          server: opts.endpoint,
          "certificate-authority-data": pemToBase64(opts.serverCaCert ?? opts.caCert),
          ...(opts.tlsServerName ? { "tls-server-name": opts.tlsServerName } : {}),
        },
      },
    ],
    users: [{ name: ctx, user: { "client-certificate-data": pemToBase64(leaf.cert), "client-key-data": pemToBase64(leaf.key) } }],
    contexts: [{ name: ctx, context: { cluster: opts.clusterName, namespace: "default", user: ctx } }],
    "current-context": ctx,
    preferences: {},
  };
  return { text: YAML.stringify(doc, { lineWidth: 0 }), clientCert: leaf.cert, notBefore: leaf.notBefore, notAfter: leaf.notAfter };
}

/** What a client needs from a kubeconfig's current context. */
export interface KubeconfigClient {
  readonly server: string;
  readonly caPem: string;
  readonly certPem: string;
  readonly keyPem: string;
  /** The cluster's `tls-server-name`, when it sets one. */
  readonly serverName?: string;
}

/**
 * Read the current context of a kubeconfig that embeds its certificates (`certificate-authority-data`,
 * `client-certificate-data`, `client-key-data`), e.g. one made by {@link deriveKubeconfig}. Throws a
 * KsailError naming what is missing.
 */
export function kubeconfigClientCert(kubeconfigYaml: string): KubeconfigClient {
  const fail = (path: string, message: string): never => {
    throw new KsailError([{ path: `kubeconfig.${path}`, message }]);
  };
  const d = YAML.parse(kubeconfigYaml) as any;
  if (d === null || typeof d !== "object") return fail("", "is not a YAML mapping");
  const current: unknown = d["current-context"];
  const contexts: any[] = Array.isArray(d.contexts) ? d.contexts : [];
  const ctx = (typeof current === "string" && current ? contexts.find((c) => c?.name === current) : contexts[0])?.context;
  if (!ctx)
    return fail(
      "current-context",
      `names ${JSON.stringify(current)}, which is not in contexts; set current-context to one of the contexts`,
    );
  const cluster = (Array.isArray(d.clusters) ? d.clusters : []).find((c: any) => c?.name === ctx.cluster)?.cluster;
  if (!cluster) return fail("clusters", `has no entry named ${JSON.stringify(ctx.cluster)}`);
  const user = (Array.isArray(d.users) ? d.users : []).find((u: any) => u?.name === ctx.user)?.user;
  if (!user) return fail("users", `has no entry named ${JSON.stringify(ctx.user)}`);
  const data = (obj: any, key: string, where: string): string =>
    typeof obj[key] === "string" && obj[key] !== ""
      ? base64ToPem(obj[key])
      : fail(`${where}.${key}`, "is missing; embed the PEM as base64 data");
  if (typeof cluster.server !== "string" || cluster.server === "") return fail("clusters.cluster.server", "is missing");
  return {
    server: cluster.server,
    caPem: data(cluster, "certificate-authority-data", "clusters.cluster"),
    certPem: data(user, "client-certificate-data", "users.user"),
    keyPem: data(user, "client-key-data", "users.user"),
    ...(typeof cluster["tls-server-name"] === "string" && cluster["tls-server-name"] !== ""
      ? { serverName: cluster["tls-server-name"] }
      : {}),
  };
}
