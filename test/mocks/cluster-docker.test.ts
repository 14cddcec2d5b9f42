// L1: KSailCluster on Docker (Talos, K3s, Vanilla) under mocks — the full resource graph, parenting, names,
// secrets, protect, and the change classes of the impact table turned into Pulumi behaviour.
import { describe, test } from "node:test";
import * as assert from "node:assert/strict";
import { allPlainStrings, type Recording } from "../harness/mocks";
import { snapshot } from "../fixtures/docker/record";
import { planCluster } from "../../sdk/plan/cluster";
import { parseSpec } from "../../sdk/config";
import { isKsailError } from "../../sdk/errors";
import { UNKNOWN } from "../../sdk/impact/unknown";
import {
  CLUSTER_SECRETS,
  CLUSTER_SPEC,
  CONTAINER,
  K8S_PROVIDER,
  KUBECONFIG_MARKER,
  NETWORK,
  READINESS,
  TALOSCONFIG_MARKER,
  TALOS_BOOTSTRAP,
  TALOS_MACHINE,
  VOLUME,
  recordCluster,
  secretsOutputs,
  changedResources,
} from "./cluster-record";

const CONFIG_GROUP = "kubernetes:yaml/v2:ConfigGroup";
const HELM = "kubernetes:helm.sh/v3:Release";
const WORKLOAD_ARTIFACT = "pulumi-nodejs:dynamic/ksail:WorkloadArtifact";
const MIRRORS = ["docker.io", "ghcr.io", "quay.io", "registry.k8s.io"];
const MIRROR_RES = MIRRORS.flatMap((m) => [`dev-infra-mirror-${m}-cache`, `dev-infra-mirror-${m}`]);
/** Mirrors, and the local registry that GitOps (Flux) brings. */
const REGISTRIES = [...MIRROR_RES, "dev-infra-local-registry-data", "dev-infra-local-registry"];
const trigger = (cluster: Record<string, unknown>) => planCluster({ name: "dev", spec: parseSpec({ cluster }).spec }).recreateTrigger;

const changes = changedResources;

function assertNoLeak(r: Recording, secrets: string[]) {
  const plain = allPlainStrings(r);
  for (const s of secrets) assert.ok(!plain.some((p) => p.includes(s)), `secret ${s.slice(0, 24)}… appears in a plain value`);
  assert.ok(!plain.some((p) => /PRIVATE KEY/.test(p)), "no PEM private key in plain values");
}

const TALOS = { distribution: "Talos", workers: 1, cni: "Cilium", certManager: "Enabled", gitOpsEngine: "Flux" };

describe("KSailCluster: Talos on Docker", () => {
  test("full graph: record, secrets, infrastructure, one TalosMachine per node (created side by side), bootstrap, gates, provider, installers", async () => {
    const r = await recordCluster({ cluster: TALOS });
    const t = trigger(TALOS);
    assert.deepEqual(
      r.resources.map((x) => [x.name, x.type, x.parent ?? ""]),
      [
        ["dev", "ksail:index:KSailCluster", ""],
        ["dev-spec", CLUSTER_SPEC, "dev"],
        ["dev-secrets", CLUSTER_SECRETS, "dev"],
        ["dev-infra", "ksail:providers:DockerClusterInfra", "dev"],
        ["dev-infra-network", NETWORK, "dev-infra"],
        ...REGISTRIES.map((n) => [n, n.endsWith("-cache") || n.endsWith("-data") ? VOLUME : CONTAINER, "dev-infra"]),
        ["dev-infra-control-plane-1", CONTAINER, "dev-infra"],
        ["dev-infra-worker-1", CONTAINER, "dev-infra"],
        ["dev-machine-control-plane-1", TALOS_MACHINE, "dev"],
        ["dev-machine-worker-1", TALOS_MACHINE, "dev"],
        ["dev-bootstrap", TALOS_BOOTSTRAP, "dev"],
        // The API gate comes before the installers' provider, which the plugin configures once it exists.
        ["dev-api-ready", READINESS, "dev"],
        ["dev-k8s", K8S_PROVIDER, "dev"],
        // Flux syncs from the local registry: the manifests are pushed there (pinned by digest).
        ["dev-workload", WORKLOAD_ARTIFACT, "dev"],
        ["dev-cilium", "ksail:components:Cilium", "dev"],
        ["dev-cilium-gateway-api-crds", "kubernetes:yaml/v2:ConfigFile", "dev-cilium"],
        ["dev-cilium-release", "kubernetes:helm.sh/v3:Release", "dev-cilium"],
        ["dev-cni-ready", READINESS, "dev"],
        // KEP-1755: the local registry (Flux's source) announced in kube-public.
        ["dev-local-registry-hosting", "ksail:components:LocalRegistryHosting", "dev"],
        ["dev-local-registry-hosting-configmap", "kubernetes:core/v1:ConfigMap", "dev-local-registry-hosting"],
        ["dev-cert-manager", "ksail:components:CertManager", "dev"],
        ["dev-cert-manager-release", "kubernetes:helm.sh/v3:Release", "dev-cert-manager"],
        ["dev-stable", READINESS, "dev"],
        ["dev-flux", "ksail:components:Flux", "dev"],
        ["dev-flux-operator", "kubernetes:helm.sh/v3:Release", "dev-flux"],
        ["dev-flux-instance", "kubernetes:fluxcd.controlplane.io/v1:FluxInstance", "dev-flux"],
        // The users' provider: after every gate and installer.
        ["dev-kubernetes", K8S_PROVIDER, "dev"],
        // Depends on everything: a protected cluster's destroy stops here first.
        ["dev-destroy-guard", "pulumi-nodejs:dynamic/ksail:DestroyGuard", "dev"],
      ],
    );
    // Every infrastructure resource that belongs to this cluster carries the recreate hash; the shared
    // mirror caches and the registry volume are kept across recreation on purpose (docker provider).
    for (const x of r.resources) {
      const infra = x.type === NETWORK || x.type === CONTAINER || x.type === TALOS_MACHINE || x.type === TALOS_BOOTSTRAP;
      assert.equal(x.options.replacementTrigger, infra ? t : undefined, `${x.name} replacementTrigger`);
    }
    // Machines: each after its own container only (no create chain); bootstrap after the control plane.
    assert.deepEqual(r.byName("dev-machine-control-plane-1").options.dependsOn, ["dev-infra-control-plane-1"]);
    assert.deepEqual(r.byName("dev-machine-worker-1").options.dependsOn, ["dev-infra-worker-1"]);
    assert.deepEqual(r.byName("dev-bootstrap").options.dependsOn, ["dev-machine-control-plane-1"]);
    assert.deepEqual(r.byName("dev-api-ready").options.dependsOn, ["dev-bootstrap", "dev-machine-control-plane-1", "dev-machine-worker-1"]);
    assert.deepEqual(r.byName("dev-cilium-release").options.provider, "dev-k8s");

    const plan = planCluster({ name: "dev", spec: parseSpec({ cluster: TALOS }).spec });
    const m = r.byName("dev-machine-worker-1").inputs;
    assert.deepEqual(m.node, {
      name: "dev-worker-1",
      role: "worker",
      platform: "docker",
      endpoint: plan.talos!.apiEndpoint,
      address: "10.5.0.3",
    });
    assert.equal(m.talosVersion, "1.14.1");
    assert.ok(r.byName("dev-machine-worker-1").secretInputs.includes("kubeconfig"), "the kubeconfig for drains is secret");
    assert.equal(m.controlPlanes, 1);
    assert.deepEqual(m.timeouts, { drainSeconds: 600 }, "spec.cluster.talos.drainTimeout (10m)");
    assert.match(m.config, /type: worker/);
    assert.match(m.config, /hostname: dev-worker-1/);
    assert.ok(r.byName("dev-machine-worker-1").secretInputs.includes("config"));
    assert.equal(r.byName("dev-infra-control-plane-1").inputs.image, "ghcr.io/siderolabs/talos:v1.14.1");
    const secrets = r.byName("dev-secrets").inputs;
    assert.deepEqual(secrets.endpoints, { kubernetes: plan.endpoint, talos: [plan.talos!.apiEndpoint], talosNodes: ["10.5.0.2"] });
    assert.equal(r.byName("dev-k8s").inputs.clusterIdentifier, `dev-${plan.recreateTrigger.slice(0, 12)}`);
    assert.ok("cluster.talos.version" in r.byName("dev-spec").inputs.recreateRequired, "the record groups talos.version as recreate-class");

    // Outputs.
    const o = r.stackOutputs;
    assert.equal(o.clusterName, "dev");
    assert.equal(o.endpoint, plan.endpoint);
    assert.deepEqual(o.nodes, [
      { name: "dev-control-plane-1", role: "control-plane", address: "10.5.0.2" },
      { name: "dev-worker-1", role: "worker", address: "10.5.0.3" },
    ]);
    assert.deepEqual(o.versions, {
      talos: "1.14.1",
      kubernetes: plan.versions.kubernetes,
      charts: { cni: "1.20.0", certManager: "v1.21.1", flux: "0.49.0" },
    });
    assert.deepEqual(Object.keys(o.renderedConfigs).sort(), ["controlplane", "worker"]);
    assert.match(o.renderedConfigs.controlplane, /\*\*\*redacted\*\*\*/);
    assert.deepEqual([...r.secretStackOutputs].sort(), ["kubeconfig", "talosconfig"]);

    // Secret scan: no key, token or credential in any non-secret input, output or trigger.
    const bundle = (await secretsOutputs("Talos")).talos as {
      cluster: { secret: string };
      secrets: { bootstrapToken: string; secretboxEncryptionSecret: string };
      trustdInfo: { token: string };
    };
    assertNoLeak(r, [
      KUBECONFIG_MARKER,
      TALOSCONFIG_MARKER,
      bundle.cluster.secret,
      bundle.secrets.bootstrapToken,
      bundle.secrets.secretboxEncryptionSecret,
      bundle.trustdInfo.token,
    ]);
  });

  test("secrets planted in a Talos patch reach no plain value: renderedConfigs (not secret) is redacted by allow-list", async () => {
    const planted = ["patch-Env-Secret-1", "patch-File-Secret-2", "patch-Header-Secret-3", "patch-Arg-Secret-4"];
    const r = await recordCluster({
      cluster: TALOS,
      args: {
        talosConfigPatches: {
          cluster: [
            {
              source: "talos/cluster/leaks.yaml",
              content: [
                "machine:",
                "  env:",
                `    API_TOKEN: ${planted[0]}`,
                "  files:",
                "    - path: /var/etc/app.conf",
                "      op: create",
                "      permissions: 0o644",
                `      content: "token=${planted[1]}"`,
                "cluster:",
                "  extraManifestHeaders:",
                `    Authorization: Bearer ${planted[2]}`,
                "  apiServer:",
                "    extraArgs:",
                `      oidc-client-secret: ${planted[3]}`,
              ].join("\n"),
            },
          ],
          controlPlanes: [],
          workers: [],
        },
      },
    });
    const o = r.stackOutputs as { renderedConfigs: Record<string, string> };
    assert.ok(!r.secretStackOutputs.includes("renderedConfigs"));
    for (const p of planted) {
      assert.ok(!o.renderedConfigs.controlplane.includes(p) && !o.renderedConfigs.worker.includes(p), `${p} in renderedConfigs`);
      assert.ok(!allPlainStrings(r).some((s) => s.includes(p)), `${p} in a plain value`);
    }
  });

  test("every child is named <name>-<suffix> after the resource name, even when the cluster name differs", async () => {
    const r = await recordCluster({ cluster: { distribution: "Talos" }, name: "edge", args: { name: "lab" } });
    for (const x of r.resources.slice(1)) assert.match(x.name, /^edge-/, x.name);
    assert.equal(r.byName("edge-infra-control-plane-1").inputs.name, "lab-control-plane-1");
    assert.equal(r.stackOutputs.clusterName, "lab");
  });

  test("preview: the same graph registers, rendered configs are unknown and nothing is created inside apply", async () => {
    const up = await recordCluster({ cluster: TALOS });
    const pv = await recordCluster({ cluster: TALOS, preview: true });
    assert.deepEqual(
      pv.resources.map((x) => x.name),
      up.resources.map((x) => x.name),
    );
    assert.equal(pv.byName("dev-machine-control-plane-1").inputs.config, UNKNOWN);
  });

  test("recreate-class change (talos.version): every infrastructure resource's replacementTrigger changes, and the Kubernetes provider is replaced", async () => {
    const a = await recordCluster({ cluster: TALOS });
    const next = { ...TALOS, talos: { version: "1.12.4" } };
    const b = await recordCluster({ cluster: next });
    const triggered = (r: Recording) => r.resources.filter((x) => x.options.replacementTrigger !== undefined).map((x) => x.name);
    assert.deepEqual(triggered(b), triggered(a));
    assert.ok(triggered(a).length >= 11);
    for (const n of triggered(a)) {
      assert.equal(a.byName(n).options.replacementTrigger, trigger(TALOS));
      assert.equal(b.byName(n).options.replacementTrigger, trigger(next), n);
    }
    assert.notEqual(trigger(TALOS), trigger(next));
    assert.notEqual(a.byName("dev-k8s").inputs.clusterIdentifier, b.byName("dev-k8s").inputs.clusterIdentifier);
    assert.notDeepEqual(a.byName("dev-spec").inputs.recreateRequired, b.byName("dev-spec").inputs.recreateRequired);
  });

  test("in-place component change (cert-manager values): only its release changes", async () => {
    const a = await recordCluster({ cluster: TALOS });
    const b = await recordCluster({ cluster: TALOS, args: { components: { certManager: { values: { replicaCount: 3 } } } } });
    assert.deepEqual(changes(a, b), ["~dev-cert-manager-release"]);
    assert.equal(b.byName("dev-cert-manager-release").inputs.values.replicaCount, 3);
  });

  test("in-place spec change (Kyverno on): the record and the new installer only; no node, machine or provider changes", async () => {
    const a = await recordCluster({ cluster: TALOS });
    const b = await recordCluster({ cluster: { ...TALOS, policyEngine: "Kyverno" } });
    const c = changes(a, b);
    assert.ok(c.includes("~dev-spec"));
    assert.ok(c.includes("+dev-kyverno"));
    // The destroy guard and the users' provider only gain the new installer in their dependsOn.
    for (const x of c.filter((n) => n !== "~dev-spec"))
      assert.match(x, /^\+dev-kyverno|^~dev-stable$|^~dev-destroy-guard$|^~dev-kubernetes$/, x);
    assert.deepEqual(b.byName("dev-kubernetes").inputs, a.byName("dev-kubernetes").inputs);
    assert.notDeepEqual(a.byName("dev-spec").inputs.inPlace, b.byName("dev-spec").inputs.inPlace);
    assert.deepEqual(a.byName("dev-spec").inputs.recreateRequired, b.byName("dev-spec").inputs.recreateRequired);
  });

  test("worker added: exactly one node (container + machine) added, every other node unchanged", async () => {
    const base = { ...TALOS, workers: 2 };
    const a = await recordCluster({ cluster: base });
    const b = await recordCluster({ cluster: { ...base, workers: 3 } });
    // The first gate only gains the new machine in its dependsOn (it waits for every node).
    assert.deepEqual(changes(a, b), ["~dev-spec", "~dev-api-ready", "~dev-destroy-guard", "+dev-infra-worker-3", "+dev-machine-worker-3"]);
    assert.deepEqual(b.byName("dev-api-ready").inputs, a.byName("dev-api-ready").inputs);
    assert.deepEqual(b.byName("dev-api-ready").options.dependsOn, [...a.byName("dev-api-ready").options.dependsOn, "dev-machine-worker-3"]);
  });

  test("protect: the spec record, the secrets and the network are protected; nodes stay removable", async () => {
    const r = await recordCluster({ cluster: TALOS, args: { protect: true } });
    for (const n of ["dev-spec", "dev-secrets", "dev-infra-network"]) assert.equal(r.byName(n).options.protect, true, n);
    for (const n of ["dev-infra-control-plane-1", "dev-infra-worker-1", "dev-machine-worker-1"])
      assert.notEqual(r.byName(n).options.protect, true, n);
    const off = await recordCluster({ cluster: TALOS });
    for (const x of off.resources) assert.notEqual(x.options.protect, true, x.name);
  });
});

describe("KSailCluster: K3s and Vanilla on Docker", () => {
  for (const distribution of ["K3s", "Vanilla"]) {
    test(`${distribution}: record, secrets, infrastructure, no Talos resources, gates and installers`, async () => {
      const cluster = { distribution, workers: 1, certManager: "Enabled" };
      const r = await recordCluster({ cluster });
      const nodeRes =
        distribution === "K3s"
          ? [
              ["dev-infra-control-plane-1-data", VOLUME],
              ["dev-infra-control-plane-1", CONTAINER],
              ["dev-infra-worker-1-data", VOLUME],
              ["dev-infra-worker-1", CONTAINER],
            ]
          : [
              ["dev-infra-control-plane-1", CONTAINER],
              ["dev-infra-worker-1", CONTAINER],
            ];
      assert.deepEqual(
        r.resources.map((x) => [x.name, x.type]),
        [
          ["dev", "ksail:index:KSailCluster"],
          ["dev-spec", CLUSTER_SPEC],
          ["dev-secrets", CLUSTER_SECRETS],
          ["dev-infra", "ksail:providers:DockerClusterInfra"],
          ["dev-infra-network", NETWORK],
          ...MIRROR_RES.map((n) => [n, n.endsWith("-cache") ? VOLUME : CONTAINER]),
          ...nodeRes,
          ["dev-api-ready", READINESS],
          ["dev-k8s", K8S_PROVIDER],
          // What the nodes used to install themselves is Kubernetes objects now: kindnet (Kind's CNI) in the CNI stage,
          // local-path storage and metrics-server (K3s's packaged ones are off) or the serving-cert approver (Kind).
          ...(distribution === "Vanilla"
            ? [
                ["dev-kindnet", "ksail:components:Kindnet"],
                ["dev-kindnet-objects", CONFIG_GROUP],
              ]
            : []),
          ["dev-cni-ready", READINESS],
          ["dev-local-path", "ksail:components:LocalPathProvisioner"],
          ["dev-local-path-objects", CONFIG_GROUP],
          ...(distribution === "K3s"
            ? [
                ["dev-metrics-server", "ksail:components:MetricsServer"],
                ["dev-metrics-server-release", HELM],
              ]
            : [
                ["dev-kubelet-csr-approver", "ksail:components:KubeletCsrApprover"],
                ["dev-kubelet-csr-approver-release", HELM],
              ]),
          ["dev-cert-manager", "ksail:components:CertManager"],
          ["dev-cert-manager-release", HELM],
          ["dev-kubernetes", K8S_PROVIDER],
          ["dev-destroy-guard", "pulumi-nodejs:dynamic/ksail:DestroyGuard"],
        ],
      );
      for (const x of r.resources.slice(1)) assert.ok(x.parent === "dev" || x.parent?.startsWith("dev-"), x.name);
      assert.deepEqual(r.byName("dev-api-ready").options.dependsOn, ["dev-infra"]);
      assert.deepEqual(r.byName("dev-k8s").options.dependsOn, ["dev-api-ready"]);
      assert.equal(r.byName("dev-secrets").inputs.distribution, distribution);
      for (const x of r.byType(CONTAINER)) assert.equal(x.options.replacementTrigger, trigger(cluster), x.name);
      assert.equal(r.stackOutputs.talosconfig ?? undefined, undefined);
      assert.deepEqual(r.stackOutputs.renderedConfigs, {});
      const pki = (await secretsOutputs(distribution))[distribution === "K3s" ? "k3s" : "kubeadm"] as Record<string, any>;
      const keys = distribution === "K3s" ? [pki.serverCa.key, pki.token] : [pki.ca.key, pki.bootstrapToken];
      assertNoLeak(r, [KUBECONFIG_MARKER, ...keys]);
    });
  }

  test("K3s worker added: one volume and one container added, nothing else but the record changes", async () => {
    const a = await recordCluster({ cluster: { distribution: "K3s", workers: 1 } });
    const b = await recordCluster({ cluster: { distribution: "K3s", workers: 2 } });
    // metrics-server turns highly available from 3 nodes (a Helm upgrade, in place).
    assert.deepEqual(changes(a, b), ["~dev-spec", "~dev-metrics-server-release", "+dev-infra-worker-2-data", "+dev-infra-worker-2"]);
  });

  // KSail's support matrix: in place on Vanilla (CNI, metrics-server) and K3s (CSI, metrics-server). The whole
  // KSailCluster graph: the spec record and the installers change, no node container, volume or network does.
  for (const [distribution, change, expected] of [
    ["Vanilla", { cni: "Cilium" }, ["~dev-spec", "-dev-kindnet", "-dev-kindnet-objects", "+dev-cilium"]],
    ["Vanilla", { metricsServer: "Enabled" }, ["~dev-spec", "+dev-metrics-server", "+dev-metrics-server-release"]],
    ["K3s", { csi: "Disabled" }, ["~dev-spec", "-dev-local-path", "-dev-local-path-objects"]],
    ["K3s", { metricsServer: "Disabled" }, ["~dev-spec", "-dev-metrics-server", "-dev-metrics-server-release"]],
  ] as const) {
    test(`${distribution} ${JSON.stringify(change)} is in place: no node container changes`, async () => {
      const a = await recordCluster({ cluster: { distribution, workers: 1 } });
      const b = await recordCluster({ cluster: { distribution, workers: 1, ...change } });
      const changed = changes(a, b);
      for (const e of expected) assert.ok(changed.includes(e), `${e} in ${changed.join(", ")}`);
      for (const c of changed) assert.ok(!/^[~+-]dev-infra/.test(c) && !c.includes("-secrets"), `${c}: infrastructure must not change`);
      for (const x of a.byType(CONTAINER)) assert.deepEqual(snapshot(b.byName(x.name)), snapshot(x), x.name);
    });
  }

  test("Vanilla worker added is recreate-class (Kind cannot join nodes later): every node's trigger changes", async () => {
    const a = await recordCluster({ cluster: { distribution: "Vanilla", workers: 1 } });
    const b = await recordCluster({ cluster: { distribution: "Vanilla", workers: 2 } });
    for (const x of a.byType(CONTAINER)) assert.notEqual(b.byName(x.name).options.replacementTrigger, x.options.replacementTrigger, x.name);
    assert.ok(changes(a, b).includes("+dev-infra-worker-2"));
  });
});

describe("KSailCluster: validation", () => {
  test("an invalid spec fails with a KsailError naming the field", async () => {
    await assert.rejects(
      recordCluster({ cluster: { distribution: "Talos", workers: "two" } }),
      (e: unknown) => isKsailError(e) && /spec\.cluster\.workers/.test((e as Error).message),
    );
  });
});
