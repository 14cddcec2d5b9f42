/**
 * The component catalog: every installer a cluster can get, with the charts it installs, its child-name suffix,
 * its install stage and when a plan needs it. `installStages` orders a plan's installers and readiness gates;
 * `chartVersions` and `installedCharts` read the same entries. KSailCluster (through `installComponents`), the
 * `render` command and the cluster's `versions` output are three readers of this one table, so what `render`
 * lists is what `up` installs.
 */
import { charts, type ChartKey } from "../versions";
import type { ComponentPlan } from "./components";

/** Keys of the per-installer `components` overrides and of `ClusterVersions.charts` (the installers that take a chart version). */
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

/** One installer of the catalog (the key of `KSailCluster.components`). */
export type InstallerId =
  | "kindnet"
  | "cilium"
  | "calico"
  | "hcloudCcm"
  | "localPath"
  | "hetznerCsi"
  | "metricsServer"
  | "kubeletCsrApprover"
  | "cloudProviderKind"
  | "localRegistryHosting"
  | "metadataGuard"
  | "metallb"
  | "certManager"
  | "kyverno"
  | "gatekeeper"
  | "clusterAutoscaler"
  | "flux"
  | "argoCd";

/** Install stages, in order: the CNI, the Hetzner cloud controller, everything else in parallel, then GitOps. */
export type InstallStage = "cni" | "cloudController" | "addons" | "gitOps";

export interface CatalogEntry {
  readonly id: InstallerId;
  /** Its `components` override key; absent when the installer takes no chart version (plain manifests, a container). */
  readonly component?: ComponentId;
  /** Child-name suffix: the installer is the component `<cluster resource name>-<suffix>`. */
  readonly suffix: string;
  readonly stage: InstallStage;
  /** Does the plan install it? */
  readonly applies: (plan: ComponentPlan) => boolean;
  /** The pinned charts it installs for the plan, in install order; `versionChart` is the one `versions.charts` reports. */
  readonly charts: (plan: ComponentPlan) => readonly ChartKey[];
  readonly versionChart?: ChartKey;
  /** Installers of the same stage it waits for, when the plan has them (a policy engine's webhooks need cert-manager). */
  readonly after?: readonly InstallerId[];
}

const only =
  (...keys: ChartKey[]) =>
  (): readonly ChartKey[] =>
    keys;
const none = only();

/** Every installer, in install order. */
export const CATALOG: readonly CatalogEntry[] = [
  // Kind's own CNI, managed as Kubernetes objects (not by the nodes), so turning it on or off touches no node.
  { id: "kindnet", suffix: "kindnet", stage: "cni", applies: (p) => p.kindnet, charts: none },
  {
    id: "cilium",
    component: "cni",
    suffix: "cilium",
    stage: "cni",
    applies: (p) => p.context.cni === "Cilium",
    charts: only("cilium"),
    versionChart: "cilium",
  },
  {
    id: "calico",
    component: "cni",
    suffix: "calico",
    stage: "cni",
    applies: (p) => p.context.cni === "Calico",
    charts: only("calicoCrds", "calico"),
    versionChart: "calico",
  },
  {
    id: "hcloudCcm",
    component: "hcloudCcm",
    suffix: "hcloud-ccm",
    stage: "cloudController",
    applies: (p) => p.loadBalancer === "HcloudCcm",
    charts: only("hcloudCcm"),
    versionChart: "hcloudCcm",
  },
  { id: "localPath", suffix: "local-path", stage: "addons", applies: (p) => p.csi === "LocalPath", charts: none },
  {
    id: "hetznerCsi",
    component: "csi",
    suffix: "hcloud-csi",
    stage: "addons",
    applies: (p) => p.csi === "HetznerCsi",
    charts: only("hcloudCsi"),
    versionChart: "hcloudCsi",
  },
  {
    id: "metricsServer",
    component: "metricsServer",
    suffix: "metrics-server",
    stage: "addons",
    applies: (p) => p.metricsServer,
    charts: only("metricsServer"),
    versionChart: "metricsServer",
  },
  // Kind nodes always request kubelet serving certificates; the approver issues them, metrics-server or not.
  {
    id: "kubeletCsrApprover",
    suffix: "kubelet-csr-approver",
    stage: "addons",
    applies: (p) => p.kubeletCsrApprover,
    charts: only("kubeletCsrApprover"),
  },
  {
    id: "cloudProviderKind",
    suffix: "cloud-provider-kind",
    stage: "addons",
    applies: (p) => p.loadBalancer === "CloudProviderKind",
    charts: none,
  },
  // KEP-1755: where developer tools push images for this cluster (a ConfigMap; in place with the local registry).
  {
    id: "localRegistryHosting",
    suffix: "local-registry-hosting",
    stage: "addons",
    applies: (p) => p.localRegistryHosting !== undefined,
    charts: none,
  },
  // Talos × Hetzner with Cilium: pods may not read user_data from the metadata service (a policy; in place with Cilium).
  {
    id: "metadataGuard",
    suffix: "metadata-guard",
    stage: "addons",
    applies: (p) => p.metadataGuard,
    charts: none,
  },
  {
    id: "metallb",
    component: "metallb",
    suffix: "metallb",
    stage: "addons",
    applies: (p) => p.loadBalancer === "MetalLb",
    charts: only("metallb"),
    versionChart: "metallb",
  },
  {
    id: "certManager",
    component: "certManager",
    suffix: "cert-manager",
    stage: "addons",
    applies: (p) => p.certManager,
    charts: only("certManager"),
    versionChart: "certManager",
  },
  {
    id: "kyverno",
    component: "kyverno",
    suffix: "kyverno",
    stage: "addons",
    applies: (p) => p.policyEngine === "Kyverno",
    charts: only("kyverno"),
    versionChart: "kyverno",
    after: ["certManager"],
  },
  {
    id: "gatekeeper",
    component: "gatekeeper",
    suffix: "gatekeeper",
    stage: "addons",
    applies: (p) => p.policyEngine === "Gatekeeper",
    charts: only("gatekeeper"),
    versionChart: "gatekeeper",
    after: ["certManager"],
  },
  {
    id: "clusterAutoscaler",
    component: "clusterAutoscaler",
    suffix: "cluster-autoscaler",
    stage: "addons",
    applies: (p) => p.autoscaler !== undefined,
    charts: only("clusterAutoscaler"),
    versionChart: "clusterAutoscaler",
  },
  {
    id: "flux",
    component: "flux",
    suffix: "flux",
    stage: "gitOps",
    applies: (p) => p.gitOpsEngine === "Flux",
    charts: only("fluxOperator"),
    versionChart: "fluxOperator",
  },
  {
    id: "argoCd",
    component: "argoCd",
    suffix: "argocd",
    stage: "gitOps",
    applies: (p) => p.gitOpsEngine === "ArgoCD",
    charts: only("argoCd"),
    versionChart: "argoCd",
  },
];

/** What a readiness gate checks (the inputs of ClusterReadiness that differ per gate). */
export interface GateChecks {
  readonly checkNodes?: boolean;
  readonly checkDaemonSets?: boolean;
  readonly connectivityProbe?: boolean;
  readonly deployments?: string[];
  readonly podNamespaces?: string[];
  readonly ignoreUninitializedTaint?: boolean;
  readonly requireNodeLabel?: string;
  readonly webhookConfigurations?: { kind: "Validating" | "Mutating"; name: string }[];
}

/** One readiness gate: the ClusterReadiness `<name>-<suffix>`. */
export interface GatePlan {
  readonly suffix: "api-ready" | "cni-ready" | "ccm-ready" | "stable";
  readonly checks: GateChecks;
}

/**
 * One stage of the install: an optional gate before its installers, the installers (in parallel, apart from
 * their `after`), and an optional gate after them. A gate exists only when the cluster is new (readiness
 * gates); installers of the next stage wait for this stage's last gate, or its installers.
 */
export interface StagePlan {
  readonly stage: InstallStage;
  readonly gateBefore?: GatePlan;
  readonly installers: readonly CatalogEntry[];
  readonly gateAfter?: GatePlan;
}

/** The catalog entries a plan installs, in install order. */
export function installers(plan: ComponentPlan): CatalogEntry[] {
  return CATALOG.filter((e) => e.applies(plan));
}

/** The gate on the API server alone (it answers, repeatedly): before the CNI stage, and before any provider is configured. */
export const API_GATE: GatePlan = { suffix: "api-ready", checks: { checkNodes: false, checkDaemonSets: false } };

/**
 * The install stages of a plan, following KSail's order: API gate → CNI → CNI gate (nodes Ready, DaemonSets,
 * the Cilium probe; Talos with metrics-server also waits for the serving-cert approver) → [Hetzner: CCM → gate
 * on the CCM's node initialisation] → add-ons in parallel → stability gate → GitOps. Stages without installers
 * are left out, except the CNI stage's gate after it, which every new cluster passes.
 */
export function installStages(plan: ComponentPlan): StagePlan[] {
  const ctx = plan.context;
  const cilium = ctx.cni === "Cilium";
  const of = (stage: InstallStage) => installers(plan).filter((e) => e.stage === stage);
  const cni = of("cni");
  const stages: StagePlan[] = [
    {
      stage: "cni",
      ...(cni.length > 0 ? { gateBefore: API_GATE } : {}),
      installers: cni,
      gateAfter: {
        suffix: "cni-ready",
        checks: {
          connectivityProbe: cilium,
          deployments:
            ctx.distribution === "Talos" && plan.metricsServer
              ? ["kubelet-serving-cert-approver/kubelet-serving-cert-approver"]
              : undefined,
          podNamespaces: ctx.cni === "Calico" ? ["kube-system", "tigera-operator", "calico-system"] : ["kube-system"],
        },
      },
    },
  ];
  const ccm = of("cloudController");
  if (ccm.length > 0) {
    stages.push({
      stage: "cloudController",
      installers: ccm,
      gateAfter: {
        suffix: "ccm-ready",
        checks: {
          ignoreUninitializedTaint: false,
          requireNodeLabel: plan.csi === "HetznerCsi" ? "instance.hetzner.cloud/provided-by" : undefined,
          checkDaemonSets: false,
        },
      },
    });
  }
  const addons = of("addons");
  if (addons.length > 0) stages.push({ stage: "addons", installers: addons });
  const gitOps = of("gitOps");
  if (gitOps.length > 0) {
    stages.push({
      stage: "gitOps",
      gateBefore: {
        suffix: "stable",
        checks: {
          connectivityProbe: cilium,
          // Gatekeeper's webhook must have its CA bundle before GitOps applies objects (fatal in KSail).
          webhookConfigurations:
            plan.policyEngine === "Gatekeeper" ? [{ kind: "Validating", name: "gatekeeper-validating-webhook-configuration" }] : undefined,
        },
      },
      installers: gitOps,
    });
  }
  return stages;
}

/**
 * Does the plan need Secret `kube-system/hcloud` (the Hetzner API token and network for the CCM, the CSI driver
 * and the autoscaler)?
 */
export function needsHcloudSecret(plan: ComponentPlan): boolean {
  return (
    plan.context.provider !== "Docker" && (plan.loadBalancer === "HcloudCcm" || plan.csi === "HetznerCsi" || plan.autoscaler !== undefined)
  );
}

/** The pinned chart version of every installer the plan creates that takes a `version` override. */
export function chartVersions(plan: ComponentPlan): Partial<Record<ComponentId, string>> {
  const out: Partial<Record<ComponentId, string>> = {};
  for (const e of installers(plan)) if (e.component && e.versionChart) out[e.component] = charts[e.versionChart].version;
  return out;
}

/** The pinned charts the plan installs, in install order. */
export function installedCharts(plan: ComponentPlan): ChartKey[] {
  return installers(plan).flatMap((e) => e.charts(plan));
}
