// L1: KSailCluster for K3s on a host cluster (provider Kubernetes, through rancher/k3k) under mocks — the host
// provider from the host kubeconfig (secret), the k3k operator chart, the namespace carrying the recreate key,
// the API front, the k3k Cluster and the kubeconfig read from k3k's Secret, then the installers on the nested
// cluster; no ClusterSecrets, no containers; validation of what a nested cluster can take. The same objects are
// checked against a real kube-apiserver with k3k's CRDs in test/realEngine/k3k-cluster.test.ts.
import { describe, test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { allPlainStrings, type Recording } from "../harness/mocks";
import { isKsailError } from "../../sdk/errors";
import { validateClusterDocument } from "../../sdk/config/parse";
import { CLUSTER_SECRETS, CLUSTER_SPEC, CONTAINER, K8S_PROVIDER, recordCluster } from "./cluster-record";

const HOST = "apiVersion: v1\nkind: Config\nusers:\n- name: host\n  user:\n    token: host-token-SECRET-MARKER\n";
const NESTED =
  "apiVersion: v1\nkind: Config\nclusters:\n- name: dev\n  cluster:\n    server: https://10.128.0.1\nusers:\n- name: a\n  user:\n    client-key-data: nested-key-SECRET-MARKER\n";
const CLUSTER = { distribution: "K3s", provider: "Kubernetes", controlPlanes: 1, workers: 2 };

function outputs(type: string, _name?: string, inputs?: Record<string, any>): Record<string, unknown> | undefined {
  if (type === "kubernetes:core/v1:Service" && inputs?.spec?.type === "NodePort")
    return { spec: { ...inputs.spec, ports: [{ ...inputs.spec.ports[0], nodePort: 30643 }] } };
  if (type === "kubernetes:core/v1:Service") return { status: { loadBalancer: { ingress: [{ ip: "192.0.2.10" }] } } };
  if (type === "kubernetes:core/v1:Secret") return { data: { "kubeconfig.yaml": Buffer.from(NESTED).toString("base64") } };
  if (type === "kubernetes:gateway.networking.k8s.io/v1:Gateway")
    return { status: { addresses: [{ type: "IPAddress", value: "192.0.2.20" }] } };
  if (type === "kubernetes:k3k.io/v1beta1:Cluster") return { metadata: { name: "dev", namespace: "k3k-dev" } };
  return undefined;
}

const record = (provider: Record<string, unknown> = {}, args: Record<string, unknown> = { hostKubeconfig: HOST }): Promise<Recording> =>
  recordCluster({ cluster: CLUSTER, provider: { kubernetes: provider }, args, outputs });

describe("KSailCluster: K3s on a host cluster through k3k", () => {
  test("host provider, operator, namespace, front, Cluster, kubeconfig read, then the installers on the nested cluster", async () => {
    const r = await record();
    const names = r.resources.map((x) => x.name);
    for (const n of ["dev-host", "dev-k3k-operator", "dev-namespace", "dev-api", "dev-k3k-cluster", "dev-k8s", "dev-kubernetes"])
      assert.ok(names.includes(n), `${n} in ${names.join(", ")}`);
    assert.ok(names.indexOf("dev-namespace") < names.indexOf("dev-k3k-cluster"));
    assert.equal(r.byType(CLUSTER_SECRETS).length, 0, "k3k owns the nested cluster's PKI");
    assert.equal(r.byType(CONTAINER).length, 0);
    assert.equal(r.byType(CLUSTER_SPEC).length, 1);

    const host = r.byName("dev-host");
    assert.equal(host.type, K8S_PROVIDER);
    assert.equal(
      host.inputs.clusterIdentifier,
      "ksail-host-dev",
      "a new host kubeconfig updates the provider, it does not replace every object",
    );
    const operator = r.byName("dev-k3k-operator");
    assert.deepEqual(
      [operator.inputs.chart, operator.inputs.version, operator.inputs.namespace, operator.inputs.name],
      ["k3k", "1.1.0", "k3k-system", "k3k"],
    );
    assert.equal(operator.inputs.repositoryOpts.repo, "https://rancher.github.io/k3k");

    const ns = r.byName("dev-namespace");
    assert.equal(ns.inputs.metadata.name, "k3k-dev");
    assert.match(ns.inputs.metadata.annotations["ksail.dev/recreate-key"], /^[0-9a-f]{16}$/);
    // k3k's server and agent pods run privileged: a host enforcing Pod Security `baseline` by default (Talos) would
    // refuse them in an unlabelled namespace and the Cluster would never leave Provisioning (KSail labels it too).
    assert.equal(ns.inputs.metadata.labels["pod-security.kubernetes.io/enforce"], "privileged");
    const cluster = r.byName("dev-k3k-cluster");
    assert.deepEqual(
      [cluster.inputs.apiVersion, cluster.inputs.kind, cluster.inputs.spec.mode, cluster.inputs.spec.servers, cluster.inputs.spec.agents],
      ["k3k.io/v1beta1", "Cluster", "virtual", 1, 2],
    );
    assert.deepEqual(cluster.inputs.spec.tlsSANs, ["192.0.2.10"], "the front's address is a TLS SAN");
    assert.equal(cluster.inputs.spec.clusterCIDR, "10.64.0.0/16");
    assert.equal(cluster.inputs.spec.serviceCIDR, "10.128.0.0/16");
    assert.equal(cluster.inputs.metadata.annotations["pulumi.com/waitFor"], "jsonpath={.status.phase}=Ready");

    const installer = r.byName("dev-k8s");
    assert.ok(
      r.resources.some((x) => x.name.startsWith("dev-metrics-server") || x.name.startsWith("dev-metricsServer")),
      "metrics-server installed on the nested cluster",
    );
    void installer;
    assert.equal(r.stackOutputs.endpoint, "https://192.0.2.10:6443");
    assert.ok(r.secretStackOutputs.includes("kubeconfig"));
    assert.match(String(r.stackOutputs.kubeconfig), /server: https:\/\/192\.0\.2\.10:6443/);
    const plain = allPlainStrings(r).join("\n");
    assert.ok(!plain.includes("host-token-SECRET-MARKER"), "the host kubeconfig is never plain");
    assert.ok(!plain.includes("nested-key-SECRET-MARKER"), "the nested kubeconfig is never plain");
  });

  test("a Gateway class: Gateway + TCPRoute to k3k's server Service instead of a LoadBalancer Service; no operator when told", async () => {
    const r = await record({ gatewayClassName: "cilium" }, { hostKubeconfig: HOST, installK3kOperator: false });
    assert.equal(r.find("dev-k3k-operator"), undefined);
    assert.equal(r.find("dev-api"), undefined);
    const route = r.byName("dev-api-route");
    assert.deepEqual(route.inputs.spec.rules[0].backendRefs, [{ name: "k3k-dev-service", port: 443 }]);
    assert.equal(r.byName("dev-api-gateway").inputs.spec.gatewayClassName, "cilium");
    assert.deepEqual(r.byName("dev-k3k-cluster").inputs.spec.tlsSANs, ["192.0.2.20"], "the Gateway's address is the TLS SAN");
    assert.equal(r.stackOutputs.endpoint, "https://192.0.2.20:6443");
  });

  // KSail's last exposure tier (pkg/svc/provider/kubernetes/gateway.go, exposeViaNodePort): a NodePort Service at a
  // node address, by default the host API server's. Before, only a LoadBalancer or a Gateway could expose k3k.
  test("hostExposure NodePort: a NodePort Service over the servers, the host API server's host as TLS SAN, the allocated port", async () => {
    const host =
      "apiVersion: v1\nkind: Config\ncurrent-context: h\ncontexts:\n- name: h\n  context:\n    cluster: h\nclusters:\n- name: h\n  cluster:\n    server: https://203.0.113.8:6443\nusers: []\n";
    const r = await record({}, { hostKubeconfig: host, hostExposure: "NodePort" });
    const front = r.byName("dev-api");
    assert.deepEqual(
      [front.inputs.spec.type, front.inputs.spec.selector, front.inputs.spec.ports[0].targetPort],
      ["NodePort", { cluster: "dev", role: "server" }, 6443],
    );
    assert.deepEqual(r.byName("dev-k3k-cluster").inputs.spec.tlsSANs, ["203.0.113.8"]);
    assert.equal(r.stackOutputs.endpoint, "https://203.0.113.8:30643");
  });

  test("the host kubeconfig from the file the spec names, or an error naming the field", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ksail-host-"));
    const file = path.join(dir, "host.yaml");
    fs.writeFileSync(file, HOST);
    const r = await record({ kubeconfig: file, kubeconfigEnvVar: "" }, {});
    assert.ok(!allPlainStrings(r).join("\n").includes("host-token-SECRET-MARKER"));
    await assert.rejects(
      record({ kubeconfig: path.join(dir, "missing.yaml"), kubeconfigEnvVar: "" }, {}),
      (e: unknown) =>
        isKsailError(e) &&
        /spec\.provider\.kubernetes\.kubeconfig: cannot read the host cluster's kubeconfig .*missing\.yaml \(ENOENT\)/.test(
          String((e as Error).message),
        ),
    );
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test("validation: the built-in CNI only, an external registry, no OIDC or image verification yet, CIDRs", () => {
    const bad = (cluster: Record<string, unknown>, provider: Record<string, unknown> = {}) =>
      validateClusterDocument({
        apiVersion: "ksail.io/v1alpha1",
        kind: "Cluster",
        metadata: { name: "dev" },
        spec: { cluster: { ...CLUSTER, ...cluster }, provider: { kubernetes: provider } },
      })
        .issues.map((i) => `${i.path}: ${i.message}`)
        .join("\n");
    assert.equal(bad({}), "");
    assert.match(bad({ cni: "Cilium" }), /spec\.cluster\.cni: is Cilium; a nested K3s cluster runs its built-in flannel/);
    assert.match(
      bad({ localRegistry: { registry: "localhost:5050" } }),
      /spec\.cluster\.localRegistry\.registry: cloud provider requires an external registry/,
    );
    assert.match(
      bad({ gitOpsEngine: "Flux" }),
      /localRegistry\.registry: is empty, so Flux would pull from localhost:5050, which a nested cluster cannot reach/,
    );
    assert.match(bad({ imageVerification: "Enabled" }), /spec\.cluster\.imageVerification/);
    assert.match(bad({}, { podCidr: "10.64.0.0" }), /spec\.provider\.kubernetes\.podCidr: is "10\.64\.0\.0"; expected an IPv4 CIDR/);
  });
});
