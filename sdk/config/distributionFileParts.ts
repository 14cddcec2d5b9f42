/**
 * The shapes and helpers the kind.yaml and k3d.yaml readers share (kindFile.ts, k3dFile.ts). Pure.
 */
import type { Issue } from "../errors";

/** The plan inputs a distribution config file sets; absent = the spec's or the plan's default. */
export interface DistributionConfigOverrides {
  /** Node image (kind `nodes[].image`, the same on every node; k3d `image`). */
  readonly image?: string;
  /** Pod CIDR (kind `networking.podSubnet`, k3s `--cluster-cidr`). */
  readonly podSubnet?: string;
  /** Service CIDR (kind `networking.serviceSubnet`, k3s `--service-cidr`). */
  readonly serviceSubnet?: string;
  /** Host port of the Kubernetes API (kind `networking.apiServerPort`, k3d `kubeAPI.hostPort`). */
  readonly apiHostPort?: number;
  /** Docker network CIDR (k3d `subnet`). */
  readonly networkCidr?: string;
  /** `hostPort:containerPort/proto` on the first control plane (kind `extraPortMappings`, k3d `ports`). */
  readonly extraPortMappings?: readonly string[];
  /** Extra k3s arguments per role (k3d `options.k3s.extraArgs` and `options.k3s.nodeLabels`). */
  readonly k3sExtraArgs?: { readonly server: readonly string[]; readonly agent: readonly string[] };
}

export interface DistributionConfigResult {
  readonly overrides: DistributionConfigOverrides;
  readonly issues: Issue[];
}

/** What the interpreters compare the files with. */
export interface DistributionConfigContext {
  /** `spec.cluster.kubernetesVersion` as written (`""` = the pinned default). */
  readonly kubernetesVersion: string;
  /** Source name for messages, e.g. `kind.yaml`. */
  readonly source: string;
  /** Effective `spec.cluster.cni` (K3s: the flags it sets need not be repeated). @default "Default" */
  readonly cni?: "Default" | "Cilium" | "Calico";
  /** Effective `spec.cluster.loadBalancer` is Enabled (K3s ServiceLB). @default true */
  readonly loadBalancer?: boolean;
}

export const NO_OVERRIDES: DistributionConfigResult = { overrides: {}, issues: [] };

export type Reject = (field: string, value: unknown, why: string) => void;
export type MutableOverrides = { -readonly [K in keyof DistributionConfigOverrides]: DistributionConfigOverrides[K] };

// ------------------------------------------------------------------------------------------------ helpers

/** A node image is honoured as the cluster's; it must agree with spec.cluster.kubernetesVersion and be one image. */
export function nodeImage(
  v: unknown,
  field: string,
  ctx: DistributionConfigContext,
  reject: Reject,
  o: MutableOverrides,
  scope: string,
): void {
  if (typeof v !== "string" || !/^[^\s:@]+(:[^\s:@]+)?(@sha256:[0-9a-f]{64})?$/.test(v.replace(/^[^/]+:\d+\//, "")))
    return reject(field, v, "must be an image reference such as kindest/node:v1.36.1 or rancher/k3s:v1.36.2-k3s1");
  if (o.image !== undefined && o.image !== v)
    return reject(field, v, `KSailCluster runs one node image; ${scope} must name ${o.image} (or none)`);
  const tag = /:v?(\d+\.\d+\.\d+)[^:/@]*(@|$)/.exec(v)?.[1];
  const want = ctx.kubernetesVersion.replace(/^v/, "");
  if (want !== "" && tag !== want)
    return reject(
      field,
      v,
      `runs Kubernetes ${tag ?? "(no version tag)"} but spec.cluster.kubernetesVersion is ${ctx.kubernetesVersion}; make them agree (or remove one)`,
    );
  o.image = v;
}

/** Prefix of an IPv4 CIDR (`a.b.c.d/p`, 8 ≤ p ≤ 30), or undefined when it is not one. */
export function ipv4CidrPrefix(s: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(s.trim());
  if (!m || m.slice(1, 5).some((p) => Number(p) > 255)) return undefined;
  const prefix = Number(m[5]);
  return prefix >= 8 && prefix <= 30 ? prefix : undefined;
}

export function show(value: unknown): string {
  const s = JSON.stringify(value);
  return s === undefined ? String(value) : s.length > 80 ? `${s.slice(0, 77)}...` : s;
}
