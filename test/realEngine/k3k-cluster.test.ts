// L3E with real peers: K3s nested in a host cluster through rancher/k3k (sdk/infra/kubernetes/k3k.ts) in `pulumi
// preview` / `up` / `destroy` of the real Pulumi CLI, with the real Kubernetes provider plugin and a real
// kube-apiserver v1.36.3 that has k3k v1.1.0's own CustomResourceDefinitions (copied from its Go module by
// scripts/tools/build.sh k3k-crds): the API server checks every Cluster object against k3k's schema, enums and CEL
// immutability rules. What k3k's controller, the cloud's LoadBalancer and kube-controller-manager do is played by
// the stand-ins of test/peers/kubeControllers.ts (k3k: the `k3k-<name>-kubeconfig` Secret with key
// `kubeconfig.yaml` and `status.phase: Ready`, as pkg/controller/cluster/cluster.go writes them).
//
// What only a real host cluster can confirm: that k3k's pods start and its K3s servers come up, the LoadBalancer
// address really reaches them, and the nested API server's certificate carries the address (k3k's server config).
import { after, before, describe, test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import * as YAML from "yaml";
import { planK3kCluster, type K3kPlanInput } from "../../sdk/plan/k3k";
import { k3kCluster } from "../../sdk/infra/kubernetes/k3k";
import { builtTool, missingReason } from "../peers/tools";
import { skipRealKubeApiServer, startRealKubeApiServer, type RealKubeApiServer } from "../peers/kubeApiserver";
import { runStandIns, type ControllerLoop } from "../peers/kubeControllers";
import { assertNothingChanges, RealStack, skipRealKubernetesPlugin } from "./harness";

const K3K = "v1.1.0";
const crds = builtTool("k3k-crds", K3K);
const skipCrds = crds ? false : missingReason(`rancher/k3k ${K3K} CRDs`, "k3k-crds");
const LB_IP = "192.0.2.10";
const NS = "k3k-dev";
const CLUSTERS = `/apis/k3k.io/v1beta1/namespaces/${NS}/clusters`;

describe(
  "K3s on a host cluster through k3k: the real Pulumi engine, the real Kubernetes plugin, a real kube-apiserver with k3k's CRDs (L3E)",
  { skip: skipRealKubernetesPlugin || skipRealKubeApiServer || skipCrds },
  () => {
    let api: RealKubeApiServer;
    let stack: RealStack;
    let controllers: ControllerLoop;
    let input: K3kPlanInput;

    const program = async () => {
      const parent = new pulumi.ComponentResource("test:index:Nested", "dev");
      const nested = k3kCluster(
        "dev",
        planK3kCluster(input),
        { hostKubeconfig: api.kubeconfig, installOperator: false, createTimeoutSeconds: 40 },
        { parent },
      );
      return { kubeconfig: nested.kubeconfig, endpoint: nested.endpoint };
    };

    /** k3k's controller, as far as the program sees it: the admin kubeconfig Secret (server: the Service's cluster IP), then Ready. */
    async function k3kReconcile(cluster: any): Promise<boolean> {
      const m = cluster.metadata;
      const kubeconfig = YAML.parse(api.kubeconfig);
      for (const c of kubeconfig.clusters) c.cluster.server = "https://10.128.0.1";
      const secret = await api.request("POST", `/api/v1/namespaces/${m.namespace}/secrets`, {
        apiVersion: "v1",
        kind: "Secret",
        metadata: { name: `k3k-${m.name}-kubeconfig`, namespace: m.namespace },
        data: { "kubeconfig.yaml": Buffer.from(YAML.stringify(kubeconfig)).toString("base64") },
      });
      if (secret.status !== 201 && secret.status !== 409) throw new Error(secret.body);
      const status = await api.request("PATCH", `${CLUSTERS}/${m.name}/status`, {
        status: {
          phase: "Ready",
          clusterCIDR: cluster.spec.clusterCIDR,
          serviceCIDR: cluster.spec.serviceCIDR,
          tlsSANs: cluster.spec.tlsSANs ?? [],
        },
      });
      if (status.status !== 200) throw new Error(status.body);
      return true;
    }

    before(async () => {
      api = await startRealKubeApiServer();
      for (const file of ["k3k.io_clusters.yaml", "k3k.io_virtualclusterpolicies.yaml"]) {
        const crd = YAML.parse(fs.readFileSync(path.join(crds as string, file), "utf8"));
        const r = await api.request("POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", crd);
        assert.equal(r.status, 201, r.body);
      }
      for (let i = 0; ; i++) {
        const r = await api.request("GET", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/clusters.k3k.io");
        if (/"type":"Established","status":"True"/.test(r.body)) break;
        assert.ok(i < 100, "the CRD is established");
        await new Promise((res) => setTimeout(res, 100));
      }
      controllers = runStandIns(api, {
        namespaces: [NS],
        loadBalancerIp: LB_IP,
        collections: ["services", "secrets", "configmaps", "/apis/k3k.io/v1beta1/namespaces/{ns}/clusters"],
        operators: [{ list: "/apis/k3k.io/v1beta1/clusters", reconcile: k3kReconcile }],
      });
      input = {
        clusterName: "dev",
        servers: 1,
        agents: 2,
        kubernetesVersion: "v1.34.1",
        podCidr: "10.64.0.0/16",
        serviceCidr: "10.128.0.0/16",
        persistence: { enabled: false, storageClassName: "", size: "20Gi" },
        gatewayClassName: "",
        loadBalancer: false,
      };
      stack = await RealStack.create("l3e-k3k", program, { plugins: ["kubernetes"] });
    });
    after(async () => {
      await controllers?.stop();
      stack?.dispose();
      await api?.stop();
    });

    test("first preview: the namespace, the API front and the Cluster to create, the kubeconfig not read yet, nothing written", async () => {
      const run = await stack.preview();
      const steps = run.steps.map((s) => `${s.op} ${s.name}`).join(", ");
      for (const name of ["dev-namespace", "dev-api", "dev-k3k-cluster"])
        assert.deepEqual(run.opsOf(name), ["create"], `${name}: ${steps}`);
      assert.equal((await api.request("GET", `/api/v1/namespaces/${NS}`)).status, 404, "preview has no side effects");
    });

    test("up: the Cluster passes k3k's schema with the front's address as TLS SAN; the kubeconfig is read back and points at the front", async () => {
      await stack.up();
      const got = JSON.parse((await api.request("GET", `${CLUSTERS}/dev`)).body);
      assert.deepEqual(
        {
          mode: got.spec.mode,
          servers: got.spec.servers,
          agents: got.spec.agents,
          version: got.spec.version,
          persistence: got.spec.persistence.type,
          tlsSANs: got.spec.tlsSANs,
          clusterCIDR: got.spec.clusterCIDR,
          serverArgs: got.spec.serverArgs,
        },
        {
          mode: "virtual",
          servers: 1,
          agents: 2,
          version: "v1.34.1-k3s1",
          persistence: "ephemeral",
          tlsSANs: [LB_IP],
          clusterCIDR: "10.64.0.0/16",
          serverArgs: ["--disable=local-storage", "--disable=metrics-server", "--disable=servicelb"],
        },
      );
      assert.equal(got.spec.expose, undefined, "k3k's own expose stays unset: its LoadBalancer address would not be a SAN");
      const svc = JSON.parse((await api.request("GET", `/api/v1/namespaces/${NS}/services/ksail-dev-api`)).body);
      assert.deepEqual(
        [svc.spec.type, svc.spec.selector, svc.spec.ports[0].port],
        ["LoadBalancer", { cluster: "dev", role: "server" }, 6443],
      );
      const outputs = await stack.stack.outputs();
      assert.equal(outputs.kubeconfig.secret, true);
      assert.equal(outputs.endpoint.value, `https://${LB_IP}:6443`);
      const kc = YAML.parse(outputs.kubeconfig.value);
      assert.equal(kc.clusters[0].cluster.server, `https://${LB_IP}:6443`);
      assert.equal(
        kc.clusters[0].cluster["certificate-authority-data"],
        YAML.parse(api.kubeconfig).clusters[0].cluster["certificate-authority-data"],
      );
      assert.ok(!stack.stateFileText().includes(YAML.parse(api.kubeconfig).users[0].user["client-key-data"]), "no key in plain state");
      assert.deepEqual(controllers.errors, []);
    });

    test("the same program again: nothing changes", async () => {
      const run = await stack.preview();
      assertNothingChanges(run);
    });

    test("more agents: the Cluster is updated in place, nothing else", async () => {
      input = { ...input, agents: 3 };
      const run = await stack.preview();
      const steps = run.steps.map((s) => `${s.op} ${s.name}`).join(", ");
      assert.deepEqual(run.opsOf("dev-k3k-cluster"), ["update"], steps);
      assert.ok(!run.steps.some((s) => s.op !== "same" && s.op !== "read" && s.name !== "dev-k3k-cluster"), steps);
      await stack.up();
      assert.equal(JSON.parse((await api.request("GET", `${CLUSTERS}/dev`)).body).spec.agents, 3);
    });

    test("a new pod CIDR: k3k's CRD refuses the change in place, so the preview shows the nested cluster recreated (namespace first), and up does it", async () => {
      const direct = await api.request("PATCH", `${CLUSTERS}/dev`, { spec: { clusterCIDR: "10.65.0.0/16" } });
      assert.equal(direct.status, 422, direct.body);
      assert.match(direct.body, /clusterCIDR is immutable/);
      input = { ...input, podCidr: "10.65.0.0/16" };
      const run = await stack.preview();
      const steps = run.steps.map((s) => `${s.op} ${s.name}`).join(", ");
      assert.ok(
        run.opsOf("dev-k3k-cluster").some((o) => o === "replace" || o === "delete-replaced" || o === "create-replacement"),
        steps,
      );
      await stack.up();
      assert.equal(JSON.parse((await api.request("GET", `${CLUSTERS}/dev`)).body).spec.clusterCIDR, "10.65.0.0/16");
    });

    // KSail's NodePort tier (pkg/svc/provider/kubernetes/gateway.go, exposeViaNodePort): the same Service, switched in
    // place; the real API server allocates the node port, and the Cluster's TLS SAN becomes the host address.
    test("a NodePort front: the Service is switched in place, the API server allocates the port, the TLS SAN and the endpoint follow", async () => {
      input = { ...input, hostExposure: "NodePort" };
      const run = await stack.preview();
      const steps = run.steps.map((s) => `${s.op} ${s.name}`).join(", ");
      assert.deepEqual(run.opsOf("dev-api"), ["update"], steps);
      assert.deepEqual(run.opsOf("dev-k3k-cluster"), ["update"], steps);
      await stack.up();
      const svc = JSON.parse((await api.request("GET", `/api/v1/namespaces/${NS}/services/ksail-dev-api`)).body);
      const nodePort = svc.spec.ports[0].nodePort;
      assert.equal(svc.spec.type, "NodePort");
      assert.ok(nodePort >= 30000 && nodePort <= 32767, String(nodePort));
      const host = new URL(YAML.parse(api.kubeconfig).clusters[0].cluster.server).hostname;
      assert.deepEqual(JSON.parse((await api.request("GET", `${CLUSTERS}/dev`)).body).spec.tlsSANs, [host]);
      assert.equal((await stack.stack.outputs()).endpoint.value, `https://${host}:${nodePort}`);
    });

    test("destroy: the Cluster, the front and the namespace are gone", async () => {
      await stack.destroy();
      assert.equal((await api.request("GET", `${CLUSTERS}/dev`)).status, 404);
      assert.equal((await api.request("GET", `/api/v1/namespaces/${NS}`)).status, 404);
      assert.deepEqual(controllers.errors, []);
    });
  },
);
