import { test, describe, before } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import {
  classifyMachineConfigChange,
  renderMachineConfigs,
  applyPatches,
  parseDocuments,
  stringifyDocuments,
  TalosRenderInput,
  ConfigChangeKind,
  V1ALPHA1_RULES,
  DOCUMENT_RULES,
  KNOWN_DOCUMENT_KINDS,
  unknownDocumentKinds,
} from "../../sdk/distributions/talos";
import { isKsailError } from "../../sdk/errors";
import type { TalosSecretsBundle } from "../../sdk/pki/types";
import { talosSecrets, otherTalosSecrets } from "../fixtures/talos/secrets";
import { TALOS_SCHEMA_DIR } from "../fixtures/talos/schema";

let secrets: TalosSecretsBundle;
let other: TalosSecretsBundle;
before(async () => {
  [secrets, other] = await Promise.all([talosSecrets(), otherTalosSecrets()]);
});

const base = (over: Partial<TalosRenderInput> = {}): TalosRenderInput => ({
  clusterName: "dev",
  endpoint: "https://10.5.0.2:6443",
  secrets,
  platform: "docker",
  workers: 1,
  ...over,
});

const cp = (minor: string, over: Partial<TalosRenderInput> = {}) =>
  renderMachineConfigs(base({ talosVersion: minor, ...over })).controlPlane;
const patch = (yaml: string, content: string) => stringifyDocuments(applyPatches(parseDocuments(yaml), [{ source: "case", content }]));

interface Case {
  name: string;
  /** Build old and new configs for a minor. */
  make: (minor: string) => [string, string];
  kind: ConfigChangeKind;
  /** A substring every case's reasons must contain (the changed path). */
  path?: string;
  minors?: string[];
}

const samePatch =
  (content: string) =>
  (m: string): [string, string] => {
    const old = cp(m);
    return [old, patch(old, content)];
  };
const renderPair =
  (a: Partial<TalosRenderInput>, b: Partial<TalosRenderInput>) =>
  (m: string): [string, string] => [cp(m, a), cp(m, b)];

const CASES: Case[] = [
  { name: "identical configs", make: (m) => [cp(m), cp(m)], kind: "none" },
  { name: "re-serialized but equal (key order)", make: (m) => [cp(m), stringifyDocuments(parseDocuments(cp(m)).reverse())], kind: "none" },
  // live
  { name: "debug toggle", make: samePatch("debug: true"), kind: "live", path: "debug" },
  { name: "machine.certSANs extra SAN", make: renderPair({}, { certSANs: ["dev.example.com"] }), kind: "live", path: "machine.certSANs" },
  {
    name: "kubelet extra arg",
    make: samePatch("machine:\n  kubelet:\n    extraArgs:\n      max-pods: '200'"),
    kind: "live",
    path: "machine.kubelet.extraArgs.max-pods",
  },
  {
    name: "metrics-server on (kubelet rotation + inline manifest)",
    make: renderPair({}, { metricsServer: true }),
    kind: "live",
    path: "cluster.inlineManifests",
  },
  { name: "node labels", make: samePatch("machine:\n  nodeLabels:\n    team: a"), kind: "live", path: "machine.nodeLabels.team" },
  {
    name: "node taints",
    make: samePatch("machine:\n  nodeTaints:\n    dedicated: db:NoSchedule"),
    kind: "live",
    path: "machine.nodeTaints",
  },
  { name: "node annotations", make: samePatch("machine:\n  nodeAnnotations:\n    a: b"), kind: "live", path: "machine.nodeAnnotations" },
  { name: "sysctls", make: samePatch("machine:\n  sysctls:\n    vm.max_map_count: '262144'"), kind: "live", path: "machine.sysctls" },
  {
    name: "kubePrism port",
    make: samePatch("machine:\n  features:\n    kubePrism:\n      port: 7446"),
    kind: "live",
    path: "machine.features.kubePrism.port",
  },
  {
    name: "hostDNS resolveMemberNames",
    make: samePatch("machine:\n  features:\n    hostDNS:\n      resolveMemberNames: true"),
    kind: "live",
    path: "machine.features.hostDNS",
  },
  {
    name: "Kubernetes version bump (images)",
    make: renderPair({ kubernetesVersion: "1.34.0" }, { kubernetesVersion: "1.34.1" }),
    kind: "live",
    path: "cluster.apiServer.image",
    minors: ["1.11", "1.12", "1.13"],
  },
  {
    name: "control-plane endpoint",
    make: renderPair({}, { endpoint: "https://10.5.0.100:6443" }),
    kind: "live",
    path: "cluster.controlPlane.endpoint",
  },
  {
    name: "allow scheduling on control planes (workers 1 → 0)",
    make: renderPair({ workers: 1 }, { workers: 0 }),
    kind: "live",
    path: "cluster.allowSchedulingOnControlPlanes",
  },
  {
    name: "Calico feature gates",
    make: (m) => [
      cp(m, { cni: "Cilium" }),
      patch(cp(m, { cni: "Cilium" }), "cluster:\n  apiServer:\n    extraArgs:\n      feature-gates: X=true"),
    ],
    kind: "live",
    path: "cluster.apiServer.extraArgs",
  },
  {
    name: "install image (used at upgrade only)",
    make: renderPair({ platform: "metal" }, { platform: "metal", install: { image: "factory.talos.dev/installer/x:v1" } }),
    kind: "live",
    path: "machine.install.image",
  },
  {
    name: "mirror endpoints change",
    make: renderPair(
      { mirrors: [{ host: "docker.io", endpoints: ["http://a:5000"] }] },
      { mirrors: [{ host: "docker.io", endpoints: ["http://b:5000"] }] },
    ),
    kind: "live",
    path: "docker.io",
  },
  {
    name: "mirror added",
    make: renderPair({}, { mirrors: [{ host: "ghcr.io", endpoints: ["http://dev-ghcr.io:5000"] }] }),
    kind: "live",
    path: "ghcr.io",
  },
  {
    name: "Hetzner VIP added",
    make: renderPair({ platform: "hetzner" }, { platform: "hetzner", hetzner: { vip: "203.0.113.5", apiToken: "t" } }),
    kind: "live",
  },
  {
    name: "NetworkRuleConfig document added",
    make: samePatch(
      "apiVersion: v1alpha1\nkind: NetworkRuleConfig\nname: r\nportSelector:\n  ports: [80]\n  protocol: tcp\ningress:\n  - subnet: 10.0.0.0/8",
    ),
    kind: "live",
    path: "NetworkRuleConfig/r",
  },
  // reboot
  {
    name: "CNI Default → Cilium (KSail: reboot)",
    make: renderPair({ cni: "Default" }, { cni: "Cilium" }),
    kind: "reboot",
    path: "cluster.network.cni",
  },
  {
    name: "diskQuotaSupport toggle",
    make: samePatch("machine:\n  features:\n    diskQuotaSupport: false"),
    kind: "reboot",
    path: "machine.features.diskQuotaSupport",
  },
  {
    name: "machine.files",
    make: samePatch("machine:\n  files:\n    - path: /var/etc/x\n      op: create\n      permissions: 0o644\n      content: hi"),
    kind: "reboot",
    path: "machine.files",
  },
  {
    name: "the CRI customization file before 1.14",
    make: samePatch("machine:\n  files:\n    - path: /etc/cri/conf.d/20-customization.part\n      op: create\n      content: '[plugins]'"),
    kind: "reboot",
    path: "machine.files",
    minors: ["1.11", "1.12", "1.13"],
  },
  { name: "udev rules", make: samePatch("machine:\n  udev:\n    rules: ['SUBSYSTEM==\"x\"']"), kind: "reboot", path: "machine.udev" },
  {
    name: "baseRuntimeSpecOverrides",
    make: samePatch("machine:\n  baseRuntimeSpecOverrides:\n    process:\n      rlimits: []"),
    kind: "reboot",
    path: "machine.baseRuntimeSpecOverrides",
    minors: ["1.11", "1.12", "1.13"],
  },
  {
    name: "unknown machine field defaults to reboot",
    make: samePatch("machine:\n  somethingNew: true"),
    kind: "reboot",
    path: "machine.somethingNew",
  },
  {
    name: "Talos 1.14: baseRuntimeSpecOverrides restart CRI by themselves (release notes: no reboot)",
    make: samePatch("machine:\n  baseRuntimeSpecOverrides:\n    process:\n      rlimits: []"),
    kind: "live",
    path: "machine.baseRuntimeSpecOverrides",
    minors: ["1.14"],
  },
  {
    name: "Talos 1.14: the CRI customization file restarts CRI by itself",
    make: samePatch("machine:\n  files:\n    - path: /etc/cri/conf.d/20-customization.part\n      op: create\n      content: '[plugins]'"),
    kind: "live",
    path: "machine.files",
    minors: ["1.14"],
  },
  {
    name: "Talos 1.14: RegistryAuthConfig (CRI restarts by itself)",
    make: renderPair(
      { mirrors: [{ host: "docker.io", endpoints: ["http://a:5000"] }] },
      { mirrors: [{ host: "docker.io", endpoints: ["http://a:5000"], auth: { username: "u", password: "p" } }] },
    ),
    kind: "live",
    path: "RegistryAuthConfig/docker.io",
    minors: ["1.14"],
  },
  {
    name: "registry auth (containerd needs reboot) in 1.11",
    make: renderPair(
      { mirrors: [{ host: "docker.io", endpoints: ["http://a:5000"] }] },
      { mirrors: [{ host: "docker.io", endpoints: ["http://a:5000"], auth: { username: "u", password: "p" } }] },
    ),
    kind: "reboot",
    path: "machine.registries.config.docker.io.auth",
    minors: ["1.11"],
  },
  {
    name: "RegistryAuthConfig document (≥ 1.12)",
    make: renderPair(
      { mirrors: [{ host: "docker.io", endpoints: ["http://a:5000"] }] },
      { mirrors: [{ host: "docker.io", endpoints: ["http://a:5000"], auth: { username: "u", password: "p" } }] },
    ),
    kind: "reboot",
    path: "RegistryAuthConfig/docker.io",
    minors: ["1.12", "1.13"],
  },
  {
    name: "ExtensionServiceConfig added",
    make: samePatch("apiVersion: v1alpha1\nkind: ExtensionServiceConfig\nname: tailscale\nenvironment: [A=b]"),
    kind: "reboot",
    path: "ExtensionServiceConfig/tailscale",
  },
  {
    name: "UserVolumeConfig added (a new volume is provisioned at boot)",
    make: samePatch(
      "apiVersion: v1alpha1\nkind: UserVolumeConfig\nname: data\nprovisioning:\n  diskSelector:\n    match: disk.size > 10u * GB",
    ),
    kind: "reboot",
    path: "UserVolumeConfig/data",
  },
  {
    name: "KubeSpanEndpointsConfig (the kind Talos registers; the schema names it KubeSpanEndpoints)",
    make: samePatch("apiVersion: v1alpha1\nkind: KubeSpanEndpointsConfig\nextraAnnouncedEndpoints: [192.0.2.1:51820]"),
    kind: "live",
    path: "KubeSpanEndpointsConfig",
  },
  {
    name: "ImageVerificationConfig (Talos 1.13+): rules reconciled live",
    make: samePatch("apiVersion: v1alpha1\nkind: ImageVerificationConfig\nrules:\n  - image: '*'\n    skip: true"),
    kind: "live",
    path: "ImageVerificationConfig",
    minors: ["1.13", "1.14"],
  },
  // wipe: formatted at boot, so the node is wiped and configured again
  {
    name: "VolumeConfig EPHEMERAL encryption added",
    make: samePatch(
      "apiVersion: v1alpha1\nkind: VolumeConfig\nname: EPHEMERAL\nencryption:\n  provider: luks2\n  keys:\n    - slot: 0\n      tpm: {}",
    ),
    kind: "wipe",
    path: "VolumeConfig/EPHEMERAL",
  },
  {
    name: "VolumeConfig provisioning changed",
    make: (m) => {
      const a = patch(cp(m), "apiVersion: v1alpha1\nkind: VolumeConfig\nname: EPHEMERAL\nprovisioning:\n  maxSize: 40GiB");
      return [a, patch(cp(m), "apiVersion: v1alpha1\nkind: VolumeConfig\nname: EPHEMERAL\nprovisioning:\n  maxSize: 80GiB")];
    },
    kind: "wipe",
    path: "VolumeConfig/EPHEMERAL.provisioning.maxSize",
  },
  {
    name: "UserVolumeConfig encryption changed",
    make: (m) => {
      const u = (p: string) =>
        patch(
          cp(m),
          `apiVersion: v1alpha1\nkind: UserVolumeConfig\nname: data\nprovisioning:\n  diskSelector:\n    match: disk.size > 10u * GB\nencryption:\n  provider: ${p}\n  keys:\n    - slot: 0\n      tpm: {}`,
        );
      return [u("luks2"), u("luks2x")];
    },
    kind: "wipe",
    path: "UserVolumeConfig/data.encryption.provider",
  },
  // reinstall: only a reinstall moves the system
  {
    name: "install disk",
    make: renderPair({ platform: "metal", install: { disk: "/dev/sda" } }, { platform: "metal", install: { disk: "/dev/nvme0n1" } }),
    kind: "reinstall",
    path: "machine.install.disk",
  },
  // immutable
  { name: "machine.type", make: samePatch("machine:\n  type: worker"), kind: "immutable", path: "machine.type" },
  { name: "pod subnets", make: renderPair({}, { podSubnets: ["10.100.0.0/16"] }), kind: "immutable", path: "cluster.network.podSubnets" },
  {
    name: "service subnets",
    make: renderPair({}, { serviceSubnets: ["10.200.0.0/16"] }),
    kind: "immutable",
    path: "cluster.network.serviceSubnets",
  },
  { name: "DNS domain", make: renderPair({}, { dnsDomain: "corp.local" }), kind: "immutable", path: "cluster.network.dnsDomain" },
  { name: "cluster name", make: renderPair({}, { clusterName: "prod" }), kind: "immutable", path: "cluster.clusterName" },
  {
    name: "new identity (secrets bundle swapped)",
    make: (m) => [cp(m), renderMachineConfigs(base({ talosVersion: m, secrets: other })).controlPlane],
    kind: "immutable",
    path: "cluster.secret",
  },
  {
    name: "system disk encryption",
    make: samePatch("machine:\n  systemDiskEncryption:\n    ephemeral:\n      provider: luks2"),
    kind: "wipe",
    path: "machine.systemDiskEncryption",
  },
  {
    name: "immutable beats live in one change",
    make: renderPair({}, { podSubnets: ["10.100.0.0/16"], metricsServer: true }),
    kind: "immutable",
    path: "cluster.inlineManifests",
  },
];

describe("Talos classifier: table-driven", () => {
  for (const minor of ["1.11", "1.12", "1.13", "1.14"]) {
    for (const c of CASES) {
      if (c.minors && !c.minors.includes(minor)) continue;
      test(`${minor}: ${c.name} → ${c.kind}`, () => {
        const [a, b] = c.make(minor);
        const r = classifyMachineConfigChange(a, b, minor);
        assert.equal(r.kind, c.kind, r.reasons.join("\n"));
        if (c.kind === "none") assert.deepEqual(r.reasons, []);
        else assert.ok(r.reasons.length > 0);
        if (c.path)
          assert.ok(
            r.reasons.some((x) => x.includes(c.path!)),
            `reasons name ${c.path}:\n${r.reasons.join("\n")}`,
          );
        if (c.kind !== "none") assert.ok(r.reasons[0].includes(`: ${c.kind} — `), `most severe first: ${r.reasons[0]}`);
      });
    }
  }
  test("has at least 30 cases", () => assert.ok(CASES.length >= 30));
});

describe("Talos classifier: details", () => {
  test("reasons carry path, class and why; changes are structured", () => {
    const r = classifyMachineConfigChange(cp("1.13"), cp("1.13", { podSubnets: ["10.1.0.0/16"], certSANs: ["x.example.com"] }), "1.13");
    assert.equal(r.kind, "immutable");
    assert.deepEqual(
      r.changes.map((c) => [c.path, c.kind]),
      [
        ["cluster.network.podSubnets", "immutable"],
        ["cluster.apiServer.certSANs", "live"],
        ["machine.certSANs", "live"],
      ],
    );
    assert.match(r.reasons[0], /^cluster\.network\.podSubnets: immutable — pod subnets are fixed/);
  });

  test("hostname changes per node are live in both contracts", () => {
    const a = renderMachineConfigs(
      base({
        talosVersion: "1.11",
        nodes: [
          { hostname: "a", role: "controlplane" },
          { hostname: "b", role: "controlplane" },
        ],
      }),
    );
    assert.deepEqual(
      classifyMachineConfigChange(a.perNode.a, a.perNode.b, "1.11").changes.map((c) => [c.path, c.kind]),
      [["machine.network.hostname", "live"]],
    );
    const m = renderMachineConfigs(
      base({
        talosVersion: "1.12",
        nodes: [
          { hostname: "a", role: "controlplane" },
          { hostname: "b", role: "controlplane" },
        ],
      }),
    );
    assert.deepEqual(
      classifyMachineConfigChange(m.perNode.a, m.perNode.b, "1.12").changes.map((c) => [c.path, c.kind]),
      [["HostnameConfig.hostname", "live"]],
    );
  });

  test("removing a document is classified by its kind", () => {
    const withExt = patch(cp("1.13"), "apiVersion: v1alpha1\nkind: ExtensionServiceConfig\nname: e\nenvironment: [A=b]");
    const r = classifyMachineConfigChange(withExt, cp("1.13"), "1.13");
    assert.equal(r.kind, "reboot");
    assert.match(r.reasons[0], /^ExtensionServiceConfig\/e: reboot — removed;/);
  });

  test("every table row is well-formed and severity is one of the classes", () => {
    const seen = new Set<string>();
    for (const r of V1ALPHA1_RULES) {
      assert.ok(!seen.has(r.path), `duplicate row ${r.path}`);
      seen.add(r.path);
      assert.ok(["live", "reboot", "wipe", "reinstall", "immutable"].includes(r.kind));
      assert.ok(r.reason.length > 10, `row ${r.path} explains itself`);
    }
    for (const [k, r] of Object.entries(DOCUMENT_RULES))
      assert.ok(["live", "reboot", "wipe", "reinstall", "immutable"].includes(r.kind), k);
  });

  test("every document kind in the shipped schemas and in Talos's registry (KNOWN_DOCUMENT_KINDS) has a row", () => {
    // The schemas' names for two registered kinds (see test/fixtures/README.md).
    const registered: Record<string, string> = {
      KubeSpanEndpoints: "KubeSpanEndpointsConfig",
      UnattendedInstall: "UnattendedInstallConfig",
    };
    for (const minor of ["1.11", "1.12", "1.13", "1.14"] as const) {
      const s = JSON.parse(fs.readFileSync(`${TALOS_SCHEMA_DIR}/config.schema.v${minor}.json`, "utf8"));
      for (const ref of s.oneOf) {
        const def = s.$defs[ref.$ref.split("/").pop()];
        const kind = def.properties?.kind?.enum?.[0];
        if (kind) {
          assert.ok(DOCUMENT_RULES[registered[kind] ?? kind], `${minor}: no classifier row for ${kind}`);
          assert.ok(KNOWN_DOCUMENT_KINDS[minor].includes(registered[kind] ?? kind), `${minor}: ${kind} is not in KNOWN_DOCUMENT_KINDS`);
        }
      }
      for (const kind of KNOWN_DOCUMENT_KINDS[minor]) assert.ok(DOCUMENT_RULES[kind], `${minor}: no classifier row for ${kind}`);
    }
  });

  test("B: a document kind the node's Talos version does not know is rejected (Talos rejects the whole config), not classed reboot", () => {
    assert.throws(
      () => classifyMachineConfigChange(cp("1.11"), cp("1.11") + "---\napiVersion: v1alpha1\nkind: HostnameConfig\nhostname: x\n", "1.11"),
      (e: unknown) =>
        isKsailError(e) &&
        /document kind HostnameConfig exists from Talos 1\.12 on; Talos 1\.11 rejects the whole config/.test((e as Error).message),
    );
    assert.throws(
      () => classifyMachineConfigChange(cp("1.13"), cp("1.13") + "---\napiVersion: v1alpha1\nkind: FutureConfig\nx: 1\n", "1.13"),
      (e: unknown) =>
        isKsailError(e) &&
        /document kind FutureConfig is not a Talos 1\.13 config document .*Check the kind's spelling/.test((e as Error).message),
    );
    assert.throws(
      () =>
        classifyMachineConfigChange(
          cp("1.13"),
          cp("1.13") + "---\napiVersion: v1alpha1\nkind: ImageVerificationConfig\nrules: []\n",
          "1.12.4",
        ),
      /exists from Talos 1\.13 on; Talos 1\.12 rejects/,
    );
    assert.deepEqual(
      unknownDocumentKinds(cp("1.13") + "---\napiVersion: v1alpha1\nkind: KubeletConfig\nimage: x\n", "1.13.9").map((i) => i.path),
      ["machine config: KubeletConfig"],
    );
    // The renderer refuses a patch that adds such a kind (so validate fails, not pulumi up).
    assert.throws(
      () =>
        renderMachineConfigs(
          base({
            talosVersion: "1.12",
            inlinePatches: { cluster: [{ source: "inline", content: "apiVersion: v1alpha1\nkind: ImageVerificationConfig\nrules: []\n" }] },
          }),
        ),
      (e: unknown) => isKsailError(e) && /ImageVerificationConfig exists from Talos 1\.13 on/.test((e as Error).message),
    );
  });

  test("every machine and machine.features field of the shipped schemas has its own row", () => {
    const rows = new Set(V1ALPHA1_RULES.map((r) => r.path));
    for (const minor of ["1.11", "1.12", "1.13", "1.14"]) {
      const defs = JSON.parse(fs.readFileSync(`${TALOS_SCHEMA_DIR}/config.schema.v${minor}.json`, "utf8")).$defs;
      for (const k of Object.keys(defs["v1alpha1.MachineConfig"].properties))
        assert.ok(rows.has(`machine.${k}`), `${minor}: no row for machine.${k}`);
      for (const k of Object.keys(defs["v1alpha1.FeaturesConfig"].properties))
        assert.ok(rows.has(`machine.features.${k}`), `${minor}: no row for machine.features.${k}`);
      // cluster.* is live as a whole in Talos's whitelist; the identity/subnet rows above override it.
      for (const k of Object.keys(defs["v1alpha1.Config"].properties)) assert.ok(rows.has(k), `${minor}: no row for ${k}`);
    }
  });

  test("errors: unsupported version, missing v1alpha1 document, bad YAML", () => {
    const a = cp("1.13");
    assert.throws(
      () => classifyMachineConfigChange(a, a, "1.15.0"),
      (e: unknown) => isKsailError(e) && /not supported/.test((e as Error).message),
    );
    assert.throws(
      () => classifyMachineConfigChange(a, "apiVersion: v1alpha1\nkind: HostnameConfig\nauto: stable\n", "1.13"),
      /new machine config: expected exactly one v1alpha1 document, found 0/,
    );
    assert.throws(() => classifyMachineConfigChange("a: [", a, "1.13"), /old machine config: document 1 is not valid YAML/);
  });
});
