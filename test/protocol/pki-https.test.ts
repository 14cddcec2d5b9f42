// L3: a real HTTPS server that demands client certificates (like kube-apiserver) accepts the derived
// kubeconfig's client certificate and rejects a foreign one and a missing one.
import { describe, test, before, after } from "node:test";
import * as assert from "node:assert/strict";
import * as https from "node:https";
import type { AddressInfo } from "node:net";
import type * as tls from "node:tls";
import {
  generateTalosBundle,
  generateK3sPki,
  generateKubeadmPki,
  deriveKubeconfig,
  kubeconfigClientCert,
  issueServerCert,
  issueCa,
  type CertAndKey,
  type KubeconfigClient,
} from "../../sdk/pki";

interface Fake {
  readonly url: string;
  readonly seen: string[]; // client certificate subjects of handled requests
  readonly tlsErrors: string[]; // handshakes the server rejected
  close(): Promise<void>;
}

/** An API-server stand-in on 127.0.0.1:0: server cert from `serverCa`, client certs verified against `clientCa`. */
async function startApiServer(serverCa: CertAndKey, clientCa: CertAndKey): Promise<Fake> {
  const serving = await issueServerCert({
    ca: serverCa,
    ips: ["127.0.0.1"],
    dnsNames: ["localhost", "kubernetes"],
    algorithm: "ecdsa-p256",
  });
  const seen: string[] = [];
  const tlsErrors: string[] = [];
  const server = https.createServer(
    { cert: serving.cert, key: serving.key, ca: clientCa.cert, requestCert: true, rejectUnauthorized: true },
    (req, res) => {
      const peer = (req.socket as tls.TLSSocket).getPeerCertificate();
      seen.push(`CN=${peer.subject.CN},O=${String(peer.subject.O)}`);
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify({ path: req.url, user: peer.subject.CN }));
    },
  );
  // Node verifies the client chain after the handshake and destroys the socket; the reason stays on the socket.
  server.on("tlsClientError", (err: Error & { code?: string }, socket: tls.TLSSocket) =>
    tlsErrors.push(`${err.code ?? ""} ${err.message} authorizationError=${String(socket.authorizationError)}`),
  );
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `https://127.0.0.1:${port}`,
    seen,
    tlsErrors,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** GET `path` with the given client credentials; resolves to status and body, rejects on TLS failure. */
function get(
  url: string,
  c: { caPem: string; certPem?: string; keyPem?: string },
  path = "/readyz",
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = https.get(`${url}${path}`, { ca: c.caPem, cert: c.certPem, key: c.keyPem, agent: false, timeout: 60_000 }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (d: string) => (body += d));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      res.on("error", reject);
    });
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", reject);
  });
}

/** Client credentials from a kubeconfig derived for `url`. */
async function clientFor(url: string, ca: CertAndKey, serverCa?: CertAndKey): Promise<KubeconfigClient> {
  const d = await deriveKubeconfig({ clusterName: "dev", endpoint: url, caCert: ca.cert, caKey: ca.key, serverCaCert: serverCa?.cert });
  const c = kubeconfigClientCert(d.text);
  assert.equal(c.server, url);
  return c;
}

describe("derived kubeconfig against a TLS server requiring client certs", () => {
  let foreignCa: CertAndKey;
  before(async () => {
    foreignCa = await issueCa({ subject: { commonName: "kubernetes" }, algorithm: "ecdsa-p256", template: "kubernetes" });
  });

  for (const dist of ["Talos", "kubeadm"] as const) {
    describe(dist, () => {
      let ca: CertAndKey;
      let fake: Fake;
      before(async () => {
        ca = dist === "Talos" ? (await generateTalosBundle()).certs.k8s : (await generateKubeadmPki()).ca;
        fake = await startApiServer(ca, ca);
      });
      after(() => fake.close());

      test("accepts the derived kubeconfig's client certificate", async () => {
        const c = await clientFor(fake.url, ca);
        const r = await get(c.server, c);
        assert.equal(r.status, 200);
        assert.deepEqual(JSON.parse(r.body), { path: "/readyz", user: "admin" });
        assert.deepEqual(fake.seen, ["CN=admin,O=system:masters"]);
      });

      test("rejects a client certificate from a foreign CA with the same subject", async () => {
        const foreign = await clientFor(fake.url, foreignCa);
        const before = fake.seen.length;
        const errors = fake.tlsErrors.length;
        await assert.rejects(
          get(fake.url, { caPem: ca.cert, certPem: foreign.certPem, keyPem: foreign.keyPem }),
          /socket hang up|ECONNRESET|alert/,
        );
        assert.equal(fake.seen.length, before, "no request reached the handler");
        assert.match(fake.tlsErrors.slice(errors).join("\n"), /authorizationError=UNABLE_TO_VERIFY_LEAF_SIGNATURE/);
      });

      test("rejects a request without a client certificate", async () => {
        const before = fake.seen.length;
        await assert.rejects(get(fake.url, { caPem: ca.cert }), /certificate required/);
        assert.equal(fake.seen.length, before);
      });

      test("the client refuses a server whose certificate is not from the cluster CA", async () => {
        const c = await clientFor(fake.url, ca);
        await assert.rejects(
          get(fake.url, { caPem: foreignCa.cert, certPem: c.certPem, keyPem: c.keyPem }),
          /self[- ]signed|unable to (verify|get)/i,
        );
      });
    });
  }

  describe("k3s (client-ca signs clients, server-ca serves)", () => {
    let fake: Fake;
    let pki: Awaited<ReturnType<typeof generateK3sPki>>;
    before(async () => {
      pki = await generateK3sPki();
      fake = await startApiServer(pki.serverCa, pki.clientCa);
    });
    after(() => fake.close());

    test("accepts the derived kubeconfig (CA data = server-ca.crt, client cert from client-ca)", async () => {
      const c = await clientFor(fake.url, pki.clientCa, pki.serverCa);
      assert.equal(c.caPem, pki.serverCa.cert);
      const r = await get(c.server, c);
      assert.equal(r.status, 200);
      assert.deepEqual(fake.seen, ["CN=admin,O=system:masters"]);
    });

    test("rejects a client certificate signed by server-ca instead of client-ca", async () => {
      const wrong = await clientFor(fake.url, pki.serverCa);
      await assert.rejects(
        get(fake.url, { caPem: pki.serverCa.cert, certPem: wrong.certPem, keyPem: wrong.keyPem }),
        /socket hang up|ECONNRESET|alert/,
      );
      assert.equal(fake.seen.length, 1);
      // The client also sends server-ca (OpenSSL completes the chain from its trust store); it is not trusted here.
      assert.match(fake.tlsErrors.join("\n"), /authorizationError=(SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE)/);
    });
  });
});
