import * as x509 from "@peculiar/x509";
import { CA_LIFETIME_MS, issueCa, issueLeaf } from "./issue";
import type { KwokPki } from "./types";

/**
 * The names kwokctl puts in its admin certificate (sigs.k8s.io/kwok v0.8.0 pkg/kwokctl/pki/pki.go `DefaultAltNames`):
 * the in-cluster service names, localhost and the loopback addresses. The name-specific ones kwokctl adds
 * (`<name>-kube-apiserver`, the host's addresses) are left out so that the identity does not depend on the cluster
 * name: the components' kubeconfig names `kubernetes` as the TLS server name instead.
 */
export const KWOK_ADMIN_DNS_NAMES = [
  "kubernetes",
  "kubernetes.default",
  "kubernetes.default.svc",
  "kubernetes.default.svc.cluster.local",
  "localhost",
] as const;
export const KWOK_ADMIN_IPS = ["127.0.0.1", "::1"] as const;
/** The name clients check the API server's certificate against (kubeconfig `tls-server-name`). */
export const KWOK_TLS_SERVER_NAME = "kubernetes";

/**
 * kwokctl's PKI (pkg/kwokctl/pki): an RSA-2048 CA (CN=kwok-ca) and one RSA-2048 "admin" certificate (CN=kwok-admin,
 * O=system:masters, EKU any + serverAuth + clientAuth) that is at once the API server's serving certificate, every
 * component's client certificate and — its key — the service-account signing key. kwokctl gives both 100 years;
 * here they live as long as the other identities' CAs (10 years).
 */
export async function generateKwokPki(opts: { now?: Date } = {}): Promise<KwokPki> {
  const now = opts.now ?? new Date();
  const ca = await issueCa({ subject: { commonName: "kwok-ca" }, algorithm: "rsa-2048", template: "kubernetes", now });
  const admin = await issueLeaf({
    ca,
    subject: { commonName: "kwok-admin", organizations: ["system:masters"] },
    algorithm: "rsa-2048",
    lifetime: CA_LIFETIME_MS - 60_000,
    now,
    keyUsage: x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment,
    extKeyUsages: ["2.5.29.37.0", x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth],
    dnsNames: KWOK_ADMIN_DNS_NAMES,
    ips: KWOK_ADMIN_IPS,
  });
  return { ca, admin: { cert: admin.cert, key: admin.key } };
}
