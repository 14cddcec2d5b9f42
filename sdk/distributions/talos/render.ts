/**
 * Render Talos machine configs (control plane, worker, and optionally one per node) for a pinned Talos
 * version's contract. Pure: same input, same bytes. See base.ts for the generated content and the
 * built-in patches, patches.ts for the user patch order, redact.ts for the secret-free rendering.
 */
import { KsailError, Issue } from "../../errors";
import { TalosSecretsBundle } from "../../pki/types";
import { BaseOptions, HetznerOptions, TalosMirror, baseDocuments } from "./base";
import { ConfigDocument, isV1Alpha1, parseDocuments, stringifyDocuments, v1alpha1Of } from "./documents";
import { TalosPatchSet, TalosRole, applyPatches, orderedPatches } from "./patches";
import { redactMachineConfig } from "./redact";
import {
  type InstallerPlatform,
  SUPPORTED_TALOS_MINORS,
  TalosMinor,
  TalosVersion,
  contractFor,
  parseTalosVersion,
  resolveKubernetesVersion,
  talosInstallerImage,
} from "./versions";
import { unknownDocumentKinds } from "./classify";

export interface TalosRenderInput {
  /** Cluster name (`cluster.clusterName`). */
  readonly clusterName: string;
  /** Extra kube-apiserver arguments (`cluster.apiServer.extraArgs`), e.g. OIDC. Applied in place. */
  readonly apiServerExtraArgs?: Readonly<Record<string, string>>;
  /** Kubernetes API endpoint, `https://host:6443` (`cluster.controlPlane.endpoint`). */
  readonly endpoint: string;
  /** Talos version (`1.13.9`, `v1.12`); default: versions.ts DEFAULT_TALOS_VERSION. */
  readonly talosVersion?: string;
  /**
   * The config contract (`1.11` … `1.13`): the minor the cluster was created with, pinned so that a later upgrade
   * never stages documents or fields the running nodes' decoder rejects (Talos accepts configs of older contracts,
   * never of newer ones). @default the version's own minor (capped at the newest contract this renderer emits)
   */
  readonly contract?: TalosMinor;
  /** Kubernetes version; default: the Talos minor's default. */
  readonly kubernetesVersion?: string;
  /** The cluster identity from ClusterSecrets (standard PEM labels). */
  readonly secrets: TalosSecretsBundle;
  readonly platform: "docker" | "hetzner" | "metal";
  /** Extra SANs for both the Talos API and the Kubernetes API (127.0.0.1 and the endpoint host are always added). */
  readonly certSANs?: readonly string[];
  /** Default `["10.244.0.0/16"]`. */
  readonly podSubnets?: readonly string[];
  /** Default `["10.96.0.0/12"]`. */
  readonly serviceSubnets?: readonly string[];
  /** Default `cluster.local`. */
  readonly dnsDomain?: string;
  /** Cilium/Calico turn the built-in Flannel off (`cni: none`). Default `Default`. */
  readonly cni?: "Default" | "Cilium" | "Calico";
  /**
   * `cluster.imageVerification`: an `ImageVerificationConfig` document (Talos 1.13+), the one Talos patches add
   * verification rules to (merged by image pattern; an image no rule matches is pulled as before). Default false.
   */
  readonly imageVerification?: boolean;
  /** Kubelet serving-cert rotation plus the approver inline manifest. Default false. */
  readonly metricsServer?: boolean;
  /** Worker count; 0 lets workloads schedule on control planes. */
  readonly workers: number;
  readonly mirrors?: readonly TalosMirror[];
  /** Local registry reachable from the nodes, e.g. `{host: "talos-default-local-registry:5000", endpoint: "http://talos-default-local-registry:5000"}`. */
  readonly localRegistry?: { readonly host: string; readonly endpoint: string };
  readonly hetzner?: HetznerOptions;
  /**
   * Metal installs (also the Hetzner ISO route): disk default `/dev/sda`; image default the installer of
   * the Talos version, or the Image Factory installer of `schematicId`.
   */
  readonly install?: {
    readonly disk?: string;
    readonly image?: string;
    readonly wipe?: boolean;
    readonly schematicId?: string;
    /** Whose installer (the image bakes the platform in): `hcloud` for Hetzner snapshots, else `metal`. */
    readonly platform?: InstallerPlatform;
  };
  /** Patch files of the ksail.yaml Talos patch directory. */
  readonly patches?: Partial<TalosPatchSet>;
  /** Inline patches, applied after the files (cluster first, then role). */
  readonly inlinePatches?: Partial<TalosPatchSet>;
  /** When given, `perNode` holds one config per node with its hostname set. */
  readonly nodes?: readonly { readonly hostname: string; readonly role: TalosRole }[];
}

export interface RenderedMachineConfigs {
  /** Multi-document YAML (secret). */
  readonly controlPlane: string;
  readonly worker: string;
  /** Secret-free renderings (keys/tokens replaced by a marker), safe for plain outputs. */
  readonly controlPlaneRedacted: string;
  readonly workerRedacted: string;
  /** hostname → config, when `nodes` was given. */
  readonly perNode: Readonly<Record<string, string>>;
  readonly talosVersion: TalosVersion;
  readonly kubernetesVersion: string;
  /** The contract the configs were rendered in. */
  readonly contract: TalosMinor;
}

export const DEFAULT_POD_SUBNETS = ["10.244.0.0/16"];
export const DEFAULT_SERVICE_SUBNETS = ["10.96.0.0/12"];
export const DEFAULT_INSTALL_DISK = "/dev/sda";

export function renderMachineConfigs(input: TalosRenderInput): RenderedMachineConfigs {
  const version = parseTalosVersion(input.talosVersion);
  const kubernetesVersion = resolveKubernetesVersion(version, input.kubernetesVersion);
  const { endpoint, endpointHost } = checkInput(input);
  const contractMinor = input.contract ?? version.contract;
  if (SUPPORTED_TALOS_MINORS.indexOf(contractMinor) > SUPPORTED_TALOS_MINORS.indexOf(version.minorKey)) {
    throw new KsailError([
      {
        path: "spec.cluster.talos.version",
        message: `the cluster's config contract ${contractMinor} is newer than Talos ${version.version}; Talos does not go back to an older minor than the one the cluster was created with`,
      },
    ]);
  }
  const contract = contractFor(contractMinor);
  if (input.imageVerification && SUPPORTED_TALOS_MINORS.indexOf(version.minorKey) < SUPPORTED_TALOS_MINORS.indexOf("1.13")) {
    throw new KsailError([
      {
        path: "spec.cluster.imageVerification",
        message: `is Enabled, but Talos ${version.version} has no image verification (the ImageVerificationConfig document exists from Talos 1.13 on); pin Talos 1.13 or newer, or set it to Disabled`,
      },
    ]);
  }

  const mirrors: TalosMirror[] = [...(input.mirrors ?? [])];
  if (input.localRegistry) mirrors.push({ host: input.localRegistry.host, endpoints: [input.localRegistry.endpoint] });

  const install =
    input.platform === "metal" || input.install
      ? {
          disk: input.install?.disk ?? DEFAULT_INSTALL_DISK,
          image: input.install?.image ?? talosInstallerImage(version, input.install?.schematicId, input.install?.platform),
          wipe: input.install?.wipe ?? false,
        }
      : undefined;

  const opts: BaseOptions = {
    contract,
    clusterName: input.clusterName,
    endpoint,
    endpointHost,
    kubernetesVersion,
    secrets: input.secrets,
    platform: input.platform,
    certSANs: unique(["127.0.0.1", endpointHost, ...(input.certSANs ?? [])]),
    podSubnets: input.podSubnets?.length ? input.podSubnets : DEFAULT_POD_SUBNETS,
    serviceSubnets: input.serviceSubnets?.length ? input.serviceSubnets : DEFAULT_SERVICE_SUBNETS,
    dnsDomain: input.dnsDomain ?? "cluster.local",
    cni: input.cni ?? "Default",
    metricsServer: input.metricsServer ?? false,
    imageVerification: input.imageVerification ?? false,
    workers: input.workers,
    mirrors,
    hetzner: input.platform === "hetzner" ? (input.hetzner ?? {}) : undefined,
    install,
    apiServerExtraArgs: input.apiServerExtraArgs,
  };

  const role = (r: TalosRole) => {
    const yaml = stringifyDocuments(applyPatches(baseDocuments(r, opts), orderedPatches(r, input.patches, input.inlinePatches)));
    // A patch may add a document kind the nodes' Talos does not know; Talos would reject the whole config.
    const unknown = unknownDocumentKinds(yaml, version.version, r === "controlplane" ? "control-plane config" : "worker config");
    if (unknown.length > 0) throw new KsailError(unknown, "Cannot render Talos machine configs:");
    return yaml;
  };
  const controlPlane = role("controlplane");
  const worker = role("worker");
  const perNode: Record<string, string> = {};
  for (const n of input.nodes ?? []) {
    if (perNode[n.hostname] !== undefined) {
      throw new KsailError([{ path: "nodes", message: `hostname "${n.hostname}" appears twice; node hostnames must be unique` }]);
    }
    perNode[n.hostname] = renderNodeConfig(n.role === "controlplane" ? controlPlane : worker, {
      hostname: n.hostname,
      role: n.role,
      contract: contractMinor,
    });
  }
  return {
    controlPlane,
    worker,
    controlPlaneRedacted: redactMachineConfig(controlPlane),
    workerRedacted: redactMachineConfig(worker),
    perNode,
    talosVersion: version,
    kubernetesVersion,
    contract: contractMinor,
  };
}

/**
 * Set one node's hostname the version-appropriate way, keeping every other document: ≥ 1.12 replaces the
 * HostnameConfig document with `{hostname}` (`auto` conflicts with it); 1.11 sets `machine.network.hostname`.
 * Without `talosVersion` the contract is inferred: a config that renders `machine.features.rbac` /
 * `stableHostname` (hidden from 1.12 on) is a 1.11 config.
 */
export function renderNodeConfig(
  base: string,
  node: { hostname: string; role?: TalosRole; talosVersion?: string; contract?: TalosMinor },
): string {
  if (!/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/.test(node.hostname) || node.hostname.length > 253) {
    throw new KsailError([
      {
        path: "hostname",
        message: `"${node.hostname}" is not a valid hostname; use lower-case letters, digits and "-" (RFC 1123), at most 63 per label`,
      },
    ]);
  }
  const docs = parseDocuments(base);
  const v1 = v1alpha1Of(docs);
  const machine = (v1.machine ?? {}) as Record<string, any>;
  if (node.role && machine.type !== node.role) {
    throw new KsailError([{ path: "role", message: `is "${node.role}" but the config is for machine.type "${String(machine.type)}"` }]);
  }
  const legacy = node.contract
    ? !contractFor(node.contract).hostnameDocument
    : node.talosVersion
      ? !contractFor(parseTalosVersion(node.talosVersion).contract).hostnameDocument
      : machine.features?.rbac !== undefined || machine.features?.stableHostname !== undefined;
  let out: ConfigDocument[];
  if (legacy) {
    out = docs.map((d) => {
      if (!isV1Alpha1(d)) return d;
      const m = { ...(d.machine as Record<string, any>) };
      m.network = { ...(m.network ?? {}), hostname: node.hostname };
      return { ...d, machine: m };
    });
  } else {
    out = docs.filter((d) => d.kind !== "HostnameConfig");
    out.push({ apiVersion: "v1alpha1", kind: "HostnameConfig", hostname: node.hostname });
  }
  return stringifyDocuments(out);
}

function unique(xs: readonly string[]): string[] {
  return [...new Set(xs.filter((x) => x !== ""))];
}

function checkInput(input: TalosRenderInput): { endpoint: string; endpointHost: string } {
  const issues: Issue[] = [];
  if (!/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/.test(input.clusterName ?? "")) {
    issues.push({ path: "metadata.name", message: `cluster name "${input.clusterName}" must be lower-case letters, digits and "-"` });
  }
  let endpointHost = "";
  try {
    const u = new URL(input.endpoint);
    if (u.protocol !== "https:") throw new Error("not https");
    endpointHost = u.hostname.replace(/^\[(.*)\]$/, "$1");
  } catch {
    issues.push({ path: "endpoint", message: `"${input.endpoint}" must be an https URL such as https://10.5.0.2:6443` });
  }
  if (!Number.isInteger(input.workers) || input.workers < 0) {
    issues.push({ path: "spec.cluster.workers", message: `is ${input.workers}; must be a whole number ≥ 0` });
  }
  if (!["docker", "hetzner", "metal"].includes(input.platform)) {
    issues.push({ path: "platform", message: `is "${input.platform}"; allowed: docker, hetzner, metal` });
  }
  if (input.cni !== undefined && !["Default", "Cilium", "Calico"].includes(input.cni)) {
    issues.push({ path: "spec.cluster.cni", message: `is "${input.cni}"; allowed: Default, Cilium, Calico` });
  }
  if (input.hetzner?.vip && !input.hetzner.apiToken) {
    issues.push({
      path: "spec.provider.hetzner",
      message: "a floating-IP VIP needs the Hetzner API token (apiToken) so the elected control plane can move it",
    });
  }
  const fw = input.hetzner?.firewall;
  const cidr = /^[0-9a-f.:]+\/\d{1,3}$/;
  for (const [role, rules] of Object.entries(fw ?? {})) {
    const names = rules.map((r) => r.name);
    const dup = names.find((n, i) => names.indexOf(n) !== i);
    if (dup)
      issues.push({
        path: `hetzner.firewall.${role}`,
        message: `rule name "${dup}" is used twice; NetworkRuleConfig names must be unique`,
      });
  }
  const cidrs: [string, string][] = [
    ...Object.values(fw ?? {}).flatMap((rules) =>
      rules.flatMap((r) => r.sources.map((c) => ["spec.provider.hetzner.allowedCidrs", c] as [string, string])),
    ),
    ...(input.hetzner?.privateNetworkCidr !== undefined
      ? [["spec.provider.hetzner.networkCidr", input.hetzner.privateNetworkCidr] as [string, string]]
      : []),
  ];
  for (const [field, c] of cidrs) {
    if (!cidr.test(c)) issues.push({ path: field, message: `"${c}" is not a CIDR such as 10.0.0.0/16 or ::/0 (lower-case hex for IPv6)` });
  }
  for (const [i, m] of (input.mirrors ?? []).entries()) {
    if (!m.host || m.endpoints.length === 0 || m.endpoints.some((e) => !/^https?:\/\//.test(e))) {
      issues.push({
        path: `spec.cluster.localRegistry.mirrors[${i}]`,
        message: `mirror "${m.host}" needs at least one http(s):// endpoint, got ${JSON.stringify(m.endpoints)}`,
      });
    }
  }
  if (issues.length > 0) throw new KsailError(issues, "Cannot render Talos machine configs:");
  return { endpoint: input.endpoint, endpointHost };
}
