/**
 * The pure plan of one KSail cluster (DESIGN.md §2.1): everything `KSailCluster` decides from the spec
 * alone — node names, roles and addresses, ports, endpoints, versions, the recreate hash and which
 * components get installed. The component (cluster.ts) only maps this plan to resources, so tests and the
 * `render`/`plan` commands can read it without a Pulumi runtime.
 */
import { KsailError } from "./errors";
import { recreateTrigger } from "./impact/recreate";
import { effective, type EffectiveSpec } from "./spec/effective";
import type { PatchFile, TalosPatchSet } from "./spec/load";
import type { Spec } from "./spec/model";
import { componentPlan, type ComponentPlan } from "./components/plan";
import type { ComponentId } from "./components/phases";
import { charts, manifests } from "./components/versions";
import { planDockerCluster, talosRegistryInputs, type DockerClusterPlan } from "./providers/docker-plan";
import { dockerPlanInputFromSpec } from "./providers/docker-spec";
import type { TalosRenderInput } from "./distributions/talos/render";
import { DEFAULT_TALOS_VERSION, parseTalosVersion, resolveKubernetesVersion, talosImage } from "./distributions/talos/versions";

export type PlanDistribution = "Vanilla" | "K3s" | "Talos";
export type PlanProvider = "Docker" | "Hetzner";
export type NodeRole = "control-plane" | "worker";

/** One node of the cluster as the component reports it. */
export interface PlannedNode {
  /** Node name = hostname = Kubernetes node name (`<cluster>-control-plane-1`, `<cluster>-worker-1`). */
  readonly name: string;
  readonly role: NodeRole;
  /** The node's address inside the cluster network. */
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

/** Talos specifics: everything the renderer needs except the secrets bundle (known only after create). */
export interface TalosPlan {
  readonly version: string;
  readonly image: string;
  /** Talos API endpoint (`host:port`) the talosconfig and the machines dial. */
  readonly apiEndpoint: string;
  readonly render: Omit<TalosRenderInput, "secrets">;
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
  /** Kubernetes API URL of the kubeconfig. */
  readonly endpoint: string;
  readonly docker?: DockerClusterPlan;
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
}

/** Builds the plan; throws a `KsailError` for a distribution × provider this version cannot build. */
export function planCluster(input: ClusterPlanInput): ClusterPlan {
  const spec = input.spec;
  const eff = effective(spec, { name: input.name });
  const c = eff.cluster;
  const pair = `${c.distribution} on ${c.provider}`;
  if (c.provider === "Hetzner" && c.distribution === "Talos") {
    throw new KsailError([
      {
        path: "spec.cluster.provider",
        message: `Talos on Hetzner is not yet available in this version of @ksail/pulumi (the Hetzner infrastructure has not landed); use provider Docker for now, or plan the program with "ksail-pulumi plan" once it is released`,
      },
    ]);
  }
  if (c.provider !== "Docker" || !["Vanilla", "K3s", "Talos"].includes(c.distribution)) {
    throw new KsailError([
      {
        path: c.provider !== "Docker" ? "spec.cluster.provider" : "spec.cluster.distribution",
        message: `${pair} is not supported; KSailCluster builds Vanilla, K3s or Talos on Docker (and Talos on Hetzner); change spec.cluster.distribution/provider`,
      },
    ]);
  }
  const distribution = c.distribution as PlanDistribution;
  const talosVersion = distribution === "Talos" ? parseTalosVersion(c.talos.version || DEFAULT_TALOS_VERSION) : undefined;
  const dockerInput = dockerPlanInputFromSpec(eff);
  const docker = planDockerCluster(talosVersion ? { ...dockerInput, image: talosImage(talosVersion) } : dockerInput);
  const nodes = docker.nodes.map((n) => ({ name: n.name, role: n.role, address: n.ip, suffix: n.name.slice(docker.clusterName.length + 1) }));
  const endpoint = `https://127.0.0.1:${docker.apiHostPort}`;
  const components = componentPlan(eff);

  let talos: TalosPlan | undefined;
  let kubernetes = docker.kubernetesVersion;
  if (talosVersion) {
    kubernetes = resolveKubernetesVersion(talosVersion, c.kubernetesVersion || undefined);
    talos = {
      version: talosVersion.version,
      image: docker.image,
      apiEndpoint: `127.0.0.1:${docker.talosApiHostPort}`,
      render: {
        clusterName: eff.name,
        endpoint: `https://${nodes[0].address}:6443`,
        talosVersion: talosVersion.version,
        kubernetesVersion: kubernetes,
        platform: "docker",
        cni: c.cni as "Default" | "Cilium" | "Calico",
        metricsServer: components.metricsServer,
        workers: c.workers,
        ...talosRegistryInputs(docker),
        patches: input.talosConfigPatches,
        nodes: nodes.map((n) => ({ hostname: n.name, role: n.role === "control-plane" ? "controlplane" : "worker" })),
      },
    };
  }
  return {
    clusterName: eff.name,
    spec,
    effective: eff,
    distribution,
    provider: "Docker",
    recreateTrigger: recreateTrigger(spec),
    nodes,
    endpoint,
    docker,
    talos,
    components,
    versions: { ...(talos ? { talos: talos.version } : {}), kubernetes, charts: chartVersions(components) },
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
