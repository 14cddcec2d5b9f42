/**
 * The tables of the machine-config change classifier (classify.ts): which v1alpha1 paths and which document kinds
 * apply live, need a reboot, wipe, reinstall or recreate. Pure data.
 */
import type { TalosMinor } from "./versions";

/** How a machine-config change reaches a node, mildest first. */
export type ConfigChangeKind = "none" | "live" | "reboot" | "wipe" | "reinstall" | "immutable";
export type ChangeClass = Exclude<ConfigChangeKind, "none">;

export interface PathRule {
  readonly path: string;
  readonly kind: ChangeClass;
  readonly reason: string;
  /** Different class from a Talos minor on (the newest entry not after the node's minor wins). */
  readonly from?: Partial<Record<TalosMinor, { readonly kind: ChangeClass; readonly reason: string }>>;
}

export const CRI_RESTARTS = "Talos 1.14 restarts CRI by itself when its configuration changes (no reboot)";

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
