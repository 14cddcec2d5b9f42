import { KsailError } from "../errors";
import { certFingerprint, DEFAULT_CLIENT_CERT_LIFETIME_MS } from "./issue";
import { generateK3sPki } from "./k3s";
import { generateKubeadmPki } from "./kubeadm";
import { generateKwokPki, KWOK_TLS_SERVER_NAME } from "./kwok";
import { deriveKubeconfig } from "./kubeconfig";
import { generateTalosBundle } from "./talos";
import { deriveTalosconfig } from "./talosconfig";
import type { AdminCredentials, K3sPki, KubeadmPki, KwokPki, TalosSecretsBundle } from "./types";

/** Distributions whose identity is generated in process. */
export const IDENTITY_DISTRIBUTIONS = ["Talos", "Vanilla", "K3s", "KWOK"] as const;
export type IdentityDistribution = (typeof IDENTITY_DISTRIBUTIONS)[number];

/** A cluster's identity: the CA material and tokens of one distribution. */
export type ClusterIdentity =
  | { readonly distribution: "Talos"; readonly talos: TalosSecretsBundle }
  | { readonly distribution: "Vanilla"; readonly kubeadm: KubeadmPki }
  | { readonly distribution: "K3s"; readonly k3s: K3sPki }
  | { readonly distribution: "KWOK"; readonly kwok: KwokPki };

/** Talos → secrets bundle; Vanilla (Kind node images) → kubeadm PKI; K3s → k3s custom CA set and token; KWOK → kwokctl's CA and admin certificate. */
export async function generateClusterIdentity(distribution: IdentityDistribution, opts: { now?: Date } = {}): Promise<ClusterIdentity> {
  switch (distribution) {
    case "Talos":
      return { distribution, talos: await generateTalosBundle(opts) };
    case "Vanilla":
      return { distribution, kubeadm: await generateKubeadmPki(opts) };
    case "K3s":
      return { distribution, k3s: await generateK3sPki(opts) };
    case "KWOK":
      return { distribution, kwok: await generateKwokPki(opts) };
    default:
      throw new KsailError([
        { path: "distribution", message: `is ${JSON.stringify(distribution)}; allowed: ${IDENTITY_DISTRIBUTIONS.join(", ")}` },
      ]);
  }
}

/** Where the admin credentials point. */
export interface AdminEndpoints {
  /** Kubernetes API URL (`https://host:port`). */
  readonly kubernetes: string;
  /** Talos API endpoints (`host` or `host:port`); required for Talos. */
  readonly talos?: readonly string[];
  /** Default target nodes of the talosconfig. @default [] */
  readonly talosNodes?: readonly string[];
}

export interface DeriveAdminOptions {
  readonly clusterName: string;
  readonly endpoints: AdminEndpoints;
  /** Client certificate lifetime in milliseconds. @default 1 year */
  readonly lifetime?: number;
  readonly now?: Date;
}

/**
 * Admin kubeconfig (and talosconfig for Talos) derived from an identity: Talos signs with `certs.k8s` /
 * `certs.os`; kubeadm with `ca`; k3s with `client-ca` while trusting `server-ca`. `notAfter` is the earliest
 * client certificate expiry.
 */
export async function deriveAdminCredentials(identity: ClusterIdentity, opts: DeriveAdminOptions): Promise<AdminCredentials> {
  const lifetime = opts.lifetime ?? DEFAULT_CLIENT_CERT_LIFETIME_MS;
  const common = { clusterName: opts.clusterName, endpoint: opts.endpoints.kubernetes, lifetime, now: opts.now };
  switch (identity.distribution) {
    case "Talos": {
      if (!opts.endpoints.talos || opts.endpoints.talos.length === 0) {
        throw new KsailError([
          { path: "endpoints.talos", message: "is empty; Talos needs at least one Talos API endpoint (host or host:port)" },
        ]);
      }
      const ca = identity.talos.certs.k8s;
      const [kc, tc] = await Promise.all([
        deriveKubeconfig({ ...common, caCert: ca.cert, caKey: ca.key }),
        deriveTalosconfig({
          contextName: opts.clusterName,
          endpoints: opts.endpoints.talos,
          nodes: opts.endpoints.talosNodes,
          osCa: identity.talos.certs.os,
          lifetime,
          now: opts.now,
        }),
      ]);
      return { kubeconfig: kc.text, talosconfig: tc.text, notAfter: kc.notAfter < tc.notAfter ? kc.notAfter : tc.notAfter };
    }
    case "Vanilla": {
      const kc = await deriveKubeconfig({ ...common, caCert: identity.kubeadm.ca.cert, caKey: identity.kubeadm.ca.key });
      return { kubeconfig: kc.text, notAfter: kc.notAfter };
    }
    case "K3s": {
      const { clientCa, serverCa } = identity.k3s;
      const kc = await deriveKubeconfig({ ...common, caCert: clientCa.cert, caKey: clientCa.key, serverCaCert: serverCa.cert });
      return { kubeconfig: kc.text, notAfter: kc.notAfter };
    }
    case "KWOK": {
      // The serving certificate names `kubernetes`, not the address the cluster is reached at (127.0.0.1 on Docker,
      // a host cluster's front): clients check it against that name.
      const kc = await deriveKubeconfig({
        ...common,
        caCert: identity.kwok.ca.cert,
        caKey: identity.kwok.ca.key,
        tlsServerName: KWOK_TLS_SERVER_NAME,
      });
      return { kubeconfig: kc.text, notAfter: kc.notAfter };
    }
  }
}

/** SHA-256 fingerprints of an identity's CA certificates (public; for reviewable plain outputs). */
export function identityFingerprints(identity: ClusterIdentity): Record<string, string> {
  switch (identity.distribution) {
    case "Talos": {
      const c = identity.talos.certs;
      return {
        os: certFingerprint(c.os.cert),
        k8s: certFingerprint(c.k8s.cert),
        k8sAggregator: certFingerprint(c.k8sAggregator.cert),
        etcd: certFingerprint(c.etcd.cert),
      };
    }
    case "Vanilla": {
      const p = identity.kubeadm;
      return { ca: certFingerprint(p.ca.cert), frontProxyCa: certFingerprint(p.frontProxyCa.cert), etcdCa: certFingerprint(p.etcdCa.cert) };
    }
    case "K3s": {
      const p = identity.k3s;
      return {
        serverCa: certFingerprint(p.serverCa.cert),
        clientCa: certFingerprint(p.clientCa.cert),
        requestHeaderCa: certFingerprint(p.requestHeaderCa.cert),
        etcdServerCa: certFingerprint(p.etcdServerCa.cert),
        etcdPeerCa: certFingerprint(p.etcdPeerCa.cert),
      };
    }
    case "KWOK":
      return { ca: certFingerprint(identity.kwok.ca.cert) };
  }
}
