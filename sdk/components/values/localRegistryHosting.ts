/**
 * The `kube-public/local-registry-hosting` ConfigMap of KEP-1755 (kubernetes/enhancements
 * keps/sig-cluster-lifecycle/generic/1755-communicating-a-local-registry): how developer tools (Tilt, Skaffold,
 * ctlptl, …) find the cluster's local registry. Pure: the object only.
 */
import type { LocalRegistryHosting } from "../../plan/components";

/** Name, namespace and data key are fixed by the KEP. */
export const LOCAL_REGISTRY_HOSTING = { name: "local-registry-hosting", namespace: "kube-public", key: "localRegistryHosting.v1" } as const;

/** The ConfigMap object (its data value is YAML, as the KEP specifies). */
export function localRegistryHostingConfigMap(h: LocalRegistryHosting): {
  apiVersion: "v1";
  kind: "ConfigMap";
  metadata: { name: string; namespace: string };
  data: Record<string, string>;
} {
  const yaml = [
    `host: "${h.host}"`,
    `hostFromContainerRuntime: "${h.hostFromContainerRuntime}"`,
    `hostFromClusterNetwork: "${h.hostFromClusterNetwork}"`,
  ];
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: LOCAL_REGISTRY_HOSTING.name, namespace: LOCAL_REGISTRY_HOSTING.namespace },
    data: { [LOCAL_REGISTRY_HOSTING.key]: `${yaml.join("\n")}\n` },
  };
}
