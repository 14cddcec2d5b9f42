// L2 + L3: ClusterReadiness's serialized provider loaded by the real dynamic-provider host, driven over
// gRPC as the engine does, against a fake kube-apiserver (127.0.0.1, client certificate required).
import { describe, test, before, after, beforeEach } from "node:test";
import * as assert from "node:assert/strict";
import { deriveKubeconfig, issueCa } from "../../sdk/pki";
import { ClusterReadiness } from "../../sdk/dynamic/clusterReadiness";
import { UNKNOWN } from "../../sdk/impact/unknown";
import { captureProvider, startProviderHost, ProviderHostError, type CapturedProvider, type ProviderHost } from "../harness/engine";
import { daemonSet, node, pod, probeFails, probeSucceeds, startFakeKubeApiServer, type FakeKubeApiServer } from "../fakes/kube-apiserver";

const fast = {
  apiServerSeconds: 1.5,
  nodesSeconds: 1,
  daemonSetsSeconds: 1,
  probeSeconds: 1.5,
  probeAttemptSeconds: 0.3,
  requestSeconds: 2,
};
/**
 * The host runs on the real clock, so a check that should pass gets budgets no loaded machine exhausts (a
 * passing check returns at its first success, so they cost nothing); a test of a timeout shortens only the
 * check under test, whose outcome is then the same however slow the machine is.
 */
const patient = {
  apiServerTimeoutMs: 120_000,
  nodesTimeoutMs: 120_000,
  daemonSetsTimeoutMs: 120_000,
  probeTimeoutMs: 120_000,
  probeAttemptTimeoutMs: 60_000,
  requestTimeoutMs: 30_000,
};

describe("ClusterReadiness through the dynamic-provider host", () => {
  let fake: FakeKubeApiServer;
  let host: ProviderHost;
  let kubeconfig: string;
  let cap: CapturedProvider;
  const inputs = (over: Record<string, unknown> = {}) => ({ ...cap.inputs, ...patient, ...over, __provider: cap.provider });

  before(async () => {
    const ca = await issueCa({ subject: { commonName: "kubernetes" }, algorithm: "ecdsa-p256", template: "kubernetes" });
    fake = await startFakeKubeApiServer({ serverCa: ca, clientCaPem: ca.cert });
    kubeconfig = (await deriveKubeconfig({ clusterName: "dev", endpoint: fake.url, caCert: ca.cert, caKey: ca.key })).text;
    cap = await captureProvider(
      () =>
        new ClusterReadiness("dev-ready", {
          kubeconfig,
          distribution: "Talos",
          provider: "Docker",
          connectivityProbe: true,
          timeouts: fast,
          pollIntervalSeconds: 0.02,
        }),
    );
    host = await startProviderHost();
  });
  after(async () => {
    await host?.close();
    await fake?.close();
  });
  beforeEach(() => {
    fake.version = () => 200;
    fake.versionCount = 0;
    fake.nodes = [node("dev-control-plane-1")];
    fake.daemonSets = [daemonSet("cilium", { desired: 1 })];
    fake.daemonSetStatus = 200;
    fake.pods = {};
    fake.probe = probeSucceeds;
    fake.probeAttempts = 0;
    host.clearOutput();
  });

  test("the registration: real type, secret kubeconfig, small serialized provider without the credential", () => {
    assert.equal(cap.type, "pulumi-nodejs:dynamic/ksail:ClusterReadiness");
    assert.ok(cap.secretInputs.includes("kubeconfig"));
    assert.deepEqual(cap.resource.options.additionalSecretOutputs, ["kubeconfig"]);
    assert.equal(cap.inputs.apiServerSuccesses, 3);
    assert.equal(cap.inputs.nodesTimeoutMs, 1_000);
    assert.ok(cap.provider.length < 4096, `serialized provider is ${cap.provider.length} bytes`);
    assert.ok(!cap.provider.includes("BEGIN"), "no PEM in the serialized provider");
    assert.ok(!cap.provider.includes(fake.url), "no endpoint in the serialized provider");
  });

  test("durations are given in seconds and reach the provider as its millisecond inputs", () => {
    assert.equal(cap.inputs.apiServerTimeoutMs, 1_500);
    assert.equal(cap.inputs.probeAttemptTimeoutMs, 300);
    assert.equal(cap.inputs.pollIntervalMs, 20);
    assert.equal(cap.inputs.workloadsTimeoutMs, 600_000, "default 600 s");
  });

  test("preview never contacts the cluster: check/diff only, unknown kubeconfig means changes", async () => {
    const news = { ...cap.inputs, kubeconfig: UNKNOWN, __provider: cap.provider };
    const p = await host.preview(cap.urn, news);
    assert.equal(p.op, "create");
    const checked = await host.check(cap.urn, {}, { ...cap.inputs, __provider: cap.provider });
    assert.deepEqual(checked.failures, []);
    const d = await host.diff("x", cap.urn, { ...cap.inputs, __provider: cap.provider }, { ...checked.inputs, kubeconfig: UNKNOWN });
    assert.equal(d.changes, "some");
    assert.equal(fake.requests.length, 0, "no request reached the API server during check/diff");
  });

  test("check rejects a bad kubeconfig and bad numbers with the property named", async () => {
    const r = await host.check(
      cap.urn,
      {},
      { ...cap.inputs, kubeconfig: "apiVersion: v1\nkind: Config\n", pollIntervalMs: 0, __provider: cap.provider },
    );
    const props = r.failures.map((f) => f.property).sort();
    assert.deepEqual(props, ["kubeconfig", "pollIntervalMs"]);
  });

  test("stable cluster: create succeeds, outputs record version and nodes; same inputs → no diff; trigger change → update re-runs", async () => {
    const s1 = await host.up(cap.urn, inputs());
    assert.equal(s1.op, "create");
    assert.equal(s1.outputs.kubernetesVersion, "v1.36.0");
    assert.equal(s1.outputs.nodeCount, 1);
    assert.equal(fake.probeAttempts, 1);
    await host.waitForOutput(/\[ClusterReadiness\] in-cluster connectivity to 10\.96\.0\.1:443 ok/);
    const s2 = await host.up(cap.urn, inputs(), s1);
    assert.equal(s2.op, "same");
    const versionCalls = fake.versionCount;
    const s3 = await host.up(cap.urn, inputs({ trigger: "v2" }), s2);
    assert.equal(s3.op, "update");
    assert.ok(fake.versionCount >= versionCalls + 3, "the update ran the checks again");
    await host.destroy(cap.urn, s3);
  });

  test("flapping API server still passes once the streak holds", async () => {
    const pattern = [200, 500, 200, 200, 502, 200, 200, 200];
    fake.version = (n) => pattern[n - 1] ?? 200;
    const s = await host.up(cap.urn, inputs());
    assert.equal(s.op, "create");
    assert.equal(fake.versionCount, 8);
  });

  test("never-ready API server: create fails with a clear timeout error", async () => {
    fake.version = () => 503;
    await assert.rejects(host.up(cap.urn, inputs({ apiServerTimeoutMs: 1_500 })), (e: Error) => {
      assert.ok(e instanceof ProviderHostError);
      assert.match(
        e.message,
        /API server https:\/\/127\.0\.0\.1:\d+ is not stable: needed 3 consecutive \/version successes within 1\.5 s, best streak 0; last failure: HTTP 503/,
      );
      return true;
    });
  });

  test("DaemonSet not ready: create fails naming the DaemonSet and the failing pod", async () => {
    fake.daemonSets = [daemonSet("cilium", { desired: 1, updated: 1, unavailable: 1 })];
    fake.pods = { "kube-system": [pod("cilium-7xq", "Running", { reason: "CrashLoopBackOff" })] };
    await assert.rejects(host.up(cap.urn, inputs({ daemonSetsTimeoutMs: 1_000 })), (e: Error) => {
      assert.match(
        e.message,
        /kube-system DaemonSets not ready within 1 s: DaemonSets not ready: cilium \(desired 1, updated 1, unavailable 1\)/,
      );
      assert.match(e.message, /kube-system\/cilium-7xq Running — main: CrashLoopBackOff/);
      return true;
    });
  });

  test("probe pod failing: create fails after retries with the pod's reason", async () => {
    fake.probe = probeFails;
    // 6 s with a 500 ms pause after each failed attempt: about ten attempts when idle, and still several
    // even if every request took a second (the exact attempt count is asserted at L3 on a virtual clock).
    await assert.rejects(
      host.up(cap.urn, inputs({ probeTimeoutMs: 6_000, pollIntervalMs: 500 })),
      /In-cluster connectivity probe .* did not succeed within 6 s after \d+ attempt\(s\); last: attempt \d+: Error exit 1/,
    );
    assert.ok(fake.probeAttempts >= 2, `retried (${fake.probeAttempts} attempts)`);
  });

  test("refresh: nothing to read — the state comes back unchanged without contacting the cluster, even when it is down; no repair follows", async () => {
    assert.match(cap.provider, /\.read\(/);
    const s1 = await host.up(cap.urn, inputs());
    fake.version = () => 503;
    fake.nodes = [];
    const calls = fake.versionCount;
    const r = await host.read(s1.id, cap.urn, s1.outputs, s1.inputs);
    assert.equal(r.id, s1.id);
    assert.deepEqual(r.props, s1.outputs);
    assert.equal(fake.versionCount, calls, "refresh contacted the API server");
    const p = await host.preview(cap.urn, inputs(), { ...s1, outputs: r.props });
    assert.equal(p.op, "same");
    await host.destroy(cap.urn, s1);
  });

  test("delete tolerates anything (nothing to remove)", async () => {
    await host.delete("readiness-gone", cap.urn, { ...cap.inputs, __provider: cap.provider });
  });
});
