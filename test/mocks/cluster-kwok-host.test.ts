// L1: KSailCluster for KWOK on a host cluster (provider Kubernetes) under mocks — kwokctl's processes as the host's own
// workloads (sdk/plan/kwokHost.ts): the namespace with the recreate key, the API front, ClusterSecrets' KWOK identity
// pointed at the front (its kubeconfig checks the serving certificate as `kubernetes`), the Secret with kwokctl's
// files, the ClusterIP Service, the control-plane StatefulSet and the kwok controller's Deployment; then, on the
// nested cluster, the API gate and the simulated node. The same pods' processes run as the real binaries in
// test/peers/kwok-real.test.ts, and the host objects are checked by a real kube-apiserver there.
import { describe, test } from "node:test";
import * as assert from "node:assert/strict";
import { allPlainStrings } from "../harness/mocks";
import { CLUSTER_SECRETS, CONTAINER, K8S_PROVIDER, KUBECONFIG_MARKER, READINESS, recordCluster } from "./cluster-record";

const HOST =
  "apiVersion: v1\nkind: Config\nclusters:\n- name: host\n  cluster:\n    server: https://192.0.2.10:6443\nusers:\n- name: host\n  user:\n    token: host-token-SECRET-MARKER\ncontexts:\n- name: host\n  context:\n    cluster: host\n    user: host\ncurrent-context: host\n";
const outputs = (type: string, _name: string, inputs: Record<string, unknown>): Record<string, unknown> | undefined => {
  if (type === "kubernetes:core/v1:Service" && (inputs as any).spec?.type === "LoadBalancer")
    return { status: { loadBalancer: { ingress: [{ ip: "192.0.2.30" }] } } };
  if (type === "kubernetes:core/v1:Service" && (inputs as any).spec?.type === "NodePort")
    return { spec: { ...(inputs as any).spec, ports: [{ ...(inputs as any).spec.ports[0], nodePort: 31643 }] } };
  return undefined;
};
const record = (cluster: Record<string, unknown> = {}, provider: Record<string, unknown> = {}, args: Record<string, unknown> = {}) =>
  recordCluster({
    cluster: { distribution: "KWOK", provider: "Kubernetes", ...cluster },
    provider: { kubernetes: provider },
    args: { hostKubeconfig: HOST, ...args },
    outputs,
  });

describe("KSailCluster: KWOK on a host cluster, as the host's own workloads", () => {
  test("namespace, front, identity at the front, Secret, Services, StatefulSet and Deployment; then the gate and the node on the nested cluster", async () => {
    const r = await record();
    assert.equal(r.byType(CONTAINER).length, 0, "no Docker at all");
    assert.equal(r.byName("dev-host").type, K8S_PROVIDER);
    const ns = r.byName("dev-namespace");
    assert.equal(ns.inputs.metadata.name, "ksail-dev");
    assert.match(ns.inputs.metadata.annotations["ksail.dev/recreate-key"], /^[0-9a-f]{16}$/);
    const front = r.byName("dev-api");
    assert.deepEqual(
      [front.inputs.spec.type, front.inputs.spec.ports[0].port, front.inputs.spec.ports[0].targetPort],
      ["LoadBalancer", 6443, 6443],
    );
    assert.deepEqual(front.inputs.spec.selector, {
      "app.kubernetes.io/name": "kwok",
      "ksail.io/cluster": "dev",
      "app.kubernetes.io/component": "control-plane",
    });
    const secrets = r.byType(CLUSTER_SECRETS)[0];
    assert.equal(secrets.inputs.distribution, "KWOK");
    assert.equal(secrets.inputs.endpoints.kubernetes, "https://192.0.2.30:6443", "the identity's kubeconfig points at the front");

    const files = r.byName("dev-kwok-files");
    assert.ok(
      files.secretInputs.some((p) => p.startsWith("stringData")),
      files.secretInputs.join(", "),
    );
    assert.deepEqual(Object.keys(files.inputs.stringData).sort(), [
      "admin.crt",
      "admin.key",
      "ca.crt",
      "kubeconfig-local",
      "kubeconfig-service",
      "kwok.yaml",
    ]);
    assert.match(files.inputs.stringData["kubeconfig-local"], /server: https:\/\/127\.0\.0\.1:6443\n[\s\S]*tls-server-name: kubernetes/);
    assert.match(files.inputs.stringData["kubeconfig-service"], /server: https:\/\/kwok-apiserver:443\n/);

    const svc = r.byName("dev-kwok-apiserver");
    assert.deepEqual(
      [svc.inputs.metadata.name, svc.inputs.spec.ports[0].port, svc.inputs.spec.ports[0].targetPort],
      ["kwok-apiserver", 443, 6443],
    );
    const sts = r.byName("dev-kwok-control-plane");
    const pod = sts.inputs.spec.template.spec;
    assert.deepEqual(
      pod.containers.map((c: any) => [c.name, c.image, c.command]),
      [
        ["etcd", "registry.k8s.io/etcd:3.6.10-0", ["etcd"]],
        ["kube-apiserver", "registry.k8s.io/kube-apiserver:v1.36.1", ["kube-apiserver"]],
        ["kube-controller-manager", "registry.k8s.io/kube-controller-manager:v1.36.1", ["kube-controller-manager"]],
        ["kube-scheduler", "registry.k8s.io/kube-scheduler:v1.36.1", ["kube-scheduler"]],
      ],
    );
    assert.ok(pod.containers[1].args.includes("--etcd-servers=http://127.0.0.1:2379"), "etcd on the pod's loopback");
    assert.deepEqual(
      pod.volumes.find((v: any) => v.name === "etcd-data"),
      { name: "etcd-data", emptyDir: {} },
    );
    assert.deepEqual(pod.containers[1].readinessProbe.httpGet, { path: "/readyz", port: 6443, scheme: "HTTPS" });
    const dep = r.byName("dev-kwok-controller");
    const c = dep.inputs.spec.template.spec.containers[0];
    assert.deepEqual([c.name, c.image, c.command], ["kwok-controller", "registry.k8s.io/kwok/kwok:v0.8.0", ["kwok"]]);
    assert.ok(c.args.includes("--config=/root/.kwok/kwok.yaml"));
    assert.match(dep.inputs.spec.template.metadata.annotations["ksail.io/kwok-config"], /^[0-9a-f]{16}$/);
    assert.ok(dep.options.dependsOn.includes("dev-kwok-control-plane"));

    const gate = r.byName("dev-kwok-api-ready");
    assert.equal(gate.type, READINESS);
    for (const dep2 of ["dev-kwok-control-plane", "dev-kwok-controller", "dev-kwok-files", "dev-api"])
      assert.ok(gate.options.dependsOn.includes(dep2), dep2);
    const node = r.byName("dev-node");
    assert.equal(node.inputs.metadata.name, "node-000000");
    assert.match(String(node.options.provider), /dev-kwok-k8s/);
    // KSailCluster's own API gate waits for the node; the installers' provider and the next gate wait for it.
    assert.deepEqual(r.byName("dev-api-ready").options.dependsOn, ["dev-node"]);
    assert.deepEqual(r.byName("dev-k8s").options.dependsOn, ["dev-api-ready"]);
    assert.deepEqual(
      r.byName("dev-kwok-k8s").options.dependsOn,
      ["dev-kwok-api-ready"],
      "the nested provider is configured once the API answers",
    );
    assert.ok(r.byName("dev-cni-ready").options.dependsOn.includes("dev-api-ready"));
  });

  test("no credential in plain state; the host token and the admin key stay secret", async () => {
    const r = await record();
    const plain = allPlainStrings(r).join("\n");
    assert.ok(!plain.includes("SECRET-MARKER") && !plain.includes(KUBECONFIG_MARKER));
    assert.ok(!/PRIVATE KEY/.test(plain));
  });

  test("persistence: etcd on a claim from the StatefulSet's template; NodePort and Gateway fronts", async () => {
    const r = await record({}, { persistence: { enabled: true, storageClassName: "fast", size: "5Gi" } }, { hostExposure: "NodePort" });
    const sts = r.byName("dev-kwok-control-plane").inputs.spec;
    assert.deepEqual(sts.volumeClaimTemplates[0].spec, {
      accessModes: ["ReadWriteOnce"],
      resources: { requests: { storage: "5Gi" } },
      storageClassName: "fast",
    });
    assert.ok(!sts.template.spec.volumes.some((v: any) => v.name === "etcd-data"));
    assert.equal(r.byName("dev-api").inputs.spec.type, "NodePort");
    assert.equal(
      r.byType(CLUSTER_SECRETS)[0].inputs.endpoints.kubernetes,
      "https://192.0.2.10:31643",
      "the host API server's address and the node port",
    );
    const g = await record({}, { gatewayClassName: "eg" });
    const route = g.byName("dev-api-route");
    assert.deepEqual(route.inputs.spec.rules[0].backendRefs, [{ name: "kwok-apiserver", port: 443 }]);
  });
});
