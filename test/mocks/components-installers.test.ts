// L1: every installer under mocks — the Helm release it records (chart, repo, version, release name,
// namespace, values, waits) per distribution × provider, overrides, extra objects and standalone use.
import { describe, test } from "node:test";
import * as assert from "node:assert/strict";
import * as zlib from "node:zlib";
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import * as YAML from "yaml";
import { recordProgram, type RecordedResource, type Recording } from "../harness/mocks";
import type { ComponentContext } from "../../sdk/plan/context";
import { SUPPORTED_COMBINATIONS } from "../../sdk/config/support";
import { charts, ChartKey, manifests, images } from "../../sdk/versions";
import { chartValues, ValuesOptions } from "../../sdk/components/values";
import { ArgoCd } from "../../sdk/components/argoCd";
import { Calico } from "../../sdk/components/calico";
import { CertManager } from "../../sdk/components/certManager";
import { Cilium } from "../../sdk/components/cilium";
import { CloudProviderKind } from "../../sdk/components/cloudProviderKind";
import { ClusterAutoscaler } from "../../sdk/components/clusterAutoscaler";
import { Flux } from "../../sdk/components/flux";
import { Gatekeeper } from "../../sdk/components/gatekeeper";
import { HcloudCcm } from "../../sdk/components/hcloudCcm";
import { HetznerCsi } from "../../sdk/components/hetznerCsi";
import { Kyverno } from "../../sdk/components/kyverno";
import { LocalPathProvisioner } from "../../sdk/components/localPathProvisioner";
import { MetalLb } from "../../sdk/components/metallb";
import { MetricsServer } from "../../sdk/components/metricsServer";
import { clusterProvider } from "../../sdk/components/provider";

const RELEASE = "kubernetes:helm.sh/v3:Release";

/** Record `fn` with a plain k8s.Provider named "k8s" (as a user with an existing cluster would). */
function record(fn: (provider: k8s.Provider) => void): Promise<Recording> {
  return recordProgram(() => {
    const provider = new k8s.Provider("k8s", { kubeconfig: "apiVersion: v1\nkind: Config\n" });
    fn(provider);
  });
}

function assertRelease(r: RecordedResource, key: ChartKey, ctx: ComponentContext, opts: ValuesOptions = {}, timeout?: number) {
  const pin = charts[key];
  assert.equal(r.type, RELEASE);
  assert.equal(r.inputs.name, pin.release, `${key} release name`);
  assert.equal(r.inputs.chart, pin.chart);
  assert.equal(r.inputs.version, pin.version);
  assert.deepEqual(r.inputs.repositoryOpts, "repo" in pin ? { repo: pin.repo } : undefined);
  assert.equal(r.inputs.namespace, pin.namespace);
  assert.equal(r.inputs.createNamespace, pin.createNamespace);
  assert.deepEqual(r.inputs.values, chartValues(key, ctx, opts));
  assert.equal(r.inputs.skipAwait, !pin.wait);
  assert.equal(r.inputs.waitForJobs, pin.wait);
  assert.equal(r.inputs.cleanupOnFail, true);
  if (timeout !== undefined) assert.equal(r.inputs.timeout, timeout);
  assert.equal(r.options.provider, "k8s", `${key} uses the given provider`);
}

const ctxs = (n = 1): ComponentContext[] =>
  SUPPORTED_COMBINATIONS.map((p) => ({
    ...p,
    nodeCount: n,
    cni: "Default",
    loadBalancerEnabled: p.provider === "Hetzner" || p.distribution === "K3s",
  }));

describe("Helm installers record KSail's release per distribution × provider", () => {
  const simple: [string, ChartKey, (name: string, ctx: ComponentContext, p: k8s.Provider) => unknown, number][] = [
    ["CertManager", "certManager", (n, context, provider) => new CertManager(n, { context }, { provider }), 600],
    ["Kyverno", "kyverno", (n, context, provider) => new Kyverno(n, { context }, { provider }), 1200],
    ["Gatekeeper", "gatekeeper", (n, context, provider) => new Gatekeeper(n, { context }, { provider }), 420],
  ];
  for (const [label, key, make, floor] of simple) {
    for (const nodes of [1, 3]) {
      test(`${label} (${nodes} node(s)) on every distribution × provider`, async () => {
        for (const ctx of ctxs(nodes)) {
          const rec = await record((p) => make("x", ctx, p));
          assert.equal(rec.byName("x").type, `ksail:components:${label}`);
          const rel = rec.byName("x-release");
          assert.equal(rel.parent, "x");
          assertRelease(rel, key, ctx, {}, Math.max(ctx.distribution === "Talos" ? 480 : 300, floor));
          assert.equal(rel.inputs.atomic, true);
        }
      });
    }
  }

  test("Cilium: Gateway API CRDs (ConfigFile from the release URL) before the chart; Talos values; no atomic", async () => {
    for (const ctx of ctxs(3).map((c) => ({ ...c, cni: "Cilium" as const }))) {
      const rec = await record((provider) => new Cilium("cni", { context: ctx }, { provider }));
      const crds = rec.byName("cni-gateway-api-crds");
      assert.equal(crds.type, "kubernetes:yaml/v2:ConfigFile");
      assert.equal(crds.inputs.file, manifests.gatewayApiCrds.url);
      const rel = rec.byName("cni-release");
      assertRelease(rel, "cilium", ctx);
      assert.deepEqual(rel.options.dependsOn, ["cni-gateway-api-crds"]);
      assert.equal(rel.inputs.atomic, false);
      assert.equal(rel.inputs.values.k8sServicePort === 7445, ctx.distribution === "Talos");
    }
    const noCrds = await record((provider) => new Cilium("cni", { gatewayApiCrds: false }, { provider }));
    assert.equal(noCrds.find("cni-gateway-api-crds"), undefined);
    assert.deepEqual(noCrds.byName("cni-release").options.dependsOn, []);
  });

  test("Calico: CRD chart then operator, no Helm wait; Talos first creates privileged namespaces", async () => {
    const talos: ComponentContext = { distribution: "Talos", provider: "Docker", nodeCount: 1, cni: "Calico", loadBalancerEnabled: false };
    const rec = await record((provider) => new Calico("cni", { context: talos, values: { installation: { mtu: 1400 } } }, { provider }));
    const crds = rec.byName("cni-crds");
    const op = rec.byName("cni-release");
    assertRelease(crds, "calicoCrds", talos);
    assert.equal(op.inputs.name, "calico");
    assert.equal(op.inputs.skipAwait, true);
    assert.equal(op.inputs.waitForJobs, false);
    assert.equal(op.inputs.atomic, false);
    assert.equal(op.inputs.values.installation.mtu, 1400, "user values merged into the operator chart");
    assert.equal(op.inputs.values.installation.calicoNetwork.linuxDataplane, "Nftables");
    assert.deepEqual(op.options.dependsOn, ["cni-crds"]);
    assert.deepEqual(crds.options.dependsOn.sort(), ["cni-ns-calico-system", "cni-ns-tigera-operator"]);
    assert.equal(rec.byName("cni-ns-tigera-operator").inputs.metadata.labels["pod-security.kubernetes.io/enforce"], "privileged");
    const kind = await record((provider) => new Calico("cni", {}, { provider }));
    assert.equal(kind.byType("kubernetes:core/v1:Namespace").length, 0);
  });

  test("MetricsServer: kubelet-csr-approver beside it on Vanilla only, in parallel", async () => {
    for (const ctx of ctxs(3)) {
      const rec = await record((provider) => new MetricsServer("ms", { context: ctx }, { provider }));
      assertRelease(rec.byName("ms-release"), "metricsServer", ctx);
      const approver = rec.find("ms-csr-approver");
      assert.equal(approver !== undefined, ctx.distribution === "Vanilla", ctx.distribution);
      if (approver) {
        assertRelease(approver, "kubeletCsrApprover", ctx);
        assert.deepEqual(approver.options.dependsOn, []);
        assert.equal(approver.inputs.values.providerRegex, ".*");
      }
    }
  });

  test("Hetzner CCM and CSI: the hcloud secret (token secret) when a token is given; networking from the network name", async () => {
    const ctx = ctxs(3).find((c) => c.provider === "Hetzner")!;
    const rec = await record((provider) => {
      new HcloudCcm(
        "ccm",
        {
          context: ctx,
          hcloudToken: pulumi.secret("tok"),
          networkName: "prod-network",
          hcloud: { loadBalancerLocation: "nbg1", loadBalancers: true },
        },
        { provider },
      );
      new HetznerCsi("csi", { context: ctx, hcloud: { volumeLabels: { "ksail.cluster.name": "prod" } } }, { provider });
    });
    const ccm = rec.byName("ccm-release");
    // hcloud-cloud-controller-manager internal/config: routes off (the CNI tunnels pod traffic; the pod CIDR is
    // outside the network), Service load balancers in the cluster's location on the nodes' private addresses.
    assert.deepEqual(ccm.inputs.values, {
      networking: { enabled: true, clusterCIDR: "10.244.0.0/16" },
      env: {
        HCLOUD_NETWORK_ROUTES_ENABLED: { value: "false" },
        HCLOUD_LOAD_BALANCERS_USE_PRIVATE_IP: { value: "true" },
        HCLOUD_LOAD_BALANCERS_LOCATION: { value: "nbg1" },
      },
      replicaCount: 2,
    });
    // Without the load balancer enabled the CCM only initialises nodes (for the CSI driver).
    const noLb = await record(
      (provider) => new HcloudCcm("ccm", { context: ctx, networkName: "n", hcloud: { loadBalancers: false } }, { provider }),
    );
    assert.deepEqual(noLb.byName("ccm-release").inputs.values.env.HCLOUD_LOAD_BALANCERS_ENABLED, { value: "false" });
    const secret = rec.byName("ccm-secret");
    assert.deepEqual(secret.inputs.metadata, { name: "hcloud", namespace: "kube-system" });
    assert.deepEqual(secret.inputs.stringData, { token: "tok", network: "prod-network" });
    assert.ok(
      secret.secretInputs.some((p) => p.startsWith("stringData")),
      "token is secret",
    );
    assert.deepEqual(ccm.options.dependsOn, ["ccm-secret"]);
    // csi-driver chart controller.volumeExtraLabels → HCLOUD_VOLUME_EXTRA_LABELS: the destroy cleanup finds volumes by them.
    assert.deepEqual(rec.byName("csi-release").inputs.values, {
      controller: { replicaCount: 2, volumeExtraLabels: { "ksail.cluster.name": "prod" } },
    });
    assert.equal(rec.find("csi-secret"), undefined);
  });

  test("MetalLB: privileged namespace → release → pool from the actual Docker subnet + L2Advertisement", async () => {
    const ctx: ComponentContext = { distribution: "Talos", provider: "Docker", nodeCount: 1, cni: "Default", loadBalancerEnabled: true };
    const rec = await record((provider) => {
      // The subnet arrives as an Output, like docker.Network's ipamConfigs.
      new MetalLb("lb", { context: ctx, dockerNetworkCidr: pulumi.output("10.5.0.0/24") }, { provider });
    });
    assertRelease(rec.byName("lb-release"), "metallb", ctx);
    assert.deepEqual(rec.byName("lb-release").options.dependsOn, ["lb-namespace"]);
    const pool = rec.byName("lb-pool");
    assert.equal(pool.inputs.kind, "IPAddressPool");
    assert.deepEqual(pool.inputs.spec, { addresses: ["10.5.0.200-10.5.0.239"] });
    assert.deepEqual(pool.options.dependsOn, ["lb-release"]);
    const l2 = rec.byName("lb-l2-advertisement");
    assert.deepEqual(l2.inputs.spec, { ipAddressPools: ["default-pool"] });
    const kind = await record((provider) => new MetalLb("lb", { dockerNetworkCidr: "172.18.0.0/16" }, { provider }));
    assert.deepEqual(kind.byName("lb-pool").inputs.spec.addresses, ["172.18.255.200-172.18.255.250"]);
    await assert.rejects(
      record((provider) => new MetalLb("lb", {}, { provider })),
      /dockerNetworkCidr: is not set/,
    );
  });

  test("cloud-provider-kind: one fixed-name container on the host Docker with the socket mounted", async () => {
    const rec = await recordProgram(() => new CloudProviderKind("cpk", { network: "kind" }));
    const img = rec.byName("cpk-image");
    assert.equal(img.inputs.name, images.cloudProviderKind);
    const c = rec.byName("cpk-container");
    assert.equal(c.type, "docker:index/container:Container");
    assert.equal(c.inputs.name, "ksail-cloud-provider-kind");
    assert.equal(c.inputs.restart, "unless-stopped");
    assert.deepEqual(c.inputs.networksAdvanced, [{ name: "kind" }]);
    assert.deepEqual(c.inputs.volumes, [{ hostPath: "/var/run/docker.sock", containerPath: "/var/run/docker.sock" }]);
    assert.equal(c.options.deleteBeforeReplace, true);
  });

  test("kubernetes-sigs/cloud-provider-kind pkg/loadbalancer/server.go: KIND_EXPERIMENTAL_DOCKER_NETWORK names the cluster network for its LB containers", async () => {
    // Without it cloud-provider-kind creates every Service's load balancer on network `kind`, away from the nodes.
    const rec = await recordProgram(() => new CloudProviderKind("cpk", { network: "dev-network" }));
    const c = rec.byName("cpk-container");
    assert.deepEqual(c.inputs.networksAdvanced, [{ name: "dev-network" }]);
    assert.deepEqual(c.inputs.envs, ["KIND_EXPERIMENTAL_DOCKER_NETWORK=dev-network"]);
  });

  test("local-path-provisioner: objects rendered up front (no manifest download), per distribution flavour", async () => {
    const rec = await record((provider) => new LocalPathProvisioner("csi", { flavour: "talos" }, { provider }));
    const g = rec.byName("csi-objects");
    assert.equal(g.type, "kubernetes:yaml/v2:ConfigGroup");
    const objs = g.inputs.objs as any[];
    assert.deepEqual(objs[0], {
      apiVersion: "v1",
      kind: "Namespace",
      metadata: { name: "local-path-storage", labels: { "pod-security.kubernetes.io/enforce": "privileged" } },
    });
    const sc = objs.find((o) => o.kind === "StorageClass");
    assert.deepEqual(sc.metadata, { name: "local-path", annotations: { "storageclass.kubernetes.io/is-default-class": "true" } });
    assert.ok(
      JSON.parse(objs.find((o) => o.kind === "ConfigMap").data["config.json"]).nodePathMap[0].paths.includes("/var/local-path-provisioner"),
    );
  });

  test("version and values overrides deep-merge over the computed values", async () => {
    const ctx = ctxs(3)[0];
    const rec = await record(
      (provider) =>
        new CertManager(
          "cm",
          {
            context: ctx,
            version: "v1.99.0",
            values: { webhook: { replicaCount: 3, timeoutSeconds: 5 }, replicaCount: null } as never,
            timeoutSeconds: 77,
          },
          { provider },
        ),
    );
    const rel = rec.byName("cm-release");
    assert.equal(rel.inputs.version, "v1.99.0");
    assert.equal(rel.inputs.timeout, 77);
    assert.equal(rel.inputs.values.webhook.replicaCount, 3);
    assert.equal(rel.inputs.values.webhook.timeoutSeconds, 5);
    assert.deepEqual(rel.inputs.values.webhook.podDisruptionBudget, { enabled: true, minAvailable: 1 }, "siblings kept");
    assert.equal("replicaCount" in rel.inputs.values, false, "null removes a key");
  });
});

describe("GitOps and autoscaler installers", () => {
  test("Flux: operator release, then a FluxInstance syncing the local registry (insecure) with SOPS decryption", async () => {
    const rec = await record(
      (provider) =>
        new Flux(
          "gitops",
          {
            source: { type: "localRegistry", clusterName: "dev", sourceDirectory: "./K8s/Apps", tag: "v1" },
            sopsAgeKey: pulumi.secret("AGE-SECRET-KEY-1"),
          },
          { provider },
        ),
    );
    assertRelease(rec.byName("gitops-operator"), "fluxOperator", {
      distribution: "Vanilla",
      provider: "Docker",
      nodeCount: 1,
      cni: "Default",
      loadBalancerEnabled: false,
    });
    const sops = rec.byName("gitops-sops-age");
    assert.deepEqual(sops.inputs.metadata, { name: "sops-age", namespace: "flux-system" });
    assert.deepEqual(sops.inputs.stringData, { "sops.agekey": "AGE-SECRET-KEY-1" });
    assert.ok(sops.secretInputs.some((p) => p.startsWith("stringData")));
    const inst = rec.byName("gitops-instance");
    assert.equal(inst.inputs.apiVersion, "fluxcd.controlplane.io/v1");
    assert.equal(inst.inputs.kind, "FluxInstance");
    assert.deepEqual(inst.inputs.metadata, { name: "flux", namespace: "flux-system" });
    assert.deepEqual(inst.inputs.spec.sync, {
      kind: "OCIRepository",
      url: "oci://dev-local-registry:5000/k8s/apps",
      ref: "v1",
      path: "./",
      provider: "generic",
      interval: "1m",
    });
    assert.equal(
      inst.inputs.spec.distribution.artifact,
      `oci://ghcr.io/controlplaneio-fluxcd/flux-operator-manifests:v${charts.fluxOperator.version}`,
    );
    const patches = inst.inputs.spec.kustomize.patches as { target: { kind: string }; patch: string }[];
    assert.deepEqual(YAML.parse(patches[0].patch), [{ op: "add", path: "/spec/insecure", value: true }]);
    assert.deepEqual(YAML.parse(patches[1].patch), [
      { op: "add", path: "/spec/decryption", value: { provider: "sops", secretRef: { name: "sops-age" } } },
    ]);
    assert.deepEqual(inst.options.dependsOn.sort(), ["gitops-operator", "gitops-sops-age"]);
  });

  test("Flux: external OCI source with credentials gets the dockerconfigjson pull secret; no source → operator only", async () => {
    const rec = await record(
      (provider) =>
        new Flux(
          "gitops",
          {
            source: { type: "oci", url: "ghcr.io/acme/manifests", tag: "prod" },
            registryCredentials: { server: "ghcr.io", username: "bot", password: pulumi.secret("pw") },
          },
          { provider },
        ),
    );
    const pull = rec.byName("gitops-pull-secret");
    assert.equal(pull.inputs.type, "kubernetes.io/dockerconfigjson");
    const cfg = JSON.parse(pull.inputs.stringData[".dockerconfigjson"]);
    assert.equal(cfg.auths["ghcr.io"].auth, Buffer.from("bot:pw").toString("base64"));
    const inst = rec.byName("gitops-instance");
    assert.equal(inst.inputs.spec.sync.url, "oci://ghcr.io/acme/manifests");
    assert.equal(inst.inputs.spec.sync.pullSecret, "ksail-registry-credentials");
    assert.equal(inst.inputs.spec.kustomize, undefined);
    const bare = await record((provider) => new Flux("gitops", {}, { provider }));
    assert.deepEqual(
      bare.resources.filter((r) => r.custom && r.type !== "pulumi:providers:kubernetes").map((r) => r.name),
      ["gitops-operator"],
    );
  });

  test("Argo CD: release (SOPS plugin sidecar), repository secret and the ksail Application", async () => {
    const ctx = ctxs(3)[2];
    const rec = await record(
      (provider) =>
        new ArgoCd("gitops", { context: ctx, source: { type: "localRegistry", clusterName: "dev" }, sopsAgeKey: "AGE" }, { provider }),
    );
    const rel = rec.byName("gitops-release");
    assertRelease(rel, "argoCd", ctx, { sops: true });
    assert.equal(rel.inputs.values.repoServer.replicas, 2);
    assert.equal(rel.inputs.values.repoServer.extraContainers[0].name, "cmp-kustomize-sops");
    const repo = rec.byName("gitops-repository");
    assert.equal(repo.inputs.metadata.labels["argocd.argoproj.io/secret-type"], "repository");
    assert.deepEqual(repo.inputs.stringData, { type: "oci", url: "oci://dev-local-registry:5000/k8s", insecureOCIForceHttp: "true" });
    const app = rec.byName("gitops-application");
    assert.equal(app.inputs.kind, "Application");
    assert.deepEqual(app.inputs.spec.source, {
      repoURL: "oci://dev-local-registry:5000/k8s",
      targetRevision: "dev",
      path: ".",
      plugin: { name: "kustomize-sops" },
    });
    assert.deepEqual(app.inputs.spec.syncPolicy, { automated: { prune: true, selfHeal: true }, syncOptions: ["CreateNamespace=true"] });
    assert.deepEqual(app.options.dependsOn.sort(), ["gitops-release", "gitops-repository", "gitops-sops-age"]);
  });

  test("cluster-autoscaler: hetzner values, HCLOUD_CLUSTER_CONFIG secret (gzip+base64 worker config per pool)", async () => {
    const ctx = ctxs(3).find((c) => c.provider === "Hetzner")!;
    const settings = {
      pools: [
        {
          name: "burst",
          serverType: "cx33",
          location: "nbg1",
          min: 0,
          max: 4,
          labels: { tier: "burst" },
          taints: [{ key: "burst", value: "true", effect: "NoSchedule" as const }],
        },
      ],
    };
    const worker = "version: v1alpha1\nmachine:\n  type: worker\n  install:\n    disk: /dev/sda\n  disks:\n    - device: /dev/sdb\n";
    const rec = await record(
      (provider) =>
        new ClusterAutoscaler("ca", { context: ctx, settings, imageId: "4242", workerConfig: pulumi.secret(worker) }, { provider }),
    );
    const rel = rec.byName("ca-release");
    assertRelease(rel, "clusterAutoscaler", ctx, { autoscaler: settings });
    assert.deepEqual(rel.inputs.values.autoscalingGroups, [
      { name: "burst", minSize: 0, maxSize: 4, instanceType: "cx33", region: "nbg1" },
    ]);
    assert.deepEqual(rel.options.dependsOn, ["ca-config"]);
    const secret = rec.byName("ca-config");
    assert.deepEqual(secret.inputs.metadata, { name: "cluster-autoscaler-config", namespace: "kube-system" });
    assert.ok(secret.secretInputs.some((p) => p.startsWith("stringData")));
    const cfg = JSON.parse(Buffer.from(secret.inputs.stringData.hcloud_cluster_config, "base64").toString("utf8"));
    assert.deepEqual(cfg.imagesForArch, { amd64: "4242" });
    const node = cfg.nodeConfigs.burst;
    assert.deepEqual(node.labels, { "ksail.io/autoscaled": "true", tier: "burst" });
    assert.deepEqual(node.taints, [{ key: "burst", value: "true", effect: "NoSchedule" }]);
    const machine = YAML.parse(zlib.gunzipSync(Buffer.from(node.cloudInit, "base64")).toString("utf8")).machine;
    assert.equal(machine.install.wipe, true);
    assert.equal(machine.disks, undefined);
    assert.deepEqual(machine.nodeLabels, { "ksail.io/autoscaled": "true", tier: "burst" });
    assert.deepEqual(machine.nodeTaints, { burst: "true:NoSchedule" });
  });
});

describe("standalone use on a plain k8s.Provider (README snippet)", () => {
  test("new CertManager('cm', {}, { provider }) on an existing cluster: chart defaults + KSail's settings", async () => {
    const rec = await recordProgram(
      () => {
        const provider = new k8s.Provider("existing", { kubeconfig: "~/.kube/config", context: "kind-dev" });
        new CertManager("cm", {}, { provider });
      },
      { state: (a) => (a.type === RELEASE ? { outputs: { status: { status: "deployed", version: 1 } } } : undefined) },
    );
    const rel = rec.byName("cm-release");
    assert.equal(rel.options.provider, "existing");
    assert.equal(rel.inputs.name, "cert-manager");
    assert.deepEqual(rel.inputs.values, { crds: { enabled: true, keep: true }, startupapicheck: { timeout: "10m0s" } });
    assert.deepEqual(rec.byName("cm").outputs, { status: { status: "deployed", version: 1 } });
  });

  test("clusterProvider: clusterIdentifier set, kubeconfig secret", async () => {
    const rec = await recordProgram(() => {
      clusterProvider("dev-k8s", { kubeconfig: "apiVersion: v1\nkind: Config\n", clusterIdentifier: "dev" });
    });
    const p = rec.byName("dev-k8s");
    assert.equal(p.type, "pulumi:providers:kubernetes");
    assert.equal(p.inputs.clusterIdentifier, "dev");
    assert.equal(p.inputs.deleteUnreachable, "true");
    assert.ok(p.secretInputs.includes("kubeconfig"));
  });
});
