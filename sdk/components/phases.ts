import * as pulumi from "@pulumi/pulumi";
import type * as k8s from "@pulumi/kubernetes";
import { ClusterReadiness, type ReadinessTimeouts } from "../dynamic/clusterReadiness";
import { ArgoCd } from "./argoCd";
import { Calico } from "./calico";
import { CertManager } from "./certManager";
import { Cilium } from "./cilium";
import { CloudProviderKind } from "./cloudProviderKind";
import { ClusterAutoscaler } from "./clusterAutoscaler";
import { Flux } from "./flux";
import { Gatekeeper } from "./gatekeeper";
import type { RegistryCredentials } from "./gitopsSecrets";
import { hcloudSecret } from "./hcloudSecret";
import { HcloudCcm } from "./hcloudCcm";
import { HetznerCsi } from "./hetznerCsi";
import type { HcloudComponentSettings } from "../plan/hetznerComponents";
import { Kindnet } from "./kindnet";
import { LocalRegistryHosting } from "./localRegistryHosting";
import { MetadataGuard } from "./metadataGuard";
import { KubeletCsrApprover } from "./kubeletCsrApprover";
import { Kyverno } from "./kyverno";
import { LocalPathProvisioner } from "./localPathProvisioner";
import { MetalLb } from "./metallb";
import { MetricsServer } from "./metricsServer";
import type { Values } from "./merge";
import type { ComponentPlan } from "../plan/components";
import { installStages, needsHcloudSecret, type ComponentId, type GatePlan, type InstallerId } from "../plan/catalog";

/** Everything `installComponents` needs besides the plan: values that flow into resources. */
export interface InstallInputs {
  /** The cluster's Kubernetes provider (see `clusterProvider`). */
  readonly provider: k8s.Provider;
  /** Docker provider for cloud-provider-kind. @default the default Docker provider */
  readonly dockerProvider?: pulumi.ProviderResource;
  /** Resources the first stage waits for (e.g. the distribution bootstrap). */
  readonly dependsOn?: pulumi.Resource[];
  /**
   * A gate on the API server that already exists (KSailCluster creates it, because `provider` must be configured only
   * once the API server answers: the Kubernetes provider probes the cluster when it is configured and, finding it
   * unreachable, fails every later create). It stands for the `api-ready` gate before the CNI stage.
   */
  readonly apiGate?: pulumi.Resource;
  /**
   * Readiness gates between the phases. Without it (an existing cluster) the phases only depend on each
   * other.
   */
  readonly readiness?: {
    readonly kubeconfig: pulumi.Input<string>;
    readonly timeouts?: ReadinessTimeouts;
    readonly pollIntervalSeconds?: number;
    /** Re-run the gates when this changes (e.g. the recreate trigger). */
    readonly trigger?: pulumi.Input<string>;
  };
  /** Hetzner API token for Secret `kube-system/hcloud` (CCM, CSI, autoscaler). */
  readonly hcloudToken?: pulumi.Input<string>;
  /** Hetzner private network name stored in that secret. */
  readonly networkName?: pulumi.Input<string>;
  /** The Docker network's IPv4 subnet (MetalLB pool). */
  readonly dockerNetworkCidr?: pulumi.Input<string>;
  /** The Docker network Kind nodes are on (cloud-provider-kind). */
  readonly kindNetwork?: pulumi.Input<string>;
  /** Kind only: what kindnet is told (the cluster's pod subnet and the in-network API endpoint). */
  readonly kindnet?: { readonly podSubnet: string; readonly controlPlaneEndpoint: string };
  /** GitOps secrets. */
  readonly sopsAgeKey?: pulumi.Input<string>;
  readonly registryCredentials?: RegistryCredentials;
  /** Digest of the pushed workload artifact the GitOps engine is pinned to. */
  readonly artifactDigest?: pulumi.Input<string>;
  readonly fluxDistributionVersion?: string;
  /** Talos on Hetzner: the plan's settings for the CCM, the CSI driver and the autoscaler. */
  readonly hcloud?: HcloudComponentSettings;
  /** cluster-autoscaler inputs (required when the plan has an autoscaler). */
  readonly autoscaler?: {
    readonly imageId: pulumi.Input<string>;
    readonly workerConfig: pulumi.Input<string>;
    readonly arm64Image?: pulumi.Input<string>;
  };
  /** Per-installer version and values overrides. */
  readonly overrides?: Partial<Record<ComponentId, { version?: pulumi.Input<string>; values?: pulumi.Input<Values> }>>;
}

/** The installer component of each catalog entry. */
export interface Installers {
  readonly kindnet: Kindnet;
  readonly cilium: Cilium;
  readonly calico: Calico;
  readonly hcloudCcm: HcloudCcm;
  readonly localPath: LocalPathProvisioner;
  readonly hetznerCsi: HetznerCsi;
  readonly metricsServer: MetricsServer;
  readonly kubeletCsrApprover: KubeletCsrApprover;
  readonly cloudProviderKind: CloudProviderKind;
  readonly localRegistryHosting: LocalRegistryHosting;
  readonly metadataGuard: MetadataGuard;
  readonly metallb: MetalLb;
  readonly certManager: CertManager;
  readonly kyverno: Kyverno;
  readonly gatekeeper: Gatekeeper;
  readonly clusterAutoscaler: ClusterAutoscaler;
  readonly flux: Flux;
  readonly argoCd: ArgoCd;
}

/** What `installComponents` created: the installers the plan has, the gates, and the stages by name. */
export interface InstalledComponents {
  readonly installers: Partial<Installers>;
  readonly gates: ClusterReadiness[];
  /**
   * The installers and gates of each stage, by name, in order. Stages run one after another; inside a
   * stage everything runs in parallel except for inherent orderings (CRDs before a chart, cert-manager
   * before the policy engine), so the create critical path is the sum over the stages of the longest
   * chain among the stage's own resources.
   */
  readonly stages: string[][];
}

/** The local-path-provisioner setup each distribution ships or documents. */
const LOCAL_PATH_FLAVOUR = { Vanilla: "kind", K3s: "k3s", Talos: "talos", VCluster: "kind", KWOK: "kind" } as const;

type Build = { [K in InstallerId]: (name: string, opts: pulumi.ComponentResourceOptions) => Installers[K] };

function builders(plan: ComponentPlan, inputs: InstallInputs): Build {
  const context = plan.context;
  const ov = (id: ComponentId) => inputs.overrides?.[id] ?? {};
  const gitOps = {
    context,
    source: plan.gitOpsSource,
    sopsAgeKey: inputs.sopsAgeKey,
    registryCredentials: inputs.registryCredentials,
    artifactDigest: inputs.artifactDigest,
  };
  return {
    kindnet: (n, o) => {
      if (!inputs.kindnet) throw new Error(`installComponents(${n}): the plan has kindnet but no kindnet inputs (podSubnet, endpoint)`);
      return new Kindnet(n, inputs.kindnet, o);
    },
    cilium: (n, o) => new Cilium(n, { context, ...ov("cni") }, o),
    calico: (n, o) => new Calico(n, { context, ...ov("cni") }, o),
    hcloudCcm: (n, o) => new HcloudCcm(n, { context, networkName: inputs.networkName, hcloud: inputs.hcloud, ...ov("hcloudCcm") }, o),
    localPath: (n, o) => new LocalPathProvisioner(n, { flavour: LOCAL_PATH_FLAVOUR[context.distribution] }, o),
    hetznerCsi: (n, o) => new HetznerCsi(n, { context, hcloud: inputs.hcloud, ...ov("csi") }, o),
    // The approver is its own installer (it must outlive metrics-server on Kind), never metrics-server's child here.
    metricsServer: (n, o) => new MetricsServer(n, { context, kubeletCsrApprover: false, ...ov("metricsServer") }, o),
    kubeletCsrApprover: (n, o) => new KubeletCsrApprover(n, { context }, o),
    // A Docker container, not a Kubernetes object: the Docker provider, never the cluster's.
    cloudProviderKind: (n, o) =>
      new CloudProviderKind(
        n,
        { network: inputs.kindNetwork },
        { parent: o.parent, dependsOn: o.dependsOn, ...(inputs.dockerProvider ? { provider: inputs.dockerProvider } : {}) },
      ),
    localRegistryHosting: (n, o) => new LocalRegistryHosting(n, { hosting: plan.localRegistryHosting! }, o),
    metadataGuard: (n, o) => new MetadataGuard(n, {}, o),
    metallb: (n, o) => new MetalLb(n, { context, dockerNetworkCidr: inputs.dockerNetworkCidr, ...ov("metallb") }, o),
    certManager: (n, o) => new CertManager(n, { context, ...ov("certManager") }, o),
    kyverno: (n, o) => new Kyverno(n, { context, ...ov("kyverno") }, o),
    gatekeeper: (n, o) => new Gatekeeper(n, { context, ...ov("gatekeeper") }, o),
    clusterAutoscaler: (n, o) => {
      if (!inputs.autoscaler) {
        throw new Error(
          `installComponents(${n}): the plan has a cluster-autoscaler but no autoscaler inputs (imageId, workerConfig) were given`,
        );
      }
      return new ClusterAutoscaler(
        n,
        { context, settings: plan.autoscaler!, ...inputs.autoscaler, hcloud: inputs.hcloud?.autoscaler, ...ov("clusterAutoscaler") },
        o,
      );
    },
    flux: (n, o) => new Flux(n, { ...gitOps, distributionVersion: inputs.fluxDistributionVersion, ...ov("flux") }, o),
    argoCd: (n, o) => new ArgoCd(n, { ...gitOps, ...ov("argoCd") }, o),
  };
}

/** A readiness gate of a plan's `GatePlan` on the cluster `context` describes, with the install's readiness settings. */
export function readinessGate(
  name: string,
  g: GatePlan,
  context: Pick<ComponentPlan["context"], "distribution" | "provider">,
  r: NonNullable<InstallInputs["readiness"]>,
  opts: pulumi.CustomResourceOptions,
): ClusterReadiness {
  return new ClusterReadiness(
    name,
    {
      kubeconfig: r.kubeconfig,
      distribution: context.distribution,
      provider: context.provider,
      timeouts: r.timeouts,
      pollIntervalSeconds: r.pollIntervalSeconds,
      trigger: r.trigger,
      ...g.checks,
    },
    opts,
  );
}

/**
 * Installs a cluster's components in the stages of `installStages(plan)`, expressed only through
 * dependencies so that Pulumi runs each stage's releases in parallel: a stage's installers wait for the
 * previous stage (its last gate, or its installers), a readiness gate sits where the plan puts one (only
 * with `readiness`: a new cluster), and on Hetzner Secret `kube-system/hcloud` is created beside the CNI and
 * awaited by the cloud controller (or, without it, by the add-ons).
 *
 * A component that is switched off or replaced (Kyverno → Gatekeeper, Flux → Argo CD) is simply not
 * created any more, so Pulumi deletes exactly its resources in the same `up`.
 */
export function installComponents(parent: pulumi.Resource, name: string, plan: ComponentPlan, inputs: InstallInputs): InstalledComponents {
  const ctx = plan.context;
  const build = builders(plan, inputs);
  const stages: string[][] = [];
  const gates: ClusterReadiness[] = [];
  const made: Partial<Record<InstallerId, pulumi.Resource>> = {};
  const r = inputs.readiness;

  const gate = (g: GatePlan, deps: pulumi.Resource[]) => {
    const readiness = readinessGate(`${name}-${g.suffix}`, g, ctx, r!, { parent, dependsOn: deps });
    gates.push(readiness);
    stages.push([`${name}-${g.suffix}`]);
    return readiness;
  };

  const needsSecret = needsHcloudSecret(plan);
  if (needsSecret && inputs.hcloudToken === undefined) {
    throw new Error(
      `installComponents(${name}): the plan installs the hcloud CCM, CSI driver or autoscaler, which read Secret kube-system/hcloud, but no hcloudToken was given; pass the Hetzner API token (a secret)`,
    );
  }
  const plannedStages = installStages(plan);
  const cloudController = plannedStages.some((s) => s.stage === "cloudController");
  let secret: pulumi.Resource | undefined;
  let deps: pulumi.Resource[] = inputs.apiGate ? [inputs.apiGate] : (inputs.dependsOn ?? []);
  for (const s of plannedStages) {
    if (s.gateBefore && r && !(s.gateBefore.suffix === "api-ready" && inputs.apiGate)) deps = [gate(s.gateBefore, deps)];
    // The hcloud secret is read by the CCM, or (without one) by the add-ons that need it.
    const withSecret = secret && (s.stage === "cloudController" || (s.stage === "addons" && !cloudController)) ? [...deps, secret] : deps;
    const members: pulumi.Resource[] = [];
    for (const e of s.installers) {
      const after = (e.after ?? []).map((id) => made[id]).filter((x): x is pulumi.Resource => x !== undefined);
      const installer = build[e.id](`${name}-${e.suffix}`, {
        parent,
        provider: inputs.provider,
        dependsOn: after.length > 0 ? after : withSecret,
      });
      made[e.id] = installer;
      members.push(installer);
    }
    if (members.length > 0) {
      stages.push(s.installers.map((e) => `${name}-${e.suffix}`));
      deps = members;
    }
    if (s.gateAfter && r) deps = [gate(s.gateAfter, deps)];
    if (s.stage === "cni" && needsSecret) {
      // In parallel with the CNI, once the API answers.
      secret = hcloudSecret(
        `${name}-hcloud-secret`,
        { token: inputs.hcloudToken!, network: inputs.networkName },
        {
          parent,
          provider: inputs.provider,
          dependsOn: inputs.apiGate ? [inputs.apiGate] : gates.length > 0 ? [gates[0]] : (inputs.dependsOn ?? []),
        },
      );
    }
  }
  return { installers: made as Partial<Installers>, gates, stages };
}
