// L2 + L3: TalosBootstrap's serialized provider in the real dynamic-provider host against fake apid nodes over real
// Ed25519 mTLS. The fake models what Talos's Bootstrap RPC really does (siderolabs/talos
// internal/app/machined/internal/server/v1alpha1/v1alpha1_server.go `Bootstrap`): on a control plane whose etcd data
// directory is empty it starts a NEW single-member cluster, even when another cluster exists. So bootstrap must run
// exactly once: create refuses when a control plane already runs etcd, update only verifies (review finding A1).
import { after, before, describe, test } from "node:test";
import * as assert from "node:assert/strict";
import { captureProvider, startProviderHost, type CapturedProvider, type ProviderHost, type StepResult } from "../harness/engine";
import { Code } from "../../sdk/clients/talos";
import { TalosBootstrap } from "../../sdk/dynamic/talosBootstrap";
import { FakeApid, talosconfigFor } from "../fakes/apid";
import { cfg, startFakeTalosCluster, type FakeTalosCluster } from "../fakes/talosCluster";
import { UNKNOWN } from "../../sdk/impact/unknown";

const TIMEOUTS = { bootstrapSeconds: 30, readySeconds: 30 }; // bounds a hang only

describe("TalosBootstrap through the dynamic-provider host", () => {
  let cluster: FakeTalosCluster;
  let host: ProviderHost;
  let cap: CapturedProvider;
  let state: StepResult;
  const capture = (talosconfig: string, o: { kubeconfig?: string } = {}) =>
    captureProvider(
      () =>
        new TalosBootstrap("dev-bootstrap", {
          node: { name: "dev-controlplane-1", endpoint: cluster.controlPlanes[0].endpoint, address: "10.5.0.2" },
          peers: ["10.5.0.3", "10.5.0.4"],
          talosconfig,
          ...(o.kubeconfig ? { kubeconfig: o.kubeconfig } : {}),
          timeouts: TIMEOUTS,
        }),
    );

  before(async () => {
    // Three configured control planes, etcd not bootstrapped yet.
    // A control plane with empty etcd data needs 1.5 s to find and join the others: a Bootstrap in that window forms a
    // second etcd cluster, which the fake records.
    cluster = await startFakeTalosCluster({
      controlPlanes: 3,
      bootstrapped: false,
      kube: true,
      node: { versionTag: "v1.13.9", etcdJoinMs: 1500 },
    });
    host = await startProviderHost();
  });
  after(async () => {
    await host?.close();
    await cluster?.stop();
  });

  test("fresh: asks every control plane first, retries FailedPrecondition, bootstraps once, waits for etcd and /readyz", async () => {
    cap = await capture(cluster.talosconfig, { kubeconfig: cluster.kubeconfig });
    assert.equal(cap.type, "pulumi-nodejs:dynamic/ksail:TalosBootstrap");
    assert.ok(!cap.provider.includes("PRIVATE KEY") && cap.provider.length < 4096);
    assert.deepEqual([...cap.secretInputs].sort(), ["kubeconfig", "talosconfig"]);
    const cp1 = cluster.controlPlanes[0];
    cp1.failNext("Bootstrap", Code.FAILED_PRECONDITION, "bootstrap is not available yet", 2);
    cluster.kube!.readyz = 503;
    setTimeout(() => (cluster.kube!.readyz = 200), 1500);
    state = await host.up(cap.urn, { ...cap.inputs, __provider: cap.provider });
    assert.equal(state.op, "create");
    assert.equal(state.outputs.bootstrap, "fresh");
    assert.equal(cp1.callsOf("Bootstrap").length, 3);
    assert.equal(cluster.network.etcdClusters.length, 1);
    // Asked the peers (routed through the first control plane) before bootstrapping.
    const firstBootstrap = cp1.callsOf("Bootstrap")[0].at;
    for (const peer of cluster.controlPlanes.slice(1))
      assert.ok(peer.calls.some((c) => c.method === "EtcdMemberList" && c.request.queryLocal && c.at < firstBootstrap));
    assert.ok(
      cluster.kube!.requests.some((r) => r.path === "/readyz"),
      "waited for the API server itself",
    );
    await host.waitForOutput(/not ready to bootstrap yet \(attempt 1\): bootstrap is not available yet/);
  });

  test("update (a renewed talosconfig) never bootstraps again, even when the first control plane's etcd was wiped", async () => {
    const cp1 = cluster.controlPlanes[0];
    // The first control plane was reset: its etcd data directory is empty, the others still run etcd.
    await new Promise((r) => setTimeout(r, 1600));
    for (const cp of cluster.controlPlanes.slice(1)) cp.reconcile();
    cp1.bootstrapped = false;
    const renewed = talosconfigFor(cluster.pki, cp1.endpoint, cluster.pki.admin, "renewed");
    const before = cp1.callsOf("Bootstrap").length;
    const s = await host.up(cap.urn, { ...cap.inputs, talosconfig: renewed, __provider: cap.provider }, state);
    assert.equal(s.op, "update");
    assert.equal(cp1.callsOf("Bootstrap").length, before, "no Bootstrap call on update");
    assert.equal(cluster.network.etcdClusters.length, 1, "no second etcd cluster");
    state = s;
  });

  test("create when a peer already runs etcd (a re-created first control plane): no Bootstrap call, says why", async () => {
    const c2 = await capture(cluster.talosconfig);
    const cp1 = cluster.controlPlanes[0];
    const before = cp1.callsOf("Bootstrap").length;
    const s = await host.up(c2.urn, { ...c2.inputs, __provider: c2.provider });
    assert.equal(s.outputs.bootstrap, "already");
    assert.equal(cp1.callsOf("Bootstrap").length, before);
    assert.equal(cluster.network.etcdClusters.length, 1);
    await host.waitForOutput(/not bootstrapping: etcd already runs on .*10\.5\.0\.3 .*would start a second etcd cluster/);
  });

  test("refresh: etcd still running is no drift; etcd gone everywhere is drift, and the update says how to recover", async () => {
    const r = await host.read(state.id, cap.urn, { ...state.outputs, __provider: cap.provider });
    assert.equal(r.props.drift, undefined);
    for (const cp of cluster.controlPlanes) cp.bootstrapped = false;
    const gone = await host.read(state.id, cap.urn, { ...state.outputs, __provider: cap.provider });
    assert.deepEqual(gone.props.drift, { etcd: "not running on any control plane" });
    const before = cluster.controlPlanes[0].callsOf("Bootstrap").length;
    await assert.rejects(
      host.up(cap.urn, { ...state.inputs, __provider: cap.provider }, { ...state, outputs: gone.props }),
      /etcd runs on none of the control planes .*never bootstraps a cluster that was bootstrapped before.*--recover-from/,
    );
    assert.equal(cluster.controlPlanes[0].callsOf("Bootstrap").length, before, "still no second bootstrap");
  });

  test("preview with an unknown node or talosconfig passes check (nothing is called)", async () => {
    const before = cluster.controlPlanes[0].calls.length;
    const p = await host.preview(cap.urn, { ...cap.inputs, node: UNKNOWN, talosconfig: UNKNOWN, __provider: cap.provider });
    assert.equal(p.op, "create");
    assert.equal(cluster.controlPlanes[0].calls.length, before);
  });
});

describe("TalosBootstrap on a worker", () => {
  test("Talos answers Unimplemented (control planes only): fails at once with the node's message", async () => {
    const w = await FakeApid.start({ initialConfig: cfg({ type: "worker" }) });
    const host = await startProviderHost();
    try {
      const cap = await captureProvider(
        () =>
          new TalosBootstrap("b", {
            node: { name: "dev-worker-1", endpoint: w.endpoint },
            talosconfig: talosconfigFor(w.pki, w.endpoint),
            timeouts: TIMEOUTS,
          }),
      );
      await assert.rejects(
        host.up(cap.urn, { ...cap.inputs, __provider: cap.provider }),
        /dev-worker-1: bootstrap failed: .*UNIMPLEMENTED: bootstrap is only available on control plane nodes/,
      );
      assert.equal(w.callsOf("Bootstrap").length, 1);
    } finally {
      await host.close();
      await w.stop();
    }
  });
});
