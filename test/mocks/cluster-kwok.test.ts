// L1: KSailCluster for KWOK on Docker under mocks — ClusterSecrets with the KWOK identity, kwokctl's network and its
// five component containers in kwokctl's order (sdk/plan/kwok.ts; the same containers run by the real binaries in
// test/peers/kwok-real.test.ts), the API gate, the simulated node on the cluster's own provider, then the gates and
// installers that fit a simulated cluster. Container settings are asserted field by field against kwokctl v0.8.0 in
// test/unit/kwok-containers.test.ts.
import { describe, test } from "node:test";
import * as assert from "node:assert/strict";
import * as path from "node:path";
import { allPlainStrings } from "../harness/mocks";
import { loadClusterConfig } from "../../sdk/config/load";
import { repoRoot } from "../harness/paths";
import { CLUSTER_SECRETS, CONTAINER, K8S_PROVIDER, KUBECONFIG_MARKER, NETWORK, READINESS, recordCluster } from "./cluster-record";

const NODE = "kubernetes:core/v1:Node";
const record = (cluster: Record<string, unknown> = {}, args: Record<string, unknown> = {}, preview = false) =>
  recordCluster({ cluster: { distribution: "KWOK", provider: "Docker", ...cluster }, args, preview });

describe("KSailCluster: KWOK on Docker", () => {
  test("identity, network, five containers in kwokctl's order, the API gate, the simulated node, the readiness gate", async () => {
    const r = await record();
    const secrets = r.byType(CLUSTER_SECRETS);
    assert.equal(secrets.length, 1);
    assert.equal(secrets[0].inputs.distribution, "KWOK");
    assert.equal(secrets[0].inputs.endpoints.kubernetes, `https://127.0.0.1:${r.byName("dev-kube-apiserver").inputs.ports[0].external}`);
    const net = r.byType(NETWORK);
    assert.deepEqual(
      net.map((n) => n.inputs.name),
      ["kwok-dev"],
    );
    assert.ok(
      net[0].inputs.labels.some((l: any) => l.label === "com.docker.compose.project" && l.value === "kwok-dev"),
      "kwokctl's compose project label",
    );
    assert.equal(net[0].inputs.ipamConfigs, undefined, "no subnet of its own, as `docker network create kwok-<name>`");
    const containers = r.byType(CONTAINER);
    assert.deepEqual(
      containers.map((c) => c.inputs.name),
      [
        "kwok-dev-etcd",
        "kwok-dev-kube-apiserver",
        "kwok-dev-kube-controller-manager",
        "kwok-dev-kube-scheduler",
        "kwok-dev-kwok-controller",
      ],
    );
    assert.deepEqual(r.byName("dev-etcd").options.dependsOn, []);
    assert.deepEqual(r.byName("dev-kube-apiserver").options.dependsOn, ["dev-etcd"]);
    for (const c of ["dev-kube-controller-manager", "dev-kube-scheduler", "dev-kwok-controller"])
      assert.deepEqual(r.byName(c).options.dependsOn, ["dev-kube-apiserver"], c);
    for (const c of containers) {
      assert.equal(c.inputs.restart, "unless-stopped");
      assert.deepEqual(c.inputs.networksAdvanced, [{ name: "kwok-dev" }]);
      assert.ok(c.options.replacementTrigger, "recreated with the cluster");
    }
    // Only the admin key is secret among the uploads; it comes from ClusterSecrets, never from the program.
    const api = r.byName("dev-kube-apiserver");
    assert.deepEqual(
      api.inputs.uploads.map((u: any) => u.file),
      ["/etc/kubernetes/pki/ca.crt", "/etc/kubernetes/pki/admin.crt", "/etc/kubernetes/pki/admin.key"],
    );
    assert.ok(api.secretInputs.includes("uploads[2].content"), api.secretInputs.join(", "));
    assert.match(api.inputs.uploads[2].content, /BEGIN (RSA )?PRIVATE KEY/);
    assert.match(api.inputs.uploads[0].content, /BEGIN CERTIFICATE/);
    assert.deepEqual(api.inputs.ports, [{ internal: 6443, external: api.inputs.ports[0].external, ip: "127.0.0.1", protocol: "tcp" }]);

    const gate = r.byName("dev-kwok-api-ready");
    assert.equal(gate.type, READINESS);
    assert.deepEqual([gate.inputs.checkNodes, gate.inputs.checkDaemonSets], [false, false]);
    assert.deepEqual([...gate.options.dependsOn].sort(), containers.map((c) => c.name).sort());
    const node = r.byType(NODE);
    assert.equal(node.length, 1);
    assert.equal(node[0].inputs.metadata.name, "node-000000");
    assert.equal(node[0].inputs.metadata.annotations["kwok.x-k8s.io/node"], "fake");
    assert.deepEqual(node[0].options.dependsOn, ["dev-kwok-api-ready"]);
    assert.equal(r.byName("dev-kwok-k8s").type, K8S_PROVIDER);
    assert.match(String(node[0].options.provider), /dev-kwok-k8s/, "the node goes through the cluster's own provider");
    // The readiness gate every new cluster passes runs after the node (nodes Ready through kwok's stages).
    assert.deepEqual(r.byName("dev-api-ready").options.dependsOn, [node[0].name], "KSailCluster's API gate waits for the node");
    assert.deepEqual(
      r.byName("dev-kwok-k8s").options.dependsOn,
      ["dev-kwok-api-ready"],
      "the nested provider is configured once the API answers",
    );
    const cniReady = r.byName("dev-cni-ready");
    assert.ok(cniReady.options.dependsOn.includes("dev-api-ready"), cniReady.options.dependsOn.join(", "));
    assert.equal(cniReady.inputs.checkNodes, true, "the simulated node must be Ready");
  });

  test("no credential in plain state; the kubeconfig output is secret", async () => {
    const r = await record();
    assert.ok(!allPlainStrings(r).join("\n").includes(KUBECONFIG_MARKER));
    assert.ok(!allPlainStrings(r).some((s) => /PRIVATE KEY/.test(s)), "the admin key stays secret");
    assert.ok(r.secretStackOutputs.includes("kubeconfig"));
  });

  test("the kwok/ folder's objects reach the controller's configuration; the default stages when it has none", async () => {
    const loaded = loadClusterConfig(path.join(repoRoot(), "test/fixtures/kwok-project/ksail.yaml"));
    const r = await record({}, { kwokObjects: loaded.kwokObjects });
    const conf = r.byName("dev-kwok-controller").inputs.uploads.find((u: any) => u.file === "/root/.kwok/kwok.yaml").content;
    for (const kind of ["ClusterLogs", "ClusterExec", "ClusterAttach", "ClusterPortForward", "Stage"])
      assert.match(conf, new RegExp(`kind: ${kind}\\n`));
    assert.match(conf, /name: node-initialize/);
    const plain = await record();
    const conf0 = plain.byName("dev-kwok-controller").inputs.uploads.find((u: any) => u.file === "/root/.kwok/kwok.yaml").content;
    assert.doesNotMatch(conf0, /ClusterLogs/);
    assert.match(conf0, /name: pod-ready/);
  });

  test("Argo CD with an external registry is installed (its objects; pods simulated); versions name the Kubernetes release", async () => {
    const r = await record({ gitOpsEngine: "ArgoCD", localRegistry: { registry: "ghcr.io/acme/apps" } });
    assert.ok(
      r.resources.some((x) => x.name === "dev-argocd"),
      r.resources.map((x) => x.name).join(", "),
    );
    const k = await record({ kubernetesVersion: "v1.34.2" });
    assert.equal(k.byName("dev-kube-apiserver").inputs.image, "registry.k8s.io/kube-apiserver:v1.34.2");
    assert.equal(k.byName("dev-etcd").inputs.image, "registry.k8s.io/etcd:3.6.10-0");
  });

  test("preview creates nothing outside the engine and lists the same resources", async () => {
    const r = await record({}, {}, true);
    assert.equal(r.byType(CONTAINER).length, 5);
    assert.equal(r.byType(NODE).length, 1);
  });
});
