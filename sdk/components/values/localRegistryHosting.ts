/**
 * The `kube-public/local-registry-hosting` ConfigMap of KEP-1755 (kubernetes/enhancements
 * keps/sig-cluster-lifecycle/generic/1755-communicating-a-local-registry): how developer tools (Tilt, Skaffold,
 * ctlptl, …) find the cluster's local registry. Pure: the object only.
 */

/** Where the local registry is reachable from, in the KEP's `LocalRegistryHostingV1` terms. */
export interface LocalRegistryHosting {
  /** From the host (where images are pushed): `localhost:<host port>`. */
  readonly host: string;
  /** From the nodes' container runtime (image names in Kubernetes objects). */
  readonly hostFromContainerRuntime: string;
  /** From pods, on the cluster network. */
  readonly hostFromClusterNetwork: string;
}

/** Name, namespace and data key are fixed by the KEP. */
export const LOCAL_REGISTRY_HOSTING = { name: "local-registry-hosting", namespace: "kube-public", key: "localRegistryHosting.v1" } as const;

/**
 * The local registry of a Docker cluster as the KEP describes it: pushed to at `localhost:<port>` (published on
 * 127.0.0.1), pulled by every node under the same name (each distribution aliases `localhost:<port>` to the
 * registry container), reached from pods by its container name on the cluster network.
 */
export function localRegistryHosting(registry: { readonly hostPort: number; readonly containerName: string }): LocalRegistryHosting {
  const local = `localhost:${registry.hostPort}`;
  return { host: local, hostFromContainerRuntime: local, hostFromClusterNetwork: `${registry.containerName}:5000` };
}

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
