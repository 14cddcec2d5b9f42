// ClusterReadiness against a real kube-apiserver v1.36.3 with its etcd (test/peers/kubeApiserver.ts; built by
// scripts/tools/build.sh kube-apiserver): L2 (the serialized provider in the dynamic-provider host, driven over
// gRPC) and L3E (the real Pulumi CLI). Without kubelets or controllers, the test plays their part through the
// API as they do: it registers a Node and writes its Ready condition (kubelet), writes a DaemonSet's status
// (the DaemonSet controller), and cordons with `spec.unschedulable` (kubectl cordon).
import { after, before, describe, test } from "node:test";
import * as assert from "node:assert/strict";
import { ClusterReadiness, type ClusterReadinessArgs } from "../../sdk/dynamic/clusterReadiness";
import { captureProvider, startProviderHost, type ProviderHost } from "../harness/engine";
import { RealStack, skipRealEngine } from "../realEngine/harness";
import { skipRealKubeApiServer, startRealKubeApiServer, type RealKubeApiServer } from "./kubeApiserver";

const patient = { apiServerSeconds: 60, nodesSeconds: 60, daemonSetsSeconds: 60, requestSeconds: 20 };

async function ok(r: Promise<{ status: number; body: string }>, what: string) {
  const res = await r;
  assert.ok(res.status >= 200 && res.status < 300, `${what}: HTTP ${res.status} ${res.body.slice(0, 500)}`);
  return JSON.parse(res.body) as Record<string, any>;
}

/**
 * Registers a Node and reports it Ready, as a kubelet does (POST the Node, then its status subresource); then
 * removes the `node.kubernetes.io/not-ready` taint, as the node lifecycle controller does once the node is Ready.
 * The API server's TaintNodesByCondition admission adds that taint to every new Node.
 */
async function registerReadyNode(api: RealKubeApiServer, name: string) {
  const created = await ok(api.request("POST", "/api/v1/nodes", { apiVersion: "v1", kind: "Node", metadata: { name } }), "create node");
  assert.deepEqual(
    (created.spec.taints as { key: string; effect: string }[]).map((t) => `${t.key}:${t.effect}`),
    ["node.kubernetes.io/not-ready:NoSchedule"],
  );
  const now = new Date().toISOString();
  await ok(
    api.request("PATCH", `/api/v1/nodes/${name}/status`, {
      status: {
        conditions: [
          {
            type: "Ready",
            status: "True",
            reason: "KubeletReady",
            message: "kubelet is posting ready status",
            lastHeartbeatTime: now,
            lastTransitionTime: now,
          },
        ],
      },
    }),
    "node status",
  );
  await ok(api.request("PATCH", `/api/v1/nodes/${name}`, { spec: { taints: null } }), "node lifecycle controller: untaint");
}

describe("ClusterReadiness against a real kube-apiserver", { skip: skipRealKubeApiServer }, () => {
  let api: RealKubeApiServer;
  before(async () => {
    api = await startRealKubeApiServer();
  });
  after(async () => {
    await api?.stop();
  });

  describe("L2: the dynamic-provider host", () => {
    let host: ProviderHost;
    const up = async (over: Partial<ClusterReadinessArgs> = {}) => {
      const cap = await captureProvider(
        () =>
          new ClusterReadiness("real-ready", {
            kubeconfig: api.kubeconfig,
            distribution: "Talos",
            provider: "Docker",
            timeouts: patient,
            pollIntervalSeconds: 0.2,
            ...over,
          }),
      );
      return host.up(cap.urn, { ...cap.inputs, __provider: cap.provider });
    };

    before(async () => {
      host = await startProviderHost();
    });
    after(async () => {
      await host?.close();
    });

    test("no node registered yet: create fails saying so", async () => {
      await assert.rejects(up({ timeouts: { ...patient, nodesSeconds: 1 } }), /no nodes registered/);
    });

    test("a Ready node: create passes and records the server's version and the node count", async () => {
      await registerReadyNode(api, "real-cp-1");
      const s = await up();
      assert.equal(s.op, "create");
      assert.equal(s.outputs.kubernetesVersion, api.version);
      assert.equal(s.outputs.nodeCount, 1);
    });

    test("a cordoned node (spec.unschedulable, as kubectl cordon sets it) is not schedulable", async () => {
      await ok(api.request("PATCH", "/api/v1/nodes/real-cp-1", { spec: { unschedulable: true } }), "cordon");
      await assert.rejects(up({ timeouts: { ...patient, nodesSeconds: 1 } }), /no schedulable node: real-cp-1 \(cordoned\)/);
      await ok(api.request("PATCH", "/api/v1/nodes/real-cp-1", { spec: { unschedulable: null } }), "uncordon");
    });

    test("a new kube-system DaemonSet is not ready until its controller has observed it, then ready once rolled out", async () => {
      const labels = { app: "agent" };
      const created = await ok(
        api.request("POST", "/apis/apps/v1/namespaces/kube-system/daemonsets", {
          apiVersion: "apps/v1",
          kind: "DaemonSet",
          metadata: { name: "agent", namespace: "kube-system" },
          spec: {
            selector: { matchLabels: labels },
            template: { metadata: { labels }, spec: { containers: [{ name: "agent", image: "registry.k8s.io/pause:3.10" }] } },
          },
        }),
        "create daemonset",
      );
      // What the real server returns for a new DaemonSet: generation 1 and a status nobody has written yet.
      assert.equal(created.metadata.generation, 1);
      assert.equal(created.status.observedGeneration, undefined);
      await assert.rejects(
        up({ timeouts: { ...patient, daemonSetsSeconds: 1 } }),
        /agent \(spec generation 1 not observed by the DaemonSet controller yet\)/,
      );
      await ok(
        api.request("PATCH", "/apis/apps/v1/namespaces/kube-system/daemonsets/agent/status", {
          status: {
            observedGeneration: 1,
            desiredNumberScheduled: 1,
            currentNumberScheduled: 1,
            updatedNumberScheduled: 1,
            numberReady: 1,
            numberAvailable: 1,
            numberMisscheduled: 0,
          },
        }),
        "daemonset status",
      );
      const s = await up();
      assert.equal(s.op, "create");
    });
  });

  describe("L3E: the real Pulumi engine", { skip: skipRealEngine }, () => {
    let stack: RealStack;

    before(async () => {
      const nodes = await ok(api.request("GET", "/api/v1/nodes"), "list nodes");
      if ((nodes.items as unknown[]).length === 0) await registerReadyNode(api, "real-cp-1");
      stack = await RealStack.create("l3e-readiness", async () => {
        const ready = new ClusterReadiness("real-ready", {
          kubeconfig: api.kubeconfig,
          distribution: "Talos",
          provider: "Docker",
          timeouts: patient,
          pollIntervalSeconds: 0.2,
        });
        return { version: ready.kubernetesVersion, nodes: ready.nodeCount };
      });
    });
    after(() => stack?.dispose());

    test("up waits for the real API server and records its version; preview contacts nothing and changes nothing; destroy", async () => {
      const up = await stack.up();
      assert.deepEqual(up.opsOf("real-ready"), ["create"]);
      const outputs = await stack.stack.outputs();
      assert.equal(outputs.version.value, api.version);
      assert.equal(outputs.nodes.value, 1);
      assert.ok(!stack.stateFileText().includes("PRIVATE KEY"), "the kubeconfig is stored encrypted");
      const preview = await stack.preview();
      assert.deepEqual(preview.opsOf("real-ready"), ["same"]);
      const destroy = await stack.destroy();
      assert.deepEqual(destroy.opsOf("real-ready"), ["delete"]);
    });
  });
});
