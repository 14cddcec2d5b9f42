// L0: KWOK on Docker, each container setting against its upstream source — sigs.k8s.io/kwok v0.8.0:
// pkg/kwokctl/components/{etcd,kube_apiserver,kube_controller_manager,kube_scheduler,kwok_controller}.go (container
// mode), pkg/kwokctl/runtime/compose/cluster_operation.go (`createComponent`, `createNetwork`, `labelArgs`),
// pkg/kwokctl/runtime/compose/cluster_setup.go (in-cluster kubeconfig), pkg/config/vars.go and
// pkg/apis/config/v1alpha1 (defaults), pkg/kwokctl/components/etcd_version.go (etcd per minor),
// pkg/kwokctl/pki (the identity), kustomize/kwokctl/resource/node.yaml (the node) — and the spec rules around them.
import { describe, test } from "node:test";
import * as assert from "node:assert/strict";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as YAML from "yaml";
import { deriveAdminCredentials, generateClusterIdentity, generateKwokPki, kubeconfigClientCert } from "../../sdk/pki";
import { KWOK_PKI_PLACEHOLDER, kwokContainerSpecs, planKwokCluster } from "../../sdk/plan/kwok";
import { kwokImages, renderKwokConfig, kwokInClusterKubeconfig } from "../../sdk/distributions/kwok";
import { validateClusterConfigFile } from "../../sdk/config/load";
import { parseSpec } from "../../sdk/config/parse";
import { planCluster } from "../../sdk/plan/cluster";
import { KsailError } from "../../sdk/errors";

const plan = planKwokCluster({ clusterName: "sim" });
const specs = kwokContainerSpecs(plan, KWOK_PKI_PLACEHOLDER);
const by = (c: string) => specs.find((s) => s.name === `kwok-sim-${c}`)!;
const PKI = ["/etc/kubernetes/pki/ca.crt", "/etc/kubernetes/pki/admin.crt", "/etc/kubernetes/pki/admin.key"];

describe("KWOK containers as kwokctl v0.8.0's docker runtime creates them", () => {
  test("names, entrypoints, restart policy, network and compose label (compose/cluster_operation.go createComponent)", () => {
    assert.deepEqual(
      specs.map((s) => [s.name, s.entrypoints]),
      [
        ["kwok-sim-etcd", ["etcd"]],
        ["kwok-sim-kube-apiserver", ["kube-apiserver"]],
        ["kwok-sim-kube-controller-manager", ["kube-controller-manager"]],
        ["kwok-sim-kube-scheduler", ["kube-scheduler"]],
        ["kwok-sim-kwok-controller", ["kwok"]],
      ],
    );
    for (const s of specs) {
      assert.equal(s.restart, "unless-stopped");
      assert.deepEqual(s.network, { name: "kwok-sim" });
      assert.equal(s.hostname, undefined, "kwokctl sets no hostname");
      assert.ok(s.labels.some((l) => l.label === "com.docker.compose.project" && l.value === "kwok-sim"));
    }
    assert.equal(plan.network.name, "kwok-sim");
    // Only the API server publishes a port (its HostPort is the only non-zero one); here on the loopback.
    assert.deepEqual(
      specs.filter((s) => s.ports).map((s) => [s.name, s.ports]),
      [["kwok-sim-kube-apiserver", [{ internal: 6443, external: plan.apiHostPort, ip: "127.0.0.1", protocol: "tcp" }]]],
    );
  });

  test("images: registry.k8s.io/<component>:<kube version>, etcd by minor (etcd_version.go), kwok v0.8.0 (KSail's pin)", () => {
    assert.deepEqual(
      specs.map((s) => s.image),
      [
        "registry.k8s.io/etcd:3.6.10-0",
        "registry.k8s.io/kube-apiserver:v1.36.1",
        "registry.k8s.io/kube-controller-manager:v1.36.1",
        "registry.k8s.io/kube-scheduler:v1.36.1",
        "registry.k8s.io/kwok/kwok:v0.8.0",
      ],
    );
    assert.equal(kwokImages("1.31.4").images.etcd, "registry.k8s.io/etcd:3.5.24-0");
    assert.equal(kwokImages("v1.30.0").images.etcd, "registry.k8s.io/etcd:3.5.21-0");
    assert.throws(() => kwokImages("v1.29.15"), /spec.cluster.kubernetesVersion.*1\.30 to 1\.36/s);
    assert.throws(() => kwokImages("1.36"), /v1\.<minor>\.<patch>/);
  });

  test("etcd: data in the container, 8Gi quota, every URL on 0.0.0.0 (etcd.go, container mode)", () => {
    assert.deepEqual(by("etcd").command, [
      "--name=node0",
      "--auto-compaction-retention=1",
      "--quota-backend-bytes=8589934592",
      "--data-dir=/etcd-data",
      "--initial-advertise-peer-urls=http://0.0.0.0:2380",
      "--listen-peer-urls=http://0.0.0.0:2380",
      "--advertise-client-urls=http://0.0.0.0:2379",
      "--listen-client-urls=http://0.0.0.0:2379",
      "--initial-cluster=node0=http://0.0.0.0:2380",
    ]);
    assert.equal(by("etcd").uploads, undefined, "no volumes in container mode");
  });

  test("kube-apiserver: etcd by container name, secure port 6443, RBAC, the admin key as serving and SA key (kube_apiserver.go)", () => {
    assert.deepEqual(by("kube-apiserver").command, [
      "--etcd-prefix=/registry",
      "--allow-privileged=true",
      "--etcd-servers=http://kwok-sim-etcd:2379",
      "--authorization-mode=Node,RBAC",
      "--bind-address=0.0.0.0",
      "--secure-port=6443",
      "--tls-cert-file=/etc/kubernetes/pki/admin.crt",
      "--tls-private-key-file=/etc/kubernetes/pki/admin.key",
      "--client-ca-file=/etc/kubernetes/pki/ca.crt",
      "--service-account-key-file=/etc/kubernetes/pki/admin.key",
      "--service-account-signing-key-file=/etc/kubernetes/pki/admin.key",
      "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
      "--proxy-client-key-file=/etc/kubernetes/pki/admin.key",
      "--proxy-client-cert-file=/etc/kubernetes/pki/admin.crt",
    ]);
    assert.ok(
      !by("kube-apiserver").command!.some((a) => a.startsWith("--admission-control")),
      "admission stays on (KubeAdmission defaults to true)",
    );
    assert.deepEqual(
      by("kube-apiserver").uploads!.map((u) => u.file),
      PKI,
    );
  });

  test("kube-controller-manager and kube-scheduler: the in-cluster kubeconfig, secure ports, allowed health paths", () => {
    assert.deepEqual(by("kube-controller-manager").command, [
      "--node-monitor-period=5s",
      "--node-monitor-grace-period=40s",
      "--kubeconfig=/root/.kube/config",
      "--authorization-always-allow-paths=/healthz,/readyz,/livez,/metrics",
      "--bind-address=0.0.0.0",
      "--secure-port=10257",
      "--root-ca-file=/etc/kubernetes/pki/ca.crt",
      "--service-account-private-key-file=/etc/kubernetes/pki/admin.key",
    ]);
    assert.deepEqual(by("kube-scheduler").command, [
      "--kubeconfig=/root/.kube/config",
      "--authorization-always-allow-paths=/healthz,/readyz,/livez,/metrics",
      "--bind-address=0.0.0.0",
      "--secure-port=10259",
    ]);
    for (const c of ["kube-controller-manager", "kube-scheduler"])
      assert.deepEqual(
        by(c).uploads!.map((u) => u.file),
        ["/root/.kube/config", ...PKI],
      );
  });

  test("kwok controller: every node managed, its config file, the node port 10247, a 40 s lease (kwok_controller.go)", () => {
    assert.deepEqual(by("kwok-controller").command, [
      "--manage-all-nodes=true",
      "--kubeconfig=/root/.kube/config",
      "--config=/root/.kwok/kwok.yaml",
      "--tls-cert-file=/etc/kubernetes/pki/admin.crt",
      "--tls-private-key-file=/etc/kubernetes/pki/admin.key",
      "--node-ip=",
      "--node-name=kwok-sim-kwok-controller",
      "--node-port=10247",
      "--server-address=0.0.0.0:10247",
      "--node-lease-duration-seconds=40",
    ]);
    assert.deepEqual(
      by("kwok-controller").uploads!.map((u) => u.file),
      ["/root/.kube/config", ...PKI, "/root/.kwok/kwok.yaml"],
    );
  });

  test("the in-cluster kubeconfig names the API server's container and verifies it as `kubernetes`", () => {
    const kc = YAML.parse(kwokInClusterKubeconfig("sim"));
    assert.equal(kc.clusters[0].cluster.server, "https://kwok-sim-kube-apiserver:6443");
    assert.equal(kc.clusters[0].cluster["tls-server-name"], "kubernetes");
    assert.equal(kc.users[0].user["client-key"], "/etc/kubernetes/pki/admin.key");
  });

  test("only the admin key is a secret upload; it is 0600", () => {
    const secret = specs.flatMap((s) => (s.uploads ?? []).filter((u) => u.secret).map((u) => [u.file, u.permissions]));
    assert.deepEqual([...new Set(secret.map((x) => x.join(" ")))], ["/etc/kubernetes/pki/admin.key 0600"]);
  });
});

describe("the KWOK identity (pkg/kwokctl/pki: CA kwok-ca, admin kwok-admin in system:masters, RSA-2048)", () => {
  test("subjects, key types, usages, SANs; the admin certificate chains to the CA", async () => {
    const pki = await generateKwokPki();
    const ca = new crypto.X509Certificate(pki.ca.cert);
    const admin = new crypto.X509Certificate(pki.admin.cert);
    assert.equal(ca.subject, "CN=kwok-ca");
    assert.equal(ca.ca, true);
    assert.match(admin.subject, /O=system:masters/);
    assert.match(admin.subject, /CN=kwok-admin/);
    assert.ok(admin.verify(ca.publicKey));
    assert.equal(crypto.createPrivateKey(pki.admin.key).asymmetricKeyDetails?.modulusLength, 2048);
    for (const n of ["DNS:kubernetes", "DNS:kubernetes.default.svc.cluster.local", "DNS:localhost", "IP Address:127.0.0.1"])
      assert.ok(admin.subjectAltName!.includes(n), `${n} in ${admin.subjectAltName}`);
    assert.ok(!admin.subjectAltName!.includes("kwok-"), "no name-specific SAN: the identity survives a rename");
    assert.ok(admin.checkHost("kubernetes"));
  });
});

describe("kwok.yaml and the kwok/ folder", () => {
  test("default stages when the folder brings none; a folder stage replaces them all (runtime/cluster.go Save)", () => {
    const names = (t: string) => YAML.parseAllDocuments(t).map((d) => (d.toJS() as any).metadata.name);
    assert.deepEqual(names(renderKwokConfig([])), [
      "node-initialize",
      "node-heartbeat-with-lease",
      "pod-ready",
      "pod-complete",
      "pod-delete",
    ]);
    const own = { apiVersion: "kwok.x-k8s.io/v1alpha1", kind: "Stage", metadata: { name: "mine" }, spec: {} };
    const logs = { apiVersion: "kwok.x-k8s.io/v1alpha1", kind: "ClusterLogs", metadata: { name: "l" }, spec: { logs: [] } };
    assert.deepEqual(names(renderKwokConfig([logs, own])), ["mine", "l"]);
  });

  const project = (files: Record<string, string>) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ksail-kwok-"));
    for (const [f, t] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
      fs.writeFileSync(path.join(dir, f), t);
    }
    return path.join(dir, "ksail.yaml");
  };
  const KSAIL =
    "apiVersion: ksail.io/v1alpha1\nkind: Cluster\nmetadata:\n  name: sim\nspec:\n  cluster:\n    distribution: KWOK\n    provider: Docker\n";

  test("unknown kinds, kwokctl's own configuration, kustomize features and missing files are refused by name", () => {
    const file = project({
      "ksail.yaml": KSAIL,
      "kwok/kustomization.yaml": "resources:\n  - a.yaml\n  - missing.yaml\npatches:\n  - p.yaml\n",
      "kwok/a.yaml":
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n---\napiVersion: config.kwok.x-k8s.io/v1alpha1\nkind: KwokctlConfiguration\n",
    });
    const r = validateClusterConfigFile(file);
    assert.equal(r.ok, false);
    const text = r.issues.map((i) => `${i.path}: ${i.message}`).join("\n");
    assert.match(text, /kwok\/kustomization.yaml: patches: is a kustomize feature/);
    assert.match(text, /resources\[1\]: "missing.yaml" is not a file/);
    assert.match(text, /kwok\/a.yaml#1: is v1 ConfigMap/);
    assert.match(text, /kwok\/a.yaml#2: is a KwokctlConfiguration/);
  });

  test("a folder that brings stages: valid, with a warning that they replace the default stages (kwokctl's rule)", () => {
    const stage = "apiVersion: kwok.x-k8s.io/v1alpha1\nkind: Stage\nmetadata:\n  name: chaos\nspec:\n  resourceRef:\n    kind: Pod\n";
    const r = validateClusterConfigFile(
      project({ "ksail.yaml": KSAIL, "kwok/kustomization.yaml": "resources:\n  - chaos.yaml\n", "kwok/chaos.yaml": stage }),
    );
    assert.equal(r.ok, true, JSON.stringify(r.issues));
    assert.match(
      r.warnings.map((w) => `${w.path}: ${w.message}`).join("\n"),
      /kwok\/kustomization.yaml: brings 1 Stage object\(s\) \(kwok\/chaos.yaml#1\); as with kwokctl they replace the default/,
    );
  });

  test("a folder without kustomization.yaml is refused; a resource outside the project is refused", () => {
    const r = validateClusterConfigFile(project({ "ksail.yaml": KSAIL, "kwok/simulation.yaml": "kind: ClusterLogs\n" }));
    assert.match(r.issues.map((i) => i.message).join("\n"), /has no kustomization.yaml/);
    const r2 = validateClusterConfigFile(project({ "ksail.yaml": KSAIL, "kwok/kustomization.yaml": "resources:\n  - ../../etc/passwd\n" }));
    assert.match(r2.issues.map((i) => i.message).join("\n"), /outside the directory of the ksail.yaml/);
  });
});

describe("spec rules of KWOK on Docker (KSail's matrix: workers N/A; CNI, CSI, cert-manager, Flux, Kyverno, Gatekeeper skipped)", () => {
  const issues = (cluster: Record<string, unknown>) => {
    try {
      const { spec } = parseSpec({ cluster: { distribution: "KWOK", provider: "Docker", ...cluster } });
      planCluster({ name: "sim", spec });
      return [];
    } catch (e) {
      if (!(e instanceof KsailError)) throw e;
      return e.issues.map((i) => `${i.path}: ${i.message}`);
    }
  };
  test("the defaults plan", () => assert.deepEqual(issues({}), []));
  for (const [field, value, pattern] of [
    ["controlPlanes", 3, /spec.cluster.controlPlanes: is 3; a KWOK cluster runs one etcd/],
    ["workers", 2, /spec.cluster.workers: is 2; .*one simulated node/],
    ["cni", "Cilium", /spec.cluster.cni: is Cilium; .*set Default/],
    ["csi", "Enabled", /spec.cluster.csi: is Enabled/],
    ["certManager", "Enabled", /spec.cluster.certManager: is Enabled; .*webhook never answers/],
    ["policyEngine", "Kyverno", /spec.cluster.policyEngine: is Kyverno/],
    ["policyEngine", "Gatekeeper", /spec.cluster.policyEngine: is Gatekeeper/],
    ["gitOpsEngine", "Flux", /spec.cluster.gitOpsEngine: is Flux/],
    ["gitOpsEngine", "ArgoCD", /spec.cluster.localRegistry.registry: is empty, so Argo CD/],
    ["localRegistry", { registry: "localhost:5050" }, /spec.cluster.localRegistry.registry: is a local registry/],
  ] as const)
    test(`${field}: ${JSON.stringify(value)} is refused with the field and the fix`, () => {
      const got = issues({ [field]: value });
      assert.ok(
        got.some((m) => pattern.test(m)),
        got.join("\n"),
      );
    });
  test("on a host cluster: the same rules, and the host's (an external registry for Argo CD; no OIDC)", () => {
    const host = (cluster: Record<string, unknown>) => {
      try {
        const { spec } = parseSpec({ cluster: { distribution: "KWOK", provider: "Kubernetes", ...cluster }, provider: { kubernetes: {} } });
        planCluster({ name: "sim", spec });
        return [];
      } catch (e) {
        if (!(e instanceof KsailError)) throw e;
        return e.issues.map((i) => `${i.path}: ${i.message}`);
      }
    };
    assert.deepEqual(host({}), []);
    assert.deepEqual(host({ cni: "Cilium" }).length, 1, "one message for the CNI, KWOK's");
    assert.match(host({ workers: 1 }).join("\n"), /one simulated node/);
    assert.match(host({ gitOpsEngine: "ArgoCD" }).join("\n"), /localRegistry.registry: is empty/);
  });

  test("the derived kubeconfig checks the API server as `kubernetes` (tls-server-name), and clients read it back", async () => {
    const identity = await generateClusterIdentity("KWOK");
    const kc = (await deriveAdminCredentials(identity, { clusterName: "sim", endpoints: { kubernetes: "https://192.0.2.30:6443" } }))
      .kubeconfig;
    assert.equal(YAML.parse(kc).clusters[0].cluster["tls-server-name"], "kubernetes");
    assert.equal(kubeconfigClientCert(kc).serverName, "kubernetes");
    const other = (
      await deriveAdminCredentials(await generateClusterIdentity("Vanilla"), {
        clusterName: "k",
        endpoints: { kubernetes: "https://127.0.0.1:6443" },
      })
    ).kubeconfig;
    assert.equal(kubeconfigClientCert(other).serverName, undefined, "other distributions' kubeconfigs are unchanged");
  });

  test("mirrors are refused: simulated nodes pull nothing", () => {
    const { spec } = parseSpec({ cluster: { distribution: "KWOK", provider: "Docker" } });
    assert.throws(() => planCluster({ name: "sim", spec, mirrors: ["docker.io"] }), /mirrors.*pull no images/s);
  });
});
