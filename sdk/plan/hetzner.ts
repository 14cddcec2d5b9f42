import * as zlib from "node:zlib";
import { KsailError, type Issue } from "../errors";
import type { HetznerOptions } from "../distributions/talos/base";

/**
 * The plain plan of one Talos cluster on Hetzner Cloud: every name, label, rule and layout decision made
 * from the spec alone (DESIGN.md §2.1), so that the Pulumi shell (hetzner.ts) only maps it to @pulumi/hcloud
 * resources and tests can assert it without a runtime. Facts: ksail-lifecycle §3.4, talos-from-ts §4.
 */

/** Node role. */
export type HetznerNodeRole = "control-plane" | "worker";

/**
 * How the Kubernetes API is reached from outside:
 * - `first-control-plane`: a reserved primary IPv4 on the first control plane (KSail's endpoint, not HA);
 * - `floating-ip`: a floating IPv4 the control planes move between them (Talos VIP over the Hetzner API);
 * - `load-balancer`: an `lb11` load balancer on 6443 and 50000 in front of every control plane (private
 *   targets selected by label), a real HA endpoint.
 * Every mode's address exists before any server, so machine configs (and user_data) can carry it.
 */
export type HetznerEndpointMode = "first-control-plane" | "floating-ip" | "load-balancer";

/** Where the servers' Talos comes from (talos-from-ts §4.1). */
export type HetznerImagePlan =
  | {
      /** Public Talos ISO (metal platform, maintenance mode, config applied by TalosMachine). */
      readonly kind: "iso";
      /** ISO id or name, e.g. `125127` (Talos 1.12.4 x86). */
      readonly iso: string;
      /** Image the server is created from before the ISO boots (never runs). */
      readonly placeholderImage: string;
    }
  | {
      /** Talos `hcloud` snapshot (cloud platform; config from user_data). */
      readonly kind: "snapshot";
      /** Snapshot id, when pinned. */
      readonly id?: number;
      /** Label selector of the snapshot (the most recent match wins), when not pinned by id. */
      readonly selector?: string;
    };

/** One server. */
export interface HetznerNodePlan {
  /** Server name = hostname = Kubernetes node name: `<cluster>-control-plane-<n>` / `<cluster>-worker-<n>`. */
  readonly name: string;
  readonly role: HetznerNodeRole;
  /** 1-based index within its role. */
  readonly index: number;
  /** Child-name suffix (`control-plane-1`). */
  readonly suffix: string;
  readonly serverType: string;
  readonly publicIPv4: boolean;
  readonly publicIPv6: boolean;
  readonly labels: Readonly<Record<string, string>>;
  /** Placement group (by plan name) or undefined when the strategy is None. */
  readonly placementGroup?: string;
}

/** One inbound rule of the Hetzner firewall (public interfaces only; private networks are not filtered). */
export interface HetznerFirewallRule {
  readonly description: string;
  readonly direction: "in";
  readonly protocol: "tcp" | "udp" | "icmp";
  readonly port?: string;
  readonly sourceIps: readonly string[];
}

export interface HetznerClusterPlan {
  readonly clusterName: string;
  /** Location of every server, the network zone's members, the load balancer and the endpoint address. */
  readonly location: string;
  /**
   * Fallback locations from the spec. Not used by Pulumi: a server's location forces its replacement, so a
   * location picked at run time would differ on the next preview and recreate the server. They are kept in
   * the plan (and a warning says so) so that a capacity error can be fixed by changing `location`.
   */
  readonly fallbackLocations: readonly string[];
  readonly networkZone: string;
  readonly network: {
    /** Resource name in Hetzner (KSail always names it `<cluster>-network`). */
    readonly name: string;
    readonly cidr: string;
    /** The cloud subnet the servers join (KSail: `10.0.1.0/24` for the default CIDR, else its first /24). */
    readonly subnetCidr: string;
  };
  /** Network name handed to the CCM/CSI/autoscaler secret (`spec.provider.hetzner.networkName` or `<cluster>-network`). */
  readonly secretNetworkName: string;
  /** Undefined when `ingressFirewall: Disabled`. */
  readonly firewall?: { readonly name: string; readonly rules: readonly HetznerFirewallRule[] };
  /** CIDRs allowed to reach the Talos and Kubernetes APIs (empty spec = any IPv4/IPv6). */
  readonly allowedCidrs: readonly string[];
  /** Placement groups (type spread), one per role with nodes; empty for strategy None. */
  readonly placementGroups: readonly { readonly role: HetznerNodeRole; readonly name: string }[];
  readonly nodes: readonly HetznerNodePlan[];
  readonly image: HetznerImagePlan;
  readonly endpoint: {
    readonly mode: HetznerEndpointMode;
    /** Home location of the floating IP. */
    readonly floatingIpLocation: string;
    readonly loadBalancerType: string;
  };
  /** SSH key names put on new servers (ignored on existing ones). */
  readonly sshKeys: readonly string[];
  /** Labels on every resource: `ksail.owned=true`, `ksail.cluster.name=<cluster>`. */
  readonly labels: Readonly<Record<string, string>>;
  /** Non-fatal notes for the user (printed at preview). */
  readonly warnings: readonly string[];
}

/** What `planHetznerCluster` needs (KSail names; see `hetznerPlanInputFromSpec`). */
export interface HetznerPlanInput {
  readonly clusterName: string;
  readonly controlPlanes: number;
  readonly workers: number;
  readonly controlPlaneServerType?: string;
  readonly workerServerType?: string;
  /** @default "fsn1" */
  readonly location?: string;
  readonly fallbackLocations?: readonly string[];
  /** @default "10.0.0.0/16" */
  readonly networkCidr?: string;
  /** Network name for the in-cluster secret (empty = `<cluster>-network`). */
  readonly networkName?: string;
  /** @default "Spread" */
  readonly placementGroupStrategy?: "Spread" | "None";
  /** Base name of the placement groups (empty = `<cluster>-placement`). */
  readonly placementGroup?: string;
  /** @default "Enabled" */
  readonly ingressFirewall?: "Enabled" | "Disabled";
  readonly allowedCidrs?: readonly string[];
  readonly controlPlanePublicIPv4?: boolean;
  readonly controlPlanePublicIPv6?: boolean;
  readonly workerPublicIPv4?: boolean;
  readonly workerPublicIPv6?: boolean;
  readonly sshKeyName?: string;
  /** @default "first-control-plane", or "floating-ip" when `floatingIPEnabled` */
  readonly endpointMode?: HetznerEndpointMode;
  readonly floatingIPEnabled?: boolean;
  readonly floatingIPLocation?: string;
  /** @default "lb11" */
  readonly loadBalancerType?: string;
  /** Talos ISO id/name (`spec.cluster.talos.iso`); @default 125127 */
  readonly iso?: string | number;
  /** Snapshot route: pin by id or select by labels; absent = ISO route. */
  readonly snapshot?: { readonly id?: number; readonly selector?: string };
  /** @default "debian-13" */
  readonly placeholderImage?: string;
  /** Hetzner server quota (0 = 10). */
  readonly serverLimit?: number;
}

/** Hetzner limits: a spread placement group holds at most 10 servers; user_data at most 32 KiB. */
export const SPREAD_GROUP_LIMIT = 10;
export const MAX_USER_DATA_BYTES = 32768;
export const TALOS_API_PORT = 50000;
export const KUBE_API_PORT = 6443;
const DEFAULT_FALLBACKS = ["nbg1", "hel1"];
const ANY = ["0.0.0.0/0", "::/0"];

/** Network zone of a Hetzner location (`fsn1` → `eu-central`). */
export function networkZoneOf(location: string): string | undefined {
  const zones: Record<string, string> = {
    fsn1: "eu-central",
    nbg1: "eu-central",
    hel1: "eu-central",
    ash: "us-east",
    hil: "us-west",
    sin: "ap-southeast",
  };
  return zones[location];
}

/** Parses `a.b.c.d/n` (IPv4) or returns undefined. */
export function parseIPv4Cidr(cidr: string): { base: number; prefix: number } | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(cidr);
  if (!m) return undefined;
  const octets = m.slice(1, 5).map(Number);
  const prefix = Number(m[5]);
  if (octets.some((o) => o > 255) || prefix > 32) return undefined;
  const addr = ((octets[0] << 24) | (octets[1] << 16) | (octets[2] << 8) | octets[3]) >>> 0;
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return { base: (addr & mask) >>> 0, prefix };
}

function ipv4(n: number): string {
  return [24, 16, 8, 0].map((s) => (n >>> s) & 255).join(".");
}

/** The cloud subnet of a network: `10.0.1.0/24` for KSail's default `10.0.0.0/16`, else the first /24. */
export function subnetOf(cidr: string): string {
  const p = parseIPv4Cidr(cidr);
  if (!p || p.prefix > 24)
    throw new KsailError([
      { path: "spec.provider.hetzner.networkCidr", message: `"${cidr}" must be an IPv4 CIDR of /24 or larger, e.g. 10.0.0.0/16` },
    ]);
  if (cidr === "10.0.0.0/16") return "10.0.1.0/24";
  return `${ipv4(p.base)}/24`;
}

/** Firewall of the public interfaces (KSail's: apid and the Kubernetes API from `allowedCidrs`, ICMP from any). */
export function firewallRules(allowedCidrs: readonly string[]): HetznerFirewallRule[] {
  return [
    { description: "Talos API (apid)", direction: "in", protocol: "tcp", port: String(TALOS_API_PORT), sourceIps: [...allowedCidrs] },
    { description: "Kubernetes API", direction: "in", protocol: "tcp", port: String(KUBE_API_PORT), sourceIps: [...allowedCidrs] },
    { description: "ICMP", direction: "in", protocol: "icmp", sourceIps: [...ANY] },
  ];
}

/** Labels of one server (KSail's, so `ksail cluster list` and the autoscaler's cleanup find them). */
export function serverLabels(clusterName: string, role: HetznerNodeRole, index: number): Record<string, string> {
  return { ...commonLabels(clusterName), "ksail.node.type": role, "ksail.node.index": String(index) };
}

export function commonLabels(clusterName: string): Record<string, string> {
  return { "ksail.owned": "true", "ksail.cluster.name": clusterName };
}

/** Label selector of the control planes (load balancer targets). */
export function controlPlaneSelector(clusterName: string): string {
  return `ksail.cluster.name=${clusterName},ksail.node.type=control-plane`;
}

/**
 * Encodes a machine config for `user_data` (snapshot route). Plain YAML when it fits; base64(gzip(yaml))
 * otherwise (the hcloud platform base64-decodes and the config acquirer un-gzips, talos-from-ts §4.2).
 * Throws a KsailError when even the compressed form exceeds Hetzner's 32 KiB limit.
 */
export function encodeUserData(config: string, node = "node"): { userData: string; encoding: "plain" | "base64-gzip"; bytes: number } {
  const plain = Buffer.byteLength(config, "utf8");
  if (plain <= MAX_USER_DATA_BYTES) return { userData: config, encoding: "plain", bytes: plain };
  const packed = zlib.gzipSync(Buffer.from(config, "utf8"), { level: 9 }).toString("base64");
  if (packed.length <= MAX_USER_DATA_BYTES) return { userData: packed, encoding: "base64-gzip", bytes: packed.length };
  throw new KsailError([
    {
      path: "talosConfigPatches",
      message: `the machine config of ${node} is ${plain} bytes (${packed.length} bytes as base64(gzip)), above Hetzner's ${MAX_USER_DATA_BYTES}-byte user_data limit; remove large inline manifests or files from the Talos patches, or use the ISO route (no schematicId), where the config goes through the Talos API`,
    },
  ]);
}

/** Builds the plan; throws a KsailError listing every problem. */
export function planHetznerCluster(input: HetznerPlanInput): HetznerClusterPlan {
  const issues: Issue[] = [];
  const p = "spec.provider.hetzner";
  const name = input.clusterName;
  const location = input.location || "fsn1";
  const cidr = input.networkCidr || "10.0.0.0/16";
  const zone = networkZoneOf(location);
  if (!zone)
    issues.push({
      path: `${p}.location`,
      message: `"${location}" is not a Hetzner Cloud location; allowed: fsn1, nbg1, hel1, ash, hil, sin`,
    });
  let subnetCidr = "";
  try {
    subnetCidr = subnetOf(cidr);
  } catch (e) {
    if (e instanceof KsailError) issues.push(...e.issues);
    else throw e;
  }
  if (!/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/.test(name) || name.length > 40) {
    issues.push({
      path: "metadata.name",
      message: `"${name}" must be lowercase letters, digits and '-' (at most 40 characters) so that server names such as ${name}-control-plane-1 stay valid hostnames`,
    });
  }
  if (!Number.isInteger(input.controlPlanes) || input.controlPlanes < 1) {
    issues.push({
      path: "spec.cluster.controlPlanes",
      message: `is ${input.controlPlanes}; Talos on Hetzner needs at least 1 control plane (use 1 or 3 for etcd quorum)`,
    });
  }
  if (!Number.isInteger(input.workers) || input.workers < 0)
    issues.push({ path: "spec.cluster.workers", message: `is ${input.workers}; must be 0 or more` });
  const limit = input.serverLimit || 10;
  if (input.controlPlanes + input.workers > limit) {
    issues.push({
      path: "spec.cluster",
      message: `${input.controlPlanes} control planes + ${input.workers} workers = ${input.controlPlanes + input.workers} servers exceed the project's server limit ${limit}; lower the node counts or raise ${p}.serverLimit after Hetzner raised your quota`,
    });
  }
  for (const c of input.allowedCidrs ?? []) {
    if (!/^[0-9a-fA-F.:]+\/\d{1,3}$/.test(c))
      issues.push({ path: `${p}.allowedCidrs`, message: `"${c}" is not a CIDR such as 203.0.113.0/24 or 2001:db8::/32` });
  }
  const endpointMode: HetznerEndpointMode = input.endpointMode ?? (input.floatingIPEnabled ? "floating-ip" : "first-control-plane");
  if (endpointMode === "first-control-plane" && input.controlPlanePublicIPv4 === false) {
    issues.push({
      path: `${p}.controlPlanePublicIPv4`,
      message: `is false, but the API endpoint is the first control plane's public IPv4; enable it or use the load-balancer or floating-ip endpoint`,
    });
  }
  const strategy = input.placementGroupStrategy ?? "Spread";
  const groupBase = input.placementGroup || `${name}-placement`;
  const placementGroups: { role: HetznerNodeRole; name: string }[] = [];
  if (strategy === "Spread") {
    for (const [role, count] of [
      ["control-plane", input.controlPlanes],
      ["worker", input.workers],
    ] as const) {
      if (count > SPREAD_GROUP_LIMIT) {
        issues.push({
          path: `${p}.placementGroupStrategy`,
          message: `is Spread, but ${count} ${role} servers exceed a spread group's limit of ${SPREAD_GROUP_LIMIT}; use at most ${SPREAD_GROUP_LIMIT} or set placementGroupStrategy: None`,
        });
      }
      if (count > 0) placementGroups.push({ role, name: `${groupBase}-${role}` });
    }
  }
  let image: HetznerImagePlan;
  if (input.snapshot) {
    if (input.snapshot.id === undefined && !input.snapshot.selector) {
      issues.push({ path: "snapshot", message: "the snapshot route needs an image id or a label selector" });
    }
    image = { kind: "snapshot", ...input.snapshot };
  } else {
    const iso = String(input.iso ?? 125127);
    if (iso === "" || iso === "0")
      issues.push({
        path: "spec.cluster.talos.iso",
        message: `is ${JSON.stringify(input.iso)}; give the id of a public Talos ISO (hcloud iso list), e.g. 125127, or a schematicId for the snapshot route`,
      });
    image = { kind: "iso", iso, placeholderImage: input.placeholderImage || "debian-13" };
  }
  if (issues.length > 0) throw new KsailError(issues, `Hetzner cluster "${name}":`);

  const warnings: string[] = [];
  const fallbacks = input.fallbackLocations ?? [];
  if (fallbacks.length > 0 && fallbacks.join(",") !== DEFAULT_FALLBACKS.join(",")) {
    warnings.push(
      `${p}.fallbackLocations (${input.fallbackLocations!.join(", ")}) are not used by Pulumi: servers are created in ${location} only, because a location chosen at run time would replace the server on the next update; change ${p}.location if ${location} has no capacity`,
    );
  }
  const allowedCidrs = (input.allowedCidrs ?? []).length > 0 ? [...input.allowedCidrs!] : [...ANY];
  const nodes: HetznerNodePlan[] = [];
  const group = (role: HetznerNodeRole) => placementGroups.find((g) => g.role === role)?.name;
  for (let i = 1; i <= input.controlPlanes; i++) {
    nodes.push({
      name: `${name}-control-plane-${i}`,
      role: "control-plane",
      index: i,
      suffix: `control-plane-${i}`,
      serverType: input.controlPlaneServerType || "cx23",
      publicIPv4: input.controlPlanePublicIPv4 ?? true,
      publicIPv6: input.controlPlanePublicIPv6 ?? true,
      labels: serverLabels(name, "control-plane", i),
      placementGroup: group("control-plane"),
    });
  }
  for (let i = 1; i <= input.workers; i++) {
    nodes.push({
      name: `${name}-worker-${i}`,
      role: "worker",
      index: i,
      suffix: `worker-${i}`,
      serverType: input.workerServerType || "cx23",
      publicIPv4: input.workerPublicIPv4 ?? true,
      publicIPv6: input.workerPublicIPv6 ?? true,
      labels: serverLabels(name, "worker", i),
      placementGroup: group("worker"),
    });
  }
  return {
    clusterName: name,
    location,
    fallbackLocations: (input.fallbackLocations ?? []).length > 0 ? [...input.fallbackLocations!] : DEFAULT_FALLBACKS,
    networkZone: zone!,
    network: { name: `${name}-network`, cidr, subnetCidr },
    secretNetworkName: input.networkName || `${name}-network`,
    firewall: input.ingressFirewall === "Disabled" ? undefined : { name: `${name}-firewall`, rules: firewallRules(allowedCidrs) },
    allowedCidrs,
    placementGroups,
    nodes,
    image,
    endpoint: {
      mode: endpointMode,
      floatingIpLocation: input.floatingIPLocation || location,
      loadBalancerType: input.loadBalancerType || "lb11",
    },
    sshKeys: input.sshKeyName ? [input.sshKeyName] : [],
    labels: commonLabels(name),
    warnings,
  };
}

/**
 * The Talos host-firewall CIDRs for the renderer (`hetzner.firewall`): apid/6443 from `allowedCidrs`, plus
 * the private network when a load balancer forwards to the control planes' private addresses.
 */
export function talosAllowedCidrs(plan: HetznerClusterPlan): string[] {
  return plan.endpoint.mode === "load-balancer" ? [...plan.allowedCidrs, plan.network.cidr] : [...plan.allowedCidrs];
}

/** Servers in the order their type changes are applied: control planes first, then workers, by index. */
export function resizeOrder(plan: HetznerClusterPlan): HetznerNodePlan[] {
  return [...plan.nodes.filter((n) => n.role === "control-plane"), ...plan.nodes.filter((n) => n.role === "worker")];
}

/**
 * The renderer's Hetzner options for this plan (`TalosRenderInput.hetzner`): external cloud provider (hcloud
 * CCM), etcd/kubelet addresses pinned to the private network, and KSail's Talos host firewall unless
 * `ingressFirewall: Disabled`. Pass the floating IP (`HetznerClusterInfra.vip`) and the API token (secret;
 * the Talos VIP controller moves the IP with it) in floating-ip mode.
 */
export function talosHetznerOptions(plan: HetznerClusterPlan, vip?: { ip: string; apiToken: string }): HetznerOptions {
  return {
    externalCloudProvider: true,
    privateNetworkCidr: plan.network.cidr,
    ...(plan.firewall ? { firewall: { networkCidr: plan.network.cidr, allowedCidrs: talosAllowedCidrs(plan) } } : {}),
    ...(vip ? { vip: vip.ip, apiToken: vip.apiToken } : {}),
  };
}
