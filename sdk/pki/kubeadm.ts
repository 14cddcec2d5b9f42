import * as crypto from "node:crypto";
import { issueCa } from "./issue";
import { generateKey, privateKeyPem, publicKeyPem } from "./keys";
import { bootstrapToken } from "./random";
import type { KubeadmPki } from "./types";

/**
 * kubeadm's discovery hash of a CA certificate: `sha256:` + hex SHA-256 of the certificate's DER
 * SubjectPublicKeyInfo (what `--discovery-token-ca-cert-hash` and `caCertHashes` expect).
 */
export function caCertHash(caCertPem: string): string {
  const spki = new crypto.X509Certificate(caCertPem).publicKey.export({ type: "spki", format: "der" });
  return `sha256:${crypto.createHash("sha256").update(spki).digest("hex")}`;
}

/**
 * CA material kubeadm accepts pre-placed under /etc/kubernetes/pki (Vanilla / Kind node images): cluster CA
 * (CN=kubernetes), front-proxy CA (CN=front-proxy-ca), etcd CA (CN=etcd-ca), all ECDSA P-256 with 10-year
 * lifetimes; the RSA-2048 service-account key pair (PKCS#1 `sa.key`, SubjectPublicKeyInfo `sa.pub`); a
 * bootstrap token and the CA's discovery hash for `kubeadm join`.
 */
export async function generateKubeadmPki(opts: { now?: Date } = {}): Promise<KubeadmPki> {
  const now = opts.now ?? new Date();
  const [ca, frontProxyCa, etcdCa, sa] = await Promise.all([
    issueCa({ subject: { commonName: "kubernetes" }, algorithm: "ecdsa-p256", template: "kubernetes", now }),
    issueCa({ subject: { commonName: "front-proxy-ca" }, algorithm: "ecdsa-p256", template: "kubernetes", now }),
    issueCa({ subject: { commonName: "etcd-ca" }, algorithm: "ecdsa-p256", template: "kubernetes", now }),
    generateKey("rsa-2048"),
  ]);
  return {
    ca,
    frontProxyCa,
    etcdCa,
    serviceAccount: { key: privateKeyPem(sa.privateKey), pub: publicKeyPem(sa.publicKey) },
    bootstrapToken: bootstrapToken(),
    caCertHash: caCertHash(ca.cert),
  };
}
