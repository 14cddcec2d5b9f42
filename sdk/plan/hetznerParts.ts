/**
 * Hetzner Cloud facts and the small pure builders of the Hetzner plan: limits and ports, locations and their
 * network zones, the cloud subnet, the public firewall rules, KSail's labels, and the user_data encoding.
 */
import * as zlib from "node:zlib";
import { KsailError } from "../errors";
import { HETZNER_DEFAULTS } from "../config/defaults";
import type { NodeRole } from "../distributions/roles";

/** One inbound rule of the Hetzner firewall (public interfaces only; private networks are not filtered). */
export interface HetznerFirewallRule {
  readonly description: string;
  readonly direction: "in";
  readonly protocol: "tcp" | "udp" | "icmp";
  readonly port?: string;
  readonly sourceIps: readonly string[];
}

/** Hetzner limits: a spread placement group holds at most 10 servers; user_data at most 32 KiB. */
export const SPREAD_GROUP_LIMIT = 10;
export const MAX_USER_DATA_BYTES = 32768;
export const TALOS_API_PORT = 50000;
export const KUBE_API_PORT = 6443;
/** Any IPv4 and IPv6 source: the allowed CIDRs of an open API, and the ICMP rule's sources. */
export const ANY_SOURCE: readonly string[] = ["0.0.0.0/0", "::/0"];

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
  if (cidr === HETZNER_DEFAULTS.networkCidr) return "10.0.1.0/24";
  return `${ipv4(p.base)}/24`;
}

/** Firewall of the public interfaces (KSail's: apid and the Kubernetes API from `allowedCidrs`, ICMP from any). */
export function firewallRules(allowedCidrs: readonly string[]): HetznerFirewallRule[] {
  return [
    { description: "Talos API (apid)", direction: "in", protocol: "tcp", port: String(TALOS_API_PORT), sourceIps: [...allowedCidrs] },
    { description: "Kubernetes API", direction: "in", protocol: "tcp", port: String(KUBE_API_PORT), sourceIps: [...allowedCidrs] },
    { description: "ICMP", direction: "in", protocol: "icmp", sourceIps: [...ANY_SOURCE] },
  ];
}

/** The CPU architecture of a Hetzner server type: the CAX line is Arm (Ampere), every other line x86. */
export function architectureOf(serverType: string): "x86" | "arm" {
  return /^cax\d/i.test(serverType) ? "arm" : "x86";
}

/** Labels of one server (KSail's, so `ksail cluster list` and the autoscaler's cleanup find them). */
export function serverLabels(clusterName: string, role: NodeRole, index: number): Record<string, string> {
  return { ...commonLabels(clusterName), "ksail.node.type": role, "ksail.node.index": String(index) };
}

export function commonLabels(clusterName: string): Record<string, string> {
  return { "ksail.owned": "true", "ksail.cluster.name": clusterName };
}

/** Labels the Hetzner CSI driver puts on every volume it creates (its extra volume labels), so a destroy finds them. */
export function csiVolumeLabels(clusterName: string): Record<string, string> {
  return { ...commonLabels(clusterName), "ksail.volume": "csi" };
}

/** A label selector matching all of these labels (`k=v,k=v`). */
export function selectorOf(labels: Readonly<Record<string, string>>): string {
  return Object.entries(labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(",");
}

/** Label selector of the control planes (load balancer targets). */
export function controlPlaneSelector(clusterName: string): string {
  return `ksail.cluster.name=${clusterName},ksail.node.type=control-plane`;
}

/**
 * Encodes a machine config for `user_data` (snapshot route). Plain YAML when it fits; base64(gzip(yaml))
 * otherwise: Talos on the hcloud platform base64-decodes user_data and its config loader gunzips a gzip stream.
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
