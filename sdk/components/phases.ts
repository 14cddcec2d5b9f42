import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { ClusterReadiness, ReadinessTimeouts } from "../dynamic/clusterReadiness";
import { ArgoCd } from "./argoCd";
import { Calico } from "./calico";
import { CertManager } from "./certManager";
import { Cilium } from "./cilium";
import { CloudProviderKind } from "./cloudProviderKind";
import { ClusterAutoscaler } from "./clusterAutoscaler";
import { Flux } from "./flux";
import { Gatekeeper } from "./gatekeeper";
import { RegistryCredentials } from "./gitopsSecrets";
import { hcloudSecret } from "./hcloudSecret";
import { HcloudCcm } from "./hcloudCcm";
import { HetznerCsi } from "./hetznerCsi";
import { Kyverno } from "./kyverno";
import { LocalPathProvisioner } from "./localPathProvisioner";
import { MetalLb } from "./metallb";
import { MetricsServer } from "./metricsServer";
import { ComponentPlan } from "../plan/components";
import { Values } from "./merge";

/** Installer ids for per-component version/values overrides. */
export type ComponentId =
  | "cni"
  | "hcloudCcm"
  | "csi"
  | "metricsServer"
  | "metallb"
  | "certManager"
  | "kyverno"
  | "gatekeeper"
  | "clusterAutoscaler"
  | "flux"
  | "argoCd";

/** Everything `installComponents` needs besides the plan: values that flow into resources. */
export interface InstallInputs {
  /** The cluster's Kubernetes provider (see `clusterProvider`). */
  readonly provider: k8s.Provider;
  /** Docker provider for cloud-provider-kind. @default the default Docker provider */
  readonly dockerProvider?: pulumi.ProviderResource;
  /** Resources the first stage waits for (e.g. the distribution bootstrap). */
  readonly dependsOn?: pulumi.Resource[];
  /**
   * Readiness gates between the phases. Without it (an existing cluster) the phases only depend on each
   * other.
   */
  readonly readiness?: {
    readonly kubeconfig: pulumi.Input<string>;
    readonly timeouts?: ReadinessTimeouts;
    readonly pollIntervalMs?: number;
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
  /** GitOps secrets. */
  readonly sopsAgeKey?: pulumi.Input<string>;
  readonly registryCredentials?: RegistryCredentials;
  readonly fluxDistributionVersion?: string;
  /** cluster-autoscaler inputs (required when the plan has an autoscaler). */
  readonly autoscaler?: { readonly imageId: pulumi.Input<string>; readonly workerConfig: pulumi.Input<string> };
  /** Per-installer version and values overrides. */
  readonly overrides?: Partial<Record<ComponentId, { version?: pulumi.Input<string>; values?: pulumi.Input<Values> }>>;
}

/** What `installComponents` created, plus the stages (names per stage) in dependency order. */
export interface InstalledComponents {
  readonly cni?: Cilium | Calico;
  readonly hcloudCcm?: HcloudCcm;
  readonly csi?: LocalPathProvisioner | HetznerCsi;
  readonly metricsServer?: MetricsServer;
  readonly loadBalancer?: CloudProviderKind | MetalLb | HcloudCcm;
  readonly certManager?: CertManager;
  readonly policyEngine?: Kyverno | Gatekeeper;
  readonly autoscaler?: ClusterAutoscaler;
  readonly gitOps?: Flux | ArgoCd;
  readonly gates: ClusterReadiness[];
  /**
   * The installers and gates of each stage, by name, in order. Stages run one after another; inside a
   * stage everything runs in parallel except for inherent orderings (CRDs before a chart, cert-manager
   * before the policy engine), so the create critical path is the sum over the stages of the longest
   * chain among the stage's own resources.
   */
  readonly stages: string[][];
}

/**
 * Install a cluster's components in KSail's order, expressed only through dependencies so Pulumi runs
 * every phase's releases in parallel:
 *
 * API gate → CNI → CNI gate (nodes Ready, DaemonSets, Cilium probe) → [Hetzner: CCM → schedulable gate]
 * → phase 1 in parallel (CSI, metrics-server + approver, LoadBalancer, cert-manager → policy engine,
 * autoscaler) → stability gate → phase 2 GitOps (operator → FluxInstance / Application).
 *
 * A component that is switched off or replaced (Kyverno → Gatekeeper, Flux → Argo CD) is simply not
 * created any more, so Pulumi deletes exactly its resources in the same `up`.
 */
export function installComponents(parent: pulumi.Resource, name: string, plan: ComponentPlan, inputs: InstallInputs): InstalledComponents {
  const ctx = plan.context;
  const provider = inputs.provider;
  const ov = (id: ComponentId) => inputs.overrides?.[id] ?? {};
  const stages: string[][] = [];
  const gates: ClusterReadiness[] = [];
  const cloud = ctx.provider !== "Docker";
  const cilium = ctx.cni === "Cilium";

  const gate = (suffix: string, deps: pulumi.Resource[], extra: Partial<ConstructorParameters<typeof ClusterReadiness>[1]>) => {
    const r = inputs.readiness!;
    const g = new ClusterReadiness(
      `${name}-${suffix}`,
      {
        kubeconfig: r.kubeconfig,
        distribution: ctx.distribution,
        provider: ctx.provider,
        timeouts: r.timeouts,
        pollIntervalMs: r.pollIntervalMs,
        trigger: r.trigger,
        ...extra,
      },
      { parent, dependsOn: deps },
    );
    gates.push(g);
    stages.push([`${name}-${suffix}`]);
    return g;
  };
  const opts = (deps: pulumi.Resource[]): pulumi.ComponentResourceOptions => ({ parent, provider, dependsOn: deps });

  // Stage: CNI (behind an API-server gate), then the CNI/node gate.
  let deps: pulumi.Resource[] = inputs.dependsOn ?? [];
  let cni: Cilium | Calico | undefined;
  if (ctx.cni !== "Default") {
    if (inputs.readiness) deps = [gate("api-ready", deps, { checkNodes: false, checkDaemonSets: false })];
    const args = { context: ctx, ...ov("cni") };
    cni = cilium ? new Cilium(`${name}-cilium`, args, opts(deps)) : new Calico(`${name}-calico`, args, opts(deps));
    stages.push([`${name}-${cilium ? "cilium" : "calico"}`]);
    deps = [cni];
  }
  if (inputs.readiness) {
    deps = [
      gate("cni-ready", deps, {
        connectivityProbe: cilium,
        // Talos approves kubelet serving certificates with an approver from its machine config; metrics-server
        // needs it running (KSail waits for it before the infrastructure phase).
        deployments:
          ctx.distribution === "Talos" && plan.metricsServer ? ["kubelet-serving-cert-approver/kubelet-serving-cert-approver"] : undefined,
        podNamespaces: ctx.cni === "Calico" ? ["kube-system", "tigera-operator", "calico-system"] : ["kube-system"],
      }),
    ];
  }

  // Hetzner: the shared hcloud secret (in parallel with the CNI, once the API answers), then the CCM alone,
  // then wait until it initialised the nodes.
  const needsSecret = cloud && (plan.loadBalancer === "HcloudCcm" || plan.csi === "HetznerCsi" || plan.autoscaler !== undefined);
  if (needsSecret && inputs.hcloudToken === undefined) {
    throw new Error(
      `installComponents(${name}): the plan installs the hcloud CCM, CSI driver or autoscaler, which read Secret kube-system/hcloud, but no hcloudToken was given; pass the Hetzner API token (a secret)`,
    );
  }
  const secret =
    needsSecret && inputs.hcloudToken !== undefined
      ? hcloudSecret(
          `${name}-hcloud-secret`,
          { token: inputs.hcloudToken, network: inputs.networkName },
          { parent, provider, dependsOn: gates.length > 0 ? [gates[0]] : (inputs.dependsOn ?? []) },
        )
      : undefined;
  let hcloudCcm: HcloudCcm | undefined;
  if (plan.loadBalancer === "HcloudCcm") {
    hcloudCcm = new HcloudCcm(
      `${name}-hcloud-ccm`,
      { context: ctx, networkName: inputs.networkName, ...ov("hcloudCcm") },
      opts(secret ? [...deps, secret] : deps),
    );
    stages.push([`${name}-hcloud-ccm`]);
    deps = [hcloudCcm];
    if (inputs.readiness) {
      deps = [
        gate("ccm-ready", deps, {
          ignoreUninitializedTaint: false,
          requireNodeLabel: plan.csi === "HetznerCsi" ? "instance.hetzner.cloud/provided-by" : undefined,
          checkDaemonSets: false,
        }),
      ];
    }
  }
  const phase1Deps = secret && !hcloudCcm ? [...deps, secret] : deps;

  // Phase 1, all in parallel (the policy engine waits for cert-manager when both are requested).
  const phase1: pulumi.Resource[] = [];
  const p1: string[] = [];
  let csi: LocalPathProvisioner | HetznerCsi | undefined;
  if (plan.csi === "LocalPath") csi = new LocalPathProvisioner(`${name}-local-path`, {}, opts(phase1Deps));
  if (plan.csi === "HetznerCsi") csi = new HetznerCsi(`${name}-hcloud-csi`, { context: ctx, ...ov("csi") }, opts(phase1Deps));
  if (csi) {
    phase1.push(csi);
    p1.push(plan.csi === "LocalPath" ? `${name}-local-path` : `${name}-hcloud-csi`);
  }
  let metricsServer: MetricsServer | undefined;
  if (plan.metricsServer) {
    metricsServer = new MetricsServer(
      `${name}-metrics-server`,
      { context: ctx, kubeletCsrApprover: plan.kubeletCsrApprover, ...ov("metricsServer") },
      opts(phase1Deps),
    );
    phase1.push(metricsServer);
    p1.push(`${name}-metrics-server`);
  }
  let loadBalancer: CloudProviderKind | MetalLb | HcloudCcm | undefined = hcloudCcm;
  if (plan.loadBalancer === "CloudProviderKind") {
    loadBalancer = new CloudProviderKind(
      `${name}-cloud-provider-kind`,
      { network: inputs.kindNetwork },
      { parent, dependsOn: phase1Deps, ...(inputs.dockerProvider ? { provider: inputs.dockerProvider } : {}) },
    );
    phase1.push(loadBalancer);
    p1.push(`${name}-cloud-provider-kind`);
  }
  if (plan.loadBalancer === "MetalLb") {
    loadBalancer = new MetalLb(
      `${name}-metallb`,
      { context: ctx, dockerNetworkCidr: inputs.dockerNetworkCidr, ...ov("metallb") },
      opts(phase1Deps),
    );
    phase1.push(loadBalancer);
    p1.push(`${name}-metallb`);
  }
  let certManager: CertManager | undefined;
  if (plan.certManager) {
    certManager = new CertManager(`${name}-cert-manager`, { context: ctx, ...ov("certManager") }, opts(phase1Deps));
    phase1.push(certManager);
    p1.push(`${name}-cert-manager`);
  }
  let policyEngine: Kyverno | Gatekeeper | undefined;
  if (plan.policyEngine !== "None") {
    const pDeps = certManager ? [certManager] : phase1Deps;
    policyEngine =
      plan.policyEngine === "Kyverno"
        ? new Kyverno(`${name}-kyverno`, { context: ctx, ...ov("kyverno") }, opts(pDeps))
        : new Gatekeeper(`${name}-gatekeeper`, { context: ctx, ...ov("gatekeeper") }, opts(pDeps));
    phase1.push(policyEngine);
    p1.push(`${name}-${plan.policyEngine.toLowerCase()}`);
  }
  let autoscaler: ClusterAutoscaler | undefined;
  if (plan.autoscaler) {
    if (!inputs.autoscaler) {
      throw new Error(
        `installComponents(${name}): the plan has a cluster-autoscaler but no autoscaler inputs (imageId, workerConfig) were given`,
      );
    }
    autoscaler = new ClusterAutoscaler(
      `${name}-cluster-autoscaler`,
      { context: ctx, settings: plan.autoscaler, ...inputs.autoscaler, ...ov("clusterAutoscaler") },
      opts(phase1Deps),
    );
    phase1.push(autoscaler);
    p1.push(`${name}-cluster-autoscaler`);
  }
  if (p1.length > 0) stages.push(p1);

  // Phase 2: GitOps, behind the full stability gate.
  let gitOps: Flux | ArgoCd | undefined;
  if (plan.gitOpsEngine !== "None") {
    let g2Deps = phase1.length > 0 ? phase1 : deps;
    if (inputs.readiness) {
      g2Deps = [
        gate("stable", g2Deps, {
          connectivityProbe: cilium,
          // Gatekeeper's webhook must have its CA bundle before GitOps applies objects (fatal in KSail).
          webhookConfigurations:
            plan.policyEngine === "Gatekeeper" ? [{ kind: "Validating", name: "gatekeeper-validating-webhook-configuration" }] : undefined,
        }),
      ];
    }
    const common = {
      context: ctx,
      source: plan.gitOpsSource,
      sopsAgeKey: inputs.sopsAgeKey,
      registryCredentials: inputs.registryCredentials,
    };
    gitOps =
      plan.gitOpsEngine === "Flux"
        ? new Flux(`${name}-flux`, { ...common, distributionVersion: inputs.fluxDistributionVersion, ...ov("flux") }, opts(g2Deps))
        : new ArgoCd(`${name}-argocd`, { ...common, ...ov("argoCd") }, opts(g2Deps));
    stages.push([plan.gitOpsEngine === "Flux" ? `${name}-flux` : `${name}-argocd`]);
  }
  return { cni, hcloudCcm, csi, metricsServer, loadBalancer, certManager, policyEngine, autoscaler, gitOps, gates, stages };
}
