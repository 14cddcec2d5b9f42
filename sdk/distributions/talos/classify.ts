/**
 * Client-side classifier of a Talos machine-config change. Talos 1.10–1.13 decided "apply live or reboot" on the
 * node (`CanApplyImmediate`); 1.14 removed that (AUTO always means NO_REBOOT), so this table is ours. It is computed
 * over parsed YAML only (no network), so preview can use it. Pure.
 *
 * Classes, most severe wins:
 * - `immutable`: cluster identity (secrets, CAs, tokens, cluster name), pod/service subnets, DNS domain, machine type —
 *   the cluster (or the node) must be created again;
 * - `reinstall`: the install disk — only a reinstall of the node changes it;
 * - `wipe`: disk encryption and volume provisioning of STATE/EPHEMERAL (systemDiskEncryption, VolumeConfig,
 *   UserVolumeConfig): formatted at boot, so the node's STATE and EPHEMERAL are wiped and the config applied again,
 *   one node at a time;
 * - `reboot`: STAGED apply, then a controlled reboot;
 * - `live`: NO_REBOOT apply;
 * - `none`.
 * Anything the table does not know is `reboot` ("when unsure, reboot"). Reasons name every changed path.
 *
 * The v1alpha1 rows follow Talos's own whitelist (identical in 1.10–1.13); 1.14 applies CRI changes without a reboot
 * (its release notes: CRI customization and the base runtime spec restart CRI by themselves). A document kind the
 * node's Talos version does not know is not a reboot: Talos rejects the whole config (its decoder is strict), so the
 * classifier rejects it with the same message the plan's validation gives.
 */
import { KsailError } from "../../errors";
import type { Issue } from "../../errors";
import { ConfigDocument, Json, JsonObject, deepEqual, documentKey, documentLabel, isObject, isV1Alpha1, parseDocuments } from "./documents";
import { TalosMinor, parseTalosVersion } from "./versions";

export type ConfigChangeKind = "none" | "live" | "reboot" | "wipe" | "reinstall" | "immutable";
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
  /** Different class from a Talos minor on (the newest entry not after the node's minor wins). */
  readonly from?: Partial<Record<TalosMinor, { readonly kind: ChangeClass; readonly reason: string }>>;
}

const CRI_RESTARTS = "Talos 1.14 restarts CRI by itself when its configuration changes (no reboot)";

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
  { path: "machine.install.disk", kind: "reinstall", reason: "the install disk is fixed at install time; only a reinstall moves it" },
  {
    path: "machine.install.diskSelector",
    kind: "reinstall",
    reason: "the install disk is fixed at install time; only a reinstall moves it",
  },
  { path: "machine.disks", kind: "reboot", reason: "extra disks are partitioned and mounted at boot" },
  { path: "machine.files", kind: "reboot", reason: "machine files are written at boot" },
  { path: "machine.env", kind: "reboot", reason: "environment is applied to services at boot" },
  { path: "machine.time", kind: "live", reason: LIVE_WHITELIST },
  { path: "machine.sysctls", kind: "live", reason: LIVE_WHITELIST },
  { path: "machine.sysfs", kind: "live", reason: LIVE_WHITELIST },
  { path: "machine.registries", kind: "live", reason: `${LIVE_WHITELIST} (containerd mirror config reloads)` },
  {
    path: "machine.registries.config.*.auth",
    kind: "reboot",
    reason: "containerd picks up registry credentials only after a reboot",
    from: { "1.14": { kind: "live", reason: CRI_RESTARTS } },
  },
  {
    path: "machine.registries.config.*.tls",
    kind: "reboot",
    reason: "containerd picks up registry TLS settings only after a reboot",
    from: { "1.14": { kind: "live", reason: CRI_RESTARTS } },
  },
  {
    path: "machine.systemDiskEncryption",
    kind: "wipe",
    reason: "STATE and EPHEMERAL are encrypted when they are formatted: the node is wiped and configured again",
  },
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
  {
    path: "machine.baseRuntimeSpecOverrides",
    kind: "reboot",
    reason: "the base OCI runtime spec is read at boot",
    from: { "1.14": { kind: "live", reason: CRI_RESTARTS } },
  },
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

/** Typed documents by kind: class and reason, refined per path inside the document and per minor. */
export interface DocumentRule {
  readonly kind: ChangeClass;
  readonly reason: string;
  /** Paths inside the document (prefix, `.`-separated) with another class. */
  readonly paths?: Readonly<Record<string, { readonly kind: ChangeClass; readonly reason: string }>>;
  /** Different class from a Talos minor on. */
  readonly from?: Partial<Record<TalosMinor, { readonly kind: ChangeClass; readonly reason: string }>>;
  /** The document configures a volume that always exists (STATE, EPHEMERAL): adding or removing it changes that volume. */
  readonly systemVolume?: boolean;
}

const NET = "network documents are reconciled live by the network controllers";
const VOL = "volumes are provisioned at boot";
const LIVE = (reason: string): DocumentRule => ({ kind: "live", reason });
const REBOOT = (reason: string): DocumentRule => ({ kind: "reboot", reason });
const WIPE_VOLUME = {
  provisioning: { kind: "wipe", reason: "a volume is provisioned when it is formatted: the node is wiped and configured again" },
  encryption: { kind: "wipe", reason: "a volume is encrypted when it is formatted: the node is wiped and configured again" },
} as const;
const K8S = "Kubernetes control-plane settings are reconciled live (the components restart)";
const IDENTITY = (what: string): DocumentRule => ({ kind: "immutable", reason: `${what} is cluster identity; recreate the cluster` });

export const DOCUMENT_RULES: Readonly<Record<string, DocumentRule>> = {
  HostnameConfig: LIVE("hostname is reconciled live (the Kubernetes node name follows it)"),
  RegistryMirrorConfig: LIVE("containerd mirror config reloads live"),
  RegistryAuthConfig: {
    ...REBOOT("containerd picks up registry credentials only after a reboot"),
    from: { "1.14": { kind: "live", reason: CRI_RESTARTS } },
  },
  RegistryTLSConfig: {
    ...REBOOT("containerd picks up registry TLS settings only after a reboot"),
    from: { "1.14": { kind: "live", reason: CRI_RESTARTS } },
  },
  NetworkRuleConfig: LIVE("firewall rules are reconciled live"),
  NetworkDefaultActionConfig: LIVE("firewall default action is reconciled live"),
  EthernetConfig: LIVE(NET),
  KubeSpanEndpointsConfig: LIVE(NET),
  LinkConfig: LIVE(NET),
  LinkAliasConfig: LIVE(NET),
  DHCPv4Config: LIVE(NET),
  DHCPv6Config: LIVE(NET),
  HCloudVIPConfig: LIVE(NET),
  Layer2VIPConfig: LIVE(NET),
  BondConfig: LIVE(NET),
  BridgeConfig: LIVE(NET),
  VLANConfig: LIVE(NET),
  VethConfig: LIVE(NET),
  DummyLinkConfig: LIVE(NET),
  WireguardConfig: LIVE(NET),
  ResolverConfig: LIVE(NET),
  StaticHostConfig: LIVE(NET),
  TimeSyncConfig: LIVE("time sync is reconciled live"),
  KubeSpanConfig: LIVE(NET),
  RoutingRuleConfig: LIVE(NET),
  BlackholeRouteConfig: LIVE(NET),
  VRFConfig: LIVE(NET),
  TCPProbeConfig: LIVE(NET),
  HTTPProbeConfig: LIVE(NET),
  BGPInstanceConfig: LIVE(NET),
  KmsgLogConfig: LIVE("log destinations are reconciled live"),
  EventSinkConfig: LIVE("event sink is reconciled live"),
  WatchdogTimerConfig: LIVE("watchdog is reconciled live"),
  OOMConfig: LIVE("OOM handler settings are reconciled live"),
  ImageVerificationConfig: LIVE("image verification rules are reconciled live (they apply to the next image pull)"),
  SysctlConfig: LIVE("sysctls are applied live (as machine.sysctls)"),
  SysfsConfig: LIVE("sysfs settings are applied live (as machine.sysfs)"),
  KernelModuleConfig: LIVE("kernel modules are loaded live (as machine.kernel)"),
  FilesystemTrimConfig: LIVE("the trim schedule is reconciled live"),
  FilesystemScrubConfig: LIVE("the scrub schedule is reconciled live"),
  ImageCacheConfig: LIVE("the image cache is reconciled live (as machine.features.imageCache)"),
  UnattendedInstallConfig: LIVE("install settings are used only at install/upgrade time (as machine.install)"),
  CRICustomizationConfig: LIVE(CRI_RESTARTS),
  CRIBaseRuntimeSpecConfig: LIVE(CRI_RESTARTS),
  DiscoveryServiceConfig: LIVE("cluster discovery is reconciled live (as cluster.discovery)"),
  DiscoveryIdentityConfig: IDENTITY("the discovery cluster id and secret"),
  ExtensionServiceConfig: REBOOT("extension services are started at boot"),
  VolumeConfig: { ...REBOOT(VOL), paths: WIPE_VOLUME, systemVolume: true },
  UserVolumeConfig: { ...REBOOT(VOL), paths: WIPE_VOLUME },
  RawVolumeConfig: { ...REBOOT(VOL), paths: { provisioning: WIPE_VOLUME.provisioning } },
  ExistingVolumeConfig: REBOOT(VOL),
  ExternalVolumeConfig: REBOOT(VOL),
  SwapVolumeConfig: { ...REBOOT(VOL), paths: WIPE_VOLUME },
  ZswapConfig: REBOOT(VOL),
  LVMVolumeGroupConfig: REBOOT(VOL),
  LVMLogicalVolumeConfig: REBOOT(VOL),
  RAIDArrayConfig: REBOOT(VOL),
  TrustedRootsConfig: REBOOT("trusted roots are installed at boot"),
  SideroLinkConfig: REBOOT("SideroLink is established at boot"),
  PCIDriverRebindConfig: REBOOT("driver rebinding happens at boot"),
  EnvironmentConfig: REBOOT("environment is applied to services at boot"),
  EtcFileConfig: REBOOT("files in /etc are written at boot (as machine.files)"),
  UdevRulesConfig: REBOOT("udev rules are loaded at boot (as machine.udev)"),
  SecurityProfileConfig: REBOOT("workload isolation is set up when the node boots"),
  ContainerConfig: REBOOT("container-mode settings are read at boot"),
  // The 1.14 contract's Kubernetes documents (what v1alpha1 `cluster.*` held): live, except identity and addressing.
  KubeClusterConfig: {
    ...LIVE(K8S),
    paths: { clusterName: { kind: "immutable", reason: "the cluster name is baked into certificates; recreate the cluster" } },
  },
  KubeNetworkConfig: {
    ...LIVE(K8S),
    paths: {
      podSubnets: { kind: "immutable", reason: "pod subnets are fixed once pods have addresses; recreate the cluster" },
      serviceSubnets: { kind: "immutable", reason: "service subnets are fixed once services have IPs; recreate the cluster" },
      dnsDomain: { kind: "immutable", reason: "the DNS domain is baked into certificates and workloads; recreate the cluster" },
    },
  },
  KubeAPIServerCAConfig: IDENTITY("the Kubernetes CA"),
  KubeAggregatorCAConfig: IDENTITY("the aggregator CA"),
  KubeServiceAccountConfig: IDENTITY("the service-account signing key"),
  KubeEtcdEncryptionConfig: IDENTITY("the etcd encryption key"),
  KubeFlannelCNIConfig: REBOOT("switching CNIs leaves the old one's interfaces and rules until a reboot (KSail)"),
  KubeAPIServerConfig: LIVE(K8S),
  KubeControllerManagerConfig: LIVE(K8S),
  KubeSchedulerConfig: LIVE(K8S),
  KubeProxyConfig: LIVE(K8S),
  KubeCoreDNSConfig: LIVE(K8S),
  KubeAdmissionControlConfig: LIVE(K8S),
  KubeAuditPolicyConfig: LIVE(K8S),
  KubeAuthenticationConfig: LIVE(K8S),
  KubeAuthorizerConfig: LIVE(K8S),
  KubeCredentialProviderConfig: LIVE(K8S),
  KubeExternalManifestConfig: LIVE(K8S),
  KubeInlineManifestConfig: LIVE(K8S),
  KubeStaticPodConfig: LIVE(K8S),
  KubeTalosAPIAccessConfig: LIVE(K8S),
  KubePrismConfig: LIVE(K8S),
  KubeNodeConfig: LIVE("node labels, taints and addresses are reconciled live (as machine.node*)"),
  KubeletConfig: LIVE("the kubelet restarts with its new settings (as machine.kubelet)"),
};

/**
 * The document kinds each Talos minor knows: the kinds its `pkg/machinery/config/types` register (machinery
 * v1.11.6, v1.12.7, v1.13.9, v1.14.1). Talos's decoder rejects any other kind.
 */
export const KNOWN_DOCUMENT_KINDS: Readonly<Record<TalosMinor, readonly string[]>> = (() => {
  const v111 = [
    "EthernetConfig",
    "EventSinkConfig",
    "ExistingVolumeConfig",
    "ExtensionServiceConfig",
    "KmsgLogConfig",
    "KubeSpanEndpointsConfig",
    "NetworkDefaultActionConfig",
    "NetworkRuleConfig",
    "PCIDriverRebindConfig",
    "RawVolumeConfig",
    "SideroLinkConfig",
    "SwapVolumeConfig",
    "TrustedRootsConfig",
    "UserVolumeConfig",
    "VolumeConfig",
    "WatchdogTimerConfig",
    "ZswapConfig",
  ];
  const v112 = [
    ...v111,
    "BondConfig",
    "BridgeConfig",
    "DHCPv4Config",
    "DHCPv6Config",
    "DummyLinkConfig",
    "HCloudVIPConfig",
    "HostnameConfig",
    "Layer2VIPConfig",
    "LinkAliasConfig",
    "LinkConfig",
    "OOMConfig",
    "RegistryAuthConfig",
    "RegistryMirrorConfig",
    "RegistryTLSConfig",
    "ResolverConfig",
    "StaticHostConfig",
    "TimeSyncConfig",
    "VLANConfig",
    "WireguardConfig",
  ];
  const v113 = [
    ...v112,
    "BlackholeRouteConfig",
    "EnvironmentConfig",
    "ExternalVolumeConfig",
    "ImageVerificationConfig",
    "KubeSpanConfig",
    "RoutingRuleConfig",
    "TCPProbeConfig",
    "VRFConfig",
  ];
  const v114 = [
    ...v113,
    "BGPInstanceConfig",
    "CRIBaseRuntimeSpecConfig",
    "CRICustomizationConfig",
    "ContainerConfig",
    "DiscoveryIdentityConfig",
    "DiscoveryServiceConfig",
    "EtcFileConfig",
    "FilesystemScrubConfig",
    "FilesystemTrimConfig",
    "HTTPProbeConfig",
    "ImageCacheConfig",
    "KernelModuleConfig",
    "KubeAPIServerCAConfig",
    "KubeAPIServerConfig",
    "KubeAdmissionControlConfig",
    "KubeAggregatorCAConfig",
    "KubeAuditPolicyConfig",
    "KubeAuthenticationConfig",
    "KubeAuthorizerConfig",
    "KubeClusterConfig",
    "KubeControllerManagerConfig",
    "KubeCoreDNSConfig",
    "KubeCredentialProviderConfig",
    "KubeEtcdEncryptionConfig",
    "KubeExternalManifestConfig",
    "KubeFlannelCNIConfig",
    "KubeInlineManifestConfig",
    "KubeNetworkConfig",
    "KubeNodeConfig",
    "KubePrismConfig",
    "KubeProxyConfig",
    "KubeSchedulerConfig",
    "KubeServiceAccountConfig",
    "KubeStaticPodConfig",
    "KubeTalosAPIAccessConfig",
    "KubeletConfig",
    "LVMLogicalVolumeConfig",
    "LVMVolumeGroupConfig",
    "RAIDArrayConfig",
    "SecurityProfileConfig",
    "SysctlConfig",
    "SysfsConfig",
    "UdevRulesConfig",
    "UnattendedInstallConfig",
    "VethConfig",
  ];
  return { "1.11": v111, "1.12": v112, "1.13": v113, "1.14": v114 };
})();

/** The first minor that knows a kind (for messages). */
function firstMinorOf(kind: string): TalosMinor | undefined {
  return (Object.keys(KNOWN_DOCUMENT_KINDS) as TalosMinor[]).find((m) => KNOWN_DOCUMENT_KINDS[m].includes(kind));
}

/**
 * Document kinds in `yaml` that Talos `talosVersion` does not know (it would reject the config), as issues naming
 * the document. Also used by the plan's validation, so such a patch fails `validate`, not `pulumi up`.
 */
export function unknownDocumentKinds(yaml: string, talosVersion: string, source = "machine config"): Issue[] {
  const minor = parseTalosVersion(talosVersion).minorKey;
  const known = new Set(KNOWN_DOCUMENT_KINDS[minor]);
  const issues: Issue[] = [];
  for (const d of parseDocuments(yaml, source)) {
    if (isV1Alpha1(d)) continue;
    const kind = String(d.kind ?? "");
    if (known.has(kind)) continue;
    const since = firstMinorOf(kind);
    issues.push({
      path: `${source}: ${documentLabel(d)}`,
      message: since
        ? `document kind ${kind} exists from Talos ${since} on; Talos ${minor} rejects the whole config. Remove it, or upgrade Talos first and add it afterwards.`
        : `document kind ${kind} is not a Talos ${minor} config document (known kinds: ${[...known].sort().join(", ")}); Talos rejects the whole config. Check the kind's spelling.`,
    });
  }
  return issues;
}

const SEVERITY: Record<ConfigChangeKind, number> = { none: 0, live: 1, reboot: 2, wipe: 3, reinstall: 4, immutable: 5 };
const MINOR_ORDER: readonly TalosMinor[] = ["1.11", "1.12", "1.13", "1.14"];

/** A row's class for a minor: its `from` entry for the newest minor not after `minor`, else the row itself. */
function forMinor<
  T extends { kind: ChangeClass; reason: string; from?: Partial<Record<TalosMinor, { kind: ChangeClass; reason: string }>> },
>(r: T, minor: TalosMinor): { kind: ChangeClass; reason: string } {
  let out: { kind: ChangeClass; reason: string } = r;
  for (const m of MINOR_ORDER) if (MINOR_ORDER.indexOf(m) <= MINOR_ORDER.indexOf(minor) && r.from?.[m]) out = r.from[m]!;
  return out;
}

/**
 * Classify the change from `oldYaml` to `newYaml` (multi-document machine configs) for the Talos version the node
 * runs. Throws a KsailError when the new config holds a document kind that version does not know.
 */
export function classifyMachineConfigChange(oldYaml: string, newYaml: string, talosVersion: string): ConfigChangeClassification {
  const minor = parseTalosVersion(talosVersion).minorKey;
  const oldDocs = parseDocuments(oldYaml, "old machine config");
  const newDocs = parseDocuments(newYaml, "new machine config");
  const unknown = unknownDocumentKinds(newYaml, talosVersion, "new machine config");
  if (unknown.length > 0) throw new KsailError(unknown, "The machine config cannot be applied:");
  const v1 = (docs: ConfigDocument[], which: string) => {
    const f = docs.filter(isV1Alpha1);
    if (f.length !== 1) throw new KsailError([{ path: which, message: `expected exactly one v1alpha1 document, found ${f.length}` }]);
    return f[0];
  };
  const oldV1 = v1(oldDocs, "old machine config");
  const newV1 = v1(newDocs, "new machine config");
  const changes: ConfigChange[] = [];
  for (const path of changedPaths(oldV1, newV1, [])) {
    const rule = matchRule(path);
    const c = rule ? forMinor(rule, minor) : { kind: "reboot" as const, reason: "not in Talos's live-apply whitelist" };
    if (path.join(".") === "machine.files" && c.kind === "reboot" && criFilesOnly(oldV1, newV1, minor)) {
      changes.push({ path: "machine.files", kind: "live", reason: `only CRI customization files changed; ${CRI_RESTARTS}` });
    } else changes.push({ path: path.join("."), kind: c.kind, reason: c.reason });
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

/** On 1.14, machine.files entries that differ only under /etc/cri/conf.d (the legacy CRI customization file). */
function criFilesOnly(a: ConfigDocument, b: ConfigDocument, minor: TalosMinor): boolean {
  if (MINOR_ORDER.indexOf(minor) < MINOR_ORDER.indexOf("1.14")) return false;
  const files = (d: ConfigDocument) => (((d.machine as JsonObject | undefined)?.files ?? []) as Json[]).filter(isObject);
  const key = (f: JsonObject) => JSON.stringify(f);
  const before = new Set(files(a).map(key));
  const after = new Set(files(b).map(key));
  const changed = [...files(a).filter((f) => !after.has(key(f))), ...files(b).filter((f) => !before.has(key(f)))];
  return changed.length > 0 && changed.every((f) => typeof f.path === "string" && f.path.startsWith("/etc/cri/conf.d/"));
}

function matchRule(path: readonly string[]): PathRule | undefined {
  // (rows are matched by prefix; the longest match wins)
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
    const base = rule
      ? forMinor(rule, minor)
      : { kind: "reboot" as ChangeClass, reason: `document kind ${kindName} is not in the classifier table` };
    const at = (p: string[]) => {
      const hit = Object.entries(rule?.paths ?? {}).find(([prefix]) => p.join(".") === prefix || p.join(".").startsWith(`${prefix}.`));
      return hit ? hit[1] : base;
    };
    if (!o || !n) {
      // A new volume is provisioned as it is (the document's class); a system volume's document changes the
      // volume that is already there: as severe as the paths it sets.
      const worst = rule?.systemVolume
        ? Object.values(rule.paths ?? {}).reduce<{ kind: ChangeClass; reason: string }>(
            (w, r) => (SEVERITY[r.kind] > SEVERITY[w.kind] && Object.keys(doc).some((k) => rule.paths?.[k] === r) ? r : w),
            base,
          )
        : base;
      out.push({ path: label, kind: worst.kind, reason: `${o ? "removed" : "added"}; ${worst.reason}` });
    } else {
      for (const p of changedPaths(o, n, [])) {
        const r = at(p);
        out.push({ path: `${label}.${p.join(".")}`, kind: r.kind, reason: r.reason });
      }
    }
  }
  return out;
}
