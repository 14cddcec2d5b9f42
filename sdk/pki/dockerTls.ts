import * as net from "node:net";
import { CA_LIFETIME_MS, issueCa, issueClientCert, issueServerCert } from "./issue";
import type { CertAndKey, DockerTls } from "./types";

/**
 * The PKI of a Docker Engine served over TCP with `--tlsverify` (Docker's "Protect the Docker daemon socket"): the
 * daemon accepts only client certificates its CA signed, and clients check the daemon's certificate against the
 * address they dial. Generated here instead of by the `docker:dind` image: its entrypoint (docker-library/docker
 * dockerd-entrypoint.sh) generates nothing and only verifies when `server/{ca,cert,key}.pem` exist and
 * `ca/key.pem` does not — the CA key never reaches the pod.
 */
export async function generateDockerTlsCa(opts: { now?: Date } = {}): Promise<CertAndKey> {
  return issueCa({ subject: { commonName: "ksail docker-in-docker CA" }, algorithm: "ecdsa-p256", template: "kubernetes", now: opts.now });
}

/**
 * The daemon's serving certificate for `address` (an IP or a DNS name; plus localhost for probes inside the pod) and
 * a client certificate. The serving certificate lives as long as the CA: the daemon reads it only when it starts, so
 * a re-issued one would only be used after a restart of the pod (which loses an ephemeral engine's containers).
 */
export async function deriveDockerTls(
  ca: CertAndKey,
  opts: { address: string; clientLifetimeMs: number; now?: Date },
): Promise<DockerTls & { clientNotAfter: string }> {
  const ip = net.isIP(opts.address) !== 0;
  const server = await issueServerCert({
    ca,
    commonName: "ksail docker-in-docker",
    ips: [...new Set([...(ip ? [opts.address] : []), "127.0.0.1"])],
    dnsNames: [...new Set([...(ip ? [] : [opts.address]), "localhost"])],
    lifetime: CA_LIFETIME_MS - 60_000,
    now: opts.now,
  });
  const client = await issueClientCert({ ca, subject: { commonName: "ksail" }, lifetime: opts.clientLifetimeMs, now: opts.now });
  return {
    ca,
    server: { cert: server.cert, key: server.key },
    client: { cert: client.cert, key: client.key },
    clientNotAfter: client.notAfter,
  };
}
