/**
 * The network reachability model of a Talos cluster on Hetzner Cloud, and the one source of both firewalls.
 *
 * From the plan's layout (endpoint mode, `allowedCidrs`, CNI, which nodes have public addresses, the image route)
 * it decides which flows the cluster needs — the machine running Pulumi to each node's Talos API and to the API
 * endpoint, node to node over the private network (kubelet, etcd, apid proxying, trustd, the CNI's ports), pods to
 * the API servers and kubelets, load balancers to their targets — and renders exactly those as the Hetzner
 * firewall (public interfaces only: Hetzner does not filter private networks) and the Talos host firewall (every
 * interface but loopback, default block). `flowAllowed` evaluates a flow through both the way the peers do, so
 * tests can check every combination: each needed flow passes, nothing else does. `routes` tells which address each
 * node's Talos API is dialled at: workers (their apid closed to the outside, as Talos recommends) and nodes without
 * public IPv4 through a control plane's apid, which proxies to the node's private address (`node` metadata).
 *
 * Facts this follows: Talos ingress firewall (siderolabs/talos website/content/v1.11/talos-guides/network/
 * ingress-firewall.md; the rules talosctl itself generates: cmd/talosctl/cmd/mgmt/cluster/internal/firewallpatch/
 * firewallpatch.go; in block mode only pod/service → pod/service traffic is let through unasked:
 * internal/app/machined/pkg/controllers/network/nftables_chain_config.go), Talos's etcd HTTP listener from 1.14
 * (pkg/machinery/constants EtcdClientHTTPPort 2383), kube-apiserver advertising the node IP Talos's kubelet picked
 * (`--advertise-address=$(POD_IP)`, internal/app/machined/pkg/controllers/k8s/control_plane.go), KubePrism falling
 * back to the control planes' discovered addresses (k8s/kubeprism_endpoints.go), Cilium (VXLAN 8472/udp, health
 * 4240/tcp; pod traffic to other nodes is not masqueraded), Calico (VXLAN 4789/udp, Typha 5473/tcp), Flannel
 * (VXLAN 4789/udp), and Hetzner Cloud firewalls applying to public interfaces only.
 */
import type { NodeRole } from "../distributions/roles";
import type { HetznerEndpointMode } from "./hetznerEndpoint";
import { ANY_SOURCE, KUBE_API_PORT, TALOS_API_PORT, type HetznerFirewallRule } from "./hetznerParts";
import { cidrContains, parseAddress } from "./hetznerCidr";

export type CniName = "Default" | "Cilium" | "Calico";

/** Ports of the model (Talos, Kubernetes and CNI defaults). */
export const PORTS = {
  apid: TALOS_API_PORT,
  trustd: 50001,
  kubeApi: KUBE_API_PORT,
  kubelet: 10250,
  etcdClient: 2379,
  etcdPeer: 2380,
  /** Talos ≥ 1.14 serves etcd's metrics and health on a separate HTTP listener. */
  etcdHttp: 2383,
  ciliumVxlan: 8472,
  ciliumHealth: 4240,
  /** Flannel's and Calico's VXLAN port (the IANA one). */
  vxlan: 4789,
  calicoTypha: 5473,
  nodePortLow: 30000,
  nodePortHigh: 32767,
} as const;

/** One Talos `NetworkRuleConfig`: the ports of one protocol, open to these source subnets. */
export interface TalosIngressRule {
  readonly name: string;
  readonly protocol: "tcp" | "udp";
  /** Ports or ranges (`2379-2380`). */
  readonly ports: readonly (number | string)[];
  readonly sources: readonly string[];
}

/** How the Talos API of one node is dialled. */
export interface TalosRoute {
  /** `own-public`: the node's public IPv4. `talos-endpoint`: the talosconfig endpoint (control plane or load balancer). */
  readonly dial: "own-public" | "talos-endpoint";
  /** Through the endpoint to the node's private address (`node` metadata); the endpoint's apid proxies the call. */
  readonly viaPrivate: boolean;
  /** ISO route: the maintenance-mode API (no identity yet, so it cannot be proxied) is dialled at the node's own public address. */
  readonly maintenance?: "own-public";
}

export interface NetworkModelInput {
  readonly endpointMode: HetznerEndpointMode;
  /** The effective allowed sources (`ANY_SOURCE` when the spec leaves them empty). */
  readonly allowedCidrs: readonly string[];
  /** The private network (every server and load balancer has an address in it). */
  readonly networkCidr: string;
  readonly podCidrs: readonly string[];
  readonly cni: CniName;
  /** Talos version of the machine configs (`1.13.9`). */
  readonly talosVersion: string;
  /** The hcloud CCM creates load balancers for Services (targets: the nodes' private addresses, NodePorts). */
  readonly loadBalancerServices: boolean;
  /** ISO route: nodes boot the Talos ISO and get their config over the maintenance-mode API. */
  readonly isoRoute: boolean;
  /** `ingressFirewall: Enabled`: both firewalls exist. Disabled filters nothing. */
  readonly firewall: boolean;
  readonly nodes: readonly { readonly name: string; readonly role: NodeRole; readonly publicIPv4: boolean; readonly publicIPv6: boolean }[];
}

export interface NetworkModel {
  readonly input: NetworkModelInput;
  /** Hetzner firewall rules per role (public interfaces); undefined when the firewall is disabled. */
  readonly hetznerFirewall?: Readonly<Record<NodeRole, readonly HetznerFirewallRule[]>>;
  /** Talos host-firewall rules per role (default action block); undefined when the firewall is disabled. */
  readonly talosIngress?: Readonly<Record<NodeRole, readonly TalosIngressRule[]>>;
  /** How each node's Talos API is dialled, by node name. */
  readonly routes: Readonly<Record<string, TalosRoute>>;
}

/** `1.14.0` → true when the version is at least `major.minor`. */
function atLeast(version: string, major: number, minor: number): boolean {
  const m = /^v?(\d+)\.(\d+)/.exec(version);
  if (!m) return false;
  const [a, b] = [Number(m[1]), Number(m[2])];
  return a > major || (a === major && b >= minor);
}

const unique = (xs: readonly string[]): string[] => [...new Set(xs)];

/** The CNI's node-to-node ports. */
export function cniPorts(cni: CniName): { readonly name: string; readonly protocol: "tcp" | "udp"; readonly port: number }[] {
  if (cni === "Cilium")
    return [
      { name: "cni-vxlan", protocol: "udp", port: PORTS.ciliumVxlan },
      { name: "cni-health", protocol: "tcp", port: PORTS.ciliumHealth },
    ];
  if (cni === "Calico")
    return [
      { name: "cni-vxlan", protocol: "udp", port: PORTS.vxlan },
      { name: "cni-typha", protocol: "tcp", port: PORTS.calicoTypha },
    ];
  return [{ name: "cni-vxlan", protocol: "udp", port: PORTS.vxlan }];
}

/** Whether the control planes' Talos API is reached from outside at their own public addresses (or the endpoint is one). */
function controlPlaneApidPublic(i: NetworkModelInput): boolean {
  return i.endpointMode !== "load-balancer" || i.nodes.some((n) => n.role === "control-plane" && n.publicIPv4);
}

/** Whether the Kubernetes API is reached from outside at a control plane's public address (not through a load balancer). */
function controlPlaneApiPublic(i: NetworkModelInput): boolean {
  return i.endpointMode !== "load-balancer";
}

/** The route of one node's Talos API. */
export function talosRoute(i: Pick<NetworkModelInput, "isoRoute">, node: { role: NodeRole; publicIPv4: boolean }): TalosRoute {
  const maintenance = i.isoRoute ? { maintenance: "own-public" as const } : {};
  if (node.role === "control-plane" && node.publicIPv4) return { dial: "own-public", viaPrivate: false, ...maintenance };
  return { dial: "talos-endpoint", viaPrivate: true, ...maintenance };
}

/** The model of one layout: both firewalls and the Talos API routes. */
export function networkModel(i: NetworkModelInput): NetworkModel {
  const routes = Object.fromEntries(i.nodes.map((n) => [n.name, talosRoute(i, n)]));
  if (!i.firewall) return { input: i, routes };
  const net = [i.networkCidr];
  const pods = [...i.podCidrs];
  const allowed = [...i.allowedCidrs];
  const cni = cniPorts(i.cni).map((p) => rule(p.name, p.protocol, [p.port], net));
  const nodePorts = i.loadBalancerServices ? [rule("nodeport-ingress", "tcp", [`${PORTS.nodePortLow}-${PORTS.nodePortHigh}`], net)] : [];
  const etcdPorts: (number | string)[] = [`${PORTS.etcdClient}-${PORTS.etcdPeer}`];
  if (atLeast(i.talosVersion, 1, 14)) etcdPorts.push(PORTS.etcdHttp);
  const talosIngress: Record<NodeRole, TalosIngressRule[]> = {
    "control-plane": [
      rule("kubelet-ingress", "tcp", [PORTS.kubelet], [...net, ...pods]),
      rule("apid-ingress", "tcp", [PORTS.apid], [...net, ...(controlPlaneApidPublic(i) ? allowed : [])]),
      rule("trustd-ingress", "tcp", [PORTS.trustd], net),
      rule("etcd-ingress", "tcp", etcdPorts, net),
      rule("kubernetes-api-ingress", "tcp", [PORTS.kubeApi], [...net, ...pods, ...(controlPlaneApiPublic(i) ? allowed : [])]),
      ...cni,
      ...nodePorts,
    ],
    worker: [
      rule("kubelet-ingress", "tcp", [PORTS.kubelet], [...net, ...pods]),
      rule("apid-ingress", "tcp", [PORTS.apid], net),
      ...cni,
      ...nodePorts,
    ],
  };
  const icmp: HetznerFirewallRule = { description: "ICMP", direction: "in", protocol: "icmp", sourceIps: [...ANY_SOURCE] };
  const fw = (description: string, port: number): HetznerFirewallRule => ({
    description,
    direction: "in",
    protocol: "tcp",
    port: String(port),
    sourceIps: allowed,
  });
  const apid = "Talos API (apid)";
  const hetznerFirewall: Record<NodeRole, HetznerFirewallRule[]> = {
    "control-plane": [
      ...(controlPlaneApidPublic(i) || i.isoRoute ? [fw(apid, PORTS.apid)] : []),
      ...(controlPlaneApiPublic(i) ? [fw("Kubernetes API", PORTS.kubeApi)] : []),
      icmp,
    ],
    // Workers' apid is only reached through a control plane; the ISO route's maintenance-mode install is the exception.
    worker: [...(i.isoRoute ? [fw(`${apid}, maintenance-mode install`, PORTS.apid)] : []), icmp],
  };
  return { input: i, hetznerFirewall, talosIngress, routes };
}

function rule(name: string, protocol: "tcp" | "udp", ports: (number | string)[], sources: readonly string[]): TalosIngressRule {
  return { name, protocol, ports, sources: unique(sources) };
}

// ---------------------------------------------------------------------------------------------------------------
// Flows

/**
 * Where a flow comes from: the internet (the machine running Pulumi, a user, another server's public address), the
 * private network (a node's or a load balancer's private address), or a pod (its pod-CIDR address, which Cilium
 * does not masquerade towards other nodes).
 */
export type SourceKind = "internet" | "private" | "pod";

export interface Flow {
  readonly from: { readonly kind: SourceKind; readonly address: string };
  /** The destination node and which of its interfaces. */
  readonly to: { readonly node: string; readonly via: "public" | "private" };
  readonly protocol: "tcp" | "udp";
  readonly port: number;
  /** ISO route: the node is still in maintenance mode (no Talos firewall yet). */
  readonly maintenance?: boolean;
}

export interface FlowVerdict {
  readonly allowed: boolean;
  /** Which rule let it through, or what dropped it. */
  readonly reason: string;
}

const portIn = (port: number, spec: number | string): boolean => {
  if (typeof spec === "number") return port === spec;
  const [lo, hi] = spec.split("-").map(Number);
  return port >= lo && port <= (hi ?? lo);
};

const inAny = (cidrs: readonly string[], address: string) => cidrs.some((c) => cidrContains(c, address));

/** Whether a flow passes the Hetzner firewall (public interfaces) and the Talos host firewall of its destination. */
export function flowAllowed(model: NetworkModel, f: Flow): FlowVerdict {
  const node = model.input.nodes.find((n) => n.name === f.to.node);
  if (!node) return { allowed: false, reason: `no node ${f.to.node}` };
  const addr = parseAddress(f.from.address);
  if (!addr) return { allowed: false, reason: `${f.from.address} is not an address` };
  if (f.to.via === "public") {
    if (f.from.kind !== "internet") return { allowed: false, reason: "only internet sources reach public addresses in this model" };
    if (!(addr.family === 4 ? node.publicIPv4 : node.publicIPv6))
      return { allowed: false, reason: `${node.name} has no public IPv${addr.family}` };
    const hz = model.hetznerFirewall?.[node.role];
    if (hz) {
      const hit = hz.find(
        (r) => r.protocol === f.protocol && r.port !== undefined && portIn(f.port, r.port) && inAny(r.sourceIps, f.from.address),
      );
      if (!hit)
        return { allowed: false, reason: `Hetzner firewall of the ${node.role}s drops ${f.protocol}/${f.port} from ${f.from.address}` };
    }
  } else if (f.from.kind === "internet") {
    return { allowed: false, reason: "private addresses are not routed from the internet" };
  }
  if (f.maintenance) {
    // Maintenance mode: no Talos firewall yet, and only the maintenance-mode API listens.
    return f.protocol === "tcp" && f.port === PORTS.apid
      ? { allowed: true, reason: "maintenance mode: no Talos firewall yet" }
      : { allowed: false, reason: `nothing listens on ${f.protocol}/${f.port} in maintenance mode` };
  }
  const talos = model.talosIngress?.[node.role];
  if (!talos) return { allowed: true, reason: "no Talos firewall" };
  const hit = talos.find((r) => r.protocol === f.protocol && r.ports.some((p) => portIn(f.port, p)) && inAny(r.sources, f.from.address));
  return hit
    ? { allowed: true, reason: `Talos ${hit.name}` }
    : { allowed: false, reason: `Talos firewall of the ${node.role}s blocks ${f.protocol}/${f.port} from ${f.from.address}` };
}

/**
 * Why the cluster needs a flow, or undefined when it does not: the intended design, written independently of the
 * rules above so that a test comparing the two finds any rule that lets too much or too little through.
 */
export function flowNeeded(model: NetworkModel, f: Flow): string | undefined {
  const i = model.input;
  const node = i.nodes.find((n) => n.name === f.to.node);
  if (!node) return undefined;
  const cp = node.role === "control-plane";
  const tcp = f.protocol === "tcp";
  if (f.from.kind === "internet") {
    if (f.to.via !== "public" || !inAny(i.allowedCidrs, f.from.address) || !tcp) return undefined;
    if (f.maintenance)
      return f.port === PORTS.apid && i.isoRoute ? "ISO route: the config is applied over the maintenance-mode API" : undefined;
    if (cp && f.port === PORTS.apid && controlPlaneApidPublic(i)) return "Talos API of the control planes (TalosMachine, talosconfig)";
    if (cp && f.port === PORTS.kubeApi && controlPlaneApiPublic(i)) return "Kubernetes API endpoint on a control plane";
    return undefined;
  }
  if (f.to.via !== "private") return undefined;
  if (cp && tcp && inAny(i.allowedCidrs, f.from.address)) {
    // allowedCidrs names who may use the APIs; a pod or private address inside it is one of them.
    if (f.port === PORTS.apid && controlPlaneApidPublic(i)) return "allowedCidrs admits this source to the Talos API";
    if (f.port === PORTS.kubeApi && controlPlaneApiPublic(i)) return "allowedCidrs admits this source to the Kubernetes API";
  }
  if (f.from.kind === "pod") {
    if (!inAny(i.podCidrs, f.from.address) || !tcp) return undefined;
    if (cp && f.port === PORTS.kubeApi) return "pods → the kubernetes Service (its endpoints are the API servers' private addresses)";
    if (f.port === PORTS.kubelet) return "metrics-server and other pods → kubelets";
    return undefined;
  }
  if (!cidrContains(i.networkCidr, f.from.address)) return undefined;
  for (const p of cniPorts(i.cni)) if (p.protocol === f.protocol && p.port === f.port) return `${i.cni} CNI between nodes`;
  if (!tcp) return undefined;
  if (f.port === PORTS.kubelet) return "API server → kubelet";
  if (f.port === PORTS.apid)
    return cp
      ? "apid proxying between control planes; the API load balancer's health checks"
      : "a control plane's apid proxying to this worker";
  if (i.loadBalancerServices && f.port >= PORTS.nodePortLow && f.port <= PORTS.nodePortHigh)
    return "hcloud CCM load balancers → NodePorts on private targets";
  if (!cp) return undefined;
  if (f.port === PORTS.kubeApi) return "KubePrism and the API load balancer → API servers";
  if (f.port === PORTS.trustd) return "workers → trustd (certificates)";
  if (f.port === PORTS.etcdClient || f.port === PORTS.etcdPeer) return "etcd between control planes";
  if (f.port === PORTS.etcdHttp && atLeast(i.talosVersion, 1, 14)) return "etcd metrics and health (Talos ≥ 1.14)";
  return undefined;
}

/** Ports the model probes when it checks that nothing else passes (every port a rule names, and common others). */
export const PROBE_PORTS: readonly { protocol: "tcp" | "udp"; port: number }[] = [
  ...[22, 80, 443, 2379, 2380, 2383, 4240, 4244, 5473, 6443, 7445, 9100, 10250, 10256, 30080, 32767, 50000, 50001].map((port) => ({
    protocol: "tcp" as const,
    port,
  })),
  ...[53, 4789, 8472, 51820].map((port) => ({ protocol: "udp" as const, port })),
];
