/**
 * The config document kinds each supported Talos minor knows, and the check that refuses a kind the nodes' Talos
 * does not know (its decoder rejects the whole config). Pure.
 */
import type { Issue } from "../../errors";
import { documentLabel, isV1Alpha1, parseDocuments, type ConfigDocument } from "./documents";
import { TalosMinor, parseTalosVersion } from "./versions";

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
  return unknownKindsOf(parseDocuments(yaml, source), parseTalosVersion(talosVersion).minorKey, source);
}

/** `unknownDocumentKinds` over documents already parsed. */
export function unknownKindsOf(docs: readonly ConfigDocument[], minor: TalosMinor, source: string): Issue[] {
  const known = new Set(KNOWN_DOCUMENT_KINDS[minor]);
  const issues: Issue[] = [];
  for (const d of docs) {
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
