// L3: the ClusterReadiness checks over real HTTPS against a fake kube-apiserver on 127.0.0.1 that requires
// the kubeconfig's client certificate (derived from the cluster CA with sdk/pki). Deadlines run on a virtual
// clock (test/harness/clock.ts): a timeout is a number of polls, so the outcome does not depend on machine load.
import { describe, test, before, after, beforeEach } from "node:test";
import * as assert from "node:assert/strict";
import { deriveKubeconfig, issueCa, type CertAndKey } from "../../sdk/pki";
import { runReadiness, type ReadinessInputs } from "../../sdk/dynamic/clusterReadiness.impl";
import { NotReadyError } from "../../sdk/dynamic/clusterReadiness.checks";
import { VirtualClock } from "../harness/clock";
import {
  daemonSet,
  deployment,
  webhookConfig,
  node,
  pod,
  probeFails,
  probeImagePull,
  probeSucceeds,
  startFakeKubeApiServer,
  type FakeKubeApiServer,
} from "../fakes/kube-apiserver";

/** runReadiness on a fresh virtual clock (or the one given). */
function run(inputs: ReadinessInputs, clock = new VirtualClock()) {
  return runReadiness(inputs, clock);
}

function settings(kubeconfig: string, over: Partial<ReadinessInputs> = {}): ReadinessInputs {
  return {
    kubeconfig,
    apiServerSuccesses: 3,
    apiServerTimeoutMs: 1_500,
    checkNodes: true,
    nodesTimeoutMs: 1_000,
    ignoreTaints: [],
    checkDaemonSets: true,
    daemonSetsTimeoutMs: 1_000,
    connectivityProbe: false,
    probeTimeoutMs: 1_500,
    probeAttemptTimeoutMs: 300,
    probeImage: "busybox:1.36.1",
    pollIntervalMs: 20,
    // Real per-request bound (only a hang would reach it): a request timing out under load would change the
    // counts and "last failure" the tests assert.
    requestTimeoutMs: 60_000,
    podNamespaces: ["kube-system"],
    ...over,
  };
}

describe("ClusterReadiness checks against a fake API server requiring the client certificate", () => {
  let ca: CertAndKey;
  let fake: FakeKubeApiServer;
  let kubeconfig: string;
  const logs: string[] = [];
  const origLog = console.log;

  before(async () => {
    ca = await issueCa({ subject: { commonName: "kubernetes" }, algorithm: "ecdsa-p256", template: "kubernetes" });
    fake = await startFakeKubeApiServer({ serverCa: ca, clientCaPem: ca.cert });
    kubeconfig = (await deriveKubeconfig({ clusterName: "dev", endpoint: fake.url, caCert: ca.cert, caKey: ca.key })).text;
    console.log = (...a: unknown[]) => logs.push(a.join(" "));
  });
  after(async () => {
    console.log = origLog;
    await fake.close();
  });
  beforeEach(() => {
    fake.version = () => 200;
    fake.nodes = [node("dev-control-plane-1"), node("dev-worker-1")];
    fake.daemonSets = [
      daemonSet("cilium", { desired: 2 }),
      daemonSet("kube-proxy", { desired: 2 }),
      daemonSet("unused", { desired: 0, updated: 0 }),
    ];
    fake.daemonSetStatus = 200;
    fake.pods = {};
    fake.deployments = {};
    fake.webhooks = {};
    fake.probe = probeSucceeds;
    fake.requests.length = 0;
    fake.probeAttempts = 0;
    fake.versionCount = 0;
    logs.length = 0;
  });

  test("stable cluster: N /version successes, nodes, DaemonSets, probe — all as the derived admin user", async () => {
    const r = await run(settings(kubeconfig, { connectivityProbe: true }));
    assert.deepEqual(r, { version: "v1.36.0", nodes: 2, daemonSets: 3 });
    assert.equal(fake.requests.filter((q) => q.path === "/version").length, 3);
    assert.ok(fake.requests.every((q) => q.user === "admin"));
    assert.equal(fake.probeAttempts, 1);
    assert.deepEqual(fake.lastProbeCommand, ["sh", "-c", "nc -w 5 10.96.0.1 443 </dev/null"]);
    // The probe pod is deleted at the end.
    const last = fake.requests.filter((q) => q.path.endsWith("ksail-api-connectivity-check")).pop();
    assert.equal(last?.method, "GET");
    assert.ok(fake.requests.some((q) => q.method === "DELETE"));
    assert.ok(logs.some((l) => /API server .* stable \(3 consecutive/.test(l)));
    assert.ok(logs.some((l) => /in-cluster connectivity to 10.96.0.1:443 ok/.test(l)));
  });

  test("flapping API server: a failure resets the streak; stable once 5 succeed in a row", async () => {
    const pattern = [200, 200, 500, 200, 503, 200, 200, 200, 200, 200];
    fake.version = (n) => pattern[n - 1] ?? 200;
    const clock = new VirtualClock();
    const r = await run(settings(kubeconfig, { apiServerSuccesses: 5, checkNodes: false, checkDaemonSets: false }), clock);
    assert.equal(r.version, "v1.36.0");
    assert.equal(fake.requests.filter((q) => q.path === "/version").length, 10);
    assert.deepEqual(clock.sleeps, Array(9).fill(20), "one poll interval between consecutive /version requests");
  });

  test("never-ready API server: clear timeout error with the best streak and last failure", async () => {
    fake.version = (n) => (n % 3 === 0 ? 503 : 200);
    const clock = new VirtualClock();
    await assert.rejects(run(settings(kubeconfig, { apiServerSuccesses: 3, apiServerTimeoutMs: 1_500 }), clock), (e: Error) => {
      assert.ok(e instanceof NotReadyError);
      assert.match(
        e.message,
        /API server https:\/\/127\.0\.0\.1:\d+ is not stable: needed 3 consecutive \/version successes within 1\.5 s, best streak 2; last failure: HTTP 503: apiserver not ready/,
      );
      return true;
    });
    // 1.5 s at 20 ms per poll: 75 pauses, and one last answer at the deadline.
    assert.equal(fake.versionCount, 76);
    assert.equal(clock.elapsed, 1_500);
  });

  test("nodes not Ready: names the node and its condition, lists failing kube-system pods", async () => {
    fake.nodes = [node("dev-control-plane-1"), node("dev-worker-1", { ready: false })];
    fake.pods = {
      "kube-system": [pod("cilium-abcde", "Pending", { reason: "CrashLoopBackOff", message: "back-off 40s" }), pod("coredns-1", "Running")],
    };
    await assert.rejects(run(settings(kubeconfig, { nodesTimeoutMs: 200 })), (e: Error) => {
      assert.match(
        e.message,
        /Nodes not ready within 0\.2 s: not Ready: dev-worker-1 \(KubeletNotReady: container runtime network not ready/,
      );
      assert.match(e.message, /Failing pods:\n {2}kube-system\/cilium-abcde Pending — main: CrashLoopBackOff \(back-off 40s\)/);
      assert.doesNotMatch(e.message, /coredns/);
      return true;
    });
  });

  test("no schedulable node: names each node's taints; the cloud uninitialized taint can be ignored", async () => {
    const uninit = { key: "node.cloudprovider.kubernetes.io/uninitialized", effect: "NoSchedule" };
    fake.nodes = [
      node("cp-1", { taints: [uninit, { key: "node-role.kubernetes.io/control-plane", effect: "NoSchedule" }] }),
      node("w-1", { taints: [uninit] }),
    ];
    await assert.rejects(
      run(settings(kubeconfig, { nodesTimeoutMs: 150, checkDaemonSets: false })),
      /no schedulable node: cp-1 \(taint node.cloudprovider.kubernetes.io\/uninitialized:NoSchedule, taint node-role.kubernetes.io\/control-plane:NoSchedule\), w-1 \(taint node.cloudprovider/,
    );
    const r = await run(settings(kubeconfig, { ignoreTaints: [uninit.key], checkDaemonSets: false }));
    assert.equal(r.nodes, 2);
  });

  test("required node label (CCM initialised the nodes)", async () => {
    fake.nodes = [node("cp-1", { labels: { "instance.hetzner.cloud/provided-by": "cloud" } }), node("w-1")];
    await assert.rejects(
      run(settings(kubeconfig, { requireNodeLabel: "instance.hetzner.cloud/provided-by", nodesTimeoutMs: 150, checkDaemonSets: false })),
      /missing label instance.hetzner.cloud\/provided-by: w-1/,
    );
  });

  test("DaemonSet not ready: names it with its counts and the failing pods", async () => {
    fake.daemonSets = [daemonSet("cilium", { desired: 2, updated: 1, unavailable: 1 }), daemonSet("kube-proxy", { desired: 2 })];
    fake.pods = { "kube-system": [pod("cilium-xyz", "Pending", { reason: "ImagePullBackOff", message: "pull access denied" })] };
    await assert.rejects(run(settings(kubeconfig, { daemonSetsTimeoutMs: 200 })), (e: Error) => {
      assert.match(
        e.message,
        /kube-system DaemonSets not ready within 0\.2 s: DaemonSets not ready: cilium \(desired 2, updated 1, unavailable 1\)\./,
      );
      assert.doesNotMatch(e.message, /kube-proxy \(/);
      assert.match(e.message, /kube-system\/cilium-xyz Pending — main: ImagePullBackOff \(pull access denied\)/);
      return true;
    });
  });

  test("DaemonSet whose spec the controller has not observed yet is not ready, whatever its old status says (kubectl rollout status's rule; a real kube-apiserver returns a new one with no status)", async () => {
    // k8s.io/kubectl pkg/polymorphichelpers/rollout_status.go DaemonSetStatusViewer: generation <= observedGeneration first.
    fake.daemonSets = [
      daemonSet("cilium", { desired: 2, generation: 3, observedGeneration: 2 }),
      daemonSet("new", { desired: 0, updated: 0, observedGeneration: 0 }),
      daemonSet("kube-proxy", { desired: 2 }),
    ];
    await assert.rejects(run(settings(kubeconfig, { daemonSetsTimeoutMs: 200 })), (e: Error) => {
      assert.match(e.message, /cilium \(spec generation 3 not observed by the DaemonSet controller yet\)/);
      assert.match(e.message, /new \(spec generation 1 not observed by the DaemonSet controller yet\)/);
      assert.doesNotMatch(e.message, /kube-proxy \(/);
      return true;
    });
  });

  test("DaemonSet list: 429 is retried, 403 is fatal at once", async () => {
    fake.daemonSetStatus = 403;
    const clock = new VirtualClock();
    await assert.rejects(
      run(settings(kubeconfig, { daemonSetsTimeoutMs: 5_000 }), clock),
      /Listing kube-system DaemonSets failed: HTTP 403/,
    );
    const dsList = (path: string) => path === "/apis/apps/v1/namespaces/kube-system/daemonsets";
    assert.equal(fake.requests.filter((q) => dsList(q.path)).length, 1, "fatal at once: no second list");
    assert.deepEqual(clock.sleeps, [20, 20], "only the API-server streak paused, not the DaemonSet check");
    fake.requests.length = 0;
    fake.daemonSetStatus = 429;
    await assert.rejects(run(settings(kubeconfig, { daemonSetsTimeoutMs: 200 })), /not ready within 0\.2 s: listing DaemonSets: HTTP 429/);
    assert.equal(fake.requests.filter((q) => dsList(q.path)).length, 11, "429 retried every poll until the deadline");
  });

  test("probe pod failing: retried each attempt, then a clear error with the last reason", async () => {
    fake.probe = probeFails;
    // Each failed attempt is followed by one 250 ms pause: 2 s hold exactly 8 attempts.
    await assert.rejects(run(settings(kubeconfig, { connectivityProbe: true, probeTimeoutMs: 2_000, pollIntervalMs: 250 })), (e: Error) => {
      assert.match(
        e.message,
        /In-cluster connectivity probe \(pod default\/ksail-api-connectivity-check, busybox:1.36.1, nc 10.96.0.1:443\) did not succeed within 2 s after 8 attempt\(s\); last: attempt 8: Error exit 1\./,
      );
      return true;
    });
    assert.equal(fake.probeAttempts, 8, "retried after every failure");
    assert.ok(logs.some((l) => /connectivity probe failed \(attempt 1: Error exit 1\); retrying/.test(l)));
    assert.equal(fake.requests.at(-1)?.method === "GET" || fake.requests.at(-1)?.method === "DELETE", true);
  });

  test("probe pod stuck pulling: reported when the deadline passes", async () => {
    fake.probe = probeImagePull;
    // Attempts of 200 ms (4 polls of 50 ms) and a 50 ms pause after each: 4 attempts fit in the 1 s budget.
    await assert.rejects(
      run(settings(kubeconfig, { connectivityProbe: true, probeTimeoutMs: 1_000, probeAttemptTimeoutMs: 200, pollIntervalMs: 50 })),
      /did not succeed within 1 s after 4 attempt\(s\); last: attempt 4: ImagePullBackOff \(Back-off pulling image "busybox:1.36.1"\)/,
    );
    assert.ok(
      logs.some((l) => /connectivity probe timeout \(attempt 1: ImagePullBackOff/.test(l)),
      "an attempt that never leaves Pending times out",
    );
  });

  test("probe recovers after a failed attempt", async () => {
    fake.probe = (attempt, gets) => (attempt === 1 ? probeFails(attempt, gets) : probeSucceeds(attempt, gets));
    await run(settings(kubeconfig, { connectivityProbe: true }));
    assert.equal(fake.probeAttempts, 2);
  });

  test("deployments: absent ones are skipped, an unavailable one fails naming it; webhooks need CA bundles", async () => {
    const approver = "kubelet-serving-cert-approver/kubelet-serving-cert-approver";
    await run(settings(kubeconfig, { deployments: [approver], workloadsTimeoutMs: 200 }));
    fake.deployments = { [approver]: deployment(false) };
    await assert.rejects(
      run(settings(kubeconfig, { deployments: [approver], workloadsTimeoutMs: 200 })),
      /Workloads not ready within 0\.2 s: Deployment kubelet-serving-cert-approver\/kubelet-serving-cert-approver not Available \(MinimumReplicasUnavailable Deployment does not have minimum availability\.\)/,
    );
    fake.deployments = { [approver]: deployment(true) };
    const gk = { kind: "Validating" as const, name: "gatekeeper-validating-webhook-configuration" };
    await assert.rejects(
      run(settings(kubeconfig, { deployments: [approver], webhookConfigurations: [gk], workloadsTimeoutMs: 200 })),
      /ValidatingWebhookConfiguration gatekeeper-validating-webhook-configuration: not found/,
    );
    fake.webhooks = { "validating/gatekeeper-validating-webhook-configuration": webhookConfig(["Q0E=", undefined]) };
    await assert.rejects(
      run(settings(kubeconfig, { webhookConfigurations: [gk], workloadsTimeoutMs: 200 })),
      /no CA bundle yet on w1.example.io/,
    );
    // The bundle gets injected while the gate waits (150 virtual ms into the run).
    const clock = new VirtualClock();
    const injectAt = clock.now() + 150;
    clock.at(150, () => (fake.webhooks = { "validating/gatekeeper-validating-webhook-configuration": webhookConfig(["Q0E=", "Q0E="]) }));
    fake.requests.length = 0;
    await run(settings(kubeconfig, { webhookConfigurations: [gk], workloadsTimeoutMs: 3_000 }), clock);
    assert.ok(clock.now() >= injectAt, "the gate waited for the injection");
    const webhookGets = fake.requests.filter((q) => q.path.endsWith("/gatekeeper-validating-webhook-configuration")).length;
    assert.ok(webhookGets >= 2, `polled before and after the injection (${webhookGets} reads)`);
    assert.ok(logs.some((l) => /deployments and admission webhooks ready/.test(l)));
  });

  test("a kubeconfig from a foreign CA is rejected by the server (client cert required)", async () => {
    const foreign = await issueCa({ subject: { commonName: "kubernetes" }, algorithm: "ecdsa-p256", template: "kubernetes" });
    const kc = (
      await deriveKubeconfig({ clusterName: "dev", endpoint: fake.url, caCert: foreign.cert, caKey: foreign.key, serverCaCert: ca.cert })
    ).text;
    const before = fake.requests.length;
    await assert.rejects(
      run(settings(kc, { apiServerTimeoutMs: 200 })),
      /is not stable: .*best streak 0; last failure: .*(socket hang up|ECONNRESET|alert|certificate)/i,
    );
    assert.equal(fake.requests.length, before, "no request reached the handler");
  });
});
