import { KsailError } from "../errors";
import type { EffectiveSpec } from "../config/effective";
import { DEFAULT_TALOS_VERSION, parseTalosVersion } from "../distributions/talos/versions";
import type { HetznerPlanInput } from "./hetzner";
import type { HetznerEndpointMode } from "./hetznerEndpoint";

/** Label selector of the Talos snapshot KSail builds for a version and schematic (the labels KSail's snapshot builder puts on it). */
export function snapshotSelector(talosVersion: string, schematicId: string): string {
  const v = parseTalosVersion(talosVersion);
  return `ksail.io/talos-version=${v.tag},ksail.io/talos-schematic=${schematicId.slice(0, 63)}`;
}

/**
 * The Hetzner plan input a ksail.yaml asks for (pure). The image route follows KSail: the public Talos ISO
 * (`talos.iso`) unless a schematic is set, which selects the snapshot labelled with the Talos version and
 * schematic (built beforehand, e.g. by `ksail cluster create` or Packer; this library does not upload images).
 */
export function hetznerPlanInputFromSpec(
  clusterName: string,
  spec: EffectiveSpec,
  options: {
    endpointMode?: HetznerEndpointMode;
    snapshot?: { id?: number; selector?: string };
    loadBalancerType?: string;
    spreadControlPlanes?: boolean;
  } = {},
): HetznerPlanInput {
  const c = spec.cluster;
  const h = spec.provider.hetzner;
  if (c.provider !== "Hetzner" || c.distribution !== "Talos") {
    throw new KsailError([
      { path: "spec.cluster", message: `is ${c.distribution} on ${c.provider}; the Hetzner infrastructure builds Talos on Hetzner only` },
    ]);
  }
  if (c.talos.extensions.length > 0 && c.talos.schematicId === "" && !options.snapshot) {
    throw new KsailError([
      {
        path: "spec.cluster.talos.extensions",
        message: `lists ${c.talos.extensions.join(", ")}, but Talos extensions on Hetzner need a snapshot built from an Image Factory schematic; set spec.cluster.talos.schematicId (POST the extensions to https://factory.talos.dev/schematics) and build the snapshot`,
      },
    ]);
  }
  const snapshot =
    options.snapshot ??
    (c.talos.schematicId !== ""
      ? { selector: snapshotSelector(c.talos.version || DEFAULT_TALOS_VERSION, c.talos.schematicId) }
      : undefined);
  return {
    clusterName,
    controlPlanes: c.controlPlanes,
    workers: c.workers,
    controlPlaneServerType: h.controlPlaneServerType,
    workerServerType: h.workerServerType,
    location: h.location,
    fallbackLocations: h.fallbackLocations,
    ...(options.spreadControlPlanes ? { spreadControlPlanes: true } : {}),
    networkCidr: h.networkCidr,
    networkName: h.networkName,
    placementGroupStrategy: h.placementGroupStrategy === "None" ? "None" : "Spread",
    placementGroup: h.placementGroup,
    ingressFirewall: h.ingressFirewall,
    allowedCidrs: h.allowedCidrs,
    controlPlanePublicIPv4: h.controlPlanePublicIPv4,
    controlPlanePublicIPv6: h.controlPlanePublicIPv6,
    workerPublicIPv4: h.workerPublicIPv4,
    workerPublicIPv6: h.workerPublicIPv6,
    sshKeyName: h.sshKeyName,
    endpointMode: options.endpointMode,
    floatingIPEnabled: h.floatingIPEnabled,
    floatingIPLocation: h.floatingIPLocation,
    loadBalancerType: options.loadBalancerType,
    iso: c.talos.iso,
    snapshot,
    serverLimit: h.serverLimit,
    cni: c.cni as "Default" | "Cilium" | "Calico",
    talosVersion: c.talos.version || DEFAULT_TALOS_VERSION,
    // The hcloud CCM runs its load-balancer controller only with `loadBalancer: Enabled`.
    loadBalancerServices: c.loadBalancer === "Enabled",
  };
}
