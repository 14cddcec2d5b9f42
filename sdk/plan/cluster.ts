/**
 * The pure plan of one KSail cluster (DESIGN.md §2.1): everything `KSailCluster` decides from the spec
 * alone — node names, roles and addresses, ports, endpoints, versions, the recreate hash and which
 * components get installed. The component (cluster.ts) only maps this plan to resources, so tests and the
 * `render`/`plan` commands can read it without a Pulumi runtime.
 */
import { KsailError } from "../errors";
import { recreateTrigger } from "../impact/recreate";
import { effective, type EffectiveSpec } from "../config/effective";
import type { PatchFile, TalosPatchSet } from "../config/load";
import type { Spec } from "../config/model";
import { componentPlan, type ComponentPlan } from "./components";
import type { ComponentId } from "../components/phases";
import { charts, manifests } from "../versions";
import { planDockerCluster, talosRegistryInputs, type DockerClusterPlan } from "./docker";
import { dockerPlanInputFromSpec } from "./dockerInput";
import { planHetznerCluster, type HetznerClusterPlan, type HetznerEndpointMode } from "./hetzner";
import { hetznerPlanInputFromSpec } from "./hetznerInput";
import type { TalosRenderInput } from "../distributions/talos/render";
import {
  DEFAULT_TALOS_VERSION,
  parseTalosVersion,
  resolveKubernetesVersion,
  talosImage,
  talosInstallerImage,
  type TalosVersion,
} from "../distributions/talos/versions";

export type PlanDistribution = "Vanilla" | "K3s" | "Talos";
export type PlanProvider = "Docker" | "Hetzner";
export type NodeRole = "control-plane" | "worker";

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

/** Talos specifics: everything the renderer needs except the secrets bundle (and, on Hetzner, the endpoint). */
export interface TalosPlan {
  readonly version: string;
  /** Node image (Docker) or installer image (Hetzner: Image Factory installer when a schematic is set). */
  readonly image: string;
  /** Docker: Talos API endpoint (`127.0.0.1:port`) the talosconfig and the machines dial. */
  readonly apiEndpoint?: string;
  /** Docker: the in-network Kubernetes endpoint of the machine configs. Hetzner: known after the endpoint address exists. */
  readonly endpoint?: string;
  /** Hetzner ISO route: the first apply goes to the maintenance-mode API. */
  readonly maintenance: boolean;
  readonly render: Omit<TalosRenderInput, "secrets" | "endpoint">;
}

export interface ClusterPlan {
  /** Cluster name (`metadata.name`, else the resource name). */
  readonly clusterName: string;
  readonly spec: Spec;
  readonly effective: EffectiveSpec;
  readonly distribution: PlanDistribution;
  readonly provider: PlanProvider;
  /** `recreateTrigger(spec)`: the `replacementTrigger` of every infrastructure resource. */
  readonly recreateTrigger: string;
  readonly nodes: readonly PlannedNode[];
  /** Kubernetes API URL of the kubeconfig (Docker; on Hetzner it is the endpoint address, known at create). */
  readonly endpoint?: string;
  readonly docker?: DockerClusterPlan;
  readonly hetzner?: HetznerClusterPlan;
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
  /** Hetzner API endpoint: the first control plane's IP, a floating IP (Talos VIP) or a load balancer. @default floating-ip when `floatingIPEnabled`, else first-control-plane */
  readonly hetznerEndpoint?: HetznerEndpointMode;
}

/** Builds the plan; throws a `KsailError` for a distribution × provider this version cannot build. */
export function planCluster(input: ClusterPlanInput): ClusterPlan {
  const spec = input.spec;
  const eff = effective(spec, { name: input.name });
  const c = eff.cluster;
  const pair = `${c.distribution} on ${c.provider}`;
  const hetzner = c.provider === "Hetzner" && c.distribution === "Talos";
  if (!hetzner && (c.provider !== "Docker" || !["Vanilla", "K3s", "Talos"].includes(c.distribution))) {
    throw new KsailError([
      {
        path: c.provider !== "Docker" ? "spec.cluster.provider" : "spec.cluster.distribution",
        message: `${pair} is not supported; KSailCluster builds Vanilla, K3s or Talos on Docker, and Talos on Hetzner; change spec.cluster.distribution/provider`,
      },
    ]);
  }
  const distribution = c.distribution as PlanDistribution;
  const components = componentPlan(eff);
  const talosVersion = distribution === "Talos" ? parseTalosVersion(c.talos.version || DEFAULT_TALOS_VERSION) : undefined;
  const base = { clusterName: eff.name, spec, effective: eff, distribution, recreateTrigger: recreateTrigger(spec), components };
  if (hetzner) return planHetzner(input, base, talosVersion!);

  const dockerInput = dockerPlanInputFromSpec(eff);
  const docker = planDockerCluster(talosVersion ? { ...dockerInput, image: talosImage(talosVersion) } : dockerInput);
  const nodes = docker.nodes.map((n) => ({
    name: n.name,
    role: n.role,
    address: n.ip,
    suffix: n.name.slice(docker.clusterName.length + 1),
  }));
  let talos: TalosPlan | undefined;
  let kubernetes = docker.kubernetesVersion;
  if (talosVersion) {
    kubernetes = resolveKubernetesVersion(talosVersion, c.kubernetesVersion || undefined);
    talos = {
      version: talosVersion.version,
      image: docker.image,
      apiEndpoint: `127.0.0.1:${docker.talosApiHostPort}`,
      endpoint: `https://${nodes[0].address}:6443`,
      maintenance: false,
      render: {
        ...talosRender(input, eff, talosVersion, kubernetes, components, nodes),
        platform: "docker",
        ...talosRegistryInputs(docker),
      },
    };
  }
  return {
    ...base,
    provider: "Docker",
    nodes,
    endpoint: `https://127.0.0.1:${docker.apiHostPort}`,
    docker,
    talos,
    versions: { ...(talos ? { talos: talos.version } : {}), kubernetes, charts: chartVersions(components) },
  };
}

type PlanBase = Pick<ClusterPlan, "clusterName" | "spec" | "effective" | "distribution" | "recreateTrigger" | "components">;

function planHetzner(input: ClusterPlanInput, base: PlanBase, version: TalosVersion): ClusterPlan {
  const eff = base.effective;
  const c = eff.cluster;
  const hetzner = planHetznerCluster(hetznerPlanInputFromSpec(eff.name, eff, { endpointMode: input.hetznerEndpoint }));
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
  const kubernetes = resolveKubernetesVersion(version, c.kubernetesVersion || undefined);
  const schematicId = c.talos.schematicId || undefined;
  const talos: TalosPlan = {
    version: version.version,
    image: talosInstallerImage(version, schematicId),
    maintenance: hetzner.image.kind === "iso",
    render: {
      ...talosRender(input, eff, version, kubernetes, base.components, nodes),
      platform: "hetzner",
      install: { schematicId },
    },
  };
  return {
    ...base,
    provider: "Hetzner",
    nodes,
    hetzner,
    talos,
    versions: { talos: talos.version, kubernetes, charts: chartVersions(base.components) },
  };
}

/** The renderer input shared by both providers (no secrets, no endpoint, no provider specifics). */
function talosRender(
  input: ClusterPlanInput,
  eff: EffectiveSpec,
  version: TalosVersion,
  kubernetes: string,
  components: ComponentPlan,
  nodes: readonly PlannedNode[],
): Omit<TalosRenderInput, "secrets" | "endpoint" | "platform"> {
  const c = eff.cluster;
  return {
    clusterName: eff.name,
    talosVersion: version.version,
    kubernetesVersion: kubernetes,
    cni: c.cni as "Default" | "Cilium" | "Calico",
    metricsServer: components.metricsServer,
    workers: c.workers,
    patches: input.talosConfigPatches,
    nodes: nodes.map((n) => ({ hostname: n.name, role: n.role === "control-plane" ? "controlplane" : "worker" })),
  };
}

/** The pinned chart version of every installer the plan creates that takes a `version` override. */
export function chartVersions(p: ComponentPlan): Partial<Record<ComponentId, string>> {
  const out: Partial<Record<ComponentId, string>> = {};
  if (p.context.cni === "Cilium") out.cni = charts.cilium.version;
  if (p.context.cni === "Calico") out.cni = charts.calico.version;
  if (p.loadBalancer === "HcloudCcm") out.hcloudCcm = charts.hcloudCcm.version;
  if (p.csi === "HetznerCsi") out.csi = charts.hcloudCsi.version;
  if (p.metricsServer) out.metricsServer = charts.metricsServer.version;
  if (p.loadBalancer === "MetalLb") out.metallb = charts.metallb.version;
  if (p.certManager) out.certManager = charts.certManager.version;
  if (p.policyEngine === "Kyverno") out.kyverno = charts.kyverno.version;
  if (p.policyEngine === "Gatekeeper") out.gatekeeper = charts.gatekeeper.version;
  if (p.autoscaler) out.clusterAutoscaler = charts.clusterAutoscaler.version;
  if (p.gitOpsEngine === "Flux") out.flux = charts.fluxOperator.version;
  if (p.gitOpsEngine === "ArgoCD") out.argoCd = charts.argoCd.version;
  return out;
}

/** Manifest versions that are not overridable but still reported (local-path-provisioner). */
export function manifestVersions(p: ComponentPlan): Record<string, string> {
  return p.csi === "LocalPath" ? { localPathProvisioner: manifests.localPathProvisioner.version } : {};
}

/** Patch files of one role in application order (cluster first), for secret-free reporting. */
export function patchSources(set: TalosPatchSet | undefined): { cluster: string[]; controlPlanes: string[]; workers: string[] } {
  const src = (l: PatchFile[] | undefined) => (l ?? []).map((p) => p.source);
  return { cluster: src(set?.cluster), controlPlanes: src(set?.controlPlanes), workers: src(set?.workers) };
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
