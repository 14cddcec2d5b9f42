// L2 + L3: several TalosMachines of one cluster driven through one real dynamic-provider host (as one `pulumi up`
// does), against a fake cluster whose nodes share one network: routing through a control plane's apid, etcd with
// quorum and members that rejoin late after a reboot (test/fakes/apid.ts; each rule names its siderolabs/talos
// source). Each test names the review finding it covers; each failed against the provider before this change.
import { after, describe, test } from "node:test";
import * as assert from "node:assert/strict";
import { captureProvider, startProviderHost, type CapturedProvider, type ProviderHost, type StepResult } from "../harness/engine";
import { TalosMachine, type MachineNode } from "../../sdk/dynamic/talosMachine";
import type { FakeApid } from "../fakes/apid";
import { cfg, methods, startFakeTalosCluster, type FakeTalosCluster } from "../fakes/talosCluster";

const ENV = { KSAIL_TALOS_QUEUE_GRACE_MS: "2000" };
const BUDGET = { apiSeconds: 30, rebootSeconds: 30, drainSeconds: 10 };

interface Machine {
  readonly node: FakeApid;
  readonly cap: CapturedProvider;
  state?: StepResult;
}

async function machinesOf(
  cluster: FakeTalosCluster,
  o: { talosVersion?: string; timeouts?: typeof BUDGET; via?: boolean; config?: (n: FakeApid) => string } = {},
): Promise<Machine[]> {
  const cp1 = cluster.controlPlanes[0];
  const out: Machine[] = [];
  for (const n of cluster.all()) {
    const worker = cluster.workers.includes(n);
    // Workers are reached through the first control plane's apid (their own apid only listens privately).
    const node: MachineNode = worker
      ? {
          name: n.hostname,
          role: "worker",
          platform: "hcloud",
          endpoint: cp1.endpoint,
          address: n.address,
          ...(o.via ? { via: cluster.controlPlanes.slice(1).map((c) => c.endpoint) } : {}),
        }
      : { name: n.hostname, role: "controlplane", platform: "hcloud", endpoint: n.endpoint };
    const cap = await captureProvider(
      () =>
        new TalosMachine(n.hostname, {
          node,
          talosVersion: o.talosVersion ?? "1.13.9",
          config: o.config ? o.config(n) : n.config!,
          talosconfig: cluster.talosconfig,
          ...(cluster.kubeconfig ? { kubeconfig: cluster.kubeconfig } : {}),
          controlPlanes: cluster.controlPlanes.length,
          timeouts: o.timeouts ?? BUDGET,
        }),
    );
    out.push({ node: n, cap });
  }
  return out;
}

const upAll = (host: ProviderHost, ms: Machine[], config?: (m: Machine) => string) =>
  Promise.all(
    ms.map(async (m) => {
      m.state = await host.up(
        m.cap.urn,
        { ...m.cap.inputs, ...(config ? { config: config(m) } : {}), __provider: m.cap.provider },
        m.state,
      );
      return m.state;
    }),
  );

describe("A5: the health gate keeps etcd quorum (query_local on the rebooted node, every member answering)", () => {
  let cluster: FakeTalosCluster;
  let host: ProviderHost;
  after(async () => {
    await host?.close();
    await cluster?.stop();
  });

  test("three control planes updated at once reboot one after the other, each only after the previous one's etcd member rejoined", async () => {
    // After a reboot apid answers at once, but the node's etcd member needs 600 ms to rejoin; the cluster keeps
    // answering query_local=false meanwhile (any member answers with the leader's view).
    cluster = await startFakeTalosCluster({
      controlPlanes: 3,
      node: { versionTag: "v1.13.9", etcdRejoinMs: 600, downCallsAfterReboot: 2 },
    });
    host = await startProviderHost({ env: ENV });
    const ms = await machinesOf(cluster);
    await upAll(host, ms);
    const results = await upAll(host, ms, (m) => cfg({ env: "rolled", type: m.node.role }));
    assert.deepEqual(
      results.map((r) => r.outputs.lastChange),
      ["reboot", "reboot", "reboot"],
    );
    assert.deepEqual(cluster.network.quorumLosses, [], "never two control planes down at once");
    const reboots = ms.map((m) => m.node.callsOf("Reboot")[0].at).sort((a, b) => a - b);
    for (let i = 1; i < reboots.length; i++) {
      const prev = ms.find((m) => m.node.callsOf("Reboot")[0].at === reboots[i - 1])!.node;
      const rejoined = prev.calls.find(
        (c) => c.method === "EtcdMemberList" && c.request.queryLocal && c.at > reboots[i - 1] && prev.etcdRunning(),
      )?.at;
      assert.ok(rejoined !== undefined && reboots[i] > rejoined, "the next reboot waits for the previous node's own etcd member");
    }
    assert.equal(cluster.network.etcdClusters.length, 1);
    assert.equal(cluster.network.etcdClusters[0].members.length, 3);
  });
});

describe("The queue: control planes first, one at a time, and the rollout stops at the first failure", () => {
  test("a worker whose update arrives first still waits for the control plane announced before it", async () => {
    const cluster = await startFakeTalosCluster({ controlPlanes: 1, workers: 2, node: { versionTag: "v1.13.9", downCallsAfterReboot: 1 } });
    const host = await startProviderHost({ env: ENV });
    try {
      const ms = await machinesOf(cluster);
      await upAll(host, ms);
      const next = (m: Machine) => ({ ...m.cap.inputs, config: cfg({ env: "v2", type: m.node.role }), __provider: m.cap.provider });
      // The engine diffs every machine in registration order (control planes first) before updates run.
      for (const m of ms) await host.preview(m.cap.urn, next(m), m.state);
      const [cp, ...workers] = ms;
      const w = workers.map((m) => host.up(m.cap.urn, next(m), m.state));
      await new Promise((r) => setTimeout(r, 150));
      const c = host.up(cp.cap.urn, next(cp), cp.state);
      await Promise.all([c, ...w]);
      const cpReboot = cp.node.callsOf("Reboot")[0].at;
      for (const m of workers) assert.ok(m.node.callsOf("Reboot")[0].at > cpReboot, `${m.node.hostname} rebooted after the control plane`);
      const wr = workers.map((m) => m.node.callsOf("Reboot")[0].at).sort((a, b) => a - b);
      const first = workers.find((m) => m.node.callsOf("Reboot")[0].at === wr[0])!.node;
      const back = first.calls.find((x) => x.method === "ServiceList" && x.at > wr[0])!.at;
      assert.ok(wr[1] > back, "workers one at a time too");
    } finally {
      await host.close();
      await cluster.stop();
    }
  });

  test("a node that never comes back stops the rollout: no other worker is touched, each says why", async () => {
    const cluster = await startFakeTalosCluster({ controlPlanes: 1, workers: 3, node: { versionTag: "v1.13.9", downCallsAfterReboot: 1 } });
    const host = await startProviderHost({ env: ENV });
    try {
      const ms = await machinesOf(cluster, { timeouts: { apiSeconds: 10, rebootSeconds: 3, drainSeconds: 5 } });
      await upAll(host, ms);
      const workers = ms.slice(1);
      for (const m of workers) m.node.neverComesBack = true; // whichever reboots first fails its boot
      const results = await Promise.allSettled(
        workers.map((m) =>
          host.up(m.cap.urn, { ...m.cap.inputs, config: cfg({ env: "broken", type: "worker" }), __provider: m.cap.provider }, m.state),
        ),
      );
      const reasons = results.map((r) => (r.status === "rejected" ? String((r.reason as Error).message) : "ok"));
      assert.equal(
        workers.reduce((n, m) => n + m.node.reboots, 0),
        1,
        `only one node rebooted: ${reasons.join(" | ")}`,
      );
      assert.equal(reasons.filter((r) => /dev-worker-\d: not healthy after the reboot/.test(r) && !/not started/.test(r)).length, 1);
      assert.equal(
        reasons.filter((r) => /dev-worker-\d: reboot not started: the reboot of dev-worker-\d failed before it/.test(r)).length,
        2,
      );
    } finally {
      await host.close();
      await cluster.stop();
    }
  });
});

describe("A7: a Kubernetes upgrade moves every API server before any kubelet", () => {
  test("control planes get the new control-plane images with the old kubelet first; kubelets follow, control planes first", async () => {
    const cluster = await startFakeTalosCluster({ controlPlanes: 2, workers: 1, node: { versionTag: "v1.13.9" } });
    const host = await startProviderHost({ env: ENV });
    try {
      const ms = await machinesOf(cluster);
      await upAll(host, ms);
      for (const m of ms)
        await host.preview(
          m.cap.urn,
          { ...m.cap.inputs, config: cfg({ k8s: "1.35.1", type: m.node.role }), __provider: m.cap.provider },
          m.state,
        );
      await upAll(host, ms, (m) => cfg({ k8s: "1.35.1", type: m.node.role }));
      const applies = ms
        .flatMap((m) =>
          m.node
            .callsOf("ApplyConfiguration")
            .filter((c) => c.metadata.node === undefined) // not the ones this node only proxied to a worker
            .map((c) => ({ at: c.at, node: m.node.hostname, data: Buffer.from(c.request.data).toString() })),
        )
        .filter((a) => a.data.includes("kube-apiserver:v1.35.1"))
        .sort((a, b) => a.at - b.at);
      const phase = (d: string) => (d.includes("kubelet:v1.35.0") ? "api servers" : "kubelets");
      const order = applies.map((a) => `${phase(a.data)} ${a.node}`);
      assert.deepEqual(
        order,
        [
          "api servers dev-controlplane-1",
          "api servers dev-controlplane-2",
          "kubelets dev-controlplane-1",
          "kubelets dev-controlplane-2",
          "kubelets dev-worker-1",
        ],
        order.join(", "),
      );
      for (const m of ms) assert.match(m.node.config!, /kubelet:v1\.35\.1/);
    } finally {
      await host.close();
      await cluster.stop();
    }
  });
});

describe("Routing: a worker reached through a control plane's apid (node metadata), with a fallback", () => {
  test("create, reboot and delete go through the control plane; while it is down, through the next one", async () => {
    const cluster = await startFakeTalosCluster({ controlPlanes: 2, workers: 1, node: { versionTag: "v1.13.9", downCallsAfterReboot: 1 } });
    const host = await startProviderHost({ env: ENV });
    try {
      const ms = await machinesOf(cluster, { via: true });
      await upAll(host, ms);
      const w = ms[2];
      assert.ok(w.node.calls.every((c) => c.proxied && c.peerOrg === "os:impersonator" && c.roles.includes("os:admin")));
      // The first control plane goes away: the worker is still reachable through the second one.
      await cluster.controlPlanes[0].stop();
      const from = cluster.controlPlanes[1].calls.length;
      w.state = await host.up(
        w.cap.urn,
        { ...w.cap.inputs, config: cfg({ env: "via", type: "worker" }), __provider: w.cap.provider },
        w.state,
      );
      assert.equal(w.state.outputs.lastChange, "reboot");
      assert.ok(cluster.controlPlanes[1].calls.slice(from).some((c) => c.metadata.node?.[0] === "10.5.0.11"));
      assert.equal(w.node.config, cfg({ env: "via", type: "worker" }));
    } finally {
      await host.close();
      await cluster.stop();
    }
  });
});

describe("Deletes and scale-down: etcd membership handled explicitly, quorum checked first", () => {
  test("a control plane leaves etcd before its reset; the remaining two keep quorum", async () => {
    const cluster = await startFakeTalosCluster({ controlPlanes: 3, node: { versionTag: "v1.13.9" } });
    const host = await startProviderHost({ env: ENV });
    try {
      const ms = await machinesOf(cluster);
      await upAll(host, ms);
      const cp3 = ms[2];
      await host.destroy(cp3.cap.urn, cp3.state!);
      const seq = methods(cp3.node);
      assert.ok(seq.indexOf("EtcdLeaveCluster") >= 0 && seq.indexOf("EtcdLeaveCluster") < seq.indexOf("Reset"), seq.join(","));
      assert.equal(cp3.node.callsOf("Reset")[0].request.graceful, false, "etcd was left explicitly");
      assert.deepEqual(
        cluster.controlPlanes[0].members.map((m) => m.hostname),
        ["dev-controlplane-1", "dev-controlplane-2"],
      );
      assert.deepEqual(cluster.network.quorumLosses, []);
    } finally {
      await host.close();
      await cluster.stop();
    }
  });

  test("a removal that would cost quorum is refused, and a dead control plane's member is removed by id through another one", async () => {
    const cluster = await startFakeTalosCluster({ controlPlanes: 3, node: { versionTag: "v1.13.9" } });
    const host = await startProviderHost({ env: ENV });
    try {
      const ms = await machinesOf(cluster, { timeouts: { apiSeconds: 4, rebootSeconds: 10, drainSeconds: 5 } });
      await upAll(host, ms);
      const [cp1, cp2, cp3] = ms;
      await cp3.node.stop(); // dead: etcd has 3 members, 2 running
      await assert.rejects(
        host.destroy(cp2.cap.urn, cp2.state!),
        /removing it from etcd now would leave 1 healthy of 2 remaining members, below the quorum of 2/,
      );
      assert.equal(cp2.node.resets, 0, "nothing reset");
      await host.close();
      const h2 = await startProviderHost({ env: ENV }); // the queue stopped in the first process
      try {
        const dead = {
          ...cp3.state!,
          outputs: { ...cp3.state!.outputs, node: { ...(cp3.state!.outputs.node as object), via: [cp1.node.endpoint] } },
        };
        await h2.destroy(cp3.cap.urn, dead);
        assert.equal(cp1.node.callsOf("EtcdRemoveMemberByID").length, 1);
        assert.deepEqual(
          cp1.node.members.map((m) => m.hostname),
          ["dev-controlplane-1", "dev-controlplane-2"],
        );
      } finally {
        await h2.close();
      }
    } finally {
      await host.close();
      await cluster.stop();
    }
  });
});

describe("A2/B: a change Talos applies only when formatting (volume encryption) wipes STATE and EPHEMERAL and configures the node again", () => {
  test("metal worker: reset of STATE+EPHEMERAL, maintenance-mode apply, healthy; preview shows ~rollingRecreate", async () => {
    const cluster = await startFakeTalosCluster({
      controlPlanes: 1,
      workers: 0,
      node: { versionTag: "v1.13.9", platform: "metal", downCallsAfterReboot: 1 },
    });
    const { FakeApid } = await import("../fakes/apid");
    const worker = await FakeApid.start({
      pki: cluster.pki,
      network: cluster.network,
      hostname: "dev-worker-1",
      address: "10.5.0.11",
      initialConfig: cfg({ type: "worker" }),
      versionTag: "v1.13.9",
      platform: "metal",
      downCallsAfterReboot: 1,
    });
    const host = await startProviderHost({ env: ENV });
    try {
      const cap = await captureProvider(
        () =>
          new TalosMachine("w", {
            node: { name: "dev-worker-1", role: "worker", platform: "metal", endpoint: worker.endpoint },
            talosVersion: "1.13.9",
            config: cfg({ type: "worker" }),
            talosconfig: cluster.talosconfig,
            timeouts: BUDGET,
          }),
      );
      let s = await host.up(cap.urn, { ...cap.inputs, __provider: cap.provider });
      const encrypted =
        cfg({ type: "worker" }) +
        "---\napiVersion: v1alpha1\nkind: VolumeConfig\nname: EPHEMERAL\nencryption:\n  provider: luks2\n  keys:\n    - slot: 0\n      nodeID: {}\n";
      const next = { ...cap.inputs, config: encrypted, __provider: cap.provider };
      const p = await host.preview(cap.urn, next, s);
      assert.notDeepEqual(p.inputs.rollingRecreate, s.inputs.rollingRecreate);
      assert.deepEqual(p.inputs.rebootRequired, s.inputs.rebootRequired);
      await host.waitForOutput(
        /rolling-recreate\n\s+VolumeConfig\/EPHEMERAL\.encryption: wipe|rolling-recreate\n\s+VolumeConfig\/EPHEMERAL: wipe/,
      );
      s = await host.up(cap.urn, next, s);
      assert.equal(s.outputs.lastChange, "wipe");
      assert.deepEqual(
        worker.callsOf("Reset")[0].request.systemPartitionsToWipe.map((x: { label: string }) => x.label),
        ["STATE", "EPHEMERAL"],
      );
      const maint = worker.callsOf("ApplyConfiguration").at(-1)!;
      assert.equal(maint.peerOrg, undefined, "the wiped node took its config in maintenance mode");
      assert.equal(worker.config, encrypted);
    } finally {
      await host.close();
      await worker.stop();
      await cluster.stop();
    }
  });
});
