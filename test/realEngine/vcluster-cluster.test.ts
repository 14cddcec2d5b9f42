// L3E with real peers: a vCluster nested in a host cluster through its chart (sdk/infra/kubernetes/vcluster.ts) in
// `pulumi preview` / `up` / `destroy` of the real Pulumi CLI, with the real Kubernetes provider plugin installing the
// real vcluster chart (loft-sh/vcluster v0.36.1's chart/, copied from its Go module by scripts/tools/build.sh
// vcluster-chart) into a real kube-apiserver v1.36.3: Helm renders the chart with the values this package sets,
// checks them against the chart's values.schema.json, and the API server validates every object it creates. What
// vCluster's own control plane does is played by a stand-in (test/peers/kubeControllers.ts): it writes the admin
// kubeconfig into `vc-<name>` the way pkg/util/kubeconfig/kubeconfig.go does (create or patch, key `config`), and the
// LoadBalancer stand-in gives the API front its address.
//
// What only a real host cluster can confirm: that vCluster's pod starts and serves, that it writes the Secret, that
// the LoadBalancer address reaches it, and that its certificate carries the address (pkg/server/cert/cert.go).
import { after, before, describe, test } from "node:test";
import * as assert from "node:assert/strict";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import * as YAML from "yaml";
import { planVCluster, type VClusterPlanInput } from "../../sdk/plan/vcluster";
import { vclusterCluster } from "../../sdk/infra/kubernetes/vcluster";
import { builtTool, missingReason, pinnedVersion } from "../peers/tools";
import { skipRealKubeApiServer, startRealKubeApiServer, type RealKubeApiServer } from "../peers/kubeApiserver";
import { runStandIns, type ControllerLoop } from "../peers/kubeControllers";
import { assertNothingChanges, RealStack, skipRealKubernetesPlugin } from "./harness";

const VERSION = pinnedVersion("VCLUSTER_CHART_VERSION");
const chartDir = builtTool("vcluster-chart", VERSION);
const skipChart = chartDir ? false : missingReason(`loft-sh/vcluster ${VERSION}'s chart`, "vcluster-chart");
const LB_IP = "192.0.2.30";
const NS = "vcluster-dev";

describe(
  "VCluster on a host cluster: the real Pulumi engine, the real Kubernetes plugin installing the real vcluster chart into a real kube-apiserver (L3E)",
  { skip: skipRealKubernetesPlugin || skipRealKubeApiServer || skipChart },
  () => {
    let api: RealKubeApiServer;
    let stack: RealStack;
    let controllers: ControllerLoop;
    let input: VClusterPlanInput;
    let recreateKey = "key-1";

    const program = async () => {
      const parent = new pulumi.ComponentResource("test:index:Nested", "dev");
      const nested = vclusterCluster(
        "dev",
        planVCluster(input),
        {
          hostKubeconfig: api.kubeconfig,
          recreateKey,
          chartPath: path.join(chartDir as string, "vcluster"),
          // No kubelet runs the StatefulSet's pod here; Helm's wait would never end.
          awaitRelease: false,
          createTimeoutSeconds: 60,
        },
        { parent },
      );
      return { kubeconfig: nested.kubeconfig, endpoint: nested.endpoint };
    };

    /** vCluster's control plane, as far as the program sees it: the admin kubeconfig in vc-<release>, created or patched. */
    async function vclusterWritesKubeconfig(workload: any): Promise<boolean> {
      const m = workload.metadata;
      if (m.labels?.app !== "vcluster") return true;
      const kubeconfig = YAML.parse(api.kubeconfig);
      for (const c of kubeconfig.clusters) c.cluster.server = "https://localhost:8443";
      const data = { config: Buffer.from(YAML.stringify(kubeconfig)).toString("base64") };
      const url = `/api/v1/namespaces/${m.namespace}/secrets/vc-${m.name}`;
      const got = await api.request("GET", url);
      const r =
        got.status === 404
          ? await api.request("POST", `/api/v1/namespaces/${m.namespace}/secrets`, {
              apiVersion: "v1",
              kind: "Secret",
              metadata: { name: `vc-${m.name}`, namespace: m.namespace, labels: { app: "vcluster", "vcluster-name": m.name } },
              type: "Opaque",
              data,
            })
          : await api.request("PATCH", url, { data }, "application/merge-patch+json");
      if (r.status >= 300) throw new Error(`${r.status} ${r.body}`);
      return true;
    }

    before(async () => {
      api = await startRealKubeApiServer();
      controllers = runStandIns(api, {
        namespaces: [NS],
        loadBalancerIp: LB_IP,
        collections: [
          "services",
          "secrets",
          "configmaps",
          "serviceaccounts",
          "/apis/apps/v1/namespaces/{ns}/statefulsets",
          "/apis/apps/v1/namespaces/{ns}/deployments",
          "/apis/rbac.authorization.k8s.io/v1/namespaces/{ns}/roles",
          "/apis/rbac.authorization.k8s.io/v1/namespaces/{ns}/rolebindings",
        ],
        // The chart runs the control plane as a Deployment, or as a StatefulSet with a volume (_persistence.tpl, vcluster.kind).
        operators: [
          { list: "/apis/apps/v1/statefulsets", reconcile: vclusterWritesKubeconfig },
          { list: "/apis/apps/v1/deployments", reconcile: vclusterWritesKubeconfig },
        ],
      });
      input = {
        clusterName: "dev",
        controlPlanes: 1,
        kubernetesVersion: "v1.36.3",
        persistence: { enabled: false, storageClassName: "", size: "20Gi" },
        gatewayClassName: "",
        userValues: { sync: { toHost: { ingresses: { enabled: true } } } },
      };
      stack = await RealStack.create("l3e-vcluster", program, { plugins: ["kubernetes"] });
    });
    after(async () => {
      await controllers?.stop();
      stack?.dispose();
      await api?.stop();
    });

    test("first preview: the namespace, the release and the kubeconfig Secret to create, nothing written", async () => {
      const run = await stack.preview();
      const steps = run.steps.map((s) => `${s.op} ${s.name}`).join(", ");
      for (const name of ["dev-namespace", "dev-vcluster", "dev-vcluster-kubeconfig"])
        assert.deepEqual(run.opsOf(name), ["create"], `${name}: ${steps}`);
      assert.equal((await api.request("GET", `/api/v1/namespaces/${NS}`)).status, 404, "preview has no side effects");
    });

    test("up: the chart renders with these values and its objects pass the API server; the kubeconfig is waited for and points at the Service's address", async () => {
      await stack.up();
      // Without a volume the chart runs the control plane as a Deployment (templates/_persistence.tpl, vcluster.kind).
      const deployment = JSON.parse((await api.request("GET", `/apis/apps/v1/namespaces/${NS}/deployments/dev`)).body);
      assert.equal(deployment.spec.replicas, 1);
      assert.equal((await api.request("GET", `/apis/apps/v1/namespaces/${NS}/statefulsets/dev`)).status, 404);
      // The chart's Service stays ClusterIP; the front selects the same pods the chart's Service does.
      const chartSvc = JSON.parse((await api.request("GET", `/api/v1/namespaces/${NS}/services/dev`)).body);
      const front = JSON.parse((await api.request("GET", `/api/v1/namespaces/${NS}/services/ksail-dev-api`)).body);
      assert.equal(chartSvc.spec.type, "ClusterIP");
      assert.deepEqual([front.spec.type, front.spec.ports[0].port, front.spec.ports[0].targetPort], ["LoadBalancer", 443, 8443]);
      assert.deepEqual(front.spec.selector, chartSvc.spec.selector);
      assert.deepEqual(front.spec.selector, deployment.spec.selector.matchLabels, "the front reaches the control plane's pods");
      // The chart's config Secret carries the values vCluster reads (vcluster.yaml), including the project's own.
      const config = JSON.parse((await api.request("GET", `/api/v1/namespaces/${NS}/secrets/vc-config-dev`)).body);
      const vclusterYaml = YAML.parse(Buffer.from(config.data["config.yaml"], "base64").toString("utf8"));
      assert.equal(vclusterYaml.controlPlane.distro.k8s.image.tag, "v1.36.3");
      assert.deepEqual(vclusterYaml.controlPlane.proxy.extraSANs, [LB_IP], "the front's address goes into the certificate");
      assert.equal(vclusterYaml.sync.toHost.ingresses.enabled, true);

      const outputs = await stack.stack.outputs();
      assert.equal(outputs.kubeconfig.secret, true);
      assert.equal(outputs.endpoint.value, `https://${LB_IP}:443`);
      const kc = YAML.parse(outputs.kubeconfig.value);
      assert.equal(kc.clusters[0].cluster.server, `https://${LB_IP}:443`);
      assert.ok(!stack.stateFileText().includes(YAML.parse(api.kubeconfig).users[0].user["client-key-data"]), "no key in plain state");
      assert.deepEqual(controllers.errors, []);
    });

    test("the same program again: nothing changes", async () => {
      const run = await stack.preview();
      assertNothingChanges(run);
    });

    test("a new recreate key (persistence on, three control planes, a NodePort front): the namespace is replaced, deleted first, and the release installed again as a StatefulSet of three on embedded etcd with a claim template, reached at the host's address and the allocated node port", async () => {
      input = { ...input, controlPlanes: 3, persistence: { enabled: true, storageClassName: "", size: "10Gi" }, hostExposure: "NodePort" };
      recreateKey = "key-2";
      const run = await stack.preview();
      const steps = run.steps.map((s) => `${s.op} ${s.name}`).join(", ");
      assert.ok(
        run.opsOf("dev-namespace").some((o) => o === "replace" || o === "delete-replaced" || o === "create-replacement"),
        steps,
      );
      await stack.up();
      const sts = JSON.parse((await api.request("GET", `/apis/apps/v1/namespaces/${NS}/statefulsets/dev`)).body);
      assert.equal(sts.spec.volumeClaimTemplates?.[0]?.spec?.resources?.requests?.storage, "10Gi");
      assert.equal(sts.spec.replicas, 3);
      const config = JSON.parse((await api.request("GET", `/api/v1/namespaces/${NS}/secrets/vc-config-dev`)).body);
      const vclusterYaml = YAML.parse(Buffer.from(config.data["config.yaml"], "base64").toString("utf8"));
      assert.equal(vclusterYaml.controlPlane.backingStore.etcd.embedded.enabled, true);
      // The NodePort front: the API server allocates the port; the address is the host kubeconfig's server host.
      const front = JSON.parse((await api.request("GET", `/api/v1/namespaces/${NS}/services/ksail-dev-api`)).body);
      const nodePort = front.spec.ports[0].nodePort;
      assert.equal(front.spec.type, "NodePort");
      assert.ok(nodePort >= 30000 && nodePort <= 32767, String(nodePort));
      const host = new URL(YAML.parse(api.kubeconfig).clusters[0].cluster.server).hostname;
      assert.deepEqual(vclusterYaml.controlPlane.proxy.extraSANs, [host]);
      const outputs = await stack.stack.outputs();
      assert.equal(outputs.endpoint.value, `https://${host}:${nodePort}`);
      assert.equal(YAML.parse(outputs.kubeconfig.value).clusters[0].cluster.server, `https://${host}:${nodePort}`);
    });

    test("destroy: the release, the Secret and the namespace are gone", async () => {
      await stack.destroy();
      assert.equal((await api.request("GET", `/apis/apps/v1/namespaces/${NS}/statefulsets/dev`)).status, 404);
      assert.equal((await api.request("GET", `/api/v1/namespaces/${NS}/secrets/vc-dev`)).status, 404);
      for (let i = 0; i < 100; i++) {
        if ((await api.request("GET", `/api/v1/namespaces/${NS}`)).status === 404) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.equal((await api.request("GET", `/api/v1/namespaces/${NS}`)).status, 404);
    });
  },
);
