/**
 * The pure plan of a Talos cluster on Sidero Omni: the cluster template KSail syncs (a Cluster with the
 * Talos and Kubernetes versions, ConfigPatches from the `talos/` patch files plus the few KSail adds, a
 * control-plane and a worker MachineSet allocated from a machine class or from listed machines, one
 * MachineSetNode per listed machine), as the resources Omni's template sync writes
 * (siderolabs/omni client/pkg/template/internal/models: IDs, labels, patch weights and annotations).
 */
import * as path from "node:path";
import * as YAML from "yaml";
import { KsailError } from "../errors";
import type { EffectiveSpec } from "../config/effective";
import type { PatchFile, TalosPatchSet } from "../config/load";
import { parsePatch } from "../distributions/talos/patches";
import { APPROVER_NAME, kubeletServingCertApproverManifest } from "../distributions/talos/approver";
import { DEFAULT_TALOS_VERSION, parseTalosVersion, resolveKubernetesVersion } from "../distributions/talos/versions";
import type { ComponentPlan } from "./components";

/** Kubernetes user and groups of the service-account kubeconfig, and its lifetime (KSail's). */
export const OMNI_KUBECONFIG = { user: "ksail", groups: ["system:masters"], ttlSeconds: 30 * 24 * 3600 } as const;

/** Labels and annotations of template resources (client/pkg/omni/resources/omni/labels.go). */
const L = {
  cluster: "omni.sidero.dev/cluster",
  machineSet: "omni.sidero.dev/machine-set",
  controlPlane: "omni.sidero.dev/role-controlplane",
  worker: "omni.sidero.dev/role-worker",
  managedByTemplates: "omni.sidero.dev/managed-by-cluster-templates",
} as const;

/** Config fields and documents Omni owns; a patch that sets them is refused (client/pkg/omni/resources/omni/config_patch.go). */
export const OMNI_FORBIDDEN_FIELDS = [
  "cluster.clusterName",
  "cluster.id",
  "cluster.controlPlane.endpoint",
  "cluster.token",
  "cluster.secret",
  "cluster.aescbcEncryptionSecret",
  "cluster.secretboxEncryptionSecret",
  "cluster.ca",
  "cluster.acceptedCAs",
  "cluster.serviceAccount",
  "machine.token",
  "machine.ca",
  "machine.type",
  "machine.install.disk",
  "machine.install.extensions",
  "machine.acceptedCAs",
] as const;
export const OMNI_FORBIDDEN_DOCUMENTS = [
  "UnattendedInstallConfig",
  "DiscoveryIdentityConfig",
  "KubeClusterConfig",
  "KubeEtcdEncryptionConfig",
  "KubeAPIServerCAConfig",
  "KubeAggregatorCAConfig",
] as const;

export type OmniPatchScope = "cluster" | "control-planes" | "workers";

/** One ConfigPatch resource. */
export interface OmniPatchPlan {
  /** `<weight>-<prefix>-<name>`: weight 200+ for the cluster, 400+ per machine set. */
  readonly id: string;
  /** The patch's name (the `name` annotation): the file name without extension, or `ksail-<purpose>`. */
  readonly name: string;
  readonly scope: OmniPatchScope;
  /** The YAML Omni applies (strategic merge). */
  readonly data: string;
  readonly labels: Readonly<Record<string, string>>;
}

/** One MachineSet resource and, with listed machines, its MachineSetNodes. */
export interface OmniMachineSetPlan {
  /** `<cluster>-control-planes` or `<cluster>-workers`. */
  readonly id: string;
  readonly role: "controlplane" | "worker";
  readonly labels: Readonly<Record<string, string>>;
  /** MachineSetSpec fields (camelCase): rolling updates; the machine-class allocation when one is used. */
  readonly spec: {
    readonly updateStrategy: "Rolling";
    readonly machineAllocation?: { readonly name: string; readonly machineCount: number; readonly allocationType: "Static" };
  };
  /** Listed machines of this role (MachineSetNode IDs); empty with a machine class. */
  readonly machines: readonly string[];
  /** Labels of each MachineSetNode. */
  readonly nodeLabels: Readonly<Record<string, string>>;
}

export interface OmniClusterPlan {
  /** The endpoint from the spec (`endpointEnvVar`'s value overrides it when the cluster is built). */
  readonly endpoint: string;
  readonly endpointEnvVar: string;
  readonly serviceAccountKeyEnvVar: string;
  /** Talos version without `v` (as Omni's Cluster spec holds it). */
  readonly talosVersion: string;
  /** Kubernetes version without `v`. */
  readonly kubernetesVersion: string;
  readonly cluster: {
    readonly id: string;
    readonly annotations: Readonly<Record<string, string>>;
    readonly spec: { readonly talosVersion: string; readonly kubernetesVersion: string; readonly features: Record<string, never> };
  };
  readonly patches: readonly OmniPatchPlan[];
  readonly machineSets: readonly OmniMachineSetPlan[];
  readonly kubeconfig: typeof OMNI_KUBECONFIG;
}

export interface OmniPlanInput {
  readonly spec: EffectiveSpec;
  readonly components: ComponentPlan;
  readonly patches?: TalosPatchSet;
}

/** The Talos version an Omni cluster's template names: Omni's own field, else the spec's, else the default. */
export function omniTalosVersion(eff: EffectiveSpec): string {
  const o = eff.provider.omni;
  const talosField = o.talosVersion !== "" ? "spec.provider.omni.talosVersion" : "spec.cluster.talos.version";
  return parseTalosVersion(o.talosVersion || eff.cluster.talos.version || DEFAULT_TALOS_VERSION, talosField).version;
}

export function planOmniCluster(i: OmniPlanInput): OmniClusterPlan {
  const eff = i.spec;
  const c = eff.cluster;
  const o = eff.provider.omni;
  const name = eff.name;
  const version = parseTalosVersion(omniTalosVersion(eff));
  const k8sField = o.kubernetesVersion !== "" ? "spec.provider.omni.kubernetesVersion" : "spec.cluster.kubernetesVersion";
  const kubernetes = resolveKubernetesVersion(version, o.kubernetesVersion || c.kubernetesVersion || undefined, k8sField).replace(/^v/, "");
  const talosVersion = version.version.replace(/^v/, "");

  const cpId = `${name}-control-planes`;
  const workersId = `${name}-workers`;
  const sets: OmniMachineSetPlan[] = [
    machineSet(name, cpId, "controlplane", c.controlPlanes, o.machineClass, o.machines.slice(0, c.controlPlanes)),
  ];
  if (c.workers > 0) {
    sets.push(
      machineSet(name, workersId, "worker", c.workers, o.machineClass, o.machines.slice(c.controlPlanes, c.controlPlanes + c.workers)),
    );
  }

  const patches: OmniPatchPlan[] = [];
  const add = (scope: OmniPatchScope, list: readonly { name: string; data: string }[]) => {
    const prefix = scope === "cluster" ? `cluster-${name}` : scope === "control-planes" ? cpId : workersId;
    const base = scope === "cluster" ? 200 : 400;
    const labels: Record<string, string> = { [L.cluster]: name };
    if (scope !== "cluster") labels[L.machineSet] = prefix;
    list.forEach((p, n) =>
      patches.push({ id: `${String(base + n).padStart(3, "0")}-${prefix}-${p.name}`, name: p.name, scope, data: p.data, labels }),
    );
  };
  add("cluster", [...generatedPatches(eff, i.components), ...userPatches(i.patches?.cluster ?? [], "cluster")]);
  add("control-planes", userPatches(i.patches?.controlPlanes ?? [], "control-planes"));
  if (c.workers > 0) add("workers", userPatches(i.patches?.workers ?? [], "workers"));

  return {
    endpoint: o.endpoint,
    endpointEnvVar: o.endpointEnvVar,
    serviceAccountKeyEnvVar: o.serviceAccountKeyEnvVar,
    talosVersion,
    kubernetesVersion: kubernetes,
    cluster: {
      id: name,
      annotations: { [L.managedByTemplates]: "" },
      spec: { talosVersion, kubernetesVersion: kubernetes, features: {} },
    },
    patches,
    machineSets: sets,
    kubeconfig: OMNI_KUBECONFIG,
  };
}

function machineSet(
  cluster: string,
  id: string,
  role: "controlplane" | "worker",
  count: number,
  machineClass: string,
  machines: readonly string[],
): OmniMachineSetPlan {
  const roleLabel = role === "controlplane" ? L.controlPlane : L.worker;
  const labels = { [L.cluster]: cluster, [roleLabel]: "" };
  return {
    id,
    role,
    labels,
    spec: {
      updateStrategy: "Rolling",
      ...(machineClass !== "" ? { machineAllocation: { name: machineClass, machineCount: count, allocationType: "Static" as const } } : {}),
    },
    machines: machineClass !== "" ? [] : [...machines],
    nodeLabels: { ...labels, [L.machineSet]: id },
  };
}

/** The node configuration KSail's own Talos configs carry, as cluster-wide patches (Omni builds the rest). */
function generatedPatches(eff: EffectiveSpec, components: ComponentPlan): { name: string; data: string }[] {
  const c = eff.cluster;
  const out: { name: string; data: string }[] = [];
  if (c.cni !== "Default") {
    const cluster: Record<string, unknown> = { network: { cni: { name: "none" } } };
    // Calico ≥ 3.30 needs MutatingAdmissionPolicy on the API server (KSail's ksail-apiserver-feature-gates).
    if (c.cni === "Calico") {
      cluster.apiServer = {
        extraArgs: { "feature-gates": "MutatingAdmissionPolicy=true", "runtime-config": "admissionregistration.k8s.io/v1beta1=true" },
      };
    }
    out.push({ name: "ksail-cni", data: YAML.stringify({ cluster }) });
  }
  if (components.metricsServer) {
    out.push({
      name: "ksail-metrics-server",
      data: YAML.stringify({
        machine: { kubelet: { extraArgs: { "rotate-server-certificates": "true" } } },
        cluster: { inlineManifests: [{ name: APPROVER_NAME, contents: kubeletServingCertApproverManifest() }] },
      }),
    });
  }
  if (c.workers === 0) out.push({ name: "ksail-scheduling", data: YAML.stringify({ cluster: { allowSchedulingOnControlPlanes: true } }) });
  return out;
}

/** The `talos/<scope>/*.yaml` files as Omni patches: strategic merge only, none of Omni's own fields. */
function userPatches(files: readonly PatchFile[], scope: OmniPatchScope): { name: string; data: string }[] {
  return files.map((f) => {
    const parsed = parsePatch(f);
    if (parsed.type === "json6902") {
      throw new KsailError([
        {
          path: f.source,
          message: `is a JSON patch (RFC 6902); Omni config patches are strategic-merge YAML documents: rewrite it as one`,
        },
      ]);
    }
    const problems: string[] = [];
    for (const doc of parsed.documents) {
      const kind = typeof doc.kind === "string" ? doc.kind : undefined;
      if (kind && (OMNI_FORBIDDEN_DOCUMENTS as readonly string[]).includes(kind)) problems.push(`the ${kind} document`);
      if (!kind) for (const field of OMNI_FORBIDDEN_FIELDS) if (getPath(doc, field) !== undefined) problems.push(field);
    }
    if (problems.length > 0) {
      throw new KsailError([
        {
          path: f.source,
          message: `sets ${problems.join(", ")}, which Omni manages itself and refuses in a config patch; remove ${problems.length > 1 ? "them" : "it"} from the ${scope} patch`,
        },
      ]);
    }
    return { name: path.basename(f.source).replace(/\.[^.]+$/, ""), data: f.content };
  });
}

function getPath(doc: unknown, p: string): unknown {
  let cur = doc;
  for (const k of p.split(".")) {
    if (cur === null || typeof cur !== "object" || !(k in (cur as object))) return undefined;
    cur = (cur as Record<string, unknown>)[k];
  }
  return cur;
}

/**
 * The plan as an Omni cluster template (`kind: Cluster` / `ControlPlane` / `Workers`, the format
 * `omnictl cluster template sync` reads): template sync turns it into the same resources, IDs included.
 * `withPatchContents: false` lists each patch by name with its content left out (patches may hold credentials).
 */
export function omniClusterTemplate(plan: OmniClusterPlan, o: { withPatchContents: boolean }): string {
  const patch = (p: OmniPatchPlan) =>
    o.withPatchContents
      ? { name: p.name, inline: YAML.parse(p.data) ?? {} }
      : { name: p.name, inline: { "# content omitted": `render --with-secrets shows it (${p.id})` } };
  const docs: Record<string, unknown>[] = [
    {
      kind: "Cluster",
      name: plan.cluster.id,
      kubernetes: { version: `v${plan.kubernetesVersion}` },
      talos: { version: `v${plan.talosVersion}` },
      ...(plan.patches.some((p) => p.scope === "cluster") ? { patches: plan.patches.filter((p) => p.scope === "cluster").map(patch) } : {}),
    },
  ];
  for (const s of plan.machineSets) {
    const scope: OmniPatchScope = s.role === "controlplane" ? "control-planes" : "workers";
    const patches = plan.patches.filter((p) => p.scope === scope).map(patch);
    docs.push({
      kind: s.role === "controlplane" ? "ControlPlane" : "Workers",
      ...(s.spec.machineAllocation
        ? { machineClass: { name: s.spec.machineAllocation.name, size: s.spec.machineAllocation.machineCount } }
        : { machines: [...s.machines] }),
      ...(patches.length > 0 ? { patches } : {}),
    });
  }
  return docs.map((d) => YAML.stringify(d)).join("---\n");
}
