// L3 with a real peer: the cordon/drain/uncordon TalosMachine does before a reboot, upgrade or reset
// (sdk/dynamic/talosMachine.drain.ts) against a real kube-apiserver v1.36.3 + etcd — the API server's own field
// selector on spec.nodeName, its Eviction subresource (policy/v1) with the PodDisruptionBudget check it does itself
// (429 while the budget allows no disruption or its status is not yet observed), and graceful deletion.
// kube-controller-manager's disruption controller and the kubelet do not run here: the test plays them where
// it must (the budget's status; confirming a terminated pod's deletion), each step named.
import { after, before, describe, test } from "node:test";
import * as assert from "node:assert/strict";
import { KubeClient } from "../../sdk/clients/kubernetes";
import { kubeconfigClientCert } from "../../sdk/pki/kubeconfig";
import { drain, setUnschedulable } from "../../sdk/dynamic/talosMachine.drain";
import { skipRealKubeApiServer, startRealKubeApiServer, type RealKubeApiServer } from "./kubeApiserver";

const NODE = "dev-worker-1";

describe("drain against a real kube-apiserver (L3, real peer)", { skip: skipRealKubeApiServer, timeout: 90_000 }, () => {
  let api: RealKubeApiServer;
  let kube: KubeClient;
  let kubelet: { on: boolean; done: Promise<void> };

  const ok = async (method: string, p: string, body?: unknown) => {
    const r = await api.request(method, p, body);
    assert.ok(r.status >= 200 && r.status < 300, `${method} ${p}: ${r.status} ${r.body}`);
    return JSON.parse(r.body);
  };
  const pod = (name: string, extra: Record<string, unknown> = {}) => ({
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace: "default", labels: { app: name.replace(/-\d+$/, "") }, ...extra },
    spec: { nodeName: NODE, containers: [{ name: "c", image: "registry.k8s.io/pause:3.10" }] },
  });
  const podsOnNode = async () =>
    (await ok("GET", `/api/v1/pods?fieldSelector=spec.nodeName%3D${NODE}`)).items.map((p: any) => p.metadata.name).sort();

  before(async () => {
    api = await startRealKubeApiServer();
    kube = new KubeClient(kubeconfigClientCert(api.kubeconfig), 10_000);
    // kube-controller-manager's service-account controller: the namespace's default ServiceAccount, which the API
    // server's ServiceAccount admission requires before it accepts a pod.
    await ok("POST", "/api/v1/namespaces/default/serviceaccounts", {
      apiVersion: "v1",
      kind: "ServiceAccount",
      metadata: { name: "default" },
    });
    await ok("POST", "/api/v1/nodes", { apiVersion: "v1", kind: "Node", metadata: { name: NODE } });
    await ok("POST", "/api/v1/nodes", { apiVersion: "v1", kind: "Node", metadata: { name: "dev-worker-2" } });
    // The kubelet's part of a graceful deletion: once a pod of this node is terminating, its containers are
    // stopped and the kubelet confirms the deletion (grace period 0).
    kubelet = { on: true, done: Promise.resolve() };
    kubelet.done = (async () => {
      while (kubelet.on) {
        const list = JSON.parse((await api.request("GET", "/api/v1/pods")).body);
        for (const p of list.items ?? []) {
          if (p.metadata.deletionTimestamp)
            await api.request("DELETE", `/api/v1/namespaces/${p.metadata.namespace}/pods/${p.metadata.name}?gracePeriodSeconds=0`);
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
  });
  after(async () => {
    if (kubelet) {
      kubelet.on = false;
      await kubelet.done;
    }
    await api?.stop();
  });

  test("cordon, evict the node's pods (not DaemonSet pods, not other nodes' pods), wait until they are gone", async () => {
    await ok("POST", "/api/v1/namespaces/default/pods", pod("web-1"));
    await ok("POST", "/api/v1/namespaces/default/pods", pod("web-2"));
    await ok(
      "POST",
      "/api/v1/namespaces/default/pods",
      pod("agent-1", {
        ownerReferences: [{ apiVersion: "apps/v1", kind: "DaemonSet", name: "agent", uid: "00000000-0000-4000-8000-000000000001" }],
      }),
    );
    await ok("POST", "/api/v1/namespaces/default/pods", { ...pod("elsewhere-1"), spec: { ...pod("x").spec, nodeName: "dev-worker-2" } });
    const logs: string[] = [];
    await drain(kube, NODE, 20_000, (m) => logs.push(m), 100);
    assert.equal((await ok("GET", `/api/v1/nodes/${NODE}`)).spec.unschedulable, true, "cordoned");
    assert.deepEqual(await podsOnNode(), ["agent-1"], "the DaemonSet pod stays, as kubectl drain --ignore-daemonsets leaves it");
    assert.equal((await api.request("GET", "/api/v1/namespaces/default/pods/elsewhere-1")).status, 200, "another node's pod is untouched");
    await setUnschedulable(kube, NODE, false);
    assert.equal((await ok("GET", `/api/v1/nodes/${NODE}`)).spec.unschedulable, undefined, "uncordoned");
  });

  test("a PodDisruptionBudget the API server enforces: the drain waits, names the budget, and fails at its deadline leaving the node cordoned", async () => {
    await ok("POST", "/api/v1/namespaces/default/pods", pod("db-1"));
    // The kubelet's part: the pod running and Ready. (The API server evicts a Pending pod without consulting any
    // budget: only a running pod is protected, so a budget test needs one.)
    const now = new Date().toISOString();
    const st = await api.request("PATCH", "/api/v1/namespaces/default/pods/db-1/status", {
      status: { phase: "Running", conditions: [{ type: "Ready", status: "True", lastTransitionTime: now }] },
    });
    assert.equal(st.status, 200, st.body);
    await ok("POST", "/apis/policy/v1/namespaces/default/poddisruptionbudgets", {
      apiVersion: "policy/v1",
      kind: "PodDisruptionBudget",
      metadata: { name: "db", namespace: "default" },
      spec: { minAvailable: 1, selector: { matchLabels: { app: "db" } } },
    });
    const logs: string[] = [];
    await assert.rejects(
      drain(kube, NODE, 1_000, (m) => logs.push(m), 200),
      (e: Error) => {
        assert.match(e.message, /draining dev-worker-1 did not finish within 1 s; still on the node: default\/db-1/);
        assert.match(
          e.message,
          /blocked by a PodDisruptionBudget: default\/db-1 \(HTTP 429: Cannot evict pod as it would violate the pod's disruption budget/,
        );
        assert.match(e.message, /Raise spec\.cluster\.talos\.drainTimeout or relax the budget/);
        return true;
      },
    );
    assert.ok(logs.some((l) => /waiting for disruption budgets/.test(l)));
    assert.equal((await ok("GET", `/api/v1/nodes/${NODE}`)).spec.unschedulable, true, "left cordoned");
    assert.deepEqual(await podsOnNode(), ["agent-1", "db-1"]);

    // The disruption controller's part: the budget observed, one disruption allowed (a second replica elsewhere).
    const pdb = await ok("GET", "/apis/policy/v1/namespaces/default/poddisruptionbudgets/db");
    await ok("PUT", "/apis/policy/v1/namespaces/default/poddisruptionbudgets/db/status", {
      ...pdb,
      status: { observedGeneration: pdb.metadata.generation, disruptionsAllowed: 1, currentHealthy: 2, desiredHealthy: 1, expectedPods: 2 },
    });
    await drain(kube, NODE, 20_000, () => {}, 100);
    assert.deepEqual(await podsOnNode(), ["agent-1"]);
  });
});
