/**
 * The pure plan of one KSail cluster: everything `KSailCluster` decides from the spec alone — node names,
 * roles and addresses, ports, endpoints, versions, the recreate hash and which components get installed. The
 * component (cluster.ts) only maps this plan to resources, so tests and the `render`/`plan` commands can read
 * it without a Pulumi runtime.
 */
import { KsailError } from "../errors";
import { recreateTrigger } from "../impact/recreate";
import { talosPatchRecreateSalt } from "../impact/talosPatches";
import { effective, type EffectiveSpec } from "../config/effective";
import type { TalosPatchSet } from "../config/load";
import type { Spec } from "../config/model";
import { isSupportedCombination, supportedCombinationsText, type SupportedDistribution, type SupportedProvider } from "../config/support";
import type { NodeRole } from "../distributions/roles";
import { DEFAULT_TALOS_VERSION, parseTalosVersion, type TalosVersion } from "../distributions/talos/versions";
import { talosPatchIssues } from "../distributions/talos/fields";
import { componentPlan, type ComponentPlan } from "./components";
import { chartVersions, type ComponentId } from "./catalog";
import type { DockerClusterPlan } from "./docker";
import { planHetznerCluster, type HetznerClusterPlan } from "./hetzner";
import type { HetznerEndpointMode } from "./hetznerEndpoint";
import { hetznerPlanInputFromSpec } from "./hetznerInput";
import { omniTalosVersion, planOmniCluster, type OmniClusterPlan } from "./omni";
import type { HostExposure, K3kClusterPlan } from "./k3k";
import { planNested } from "./nested";
import { planDockerNodes } from "./dockerCluster";
import { planKwok, type KwokClusterPlan } from "./kwok";
import type { KwokHostPlan } from "./kwokHost";
import type { DindHostPlan } from "./dindHost";
import { planVind, type VindPlan } from "./vind";
import { allocateHostPort } from "./docker";
import { withTalosPatchSalt } from "./salt";
import type { VClusterPlan } from "./vcluster";
import { hetznerTalosPlan, talosKubernetesVersion, type TalosPlan } from "./talos";

/** One node of the cluster as the component reports it. */
export interface PlannedNode {
  /** Node name = hostname = Kubernetes node name (`<cluster>-control-plane-1`, `<cluster>-worker-1`). */
  readonly name: string;
  readonly role: NodeRole;
  /** The node's address inside the cluster network (Docker: static; Hetzner: assigned at create, empty here). */
  readonly address: string;
  /** Child-name suffix of the node's resources (`control-plane-1`, `worker-2`). */
  readonly suffix: string;
}

/** Versions the cluster runs; feed `charts` back as per-component `version` overrides to pin them. */
export interface ClusterVersions {
  /** Talos version (Talos only), e.g. `1.13.9`. */
  readonly talos?: string;
  /** Kubernetes version, e.g. `v1.35.0`. */
  readonly kubernetes: string;
  /** Chart version per installed component (keys are the `components` override ids). */
  readonly charts: Readonly<Partial<Record<ComponentId, string>>>;
}

export interface ClusterPlan {
  /** Cluster name (`metadata.name`, else the resource name). */
  readonly clusterName: string;
  readonly spec: Spec;
  readonly effective: EffectiveSpec;
  readonly distribution: SupportedDistribution;
  readonly provider: SupportedProvider;
  /** `recreateTrigger(spec)`: the `replacementTrigger` of every infrastructure resource. */
  readonly recreateTrigger: string;
  /**
   * What the project's files set that is built in at create (kind.yaml or k3d.yaml and the mirrors of a Kind or K3s
   * cluster, a vCluster's vcluster.yaml), as a short hash; absent when they set nothing. A change recreates the
   * cluster (it salts `recreateTrigger`); `diff` reports it as a row of its own.
   */
  readonly fileRecreateKey?: string;
  readonly nodes: readonly PlannedNode[];
  /** Kubernetes API URL of the kubeconfig (Docker; on Hetzner it is the endpoint address, known at create). */
  readonly endpoint?: string;
  readonly docker?: DockerClusterPlan;
  readonly hetzner?: HetznerClusterPlan;
  /** Talos on Omni: the cluster template (Omni builds the machine configs, so there is no `talos` render). */
  readonly omni?: OmniClusterPlan;
  /** K3s nested in a host cluster through rancher/k3k (provider Kubernetes). */
  readonly k3k?: K3kClusterPlan;
  /** A vCluster nested in a host cluster through its chart (provider Kubernetes). */
  readonly vcluster?: VClusterPlan;
  /** KWOK on Docker: kwokctl's five containers, the simulated node and the kwok controller's configuration. */
  readonly kwok?: KwokClusterPlan;
  /** KWOK on a host cluster: its processes as the host's workloads, the Secret, the API front. */
  readonly kwokHost?: KwokHostPlan;
  /** Vanilla on a host cluster: the Docker-in-Docker pod whose engine runs `docker`'s node containers, and its fronts. */
  readonly dindHost?: DindHostPlan;
  /** VCluster on Docker (vCluster's Docker driver): the control plane and worker containers, the install and joins. */
  readonly vind?: VindPlan;
  readonly talos?: TalosPlan;
  readonly components: ComponentPlan;
  readonly versions: ClusterVersions;
}

export interface ClusterPlanInput {
  /** Cluster name. */
  readonly name: string;
  /** Parsed spec (`parseSpec`/`loadClusterConfig`). */
  readonly spec: Spec;
  readonly talosConfigPatches?: TalosPatchSet;
  /** Parsed kind.yaml (Vanilla) named by `distributionConfig`, as `loadClusterConfig` reads it. */
  readonly kindConfig?: unknown;
  /** Parsed vcluster.yaml (VCluster: vCluster's Helm values) named by `distributionConfig`, as `loadClusterConfig` reads it. */
  readonly vclusterValues?: unknown;
  /** Parsed k3d.yaml (K3s) named by `distributionConfig`, as `loadClusterConfig` reads it. */
  readonly k3dConfig?: unknown;
  /** KWOK: the kwok controller objects of the `kwok/` folder, as `loadClusterConfig` reads them. */
  readonly kwokObjects?: readonly { object: unknown; source: string }[];
  /**
   * Pull-through mirrors in KSail's `--mirror-registry` syntax `[user:pass@]host[=upstream]` (Docker only): a list
   * replaces the four defaults, `[]` means none. @default the four defaults (docker.io, ghcr.io, quay.io, registry.k8s.io)
   */
  readonly mirrors?: readonly string[];
  /** Mirror specs found in the project's files (Kind `mirrorsDir`, Talos patches), merged in for hosts `mirrors` does not name. */
  readonly fileMirrors?: readonly string[];
  /** Hetzner API endpoint: the first control plane's IP, a floating IP (Talos VIP) or a load balancer. @default floating-ip when `floatingIPEnabled`, else first-control-plane */
  readonly hetznerEndpoint?: HetznerEndpointMode;
  /** Kubernetes provider without a gateway class: LoadBalancer or NodePort API front (KSailClusterArgs.hostExposure). */
  readonly hostExposure?: HostExposure;
  /** The NodePort front's address when given as a plain string (KSailClusterArgs.hostAddress). */
  readonly hostAddress?: string;
  /** Hetzner: control planes over `location` and `fallbackLocations` (KSailClusterArgs.hetznerSpreadControlPlanes). */
  readonly hetznerSpreadControlPlanes?: boolean;
}

/** Builds the plan; throws a `KsailError` for a distribution × provider this version cannot build. */
export function planCluster(input: ClusterPlanInput): ClusterPlan {
  const spec = input.spec;
  const eff = effective(spec, { name: input.name });
  const c = eff.cluster;
  if (!isSupportedCombination(c.distribution, c.provider)) {
    throw new KsailError([
      {
        path: c.provider !== "Docker" ? "spec.cluster.provider" : "spec.cluster.distribution",
        message: `${c.distribution} on ${c.provider} is not supported; KSailCluster builds ${supportedCombinationsText()}; change spec.cluster.distribution/provider`,
      },
    ]);
  }
  const distribution = c.distribution as SupportedDistribution;
  const components = componentPlan(eff);
  const talosVersion = distribution === "Talos" ? parseTalosVersion(c.talos.version || DEFAULT_TALOS_VERSION) : undefined;
  // Omni's nodes run the Talos version its template names; every other Talos cluster the spec's.
  const patchVersion = c.provider === "Omni" ? omniTalosVersion(eff) : talosVersion?.version;
  if (patchVersion && input.talosConfigPatches) {
    const p = input.talosConfigPatches;
    const issues = talosPatchIssues([...p.cluster, ...p.controlPlanes, ...p.workers], patchVersion);
    if (issues.length > 0) throw new KsailError(issues, `Talos ${patchVersion} would refuse these patches:`);
  }
  const base = {
    clusterName: eff.name,
    spec,
    effective: eff,
    distribution,
    recreateTrigger: withTalosPatchSalt(
      recreateTrigger(spec),
      talosVersion && talosPatchRecreateSalt(input.talosConfigPatches, talosVersion.version),
    ),
    components,
  };
  if (c.provider !== "Docker" && input.mirrors && input.mirrors.length > 0)
    throw new KsailError([
      {
        path: "mirrors",
        message: `pull-through mirrors run as containers beside a Docker cluster; ${c.provider} nodes pull from the registries directly — remove mirrors`,
      },
    ]);
  if (c.provider === "Hetzner") return planHetzner(input, base, talosVersion!);
  if (c.provider === "Omni") return planOmni(input, base);
  if (c.provider !== "Kubernetes" && input.hostExposure !== undefined)
    throw new KsailError([
      { path: "hostExposure", message: `applies to nested clusters (provider Kubernetes), not to ${c.provider}; remove hostExposure` },
    ]);
  if (c.provider === "Kubernetes") return planNested(input, base);
  if (distribution === "KWOK") return planKwok(input, base);
  if (distribution === "VCluster") return planVindCluster(input, base);
  return planDockerNodes(input, base, talosVersion);
}

/** VCluster on Docker: the control plane and the workers vcluster.yaml lists; the API on 127.0.0.1. */
function planVindCluster(input: ClusterPlanInput, base: PlanBase): ClusterPlan {
  const c = base.effective.cluster;
  if ((input.mirrors?.length ?? 0) > 0 || (input.fileMirrors?.length ?? 0) > 0)
    throw new KsailError([
      {
        path: input.mirrors?.length ? "mirrors" : "fileMirrors",
        message:
          "pull-through mirrors are not wired into a vCluster's nodes by this package; remove them (the nodes pull from the registries directly)",
      },
    ]);
  const v = c.kubernetesVersion === "" ? "" : c.kubernetesVersion.startsWith("v") ? c.kubernetesVersion : `v${c.kubernetesVersion}`;
  const vind = planVind({
    clusterName: base.clusterName,
    kubernetesVersion: v,
    userValues: input.vclusterValues,
    apiHostPort: allocateHostPort(base.clusterName, "api"),
    valuesSource: c.distributionConfig,
  });
  return {
    ...base,
    // What vcluster.yaml sets is applied at create (the workers too): a change recreates.
    recreateTrigger: withTalosPatchSalt(base.recreateTrigger, vind.valuesSalt ? `vcluster.yaml ${vind.valuesSalt}` : undefined),
    ...(vind.valuesSalt ? { fileRecreateKey: vind.valuesSalt } : {}),
    provider: "Docker",
    nodes: [
      { name: vind.controlPlane.name, role: "control-plane", address: "", suffix: "control-plane" },
      ...vind.workers.map((w) => ({ name: w.name, role: "worker" as const, address: "", suffix: `node-${w.name}` })),
    ],
    endpoint: `https://127.0.0.1:${vind.apiHostPort}`,
    vind,
    versions: { kubernetes: vind.kubernetesVersion, charts: chartVersions(base.components) },
  };
}

/** Omni: the template's resources; nodes are the listed machines, or one stand-in per requested machine of a class. */
function planOmni(input: ClusterPlanInput, base: PlanBase): ClusterPlan {
  const omni = planOmniCluster({ spec: base.effective, components: base.components, patches: input.talosConfigPatches });
  const nodes: PlannedNode[] = [];
  const c = base.effective.cluster;
  for (const set of omni.machineSets) {
    const role: NodeRole = set.role === "controlplane" ? "control-plane" : "worker";
    const count = set.role === "controlplane" ? c.controlPlanes : c.workers;
    for (let n = 0; n < count; n++) {
      const machine = set.machines[n];
      const name = machine ?? `${base.clusterName}-${role}-${n + 1}`;
      nodes.push({ name, role, address: "", suffix: machine ? `node-${machine}` : `${role}-${n + 1}` });
    }
  }
  return {
    ...base,
    provider: "Omni",
    nodes,
    omni,
    versions: { talos: omni.talosVersion, kubernetes: `v${omni.kubernetesVersion}`, charts: chartVersions(base.components) },
  };
}

export type PlanBase = Pick<ClusterPlan, "clusterName" | "spec" | "effective" | "distribution" | "recreateTrigger" | "components">;

function planHetzner(input: ClusterPlanInput, base: PlanBase, version: TalosVersion): ClusterPlan {
  const eff = base.effective;
  const hetzner = planHetznerCluster(
    hetznerPlanInputFromSpec(eff.name, eff, {
      endpointMode: input.hetznerEndpoint,
      spreadControlPlanes: input.hetznerSpreadControlPlanes,
    }),
  );
  if (base.components.autoscaler && hetzner.image.kind !== "snapshot") {
    throw new KsailError([
      {
        path: "spec.cluster.autoscaler.node.enabled",
        message:
          "is Enabled, but autoscaled Hetzner nodes boot from a Talos snapshot and this cluster uses the ISO route; set spec.cluster.talos.schematicId (and build its snapshot) or disable node autoscaling",
      },
    ]);
  }
  const nodes = hetzner.nodes.map((n) => ({ name: n.name, role: n.role, address: "", suffix: n.suffix }));
  const talos = hetznerTalosPlan({ spec: eff, version, components: base.components, nodes, patches: input.talosConfigPatches }, hetzner);
  return {
    ...base,
    provider: "Hetzner",
    nodes,
    hetzner,
    talos,
    versions: { talos: talos.version, kubernetes: talosKubernetesVersion(eff, version), charts: chartVersions(base.components) },
  };
}

/**
 * KSailCluster args that reproduce the versions another stack runs (its `versions` output): the Talos and
 * Kubernetes versions go into the spec, the chart versions become per-component `version` overrides. This is
 * how a production stack promotes exactly what staging validated.
 */
export function pinnedVersionArgs(
  spec: Spec,
  versions: ClusterVersions,
): { spec: Spec; components: Partial<Record<ComponentId, { version: string }>> } {
  const c = spec.cluster;
  const cluster = {
    ...c,
    kubernetesVersion: versions.kubernetes,
    talos: versions.talos ? { ...c.talos, version: versions.talos } : c.talos,
  };
  const components = Object.fromEntries(Object.entries(versions.charts).map(([id, version]) => [id, { version: version! }]));
  return { spec: { ...spec, cluster }, components };
}
