/** The shapes of the Hetzner plan (hetzner.ts builds it): image, nodes, network, endpoint, firewalls. */
import type { NodeRole } from "../distributions/roles";
import { type HetznerFirewallRule } from "./hetznerParts";
import { type HetznerEndpointMode, type HetznerEndpointPlan } from "./hetznerEndpoint";
import { type CniName, type NetworkModel, type TalosIngressRule, type TalosRoute } from "./hetznerNetwork";

/** Where the servers' Talos comes from. */
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
  readonly role: NodeRole;
  /** 1-based index within its role. */
  readonly index: number;
  /** Child-name suffix (`control-plane-1`). */
  readonly suffix: string;
  readonly serverType: string;
  /** `arm` for the CAX types, else `x86`: which Talos image the server boots. */
  readonly architecture: "x86" | "arm";
  readonly publicIPv4: boolean;
  readonly publicIPv6: boolean;
  readonly labels: Readonly<Record<string, string>>;
  /** Placement group (by plan name) or undefined when the strategy is None (or the node is alone in its location). */
  readonly placementGroup?: string;
  /** Hetzner location of the server: `location`, or with spread control planes one of `location` + `fallbackLocations`. */
  readonly location: string;
}

export interface HetznerClusterPlan {
  readonly clusterName: string;
  /** Location of every server, the network zone's members, the load balancer and the endpoint address. */
  readonly location: string;
  /**
   * Fallback locations from the spec. Never picked at run time (a location chosen then would differ on the next
   * preview); with `spreadControlPlanes` the plan places control planes over `location` and these, round robin.
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
  /** Hetzner firewall of the control planes (`<cluster>-firewall`); undefined when `ingressFirewall: Disabled`. */
  readonly firewall?: { readonly name: string; readonly rules: readonly HetznerFirewallRule[] };
  /** Hetzner firewall of the workers, static and autoscaled (`<cluster>-firewall-worker`); undefined when disabled. */
  readonly workerFirewall?: { readonly name: string; readonly rules: readonly HetznerFirewallRule[] };
  /** Talos host-firewall rules per role (default action block), from the same model; undefined when disabled. */
  readonly talosFirewall?: Readonly<Record<NodeRole, readonly TalosIngressRule[]>>;
  /** How each node's Talos API is dialled (by node name): its own public IPv4, or through a control plane's apid. */
  readonly routes: Readonly<Record<string, TalosRoute>>;
  /** The reachability model both firewalls and the routes come from. */
  readonly reachability: NetworkModel;
  /** Pod CIDRs of the cluster (the Talos default unless patched). */
  readonly podCidrs: readonly string[];
  /** CIDRs allowed to reach the Talos and Kubernetes APIs (empty spec = any IPv4/IPv6). */
  readonly allowedCidrs: readonly string[];
  /** Placement groups (type spread), one per role with nodes; empty for strategy None. */
  /** Spread groups; a control-plane group of spread control planes is per location (`location` set). */
  readonly placementGroups: readonly { readonly role: NodeRole; readonly name: string; readonly location?: string }[];
  readonly nodes: readonly HetznerNodePlan[];
  readonly image: HetznerImagePlan;
  readonly endpoint: HetznerEndpointPlan;
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
  /** @default HETZNER_DEFAULTS.location */
  readonly location?: string;
  readonly fallbackLocations?: readonly string[];
  /**
   * Place control planes over `location` and `fallbackLocations` (round robin, in that order), as the Talos
   * guide spreads them over fsn1, nbg1 and hel1: a location outage then leaves an etcd quorum. All locations must
   * share the network zone of `location`. Workers stay in `location`. @default false
   */
  readonly spreadControlPlanes?: boolean;
  /** @default HETZNER_DEFAULTS.networkCidr */
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
  /** @default DEFAULT_LOAD_BALANCER_TYPE */
  readonly loadBalancerType?: string;
  /** Talos ISO id/name (`spec.cluster.talos.iso`); @default DEFAULT_TALOS_ISO */
  readonly iso?: string | number;
  /** Snapshot route: pin by id or select by labels; absent = ISO route. */
  readonly snapshot?: { readonly id?: number; readonly selector?: string };
  /** @default ISO_PLACEHOLDER_IMAGE */
  readonly placeholderImage?: string;
  /** Hetzner server quota (0 = 10). */
  readonly serverLimit?: number;
  /** The CNI (its node-to-node ports). @default "Default" */
  readonly cni?: CniName;
  /** Pod CIDRs (pods reach the API servers and kubelets from them). @default ["10.244.0.0/16"] */
  readonly podCidrs?: readonly string[];
  /** Talos version of the machine configs (etcd's HTTP port from 1.14). @default DEFAULT_TALOS_VERSION */
  readonly talosVersion?: string;
  /** The hcloud CCM creates load balancers for Services (NodePorts open to the private network). @default false */
  readonly loadBalancerServices?: boolean;
}
