import type { Distribution, Provider, TriToggle } from "./enums";
import type { ClusterSpec, HetznerSpec, KubernetesHostSpec, OmniSpec, Spec } from "./model";
import { DEFAULT_LOCAL_REGISTRY } from "./registry";
import { DISTRIBUTION_META } from "./support";
import { HETZNER_DEFAULTS } from "./defaults";

export type OnOff = "Enabled" | "Disabled";

/** Components a distribution × provider ships by default (as KSail's `distributionmeta.go` decides). */
export type DefaultComponent = "csi" | "cdi" | "metricsServer" | "loadBalancer";

/** Does this distribution × provider provide the component when the spec says `Default`? */
export function providesByDefault(component: DefaultComponent, distribution: Distribution, provider: Provider): boolean {
  switch (component) {
    case "csi":
      // Kind installs its local-path storage on every cluster (KSail's diff treats Vanilla CSI as always Enabled).
      return (
        distribution === "K3s" ||
        (distribution === "Vanilla" && provider === "Docker") ||
        (distribution === "Talos" && provider === "Hetzner")
      );
    case "cdi":
      return distribution === "Talos";
    case "metricsServer":
      return distribution === "K3s";
    case "loadBalancer":
      return distribution === "K3s" || (distribution === "Talos" && provider === "Hetzner");
  }
}

/** KSail's `EffectiveValue`: an explicit Enabled/Disabled passes through; Default resolves per distribution × provider. */
export function effectiveToggle(value: TriToggle | "", component: DefaultComponent, distribution: Distribution, provider: Provider): OnOff {
  if (value === "Enabled" || value === "Disabled") return value;
  return providesByDefault(component, distribution, provider) ? "Enabled" : "Disabled";
}

export interface EffectiveClusterSpec extends Omit<ClusterSpec, DefaultComponent> {
  readonly csi: OnOff;
  readonly cdi: OnOff;
  readonly metricsServer: OnOff;
  readonly loadBalancer: OnOff;
}

/**
 * The spec with every "Default"/empty value resolved to what the cluster really gets. The rest of the
 * package reads this, never the raw `Default`s. `cni` keeps `Default` (= the distribution's own CNI).
 */
export interface EffectiveSpec extends Omit<Spec, "cluster" | "provider"> {
  /** Cluster name: `metadata.name`, else the distribution's default (`kind`, `k3d-default`, `talos-default`). */
  readonly name: string;
  readonly cluster: EffectiveClusterSpec;
  readonly provider: { readonly hetzner: HetznerSpec; readonly omni: OmniSpec; readonly kubernetes: KubernetesHostSpec };
  /** Convenience: true when `controlPlanes + workers >= 3` (charts run highly available). */
  readonly haEnabled: boolean;
}

/**
 * Resolves defaults that depend on other fields:
 * csi/cdi/metricsServer/loadBalancer per distribution × provider; `distributionConfig`; the kube
 * `connection.context`; `localRegistry.registry` (`localhost:5050` with Flux/ArgoCD); the autoscaler
 * expander (`LeastWaste`); `talos.drainTimeout` (`10m`); Hetzner `networkName` (`<name>-network`),
 * `placementGroup` (`<name>-placement`), `fallbackLocations` (`nbg1`, `hel1`), `floatingIPLocation`
 * (the cluster location) and `serverLimit` (0 → 10).
 */
export function effective(spec: Spec, options: { name?: string } = {}): EffectiveSpec {
  const c = spec.cluster;
  const { distribution: d, provider: p } = c;
  const meta = DISTRIBUTION_META[d];
  const name = options.name && options.name !== "" ? options.name : meta.defaultName;
  const h = spec.provider.hetzner;
  const gitOps = c.gitOpsEngine === "Flux" || c.gitOpsEngine === "ArgoCD";
  return {
    ...spec,
    name,
    haEnabled: c.controlPlanes + c.workers >= 3,
    cluster: {
      ...c,
      distributionConfig: c.distributionConfig === "" ? meta.config : c.distributionConfig,
      connection: { ...c.connection, context: c.connection.context === "" ? meta.context(name) : c.connection.context },
      csi: effectiveToggle(c.csi, "csi", d, p),
      cdi: effectiveToggle(c.cdi, "cdi", d, p),
      metricsServer: effectiveToggle(c.metricsServer, "metricsServer", d, p),
      loadBalancer: effectiveToggle(c.loadBalancer, "loadBalancer", d, p),
      localRegistry: {
        ...c.localRegistry,
        registry: c.localRegistry.registry === "" && gitOps ? DEFAULT_LOCAL_REGISTRY : c.localRegistry.registry,
      },
      autoscaler: {
        ...c.autoscaler,
        node: {
          ...c.autoscaler.node,
          expander: c.autoscaler.node.expander.length === 0 ? ["LeastWaste"] : c.autoscaler.node.expander,
        },
      },
      talos: { ...c.talos, drainTimeout: c.talos.drainTimeout === "" ? "10m" : c.talos.drainTimeout },
    },
    provider: {
      ...spec.provider,
      hetzner: {
        ...h,
        networkName: h.networkName === "" ? `${name}-network` : h.networkName,
        placementGroup: h.placementGroup === "" ? `${name}-placement` : h.placementGroup,
        fallbackLocations: h.fallbackLocations.length === 0 ? [...HETZNER_DEFAULTS.fallbackLocations] : h.fallbackLocations,
        floatingIPLocation: h.floatingIPLocation === "" ? h.location : h.floatingIPLocation,
        serverLimit: h.serverLimit === 0 ? HETZNER_DEFAULTS.serverLimit : h.serverLimit,
      },
    },
  };
}
