// L3E with real peers: KSailCluster for Talos on Sidero Omni in `pulumi up` / `preview` / `destroy` of the real
// Pulumi CLI (Automation API, inline program, file backend), with the real Kubernetes provider plugin (built from
// github.com/pulumi/pulumi-kubernetes/provider/v4 by scripts/tools/build.sh) and a real kube-apiserver v1.36.3 +
// etcd (test/peers/kubeApiserver.ts). Omni is the fake of test/fakes/omni.ts over TLS/gRPC, verifying every request
// signature; it stands in for Omni's Kubernetes proxy by handing out the real API server's kubeconfig.
//
// What only a real Omni account can confirm: machines that really install Talos and join, Omni's own controllers'
// timing, and its Kubernetes proxy's authentication of the service-account token.
import { after, before, describe, test } from "node:test";
import * as assert from "node:assert/strict";
import * as k8s from "@pulumi/kubernetes";
import { KSailCluster } from "../../sdk/cluster";
import { FakeOmni, type FakeServiceAccount } from "../fakes/omni";
import { skipRealKubeApiServer, startRealKubeApiServer, type RealKubeApiServer } from "../peers/kubeApiserver";
import { RealStack, skipRealKubernetesPlugin } from "./harness";

const MACHINES = ["m-cp-1", "m-w-1", "m-w-2"];
const WRITES = ["Create", "Update", "Destroy", "Teardown", "TeardownAndDestroy"];

describe(
  "KSailCluster on Omni through the real Pulumi engine, the real Kubernetes plugin and a real kube-apiserver (L3E)",
  { skip: skipRealKubernetesPlugin || skipRealKubeApiServer },
  () => {
    let api: RealKubeApiServer;
    let omni: FakeOmni;
    let sa: FakeServiceAccount;
    let stack: RealStack;
    let workers = 1;

    const writes = () => omni.calls.filter((c) => WRITES.includes(c.method)).length;

    /**
     * A kubelet's registration as the API server stores it: the Node (the real API server's admission adds the
     * `node.kubernetes.io/not-ready` taint on create), its Ready condition on /status, then what the node lifecycle
     * controller of kube-controller-manager does for a Ready node (not running here): the taint removed.
     */
    async function registerNode(name: string): Promise<void> {
      const created = await api.request("POST", "/api/v1/nodes", { apiVersion: "v1", kind: "Node", metadata: { name } });
      assert.equal(created.status, 201, created.body);
      const now = new Date().toISOString();
      const status = await api.request("PATCH", `/api/v1/nodes/${name}/status`, {
        status: {
          conditions: [{ type: "Ready", status: "True", reason: "KubeletReady", lastHeartbeatTime: now, lastTransitionTime: now }],
        },
      });
      assert.equal(status.status, 200, status.body);
      const untainted = await api.request("PATCH", `/api/v1/nodes/${name}`, { spec: { taints: null } });
      assert.equal(untainted.status, 200, untainted.body);
    }

    /**
     * What kube-controller-manager's garbage collector (not running here) does for an object deleted with
     * foreground propagation, as the plugin deletes: with no dependents left, it removes the `foregroundDeletion`
     * finalizer, and the API server then removes the object. Runs until stopped.
     */
    function collectGarbage(): () => void {
      let on = true;
      void (async () => {
        while (on) {
          const list = await api.request("GET", "/api/v1/namespaces/default/configmaps");
          for (const item of JSON.parse(list.body).items ?? []) {
            const m = item.metadata;
            if (m.deletionTimestamp && (m.finalizers ?? []).includes("foregroundDeletion")) {
              await api.request("PATCH", `/api/v1/namespaces/default/configmaps/${m.name}`, { metadata: { finalizers: null } });
            }
          }
          await new Promise((r) => setTimeout(r, 200));
        }
      })();
      return () => {
        on = false;
      };
    }

    const program = async () => {
      const cluster = new KSailCluster("dev", {
        spec: {
          cluster: { distribution: "Talos", provider: "Omni", controlPlanes: 1, workers, cni: "Default" },
          provider: { omni: { endpoint: omni.endpoint, talosVersion: "1.12.0", kubernetesVersion: "1.34.1", machines: MACHINES } },
        },
        omniCaPem: omni.caPem,
      });
      // A user's resource on the cluster's provider: created by the real plugin in the real API server, after the gates.
      // A ConfigMap, not a Namespace: deleting a Namespace needs kube-controller-manager's namespace controller, which
      // this peer does not run, and the plugin waits for the deletion.
      const cm = new k8s.core.v1.ConfigMap(
        "team-a",
        { metadata: { name: "team-a", namespace: "default" }, data: { owner: "team-a" } },
        { provider: cluster.kubernetesProvider, customTimeouts: { delete: "60s" } },
      );
      return { kubeconfig: cluster.kubeconfig, nodes: cluster.nodes, configMap: cm.metadata.name };
    };

    before(async () => {
      api = await startRealKubeApiServer();
      omni = await FakeOmni.start({
        machines: MACHINES.map((id) => ({ id, talosVersion: "v1.12.0" })),
        controllerDelayMs: 5,
        kubeconfigFor: () => api.kubeconfig,
      });
      sa = await omni.addServiceAccount("ksail@serviceaccount.omni.sidero.dev", "Operator");
      stack = await RealStack.create("l3e-omni", program, { env: { OMNI_SERVICE_ACCOUNT_KEY: sa.key }, plugins: ["kubernetes"] });
    });
    after(async () => {
      stack?.dispose();
      await omni?.stop();
      await api?.stop();
    });

    test("up: the template lands in Omni, the gate waits for Ready nodes, the user's ConfigMap is created in the API server", async () => {
      await registerNode("m-cp-1");
      await registerNode("m-w-1");
      const up = await stack.up();
      for (const name of [
        "dev-omni-cluster",
        "dev-omni-control-planes",
        "dev-omni-workers",
        "dev-omni-node-m-w-1",
        "dev-omni-kubeconfig",
        "team-a",
      ]) {
        assert.deepEqual(up.opsOf(name), ["create"], name);
      }
      assert.equal(omni.resource("Clusters.omni.sidero.dev", "dev")!.spec.kubernetesVersion, "1.34.1");
      const cm = await api.request("GET", "/api/v1/namespaces/default/configmaps/team-a");
      assert.equal(cm.status, 200, cm.body);
      // The engine's order: the ConfigMap starts only after the cluster's readiness gate finished.
      const pre = up.events.findIndex((e) => e.resourcePreEvent?.metadata.urn.endsWith("::team-a"));
      const gate = up.events.findIndex((e) => e.resOutputsEvent?.metadata.type.endsWith(":ClusterReadiness"));
      assert.ok(gate >= 0 && pre > gate, `ConfigMap step ${pre}, readiness done ${gate}`);
      const outputs = await stack.stack.outputs();
      assert.equal(outputs.kubeconfig.secret, true, "the kubeconfig is a secret output");
      const state = stack.stateFileText();
      assert.ok(!state.includes(sa.key.split("\n").find((l) => l.length > 40)!), "the service-account key is not in the state");
      assert.ok(!state.includes("BEGIN EC PRIVATE KEY") && !state.includes("BEGIN PRIVATE KEY"), "the admin key is encrypted in the state");
    });

    test("preview of a second worker: one MachineSetNode to create, the wait updated; the kubeconfig, both providers and the user's resource the same; no write to Omni", async () => {
      workers = 2;
      const before = writes();
      const run = await stack.preview();
      const steps = run.steps.map((s) => `${s.op} ${s.name}`).join(", ");
      assert.deepEqual(run.opsOf("dev-omni-node-m-w-2"), ["create"], steps);
      assert.deepEqual(run.opsOf("dev-omni-ready"), ["update"], steps);
      // Before the wait had its own resource, scaling updated the kubeconfig resource: its output unknown in preview,
      // both Kubernetes providers updated and every resource on them shown as an update.
      for (const same of ["dev-omni-cluster", "dev-omni-kubeconfig", "dev-k8s", "dev-kubernetes", "team-a"]) {
        assert.deepEqual(run.opsOf(same), ["same"], `${same}: ${steps}`);
      }
      assert.ok(
        !run.steps.some((s) => s.op === "replace" || s.op === "create-replacement" || s.op === "delete"),
        run.steps.map((s) => `${s.op} ${s.name}`).join(", "),
      );
      assert.equal(writes(), before, "preview has no side effects in Omni");
    });

    test("up of the second worker: the node joins in place", async () => {
      await registerNode("m-w-2");
      const up = await stack.up();
      assert.deepEqual(up.opsOf("dev-omni-node-m-w-2"), ["create"]);
      assert.equal(omni.resource("MachineStatuses.omni.sidero.dev", "m-w-2")!.spec.cluster, "dev");
      assert.equal(up.changeSummary.replace ?? 0, 0);
    });

    test("destroy: the ConfigMap goes first, then nodes, machine sets, patches and the cluster; every machine back in the pool", async () => {
      const stopGc = collectGarbage();
      const down = await stack.destroy().finally(stopGc);
      assert.ok(down.opsOf("team-a").includes("delete"));
      const cm = await api.request("GET", "/api/v1/namespaces/default/configmaps/team-a");
      assert.equal(cm.status, 404, cm.body);
      assert.equal(omni.resource("Clusters.omni.sidero.dev", "dev"), undefined);
      assert.equal(omni.resources("MachineSets.omni.sidero.dev").length, 0);
      assert.ok(MACHINES.every((m) => "omni.sidero.dev/available" in omni.resource("MachineStatuses.omni.sidero.dev", m)!.meta.labels));
    });
  },
);
