import { describe, test, before } from "node:test";
import * as assert from "node:assert/strict";
import * as crypto from "node:crypto";
import * as asyncHooks from "node:async_hooks";
import * as YAML from "yaml";
import {
  TOKEN_ALPHABET,
  randomString,
  bootstrapToken,
  isBootstrapToken,
  toTalosKeyPem,
  fromTalosKeyPem,
  pemLabel,
  generateTalosBundle,
  talosBundleToYaml,
  talosBundleFromYaml,
  generateKubeadmPki,
  generateK3sPki,
  caCertHash,
  k3sToken,
  CA_LIFETIME_MS,
  type CertAndKey,
  type TalosSecretsBundle,
  type KubeadmPki,
  type K3sPki,
} from "../../sdk/pki";
import { openssl, opensslVerify, opensslCertInfo, opensslSpkiSha256, opensslSha256, opensslKeyType } from "../harness/openssl";

const opensslText = (pem: string) => openssl(["x509", "-noout", "-text"], pem).toString("utf8");

/** Every CA: self-signed, verifies with node:crypto and `openssl verify`, key matches, 10-year lifetime. */
function assertCa(
  name: string,
  ca: CertAndKey,
  expect: { subject: string; keyType: "ed25519" | "ec"; template: "talos" | "kubernetes" },
): void {
  const x = new crypto.X509Certificate(ca.cert);
  const key = crypto.createPrivateKey(ca.key);
  assert.equal(key.asymmetricKeyType, expect.keyType, `${name}: key type`);
  if (expect.keyType === "ec") {
    assert.equal(key.asymmetricKeyDetails?.namedCurve, "prime256v1", `${name}: curve`);
    assert.equal(pemLabel(ca.key), "EC PRIVATE KEY", `${name}: SEC1 label`);
  } else {
    assert.equal(pemLabel(ca.key), "PRIVATE KEY", `${name}: PKCS#8 label`);
  }
  assert.ok(x.checkPrivateKey(key), `${name}: private key matches certificate`);
  assert.ok(x.verify(x.publicKey), `${name}: self-signature verifies (node:crypto)`);
  assert.ok(x.ca, `${name}: CA flag`);
  const v = opensslVerify(ca.cert, ca.cert);
  assert.ok(v.ok, `${name}: openssl verify: ${v.output}`);
  const info = opensslCertInfo(ca.cert);
  assert.equal(info.subject, expect.subject, `${name}: subject`);
  assert.equal(info.issuer, expect.subject, `${name}: issuer`);
  assert.equal(info.basicConstraints, "CA:TRUE", `${name}: basic constraints`);
  assert.ok(info.keyUsageCritical, `${name}: KeyUsage critical`);
  if (expect.template === "talos") {
    assert.deepEqual(info.keyUsage, ["Digital Signature", "Certificate Sign"], `${name}: KeyUsage`);
    assert.deepEqual(info.extKeyUsage, ["TLS Web Server Authentication", "TLS Web Client Authentication"], `${name}: EKU`);
  } else {
    assert.deepEqual(info.keyUsage, ["Digital Signature", "Key Encipherment", "Certificate Sign"], `${name}: KeyUsage`);
    assert.deepEqual(info.extKeyUsage, [], `${name}: no EKU`);
  }
  assert.equal(info.signatureAlgorithm, expect.keyType === "ed25519" ? "ED25519" : "ecdsa-with-SHA256", `${name}: signature`);
  const lifetime = info.notAfter.getTime() - info.notBefore.getTime();
  assert.equal(lifetime, CA_LIFETIME_MS, `${name}: 87600 h lifetime`);
  assert.match(x.serialNumber, /^[0-9A-F]{32}$/, `${name}: 128-bit serial`);
  // SubjectKeyId = SHA-1 of the subjectPublicKey bits (RFC 5280 method 1), computed here independently.
  const spki = x.publicKey.export({ type: "spki", format: "der" });
  const bits = spki.subarray(spki.length - (expect.keyType === "ed25519" ? 32 : 65));
  const ski = crypto.createHash("sha1").update(bits).digest("hex").toUpperCase().match(/../g)!.join(":");
  assert.match(opensslText(ca.cert), new RegExp(`Subject Key Identifier: *\\n *${ski}`), `${name}: SubjectKeyId`);
}

describe("random tokens", () => {
  test("bootstrap tokens have the kubeadm shape and differ", () => {
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const t = bootstrapToken();
      assert.match(t, /^[a-z0-9]{6}\.[a-z0-9]{16}$/);
      assert.ok(isBootstrapToken(t));
      seen.add(t);
    }
    assert.equal(seen.size, 200);
    assert.ok(!isBootstrapToken("ABCDEF.0123456789abcdef"));
    assert.ok(!isBootstrapToken("abcdef0123456789abcdef"));
  });

  test("characters are uniform (rejection sampling, no modulo bias)", () => {
    // With `byte % 36` the first four characters would be 8/7 as likely (14 % more); require < 4 % spread.
    const s = randomString(36 * 10_000);
    const counts = new Map<string, number>();
    for (const c of s) counts.set(c, (counts.get(c) ?? 0) + 1);
    assert.deepEqual([...counts.keys()].sort(), [...TOKEN_ALPHABET].sort());
    const values = [...counts.values()];
    const max = Math.max(...values);
    const min = Math.min(...values);
    assert.ok(max / min < 1.08, `max ${max} / min ${min}`);
    const firstFour = [..."abcd"].map((c) => counts.get(c) ?? 0).reduce((a, b) => a + b) / 4;
    const rest = [..."wxyz"].map((c) => counts.get(c) ?? 0).reduce((a, b) => a + b) / 4;
    assert.ok(firstFour / rest < 1.06, `a-d average ${firstFour} vs w-z ${rest}`);
  });

  test("randomString validates its arguments", () => {
    assert.equal(randomString(0), "");
    assert.match(randomString(10, "01"), /^[01]{10}$/);
    assert.throws(() => randomString(-1), RangeError);
    assert.throws(() => randomString(3, "a"), RangeError);
  });
});

describe("Talos PEM label translation", () => {
  test("Ed25519 keys round-trip between PRIVATE KEY and ED25519 PRIVATE KEY", () => {
    const { privateKey } = crypto.generateKeyPairSync("ed25519");
    const std = privateKey.export({ type: "pkcs8", format: "pem" }) as string;
    const talos = toTalosKeyPem(std, "ed25519");
    assert.match(talos, /^-----BEGIN ED25519 PRIVATE KEY-----\n[\s\S]+\n-----END ED25519 PRIVATE KEY-----\n$/);
    assert.throws(() => crypto.createPrivateKey(talos)); // node:crypto (OpenSSL) rejects the Talos label
    const back = fromTalosKeyPem(talos);
    assert.equal(back, std);
    assert.equal(crypto.createPrivateKey(back).asymmetricKeyType, "ed25519");
  });

  test("other keys are left alone", () => {
    const { privateKey } = crypto.generateKeyPairSync("ec", { namedCurve: "prime256v1" });
    const sec1 = privateKey.export({ type: "sec1", format: "pem" }) as string;
    assert.equal(toTalosKeyPem(sec1, "ec"), sec1);
    assert.equal(fromTalosKeyPem(sec1), sec1);
  });
});

/**
 * Generate a bundle while watching Node's key-generation jobs (async_hooks `KEYPAIRGENREQUEST`) and the event
 * loop. A job run on libuv's thread pool completes through a callback (`before` fires); a synchronous one
 * never does. A 1 ms timer heartbeat (cheap, unlike a setImmediate spin that would steal a core from the
 * key generation) counts event-loop turns taken while some job was still pending. No wall-clock bound: the
 * facts hold however loaded the machine is.
 */
async function generateObserved(): Promise<{
  bundle: TalosSecretsBundle;
  jobs: number;
  completedByCallback: number;
  turnsWhilePending: number;
  ms: number;
}> {
  const pending = new Set<number>();
  let jobs = 0;
  let completedByCallback = 0;
  let turnsWhilePending = 0;
  let done = false;
  const hook = asyncHooks
    .createHook({
      init(id, type) {
        if (type !== "KEYPAIRGENREQUEST") return;
        jobs++;
        pending.add(id);
      },
      before(id) {
        if (pending.delete(id)) completedByCallback++;
      },
    })
    .enable();
  const beat = (): void => {
    if (done) return;
    if (pending.size > 0) turnsWhilePending++;
    setTimeout(beat, 1);
  };
  setTimeout(beat, 1);
  const t = Date.now();
  try {
    const bundle = await generateTalosBundle();
    return { bundle, jobs, completedByCallback, turnsWhilePending, ms: Date.now() - t };
  } finally {
    done = true;
    hook.disable();
  }
}

describe("Talos secrets bundle", () => {
  let bundle: TalosSecretsBundle;
  let observed: Awaited<ReturnType<typeof generateObserved>>;
  before(async () => {
    // One bundle per file (RSA-4096 is the slowest step of the suite), observed while it is generated.
    observed = await generateObserved();
    bundle = observed.bundle;
  });

  test("generation is asynchronous: every key on the thread pool while the event loop keeps turning", () => {
    // Five keys: the etcd, k8s and aggregator CAs (ECDSA), the OS CA (Ed25519), the service-account key (RSA-4096).
    assert.equal(observed.jobs, 5, "one key-generation job per key");
    assert.equal(observed.completedByCallback, 5, "every job completed through a thread-pool callback, none synchronously");
    assert.ok(observed.turnsWhilePending > 0, "the event loop turned while keys were being generated");
    console.log(`Talos bundle: ${observed.ms} ms, ${observed.turnsWhilePending} event-loop turns during key generation (informational)`);
  });

  test("random values and tokens have the Talos formats", () => {
    // Talos: cluster.id with Go's base64.URLEncoding (padded), the others with StdEncoding.
    assert.match(bundle.cluster.id, /^[A-Za-z0-9_-]{43}=$/);
    assert.equal(Buffer.from(bundle.cluster.id, "base64url").length, 32);
    for (const v of [bundle.cluster.secret, bundle.secrets.secretboxEncryptionSecret]) {
      assert.match(v, /^[A-Za-z0-9+/]{43}=$/);
      assert.equal(Buffer.from(v, "base64").length, 32);
    }
    assert.notEqual(bundle.cluster.id, bundle.cluster.secret);
    assert.ok(isBootstrapToken(bundle.secrets.bootstrapToken));
    assert.ok(isBootstrapToken(bundle.trustdInfo.token));
  });

  test("CAs: key types, subjects, usages and lifetimes match Talos", () => {
    assertCa("etcd", bundle.certs.etcd, { subject: "O=etcd", keyType: "ec", template: "talos" });
    assertCa("k8s", bundle.certs.k8s, { subject: "O=kubernetes", keyType: "ec", template: "talos" });
    assertCa("k8sAggregator", bundle.certs.k8sAggregator, { subject: "", keyType: "ec", template: "talos" });
    assertCa("os", bundle.certs.os, { subject: "O=talos", keyType: "ed25519", template: "talos" });
  });

  test("service-account key is RSA-4096 PKCS#1", () => {
    const key = crypto.createPrivateKey(bundle.certs.k8sServiceAccount.key);
    assert.equal(key.asymmetricKeyType, "rsa");
    assert.equal(key.asymmetricKeyDetails?.modulusLength, 4096);
    assert.equal(pemLabel(bundle.certs.k8sServiceAccount.key), "RSA PRIVATE KEY");
    assert.equal(opensslKeyType(bundle.certs.k8sServiceAccount.key), "RSA");
  });

  test("YAML has the talosctl gen secrets shape and round-trips", () => {
    const text = talosBundleToYaml(bundle);
    assert.match(text, /^cluster:\n {4}id: /); // 4-space indentation like talosctl
    const d = YAML.parse(text);
    assert.deepEqual(Object.keys(d), ["cluster", "secrets", "trustdinfo", "certs"]);
    assert.deepEqual(Object.keys(d.secrets), ["bootstraptoken", "secretboxencryptionsecret"]);
    assert.deepEqual(Object.keys(d.certs), ["etcd", "k8s", "k8saggregator", "k8sserviceaccount", "os"]);
    assert.deepEqual(Object.keys(d.certs.k8sserviceaccount), ["key"]);
    const pem = (b64: string) => Buffer.from(b64, "base64").toString("utf8");
    assert.equal(pem(d.certs.k8s.crt), bundle.certs.k8s.cert);
    assert.equal(pemLabel(pem(d.certs.k8s.key)), "EC PRIVATE KEY");
    assert.equal(pemLabel(pem(d.certs.os.key)), "ED25519 PRIVATE KEY");
    assert.equal(pemLabel(pem(d.certs.k8sserviceaccount.key)), "RSA PRIVATE KEY");
    assert.equal(d.trustdinfo.token, bundle.trustdInfo.token);
    assert.deepEqual(talosBundleFromYaml(text), bundle);
  });

  test("parsing a YAML with a missing field names it", () => {
    const d = YAML.parse(talosBundleToYaml(bundle));
    delete d.certs.os.key;
    assert.throws(() => talosBundleFromYaml(YAML.stringify(d)), /certs\.os\.key is missing/);
  });
});

describe("kubeadm PKI", () => {
  let pki: KubeadmPki;
  before(async () => {
    pki = await generateKubeadmPki();
  });

  test("CAs have kubeadm's names and verify", () => {
    assertCa("ca", pki.ca, { subject: "CN=kubernetes", keyType: "ec", template: "kubernetes" });
    assertCa("front-proxy-ca", pki.frontProxyCa, { subject: "CN=front-proxy-ca", keyType: "ec", template: "kubernetes" });
    assertCa("etcd/ca", pki.etcdCa, { subject: "CN=etcd-ca", keyType: "ec", template: "kubernetes" });
  });

  test("service-account key pair is RSA-2048, PKCS#1 key and SPKI public key that match", () => {
    const key = crypto.createPrivateKey(pki.serviceAccount.key);
    assert.equal(key.asymmetricKeyDetails?.modulusLength, 2048);
    assert.equal(pemLabel(pki.serviceAccount.key), "RSA PRIVATE KEY");
    assert.equal(pemLabel(pki.serviceAccount.pub), "PUBLIC KEY");
    const data = Buffer.from("sa");
    const sig = crypto.sign("sha256", data, key);
    assert.ok(crypto.verify("sha256", data, crypto.createPublicKey(pki.serviceAccount.pub), sig));
  });

  test("bootstrap token and CA cert hash (checked with the openssl pipeline kubeadm documents)", () => {
    assert.ok(isBootstrapToken(pki.bootstrapToken));
    assert.match(pki.caCertHash, /^sha256:[0-9a-f]{64}$/);
    assert.equal(pki.caCertHash, `sha256:${opensslSpkiSha256(pki.ca.cert)}`);
    assert.equal(caCertHash(pki.ca.cert), pki.caCertHash);
    assert.notEqual(caCertHash(pki.etcdCa.cert), pki.caCertHash);
  });
});

describe("k3s PKI", () => {
  let pki: K3sPki;
  before(async () => {
    pki = await generateK3sPki({ now: new Date("2026-01-02T03:04:05Z") });
  });

  test("five CAs with k3s's names verify", () => {
    const stamp = Math.floor(Date.parse("2026-01-02T03:04:05Z") / 1000);
    assertCa("server-ca", pki.serverCa, { subject: `CN=k3s-server-ca@${stamp}`, keyType: "ec", template: "kubernetes" });
    assertCa("client-ca", pki.clientCa, { subject: `CN=k3s-client-ca@${stamp}`, keyType: "ec", template: "kubernetes" });
    assertCa("request-header-ca", pki.requestHeaderCa, {
      subject: `CN=k3s-request-header-ca@${stamp}`,
      keyType: "ec",
      template: "kubernetes",
    });
    assertCa("etcd/server-ca", pki.etcdServerCa, { subject: `CN=etcd-server-ca@${stamp}`, keyType: "ec", template: "kubernetes" });
    assertCa("etcd/peer-ca", pki.etcdPeerCa, { subject: `CN=etcd-peer-ca@${stamp}`, keyType: "ec", template: "kubernetes" });
    const fps = [pki.serverCa, pki.clientCa, pki.requestHeaderCa, pki.etcdServerCa, pki.etcdPeerCa].map((c) => c.cert);
    assert.equal(new Set(fps).size, 5);
  });

  test("service.key is RSA PKCS#1", () => {
    assert.equal(pemLabel(pki.serviceKey), "RSA PRIVATE KEY");
    assert.equal(opensslKeyType(pki.serviceKey), "RSA");
  });

  test("K10 token hashes the exact server-ca.crt bytes (checked with openssl)", () => {
    const m = /^K10([0-9a-f]{64})::server:([a-z0-9]{32})$/.exec(pki.token);
    assert.ok(m, pki.token);
    assert.equal(m[1], opensslSha256(pki.serverCa.cert));
    assert.equal(k3sToken(pki.serverCa.cert, m[2]), pki.token);
    // One changed byte (e.g. CRLF line endings) changes the hash: upload the PEM byte for byte.
    assert.notEqual(k3sToken(pki.serverCa.cert.replace(/\n/g, "\r\n"), m[2]), pki.token);
  });
});
