// Pure: the k3k plan of a K3s cluster nested in a host cluster — the names k3k's controller gives what it creates
// (pkg/controller/controller.go SafeConcatName with prefix "k3k": joined by "-", names of 64+ characters cut and
// suffixed with SHA-256 hex; the kubeconfig Secret `k3k-<name>-kubeconfig`, key `kubeconfig.yaml`, as
// pkg/controller/cluster/cluster.go writes it), the Cluster object's fields (pkg/apis/k3k.io/v1beta1/types.go), and
// the recreate key over the fields k3k's CRD refuses to change.
import { describe, test } from "node:test";
import * as assert from "node:assert/strict";
import * as crypto from "node:crypto";
import { k3kSafeName, planK3kCluster, type K3kPlanInput } from "../../sdk/plan/k3k";
import { withServer } from "../../sdk/infra/kubernetes/host";

const INPUT: K3kPlanInput = {
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

describe("k3k plan", () => {
  test("names as k3k's controller builds them, short and cut", () => {
    assert.equal(k3kSafeName("k3k", "dev", "kubeconfig"), "k3k-dev-kubeconfig");
    const long = "a".repeat(60);
    const full = `k3k-${long}-kubeconfig`;
    const hex = crypto.createHash("sha256").update(full).digest("hex");
    // character 57 is a lowercase letter: 57 characters, "-", 5 hex digits (63 in all)
    assert.equal(k3kSafeName("k3k", long, "kubeconfig"), `${full.slice(0, 57)}-${hex.slice(0, 5)}`);
    assert.equal(k3kSafeName("k3k", long, "kubeconfig").length, 63);
    // character 57 is "-": 56 characters, "-", 6 hex digits
    const dashed = `${"b".repeat(52)}-x`;
    const full2 = `k3k-${dashed}-kubeconfig`;
    assert.equal(full2[56], "-");
    const hex2 = crypto.createHash("sha256").update(full2).digest("hex");
    assert.equal(k3kSafeName("k3k", dashed, "kubeconfig"), `${full2.slice(0, 56)}-${hex2.slice(0, 6)}`);
    assert.equal(k3kSafeName("k3k", "", "dev"), "k3k-dev", "empty parts are dropped");
  });

  test("the Cluster object, the Secret and the LoadBalancer front", () => {
    const p = planK3kCluster(INPUT);
    assert.equal(p.namespace, "k3k-dev");
    assert.deepEqual(p.kubeconfigSecret, { name: "k3k-dev-kubeconfig", key: "kubeconfig.yaml" });
    assert.equal(p.serverService, "k3k-dev-service");
    assert.deepEqual(p.object.spec, {
      mode: "virtual",
      servers: 1,
      agents: 2,
      version: "v1.34.1-k3s1",
      clusterCIDR: "10.64.0.0/16",
      serviceCIDR: "10.128.0.0/16",
      persistence: { type: "ephemeral" },
      serverArgs: ["--disable=local-storage", "--disable=metrics-server", "--disable=servicelb"],
    });
    assert.deepEqual(p.exposure, {
      kind: "LoadBalancer",
      service: "ksail-dev-api",
      port: 6443,
      selector: { cluster: "dev", role: "server" },
    });
    assert.ok(!("expose" in p.object.spec), "k3k's own expose stays unset");
  });

  test("persistence, servicelb, the Gateway front, the default K3s version", () => {
    const p = planK3kCluster({
      ...INPUT,
      kubernetesVersion: "",
      persistence: { enabled: true, storageClassName: "fast", size: "5Gi" },
      gatewayClassName: "cilium",
      loadBalancer: true,
    });
    assert.deepEqual(p.object.spec.persistence, { type: "dynamic", storageClassName: "fast", storageRequestSize: "5Gi" });
    assert.deepEqual(p.object.spec.serverArgs, ["--disable=local-storage", "--disable=metrics-server"]);
    assert.match(p.k3sVersion, /^v1\.\d+\.\d+-k3s1$/);
    assert.equal(p.exposure.kind, "Gateway");
    if (p.exposure.kind === "Gateway") assert.deepEqual(p.exposure.backend, { service: "k3k-dev-service", port: 443 });
  });

  test("the recreate key changes with what k3k cannot change in place, and only with that", () => {
    const key = planK3kCluster(INPUT).recreateKey;
    assert.equal(planK3kCluster({ ...INPUT, agents: 5, servers: 3, kubernetesVersion: "v1.35.0" }).recreateKey, key);
    assert.notEqual(planK3kCluster({ ...INPUT, podCidr: "10.65.0.0/16" }).recreateKey, key);
    assert.notEqual(planK3kCluster({ ...INPUT, serviceCidr: "10.129.0.0/16" }).recreateKey, key);
    assert.notEqual(planK3kCluster({ ...INPUT, persistence: { ...INPUT.persistence, enabled: true } }).recreateKey, key);
  });

  test("withServer points every cluster entry of a kubeconfig at the front", () => {
    const kc =
      "apiVersion: v1\nkind: Config\nclusters:\n- name: a\n  cluster:\n    server: https://10.128.0.1\n    certificate-authority-data: QUJD\n";
    assert.match(withServer(kc, "https://192.0.2.10:6443"), /server: https:\/\/192\.0\.2\.10:6443/);
    assert.match(withServer(kc, "https://x:6443"), /certificate-authority-data: QUJD/);
  });
});
