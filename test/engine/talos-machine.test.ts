// L2 + L3: TalosMachine's serialized provider, loaded by the real dynamic-provider host and driven over gRPC as the
// engine does, against fake apid nodes over real Ed25519 mTLS (test/fakes/apid.ts models Talos's routing, etcd,
// maintenance mode and reset; each rule names its siderolabs/talos source there), a fake kube-apiserver for drains,
// and on Docker a fake Docker Engine on a real unix socket. Single-machine flows; the multi-node rollout (quorum,
// queue, Kubernetes upgrades, routing) is in talos-rollout.test.ts.
import { after, before, describe, test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { captureProvider, startProviderHost, type CapturedProvider, type ProviderHost, type StepResult } from "../harness/engine";
import { TalosMachine } from "../../sdk/dynamic/talosMachine";
import { UNKNOWN } from "../../sdk/impact/unknown";
import { FakeApid, talosconfigFor } from "../fakes/apid";
import { cfg, methods, startFakeTalosCluster, type FakeTalosCluster } from "../fakes/talosCluster";
import { pod } from "../fakes/kube-apiserver";
import { startFakeDockerEngine, type FakeDockerEngine } from "../fakes/docker-engine";

const BUDGET = { apiSeconds: 60, rebootSeconds: 60, drainSeconds: 30 }; // bounds a hang only: passing paths return at the first success
const ENV = { KSAIL_TALOS_QUEUE_GRACE_MS: "300" };

describe("TalosMachine through the dynamic-provider host (hcloud control plane on Talos 1.13)", () => {
  let cluster: FakeTalosCluster;
  let apid: FakeApid;
  let host: ProviderHost;
  let cap: CapturedProvider;
  let state: StepResult;
  // The inputs the program would send next: the last applied ones (the original capture before the first up).
  const news = (config: string, extra: Record<string, unknown> = {}) => ({
    ...(state?.inputs ?? cap.inputs),
    config,
    ...extra,
    __provider: cap.provider,
  });

  before(async () => {
    cluster = await startFakeTalosCluster({ controlPlanes: 1, kube: true, node: { versionTag: "v1.13.9", downCallsAfterReboot: 2 } });
    apid = cluster.controlPlanes[0];
    apid.config = undefined; // a fresh node: configured by create
    cap = await captureProvider(
      () =>
        new TalosMachine("dev-cp-1", {
          node: { name: "dev-controlplane-1", role: "controlplane", platform: "hcloud", endpoint: apid.endpoint },
          talosVersion: "1.13.9",
          config: cfg(),
          talosconfig: cluster.talosconfig,
          kubeconfig: cluster.kubeconfig!,
          controlPlanes: 1,
          installImage: "factory.talos.dev/hcloud-installer/abc:v1.13.9",
          timeouts: BUDGET,
        }),
    );
    host = await startProviderHost({ env: ENV });
  });
  after(async () => {
    await host?.close();
    await cluster?.stop();
  });

  test("the serialized provider is a small trampoline with no credential; config, talosconfig and kubeconfig are secret", () => {
    assert.equal(cap.type, "pulumi-nodejs:dynamic/ksail:TalosMachine");
    assert.ok(cap.provider.length < 4096, `__provider is ${cap.provider.length} bytes`);
    assert.match(cap.provider, /talosMachine\.impl/);
    assert.ok(!cap.provider.includes("PRIVATE KEY") && !cap.provider.includes(cluster.talosconfig.slice(0, 40)));
    assert.deepEqual([...cap.secretInputs].sort(), ["config", "kubeconfig", "talosconfig"]);
    assert.deepEqual(cap.resource.options.additionalSecretOutputs, ["config", "talosconfig", "kubeconfig", "dockerEngine"]);
  });

  test("create applies NO_REBOOT (never AUTO, which reboots by itself on Talos < 1.14) and records the version", async () => {
    const from = apid.calls.length;
    state = await host.up(cap.urn, news(cfg()));
    assert.equal(state.op, "create");
    assert.equal(state.id, "dev-controlplane-1");
    assert.deepEqual(methods(apid, from), ["Version", "Apply:NO_REBOOT", "Version"]);
    assert.equal(apid.config, cfg());
    assert.equal(state.outputs.appliedMode, "NO_REBOOT");
    assert.equal(state.outputs.talosVersionReported, "v1.13.9");
    const m = state.inputs.inPlace as { digest: string };
    assert.match(m.digest, /^[0-9a-f]{16}$/);
    assert.deepEqual(state.inputs.rollingRecreate, m);
    assert.ok(apid.calls.slice(from).every((c) => c.peerOrg === "os:admin"));
  });

  test("live change: preview shows ~inPlace only; up applies NO_REBOOT between health gates, no reboot, no drain", async () => {
    const next = news(cfg({ kubelet: "2" }));
    const p = await host.preview(cap.urn, next, state);
    assert.equal(p.op, "update");
    assert.notDeepEqual(p.inputs.inPlace, state.inputs.inPlace);
    assert.deepEqual(p.inputs.rebootRequired, state.inputs.rebootRequired);
    assert.match((p.inputs.inPlace as { reasons: string[] }).reasons.join("\n"), /machine\.kubelet\.extraArgs\.v: live/);
    await host.waitForOutput(/KSAIL-IMPACT TalosMachine dev-controlplane-1: in-place/);
    const reboots = apid.reboots;
    const from = apid.calls.length;
    state = await host.up(cap.urn, next, state);
    const seq = methods(apid, from);
    // The gate: version, machine status, services, the node's own etcd member (query_local).
    assert.deepEqual(seq.slice(0, 4), ["Version", "State.Get", "ServiceList", "EtcdMemberList"]);
    assert.equal(apid.callsOf("EtcdMemberList").at(-1)!.request.queryLocal, true);
    assert.ok(seq.includes("Apply:NO_REBOOT"));
    assert.equal(apid.reboots, reboots, "no reboot for a live change");
    assert.equal(cluster.kube!.evicted.length, 0, "no drain for a live change");
    assert.equal(state.outputs.lastChange, "in-place");
  });

  test("reboot-required change: STAGED, cordon and drain (DaemonSet and mirror pods stay), reboot, health gate, uncordon", async () => {
    cluster.kube!.pods = {
      apps: [
        pod("web", "Running", undefined, { nodeName: "dev-controlplane-1" }),
        pod("other", "Running", undefined, { nodeName: "elsewhere" }),
      ],
      "kube-system": [
        pod("cilium-x", "Running", undefined, { nodeName: "dev-controlplane-1", ownerKind: "DaemonSet" }),
        pod("kube-apiserver-dev-controlplane-1", "Running", undefined, { nodeName: "dev-controlplane-1", mirror: true }),
      ],
    };
    const next = news(cfg({ kubelet: "2", env: "http://proxy:3128" }));
    const p = await host.preview(cap.urn, next, state);
    assert.notDeepEqual(p.inputs.rebootRequired, state.inputs.rebootRequired);
    await host.waitForOutput(/KSAIL-IMPACT TalosMachine dev-controlplane-1: reboot-required\n\s+machine\.env/);
    const reboots = apid.reboots;
    const from = apid.calls.length;
    const kubeFrom = cluster.kube!.requests.length;
    state = await host.up(cap.urn, next, state);
    const seq = methods(apid, from);
    assert.ok(seq.indexOf("Apply:STAGED") < seq.indexOf("Reboot"));
    assert.equal(apid.reboots, reboots + 1);
    assert.equal(apid.config, cfg({ kubelet: "2", env: "http://proxy:3128" }), "the staged config is active after the reboot");
    assert.deepEqual(cluster.kube!.evicted, ["apps/web"], "drained: only the pod a drain evicts");
    const patches = cluster
      .kube!.requests.slice(kubeFrom)
      .filter((r) => r.method === "PATCH")
      .map((r) => r.path);
    assert.deepEqual(patches, ["/api/v1/nodes/dev-controlplane-1", "/api/v1/nodes/dev-controlplane-1"], "cordon, then uncordon");
    assert.equal((cluster.kube!.nodes[0] as any).spec.unschedulable, false);
    // The reboot is followed by the node's own etcd member answering (query_local), not just any member.
    const afterReboot = apid.calls.filter((c) => c.at >= apid.callsOf("Reboot").at(-1)!.at && c.method === "EtcdMemberList");
    assert.ok(afterReboot.length >= 1 && afterReboot.every((c) => c.request.queryLocal === true));
    assert.equal(state.outputs.lastChange, "reboot");
  });

  test("a PodDisruptionBudget that never allows the eviction fails the update after the drain budget, naming the pod", async () => {
    cluster.kube!.pods = { apps: [pod("db-0", "Running", undefined, { nodeName: "dev-controlplane-1" })] };
    cluster.kube!.pdbBlocked.add("apps/db-0");
    const prior = state;
    const next = news(cfg({ kubelet: "2", env: "pdb" }), { timeouts: { ...BUDGET, drainSeconds: 1 } });
    const reboots = apid.reboots;
    await assert.rejects(
      host.up(cap.urn, next, prior),
      /draining dev-controlplane-1 did not finish within 1 s; still on the node: apps\/db-0; blocked by a PodDisruptionBudget/,
    );
    assert.equal(apid.reboots, reboots, "no reboot without a drain");
    cluster.kube!.pdbBlocked.clear();
    cluster.kube!.pods = {};
    await host.close();
    host = await startProviderHost({ env: ENV }); // the queue stopped in that process
    state = await host.up(cap.urn, next, prior);
    assert.equal(state.outputs.lastChange, "reboot");
  });

  test("upgrade on Talos 1.13+: image pull, LifecycleService install, reboot (no legacy Upgrade call); waits for the new version", async () => {
    const next = news(state.inputs.config as string, {
      installImage: "factory.talos.dev/hcloud-installer/abc:v1.14.1",
      talosVersion: "1.14.1",
    });
    const p = await host.preview(cap.urn, next, state);
    assert.notDeepEqual(p.inputs.rebootRequired, state.inputs.rebootRequired);
    const from = apid.calls.length;
    state = await host.up(cap.urn, next, state);
    const seq = methods(apid, from);
    assert.ok(seq.indexOf("ImageService.Pull") < seq.indexOf("LifecycleService.Upgrade"), seq.join(","));
    assert.ok(seq.indexOf("LifecycleService.Upgrade") < seq.indexOf("Reboot"), seq.join(","));
    assert.ok(!seq.includes("Upgrade"), "not the deprecated call");
    assert.deepEqual(apid.pulled.slice(-1), ["factory.talos.dev/hcloud-installer/abc:v1.14.1"]);
    assert.equal(state.outputs.talosVersionReported, "v1.14.1");
    assert.equal(state.outputs.lastChange, "upgrade");
  });

  test("refresh reads the node: a config changed behind Pulumi's back is drift; the next preview shows it; up repairs it", async () => {
    apid.config = (state.inputs.config as string).replace('v: "2"', 'v: "9"'); // someone applied another config (a live field)
    const r = await host.read(state.id, cap.urn, { ...state.outputs, __provider: cap.provider });
    const drift = r.props.drift as { kind: string; reasons: string[]; configDigest: string };
    assert.equal(drift.kind, "live");
    assert.match(drift.reasons.join("\n"), /machine\.kubelet\.extraArgs\.v: live/);
    assert.ok(!JSON.stringify(r.props.drift).includes("HTTP_PROXY"), "drift holds no config content");
    const refreshed = { ...state, outputs: r.props };
    const p = await host.preview(cap.urn, news(state.inputs.config as string), refreshed);
    assert.equal(p.op, "update", "the drift shows in the next preview");
    const again = await host.up(cap.urn, news(state.inputs.config as string), refreshed);
    assert.equal(apid.config, state.inputs.config, "repaired");
    assert.equal(again.outputs.drift, undefined);
    // No drift: the refresh changes nothing.
    const clean = await host.read(again.id, cap.urn, { ...again.outputs, __provider: cap.provider });
    assert.equal(clean.props.drift, undefined);
    state = again;
  });

  test("preview with an unknown config is 'may reboot' (fails closed); an unknown node changes nothing and calls nothing", async () => {
    const p = await host.preview(cap.urn, news(UNKNOWN), state);
    assert.equal(p.inputs.rebootRequired, UNKNOWN);
    const before = apid.calls.length;
    const q = await host.preview(cap.urn, { ...news(state.inputs.config as string), node: UNKNOWN }, state);
    assert.deepEqual(q.diff!.replaces, []);
    assert.equal(apid.calls.length, before);
  });

  test("check: invalid YAML, a document kind the node's version does not know, a moved install disk, Talos+Kubernetes at once", async () => {
    await assert.rejects(host.preview(cap.urn, news("machine: [\n"), state), /property config/);
    await assert.rejects(
      host.preview(cap.urn, news(cfg() + "---\napiVersion: v1alpha1\nkind: KubeletConfig\nimage: x\n", { talosVersion: "1.13.9" }), state),
      /document kind KubeletConfig exists from Talos 1\.14 on; Talos 1\.13 rejects the whole config/,
    );
    const disk = (d: string) => cfg({ extra: "" }).replace("machine:\n", `machine:\n  install:\n    disk: ${d}\n`);
    const withDisk = {
      ...state,
      inputs: { ...state.inputs, config: disk("/dev/sda") },
      outputs: { ...state.outputs, config: disk("/dev/sda") },
    };
    await assert.rejects(
      host.preview(cap.urn, news(disk("/dev/nvme0n1")), withDisk),
      /machine\.install\.disk: reinstall.*replace the node/,
    );
    await assert.rejects(
      host.preview(
        cap.urn,
        news(cfg({ k8s: "1.36.0" }), { installImage: "factory.talos.dev/hcloud-installer/abc:v1.14.2", talosVersion: "1.14.2" }),
        state,
      ),
      /Talos \(1\.14\.1 → 1\.14\.2\) and Kubernetes \(1\.35\.0 → 1\.36\.0\) change together/,
    );
    await assert.rejects(
      host.preview(cap.urn, news(cfg({ k8s: "1.38.0" })), state),
      /runs Talos 1\.14\.1: Kubernetes 1\.38\.0 is newer than Talos 1\.14\.1 supports \(1\.32\.x to 1\.37\.x\)/,
    );
  });

  test("immutable change (machine.type): replace, delete first (leaves nothing half done), then create", async () => {
    const next = news(cfg({ type: "worker" }));
    const p = await host.preview(cap.urn, next, state);
    assert.equal(p.op, "replace");
    assert.deepEqual(p.diff!.replaces, ["recreateRequired"]);
    assert.equal(p.diff!.deleteBeforeReplace, true);
    await host.waitForOutput(/KSAIL-IMPACT TalosMachine dev-controlplane-1: recreate-required\n\s+machine\.type: immutable/);
  });
});

describe("TalosMachine delete: unreachable is told apart from refused credentials", () => {
  test("a node that is gone counts as removed; a node that refuses our credentials fails the delete and is not reset", async () => {
    const gone = await startFakeTalosCluster({ controlPlanes: 1, workers: 0 });
    const host = await startProviderHost({ env: ENV });
    try {
      const n = gone.controlPlanes[0];
      const capOf = (talosconfig: string) =>
        captureProvider(
          () =>
            new TalosMachine("w", {
              node: { name: "dev-controlplane-1", role: "controlplane", platform: "hcloud", endpoint: n.endpoint },
              talosVersion: "1.12.0",
              config: cfg(),
              talosconfig,
              timeouts: { apiSeconds: 2, rebootSeconds: 5 },
            }),
        );
      // Credentials of another cluster: the TLS handshake fails (gRPC says Unavailable, as for a node that is gone).
      const other = await startFakeTalosCluster({ controlPlanes: 1 });
      const foreign = await capOf(talosconfigFor(other.pki, n.endpoint));
      await other.stop();
      const resets = n.resets;
      await assert.rejects(
        host.destroy(foreign.urn, {
          id: "dev-controlplane-1",
          inputs: foreign.inputs,
          outputs: { ...foreign.inputs, __provider: foreign.provider },
        }),
        /refuses our credentials .*the node was not reset and did not leave etcd/,
      );
      assert.equal(n.resets, resets, "no reset");
      // The node is gone: the delete succeeds.
      const ours = await capOf(gone.talosconfig);
      await n.stop();
      await host.destroy(ours.urn, {
        id: "dev-controlplane-1",
        inputs: ours.inputs,
        outputs: { ...ours.inputs, __provider: ours.provider },
      });
      await host.waitForOutput(/the node is gone/);
    } finally {
      await host.close();
      await gone.stop();
    }
  });
});

describe("TalosMachine on Docker: a reboot is a container restart", () => {
  let apid: FakeApid;
  let docker: FakeDockerEngine;
  let host: ProviderHost;
  let cap: CapturedProvider;
  let dir: string;

  before(async () => {
    // Talos 1.12: a change outside the live whitelist is refused in NO_REBOOT mode (CanApplyImmediate).
    apid = await FakeApid.start({
      hostname: "dev-controlplane-1",
      containerMode: true,
      downCallsAfterReboot: 1,
      autoResolvesTo: "REBOOT",
      initialConfig: cfg(),
    });
    apid.bootstrapped = true;
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "ksail-talos-docker-"));
    const sock = path.join(dir, "docker.sock");
    docker = await startFakeDockerEngine(sock, () => apid.simulateReboot(), ["dev-controlplane-1"]);
    cap = await captureProvider(
      () =>
        new TalosMachine("dev-cp-1", {
          node: { name: "dev-controlplane-1", role: "controlplane", platform: "docker", endpoint: apid.endpoint, address: "10.5.0.2" },
          talosVersion: "1.12.0",
          config: cfg(),
          talosconfig: talosconfigFor(apid.pki, apid.endpoint),
          timeouts: BUDGET,
        }),
    );
    host = await startProviderHost({ env: { ...ENV, DOCKER_HOST: `unix://${sock}` } });
  });
  after(async () => {
    await host?.close();
    await docker?.close();
    await apid?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test("create of a re-created container whose USERDATA is older: NO_REBOOT refused → STAGED + container restart (never AUTO)", async () => {
    const from = apid.calls.length;
    const s = await host.up(cap.urn, { ...cap.inputs, config: cfg({ env: "new" }), __provider: cap.provider });
    assert.equal(s.op, "create");
    const seq = methods(apid, from);
    assert.ok(!seq.includes("Apply:AUTO") && !seq.includes("Reboot"), seq.join(","));
    assert.deepEqual(
      seq.filter((m) => m.startsWith("Apply")),
      ["Apply:NO_REBOOT", "Apply:STAGED"],
    );
    assert.equal(docker.state["dev-controlplane-1"].restarts, 1);
    assert.equal(apid.config, cfg({ env: "new" }));
  });

  test("reboot-required update via container restart; delete of the (last) control plane keeps its etcd member", async () => {
    const news = (config: string) => ({ ...cap.inputs, config, __provider: cap.provider });
    let s = await host.up(cap.urn, news(cfg()));
    const restarts = docker.state["dev-controlplane-1"].restarts;
    s = await host.up(cap.urn, news(cfg({ env: "x" })), s);
    assert.equal(s.outputs.lastChange, "reboot");
    assert.equal(docker.state["dev-controlplane-1"].restarts, restarts + 1);
    assert.equal(apid.config, cfg({ env: "x" }));
    await host.destroy(cap.urn, s);
    assert.equal(apid.callsOf("EtcdLeaveCluster").length, 0, "the last member does not leave");
    assert.equal(apid.callsOf("Reset").length, 0, "no reset on Docker (the container goes)");
  });
});

describe("TalosMachine on metal/ISO: maintenance mode", () => {
  test("create applies insecurely, then waits for the configured node over mTLS; a retry adopts a node an earlier attempt configured", async () => {
    const node = await FakeApid.start({ maintenance: true, versionTag: "v1.13.9", hostname: "prod-cp-1", downCallsAfterReboot: 1 });
    const capOf = () =>
      captureProvider(
        () =>
          new TalosMachine("prod-cp-1", {
            node: { name: "prod-cp-1", role: "controlplane", platform: "metal", endpoint: node.endpoint },
            talosVersion: "1.13.9",
            config: cfg(),
            talosconfig: talosconfigFor(node.pki, node.endpoint),
            maintenance: true,
            timeouts: BUDGET,
          }),
      );
    const cap = await capOf();
    const host = await startProviderHost({ env: ENV });
    try {
      const s = await host.up(cap.urn, { ...cap.inputs, __provider: cap.provider });
      assert.equal(s.op, "create");
      const apply = node.callsOf("ApplyConfiguration");
      assert.equal(apply.length, 1);
      assert.equal(apply[0].peerOrg, undefined, "no client certificate in maintenance mode");
      assert.equal(node.config, cfg());
      assert.ok(
        node.calls.filter((c) => c.at > apply[0].at).some((c) => c.peerOrg === "os:admin"),
        "then mTLS",
      );
      await host.waitForOutput(/config insecurely \(maintenance mode/);

      // The earlier create failed after its insecure apply (state has no machine): the retry finds the node
      // configured with this cluster's identity and adopts it over mTLS instead of waiting for maintenance mode.
      const before = node.callsOf("ApplyConfiguration").length;
      const retry = await host.up(cap.urn, { ...cap.inputs, __provider: cap.provider });
      assert.equal(retry.op, "create");
      const again = node.callsOf("ApplyConfiguration").slice(before);
      assert.deepEqual(
        again.map((c) => [c.request.mode, c.peerOrg]),
        [["NO_REBOOT", "os:admin"]],
      );
      await host.waitForOutput(/adopting it over mTLS/);
    } finally {
      await host.close();
      await node.stop();
    }
  });
});
