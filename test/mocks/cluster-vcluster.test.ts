// L1: KSailCluster for a vCluster on a host cluster (provider Kubernetes, through its chart) under mocks — the host
// provider, the namespace carrying the recreate key, the chart release with its values (loft-sh/vcluster v0.36.1
// chart/values.yaml), the API front (the chart's Service as a LoadBalancer, or a Gateway + TCPRoute whose address
// joins controlPlane.proxy.extraSANs), the kubeconfig read from vCluster's Secret `vc-<name>` (key `config`,
// pkg/util/kubeconfig/kubeconfig.go) pointed at the front, then the installers on the nested cluster. The same
// release, with the real chart, is installed into a real kube-apiserver in test/realEngine/vcluster-cluster.test.ts.
import { describe, test } from "node:test";
import * as assert from "node:assert/strict";
import { allPlainStrings, type Recording } from "../harness/mocks";
import { validateClusterDocument } from "../../sdk/config/parse";
import { planCluster } from "../../sdk/plan/cluster";
import { parseSpec } from "../../sdk/config/parse";
import { classify } from "../../sdk/impact";
import { CLUSTER_SECRETS, CLUSTER_SPEC, CONTAINER, K8S_PROVIDER, recordCluster } from "./cluster-record";

const HOST = "apiVersion: v1\nkind: Config\nusers:\n- name: host\n  user:\n    token: host-token-SECRET-MARKER\n";
const NESTED =
  "apiVersion: v1\nkind: Config\nclusters:\n- name: my-vcluster\n  cluster:\n    server: https://localhost:8443\nusers:\n- name: a\n  user:\n    client-key-data: nested-key-SECRET-MARKER\n";
const RELEASE = "kubernetes:helm.sh/v3:Release";

function outputs(type: string, _name: string, inputs: Record<string, unknown>): Record<string, unknown> | undefined {
  if (type === RELEASE) return { status: { namespace: (inputs as { namespace?: string }).namespace, status: "deployed" } };
  if (type === "kubernetes:core/v1:Service")
    return (inputs as any).spec?.type === "NodePort"
      ? { spec: { ...(inputs as any).spec, ports: [{ ...(inputs as any).spec.ports[0], nodePort: 31443 }] } }
      : { status: { loadBalancer: { ingress: [{ ip: "192.0.2.30" }] } } };
  if (type === "kubernetes:core/v1:Secret") return { data: { config: Buffer.from(NESTED).toString("base64") } };
  if (type === "kubernetes:gateway.networking.k8s.io/v1:Gateway")
    return { status: { addresses: [{ type: "IPAddress", value: "192.0.2.40" }] } };
  return undefined;
}

const record = (cluster: Record<string, unknown> = {}, provider: Record<string, unknown> = {}, args: Record<string, unknown> = {}) =>
  recordCluster({
    cluster: { distribution: "VCluster", provider: "Kubernetes", certManager: "Enabled", ...cluster },
    provider: { kubernetes: provider },
    args: { hostKubeconfig: HOST, ...args },
    outputs,
  });

const values = (r: Recording) => r.byType(RELEASE).find((x) => x.name === "dev-vcluster")!.inputs.values;

describe("KSailCluster: a vCluster on a host cluster through its chart", () => {
  test("host provider, namespace, release, the Service's address and the kubeconfig Secret, then the installers", async () => {
    const r = await record();
    const names = r.resources.map((x) => x.name);
    for (const n of ["dev-host", "dev-namespace", "dev-vcluster", "dev-k8s", "dev-cert-manager"])
      assert.ok(names.includes(n), `${n} in ${names.join(", ")}`);
    assert.equal(r.byType(CLUSTER_SECRETS).length, 0, "vCluster owns the nested cluster's PKI");
    assert.equal(r.byType(CONTAINER).length, 0);
    assert.equal(r.byType(CLUSTER_SPEC).length, 1);
    assert.equal(r.byName("dev-host").type, K8S_PROVIDER);
    assert.equal(r.byName("dev-host").inputs.clusterIdentifier, "ksail-host-dev");

    const ns = r.byName("dev-namespace");
    assert.equal(ns.inputs.metadata.name, "vcluster-dev");
    assert.match(ns.inputs.metadata.annotations["ksail.dev/recreate-key"], /^[0-9a-f]{16}$/);
    const release = r.byName("dev-vcluster");
    assert.deepEqual(
      [release.inputs.name, release.inputs.chart, release.inputs.version, release.inputs.repositoryOpts.repo, release.inputs.namespace],
      ["dev", "vcluster", "0.36.1", "https://charts.loft.sh", "vcluster-dev"],
    );
    assert.equal(release.inputs.timeout, 600, "Helm waits for the control plane longer than the plugin's 300 s default");
    assert.equal(release.inputs.skipAwait, undefined, "Helm waits for the control plane to be ready");
    // The front is a LoadBalancer Service of its own over the control plane's pods; its address is an extra SAN.
    const front = r.byName("dev-api");
    assert.deepEqual(
      [front.inputs.spec.type, front.inputs.spec.selector, front.inputs.spec.ports[0].port, front.inputs.spec.ports[0].targetPort],
      ["LoadBalancer", { app: "vcluster", release: "dev" }, 443, 8443],
    );
    assert.deepEqual(values(r), {
      controlPlane: {
        statefulSet: { persistence: { volumeClaim: { enabled: false } } },
        proxy: { extraSANs: ["192.0.2.30"] },
      },
    });
    assert.ok(release.options.dependsOn.includes("dev-namespace") && release.options.dependsOn.includes("dev-api"));
    // vCluster writes vc-<name> from a background loop after its control plane serves (pkg/setup/controllers.go), so
    // the program creates it empty beside the release and waits until vCluster patched the kubeconfig in (it creates
    // or patches, pkg/util/kubeconfig/kubeconfig.go). Before, a read right after the release could find nothing.
    const kc = r.byName("dev-vcluster-kubeconfig");
    assert.deepEqual(kc.inputs.metadata, {
      name: "vc-dev",
      namespace: "vcluster-dev",
      labels: { app: "vcluster", "vcluster-name": "dev" },
      annotations: { "pulumi.com/waitFor": "jsonpath={.data.config}" },
    });
    assert.deepEqual(kc.options.dependsOn, ["dev-namespace"], "created beside the release, not after it");

    assert.equal(r.stackOutputs.endpoint, "https://192.0.2.30:443");
    assert.ok(r.secretStackOutputs.includes("kubeconfig"));
    assert.match(String(r.stackOutputs.kubeconfig), /server: https:\/\/192\.0\.2\.30:443/);
    const plain = allPlainStrings(r).join("\n");
    assert.ok(!plain.includes("SECRET-MARKER"), "neither kubeconfig appears in plain state");
    // Nothing a vCluster does not have: no CNI, CSI, metrics-server or load-balancer controller is installed into it.
    for (const n of names) assert.ok(!/-(cilium|calico|kindnet|metrics-server|local-path|metallb)$/.test(n), n);
  });

  test("installers and GitOps run on the nested cluster (its kubeconfig's provider), never on the host", async () => {
    const r = await record({ policyEngine: "Kyverno", gitOpsEngine: "Flux", localRegistry: { registry: "ghcr.io/acme/deploy" } });
    const names = r.resources.map((x) => x.name);
    for (const n of ["dev-cert-manager", "dev-kyverno", "dev-flux"]) assert.ok(names.includes(n), `${n} in ${names.join(", ")}`);
    const releases = r.resources.filter((x) => x.type === RELEASE && x.name !== "dev-vcluster");
    assert.ok(releases.length >= 3);
    for (const x of releases) assert.equal(x.options.provider, "dev-k8s", `${x.name} on the nested cluster`);
    assert.equal(r.byName("dev-vcluster").options.provider, "dev-host", "only the vCluster itself on the host");
    const k8s = r.byName("dev-k8s");
    assert.ok(k8s.secretInputs.includes("kubeconfig"), "the nested kubeconfig stays secret");
  });

  test("a gateway class: Gateway + TCPRoute to the chart's Service, the Gateway's address an extra SAN", async () => {
    const r = await record({ controlPlanes: 3 }, { gatewayClassName: "cilium", persistence: { enabled: true, size: "10Gi" } });
    const gw = r.byName("dev-api-gateway");
    assert.equal(gw.inputs.spec.gatewayClassName, "cilium");
    const route = r.byName("dev-api-route");
    assert.deepEqual(route.inputs.spec.rules[0].backendRefs, [{ name: "dev", port: 443 }]);
    assert.deepEqual(values(r), {
      controlPlane: {
        backingStore: { etcd: { embedded: { enabled: true } } },
        statefulSet: { highAvailability: { replicas: 3 }, persistence: { volumeClaim: { enabled: true, size: "10Gi" } } },
        proxy: { extraSANs: ["192.0.2.40"] },
      },
    });
    assert.ok(r.byName("dev-vcluster").options.dependsOn.includes("dev-api-route"));
    assert.equal(r.stackOutputs.endpoint, "https://192.0.2.40:6443");
  });

  test("the project's vcluster.yaml is passed as written under this package's settings, and a change of it recreates", async () => {
    // (Its own Service type is kept: the API front is a Service of this package's, not the chart's.)
    const user = { sync: { toHost: { ingresses: { enabled: true } } }, controlPlane: { service: { spec: { type: "NodePort" } } } };
    const r = await record({}, {}, { vclusterValues: user });
    assert.deepEqual(values(r), {
      sync: { toHost: { ingresses: { enabled: true } } },
      controlPlane: {
        service: { spec: { type: "NodePort" } },
        statefulSet: { persistence: { volumeClaim: { enabled: false } } },
        proxy: { extraSANs: ["192.0.2.30"] },
      },
    });
    const spec = parseSpec({ cluster: { distribution: "VCluster", provider: "Kubernetes" } }, { name: "dev" }).spec;
    const a = planCluster({ name: "dev", spec });
    const b = planCluster({ name: "dev", spec, vclusterValues: user });
    assert.notEqual(a.recreateTrigger, b.recreateTrigger);
    assert.throws(
      () =>
        planCluster({
          name: "dev",
          spec: parseSpec({ cluster: { distribution: "VCluster", provider: "Kubernetes", kubernetesVersion: "v1.35.0" } }, { name: "dev" })
            .spec,
          vclusterValues: { controlPlane: { distro: { k8s: { image: { tag: "v1.36.3" } } } } },
        }),
      /spec\.cluster\.kubernetesVersion: gives controlPlane\.distro\.k8s\.image\.tag = "v1\.35\.0", but vcluster\.yaml sets "v1\.36\.3"/,
    );
    // Whatever this package sets from the spec, the file may not silently set otherwise (before, it was overwritten).
    assert.throws(
      () =>
        planCluster({
          name: "dev",
          spec,
          vclusterValues: {
            controlPlane: { statefulSet: { persistence: { volumeClaim: { enabled: true } }, highAvailability: { replicas: 3 } } },
          },
        }),
      (e: Error) =>
        /spec\.provider\.kubernetes\.persistence: gives controlPlane\.statefulSet\.persistence\.volumeClaim\.enabled = false, but vcluster\.yaml sets true/.test(
          e.message,
        ) &&
        /spec\.cluster\.controlPlanes: is 1, but vcluster\.yaml sets controlPlane\.statefulSet\.highAvailability\.replicas: 3/.test(
          e.message,
        ),
    );
    // Repeating the spec's value in the file is fine.
    planCluster({
      name: "dev",
      spec,
      vclusterValues: { controlPlane: { statefulSet: { persistence: { volumeClaim: { enabled: false } } } } },
    });
  });
});

describe("the NodePort front (hosts without a load balancer)", () => {
  // KSail falls back to a NodePort Service when no LoadBalancer address comes (pkg/svc/provider/kubernetes/gateway.go,
  // exposeViaNodePort, with the host API server's address as fallback); here the choice is an argument, so a preview
  // shows exactly what up does. Before, a host without a load balancer could not reach a nested cluster at all.
  const HOST_WITH_SERVER =
    "apiVersion: v1\nkind: Config\ncurrent-context: host\ncontexts:\n- name: host\n  context:\n    cluster: h\nclusters:\n- name: h\n  cluster:\n    server: https://203.0.113.7:6443\nusers: []\n";
  test("VCluster: a NodePort Service over the control plane pods, the host API server's host as address and SAN, the allocated port in the endpoint", async () => {
    const r = await record({}, {}, { hostKubeconfig: HOST_WITH_SERVER, hostExposure: "NodePort" });
    const front = r.byName("dev-api");
    assert.deepEqual([front.inputs.spec.type, front.inputs.spec.selector], ["NodePort", { app: "vcluster", release: "dev" }]);
    assert.deepEqual(values(r).controlPlane.proxy, { extraSANs: ["203.0.113.7"] });
    assert.equal(r.stackOutputs.endpoint, "https://203.0.113.7:31443");
    const lb = await record({}, {}, { hostKubeconfig: HOST_WITH_SERVER });
    const spec = parseSpec({ cluster: { distribution: "VCluster", provider: "Kubernetes" } }, { name: "dev" }).spec;
    assert.notEqual(
      planCluster({ name: "dev", spec, hostExposure: "NodePort" }).recreateTrigger,
      planCluster({ name: "dev", spec }).recreateTrigger,
      "switching the front recreates a vCluster",
    );
    void lb;
  });

  test("hostExposure beside a gateway class, or off provider Kubernetes, is refused rather than ignored", () => {
    const spec = (cluster: Record<string, unknown>, kubernetes: Record<string, unknown> = {}) =>
      parseSpec({ cluster, provider: { kubernetes } }, { name: "dev" }).spec;
    assert.throws(
      () =>
        planCluster({
          name: "dev",
          spec: spec({ distribution: "VCluster", provider: "Kubernetes" }, { gatewayClassName: "cilium" }),
          hostExposure: "NodePort",
        }),
      /hostExposure: is NodePort, but spec\.provider\.kubernetes\.gatewayClassName \(cilium\) makes the API front a Gateway/,
    );
    assert.throws(
      () => planCluster({ name: "dev", spec: spec({ distribution: "Talos", provider: "Docker" }), hostExposure: "LoadBalancer" }),
      /hostExposure: applies to nested clusters \(provider Kubernetes\), not to Docker/,
    );
  });

  test("an explicit hostAddress wins over the kubeconfig's server", async () => {
    const r = await record({}, {}, { hostKubeconfig: HOST_WITH_SERVER, hostExposure: "NodePort", hostAddress: "198.51.100.9" });
    assert.deepEqual(values(r).controlPlane.proxy, { extraSANs: ["198.51.100.9"] });
    assert.equal(r.stackOutputs.endpoint, "https://198.51.100.9:31443");
  });
});

describe("VCluster on Kubernetes: validation and impact (KSail's matrix)", () => {
  const doc = (cluster: Record<string, unknown>) =>
    `apiVersion: ksail.io/v1alpha1\nkind: Cluster\nspec:\n  cluster:\n    distribution: VCluster\n    provider: Kubernetes\n${Object.entries(
      cluster,
    )
      .map(([k, v]) => `    ${k}: ${v}`)
      .join("\n")}\n`;

  test("what a vCluster does not have is refused by field, not ignored", () => {
    for (const [field, value] of [
      ["cni", "Cilium"],
      ["csi", "Enabled"],
      ["metricsServer", "Enabled"],
      ["loadBalancer", "Enabled"],
      ["workers", 2],
      ["controlPlanes", 2],
    ] as const) {
      const r = validateClusterDocument(doc({ [field]: value }));
      assert.ok(
        r.issues.some((i) => i.path === `spec.cluster.${field}`),
        `${field}: ${value} → ${JSON.stringify(r.issues)}`,
      );
    }
    assert.deepEqual(validateClusterDocument(doc({ controlPlanes: 3, certManager: "Enabled" })).issues, []);
  });

  test("impact: recreate for distribution, control planes, Kubernetes version, persistence and the front; in place for components; N/A never diffs", () => {
    const spec = (cluster: Record<string, unknown> = {}, kubernetes: Record<string, unknown> = {}) =>
      parseSpec({ cluster: { distribution: "VCluster", provider: "Kubernetes", ...cluster }, provider: { kubernetes } }, { name: "dev" })
        .spec;
    const classOf = (a: ReturnType<typeof spec>, b: ReturnType<typeof spec>) => {
      const s = classify(a, b);
      return [
        ...s.inPlaceChanges.map((c) => `I ${c.field}`),
        ...s.rollingRecreate.map((c) => `R ${c.field}`),
        ...s.recreateRequired.map((c) => `X ${c.field}`),
      ];
    };
    assert.deepEqual(classOf(spec(), spec({ controlPlanes: 3 })), ["X cluster.controlPlanes"]);
    assert.deepEqual(classOf(spec(), spec({ kubernetesVersion: "v1.36.3" })), ["X cluster.kubernetesVersion"]);
    assert.deepEqual(classOf(spec(), spec({}, { persistence: { enabled: true } })), ["X provider.kubernetes.persistence.enabled"]);
    assert.deepEqual(classOf(spec(), spec({}, { gatewayClassName: "cilium" })), ["X provider.kubernetes.gatewayClassName"]);
    assert.deepEqual(classOf(spec(), spec({ certManager: "Enabled", policyEngine: "Kyverno" })), [
      "I cluster.certManager",
      "I cluster.policyEngine",
    ]);
    assert.deepEqual(classOf(spec(), spec({}, { podCidr: "10.70.0.0/16", kubeconfig: "~/.kube/other" })), [
      "I provider.kubernetes.kubeconfig",
    ]);
    // N/A: the spec can carry them (validation refuses Enabled), but they never diff.
    assert.deepEqual(classOf(spec(), spec({ csi: "Disabled", metricsServer: "Disabled", loadBalancer: "Disabled" })), []);
  });
});
