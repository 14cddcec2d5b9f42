import * as net from "node:net";

/** Kubernetes/DNS name rules used by validation. Each returns an explanation, or undefined when valid. */
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const QUALIFIED = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;

export function dnsLabelProblem(v: string): string | undefined {
  if (v.length === 0) return "must not be empty";
  if (v.length > 63) return `has ${v.length} characters; at most 63 are allowed`;
  if (!DNS_LABEL.test(v)) return "must be a DNS-1123 label: lower-case letters, digits and '-', starting and ending with a letter or digit";
  return undefined;
}

/** `[prefix/]name` as used by label keys and taint keys. */
export function qualifiedNameProblem(v: string): string | undefined {
  const parts = v.split("/");
  if (parts.length > 2) return "must be [prefix/]name with at most one '/'";
  const name = parts[parts.length - 1];
  if (parts.length === 2) {
    const prefix = parts[0];
    if (prefix.length === 0 || prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix)) return "has a prefix that is not a DNS-1123 subdomain";
  }
  if (name.length === 0 || name.length > 63) return "must have a name part of 1–63 characters";
  if (!QUALIFIED.test(name)) return "must consist of letters, digits, '-', '_' or '.', starting and ending with a letter or digit";
  return undefined;
}

export function labelValueProblem(v: string): string | undefined {
  if (v === "") return undefined;
  if (v.length > 63) return `has ${v.length} characters; at most 63 are allowed`;
  if (!QUALIFIED.test(v)) return "must consist of letters, digits, '-', '_' or '.', starting and ending with a letter or digit";
  return undefined;
}

/** IPv4 or IPv6 CIDR such as `10.0.0.0/16` or `2001:db8::/32`. */
export function cidrProblem(v: string): string | undefined {
  const slash = v.indexOf("/");
  if (slash < 0) return "is not a CIDR (expected address/prefix, e.g. 203.0.113.0/24)";
  const addr = v.slice(0, slash);
  const prefix = v.slice(slash + 1);
  const family = net.isIP(addr);
  if (family === 0) return `has "${addr}", which is not an IPv4 or IPv6 address`;
  const max = family === 4 ? 32 : 128;
  if (!/^[0-9]{1,3}$/.test(prefix) || Number(prefix) > max) return `has prefix length "${prefix}"; allowed 0–${max}`;
  return undefined;
}
