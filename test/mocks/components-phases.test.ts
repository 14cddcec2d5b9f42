// L1: the install phases of a cluster under mocks — stage structure, critical path = the stages' inherent
// depth (everything inside a stage in parallel), switching engines removes exactly the old release, and
// the component plan derived from ksail.yaml.
import { describe, test } from "node:test";
import * as assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { recordProgram, type Recording } from "../harness/mocks";
import { installComponents, InstallInputs } from "../../sdk/components/phases";
import { ComponentPlan, componentPlan } from "../../sdk/plan/components";
import { effective, parseClusterDocument } from "../../sdk/config";

const talosHetzner: ComponentPlan = {
  clusterName: "prod",
  context: { distribution: "Talos", provider: "Hetzner", nodeCount: 6, cni: "Cilium", loadBalancerEnabled: true },
  csi: "HetznerCsi",
  metricsServer: true,
  kubeletCsrApprover: false,
  kindnet: false,
  metadataGuard: true,
  loadBalancer: "HcloudCcm",
  certManager: true,
  policyEngine: "Kyverno",
  gitOpsEngine: "Flux",
  gitOpsSource: { type: "oci", url: "ghcr.io/acme/deploy", tag: "prod" },
  autoscaler: { pools: [{ name: "burst", serverType: "cx23", location: "fsn1", min: 0, max: 3 }] },
};

const vanillaDocker: ComponentPlan = {
  clusterName: "dev",
  context: { distribution: "Vanilla", provider: "Docker", nodeCount: 1, cni: "Default", loadBalancerEnabled: true },
  csi: "LocalPath",
  metricsServer: true,
  kubeletCsrApprover: true,
  kindnet: true,
  metadataGuard: false,
  loadBalancer: "CloudProviderKind",
  certManager: false,
  policyEngine: "Gatekeeper",
  gitOpsEngine: "ArgoCD",
  gitOpsSource: { type: "localRegistry", clusterName: "dev" },
};

const worker = "machine:\n  type: worker\n";

async function run(
  plan: ComponentPlan,
  extra: Partial<InstallInputs> = {},
  withGates = true,
): Promise<{ rec: Recording; stages: string[][] }> {
  let stages: string[][] = [];
  const rec = await recordProgram(() => {
    const parent = new pulumi.ComponentResource("ksail:index:KSailCluster", plan.clusterName, {}, {});
    const provider = new k8s.Provider(`${plan.clusterName}-k8s`, { kubeconfig: "kc" }, { parent });
    const r = installComponents(parent, plan.clusterName, plan, {
      provider,
      readiness: withGates ? { kubeconfig: pulumi.secret("kc"), pollIntervalSeconds: 0.05 } : undefined,
      hcloudToken: pulumi.secret("tok"),
      kindnet: { podSubnet: "10.244.0.0/16", controlPlaneEndpoint: "dev-control-plane-1:6443" },
      networkName: `${plan.clusterName}-network`,
      dockerNetworkCidr: "172.18.0.0/16",
      autoscaler: { imageId: "1", workerConfig: worker },
      sopsAgeKey: pulumi.secret("AGE"),
      ...extra,
    });
    stages = r.stages;
  });
  return { rec, stages };
}

/** Nodes of the dependency graph: resources the engine creates (custom ones, and remote components). */
function graph(rec: Recording, within?: Set<string>) {
  const nodes = rec.resources.filter(
    (r) => (r.custom || r.remote) && !r.type.startsWith("pulumi:providers:") && (!within || within.has(r.name)),
  );
  const names = new Set(nodes.map((n) => n.name));
  const deps = new Map(nodes.map((n) => [n.name, n.options.dependencies.filter((d) => names.has(d))]));
  const memo = new Map<string, number>();
  const depth = (n: string): number => {
    if (!memo.has(n)) memo.set(n, 1 + Math.max(0, ...deps.get(n)!.map(depth)));
    return memo.get(n)!;
  };
  return { names, longest: Math.max(0, ...[...names].map(depth)) };
}

function descendants(rec: Recording, name: string): Set<string> {
  const out = new Set<string>([name]);
  for (const r of rec.resources) if (r.parent && out.has(r.parent)) out.add(r.name);
  // resources are recorded parents first, so one pass suffices
  return out;
}

/** Σ over stages of the longest chain among the stage's own resources (its members and their children). */
function inherentDepth(rec: Recording, stages: string[][]): number {
  return stages.reduce((sum, stage) => sum + graph(rec, new Set(stage.flatMap((m) => [...descendants(rec, m)]))).longest, 0);
}

describe("install phases", () => {
  test("Talos × Hetzner: API gate → Cilium → CNI gate → CCM → CCM gate → phase 1 ∥ → (Kyverno after cert-manager) → stable gate → Flux", async () => {
    const { rec, stages } = await run(talosHetzner);
    assert.deepEqual(stages, [
      ["prod-api-ready"],
      ["prod-cilium"],
      ["prod-cni-ready"],
      ["prod-hcloud-ccm"],
      ["prod-ccm-ready"],
      ["prod-hcloud-csi", "prod-metrics-server", "prod-metadata-guard", "prod-cert-manager", "prod-kyverno", "prod-cluster-autoscaler"],
      ["prod-stable"],
      ["prod-flux"],
    ]);
    // Phase 1 members depend only on the CCM gate, never on each other.
    for (const m of ["prod-hcloud-csi", "prod-metrics-server", "prod-metadata-guard", "prod-cert-manager", "prod-cluster-autoscaler"])
      assert.deepEqual(rec.byName(m).options.dependsOn, ["prod-ccm-ready"], m);
    // Hetzner's metadata service hands user_data (the machine config on the snapshot route) to any pod that asks;
    // before, nothing stopped a pod from reading the cluster's CA keys there. Cilium denies it to every pod but the
    // hcloud CSI driver's, which reads its server id there (hetznercloud/csi-driver cmd/main.go), without putting the
    // selected pods into default deny (enableDefaultDeny false; the Cilium 1.20 chart's enableNonDefaultDenyPolicies).
    const guard = rec.byName("prod-metadata-guard-policy");
    assert.equal(guard.type, "kubernetes:cilium.io/v2:CiliumClusterwideNetworkPolicy");
    assert.deepEqual(guard.inputs.spec, {
      description:
        "KSail: pods may not read the Hetzner metadata service (user_data holds the Talos machine config); the hcloud CSI driver may",
      endpointSelector: { matchExpressions: [{ key: "app.kubernetes.io/name", operator: "NotIn", values: ["hcloud-csi"] }] },
      enableDefaultDeny: { egress: false, ingress: false },
      egressDeny: [{ toCIDR: ["169.254.169.254/32"] }],
    });
    assert.deepEqual(rec.byName("prod-kyverno").options.dependsOn, ["prod-cert-manager"]);
    assert.deepEqual(rec.byName("prod-hcloud-ccm").options.dependsOn, ["prod-cni-ready", "prod-hcloud-secret"]);
    assert.deepEqual(rec.byName("prod-hcloud-secret").options.dependsOn, ["prod-api-ready"], "secret in parallel with the CNI");
    // Gates: Cilium probe on the CNI and stability gates; the CCM gate waits for the CCM's node label and
    // does not ignore the uninitialized taint; cloud → 5 consecutive /version successes.
    const cniGate = rec.byName("prod-cni-ready").inputs;
    assert.equal(cniGate.connectivityProbe, true);
    assert.deepEqual(cniGate.ignoreTaints, ["node.cloudprovider.kubernetes.io/uninitialized"]);
    assert.equal(cniGate.apiServerSuccesses, 5);
    const ccmGate = rec.byName("prod-ccm-ready").inputs;
    assert.equal(ccmGate.requireNodeLabel, "instance.hetzner.cloud/provided-by");
    assert.deepEqual(ccmGate.ignoreTaints, []);
    assert.equal(rec.byName("prod-api-ready").inputs.checkNodes, false);
    assert.ok(rec.byName("prod-stable").secretInputs.includes("kubeconfig"));
    // The create critical path is exactly the stages' inherent depth (12 steps here: phase 1 is two deep,
    // cert-manager → Kyverno beside the autoscaler's secret → release).
    const expected = inherentDepth(rec, stages);
    assert.equal(expected, 12);
    assert.equal(graph(rec).longest, expected);
    // Every release uses the cluster's provider.
    for (const r of rec.byType("kubernetes:helm.sh/v3:Release")) assert.equal(r.options.provider, "prod-k8s", r.name);
  });

  test("Vanilla × Docker: API gate → kindnet → CNI gate → metrics-server ∥ approver ∥ local-path ∥ cloud-provider-kind ∥ Gatekeeper → stable gate → Argo CD", async () => {
    const { rec, stages } = await run(vanillaDocker);
    assert.deepEqual(stages, [
      ["dev-api-ready"],
      ["dev-kindnet"],
      ["dev-cni-ready"],
      ["dev-local-path", "dev-metrics-server", "dev-kubelet-csr-approver", "dev-cloud-provider-kind", "dev-gatekeeper"],
      ["dev-stable"],
      ["dev-argocd"],
    ]);
    assert.equal(rec.byName("dev-cni-ready").inputs.apiServerSuccesses, 3);
    assert.equal(rec.byName("dev-cni-ready").inputs.connectivityProbe, false);
    // The approver is its own installer (it must outlive metrics-server), never metrics-server's child.
    assert.ok(rec.find("dev-kubelet-csr-approver-release"));
    assert.equal(rec.find("dev-metrics-server-csr-approver"), undefined);
    const kindnet = rec.byName("dev-kindnet-objects");
    const ds = (kindnet.inputs.objs as any[]).find((o) => o.kind === "DaemonSet");
    assert.deepEqual(ds.spec.template.spec.containers[0].env.slice(2), [
      { name: "POD_SUBNET", value: "10.244.0.0/16" },
      { name: "CONTROL_PLANE_ENDPOINT", value: "dev-control-plane-1:6443" },
    ]);
    assert.equal(graph(rec).longest, inherentDepth(rec, stages));
    assert.equal(rec.find("dev-hcloud-secret"), undefined);
    assert.deepEqual(rec.byName("dev-stable").inputs.webhookConfigurations, [
      { kind: "Validating", name: "gatekeeper-validating-webhook-configuration" },
    ]);
    assert.deepEqual(rec.byName("dev-cni-ready").inputs.deployments, [], "the Talos approver wait is Talos-only");
  });

  test("without readiness inputs (existing cluster) the phases still order by dependencies only", async () => {
    const { rec, stages } = await run(talosHetzner, {}, false);
    assert.equal(rec.byType("pulumi-nodejs:dynamic/ksail:ClusterReadiness").length, 0);
    assert.deepEqual(stages[0], ["prod-cilium"]);
    assert.deepEqual(rec.byName("prod-hcloud-csi").options.dependsOn, ["prod-hcloud-ccm"]);
    assert.equal(graph(rec).longest, inherentDepth(rec, stages));
  });

  test("Talos × Docker with Calico and MetalLB: pool from the Docker subnet, Calico pod namespaces reported", async () => {
    const plan: ComponentPlan = {
      ...vanillaDocker,
      clusterName: "t",
      context: { distribution: "Talos", provider: "Docker", nodeCount: 1, cni: "Calico", loadBalancerEnabled: true },
      loadBalancer: "MetalLb",
      kubeletCsrApprover: false,
      kindnet: false,
      certManager: true,
      policyEngine: "None",
      gitOpsEngine: "None",
      gitOpsSource: undefined,
    };
    const { rec, stages } = await run(plan, { dockerNetworkCidr: "10.5.0.0/24" });
    assert.deepEqual(stages, [
      ["t-api-ready"],
      ["t-calico"],
      ["t-cni-ready"],
      ["t-local-path", "t-metrics-server", "t-metallb", "t-cert-manager"],
    ]);
    assert.deepEqual(rec.byName("t-cni-ready").inputs.podNamespaces, ["kube-system", "tigera-operator", "calico-system"]);
    assert.deepEqual(rec.byName("t-cni-ready").inputs.deployments, ["kubelet-serving-cert-approver/kubelet-serving-cert-approver"]);
    assert.deepEqual(rec.byName("t-metallb-pool").inputs.spec.addresses, ["10.5.0.200-10.5.0.239"]);
    assert.equal(rec.find("t-stable"), undefined, "no GitOps → no phase-2 gate");
    assert.equal(graph(rec).longest, inherentDepth(rec, stages));
  });

  test("switching the policy engine and the GitOps engine removes exactly the old installers", async () => {
    const a = (await run(talosHetzner)).rec;
    const b = (await run({ ...talosHetzner, policyEngine: "Gatekeeper", gitOpsEngine: "ArgoCD" })).rec;
    const urnsA = new Set(a.resources.map((r) => r.urn));
    const urnsB = new Set(b.resources.map((r) => r.urn));
    const removed = a.resources
      .filter((r) => !urnsB.has(r.urn))
      .map((r) => r.name)
      .sort();
    const added = b.resources
      .filter((r) => !urnsA.has(r.urn))
      .map((r) => r.name)
      .sort();
    assert.deepEqual(removed, [
      "prod-flux",
      "prod-flux-instance",
      "prod-flux-operator",
      "prod-flux-sops-age",
      "prod-kyverno",
      "prod-kyverno-release",
    ]);
    assert.deepEqual(added, [
      "prod-argocd",
      "prod-argocd-application",
      "prod-argocd-release",
      "prod-argocd-repository",
      "prod-argocd-sops-age",
      "prod-gatekeeper",
      "prod-gatekeeper-release",
    ]);
    // Everything else is untouched (same inputs), except that the stability gate now also waits for
    // Gatekeeper's webhook CA bundle (an in-place update that re-runs the gate).
    for (const r of a.resources.filter((x) => urnsB.has(x.urn))) {
      const other = b.resources.find((x) => x.urn === r.urn)!;
      if (r.name === "prod-stable") {
        assert.deepEqual({ ...other.inputs, webhookConfigurations: [] }, r.inputs);
        assert.equal(other.inputs.webhookConfigurations.length, 1);
      } else assert.deepEqual(other.inputs, r.inputs, r.name);
    }
    // Turning the policy engine off removes only its release.
    const c = (await run({ ...talosHetzner, policyEngine: "None" })).rec;
    const urnsC = new Set(c.resources.map((r) => r.urn));
    assert.deepEqual(
      a.resources
        .filter((r) => !urnsC.has(r.urn))
        .map((r) => r.name)
        .sort(),
      ["prod-kyverno", "prod-kyverno-release"],
    );
  });

  test("per-installer overrides reach the release", async () => {
    const { rec } = await run(talosHetzner, { overrides: { certManager: { version: "v1.22.0", values: { replicaCount: 3 } } } });
    const rel = rec.byName("prod-cert-manager-release");
    assert.equal(rel.inputs.version, "v1.22.0");
    assert.equal(rel.inputs.values.replicaCount, 3);
    assert.equal(rel.inputs.values.webhook.replicaCount, 2);
  });

  test("a Hetzner plan without the token or autoscaler inputs is a clear error", async () => {
    await assert.rejects(run(talosHetzner, { autoscaler: undefined }), /cluster-autoscaler but no autoscaler inputs/);
    await assert.rejects(run(talosHetzner, { hcloudToken: undefined }), /read Secret kube-system\/hcloud, but no hcloudToken was given/);
  });
});

describe("component plan from ksail.yaml", () => {
  const plan = (cluster: Record<string, unknown>, extra: Record<string, unknown> = {}) => {
    const { document } = parseClusterDocument(
      { apiVersion: "ksail.io/v1alpha1", kind: "Cluster", metadata: { name: "c1" }, spec: { cluster, ...extra } },
      { env: {} },
    );
    return componentPlan(effective(document.spec, { name: document.metadata?.name }));
  };

  test("Vanilla defaults: what kind gives (kindnet, its local-path storage) plus the serving-cert approver; explicit toggles add KSail's installers", () => {
    const p0 = plan({});
    assert.deepEqual(
      [p0.kindnet, p0.csi, p0.metricsServer, p0.kubeletCsrApprover, p0.loadBalancer, p0.certManager, p0.policyEngine, p0.gitOpsEngine],
      [true, "LocalPath", false, true, "None", false, "None", "None"],
    );
    assert.equal(plan({ cni: "Cilium" }).kindnet, false);
    assert.equal(plan({ csi: "Disabled" }).csi, "None");
    const p1 = plan({
      csi: "Enabled",
      metricsServer: "Enabled",
      loadBalancer: "Enabled",
      certManager: "Enabled",
      controlPlanes: 1,
      workers: 2,
    });
    assert.deepEqual(
      [p1.csi, p1.metricsServer, p1.kubeletCsrApprover, p1.loadBalancer, p1.certManager],
      ["LocalPath", true, true, "CloudProviderKind", true],
    );
    assert.equal(p1.context.nodeCount, 3);
  });

  test("K3s: storage and metrics-server installed from Pulumi (k3s's packaged ones are off), its own LoadBalancer", () => {
    const p = plan({ distribution: "K3s", csi: "Enabled", metricsServer: "Enabled", loadBalancer: "Enabled" });
    assert.deepEqual([p.csi, p.metricsServer, p.loadBalancer, p.context.loadBalancerEnabled], ["LocalPath", true, "None", true]);
    const d = plan({ distribution: "K3s" });
    assert.deepEqual([d.csi, d.metricsServer, d.kindnet, d.kubeletCsrApprover], ["LocalPath", true, false, false]);
  });

  test("Talos on Docker: MetalLB, approver via machine config; Talos on Hetzner: CCM + CSI by default, 8-min base timeout unless set", () => {
    const d = plan({ distribution: "Talos", loadBalancer: "Enabled", metricsServer: "Enabled", cni: "Cilium" });
    assert.deepEqual([d.loadBalancer, d.metricsServer, d.kubeletCsrApprover, d.context.cni], ["MetalLb", true, false, "Cilium"]);
    const h = plan({ distribution: "Talos", provider: "Hetzner", connection: { timeout: "15m" } });
    assert.deepEqual([h.loadBalancer, h.csi], ["HcloudCcm", "HetznerCsi"]);
    assert.equal(h.context.baseTimeoutSeconds, 900);
    const noLb = plan({ distribution: "Talos", provider: "Hetzner", loadBalancer: "Disabled" });
    assert.equal(noLb.loadBalancer, "HcloudCcm", "CSI still needs the CCM's node initialisation");
  });

  test("GitOps source: local registry by default, external OCI registry with its tag", () => {
    const local = plan({ gitOpsEngine: "Flux" }, { workload: { sourceDirectory: "deploy", tag: "v3" } });
    assert.deepEqual(local.gitOpsSource, { type: "localRegistry", clusterName: "c1", sourceDirectory: "deploy", tag: "v3" });
    const ext = plan({ gitOpsEngine: "ArgoCD", localRegistry: { registry: "ghcr.io/acme/manifests:prod" } });
    assert.deepEqual(ext.gitOpsSource, { type: "oci", url: "ghcr.io/acme/manifests", tag: "prod" });
  });

  test("node autoscaling on Talos × Hetzner maps pools and expanders", () => {
    const p = plan({
      distribution: "Talos",
      provider: "Hetzner",
      autoscaler: {
        node: {
          enabled: "Enabled",
          pools: [{ name: "burst", serverType: "cx33", location: "nbg1", min: 0, max: 5 }],
          expander: ["LeastNodes", "LeastWaste"],
          maxNodesTotal: 12,
        },
      },
    });
    assert.equal(p.autoscaler?.pools[0].name, "burst");
    assert.deepEqual(p.autoscaler?.expander, ["least-nodes", "least-waste"]);
    assert.equal(p.autoscaler?.maxNodesTotal, 12);
    const pools = [{ name: "burst", serverType: "cx33", location: "nbg1", min: 0, max: 5 }];
    assert.equal(
      plan({ distribution: "Talos", provider: "Hetzner", autoscaler: { node: { enabled: "Disabled", pools } } }).autoscaler,
      undefined,
    );
  });
});
