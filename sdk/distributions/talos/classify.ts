/**
 * Client-side classifier of a Talos machine-config change (live, reboot or immutable). Talos
 * 1.10–1.13 decided "apply live or reboot" on the node (`CanApplyImmediate`); 1.14 removed that, so this
 * table is ours. It is computed over parsed YAML only (no network), so preview can use it. Pure.
 *
 * Classes, most severe wins: `immutable` (plan a node replacement: machine type, install disk, disk
 * encryption, identity secrets/CAs, cluster name, pod/service subnets, DNS domain), `reboot` (STAGED apply,
 * then a controlled reboot), `live` (NO_REBOOT apply), `none`. Anything the table does not know is
 * `reboot` ("when unsure, reboot"). Reasons name every changed path.
 *
 * The v1alpha1 rows are the same for 1.11, 1.12 and 1.13 (Talos's own whitelist did not change across
 * those tags); what differs per minor is which typed documents exist (`since`), so a document kind the
 * pinned version does not know is reported as `reboot` with that explanation.
 */
import { KsailError } from "../../errors";
import { ConfigDocument, Json, deepEqual, documentKey, documentLabel, isObject, isV1Alpha1, parseDocuments } from "./documents";
import { TalosMinor, parseTalosVersion } from "./versions";

export type ConfigChangeKind = "none" | "live" | "reboot" | "immutable";
type ChangeClass = Exclude<ConfigChangeKind, "none">;

export interface ConfigChange {
  /** `machine.install.disk`, or `HostnameConfig` / `RegistryMirrorConfig/docker.io[.field]` for typed documents. */
  readonly path: string;
  readonly kind: ChangeClass;
  readonly reason: string;
}

export interface ConfigChangeClassification {
  readonly kind: ConfigChangeKind;
  /** One line per changed path: `<path>: <kind> — <why>`, most severe first. */
  readonly reasons: string[];
  readonly changes: ConfigChange[];
}

/** One row per path prefix of the v1alpha1 document; `*` matches one segment; longest match wins. */
export interface PathRule {
  readonly path: string;
  readonly kind: ChangeClass;
  readonly reason: string;
}

const LIVE_WHITELIST = "in Talos's live-apply whitelist";

export const V1ALPHA1_RULES: readonly PathRule[] = [
  { path: "debug", kind: "live", reason: LIVE_WHITELIST },
  { path: "version", kind: "reboot", reason: "config version is read at boot" },
  { path: "persist", kind: "reboot", reason: "persistence mode is read at boot" },
  { path: "machine", kind: "reboot", reason: "not in Talos's live-apply whitelist" },
  { path: "machine.type", kind: "immutable", reason: "changing the machine type breaks the node's secrets controllers; replace the node" },
  { path: "machine.token", kind: "immutable", reason: "trustd join token is cluster identity; rotate by rebuilding, not by editing" },
  { path: "machine.ca", kind: "immutable", reason: "Talos API CA swap cuts clients off; rotate through machine.acceptedCAs" },
  { path: "machine.acceptedCAs", kind: "live", reason: LIVE_WHITELIST },
  { path: "machine.certSANs", kind: "live", reason: LIVE_WHITELIST },
  { path: "machine.controlPlane", kind: "live", reason: LIVE_WHITELIST },
  { path: "machine.kubelet", kind: "live", reason: `${LIVE_WHITELIST} (kubelet restarts)` },
  { path: "machine.pods", kind: "live", reason: LIVE_WHITELIST },
  { path: "machine.network", kind: "live", reason: `${LIVE_WHITELIST} (network controllers reconcile)` },
  { path: "machine.install", kind: "live", reason: "install settings are used only at install/upgrade time" },
  { path: "machine.install.disk", kind: "immutable", reason: "the install disk is fixed at install time; replace the node" },
  { path: "machine.install.diskSelector", kind: "immutable", reason: "the install disk is fixed at install time; replace the node" },
  { path: "machine.disks", kind: "reboot", reason: "extra disks are partitioned and mounted at boot" },
  { path: "machine.files", kind: "reboot", reason: "machine files are written at boot" },
  { path: "machine.env", kind: "reboot", reason: "environment is applied to services at boot" },
  { path: "machine.time", kind: "live", reason: LIVE_WHITELIST },
  { path: "machine.sysctls", kind: "live", reason: LIVE_WHITELIST },
  { path: "machine.sysfs", kind: "live", reason: LIVE_WHITELIST },
  { path: "machine.registries", kind: "live", reason: `${LIVE_WHITELIST} (containerd mirror config reloads)` },
  { path: "machine.registries.config.*.auth", kind: "reboot", reason: "containerd picks up registry credentials only after a reboot" },
  { path: "machine.registries.config.*.tls", kind: "reboot", reason: "containerd picks up registry TLS settings only after a reboot" },
  { path: "machine.systemDiskEncryption", kind: "immutable", reason: "system disk encryption needs a wipe; replace the node" },
  { path: "machine.features", kind: "reboot", reason: "machine feature flags are read at boot" },
  { path: "machine.features.kubernetesTalosAPIAccess", kind: "live", reason: LIVE_WHITELIST },
  { path: "machine.features.kubePrism", kind: "live", reason: LIVE_WHITELIST },
  { path: "machine.features.hostDNS", kind: "live", reason: LIVE_WHITELIST },
  { path: "machine.features.imageCache", kind: "live", reason: LIVE_WHITELIST },
  { path: "machine.features.nodeAddressSortAlgorithm", kind: "live", reason: LIVE_WHITELIST },
  { path: "machine.features.diskQuotaSupport", kind: "reboot", reason: "disk quota support applies to filesystems mounted at boot" },
  { path: "machine.features.rbac", kind: "reboot", reason: "Talos API RBAC is set up at boot" },
  { path: "machine.features.stableHostname", kind: "reboot", reason: "the stable hostname is chosen at boot" },
  { path: "machine.features.apidCheckExtKeyUsage", kind: "reboot", reason: "apid reads its client-certificate checks at boot" },
  { path: "machine.udev", kind: "reboot", reason: "udev rules are loaded at boot" },
  { path: "machine.logging", kind: "live", reason: LIVE_WHITELIST },
  { path: "machine.kernel", kind: "live", reason: LIVE_WHITELIST },
  { path: "machine.seccompProfiles", kind: "live", reason: LIVE_WHITELIST },
  { path: "machine.baseRuntimeSpecOverrides", kind: "reboot", reason: "the base OCI runtime spec is read at boot" },
  { path: "machine.nodeLabels", kind: "live", reason: LIVE_WHITELIST },
  { path: "machine.nodeAnnotations", kind: "live", reason: LIVE_WHITELIST },
  { path: "machine.nodeTaints", kind: "live", reason: LIVE_WHITELIST },
  { path: "cluster", kind: "live", reason: `${LIVE_WHITELIST} (control-plane components are reconciled)` },
  { path: "cluster.id", kind: "immutable", reason: "cluster identity; changing it splits discovery; recreate the cluster" },
  { path: "cluster.secret", kind: "immutable", reason: "cluster identity secret; recreate the cluster" },
  { path: "cluster.token", kind: "immutable", reason: "bootstrap token is cluster identity; recreate the cluster" },
  {
    path: "cluster.clusterName",
    kind: "immutable",
    reason: "the cluster name is baked into certificates and kubeconfigs; recreate the cluster",
  },
  { path: "cluster.ca", kind: "immutable", reason: "Kubernetes CA swap; rotate through cluster.acceptedCAs" },
  { path: "cluster.aggregatorCA", kind: "immutable", reason: "aggregator CA swap breaks API aggregation; recreate the cluster" },
  {
    path: "cluster.serviceAccount",
    kind: "immutable",
    reason: "service-account signing key swap invalidates every token; recreate the cluster",
  },
  { path: "cluster.etcd.ca", kind: "immutable", reason: "etcd CA swap breaks the etcd quorum; recreate the cluster" },
  {
    path: "cluster.secretboxEncryptionSecret",
    kind: "immutable",
    reason: "etcd encryption key swap makes stored secrets unreadable; recreate the cluster",
  },
  {
    path: "cluster.aescbcEncryptionSecret",
    kind: "immutable",
    reason: "etcd encryption key swap makes stored secrets unreadable; recreate the cluster",
  },
  { path: "cluster.network.podSubnets", kind: "immutable", reason: "pod subnets are fixed once pods have addresses; recreate the cluster" },
  {
    path: "cluster.network.serviceSubnets",
    kind: "immutable",
    reason: "service subnets are fixed once services have IPs; recreate the cluster",
  },
  {
    path: "cluster.network.dnsDomain",
    kind: "immutable",
    reason: "the DNS domain is baked into certificates and workloads; recreate the cluster",
  },
  {
    path: "cluster.network.cni",
    kind: "reboot",
    reason: "switching CNIs leaves the old one's interfaces and rules until a reboot (KSail)",
  },
];

/** Typed documents by kind: class, reason and the first minor that has the kind. */
export interface DocumentRule {
  readonly kind: ChangeClass;
  readonly reason: string;
  readonly since: TalosMinor;
}

const NET = "network documents are reconciled live by the network controllers";
const VOL = "volumes are provisioned at boot";
export const DOCUMENT_RULES: Readonly<Record<string, DocumentRule>> = {
  HostnameConfig: { kind: "live", reason: "hostname is reconciled live (the Kubernetes node name follows it)", since: "1.12" },
  RegistryMirrorConfig: { kind: "live", reason: "containerd mirror config reloads live", since: "1.12" },
  RegistryAuthConfig: { kind: "reboot", reason: "containerd picks up registry credentials only after a reboot", since: "1.12" },
  RegistryTLSConfig: { kind: "reboot", reason: "containerd picks up registry TLS settings only after a reboot", since: "1.12" },
  NetworkRuleConfig: { kind: "live", reason: "firewall rules are reconciled live", since: "1.11" },
  NetworkDefaultActionConfig: { kind: "live", reason: "firewall default action is reconciled live", since: "1.11" },
  EthernetConfig: { kind: "live", reason: NET, since: "1.11" },
  KubeSpanEndpoints: { kind: "live", reason: NET, since: "1.11" },
  LinkConfig: { kind: "live", reason: NET, since: "1.12" },
  LinkAliasConfig: { kind: "live", reason: NET, since: "1.12" },
  DHCPv4Config: { kind: "live", reason: NET, since: "1.12" },
  DHCPv6Config: { kind: "live", reason: NET, since: "1.12" },
  HCloudVIPConfig: { kind: "live", reason: NET, since: "1.12" },
  Layer2VIPConfig: { kind: "live", reason: NET, since: "1.12" },
  BondConfig: { kind: "live", reason: NET, since: "1.12" },
  BridgeConfig: { kind: "live", reason: NET, since: "1.12" },
  VLANConfig: { kind: "live", reason: NET, since: "1.12" },
  DummyLinkConfig: { kind: "live", reason: NET, since: "1.12" },
  WireguardConfig: { kind: "live", reason: NET, since: "1.12" },
  ResolverConfig: { kind: "live", reason: NET, since: "1.12" },
  StaticHostConfig: { kind: "live", reason: NET, since: "1.12" },
  TimeSyncConfig: { kind: "live", reason: "time sync is reconciled live", since: "1.12" },
  KubeSpanConfig: { kind: "live", reason: NET, since: "1.13" },
  RoutingRuleConfig: { kind: "live", reason: NET, since: "1.13" },
  BlackholeRouteConfig: { kind: "live", reason: NET, since: "1.13" },
  VRFConfig: { kind: "live", reason: NET, since: "1.13" },
  TCPProbeConfig: { kind: "live", reason: NET, since: "1.13" },
  KmsgLogConfig: { kind: "live", reason: "log destinations are reconciled live", since: "1.11" },
  EventSinkConfig: { kind: "live", reason: "event sink is reconciled live", since: "1.11" },
  WatchdogTimerConfig: { kind: "live", reason: "watchdog is reconciled live", since: "1.11" },
  OOMConfig: { kind: "live", reason: "OOM handler settings are reconciled live", since: "1.12" },
  ExtensionServiceConfig: { kind: "reboot", reason: "extension services are started at boot", since: "1.11" },
  VolumeConfig: { kind: "reboot", reason: VOL, since: "1.11" },
  UserVolumeConfig: { kind: "reboot", reason: VOL, since: "1.11" },
  RawVolumeConfig: { kind: "reboot", reason: VOL, since: "1.11" },
  ExistingVolumeConfig: { kind: "reboot", reason: VOL, since: "1.11" },
  SwapVolumeConfig: { kind: "reboot", reason: VOL, since: "1.11" },
  ZswapConfig: { kind: "reboot", reason: VOL, since: "1.11" },
  ExternalVolumeConfig: { kind: "reboot", reason: VOL, since: "1.13" },
  TrustedRootsConfig: { kind: "reboot", reason: "trusted roots are installed at boot", since: "1.11" },
  SideroLinkConfig: { kind: "reboot", reason: "SideroLink is established at boot", since: "1.11" },
  PCIDriverRebindConfig: { kind: "reboot", reason: "driver rebinding happens at boot", since: "1.11" },
  EnvironmentConfig: { kind: "reboot", reason: "environment is applied to services at boot", since: "1.13" },
};

const SEVERITY: Record<ConfigChangeKind, number> = { none: 0, live: 1, reboot: 2, immutable: 3 };
const MINOR_ORDER: readonly TalosMinor[] = ["1.11", "1.12", "1.13"];

/** Classify the change from `oldYaml` to `newYaml` (multi-document machine configs) for a Talos version. */
export function classifyMachineConfigChange(oldYaml: string, newYaml: string, talosVersion: string): ConfigChangeClassification {
  const minor = parseTalosVersion(talosVersion).contract;
  const oldDocs = parseDocuments(oldYaml, "old machine config");
  const newDocs = parseDocuments(newYaml, "new machine config");
  const v1 = (docs: ConfigDocument[], which: string) => {
    const f = docs.filter(isV1Alpha1);
    if (f.length !== 1) throw new KsailError([{ path: which, message: `expected exactly one v1alpha1 document, found ${f.length}` }]);
    return f[0];
  };
  const changes: ConfigChange[] = [];
  for (const path of changedPaths(v1(oldDocs, "old machine config"), v1(newDocs, "new machine config"), [])) {
    const rule = matchRule(path);
    changes.push({ path: path.join("."), kind: rule?.kind ?? "reboot", reason: rule?.reason ?? "not in Talos's live-apply whitelist" });
  }
  changes.push(
    ...documentChanges(
      oldDocs.filter((d) => !isV1Alpha1(d)),
      newDocs.filter((d) => !isV1Alpha1(d)),
      minor,
    ),
  );
  changes.sort((a, b) => SEVERITY[b.kind] - SEVERITY[a.kind] || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const kind = changes.reduce<ConfigChangeKind>((k, c) => (SEVERITY[c.kind] > SEVERITY[k] ? c.kind : k), "none");
  return { kind, reasons: changes.map((c) => `${c.path}: ${c.kind} — ${c.reason}`), changes };
}

function matchRule(path: readonly string[]): PathRule | undefined {
  let best: PathRule | undefined;
  let bestLen = -1;
  for (const r of V1ALPHA1_RULES) {
    const segs = r.path.split(".");
    if (segs.length > path.length || segs.length <= bestLen) continue;
    if (segs.every((s, i) => s === "*" || s === path[i])) {
      best = r;
      bestLen = segs.length;
    }
  }
  return best;
}

/** Leaf paths that differ; lists and scalars are leaves; objects recurse (missing side = {}). */
function changedPaths(a: Json | undefined, b: Json | undefined, at: string[]): string[][] {
  if (deepEqual(a, b)) return [];
  if ((isObject(a) || a === undefined) && (isObject(b) || b === undefined)) {
    const ao = (a ?? {}) as Record<string, Json>;
    const bo = (b ?? {}) as Record<string, Json>;
    const keys = [...new Set([...Object.keys(ao), ...Object.keys(bo)])];
    return keys.flatMap((k) => changedPaths(ao[k], bo[k], [...at, k]));
  }
  return [at];
}

function documentChanges(oldDocs: ConfigDocument[], newDocs: ConfigDocument[], minor: TalosMinor): ConfigChange[] {
  const index = (docs: ConfigDocument[]) => new Map(docs.map((d) => [documentKey(d), d] as const));
  const before = index(oldDocs);
  const after = index(newDocs);
  const out: ConfigChange[] = [];
  for (const key of new Set([...before.keys(), ...after.keys()])) {
    const o = before.get(key);
    const n = after.get(key);
    if (o && n && deepEqual(o, n)) continue;
    const doc = (n ?? o)!;
    const label = documentLabel(doc);
    const kindName = String(doc.kind);
    const rule = DOCUMENT_RULES[kindName];
    let cls: ChangeClass;
    let reason: string;
    if (!rule) {
      cls = "reboot";
      reason = `document kind ${kindName} is not in the classifier table`;
    } else if (MINOR_ORDER.indexOf(rule.since) > MINOR_ORDER.indexOf(minor)) {
      cls = "reboot";
      reason = `document kind ${kindName} does not exist before Talos ${rule.since}`;
    } else {
      cls = rule.kind;
      reason = rule.reason;
    }
    if (!o || !n) {
      out.push({ path: label, kind: cls, reason: `${o ? "removed" : "added"}; ${reason}` });
    } else {
      for (const p of changedPaths(o, n, [])) out.push({ path: `${label}.${p.join(".")}`, kind: cls, reason });
    }
  }
  return out;
}
