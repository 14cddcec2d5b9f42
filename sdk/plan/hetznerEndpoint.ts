/**
 * How a Talos cluster on Hetzner is reached: which address is the Kubernetes endpoint, which one the
 * talosconfig dials, which ones the certificates name, and which one is the Talos VIP. Decided here from the
 * spec; Hetzner assigns the addresses when the endpoint resources are created, and the infrastructure (or the
 * `render` command, with documentation addresses) fills them in through `endpointValues`.
 */
import { KUBE_API_PORT, TALOS_API_PORT } from "./hetznerParts";

/**
 * How the Kubernetes API is reached from outside:
 * - `first-control-plane`: a reserved primary IPv4 on the first control plane (KSail's endpoint, not HA);
 * - `floating-ip`: a floating IPv4 the control planes move between them (Talos VIP over the Hetzner API);
 * - `load-balancer`: an `lb11` load balancer on 6443 and 50000 in front of every control plane (private
 *   targets selected by label), a real HA endpoint.
 * Every mode's address exists before any server, so machine configs (and user_data) can carry it.
 */
export type HetznerEndpointMode = "first-control-plane" | "floating-ip" | "load-balancer";

export const ENDPOINT_MODES: readonly HetznerEndpointMode[] = ["first-control-plane", "floating-ip", "load-balancer"];

/** An address Hetzner assigns when the endpoint resources are created. */
export type EndpointAddress = "primaryIp" | "floatingIp" | "loadBalancerIpv4" | "loadBalancerIpv6";

export interface HetznerEndpointPlan {
  readonly mode: HetznerEndpointMode;
  /** Home location of the floating IP. */
  readonly floatingIpLocation: string;
  readonly loadBalancerType: string;
  /**
   * The first control plane gets a reserved primary IPv4 whenever it has public IPv4, whatever the mode:
   * switching modes then never changes a server's public network, which hcloud can only apply by powering the
   * server off.
   */
  readonly primaryIp: boolean;
  /** The address of the Kubernetes API endpoint (`https://<address>:6443`). */
  readonly api: EndpointAddress;
  /**
   * The address the talosconfig dials (`<address>:50000`): the load balancer, else the first control plane's
   * reserved address (not the VIP, which needs etcd and Kubernetes healthy), else the endpoint.
   */
  readonly talos: EndpointAddress;
  /** Certificate SANs besides the API address, in order (empty values are left out). */
  readonly extraSANs: readonly EndpointAddress[];
  /** floating-ip: the address the Talos VIP announces (the control planes move it through the Hetzner API). */
  readonly vip?: EndpointAddress;
}

/** The endpoint decisions for a mode (`firstControlPlanePublicIPv4`: the first control plane has public IPv4). */
export function endpointPlan(
  mode: HetznerEndpointMode,
  firstControlPlanePublicIPv4: boolean,
  options: { floatingIpLocation: string; loadBalancerType: string },
): HetznerEndpointPlan {
  const primaryIp = firstControlPlanePublicIPv4;
  const api: EndpointAddress = mode === "first-control-plane" ? "primaryIp" : mode === "floating-ip" ? "floatingIp" : "loadBalancerIpv4";
  return {
    mode,
    ...options,
    primaryIp,
    api,
    talos: mode === "load-balancer" || !primaryIp ? api : "primaryIp",
    extraSANs: [...(primaryIp ? (["primaryIp"] as const) : []), ...(mode === "load-balancer" ? (["loadBalancerIpv6"] as const) : [])],
    ...(mode === "floating-ip" ? { vip: "floatingIp" as const } : {}),
  };
}

/** `https://<host>:6443`. */
export function kubeApiUrl(host: string): string {
  return `https://${host}:${KUBE_API_PORT}`;
}

/** `<host>:50000` (the talosconfig endpoint). */
export function talosApiEndpoint(host: string): string {
  return `${host}:${TALOS_API_PORT}`;
}

/** The addresses a plan's endpoint resources have (what Hetzner assigned, or stand-ins). */
export type EndpointAddresses = Readonly<Partial<Record<EndpointAddress, string>>>;

/** The certificate SANs: the API address, then the extra ones, without empty values and repeats. */
export function certSANs(values: readonly (string | undefined)[]): string[] {
  return [...new Set(values.filter((x): x is string => !!x))];
}

/** Endpoint, talosconfig endpoint, SANs and VIP of a plan, once its addresses are known. */
export function endpointValues(
  e: HetznerEndpointPlan,
  a: EndpointAddresses,
): { host: string; apiEndpoint: string; talosEndpoint: string; certSANs: string[]; vip?: string } {
  const host = a[e.api] ?? "";
  return {
    host,
    apiEndpoint: kubeApiUrl(host),
    talosEndpoint: talosApiEndpoint(a[e.talos] ?? ""),
    certSANs: certSANs([host, ...e.extraSANs.map((x) => a[x])]),
    ...(e.vip ? { vip: a[e.vip] } : {}),
  };
}
