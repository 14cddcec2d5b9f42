import { describe, test } from "node:test";
import * as assert from "node:assert/strict";
import {
  classify,
  comboOf,
  engineDiff,
  formatJson,
  formatText,
  groupByClass,
  recreateTrigger,
  redactSpec,
  summarize,
  type Combo,
  type ImpactClass,
} from "../../sdk/impact";
import { UNKNOWN } from "../../sdk/impact/unknown";
import { isKsailError } from "../../sdk/errors";
import { effective, parseClusterDocument, redactRegistry } from "../../sdk/config";

/** A minimal spec of one combination (zod defaults are not needed: absent fields take KSail's defaults). */
function spec(
  combo: Combo,
  cluster: Record<string, unknown> = {},
  hetzner: Record<string, unknown> = {},
  workload: Record<string, unknown> = {},
) {
  const [distribution, provider] = combo.split("/");
  return { cluster: { distribution, provider, ...cluster }, provider: { hetzner }, workload };
}

const VD: Combo = "Vanilla/Docker";
const KD: Combo = "K3s/Docker";
const TD: Combo = "Talos/Docker";
const TH: Combo = "Talos/Hetzner";
const ALL = [VD, KD, TD, TH];

type Expect = ImpactClass | null; // null: no change reported

/** Changes reported between two specs as "field=category" strings. */
function got(a: unknown, b: unknown): string[] {
  const s = classify(a, b);
  return [...s.inPlaceChanges, ...s.rebootRequired, ...s.rollingRecreate, ...s.recreateRequired]
    .map((c) => `${c.field}=${c.category}`)
    .sort();
}

interface Case {
  name: string;
  combo: Combo;
  old?: Record<string, unknown>;
  new: Record<string, unknown>;
  oldH?: Record<string, unknown>;
  newH?: Record<string, unknown>;
  oldW?: Record<string, unknown>;
  newW?: Record<string, unknown>;
  expect: Record<string, Expect>;
}

/**
 * One field changed per combination, with the class the rules demand (written out here, not read
 * from the table, so the table is checked against the rules).
 */
const PER_FIELD: [string, Record<string, unknown>, Record<string, unknown>, [Expect, Expect, Expect, Expect]][] = [
  // field, old cluster fields, new cluster fields, expected per VD, KD, TD, TH
  // Turning the built-in CNI off is node configuration on K3s (server flags) and Talos (machine config); on Kind it is
  // kindnet's Kubernetes objects, managed from Pulumi (KSail's matrix: CNI in place on Vanilla).
  ["cluster.cni", {}, { cni: "Cilium" }, ["in-place", "recreate-required", "reboot-required", "reboot-required"]],
  ["cluster.cni", { cni: "Calico" }, {}, ["in-place", "recreate-required", "reboot-required", "reboot-required"]],
  ["cluster.cni", { cni: "Cilium" }, { cni: "Calico" }, ["in-place", "in-place", "in-place", "in-place"]],
  // K3s starts with its packaged local-storage and metrics-server off (both installed from Pulumi), Kind nodes always
  // request kubelet serving certificates: in place everywhere (KSail's matrix). servicelb stays a K3s server flag.
  ["cluster.csi", { csi: "Enabled" }, { csi: "Disabled" }, ["in-place", "in-place", "in-place", "in-place"]],
  ["cluster.metricsServer", { metricsServer: "Disabled" }, { metricsServer: "Enabled" }, ["in-place", "in-place", "in-place", "in-place"]],
  [
    "cluster.loadBalancer",
    { loadBalancer: "Disabled" },
    { loadBalancer: "Enabled" },
    ["in-place", "rolling-recreate", "in-place", "in-place"],
  ],
  ["cluster.certManager", {}, { certManager: "Enabled" }, ["in-place", "in-place", "in-place", "in-place"]],
  ["cluster.policyEngine", {}, { policyEngine: "Kyverno" }, ["in-place", "in-place", "in-place", "in-place"]],
  ["cluster.policyEngine", { policyEngine: "Kyverno" }, { policyEngine: "Gatekeeper" }, ["in-place", "in-place", "in-place", "in-place"]],
  [
    "cluster.gitOpsEngine",
    { localRegistry: { registry: "ghcr.io/acme" } },
    { gitOpsEngine: "Flux", localRegistry: { registry: "ghcr.io/acme" } },
    ["in-place", "in-place", "in-place", "in-place"],
  ],
  ["cluster.gitOpsEngine", { gitOpsEngine: "Flux" }, { gitOpsEngine: "ArgoCD" }, ["in-place", "in-place", "in-place", "in-place"]],
  [
    "cluster.gitOpsEngine",
    { gitOpsEngine: "ArgoCD", localRegistry: { registry: "ghcr.io/acme" } },
    { gitOpsEngine: "None", localRegistry: { registry: "ghcr.io/acme" } },
    ["in-place", "in-place", "in-place", "in-place"],
  ],
  ["cluster.cdi", { cdi: "Disabled" }, { cdi: "Enabled" }, ["recreate-required", null, "reboot-required", "reboot-required"]],
  [
    "cluster.imageVerification",
    {},
    { imageVerification: "Enabled" },
    ["recreate-required", "recreate-required", "reboot-required", "reboot-required"],
  ],
  ["cluster.controlPlanes", {}, { controlPlanes: 3 }, ["recreate-required", "recreate-required", "in-place", "in-place"]],
  ["cluster.controlPlanes", { controlPlanes: 3 }, { controlPlanes: 1 }, ["recreate-required", "recreate-required", "in-place", "in-place"]],
  ["cluster.workers", {}, { workers: 2 }, ["recreate-required", "in-place", "in-place", "in-place"]],
  ["cluster.workers", { workers: 2 }, { workers: 0 }, ["recreate-required", "in-place", "in-place", "in-place"]],
  [
    "cluster.kubernetesVersion",
    { kubernetesVersion: "v1.34.0" },
    { kubernetesVersion: "v1.35.1" },
    ["recreate-required", "recreate-required", "in-place", "in-place"],
  ],
  ["cluster.kubernetesVersion", {}, { kubernetesVersion: "1.35.1" }, ["recreate-required", "recreate-required", "in-place", "in-place"]],
  [
    "cluster.talos.version",
    { talos: { version: "v1.12.0" } },
    { talos: { version: "v1.12.4" } },
    [null, null, "recreate-required", "reboot-required"],
  ],
  ["cluster.talos.iso", { talos: { iso: 1 } }, { talos: { iso: 2 } }, [null, null, null, "in-place"]],
  ["cluster.talos.schematicId", {}, { talos: { schematicId: "abc" } }, [null, null, null, "reboot-required"]],
  ["cluster.talos.extensions", {}, { talos: { extensions: ["siderolabs/gvisor"] } }, [null, null, null, "reboot-required"]],
  [
    "cluster.talos.extraPortMappings",
    {},
    { talos: { extraPortMappings: [{ containerPort: 80, hostPort: 8080, protocol: "TCP" }] } },
    [null, null, "recreate-required", null],
  ],
  ["cluster.talos.drainTimeout", {}, { talos: { drainTimeout: "5m" } }, [null, null, "in-place", "in-place"]],
  ["cluster.talos.storageHealthTimeout", {}, { talos: { storageHealthTimeout: "1m" } }, [null, null, "in-place", "in-place"]],
  [
    "cluster.localRegistry.registry",
    { localRegistry: { registry: "localhost:5050" } },
    { localRegistry: { registry: "localhost:5051" } },
    ["recreate-required", "in-place", "in-place", "in-place"],
  ],
  [
    "cluster.localRegistry.registry",
    {},
    { localRegistry: { registry: "ghcr.io/acme" } },
    ["recreate-required", "in-place", "in-place", "in-place"],
  ],
  [
    "cluster.localRegistry.registry",
    { localRegistry: { registry: "ghcr.io/acme" } },
    {},
    ["recreate-required", "in-place", "in-place", "in-place"],
  ],
  [
    "cluster.localRegistry.credentials",
    {},
    { localRegistry: { credentials: { tokenEnvVar: "GH_TOKEN" } } },
    ["recreate-required", "in-place", "in-place", "in-place"],
  ],
  ["cluster.vanilla.mirrorsDir", {}, { vanilla: { mirrorsDir: "mirrors" } }, ["recreate-required", null, null, null]],
  [
    "cluster.oidc",
    {},
    { oidc: { issuerURL: "https://id.example.com", clientID: "k8s" } },
    ["recreate-required", "recreate-required", "in-place", "in-place"],
  ],
  ["cluster.sops", {}, { sops: { enabled: "Enabled" } }, ["in-place", "in-place", "in-place", "in-place"]],
  [
    "cluster.autoscaler.pod.horizontal",
    {},
    { autoscaler: { pod: { horizontal: "Enabled" } } },
    ["in-place", "in-place", "in-place", "in-place"],
  ],
  [
    "cluster.autoscaler.pod.vertical",
    {},
    { autoscaler: { pod: { vertical: "Enabled" } } },
    ["in-place", "in-place", "in-place", "in-place"],
  ],
  [
    "cluster.autoscaler.node.enabled",
    {},
    { autoscaler: { node: { enabled: "Enabled" } } },
    ["in-place", "in-place", "in-place", "in-place"],
  ],
  [
    "cluster.autoscaler.node.maxNodesTotal",
    { autoscaler: { node: { enabled: "Enabled" } } },
    { autoscaler: { node: { enabled: "Enabled", maxNodesTotal: 9 } } },
    ["in-place", "in-place", "in-place", "in-place"],
  ],
  [
    "cluster.autoscaler.node.expander",
    { autoscaler: { node: { enabled: "Enabled" } } },
    { autoscaler: { node: { enabled: "Enabled", expander: ["LeastNodes", "Random"] } } },
    ["in-place", "in-place", "in-place", "in-place"],
  ],
  [
    "cluster.autoscaler.node.scaleDownUnneededTime",
    { autoscaler: { node: { enabled: "Enabled" } } },
    { autoscaler: { node: { enabled: "Enabled", scaleDownUnneededTime: "10m" } } },
    ["in-place", "in-place", "in-place", "in-place"],
  ],
  [
    "cluster.autoscaler.node.scaleDownUtilizationThreshold",
    { autoscaler: { node: { enabled: "Enabled" } } },
    { autoscaler: { node: { enabled: "Enabled", scaleDownUtilizationThreshold: "0.6" } } },
    ["in-place", "in-place", "in-place", "in-place"],
  ],
  [
    "cluster.autoscaler.node.capacityBuffers",
    { autoscaler: { node: { enabled: "Enabled" } } },
    { autoscaler: { node: { enabled: "Enabled", capacityBuffers: true } } },
    ["in-place", "in-place", "in-place", "in-place"],
  ],
  [
    "cluster.autoscaler.node.ignoreDaemonsetsUtilization",
    { autoscaler: { node: { enabled: "Enabled" } } },
    { autoscaler: { node: { enabled: "Enabled", ignoreDaemonsetsUtilization: true } } },
    ["in-place", "in-place", "in-place", "in-place"],
  ],
  [
    "cluster.autoscaler.node.skipNodesWithLocalStorage",
    { autoscaler: { node: { enabled: "Enabled" } } },
    { autoscaler: { node: { enabled: "Enabled", skipNodesWithLocalStorage: false } } },
    ["in-place", "in-place", "in-place", "in-place"],
  ],
  [
    "cluster.autoscaler.node.skipNodesWithSystemPods",
    { autoscaler: { node: { enabled: "Enabled" } } },
    { autoscaler: { node: { enabled: "Enabled", skipNodesWithSystemPods: false } } },
    ["in-place", "in-place", "in-place", "in-place"],
  ],
];

describe("impact table: one field changed, per distribution × provider", () => {
  for (const [field, o, n, expected] of PER_FIELD) {
    ALL.forEach((combo, i) => {
      const want = expected[i];
      test(`${combo} ${field} ${JSON.stringify(o)} → ${JSON.stringify(n)} is ${want ?? "not compared"}`, () => {
        assert.deepEqual(got(spec(combo, o), spec(combo, n)), want === null ? [] : [`${field}=${want}`]);
      });
    });
  }
});

const HETZNER_CASES: Case[] = [
  {
    name: "location (the floating-IP location follows it)",
    combo: TH,
    new: {},
    oldH: { floatingIPEnabled: true },
    newH: { location: "nbg1", floatingIPEnabled: true },
    expect: { "provider.hetzner.location": "recreate-required", "provider.hetzner.floatingIPLocation": "in-place" },
  },
  {
    name: "location with a pinned floating-IP location",
    combo: TH,
    new: {},
    oldH: { floatingIPLocation: "fsn1" },
    newH: { location: "nbg1", floatingIPLocation: "fsn1" },
    expect: { "provider.hetzner.location": "recreate-required" },
  },
  { name: "location default fsn1 equals explicit fsn1", combo: TH, new: {}, newH: { location: "fsn1" }, expect: {} },
  {
    name: "network name",
    combo: TH,
    new: {},
    newH: { networkName: "other" },
    expect: { "provider.hetzner.networkName": "recreate-required" },
  },
  {
    name: "network CIDR",
    combo: TH,
    new: {},
    newH: { networkCidr: "10.1.0.0/16" },
    expect: { "provider.hetzner.networkCidr": "recreate-required" },
  },
  {
    name: "SSH key (new servers only)",
    combo: TH,
    new: {},
    newH: { sshKeyName: "ops" },
    expect: { "provider.hetzner.sshKeyName": "in-place" },
  },
  {
    name: "CP server type with control planes: resize one at a time",
    combo: TH,
    old: { controlPlanes: 3 },
    new: { controlPlanes: 3 },
    newH: { controlPlaneServerType: "cx33" },
    expect: { "provider.hetzner.controlPlaneServerType": "reboot-required" },
  },
  {
    name: "CP server type with one control plane: still a resize, never recreate",
    combo: TH,
    new: {},
    newH: { controlPlaneServerType: "cx33" },
    expect: { "provider.hetzner.controlPlaneServerType": "reboot-required" },
  },
  {
    name: "worker server type with workers",
    combo: TH,
    old: { workers: 2 },
    new: { workers: 2 },
    newH: { workerServerType: "cx33" },
    expect: { "provider.hetzner.workerServerType": "reboot-required" },
  },
  {
    name: "worker server type without workers",
    combo: TH,
    new: {},
    newH: { workerServerType: "cx33" },
    expect: { "provider.hetzner.workerServerType": "in-place" },
  },
  {
    name: "worker server type while adding the first workers",
    combo: TH,
    new: { workers: 2 },
    newH: { workerServerType: "cx33" },
    expect: { "provider.hetzner.workerServerType": "in-place", "cluster.workers": "in-place" },
  },
  {
    name: "worker server type while removing all workers",
    combo: TH,
    old: { workers: 2 },
    new: { workers: 0 },
    newH: { workerServerType: "cx33" },
    expect: { "provider.hetzner.workerServerType": "in-place", "cluster.workers": "in-place" },
  },
  {
    name: "server type compare is exact (default cx23 ≡ explicit cx23)",
    combo: TH,
    new: {},
    newH: { controlPlaneServerType: "cx23", workerServerType: "cx23" },
    expect: {},
  },
  {
    name: "ingress firewall",
    combo: TH,
    new: {},
    newH: { ingressFirewall: "Disabled" },
    expect: { "provider.hetzner.ingressFirewall": "in-place" },
  },
  {
    name: "allowed CIDRs are a set",
    combo: TH,
    oldH: { allowedCidrs: ["1.2.3.0/24", "10.0.0.0/8"] },
    new: {},
    newH: { allowedCidrs: ["10.0.0.0/8", "1.2.3.0/24"] },
    expect: {},
  },
  {
    name: "allowed CIDRs changed",
    combo: TH,
    new: {},
    newH: { allowedCidrs: ["1.2.3.0/24"] },
    expect: { "provider.hetzner.allowedCidrs": "in-place" },
  },
  {
    name: "placement group strategy",
    combo: TH,
    new: {},
    newH: { placementGroupStrategy: "None" },
    expect: { "provider.hetzner.placementGroupStrategy": "recreate-required" },
  },
  {
    name: "placement group name",
    combo: TH,
    new: {},
    newH: { placementGroup: "pg" },
    expect: { "provider.hetzner.placementGroup": "recreate-required" },
  },
  {
    name: "fallback locations",
    combo: TH,
    new: {},
    newH: { fallbackLocations: ["hel1"] },
    expect: { "provider.hetzner.fallbackLocations": "in-place" },
  },
  {
    name: "placement fallback to none",
    combo: TH,
    new: {},
    newH: { placementGroupFallbackToNone: true },
    expect: { "provider.hetzner.placementGroupFallbackToNone": "in-place" },
  },
  {
    name: "floating IP enabled",
    combo: TH,
    new: {},
    newH: { floatingIPEnabled: true },
    expect: { "provider.hetzner.floatingIPEnabled": "in-place" },
  },
  {
    name: "floating IP location",
    combo: TH,
    new: {},
    oldH: { floatingIPEnabled: true },
    newH: { floatingIPEnabled: true, floatingIPLocation: "nbg1" },
    expect: { "provider.hetzner.floatingIPLocation": "in-place" },
  },
  {
    name: "worker public IPv4 off",
    combo: TH,
    new: {},
    newH: { workerPublicIPv4: false },
    expect: { "provider.hetzner.workerPublicIPv4": "reboot-required" },
  },
  {
    name: "control-plane public IPv6 off",
    combo: TH,
    new: {},
    newH: { controlPlanePublicIPv6: false },
    expect: { "provider.hetzner.controlPlanePublicIPv6": "reboot-required" },
  },
  { name: "token env var is never compared", combo: TH, new: {}, newH: { tokenEnvVar: "OTHER" }, expect: {} },
  { name: "server limit is never compared", combo: TH, new: {}, newH: { serverLimit: 20 }, expect: {} },
  {
    name: "Hetzner fields mean nothing on Docker",
    combo: TD,
    new: {},
    newH: { location: "nbg1", networkCidr: "10.9.0.0/16", controlPlaneServerType: "cx53" },
    expect: {},
  },
  { name: "Hetzner fields mean nothing on Kind", combo: VD, new: {}, newH: { location: "nbg1" }, expect: {} },
];

const CROSS_CASES: Case[] = [
  { name: "no change at all", combo: TH, old: { controlPlanes: 3 }, new: { controlPlanes: 3 }, expect: {} },
  { name: "no change (Kind)", combo: VD, new: {}, expect: {} },
  {
    name: "distribution change follows NEW (Vanilla → Talos)",
    combo: TD,
    old: { distribution: "Vanilla" },
    new: {},
    expect: { "cluster.distribution": "recreate-required" },
  },
  {
    name: "distribution change (Talos → K3s)",
    combo: KD,
    old: { distribution: "Talos" },
    new: {},
    expect: { "cluster.distribution": "recreate-required" },
  },
  {
    name: "provider change (Docker → Hetzner)",
    combo: TH,
    old: { provider: "Docker" },
    new: {},
    expect: { "cluster.provider": "recreate-required" },
  },
  // effective values: Default is resolved before comparing
  {
    name: "Vanilla metricsServer Default → Enabled shows Disabled → Enabled",
    combo: VD,
    new: { metricsServer: "Enabled" },
    expect: { "cluster.metricsServer": "in-place" },
  },
  { name: "K3s metricsServer Default → Enabled is no change (K3s ships it)", combo: KD, new: { metricsServer: "Enabled" }, expect: {} },
  { name: "K3s csi Default → Enabled is no change", combo: KD, new: { csi: "Enabled" }, expect: {} },
  {
    name: "K3s loadBalancer Default → Disabled is a change",
    combo: KD,
    new: { loadBalancer: "Disabled" },
    expect: { "cluster.loadBalancer": "rolling-recreate" },
  },
  { name: "Talos/Hetzner csi Default → Enabled is no change", combo: TH, new: { csi: "Enabled" }, expect: {} },
  { name: "Talos/Docker csi Default → Enabled is a change", combo: TD, new: { csi: "Enabled" }, expect: { "cluster.csi": "in-place" } },
  { name: "Talos/Hetzner loadBalancer Default → Enabled is no change", combo: TH, new: { loadBalancer: "Enabled" }, expect: {} },
  {
    name: "Talos/Docker loadBalancer Default → Enabled is a change",
    combo: TD,
    new: { loadBalancer: "Enabled" },
    expect: { "cluster.loadBalancer": "in-place" },
  },
  { name: "Talos cdi Default → Enabled is no change (Talos ships CDI)", combo: TD, new: { cdi: "Enabled" }, expect: {} },
  { name: "Talos cdi Default → Disabled reboots", combo: TH, new: { cdi: "Disabled" }, expect: { "cluster.cdi": "reboot-required" } },
  { name: "Vanilla cdi Default → Disabled is no change", combo: VD, new: { cdi: "Disabled" }, expect: {} },
  { name: "Vanilla csi Default → Enabled is no change (Kind installs its storage)", combo: VD, new: { csi: "Enabled" }, expect: {} },
  {
    name: "Vanilla csi Default → Disabled is compared (KSail never diffs it)",
    combo: VD,
    new: { csi: "Disabled" },
    expect: { "cluster.csi": "in-place" },
  },
  { name: "boolean aliases: true ≡ Enabled", combo: VD, old: { metricsServer: true }, new: { metricsServer: "Enabled" }, expect: {} },
  {
    name: "kubernetesVersion v-prefix is normalised",
    combo: TD,
    old: { kubernetesVersion: "v1.35.0" },
    new: { kubernetesVersion: "1.35.0" },
    expect: {},
  },
  {
    name: "talos.version v-prefix is normalised",
    combo: TH,
    old: { talos: { version: "v1.12.4" } },
    new: { talos: { version: "1.12.4" } },
    expect: {},
  },
  {
    name: "unpinning the Kubernetes version is a change",
    combo: TD,
    old: { kubernetesVersion: "1.35.0" },
    new: {},
    expect: { "cluster.kubernetesVersion": "in-place" },
  },
  { name: "iso default 125127 ≡ unset", combo: TH, old: {}, new: { talos: { iso: 125127 } }, expect: {} },
  {
    name: "expander: empty list ≡ LeastWaste",
    combo: TH,
    old: { autoscaler: { node: { expander: [] } } },
    new: { autoscaler: { node: { expander: ["LeastWaste"] } } },
    expect: {},
  },
  {
    name: "expander: scalar ≡ list",
    combo: TH,
    old: { autoscaler: { node: { expander: "Price,Random" } } },
    new: { autoscaler: { node: { expander: ["Price", "Random"] } } },
    expect: {},
  },
  {
    name: "expander: order matters",
    combo: TH,
    old: { autoscaler: { node: { enabled: "Enabled", expander: ["Price", "Random"] } } },
    new: { autoscaler: { node: { enabled: "Enabled", expander: ["Random", "Price"] } } },
    expect: { "cluster.autoscaler.node.expander": "in-place" },
  },
  {
    name: "extensions are a set",
    combo: TH,
    old: { talos: { extensions: ["a", "b"] } },
    new: { talos: { extensions: ["b", "a"] } },
    expect: {},
  },
  {
    name: "OIDC defaults equal explicit defaults",
    combo: TH,
    old: {},
    new: { oidc: { usernameClaim: "email", extraScopes: [] } },
    expect: {},
  },
  {
    name: "never compared: connection, distributionConfig, importImages, talos.config",
    combo: TD,
    new: { connection: { kubeconfig: "/x", context: "c" }, distributionConfig: "other", importImages: "i.tar", talos: { config: "/tc" } },
    expect: {},
  },
  { name: "never compared: workload source directory", combo: TD, new: {}, newW: { sourceDirectory: "deploy" }, expect: {} },
  { name: "workload tag is in place", combo: TD, new: {}, newW: { tag: "v2" }, expect: { "workload.tag": "in-place" } },
  {
    name: "Flux distribution version is in place",
    combo: TH,
    new: {},
    newW: { flux: { distributionVersion: "2.5.x" } },
    expect: { "workload.flux": "in-place" },
  },
  {
    name: "Kind: several changes, recreate and in-place",
    combo: VD,
    old: { workers: 1 },
    new: { workers: 2, cni: "Cilium", vanilla: { mirrorsDir: "m" } },
    expect: {
      "cluster.workers": "recreate-required",
      "cluster.cni": "in-place",
      "cluster.vanilla.mirrorsDir": "recreate-required",
    },
  },
  {
    name: "Kind: Cilium → Calico is a Helm switch",
    combo: VD,
    old: { workers: 1, cni: "Cilium" },
    new: { workers: 1, cni: "Calico" },
    expect: { "cluster.cni": "in-place" },
  },
  {
    name: "K3s: servers recreate, agents in place",
    combo: KD,
    old: { controlPlanes: 1, workers: 1 },
    new: { controlPlanes: 3, workers: 3 },
    expect: { "cluster.controlPlanes": "recreate-required", "cluster.workers": "in-place" },
  },
  {
    name: "Talos/Docker: scale both roles in place",
    combo: TD,
    old: { controlPlanes: 1, workers: 1 },
    new: { controlPlanes: 3, workers: 0 },
    expect: { "cluster.controlPlanes": "in-place", "cluster.workers": "in-place" },
  },
  {
    name: "Talos/Hetzner: upgrade and scale",
    combo: TH,
    old: { talos: { version: "1.11.5" }, workers: 3 },
    new: { talos: { version: "1.12.4" }, workers: 5, kubernetesVersion: "1.35.0" },
    expect: { "cluster.talos.version": "reboot-required", "cluster.workers": "in-place", "cluster.kubernetesVersion": "in-place" },
  },
];

const POOL = { name: "p1", serverType: "cx33", location: "fsn1", min: 0, max: 3 };
const pools = (...p: Record<string, unknown>[]) => ({ autoscaler: { node: { enabled: "Enabled", pools: p } } });
const POOL_CASES: Case[] = [
  { name: "pool added", combo: TH, old: pools(), new: pools(POOL), expect: { "cluster.autoscaler.node.pools[p1]": "in-place" } },
  { name: "pool removed", combo: TH, old: pools(POOL), new: pools(), expect: { "cluster.autoscaler.node.pools[p1]": "in-place" } },
  {
    name: "pool max changed",
    combo: TH,
    old: pools(POOL),
    new: pools({ ...POOL, max: 5 }),
    expect: { "cluster.autoscaler.node.pools[p1].max": "in-place" },
  },
  {
    name: "pool min changed",
    combo: TH,
    old: pools(POOL),
    new: pools({ ...POOL, min: 1 }),
    expect: { "cluster.autoscaler.node.pools[p1].min": "in-place" },
  },
  {
    name: "pool server type changed",
    combo: TH,
    old: pools(POOL),
    new: pools({ ...POOL, serverType: "cx43" }),
    expect: { "cluster.autoscaler.node.pools[p1].serverType": "in-place" },
  },
  {
    name: "pool location changed",
    combo: TH,
    old: pools(POOL),
    new: pools({ ...POOL, location: "nbg1" }),
    expect: { "cluster.autoscaler.node.pools[p1].location": "in-place" },
  },
  {
    name: "pool labels changed",
    combo: TH,
    old: pools({ ...POOL, labels: { a: "1" } }),
    new: pools({ ...POOL, labels: { a: "2" } }),
    expect: { "cluster.autoscaler.node.pools[p1].labels": "in-place" },
  },
  {
    name: "pool labels reordered is no change",
    combo: TH,
    old: pools({ ...POOL, labels: { a: "1", b: "2" } }),
    new: pools({ ...POOL, labels: { b: "2", a: "1" } }),
    expect: {},
  },
  {
    name: "pool taints changed",
    combo: TH,
    old: pools({ ...POOL, taints: [{ key: "k", value: "v", effect: "NoSchedule" }] }),
    new: pools({ ...POOL, taints: [{ key: "k", value: "v", effect: "NoExecute" }] }),
    expect: { "cluster.autoscaler.node.pools[p1].taints": "in-place" },
  },
  {
    name: "pool taints reordered is no change",
    combo: TH,
    old: pools({
      ...POOL,
      taints: [
        { key: "a", effect: "NoSchedule" },
        { key: "b", effect: "NoSchedule" },
      ],
    }),
    new: pools({
      ...POOL,
      taints: [
        { key: "b", effect: "NoSchedule" },
        { key: "a", effect: "NoSchedule" },
      ],
    }),
    expect: {},
  },
  {
    name: "pools reordered is no change",
    combo: TH,
    old: pools(POOL, { ...POOL, name: "p2" }),
    new: pools({ ...POOL, name: "p2" }, POOL),
    expect: {},
  },
  { name: "duplicate pool names: first wins", combo: TH, old: pools(POOL), new: pools(POOL, { ...POOL, max: 9 }), expect: {} },
  {
    name: "pool renamed = one removed + one added",
    combo: TH,
    old: pools(POOL),
    new: pools({ ...POOL, name: "p9" }),
    expect: { "cluster.autoscaler.node.pools[p1]": "in-place", "cluster.autoscaler.node.pools[p9]": "in-place" },
  },
  {
    name: "pools on K3s/Docker are still compared (in place)",
    combo: KD,
    old: pools(),
    new: pools(POOL),
    expect: { "cluster.autoscaler.node.pools[p1]": "in-place", "cluster.autoscaler.node.enabled": null },
  },
];

describe("impact table: Hetzner, cross-field, effective values and pools", () => {
  for (const c of [...HETZNER_CASES, ...CROSS_CASES, ...POOL_CASES]) {
    test(`${c.combo}: ${c.name}`, () => {
      const a = spec(c.combo, c.old ?? {}, c.oldH ?? {}, c.oldW ?? {});
      const b = spec(c.combo, c.new, c.newH ?? c.oldH ?? {}, c.newW ?? c.oldW ?? {});
      const want = Object.entries(c.expect)
        .filter(([, v]) => v !== null)
        .map(([k, v]) => `${k}=${v}`)
        .sort();
      assert.deepEqual(got(a, b), want);
    });
  }
});

describe("change details", () => {
  test("effective values are displayed (Vanilla metricsServer Default → Enabled shows Disabled → Enabled)", () => {
    const s = classify(spec(VD), spec(VD, { metricsServer: "Enabled" }));
    assert.deepEqual(
      s.inPlaceChanges.map((c) => [c.field, c.oldValue, c.newValue]),
      [["cluster.metricsServer", "Disabled", "Enabled"]],
    );
  });

  test('pool add/remove values follow KSail ("" → Added, Removed → "")', () => {
    const added = classify(spec(TH, pools()), spec(TH, pools(POOL))).inPlaceChanges[0];
    assert.deepEqual([added.oldValue, added.newValue], ["", "Added"]);
    const removed = classify(spec(TH, pools(POOL)), spec(TH, pools())).inPlaceChanges[0];
    assert.deepEqual([removed.oldValue, removed.newValue], ["Removed", ""]);
    const labels = classify(spec(TH, pools({ ...POOL, labels: { b: "2", a: "1" } })), spec(TH, pools({ ...POOL, labels: { a: "1" } })))
      .inPlaceChanges[0];
    assert.deepEqual([labels.oldValue, labels.newValue], ["a=1,b=2", "a=1"]);
  });

  test("pool emission order: added (sorted), removed (sorted), then changed pools", () => {
    const a = spec(TH, pools({ ...POOL, name: "z" }, { ...POOL, name: "y" }, { ...POOL, name: "m" }));
    const b = spec(TH, pools({ ...POOL, name: "b" }, { ...POOL, name: "a" }, { ...POOL, name: "m", max: 7 }));
    assert.deepEqual(
      classify(a, b).inPlaceChanges.map((c) => c.field),
      ["[a]", "[b]", "[y]", "[z]", "[m].max"].map((s) => `cluster.autoscaler.node.pools${s}`),
    );
  });

  test("registry passwords are redacted in every value", () => {
    const s = classify(
      spec(KD, { localRegistry: { registry: "bob:s3cret@ghcr.io/acme" } }),
      spec(KD, { localRegistry: { registry: "bob:n3w@ghcr.io/other" } }),
    );
    const json = formatJson(s);
    assert.ok(!json.includes("s3cret") && !json.includes("n3w@"), json);
    assert.deepEqual([s.inPlaceChanges[0].oldValue, s.inPlaceChanges[0].newValue], ["bob:****@ghcr.io/acme", "bob:****@ghcr.io/other"]);
    assert.ok(!formatText(s).includes("s3cret"));
  });

  test("a password-only rotation is not a change (values are compared redacted)", () => {
    assert.deepEqual(
      got(spec(KD, { localRegistry: { registry: "u:a@h:5000" } }), spec(KD, { localRegistry: { registry: "u:b@h:5000" } })),
      [],
    );
  });

  test("redactRegistry follows KSail's rule", () => {
    assert.equal(redactRegistry("u:p@host:5000/path"), "u:****@host:5000/path");
    assert.equal(redactRegistry("u:@host"), "u:@host");
    assert.equal(redactRegistry("u@host"), "u@host");
    assert.equal(redactRegistry("localhost:5050"), "localhost:5050");
    assert.equal(redactRegistry("u:p:q@h"), "u:****@h");
  });

  test("redactSpec copies and redacts", () => {
    const s = spec(TD, { localRegistry: { registry: "u:p@h" } });
    const r = redactSpec(s);
    const reg = (x: unknown) => (x as { cluster: { localRegistry: { registry: string } } }).cluster.localRegistry.registry;
    assert.equal(reg(r), "u:****@h");
    assert.equal(reg(s), "u:p@h");
  });

  test("reasons name the resize decision for Hetzner server types", () => {
    const c = classify(spec(TH, { workers: 2 }), spec(TH, { workers: 2 }, { workerServerType: "cx43" })).rebootRequired[0];
    assert.match(c.reason, /resize.*keeping the disk/);
    assert.match(c.reason, /one at a time/);
  });

  test("requiresConfirmation and totalChanges", () => {
    const inPlace = classify(spec(TD, { cni: "Calico" }), spec(TD, { cni: "Cilium" }));
    assert.equal(inPlace.totalChanges, 1);
    assert.equal(inPlace.requiresConfirmation, false);
    const reboot = classify(spec(TH), spec(TH, { cdi: "Disabled", cni: "Calico" }));
    assert.equal(reboot.totalChanges, 2);
    assert.equal(reboot.requiresConfirmation, true);
  });

  test("preview unknowns count as 'may change' in their class", () => {
    const s = classify(spec(TH, { talos: { version: "1.12.0" } }), spec(TH, { talos: { version: UNKNOWN }, cni: UNKNOWN }));
    // An unknown CNI may turn the built-in one off: that part of the change reboots Talos nodes.
    assert.deepEqual(
      s.rebootRequired.map((c) => [c.field, c.newValue]),
      [
        ["cluster.talos.version", "(unknown until apply)"],
        ["cluster.cni", "(unknown until apply)"],
      ],
    );
    assert.deepEqual(s.inPlaceChanges, []);
    assert.match(s.rebootRequired[1].reason, /^may change.*cluster\.network\.cni/);
    const unknownNetwork = classify(spec(TH), spec(TH, {}, { networkName: UNKNOWN }));
    assert.deepEqual(
      unknownNetwork.recreateRequired.map((c) => c.field),
      ["provider.hetzner.networkName"],
    );
    const unknownPools = classify(spec(TH, pools(POOL)), spec(TH, { autoscaler: { node: { enabled: "Enabled", pools: UNKNOWN } } }));
    assert.deepEqual(
      unknownPools.inPlaceChanges.map((c) => c.field),
      ["cluster.autoscaler.node.pools"],
    );
  });

  test("unsupported combinations and unknown distribution are user errors", () => {
    assert.throws(
      () => classify(spec(VD), { cluster: { distribution: "Vanilla", provider: "Hetzner" } }),
      (e: unknown) => isKsailError(e) && /Vanilla\/Hetzner.*supported: Vanilla\/Docker/.test((e as Error).message),
    );
    assert.throws(
      () => comboOf({ cluster: { distribution: UNKNOWN } }),
      (e: unknown) => isKsailError(e),
    );
    assert.equal(comboOf({}), "Vanilla/Docker");
  });
});

describe("rolling-recreate plumbing", () => {
  test("summarize routes rolling-recreate changes, requires confirmation and keeps KSail's key order", () => {
    const s = summarize([
      { field: "x", oldValue: "a", newValue: "b", category: "rolling-recreate", reason: "r" },
      { field: "y", oldValue: "", newValue: "1", category: "in-place", reason: "r" },
    ]);
    assert.equal(s.rollingRecreate.length, 1);
    assert.equal(s.totalChanges, 2);
    assert.equal(s.requiresConfirmation, true);
    assert.deepEqual(Object.keys(JSON.parse(formatJson(s))), [
      "totalChanges",
      "inPlaceChanges",
      "rebootRequired",
      "recreateRequired",
      "rollingRecreate",
      "wipeRequired",
      "unknownBaseline",
      "requiresConfirmation",
    ]);
  });

  test("text table orders recreate → rolling → reboot → in-place", () => {
    const s = summarize([
      { field: "f.inplace", oldValue: "a", newValue: "b", category: "in-place", reason: "r" },
      { field: "f.reboot", oldValue: "a", newValue: "b", category: "reboot-required", reason: "r" },
      { field: "f.rolling", oldValue: "a", newValue: "b", category: "rolling-recreate", reason: "r" },
      { field: "f.recreate", oldValue: "a", newValue: "", category: "recreate-required", reason: "r" },
    ]);
    const text = formatText(s);
    const order = ["f.recreate", "f.rolling", "f.reboot", "f.inplace"].map((f) => text.indexOf(f));
    assert.ok(
      order.every((v, i) => v > 0 && (i === 0 || v > order[i - 1])),
      text,
    );
    assert.match(text, /Detected 4 configuration changes:/);
    assert.match(text, /🔴 f\.recreate +a +- +recreate-required/);
    assert.match(text, /🟠 f\.rolling/);
  });

  test("JSON: items keep KSail's key order and arrays are never null", () => {
    const s = classify(spec(TD, { cni: "Calico" }), spec(TD, { cni: "Cilium" }));
    const text = formatJson(s);
    assert.ok(text.endsWith("}\n"));
    const parsed = JSON.parse(text);
    assert.deepEqual(Object.keys(parsed.inPlaceChanges[0]), ["field", "oldValue", "newValue", "category", "reason"]);
    for (const k of ["rebootRequired", "recreateRequired", "rollingRecreate", "wipeRequired", "unknownBaseline"])
      assert.deepEqual(parsed[k], []);
    assert.equal(formatText(classify(spec(TD), spec(TD))), "🔍 Update impact\nNo changes detected\n");
  });
});

describe("recreate trigger and grouping", () => {
  test("recreateTrigger is stable and changes only with recreate-class values", () => {
    const base = spec(TH, { controlPlanes: 3, workers: 2 }, { location: "fsn1" });
    const h = recreateTrigger(base);
    assert.match(h, /^[0-9a-f]{64}$/);
    assert.equal(recreateTrigger(JSON.parse(JSON.stringify(base))), h);
    assert.equal(
      recreateTrigger(
        spec(TH, { controlPlanes: 5, workers: 1, cni: "Cilium", talos: { version: "1.12.4" } }, { workerServerType: "cx43" }),
      ),
      h,
    );
    assert.notEqual(recreateTrigger(spec(TH, { controlPlanes: 3 }, { location: "nbg1" })), h);
    assert.notEqual(recreateTrigger(spec(TH, {}, { networkCidr: "10.2.0.0/16" })), h);
    assert.notEqual(recreateTrigger(spec(TD)), h);
  });

  test("recreateTrigger per distribution: Kind node counts and Talos/Docker versions recreate", () => {
    assert.notEqual(recreateTrigger(spec(VD, { workers: 1 })), recreateTrigger(spec(VD, { workers: 2 })));
    assert.equal(recreateTrigger(spec(KD, { workers: 1 })), recreateTrigger(spec(KD, { workers: 2 })));
    assert.notEqual(recreateTrigger(spec(KD, { controlPlanes: 1 })), recreateTrigger(spec(KD, { controlPlanes: 3 })));
    assert.notEqual(
      recreateTrigger(spec(TD, { talos: { version: "1.12.0" } })),
      recreateTrigger(spec(TD, { talos: { version: "1.12.4" } })),
    );
    // The built-in CNI on or off recreates K3s (server flags); Kind's kindnet is Kubernetes objects, so it does not.
    assert.equal(recreateTrigger(spec(VD)), recreateTrigger(spec(VD, { cni: "Cilium" })));
    assert.notEqual(recreateTrigger(spec(KD)), recreateTrigger(spec(KD, { cni: "Calico" })));
    assert.equal(recreateTrigger(spec(VD, { cni: "Cilium" })), recreateTrigger(spec(VD, { cni: "Calico" })));
    assert.equal(recreateTrigger(spec(TD)), recreateTrigger(spec(TD, { cni: "Cilium" })));
    // metrics-server and CSI touch no node on Kind or K3s.
    assert.equal(recreateTrigger(spec(VD)), recreateTrigger(spec(VD, { metricsServer: "Enabled", csi: "Disabled" })));
    assert.equal(recreateTrigger(spec(KD)), recreateTrigger(spec(KD, { metricsServer: "Disabled", loadBalancer: "Disabled" })));
    assert.equal(recreateTrigger(spec(TH, { talos: { version: "1.12.0" } })), recreateTrigger(spec(TH, { talos: { version: "1.12.4" } })));
  });

  test("groupByClass puts each field in its class for the combination", () => {
    const g = groupByClass(spec(TH, { workers: 2, talos: { version: "1.12.4" } }));
    assert.equal(g.rebootRequired["cluster.talos.version"], "1.12.4");
    assert.equal(g.rebootRequired["provider.hetzner.workerServerType"], "cx23");
    assert.equal(g.recreateRequired["provider.hetzner.location"], "fsn1");
    assert.equal(g.inPlace["cluster.workers"], "2");
    assert.deepEqual(g.rollingRecreate, {});
    const noWorkers = groupByClass(spec(TH));
    assert.equal(noWorkers.inPlace["provider.hetzner.workerServerType"], "cx23");
    const kind = groupByClass(spec(VD, { workers: 1 }));
    assert.equal(kind.recreateRequired["cluster.workers"], "1");
    assert.equal(kind.inPlace["cluster.metricsServer"], "Disabled");
    assert.equal(kind.inPlace["cluster.cni"], "Default");
    assert.ok(!("cluster.cni#node" in kind.recreateRequired), "kindnet is Kubernetes objects, not node configuration");
    assert.equal(g.rebootRequired["cluster.cni#node"], "built-in");
    assert.equal(groupByClass(spec(KD)).inPlace["cluster.metricsServer"], "Enabled");
    assert.equal(groupByClass(spec(KD)).recreateRequired["cluster.cni#node"], "built-in");
    assert.ok(!("cluster.talos.version" in kind.rebootRequired) && !("cluster.talos.version" in kind.recreateRequired));
  });
});

describe("object-valued fields compare with their defaults", () => {
  test("sops: unset ≡ explicit defaults; a real change is in place", () => {
    assert.deepEqual(
      got(spec(TD), spec(TD, { sops: { enabled: "Default", ageKeyEnvVar: "SOPS_AGE_KEY", env: {}, extract: { publicKeys: [] } } })),
      [],
    );
    assert.deepEqual(got(spec(TD), spec(TD, { sops: { ageKeyEnvVar: "MY_KEY" } })), ["cluster.sops=in-place"]);
  });
  test("oidc: off unless issuerURL is set; claims default", () => {
    assert.deepEqual(got(spec(VD), spec(VD, { oidc: { clientID: "", usernameClaim: "email" } })), []);
    const on = { oidc: { issuerURL: "https://id.example.com", clientID: "k8s" } };
    assert.deepEqual(got(spec(TH, on), spec(TH, { oidc: { ...on.oidc, usernameClaim: "email", groupsPrefix: "oidc:" } })), []);
    assert.deepEqual(got(spec(TH, on), spec(TH, { oidc: { ...on.oidc, usernameClaim: "sub" } })), ["cluster.oidc=in-place"]);
  });
});

describe("effective defaults that depend on other fields", () => {
  test("GitOps engines imply the local registry localhost:5050 (Kind: recreate)", () => {
    assert.deepEqual(got(spec(VD), spec(VD, { gitOpsEngine: "Flux" })), [
      "cluster.gitOpsEngine=in-place",
      "cluster.localRegistry.registry=recreate-required",
    ]);
    assert.deepEqual(
      got(spec(TD, { gitOpsEngine: "Flux" }), spec(TD, { gitOpsEngine: "Flux", localRegistry: { registry: "localhost:5050" } })),
      [],
    );
  });
  test("floating-IP location defaults to the cluster location", () => {
    assert.deepEqual(got(spec(TH, {}, { location: "nbg1" }), spec(TH, {}, { location: "nbg1", floatingIPLocation: "nbg1" })), []);
  });
  test("fallback locations default to nbg1, hel1; drain timeout to 10m", () => {
    assert.deepEqual(got(spec(TH), spec(TH, { talos: { drainTimeout: "10m" } }, { fallbackLocations: ["nbg1", "hel1"] })), []);
  });
});

describe("engine decision per class", () => {
  const one = (category: ImpactClass) => summarize([{ field: "f", oldValue: "a", newValue: "b", category, reason: "r" }]);
  test("no change → same; in-place, reboot and rolling → update; recreate → delete-before-replace on recreateRequired", () => {
    assert.deepEqual(engineDiff(summarize([])), { changes: false });
    assert.deepEqual(engineDiff(one("in-place")), { changes: true });
    assert.deepEqual(engineDiff(one("reboot-required")), { changes: true });
    assert.deepEqual(engineDiff(one("rolling-recreate")), { changes: true });
    assert.deepEqual(engineDiff(one("recreate-required")), { changes: true, replaces: ["recreateRequired"], deleteBeforeReplace: true });
  });
});

describe("the table's defaults agree with the zod model's", () => {
  // A raw minimal spec and its parsed form (every zod default applied) must compare equal, or a stack
  // whose state came from one and whose program passes the other would show perpetual diffs.
  for (const combo of ALL) {
    test(`${combo}: raw minimal spec ≡ parsed spec`, () => {
      const raw = spec(combo);
      const parsed = parseClusterDocument({ apiVersion: "ksail.io/v1alpha1", kind: "Cluster", spec: raw }, { env: {} }).document.spec;
      assert.deepEqual(got(raw, parsed), []);
      assert.deepEqual(got(parsed, raw), []);
      assert.equal(recreateTrigger(raw), recreateTrigger(parsed));
      assert.deepEqual(groupByClass(raw), groupByClass(parsed));
    });
  }
  test("parsed specs with GitOps: the implied registry matches the spec's effective()", () => {
    const doc = parseClusterDocument(
      { apiVersion: "ksail.io/v1alpha1", kind: "Cluster", spec: spec(TD, { gitOpsEngine: "Flux" }) },
      { env: {} },
    ).document;
    const eff = effective(doc.spec, { name: "x" });
    assert.equal(groupByClass(doc.spec).inPlace["cluster.localRegistry.registry"], eff.cluster.localRegistry.registry);
    assert.deepEqual(got(doc.spec, eff), []);
  });
});

describe("Talos version downgrades on Hetzner are named as such (the newcomer review: diff said 'upgraded')", () => {
  const reasonOfChange = (a: string, b: string) => {
    const s = classify(spec(TH, { talos: { version: a } }), spec(TH, { talos: { version: b } }));
    return s.rebootRequired.find((c) => c.field === "cluster.talos.version")?.reason ?? "";
  };
  test("across minors: refused by every TalosMachine before anything changes, with what to do", () => {
    assert.match(reasonOfChange("1.12.4", "1.11.0"), /^a DOWNGRADE across Talos minors \(1\.12 to 1\.11\): every TalosMachine refuses it/);
  });
  test("within a minor: nodes install the older image one at a time; an upgrade keeps its reason", () => {
    assert.match(reasonOfChange("1.12.4", "1.12.1"), /^a DOWNGRADE within the minor/);
    assert.equal(reasonOfChange("1.12.1", "1.12.4"), "nodes are upgraded to the new Talos image and rebooted one at a time");
  });
});

describe("no noise rows in diff (the newcomer review, item 8)", () => {
  test("settings of a disabled feature are not changes: the floating IP's location while the floating IP is off", () => {
    assert.deepEqual(got(spec(TH, {}, { floatingIPLocation: "fsn1" }), spec(TH, {}, { floatingIPLocation: "nbg1" })), []);
    assert.deepEqual(
      got(
        spec(TH, {}, { floatingIPEnabled: true, floatingIPLocation: "fsn1" }),
        spec(TH, {}, { floatingIPEnabled: true, floatingIPLocation: "nbg1" }),
      ),
      ["provider.hetzner.floatingIPLocation=in-place"],
    );
    // Switched on together with a location: both rows, since the location now matters.
    assert.deepEqual(got(spec(TH), spec(TH, {}, { floatingIPEnabled: true, floatingIPLocation: "nbg1" })).sort(), [
      "provider.hetzner.floatingIPEnabled=in-place",
      "provider.hetzner.floatingIPLocation=in-place",
    ]);
  });

  test("node-autoscaler settings while it is off are not changes; unknown (preview) counts as on", () => {
    const off = (n: Record<string, unknown>) => spec(TH, { autoscaler: { node: { enabled: "Disabled", ...n } } });
    assert.deepEqual(got(off({ maxNodesTotal: 3, expander: ["Random"] }), off({ maxNodesTotal: 9, expander: ["LeastWaste"] })), []);
    const on = (n: Record<string, unknown>) => spec(TH, { autoscaler: { node: { enabled: "Enabled", ...n } } });
    assert.deepEqual(got(on({ maxNodesTotal: 3 }), on({ maxNodesTotal: 9 })), ["cluster.autoscaler.node.maxNodesTotal=in-place"]);
    const unknown = (n: Record<string, unknown>) => spec(TH, { autoscaler: { node: { enabled: UNKNOWN, ...n } } });
    assert.ok(got(unknown({ maxNodesTotal: 3 }), unknown({ maxNodesTotal: 9 })).includes("cluster.autoscaler.node.maxNodesTotal=in-place"));
  });

  test("another provider's fields on a cluster are never rows (Hetzner fields on Docker)", () => {
    for (const c of [VD, KD, TD])
      assert.deepEqual(
        got(spec(c, {}, { location: "fsn1", workerServerType: "cx33" }), spec(c, {}, { location: "nbg1", workerServerType: "cx43" })),
        [],
        c,
      );
  });

  test("beside a recreate, the reboot and rolling rows it makes moot are dropped; in-place rows stay", () => {
    const a = spec(TH, { controlPlanes: 1, talos: { version: "1.13.9" }, certManager: "Disabled" });
    const b = spec(
      TH,
      { controlPlanes: 1, talos: { version: "1.14.1" }, certManager: "Enabled" },
      { workerPublicIPv4: false, networkCidr: "10.1.0.0/16" },
    );
    const s = classify(a, b);
    assert.ok(s.recreateRequired.length > 0);
    assert.deepEqual(s.rebootRequired, []);
    assert.deepEqual(s.rollingRecreate, []);
    assert.deepEqual(
      s.inPlaceChanges.map((c) => c.field),
      ["cluster.certManager"],
    );
    // Without the recreate, the same reboot rows are shown.
    const c = classify(a, { ...b, provider: { hetzner: { workerPublicIPv4: false } } });
    assert.equal(c.recreateRequired.length, 0);
    assert.ok(c.rebootRequired.length + c.rollingRecreate.length > 0);
  });
});
