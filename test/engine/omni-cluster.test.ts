// L2 + L3: KSailCluster's Omni resources (OmniCluster, OmniConfigPatch, OmniMachineSet, OmniMachineSetNode,
// OmniClusterReady, OmniKubeconfig) as recorded from the real component under mocks, then driven one by one through the real
// dynamic-provider host (@pulumi/pulumi/cmd/dynamic-provider) against a fake Omni over TLS/gRPC: create,
// scale workers up and down, patch (the Talos classifier's class shows as the changed input group), upgrade
// Kubernetes, rejected signatures and skewed clocks, and teardown.
import { after, before, describe, test } from "node:test";
import * as assert from "node:assert/strict";
import { startProviderHost, type ProviderHost, type ResourceState } from "../harness/engine";
import { recordCluster } from "../mocks/cluster-record";
import { FakeOmni, makeServiceAccountKey, type FakeServiceAccount } from "../fakes/omni";
import { UNKNOWN } from "../../sdk/impact/unknown";
import type { Recording } from "../harness/mocks";

const M = ["m-cp-1", "m-w-1", "m-w-2", "m-spare"];
const OMNI = "pulumi-nodejs:dynamic/ksail:Omni";

describe("KSailCluster on Omni through the dynamic-provider host against a fake Omni", () => {
  let omni: FakeOmni;
  let sa: FakeServiceAccount;
  let host: ProviderHost;
  const state = new Map<string, ResourceState & { urn: string }>();

  const spec = (o: { workers?: number; kubernetesVersion?: string; workerPatch?: string } = {}) => ({
    cluster: { distribution: "Talos", provider: "Omni", controlPlanes: 1, workers: o.workers ?? 1, cni: "Cilium" },
    provider: {
      omni: { endpoint: omni.endpoint, talosVersion: "1.12.0", kubernetesVersion: o.kubernetesVersion ?? "1.34.1", machines: M },
    },
    patches: {
      cluster: [],
      controlPlanes: [],
      workers: [
        { source: "talos/workers/node.yaml", content: o.workerPatch ?? "machine:\n  kubelet:\n    extraArgs:\n      max-pods: '110'\n" },
      ],
    },
  });

  const record = (s: ReturnType<typeof spec>): Promise<Recording> =>
    recordCluster({
      cluster: s.cluster,
      provider: s.provider,
      args: { omniCaPem: omni.caPem, talosConfigPatches: s.patches },
      // What OmniKubeconfig's create returns (driven for real below); the recording only needs its shape.
      outputs: (type: string) =>
        type.endsWith(":OmniKubeconfig")
          ? { kubeconfig: "apiVersion: v1\nkind: Config\n", server: "https://127.0.0.1" }
          : type.endsWith(":OmniClusterReady")
            ? { nodes: [] }
            : undefined,
    });

  const omniResources = (r: Recording) => r.resources.filter((x) => x.type.startsWith(OMNI));

  /** `pulumi up` for the Omni resources: creates/updates in program order, then deletes what left the program, last first. */
  async function up(r: Recording, h: ProviderHost = host): Promise<Record<string, string>> {
    const ops: Record<string, string> = {};
    const names = new Set<string>();
    for (const x of omniResources(r)) {
      names.add(x.name);
      const prior = state.get(x.name);
      const step = await h.up(x.urn, x.inputs, prior);
      ops[x.name] = step.op;
      state.set(x.name, { ...step, urn: x.urn });
    }
    for (const name of [...state.keys()].reverse()) {
      if (names.has(name)) continue;
      await h.destroy(state.get(name)!.urn, state.get(name)!);
      state.delete(name);
      ops[name] = "delete";
    }
    return ops;
  }

  before(async () => {
    omni = await FakeOmni.start({ machines: M.map((id) => ({ id, talosVersion: "v1.12.0" })), controllerDelayMs: 5 });
    sa = await omni.addServiceAccount("ksail@serviceaccount.omni.sidero.dev", "Operator");
    host = await startProviderHost({ env: { OMNI_SERVICE_ACCOUNT_KEY: sa.key } });
  });
  after(async () => {
    await host?.close();
    await omni?.stop();
  });

  test("create: the template's resources land in Omni in order; the kubeconfig waits for the running cluster", async () => {
    const r = await record(spec());
    for (const x of omniResources(r)) {
      assert.ok(
        !String(x.inputs.__provider).includes(sa.key) && String(x.inputs.__provider).length < 4096,
        `${x.name}: small provider, no key`,
      );
    }
    const ops = await up(r);
    assert.ok(Object.values(ops).every((o) => o === "create"));
    assert.deepEqual(
      omni.calls.filter((c) => c.method === "Create").map((c) => c.request.resource.metadata.type.split(".")[0]),
      ["Clusters", "ConfigPatches", "ConfigPatches", "MachineSets", "MachineSetNodes", "MachineSets", "MachineSetNodes"],
      "template sync's canonical order: Cluster, ConfigPatches, MachineSets, MachineSetNodes",
    );
    assert.equal(omni.resource("Clusters.omni.sidero.dev", "dev")!.spec.kubernetesVersion, "1.34.1");
    assert.match(omni.resource("ConfigPatches.omni.sidero.dev", "200-cluster-dev-ksail-cni")!.spec.data, /name: none/);
    assert.equal(omni.resource("MachineStatuses.omni.sidero.dev", "m-w-1")!.spec.cluster, "dev");
    const kc = state.get("dev-omni-kubeconfig")!;
    assert.match(String(kc.outputs.kubeconfig), /current-context: fake-dev-ksail/);
    assert.deepEqual((state.get("dev-omni-ready")!.outputs.nodes as { name: string }[]).map((n) => n.name).sort(), ["m-cp-1", "m-w-1"]);
    assert.ok(omni.calls.every((c) => c.identity === "ksail@serviceaccount.omni.sidero.dev" || c.code !== 0));
    await host.waitForOutput(/Omni cluster dev: RUNNING: 2\/2 machines, ready true/);
  });

  test("same program again: nothing changes in Omni", async () => {
    const before = omni.calls.filter((c) => ["Create", "Update", "Destroy", "TeardownAndDestroy"].includes(c.method)).length;
    const ops = await up(await record(spec()));
    assert.ok(
      Object.values(ops).every((o) => o === "same"),
      JSON.stringify(ops),
    );
    assert.equal(omni.calls.filter((c) => ["Create", "Update", "Destroy", "TeardownAndDestroy"].includes(c.method)).length, before);
  });

  test("scale workers 1 → 2 → 1: a MachineSetNode is added, then torn down and its machine returned to the pool", async () => {
    const up2 = await up(await record(spec({ workers: 2 })));
    assert.equal(up2["dev-omni-node-m-w-2"], "create");
    assert.equal(up2["dev-omni-ready"], "update", "the gate waits for the new machine");
    assert.equal(up2["dev-omni-kubeconfig"], "same", "the kubeconfig (and the Kubernetes provider on it) is untouched");
    assert.equal(up2["dev-omni-cluster"], "same");
    const status = omni.resource("ClusterStatuses.omni.sidero.dev", "dev")!.spec;
    assert.deepEqual([status.machines.total, status.ready], [3, true]);

    const up1 = await up(await record(spec({ workers: 1 })));
    assert.equal(up1["dev-omni-node-m-w-2"], "delete");
    assert.equal(omni.resource("MachineSetNodes.omni.sidero.dev", "m-w-2"), undefined);
    assert.ok("omni.sidero.dev/available" in omni.resource("MachineStatuses.omni.sidero.dev", "m-w-2")!.meta.labels);
    assert.equal(omni.callsOf("TeardownAndDestroy").at(-1)!.request.id, "m-w-2");
  });

  test("patch changes: the Talos classifier's class is the input group that changes (live kubelet arg → inPlace, machine.env → rebootRequired)", async () => {
    const live = omniResources(await record(spec({ workerPatch: "machine:\n  kubelet:\n    extraArgs:\n      max-pods: '250'\n" }))).find(
      (x) => x.name === "dev-omni-patch-400-dev-workers-node",
    )!;
    const prior = state.get(live.name)!;
    const p1 = await host.preview(live.urn, live.inputs, prior);
    assert.equal(p1.op, "update");
    assert.equal(typeof p1.inputs.inPlace, "string");
    assert.equal(p1.inputs.rebootRequired, undefined);

    const reboot = omniResources(await record(spec({ workerPatch: "machine:\n  env:\n    HTTP_PROXY: http://proxy:3128\n" }))).find(
      (x) => x.name === "dev-omni-patch-400-dev-workers-node",
    )!;
    const p2 = await host.preview(reboot.urn, reboot.inputs, prior);
    assert.equal(p2.op, "update");
    assert.match(String(p2.inputs.rebootRequired), /HTTP_PROXY/);
    assert.equal(p2.inputs.inPlace, undefined);

    const unknown = await host.preview(reboot.urn, { ...reboot.inputs, data: UNKNOWN }, prior);
    assert.equal(unknown.inputs.rebootRequired, UNKNOWN, "an unknown patch may reboot");

    const ops = await up(await record(spec({ workerPatch: "machine:\n  env:\n    HTTP_PROXY: http://proxy:3128\n" })));
    assert.equal(ops["dev-omni-patch-400-dev-workers-node"], "update");
    assert.match(omni.resource("ConfigPatches.omni.sidero.dev", "400-dev-workers-node")!.spec.data, /HTTP_PROXY/);
    const again = await up(await record(spec({ workerPatch: "machine:\n  env:\n    HTTP_PROXY: http://proxy:3128\n" })));
    assert.equal(again["dev-omni-patch-400-dev-workers-node"], "same", "the group is kept when the data did not change");
  });

  test("Kubernetes upgrade: one minor applies (the version moved under us: updated at the stored version); skipping a minor is Omni's refusal, reported", async () => {
    const ops = await up(
      await record(spec({ kubernetesVersion: "1.35.0", workerPatch: "machine:\n  env:\n    HTTP_PROXY: http://proxy:3128\n" })),
    );
    assert.equal(ops["dev-omni-cluster"], "update");
    assert.equal(omni.resource("Clusters.omni.sidero.dev", "dev")!.spec.kubernetesVersion, "1.35.0");
    // a version this Talos does not run is refused by the plan before anything is sent
    await assert.rejects(record(spec({ kubernetesVersion: "1.36.0" })), /Kubernetes 1\.36\.0 is newer than Talos 1\.12\.0 supports/);
    // two minors back is valid for Talos 1.12 but not an upgrade path Omni takes: its refusal is reported
    const skip = omniResources(await record(spec({ kubernetesVersion: "1.33.5" }))).find((x) => x.name === "dev-omni-cluster")!;
    await assert.rejects(
      host.up(skip.urn, skip.inputs, state.get(skip.name)),
      /failed to validate: kubernetes version is not supported for upgrade to "1\.33\.5" from "1\.35\.0"/,
    );
  });

  test("rejected signatures: an unknown service account, and a clock 6 minutes off, fail with Omni's reason and the fix", async () => {
    const stranger = await makeServiceAccountKey("stranger@serviceaccount.omni.sidero.dev");
    const other = await startProviderHost({ env: { OMNI_SERVICE_ACCOUNT_KEY: stranger.key } });
    try {
      const cluster = omniResources(await record(spec({ kubernetesVersion: "1.35.0" }))).find((x) => x.name === "dev-omni-cluster")!;
      const noop = { ...cluster.inputs, annotations: { ...cluster.inputs.annotations, touched: "1" } };
      await assert.rejects(
        other.up(cluster.urn, noop, state.get(cluster.name)),
        /UNAUTHENTICATED: invalid signature.*clock is within 5 minutes/,
      );
      omni.clockOffsetMs = 6 * 60_000;
      await assert.rejects(host.up(cluster.urn, noop, state.get(cluster.name)), /UNAUTHENTICATED: invalid signature/);
    } finally {
      omni.clockOffsetMs = 0;
      await other.close();
    }
    const missing = await startProviderHost({ env: { OMNI_SERVICE_ACCOUNT_KEY: "" } });
    try {
      const c = state.get("dev-omni-cluster")!;
      await assert.rejects(
        missing.up(c.urn, { ...c.inputs, annotations: { touched: "2" } }, c),
        /no Omni service-account key: export OMNI_SERVICE_ACCOUNT_KEY/,
      );
    } finally {
      await missing.close();
    }
  });

  test("destroy: nodes and machine sets first, then patches and the cluster; every machine back in the pool", async () => {
    for (const name of [...state.keys()].reverse()) {
      await host.destroy(state.get(name)!.urn, state.get(name)!);
      state.delete(name);
    }
    assert.equal(omni.resource("Clusters.omni.sidero.dev", "dev"), undefined);
    assert.equal(omni.resources("MachineSets.omni.sidero.dev").length, 0);
    assert.equal(omni.resources("ConfigPatches.omni.sidero.dev").length, 0);
    assert.ok(M.every((m) => "omni.sidero.dev/available" in omni.resource("MachineStatuses.omni.sidero.dev", m)!.meta.labels));
    const order = omni.callsOf("TeardownAndDestroy").map((c) => c.request.type.split(".")[0]);
    assert.ok(order.lastIndexOf("MachineSetNodes") < order.indexOf("Clusters"), order.join(","));
  });
});
