import * as crypto from "node:crypto";
import { issueCa } from "./issue";
import { generateKey, privateKeyPem } from "./keys";
import { randomString } from "./random";
import type { K3sPki } from "./types";

/**
 * k3s's secure join token: `K10` + hex SHA-256 of the exact `server-ca.crt` bytes + `::server:` + password.
 * Upload `serverCaCertPem` byte for byte as `server/tls/server-ca.crt`, or joiners reject the CA.
 */
export function k3sToken(serverCaCertPem: string, password: string): string {
  const hash = crypto.createHash("sha256").update(Buffer.from(serverCaCertPem, "utf8")).digest("hex");
  return `K10${hash}::server:${password}`;
}

/**
 * CA material k3s accepts pre-placed under `server/tls` (custom CA certificates): server, client and
 * request-header CAs, etcd server and peer CAs (ECDSA P-256, self-signed, 10 years, k3s's own subject names),
 * the RSA-2048 `service.key` (PKCS#1), and the K10 server token over the exact `server-ca.crt` bytes.
 */
export async function generateK3sPki(opts: { now?: Date } = {}): Promise<K3sPki> {
  const now = opts.now ?? new Date();
  const stamp = Math.floor(now.getTime() / 1000);
  const ca = (cn: string) => issueCa({ subject: { commonName: `${cn}@${stamp}` }, algorithm: "ecdsa-p256", template: "kubernetes", now });
  const [serverCa, clientCa, requestHeaderCa, etcdServerCa, etcdPeerCa, service] = await Promise.all([
    ca("k3s-server-ca"),
    ca("k3s-client-ca"),
    ca("k3s-request-header-ca"),
    ca("etcd-server-ca"),
    ca("etcd-peer-ca"),
    generateKey("rsa-2048"),
  ]);
  return {
    serverCa,
    clientCa,
    requestHeaderCa,
    etcdServerCa,
    etcdPeerCa,
    serviceKey: privateKeyPem(service.privateKey),
    token: k3sToken(serverCa.cert, randomString(32)),
  };
}
