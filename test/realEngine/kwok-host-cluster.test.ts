// L3E with real peers: KWOK on a host cluster (sdk/infra/kubernetes/kwok.ts) in `pulumi preview` / `up` / `destroy` of
// the real Pulumi CLI with the real Kubernetes plugin, against a real kube-apiserver v1.36.3 as the host. The host's
// kubelet is played by a stand-in that does what a kubelet would with what Pulumi applied: it reads the
// StatefulSet's and the Deployment's pod specs and the Secret from the host's API and runs the pods' processes with
// the real binaries (test/peers/kwokRun.ts), the API server on the NodePort front's port. The nested cluster then
// really serves: ClusterSecrets' kubeconfig (checked as `kubernetes` at 127.0.0.1 and the node port) passes the API
// gate in the dynamic-provider host, and the real plugin creates the simulated node through it, which kwok turns
// Ready. What only a real host can confirm: its kubelet pulling the images and starting the pods.
//
// Found here, with the real plugin: the nested provider was configured before the nested API server answered, and the
// plugin then failed the node's create ("configured Kubernetes cluster is unreachable"); and the ClusterIP Service
// `kwok-apiserver`, awaited by the plugin until it had endpoints, held back the StatefulSet that brings them.
import { after, before, describe, test } from "node:test";
import * as assert from "node:assert/strict";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import * as YAML from "yaml";
import { loadClusterConfig } from "../../sdk/config/load";
import { parseSpec } from "../../sdk/config/parse";
import { planCluster } from "../../sdk/plan/cluster";
import { kwokHostCluster } from "../../sdk/infra/kubernetes/kwok";
import { KubeClient } from "../../sdk/clients/kubernetes";
import { kubeconfigClientCert } from "../../sdk/pki";
import { repoRoot } from "../harness/paths";
import { skipRealKubeApiServer, startRealKubeApiServer, type RealKubeApiServer } from "../peers/kubeApiserver";
import { runStandIns, type ControllerLoop } from "../peers/kubeControllers";
import { podProcesses, runKwok, skipKwokPeers, type RunningKwok } from "../peers/kwokRun";
import { assertNothingChanges, RealStack, skipRealKubernetesPlugin } from "./harness";

const NS = "ksail-dev";

describe(
  "KWOK on a host cluster: the real Pulumi engine and Kubernetes plugin against a real kube-apiserver host, its pods run by a kubelet stand-in with the real binaries (L3E)",
  { skip: skipRealKubernetesPlugin || skipRealKubeApiServer || skipKwokPeers },
  () => {
    let api: RealKubeApiServer;
    let stack: RealStack;
    let controllers: ControllerLoop;
    let kwok: RunningKwok | undefined;
    const loaded = loadClusterConfig(path.join(repoRoot(), "test/fixtures/kwok-project/ksail.yaml"));

    const program = async () => {
      const parent = new pulumi.ComponentResource("test:index:Nested", "dev");
      const spec = parseSpec({ cluster: { distribution: "KWOK", provider: "Kubernetes" }, provider: { kubernetes: {} } }).spec;
      const plan = planCluster({ name: "dev", spec, hostExposure: "NodePort", kwokObjects: loaded.kwokObjects });
      const infra = kwokHostCluster(
        { name: "dev", parent, plan, protect: false },
        {
          hostKubeconfig: api.kubeconfig,
          hostAddress: "127.0.0.1",
          recreateKey: "key-1",
          awaitWorkloads: false,
          createTimeoutSeconds: 120,
        },
      );
      return { kubeconfig: infra.secrets.kubeconfig, endpoint: infra.endpoint };
    };

    /** The kubelet, for this test: runs the control-plane pod and the kwok controller's pod from what the host holds. */
    async function kubelet(sts: any): Promise<boolean> {
      if (sts.metadata.namespace !== NS || sts.metadata.name !== "kwok-control-plane" || kwok) return true;
      const get = async (p: string) => {
        const r = await api.request("GET", p);
        return r.status === 200 ? JSON.parse(r.body) : undefined;
      };
      const dep = await get(`/apis/apps/v1/namespaces/${NS}/deployments/kwok-controller`);
      const secret = await get(`/api/v1/namespaces/${NS}/secrets/kwok`);
      const front = await get(`/api/v1/namespaces/${NS}/services/ksail-dev-api`);
      if (!dep || !secret || !front) return false;
      const data = Object.fromEntries(
        Object.entries(secret.data as Record<string, string>).map(([k, v]) => [k, Buffer.from(v, "base64").toString("utf8")]),
      );
      kwok = await runKwok(
        [...podProcesses(sts.spec.template.spec, data), ...podProcesses(dep.spec.template.spec, data)],
        { ca: { cert: data["ca.crt"], key: "" }, admin: { cert: data["admin.crt"], key: data["admin.key"] } },
        { "127.0.0.1:2379": "etcd", "127.0.0.1:6443": "kube-apiserver", "kwok-apiserver:443": "kube-apiserver" },
        // The NodePort front forwards the node port to the pod; here the API server listens on it.
        { apiPort: front.spec.ports[0].nodePort },
      );
      return true;
    }

    before(async () => {
      api = await startRealKubeApiServer();
      controllers = runStandIns(api, {
        namespaces: [NS],
        collections: ["services", "secrets", "/apis/apps/v1/namespaces/{ns}/statefulsets", "/apis/apps/v1/namespaces/{ns}/deployments"],
        operators: [{ list: "/apis/apps/v1/statefulsets", reconcile: kubelet }],
      });
      stack = await RealStack.create("l3e-kwok-host", program, { plugins: ["kubernetes"] });
    });
    after(async () => {
      await controllers?.stop();
      await kwok?.stop();
      stack?.dispose();
      await api?.stop();
    });

    test("first preview: the host objects, the identity, the gate and the node to create; nothing written", async () => {
      const run = await stack.preview();
      const steps = run.steps.map((s) => `${s.op} ${s.name}`).join(", ");
      for (const name of [
        "dev-namespace",
        "dev-api",
        "dev-secrets",
        "dev-kwok-files",
        "dev-kwok-control-plane",
        "dev-kwok-controller",
        "dev-kwok-api-ready",
        "dev-node",
      ])
        assert.deepEqual(run.opsOf(name), ["create"], `${name}: ${steps}`);
      assert.equal((await api.request("GET", `/api/v1/namespaces/${NS}`)).status, 404, "preview has no side effects");
    });

    test("up: the host accepts every object, the nested API server serves at the front, and the node created through it is Ready", async () => {
      await stack.up();
      const outputs = await stack.stack.outputs();
      assert.equal(outputs.kubeconfig.secret, true);
      const front = JSON.parse((await api.request("GET", `/api/v1/namespaces/${NS}/services/ksail-dev-api`)).body);
      assert.equal(outputs.endpoint.value, `https://127.0.0.1:${front.spec.ports[0].nodePort}`);
      const kc = YAML.parse(outputs.kubeconfig.value);
      assert.equal(kc.clusters[0].cluster["tls-server-name"], "kubernetes");
      const nested = new KubeClient(kubeconfigClientCert(outputs.kubeconfig.value));
      for (let i = 0; ; i++) {
        const n = (await nested.request("GET", "/api/v1/nodes/node-000000")).body as any;
        if (n?.status?.conditions?.some((c: any) => c.type === "Ready" && c.status === "True")) break;
        assert.ok(i < 100, "the simulated node turns Ready");
        await new Promise((r) => setTimeout(r, 300));
      }
      const secret = JSON.parse((await api.request("GET", `/api/v1/namespaces/${NS}/secrets/kwok`)).body);
      const key = Buffer.from(secret.data["admin.key"], "base64").toString("utf8");
      assert.ok(!stack.stateFileText().includes(key.split("\n")[1]), "the admin key is not in plain state");
      assert.deepEqual(controllers.errors, []);
    });

    test("the same program again: nothing changes", async () => {
      const run = await stack.preview();
      assertNothingChanges(run);
    });

    test("destroy: the node goes first (through the nested API), then every host object and the namespace", async () => {
      await stack.destroy();
      for (let i = 0; i < 100; i++) {
        if ((await api.request("GET", `/api/v1/namespaces/${NS}`)).status === 404) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.equal((await api.request("GET", `/api/v1/namespaces/${NS}`)).status, 404);
      const gone = await kwok!.api("GET", "/api/v1/nodes/node-000000");
      assert.equal(gone.status, 404, "the simulated node was deleted while the nested cluster still ran");
    });
  },
);
