import { describe, test, before } from "node:test";
import * as assert from "node:assert/strict";
import * as crypto from "node:crypto";
import * as YAML from "yaml";
import {
  generateTalosBundle,
  generateKubeadmPki,
  generateK3sPki,
  deriveKubeconfig,
  deriveTalosconfig,
  kubeconfigClientCert,
  talosconfigClientCert,
  issueServerCert,
  issueCa,
  needsRenewal,
  pemLabel,
  DEFAULT_RENEWAL_WINDOW_MS,
  NOT_BEFORE_SKEW_MS,
  type CertAndKey,
  type TalosSecretsBundle,
  type KubeadmPki,
  type K3sPki,
} from "../../sdk/pki";
import { isKsailError } from "../../sdk/errors";
import { opensslVerify, opensslCertInfo, opensslKeyType } from "../harness/openssl";

const DAY = 86_400_000;
// Certificates carry whole seconds; openssl verify checks validity against the real clock.
const NOW = new Date(Math.floor(Date.now() / 1000) * 1000);

/** A kubeconfig client cert: verifies against `ca` (node + openssl, purpose sslclient), admin subject and usages. */
function assertAdminKubeconfigCert(certPem: string, keyPem: string, ca: CertAndKey, cn = "admin"): void {
  const x = new crypto.X509Certificate(certPem);
  assert.ok(x.verify(new crypto.X509Certificate(ca.cert).publicKey), "signature verifies against the CA (node:crypto)");
  assert.ok(x.checkIssued(new crypto.X509Certificate(ca.cert)), "issued by the CA");
  const v = opensslVerify(ca.cert, certPem, "sslclient");
  assert.ok(v.ok, v.output);
  const key = crypto.createPrivateKey(keyPem);
  assert.ok(x.checkPrivateKey(key));
  assert.equal(key.asymmetricKeyType, "ec");
  assert.equal(key.asymmetricKeyDetails?.namedCurve, "prime256v1");
  assert.equal(pemLabel(keyPem), "EC PRIVATE KEY");
  const info = opensslCertInfo(certPem);
  assert.equal(info.subject, `CN=${cn},O=system:masters`);
  assert.deepEqual(info.keyUsage, ["Digital Signature", "Key Encipherment"]);
  assert.ok(info.keyUsageCritical);
  assert.deepEqual(info.extKeyUsage, ["TLS Web Client Authentication"]);
  assert.equal(info.basicConstraints, "CA:FALSE");
  assert.equal(info.signatureAlgorithm, "ecdsa-with-SHA256");
}

/** One Talos bundle for the whole file (RSA-4096 generation is the slow part); the tests only read it. */
let sharedTalos: Promise<TalosSecretsBundle> | undefined;
const talosBundle = (): Promise<TalosSecretsBundle> => (sharedTalos ??= generateTalosBundle());

describe("admin kubeconfig", () => {
  let talos: TalosSecretsBundle;
  let kubeadm: KubeadmPki;
  let k3s: K3sPki;
  before(async () => {
    [talos, kubeadm, k3s] = await Promise.all([talosBundle(), generateKubeadmPki(), generateK3sPki()]);
  });

  test("Talos: client cert from certs.k8s, names, lifetime and NotBefore now−10 s", async () => {
    const d = await deriveKubeconfig({
      clusterName: "dev",
      endpoint: "https://127.0.0.1:6443",
      caCert: talos.certs.k8s.cert,
      caKey: talos.certs.k8s.key,
      lifetime: 90 * DAY,
      now: NOW,
    });
    const doc = YAML.parse(d.text);
    assert.equal(doc.apiVersion, "v1");
    assert.equal(doc.kind, "Config");
    assert.deepEqual(
      doc.clusters.map((c: any) => c.name),
      ["dev"],
    );
    assert.deepEqual(
      doc.users.map((u: any) => u.name),
      ["admin@dev"],
    );
    assert.deepEqual(doc.contexts, [{ name: "admin@dev", context: { cluster: "dev", namespace: "default", user: "admin@dev" } }]);
    assert.equal(doc["current-context"], "admin@dev");
    const c = kubeconfigClientCert(d.text);
    assert.equal(c.server, "https://127.0.0.1:6443");
    assert.equal(c.caPem, talos.certs.k8s.cert);
    assert.equal(c.certPem, d.clientCert);
    assertAdminKubeconfigCert(c.certPem, c.keyPem, talos.certs.k8s);
    const info = opensslCertInfo(c.certPem);
    assert.equal(info.notBefore.getTime(), NOW.getTime() - NOT_BEFORE_SKEW_MS);
    assert.equal(info.notAfter.getTime(), NOW.getTime() + 90 * DAY);
    assert.equal(d.notAfter, new Date(NOW.getTime() + 90 * DAY).toISOString());
    // A foreign CA does not verify the certificate.
    assert.ok(!opensslVerify(talos.certs.etcd.cert, c.certPem).ok);
    assert.ok(!new crypto.X509Certificate(c.certPem).verify(new crypto.X509Certificate(talos.certs.etcd.cert).publicKey));
  });

  test("kubeadm: client cert from ca (CN=kubernetes); default lifetime 1 year", async () => {
    const d = await deriveKubeconfig({
      clusterName: "kind",
      endpoint: "https://localhost:41234",
      caCert: kubeadm.ca.cert,
      caKey: kubeadm.ca.key,
    });
    const c = kubeconfigClientCert(d.text);
    assertAdminKubeconfigCert(c.certPem, c.keyPem, kubeadm.ca);
    const info = opensslCertInfo(c.certPem);
    assert.equal(info.notAfter.getTime() - info.notBefore.getTime(), 365 * DAY + NOT_BEFORE_SKEW_MS);
  });

  test("k3s: client cert from client-ca, CA data is server-ca.crt", async () => {
    const d = await deriveKubeconfig({
      clusterName: "k3s-dev",
      endpoint: "https://127.0.0.1:6550",
      caCert: k3s.clientCa.cert,
      caKey: k3s.clientCa.key,
      serverCaCert: k3s.serverCa.cert,
    });
    const c = kubeconfigClientCert(d.text);
    assert.equal(c.caPem, k3s.serverCa.cert);
    assertAdminKubeconfigCert(c.certPem, c.keyPem, k3s.clientCa);
    assert.ok(!opensslVerify(k3s.serverCa.cert, c.certPem).ok, "not signed by server-ca");
  });

  test("custom user name", async () => {
    const d = await deriveKubeconfig({
      clusterName: "x",
      endpoint: "https://10.0.0.1:6443",
      caCert: kubeadm.ca.cert,
      caKey: kubeadm.ca.key,
      user: "ci",
    });
    const c = kubeconfigClientCert(d.text);
    assertAdminKubeconfigCert(c.certPem, c.keyPem, kubeadm.ca, "ci");
    assert.equal(YAML.parse(d.text)["current-context"], "ci@x");
  });

  test("a non-https endpoint is a KsailError naming the field", async () => {
    for (const endpoint of ["http://127.0.0.1:6443", "127.0.0.1:6443", ""]) {
      await assert.rejects(
        deriveKubeconfig({ clusterName: "x", endpoint, caCert: kubeadm.ca.cert, caKey: kubeadm.ca.key }),
        (e: unknown) => isKsailError(e) && e.issues[0].path === "endpoint" && e.message.includes("https URL"),
      );
    }
  });

  test("kubeconfigClientCert follows current-context and reports what is missing", () => {
    const two = {
      apiVersion: "v1",
      kind: "Config",
      clusters: [
        { name: "a", cluster: { server: "https://a:6443", "certificate-authority-data": Buffer.from("CA-A").toString("base64") } },
        { name: "b", cluster: { server: "https://b:6443", "certificate-authority-data": Buffer.from("CA-B").toString("base64") } },
      ],
      users: [
        {
          name: "u",
          user: { "client-certificate-data": Buffer.from("C").toString("base64"), "client-key-data": Buffer.from("K").toString("base64") },
        },
      ],
      contexts: [
        { name: "ca", context: { cluster: "a", user: "u" } },
        { name: "cb", context: { cluster: "b", user: "u" } },
      ],
      "current-context": "cb",
    };
    assert.deepEqual(kubeconfigClientCert(YAML.stringify(two)), { server: "https://b:6443", caPem: "CA-B", certPem: "C", keyPem: "K" });
    const noKey = structuredClone(two) as any;
    delete noKey.users[0].user["client-key-data"];
    assert.throws(() => kubeconfigClientCert(YAML.stringify(noKey)), /users\.user\.client-key-data: is missing/);
    assert.throws(() => kubeconfigClientCert(YAML.stringify({ ...two, "current-context": "zz" })), /current-context: names "zz"/);
  });
});

describe("admin talosconfig", () => {
  let talos: TalosSecretsBundle;
  before(async () => {
    talos = await talosBundle();
  });

  test("Ed25519 client cert, O=os:admin, KeyUsage digitalSignature, EKU exactly clientAuth", async () => {
    const d = await deriveTalosconfig({
      contextName: "dev",
      endpoints: ["127.0.0.1:50000"],
      nodes: ["10.5.0.2", "10.5.0.3"],
      osCa: talos.certs.os,
      now: NOW,
    });
    const doc = YAML.parse(d.text);
    assert.equal(doc.context, "dev");
    assert.deepEqual(Object.keys(doc.contexts.dev), ["endpoints", "nodes", "ca", "crt", "key"]);
    assert.deepEqual(doc.contexts.dev.endpoints, ["127.0.0.1:50000"]);
    assert.deepEqual(doc.contexts.dev.nodes, ["10.5.0.2", "10.5.0.3"]);
    const rawKey = Buffer.from(doc.contexts.dev.key, "base64").toString("utf8");
    assert.equal(pemLabel(rawKey), "ED25519 PRIVATE KEY", "Talos label in the file");
    const c = talosconfigClientCert(d.text);
    assert.equal(c.caPem, talos.certs.os.cert);
    assert.equal(pemLabel(c.keyPem), "PRIVATE KEY");
    const x = new crypto.X509Certificate(c.certPem);
    const key = crypto.createPrivateKey(c.keyPem);
    assert.equal(key.asymmetricKeyType, "ed25519");
    assert.equal(opensslKeyType(c.keyPem), "ED25519");
    assert.ok(x.checkPrivateKey(key));
    assert.ok(x.verify(new crypto.X509Certificate(talos.certs.os.cert).publicKey));
    const v = opensslVerify(talos.certs.os.cert, c.certPem, "sslclient");
    assert.ok(v.ok, v.output);
    const info = opensslCertInfo(c.certPem);
    assert.equal(info.subject, "O=os:admin");
    assert.equal(info.issuer, "O=talos");
    assert.equal(info.signatureAlgorithm, "ED25519");
    assert.deepEqual(info.keyUsage, ["Digital Signature"]);
    assert.deepEqual(info.extKeyUsage, ["TLS Web Client Authentication"]);
    assert.equal(info.basicConstraints, "CA:FALSE");
    assert.equal(info.notAfter.getTime(), NOW.getTime() + 365 * DAY);
    assert.equal(d.notAfter, info.notAfter.toISOString());
    // Not valid as a server certificate, and not under the Kubernetes CA.
    assert.ok(!opensslVerify(talos.certs.os.cert, c.certPem, "sslserver").ok);
    assert.ok(!opensslVerify(talos.certs.k8s.cert, c.certPem).ok);
  });

  test("endpoints are required", async () => {
    await assert.rejects(
      deriveTalosconfig({ contextName: "dev", endpoints: [], osCa: talos.certs.os }),
      (e: unknown) => isKsailError(e) && /endpoints/.test(e.message),
    );
  });

  test("the Talos-labelled OS CA key from a bundle YAML is accepted", async () => {
    const labelled = { cert: talos.certs.os.cert, key: talos.certs.os.key.replace(/PRIVATE KEY/g, "ED25519 PRIVATE KEY") };
    const d = await deriveTalosconfig({ contextName: "c", endpoints: ["a"], osCa: labelled });
    assert.ok(opensslVerify(talos.certs.os.cert, talosconfigClientCert(d.text).certPem).ok);
  });
});

describe("server certificates for local fakes", () => {
  test("SANs, EKU serverAuth, verify against the CA", async () => {
    const ca = await issueCa({ subject: { organizations: ["kubernetes"] }, algorithm: "ecdsa-p256", template: "talos" });
    const s = await issueServerCert({ ca, ips: ["127.0.0.1", "::1"], dnsNames: ["localhost", "kubernetes.default.svc"] });
    const info = opensslCertInfo(s.cert);
    assert.deepEqual(info.subjectAltNames, [
      "DNS:localhost",
      "DNS:kubernetes.default.svc",
      "IP Address:127.0.0.1",
      "IP Address:0:0:0:0:0:0:0:1",
    ]);
    assert.deepEqual(info.extKeyUsage, ["TLS Web Server Authentication"]);
    assert.equal(info.subject, "CN=localhost");
    assert.ok(opensslVerify(ca.cert, s.cert, "sslserver").ok);
    assert.ok(new crypto.X509Certificate(s.cert).checkIP("127.0.0.1"));
    assert.ok(!opensslVerify(ca.cert, s.cert, "sslclient").ok);
  });

  test("empty-subject CA (Talos aggregator) still issues verifiable leaves", async () => {
    const ca = await issueCa({ subject: {}, algorithm: "ecdsa-p256", template: "talos" });
    const s = await issueServerCert({ ca, ips: ["127.0.0.1"] });
    assert.ok(opensslVerify(ca.cert, s.cert).ok);
  });

  test("Ed25519 CA issues Ed25519 server certs", async () => {
    const ca = await issueCa({ subject: { organizations: ["talos"] }, algorithm: "ed25519", template: "talos" });
    const s = await issueServerCert({ ca, ips: ["127.0.0.1"], dnsNames: ["talos-cp-1"], lifetime: DAY });
    assert.equal(crypto.createPrivateKey(s.key).asymmetricKeyType, "ed25519");
    assert.deepEqual(opensslCertInfo(s.cert).keyUsage, ["Digital Signature"]);
    assert.ok(opensslVerify(ca.cert, s.cert, "sslserver").ok);
  });
});

describe("renewal window", () => {
  test("needsRenewal is true inside the window, after expiry and for invalid dates", () => {
    const at = (days: number) => new Date(NOW.getTime() + days * DAY).toISOString();
    assert.equal(DEFAULT_RENEWAL_WINDOW_MS, 30 * DAY);
    assert.equal(needsRenewal(at(365), NOW), false);
    assert.equal(needsRenewal(at(31), NOW), false);
    assert.equal(needsRenewal(at(30), NOW), true);
    assert.equal(needsRenewal(at(1), NOW), true);
    assert.equal(needsRenewal(at(-1), NOW), true);
    assert.equal(needsRenewal("not a date", NOW), true);
    assert.equal(needsRenewal(new Date(at(10)), NOW, 5 * DAY), false);
    assert.equal(needsRenewal(at(10), NOW, 10 * DAY), true);
  });
});

describe("leaf key types", () => {
  test("an Ed25519 leaf under an ECDSA CA gets KeyUsage digitalSignature only; ECDSA under Ed25519 adds keyEncipherment", async () => {
    const ec = await issueCa({ subject: { organizations: ["x"] }, algorithm: "ecdsa-p256", template: "talos" });
    const ed = await issueCa({ subject: { organizations: ["y"] }, algorithm: "ed25519", template: "talos" });
    const a = await issueServerCert({ ca: ec, ips: ["127.0.0.1"], algorithm: "ed25519" });
    assert.equal(crypto.createPrivateKey(a.key).asymmetricKeyType, "ed25519");
    assert.deepEqual(opensslCertInfo(a.cert).keyUsage, ["Digital Signature"]);
    assert.equal(opensslCertInfo(a.cert).signatureAlgorithm, "ecdsa-with-SHA256");
    assert.ok(opensslVerify(ec.cert, a.cert, "sslserver").ok);
    const b = await issueServerCert({ ca: ed, ips: ["127.0.0.1"], algorithm: "ecdsa-p256" });
    assert.equal(crypto.createPrivateKey(b.key).asymmetricKeyType, "ec");
    assert.deepEqual(opensslCertInfo(b.cert).keyUsage, ["Digital Signature", "Key Encipherment"]);
    assert.equal(opensslCertInfo(b.cert).signatureAlgorithm, "ED25519");
    assert.ok(opensslVerify(ed.cert, b.cert, "sslserver").ok);
  });
});
