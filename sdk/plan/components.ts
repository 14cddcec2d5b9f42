import type { EffectiveSpec } from "../config/effective";
import { localRegistryContainerName, parseRegistrySpec } from "../config/registry";
import { sanitizeRepoName } from "../config/registry";
import type { ComponentContext } from "./context";

/** Where a GitOps engine syncs from. Plain data: it decides which extra resources exist. */
export type GitOpsSource =
  | {
      /** The cluster's local OCI registry (`<cluster>-local-registry:5000`, plain HTTP). */
      readonly type: "localRegistry";
      /** Cluster name (the registry container is `<clusterName>-local-registry`). */
      readonly clusterName: string;
      /** Repository inside the registry: the sanitized `spec.workload.sourceDirectory`. @default "k8s" */
      readonly sourceDirectory?: string;
      /** Artifact tag (`spec.workload.tag`). @default "dev" */
      readonly tag?: string;
      /** Kustomization Flux applies, inside the artifact (`spec.workload.kustomizationFile`). @default the artifact's root */
      readonly kustomizationFile?: string;
    }
  | {
      /** An external OCI registry, e.g. `ghcr.io/org/manifests`. */
      readonly type: "oci";
      /** `oci://host/path` or `host/path`. */
      readonly url: string;
      /** @default "dev" */
      readonly tag?: string;
      /** Kustomization Flux applies, inside the artifact (`spec.workload.kustomizationFile`). @default the artifact's root */
      readonly kustomizationFile?: string;
    }
  | {
      /** A Git repository (HTTPS or SSH URL). */
      readonly type: "git";
      readonly url: string;
      /** Branch. @default "main" */
      readonly branch?: string;
      /** Path inside the repository. @default "./" */
      readonly path?: string;
    };

/**
 * The manifests of `spec.workload.sourceDirectory` pushed as the OCI artifact the GitOps engine syncs from,
 * from the machine that runs Pulumi.
 */
export interface WorkloadArtifactPlan {
  /** `host[:port]` the Pulumi host pushes to: `localhost:<host port>` for the cluster's local registry. */
  readonly registry: string;
  /** Repository inside the registry (the engine's source URL without host and tag). */
  readonly repository: string;
  readonly tag: string;
  /** The directory packed (as loaded: relative to the working directory, or absolute). */
  readonly sourceDirectory: string;
  /** The cluster's own registry on the Docker host (plain HTTP on loopback), not an external one. */
  readonly local: boolean;
  /** Validate the manifests before pushing (`spec.workload.validateOnPush`), skipping these kinds. */
  readonly validateOnPush: boolean;
  readonly skipKinds: readonly string[];
  /** Credentials written into `spec.cluster.localRegistry.registry` (`user:pass@host`), if any. */
  readonly username?: string;
  readonly password?: string;
}

/** A node taint (`spec.cluster.autoscaler.node.pools[].taints[]`). */
export interface PoolTaint {
  readonly key: string;
  readonly value?: string;
  readonly effect: "NoSchedule" | "PreferNoSchedule" | "NoExecute";
}

/** One autoscaled Hetzner node pool (`spec.cluster.autoscaler.node.pools[]`). */
export interface AutoscalerPool {
  readonly name: string;
  /** Hetzner server type, e.g. `cx23`. */
  readonly serverType: string;
  /** Hetzner location, e.g. `fsn1`. */
  readonly location: string;
  readonly min: number;
  readonly max: number;
  readonly labels?: Record<string, string>;
  /** Taints of the pool's nodes. */
  readonly taints?: readonly PoolTaint[];
}

/** The autoscaler settings that shape the chart values. */
export interface AutoscalerSettings {
  readonly pools: readonly AutoscalerPool[];
  /** @default ["least-waste"] */
  readonly expander?: readonly string[];
  /** @default "10m" */
  readonly scaleDownUnneededTime?: string;
  readonly maxNodesTotal?: number;
  readonly scaleDownUtilizationThreshold?: number;
  readonly ignoreDaemonSetsUtilization?: boolean;
  readonly skipNodesWithLocalStorage?: boolean;
  readonly skipNodesWithSystemPods?: boolean;
  /** When false, new workers get no public IPv4/IPv6. @default true */
  readonly workerPublicIp?: boolean;
}

/** Which installers a cluster gets. Plain data derived from the effective spec: it decides the shape. */
export interface ComponentPlan {
  readonly clusterName: string;
  readonly context: ComponentContext;
  readonly csi: "None" | "LocalPath" | "HetznerCsi";
  readonly metricsServer: boolean;
  /**
   * postfinance kubelet-csr-approver (Vanilla, always: Kind nodes request kubelet serving certificates whether or not
   * metrics-server runs, so metrics-server switches in place; Talos approves via its machine config).
   */
  readonly kubeletCsrApprover: boolean;
  /** kindnet, Kind's own CNI, as Kubernetes objects (Vanilla with `cni: Default`). */
  readonly kindnet: boolean;
  /** Docker with a local registry: the KEP-1755 `kube-public/local-registry-hosting` ConfigMap. */
  readonly localRegistryHosting?: LocalRegistryHosting;
  /**
   * Hetzner with Cilium: a Cilium policy denying pods (but the hcloud CSI driver) egress to the metadata service,
   * where user_data, the machine config on the snapshot route, can be read.
   */
  readonly metadataGuard: boolean;
  readonly loadBalancer: "None" | "CloudProviderKind" | "MetalLb" | "HcloudCcm";
  readonly certManager: boolean;
  readonly policyEngine: "None" | "Kyverno" | "Gatekeeper";
  readonly gitOpsEngine: "None" | "Flux" | "ArgoCD";
  /** Where the GitOps engine syncs from (when one is enabled). */
  readonly gitOpsSource?: GitOpsSource;
  /** The workload artifact the Pulumi host pushes for that engine (an OCI source only). */
  readonly workloadArtifact?: WorkloadArtifactPlan;
  /** cluster-autoscaler settings (Talos × Hetzner with node autoscaling). */
  readonly autoscaler?: AutoscalerSettings;
}

const units: Record<string, number> = { ns: 1e-9, us: 1e-6, µs: 1e-6, ms: 1e-3, s: 1, m: 60, h: 3600 };

/** Seconds of a Go duration such as "10m" (the spec's `connection.timeout`); undefined when empty. */
export function durationSeconds(d: string): number | undefined {
  const m = /^([0-9]+)(ns|us|µs|ms|s|m|h)$/.exec(d.trim());
  return m ? Math.ceil(Number(m[1]) * units[m[2]]) : undefined;
}

const expanderNames: Record<string, string> = {
  LeastWaste: "least-waste",
  LeastNodes: "least-nodes",
  Price: "price",
  Random: "random",
  Priority: "priority",
  MostPods: "most-pods",
};

/**
 * The component plan of a cluster, following KSail's component requirements (which components each distribution × provider needs) with one
 * deliberate change: on Talos × Hetzner the hcloud CCM is installed whenever the LoadBalancer **or** the
 * CSI driver is enabled (KSail skips it when `loadBalancer: Disabled`, and the CSI driver then waits
 * forever for the CCM's node label).
 */
export function componentPlan(eff: EffectiveSpec): ComponentPlan {
  const c = eff.cluster;
  const d = c.distribution as ComponentContext["distribution"];
  const p = c.provider as ComponentContext["provider"];
  const hetzner = p === "Hetzner";
  const context: ComponentContext = {
    distribution: d,
    provider: p,
    nodeCount: c.controlPlanes + c.workers,
    cni: c.cni as ComponentContext["cni"],
    loadBalancerEnabled: c.loadBalancer === "Enabled",
    baseTimeoutSeconds: durationSeconds(c.connection.timeout),
  };
  // K3s starts with its packaged metrics-server and local-storage disabled: both are installed from here, in place.
  const metricsServer = c.metricsServer === "Enabled";
  let loadBalancer: ComponentPlan["loadBalancer"] = "None";
  if (hetzner) loadBalancer = c.loadBalancer === "Enabled" || c.csi === "Enabled" ? "HcloudCcm" : "None";
  else if (c.loadBalancer === "Enabled" && d === "Vanilla") loadBalancer = "CloudProviderKind";
  else if (c.loadBalancer === "Enabled" && d === "Talos") loadBalancer = "MetalLb";
  let csi: ComponentPlan["csi"] = "None";
  if (c.csi === "Enabled") csi = hetzner ? "HetznerCsi" : "LocalPath";
  const gitOpsEngine = c.gitOpsEngine as ComponentPlan["gitOpsEngine"];
  let gitOpsSource: GitOpsSource | undefined;
  let workloadArtifact: WorkloadArtifactPlan | undefined;
  if (gitOpsEngine !== "None") {
    const reg = parseRegistrySpec(c.localRegistry.registry);
    const w = eff.workload;
    const tag = reg.tag || w.tag;
    const kf = w.kustomizationFile ? { kustomizationFile: w.kustomizationFile } : {};
    gitOpsSource = reg.external
      ? {
          type: "oci",
          url: `${reg.host}${reg.port ? `:${reg.port}` : ""}${reg.path ? `/${reg.path.replace(/^\/+/, "")}` : ""}`,
          tag,
          ...kf,
        }
      : { type: "localRegistry", clusterName: eff.name, sourceDirectory: w.sourceDirectory, tag, ...kf };
    // What the Pulumi host pushes for that source: the local registry through its host port on Docker, an external
    // registry when its spec names a repository.
    const push = { tag, sourceDirectory: w.sourceDirectory, validateOnPush: w.validateOnPush, skipKinds: w.validation.skipKinds };
    if (!reg.external && p === "Docker")
      workloadArtifact = { ...push, registry: `localhost:${reg.port}`, repository: sanitizeRepoName(w.sourceDirectory), local: true };
    else if (reg.external && reg.path !== "")
      workloadArtifact = {
        ...push,
        registry: `${reg.host}${reg.port ? `:${reg.port}` : ""}`,
        repository: reg.path.replace(/^\/+/, ""),
        local: false,
        ...(reg.username !== "" ? { username: reg.username, password: reg.password } : {}),
      };
  }
  // The local registry container the Docker plan creates (an external registry is not "local" in the KEP's sense).
  const reg = c.localRegistry.registry === "" ? undefined : parseRegistrySpec(c.localRegistry.registry);
  const localRegistry =
    p === "Docker" && reg && !reg.external ? { hostPort: reg.port, containerName: localRegistryContainerName(eff.name) } : undefined;
  const n = c.autoscaler.node;
  const autoscale = hetzner && d === "Talos" && (n.enabled === "Enabled" || c.nodeAutoscaling === "Enabled");
  const threshold = Number.parseFloat(n.scaleDownUtilizationThreshold);
  return {
    clusterName: eff.name,
    context,
    csi,
    metricsServer,
    kubeletCsrApprover: d === "Vanilla",
    kindnet: d === "Vanilla" && c.cni === "Default",
    ...(localRegistry ? { localRegistryHosting: localRegistryHosting(localRegistry) } : {}),
    metadataGuard: hetzner && c.cni === "Cilium",
    loadBalancer,
    certManager: c.certManager === "Enabled",
    policyEngine: c.policyEngine as ComponentPlan["policyEngine"],
    gitOpsEngine,
    gitOpsSource,
    ...(workloadArtifact ? { workloadArtifact } : {}),
    autoscaler: autoscale
      ? {
          pools: n.pools.map((pool) => ({ ...pool, taints: pool.taints })),
          expander: n.expander.map((e) => expanderNames[e] ?? e.toLowerCase()),
          scaleDownUnneededTime: n.scaleDownUnneededTime || undefined,
          maxNodesTotal: n.maxNodesTotal > 0 ? n.maxNodesTotal : undefined,
          scaleDownUtilizationThreshold: Number.isFinite(threshold) ? threshold : undefined,
          ignoreDaemonSetsUtilization: n.ignoreDaemonsetsUtilization,
          skipNodesWithLocalStorage: n.skipNodesWithLocalStorage,
          skipNodesWithSystemPods: n.skipNodesWithSystemPods,
          workerPublicIp: eff.provider.hetzner.workerPublicIPv4 !== false,
        }
      : undefined,
  };
}

/** Where the local registry is reachable from, in the KEP's `LocalRegistryHostingV1` terms. */
export interface LocalRegistryHosting {
  /** From the host (where images are pushed): `localhost:<host port>`. */
  readonly host: string;
  /** From the nodes' container runtime (image names in Kubernetes objects). */
  readonly hostFromContainerRuntime: string;
  /** From pods, on the cluster network. */
  readonly hostFromClusterNetwork: string;
}

/**
 * The local registry of a Docker cluster as the KEP describes it: pushed to at `localhost:<port>` (published on
 * 127.0.0.1), pulled by every node under the same name (each distribution aliases `localhost:<port>` to the
 * registry container), reached from pods by its container name on the cluster network.
 */
export function localRegistryHosting(registry: { readonly hostPort: number; readonly containerName: string }): LocalRegistryHosting {
  const local = `localhost:${registry.hostPort}`;
  return { host: local, hostFromContainerRuntime: local, hostFromClusterNetwork: `${registry.containerName}:5000` };
}
