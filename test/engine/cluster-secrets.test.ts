// L2: ClusterSecrets through the real dynamic-provider host (@pulumi/pulumi/cmd/dynamic-provider) over gRPC,
// with the `__provider` captured from a mocks run: Check/Diff/Create/Update/Delete as the engine calls them.
import { after, before, describe, test } from "node:test";
import * as assert from "node:assert/strict";
import * as crypto from "node:crypto";
import {
  captureProvider,
  startProviderHost,
  CheckFailedError,
  type CapturedProvider,
  type ProviderHost,
  type StepResult,
  type Props,
} from "../harness/engine";
import { ClusterSecrets, CLUSTER_SECRETS_SECRET_OUTPUTS, type ClusterSecretsArgs } from "../../sdk/dynamic/clusterSecrets";
import { UNKNOWN } from "../../sdk/impact/unknown";
import {
  kubeconfigClientCert,
  talosconfigClientCert,
  talosBundleToYaml,
  type TalosSecretsBundle,
  type KubeadmPki,
  type K3sPki,
  type KwokPki,
  type DockerTls,
} from "../../sdk/pki";
import { opensslVerify } from "../harness/openssl";

const TALOS_ARGS: ClusterSecretsArgs = {
  clusterName: "dev",
  distribution: "Talos",
  endpoints: { kubernetes: "https://127.0.0.1:6443", talos: ["127.0.0.1:50000"], talosNodes: ["10.5.0.2"] },
};

/** The verifying CA and the client cert of a kubeconfig, checked with openssl. */
function assertKubeconfigSignedBy(kubeconfig: unknown, caPem: string, server: string): void {
  assert.equal(typeof kubeconfig, "string");
  const c = kubeconfigClientCert(kubeconfig as string);
  assert.equal(c.server, server);
  const v = opensslVerify(caPem, c.certPem, "sslclient");
  assert.ok(v.ok, v.output);
  assert.ok(new crypto.X509Certificate(c.certPem).checkPrivateKey(crypto.createPrivateKey(c.keyPem)));
}

describe("ClusterSecrets through the dynamic-provider host", () => {
  let cap: CapturedProvider;
  let host: ProviderHost;
  let news: Props;
  let s1: StepResult;

  before(async () => {
    cap = await captureProvider(() => new ClusterSecrets("dev-secrets", TALOS_ARGS));
    news = { ...cap.inputs, __provider: cap.provider };
    // Generous deadline: RSA-4096 generation takes seconds, and far longer on a machine under heavy load.
    host = await startProviderHost({ config: {}, timeoutMs: 180_000 });
  });
  after(async () => {
    await host?.close();
  });

  test("registration: type token, additionalSecretOutputs, a small trampoline without key material", () => {
    assert.equal(cap.type, "pulumi-nodejs:dynamic/ksail:ClusterSecrets");
    assert.deepEqual(cap.resource.options.additionalSecretOutputs, CLUSTER_SECRETS_SECRET_OUTPUTS);
    assert.deepEqual([...CLUSTER_SECRETS_SECRET_OUTPUTS].sort(), [
      "dockerTls",
      "k3s",
      "kubeadm",
      "kubeconfig",
      "kwok",
      "talos",
      "talosconfig",
    ]);
    assert.ok(cap.provider.length < 4096, `__provider is ${cap.provider.length} bytes`);
    assert.match(cap.provider, /clusterSecrets\.impl/);
    assert.doesNotMatch(cap.provider, /PRIVATE KEY|CERTIFICATE|K10|BEGIN/);
    assert.equal(cap.providerSecret, false);
    assert.deepEqual(cap.inputs, {
      clusterName: "dev",
      distribution: "Talos",
      endpoints: { kubernetes: "https://127.0.0.1:6443", talos: ["127.0.0.1:50000"], talosNodes: ["10.5.0.2"] },
    });
  });

  test("check fills defaults and rejects bad inputs with the field named", async () => {
    const ok = await host.check(cap.urn, {}, news);
    assert.deepEqual(ok.failures, []);
    assert.equal(ok.inputs.certLifetimeHours, 8760);
    assert.equal(ok.inputs.renewBeforeHours, 720);
    const bad = await host.check(
      cap.urn,
      {},
      {
        ...news,
        distribution: "Omni",
        endpoints: { kubernetes: "http://127.0.0.1:6443" },
        certLifetimeHours: 24,
        renewBeforeHours: 48,
      },
    );
    assert.deepEqual(
      bad.failures.map((f) => f.property),
      ["distribution", "endpoints", "renewBeforeHours"],
    );
    assert.match(bad.failures[0].reason, /allowed: Talos, Vanilla, K3s, KWOK/);
    assert.match(bad.failures[1].reason, /https URL/);
    const noTalosEp = await host.check(cap.urn, {}, { ...news, endpoints: { kubernetes: "https://127.0.0.1:6443" } });
    assert.deepEqual(
      noTalosEp.failures.map((f) => f.property),
      ["endpoints"],
    );
    assert.match(noTalosEp.failures[0].reason, /endpoints\.talos/);
    await assert.rejects(host.preview(cap.urn, { ...news, clusterName: "" }), CheckFailedError);
    // Unknowns in preview are not failures.
    const unknown = await host.check(cap.urn, {}, { ...news, endpoints: UNKNOWN, clusterName: UNKNOWN });
    assert.deepEqual(unknown.failures, []);
  });

  test("create generates the Talos bundle and derives kubeconfig + talosconfig", async () => {
    const t = Date.now();
    s1 = await host.up(cap.urn, news);
    const t1 = Date.now();
    const ms = t1 - t;
    assert.equal(s1.op, "create");
    assert.match(s1.id, /^dev-[0-9a-f]{8}$/);
    const o = s1.outputs;
    const talos = o.talos as TalosSecretsBundle;
    assert.match(talos.certs.os.cert, /BEGIN CERTIFICATE/);
    assert.match(talos.certs.k8sServiceAccount.key, /BEGIN RSA PRIVATE KEY/);
    assert.equal(o.kubeadm, undefined);
    assert.equal(o.k3s, undefined);
    assert.equal(o.clusterName, "dev");
    assert.equal(o.certLifetimeHours, 8760);
    assertKubeconfigSignedBy(o.kubeconfig, talos.certs.k8s.cert, "https://127.0.0.1:6443");
    const tc = talosconfigClientCert(o.talosconfig as string);
    assert.deepEqual(tc.endpoints, ["127.0.0.1:50000"]);
    assert.deepEqual(tc.nodes, ["10.5.0.2"]);
    assert.ok(opensslVerify(talos.certs.os.cert, tc.certPem, "sslclient").ok);
    // Issued between the start and the end of the call (however long a loaded machine took): 8760 h from then.
    const notAfter = Date.parse(o.notAfter as string);
    assert.ok(notAfter >= t + 8760 * 3_600_000 && notAfter <= t1 + 8760 * 3_600_000, `notAfter ${String(o.notAfter)}`);
    assert.deepEqual(Object.keys(o.caFingerprints as object).sort(), ["etcd", "k8s", "k8sAggregator", "os"]);
    // Outputs survive the Struct round trip as a usable bundle.
    assert.match(talosBundleToYaml(talos), /^cluster:\n/);
    await host.waitForOutput(/generated the Talos cluster identity in [\d.]+ s/);
    console.log(`ClusterSecrets Talos create through the host: ${ms} ms`);
  });

  test("same inputs: no change (no update, no replace), whatever the key order", async () => {
    const s = await host.up(cap.urn, news, s1);
    assert.equal(s.op, "same");
    assert.equal(s.diff?.changes, "none");
    const reordered = {
      ...news,
      endpoints: { talosNodes: ["10.5.0.2"], talos: ["127.0.0.1:50000"], kubernetes: "https://127.0.0.1:6443" },
    };
    const p = await host.preview(cap.urn, reordered, s1);
    assert.equal(p.op, "same");
  });

  test("refresh keeps the stored state (nothing outside state to read); the preview after it has nothing to do", async () => {
    // The provider implements read itself (state only), stated in code rather than left to the host's fallback.
    assert.match(cap.provider, /\.read\(/);
    const r = await host.read(s1.id, cap.urn, s1.outputs, s1.inputs);
    assert.equal(r.id, s1.id);
    assert.deepEqual(r.props, s1.outputs);
    assert.equal(r.inputs, undefined);
    const p = await host.preview(cap.urn, news, { ...s1, outputs: r.props });
    assert.equal(p.op, "same");
  });

  test("an endpoint change re-derives the credentials in place and keeps the CA material", async () => {
    const moved = { ...news, endpoints: { kubernetes: "https://10.0.0.5:6443", talos: ["10.0.0.5:50000"] } };
    const s = await host.up(cap.urn, moved, s1);
    assert.equal(s.op, "update");
    assert.deepEqual(s.diff?.replaces, []);
    assert.equal(s.id, s1.id);
    assert.deepEqual(s.outputs.talos, s1.outputs.talos, "bundle unchanged");
    assert.deepEqual(s.outputs.caFingerprints, s1.outputs.caFingerprints);
    assert.notEqual(s.outputs.kubeconfig, s1.outputs.kubeconfig);
    assertKubeconfigSignedBy(s.outputs.kubeconfig, (s1.outputs.talos as TalosSecretsBundle).certs.k8s.cert, "https://10.0.0.5:6443");
    assert.deepEqual(talosconfigClientCert(s.outputs.talosconfig as string).endpoints, ["10.0.0.5:50000"]);
    assert.deepEqual(talosconfigClientCert(s.outputs.talosconfig as string).nodes, []);
    // Preview with an endpoint not known yet: an update, not a replace.
    const p = await host.preview(cap.urn, { ...news, endpoints: UNKNOWN }, s1);
    assert.equal(p.op, "update");
  });

  test("a cluster name change replaces the identity", async () => {
    const renamed = { ...news, clusterName: "prod" };
    const p = await host.preview(cap.urn, renamed, s1);
    assert.equal(p.op, "replace");
    assert.deepEqual(p.diff?.replaces, ["clusterName"]);
    const s = await host.up(cap.urn, renamed, s1);
    assert.equal(s.op, "replace");
    assert.notEqual(s.id, s1.id);
    assert.notDeepEqual(s.outputs.caFingerprints, s1.outputs.caFingerprints);
    assert.notEqual((s.outputs.talos as TalosSecretsBundle).cluster.id, (s1.outputs.talos as TalosSecretsBundle).cluster.id);
    const unknownName = await host.preview(cap.urn, { ...news, clusterName: UNKNOWN }, s1);
    assert.deepEqual(unknownName.diff?.replaces, ["clusterName"]);
  });

  test("a distribution change replaces the identity (Talos → K3s)", async () => {
    const k3s = { ...news, distribution: "K3s", endpoints: { kubernetes: "https://127.0.0.1:6550" } };
    const s = await host.up(cap.urn, k3s, s1);
    assert.equal(s.op, "replace");
    assert.deepEqual(s.diff?.replaces, ["distribution"]);
    const pki = s.outputs.k3s as K3sPki;
    assert.equal(s.outputs.talos, undefined);
    assert.equal(s.outputs.talosconfig, undefined);
    assert.match(pki.token, /^K10[0-9a-f]{64}::server:/);
    const c = kubeconfigClientCert(s.outputs.kubeconfig as string);
    assert.equal(c.caPem, pki.serverCa.cert);
    assert.ok(opensslVerify(pki.clientCa.cert, c.certPem, "sslclient").ok);
  });

  test("Vanilla: kubeadm PKI, credentials from the cluster CA", async () => {
    const v = { ...news, clusterName: "kind", distribution: "Vanilla", endpoints: { kubernetes: "https://127.0.0.1:41000" } };
    const s = await host.up(cap.urn, v);
    const pki = s.outputs.kubeadm as KubeadmPki;
    assert.match(pki.caCertHash, /^sha256:[0-9a-f]{64}$/);
    assert.match(pki.bootstrapToken, /^[a-z0-9]{6}\.[a-z0-9]{16}$/);
    assertKubeconfigSignedBy(s.outputs.kubeconfig, pki.ca.cert, "https://127.0.0.1:41000");
    assert.equal(s.outputs.talosconfig, undefined);
    await host.destroy(cap.urn, s);
  });

  test("KWOK: kwokctl's CA and admin certificate, credentials from the CA; the admin key stays in the secret identity", async () => {
    const k = { ...news, clusterName: "sim", distribution: "KWOK", endpoints: { kubernetes: "https://127.0.0.1:25906" } };
    const s = await host.up(cap.urn, k);
    const pki = s.outputs.kwok as KwokPki;
    assert.match(pki.admin.key, /BEGIN RSA PRIVATE KEY|BEGIN PRIVATE KEY/);
    assert.ok(opensslVerify(pki.ca.cert, pki.admin.cert, "sslserver").ok, "the admin certificate serves the API");
    assert.ok(opensslVerify(pki.ca.cert, pki.admin.cert, "sslclient").ok, "and authenticates the components");
    assertKubeconfigSignedBy(s.outputs.kubeconfig, pki.ca.cert, "https://127.0.0.1:25906");
    assert.deepEqual(Object.keys(s.outputs.caFingerprints as object), ["ca"]);
    assert.equal(s.outputs.talosconfig, undefined);
    await host.destroy(cap.urn, s);
  });

  test("Docker engine TLS (Vanilla on a host): a CA, the serving certificate for endpoints.docker, a client certificate; re-issued in place with the same CA", async () => {
    const v = {
      ...news,
      clusterName: "nested",
      distribution: "Vanilla",
      endpoints: { kubernetes: "https://192.0.2.30:6443", docker: "192.0.2.31" },
    };
    const bad = await host.check(cap.urn, {}, { ...v, endpoints: { ...v.endpoints, docker: "tcp://192.0.2.31:2376" } });
    assert.deepEqual(
      bad.failures.map((f) => f.property),
      ["endpoints"],
    );
    assert.match(bad.failures[0].reason, /endpoints\.docker .*without scheme or port/);
    const s = await host.up(cap.urn, v);
    const tls = s.outputs.dockerTls as DockerTls;
    assert.ok(opensslVerify(tls.ca.cert, tls.server.cert, "sslserver").ok, "the engine's certificate serves");
    assert.ok(opensslVerify(tls.ca.cert, tls.client.cert, "sslclient").ok, "the client certificate authenticates");
    assert.ok(!opensslVerify(tls.ca.cert, tls.client.cert, "sslserver").ok, "the client certificate does not serve");
    const server = new crypto.X509Certificate(tls.server.cert);
    assert.ok(server.checkIP("192.0.2.31"), server.subjectAltName);
    assert.ok(server.checkIP("127.0.0.1") && server.checkHost("localhost"), "and the pod's own probes");
    assert.ok(new crypto.X509Certificate(tls.client.cert).checkPrivateKey(crypto.createPrivateKey(tls.client.key)));
    // The front moves to a DNS name: new certificates for it, the same CA (the engine keeps trusting its clients).
    const moved = await host.up(cap.urn, { ...v, endpoints: { ...v.endpoints, docker: "docker.example.test" } }, s);
    assert.equal(moved.op, "update");
    const t2 = moved.outputs.dockerTls as DockerTls;
    assert.equal(t2.ca.cert, tls.ca.cert);
    assert.ok(new crypto.X509Certificate(t2.server.cert).checkHost("docker.example.test"));
    assert.notEqual(t2.client.cert, tls.client.cert);
    // Without a Docker endpoint there is no engine TLS.
    const plain = await host.up(cap.urn, { ...v, clusterName: "flat", endpoints: { kubernetes: "https://127.0.0.1:6443" } });
    assert.equal(plain.outputs.dockerTls, undefined);
    await host.destroy(cap.urn, moved);
    await host.destroy(cap.urn, plain);
  });

  test("renewal: inside the window the next up re-issues client certificates with the same CA", async () => {
    // 1 h certificates with a 30 min renewal window, re-derived in place from s1 (no second RSA-4096 bundle).
    // The passage of time is simulated instead of waited for: the provider's diff reads the expiry recorded
    // in state, so a state whose recorded notAfter is 20 min away is exactly the state 40 min after issue.
    const short = { ...news, certLifetimeHours: 1, renewBeforeHours: 0.5 };
    const a = await host.up(cap.urn, short, s1);
    assert.equal(a.op, "update");
    assert.deepEqual(a.outputs.talos, s1.outputs.talos);
    const issuedNotAfter = Date.parse(a.outputs.notAfter as string);
    assert.ok(issuedNotAfter - Date.parse(a.outputs.issuedAt as string) === 3_600_000, "1 h lifetime from issue");
    host.clearOutput();
    const early = await host.preview(cap.urn, short, a);
    assert.equal(early.op, "same", "fresh certificates: outside the window, no change");
    assert.doesNotMatch(host.output().stdout, /within the renewal window/);

    const aged = { ...a, outputs: { ...a.outputs, notAfter: new Date(issuedNotAfter - 40 * 60_000).toISOString() } };
    const late = await host.preview(cap.urn, short, aged);
    assert.equal(late.op, "update");
    assert.deepEqual(late.diff?.replaces, []);
    await host.waitForOutput(/within the renewal window of 0\.5 h/);
    const b = await host.up(cap.urn, short, aged);
    assert.equal(b.op, "update");
    assert.deepEqual(b.outputs.talos, a.outputs.talos, "CA material untouched");
    assert.ok(Date.parse(b.outputs.notAfter as string) >= issuedNotAfter, "a full new lifetime, not the aged one");
    assert.ok(Date.parse(b.outputs.notAfter as string) - Date.parse(b.outputs.issuedAt as string) === 3_600_000);
    assert.notEqual(
      kubeconfigClientCert(b.outputs.kubeconfig as string).certPem,
      kubeconfigClientCert(a.outputs.kubeconfig as string).certPem,
    );
    assertKubeconfigSignedBy(b.outputs.kubeconfig, (a.outputs.talos as TalosSecretsBundle).certs.k8s.cert, "https://127.0.0.1:6443");
    await host.waitForOutput(/re-issued the admin client certificates/);
    const after = await host.preview(cap.urn, short, b);
    assert.equal(after.op, "same", "freshly re-issued: outside the window again");
    // An expiry already past (a state left alone for longer than the lifetime) renews as well.
    const expired = { ...a, outputs: { ...a.outputs, notAfter: new Date(issuedNotAfter - 2 * 3_600_000).toISOString() } };
    assert.equal((await host.preview(cap.urn, short, expired)).op, "update");
  });

  test("delete succeeds, also for a resource already gone", async () => {
    await host.destroy(cap.urn, s1);
    await host.destroy(cap.urn, s1);
  });
});
