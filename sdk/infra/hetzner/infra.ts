import * as pulumi from "@pulumi/pulumi";
import * as hcloud from "@pulumi/hcloud";
import { KUBE_API_PORT, TALOS_API_PORT, controlPlaneSelector } from "../../plan/hetznerParts";
import { certSANs, kubeApiUrl, talosApiEndpoint, type EndpointAddress } from "../../plan/hetznerEndpoint";
import type { HetznerClusterPlan } from "../../plan/hetzner";

export interface HetznerClusterInfraArgs {
  /**
   * The plain plan from `planHetznerCluster` (names, labels, roles, server types, image route, endpoint
   * mode). It decides which resources exist. Adding a worker adds one server and is applied in place;
   * changing a role's server type resizes its servers one at a time (Nodes reboot); location, network and
   * CIDR changes go through `recreateTrigger` (Recreates the cluster).
   */
  readonly plan: HetznerClusterPlan;
  /**
   * The recreate hash from the impact engine (`recreateTrigger(spec)`), put in `replacementTrigger` of every
   * resource. A change recreates the cluster.
   */
  readonly recreateTrigger: pulumi.Input<string>;
  /**
   * Hetzner API token (secret). When given, the hcloud resources use an explicit provider `<name>-hcloud`
   * configured with it (so `tokenEnvVar` other than HCLOUD_TOKEN works); otherwise the default hcloud
   * provider (`hcloud:token` config or HCLOUD_TOKEN). Applied in place.
   * @default the default hcloud provider
   */
  readonly hcloudToken?: pulumi.Input<string>;
  /**
   * Environment variable the resize and ISO-detach steps read the token from at run time when
   * `hcloud:token` is not in the stack config (only the name is stored). Applied in place.
   * @default "HCLOUD_TOKEN"
   */
  readonly tokenEnvVar?: string;
  /**
   * Hetzner delete protection on what a protected cluster must keep: the network, the API load balancer, the
   * floating IP and control plane 1's reserved IPv4 (servers stay deletable so workers can still be removed).
   * KSailCluster sets it with `protect`. Applied in place.
   * @default false
   */
  readonly deleteProtection?: boolean;
}

/**
 * Hetzner Cloud infrastructure of one Talos cluster, first half: the private network and its cloud subnet, the
 * firewall, spread placement groups per role, and the API endpoint's addresses (the first control plane's
 * reserved primary IPv4, a floating IP for a Talos VIP, or a load balancer). Everything here exists before any
 * server, so the cluster identity and the machine configs can name the endpoint; `hetznerNodes` then adds the
 * servers under this component.
 *
 * @example
 * ```ts
 * const plan = planHetznerCluster(hetznerPlanInputFromSpec("prod", effective(spec), { endpointMode: "load-balancer" }));
 * const infra = new HetznerClusterInfra("prod", { plan, recreateTrigger: recreateTrigger(spec) });
 * // ClusterSecrets for infra.apiEndpoint / infra.talosEndpoint, render the configs with talosRenderInput,
 * // then hetznerNodes(infra, { machineConfigs, health }) and talosMachines(...) with its targets.
 * ```
 */
export class HetznerClusterInfra extends pulumi.ComponentResource {
  /** The resource name given to the component; its children are `<resourceName>-<suffix>`. */
  readonly resourceName: string;
  readonly plan: HetznerClusterPlan;
  readonly network: hcloud.Network;
  readonly subnet: hcloud.NetworkSubnet;
  /** Firewall of the control planes' public interfaces. */
  readonly firewall?: hcloud.Firewall;
  /** Firewall of the workers' public interfaces (also given to autoscaled workers). */
  readonly workerFirewall?: hcloud.Firewall;
  /** Placement groups by plan name. */
  readonly placementGroups: Readonly<Record<string, hcloud.PlacementGroup>>;
  /** The first control plane's reserved primary IPv4 (when it has public IPv4). */
  readonly primaryIp?: hcloud.PrimaryIp;
  /** floating-ip mode: the floating IP the Talos VIP moves. */
  readonly floatingIp?: hcloud.FloatingIp;
  /** The endpoint addresses, as Hetzner assigns them. */
  readonly addresses: Readonly<Partial<Record<EndpointAddress, pulumi.Output<string>>>>;
  /** `https://<endpoint>:6443`, known before any server exists (render the machine configs with it). */
  readonly apiEndpoint: pulumi.Output<string>;
  /** Talos API endpoint for the talosconfig (`host:50000`); never a server output. */
  readonly talosEndpoint: pulumi.Output<string>;
  /** Certificate SANs: the endpoint address, and the first control plane's and the load balancer's other addresses. */
  readonly certSANs: pulumi.Output<string[]>;
  /** The floating IP for the Talos VIP (`hetzner.vip` of the renderer), floating-ip mode only. */
  readonly vip: pulumi.Output<string | undefined>;
  /** Network name for Secret kube-system/hcloud (CCM, CSI, autoscaler). */
  readonly networkName: string;
  /** The explicit hcloud provider (with `hcloudToken`). */
  readonly provider?: hcloud.Provider;
  /** Environment variable the resize and ISO-detach steps read the token from. */
  readonly tokenEnvVar?: string;
  private readonly recreateTrigger: pulumi.Input<string>;

  constructor(name: string, args: HetznerClusterInfraArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ksail:providers:HetznerClusterInfra", name, {}, opts);
    const { plan } = args;
    this.resourceName = name;
    this.plan = plan;
    this.recreateTrigger = args.recreateTrigger;
    this.tokenEnvVar = args.tokenEnvVar;
    this.provider =
      args.hcloudToken !== undefined
        ? new hcloud.Provider(`${name}-hcloud`, { token: pulumi.secret(args.hcloudToken) }, { parent: this })
        : undefined;
    const o = (extra?: pulumi.CustomResourceOptions) => this.childOptions(extra);
    const labels = { ...plan.labels };
    const guard = args.deleteProtection ? { deleteProtection: true } : {};

    this.network = new hcloud.Network(`${name}-network`, { name: plan.network.name, ipRange: plan.network.cidr, labels, ...guard }, o());
    this.subnet = new hcloud.NetworkSubnet(
      `${name}-subnet`,
      { networkId: hcloudId(this.network.id), type: "cloud", networkZone: plan.networkZone, ipRange: plan.network.subnetCidr },
      o(),
    );
    const firewall = (suffix: string, f: HetznerClusterPlan["firewall"]) =>
      f
        ? new hcloud.Firewall(
            `${name}-${suffix}`,
            { name: f.name, labels, rules: f.rules.map((r) => ({ ...r, sourceIps: [...r.sourceIps] })) },
            o(),
          )
        : undefined;
    this.firewall = firewall("firewall", plan.firewall);
    // Also without static workers: autoscaled workers get it (HCLOUD_FIREWALL).
    this.workerFirewall = firewall("firewall-worker", plan.workerFirewall);
    const groups: Record<string, hcloud.PlacementGroup> = {};
    for (const g of plan.placementGroups) {
      const child = `${name}-placement-${g.role}${g.location ? `-${g.location}` : ""}`;
      groups[g.name] = new hcloud.PlacementGroup(child, { name: g.name, type: "spread", labels }, o());
    }
    this.placementGroups = groups;

    const e = plan.endpoint;
    const cp1 = plan.nodes[0];
    const addresses: Partial<Record<EndpointAddress, pulumi.Output<string>>> = {};
    if (e.primaryIp) {
      this.primaryIp = new hcloud.PrimaryIp(
        `${name}-${cp1.suffix}-ipv4`,
        { name: `${cp1.name}-ipv4`, type: "ipv4", assigneeType: "server", location: plan.location, autoDelete: false, labels, ...guard },
        o(),
      );
      addresses.primaryIp = this.primaryIp.ipAddress;
    }
    if (e.mode === "floating-ip") {
      this.floatingIp = new hcloud.FloatingIp(
        `${name}-floating-ip`,
        { name: `${plan.clusterName}-floating-ip`, type: "ipv4", homeLocation: e.floatingIpLocation, labels, ...guard },
        o(),
      );
      addresses.floatingIp = this.floatingIp.ipAddress;
    }
    if (e.mode === "load-balancer") {
      const lb = this.loadBalancer(name, labels, guard);
      addresses.loadBalancerIpv4 = lb.ipv4;
      addresses.loadBalancerIpv6 = lb.ipv6;
    }
    this.addresses = addresses;
    // Each value waits only for the addresses it is made of.
    this.apiEndpoint = addresses[e.api]!.apply(kubeApiUrl);
    this.talosEndpoint = addresses[e.talos]!.apply(talosApiEndpoint);
    this.certSANs = pulumi.all([addresses[e.api]!, ...e.extraSANs.map((a) => addresses[a]!)]).apply(certSANs);
    this.vip = e.vip ? addresses[e.vip]!.apply((x): string | undefined => x) : pulumi.output(undefined);
    this.networkName = plan.secretNetworkName;
    for (const w of plan.warnings) pulumi.log.warn(w, this);
    this.registerOutputs({
      apiEndpoint: this.apiEndpoint,
      certSANs: this.certSANs,
      talosEndpoint: this.talosEndpoint,
      networkName: this.networkName,
    });
  }

  /** Options of a child: parented here, recreated with the cluster, deleted first where names would collide. */
  childOptions(extra: pulumi.CustomResourceOptions = {}): pulumi.CustomResourceOptions {
    return { parent: this, provider: this.provider, replacementTrigger: this.recreateTrigger, deleteBeforeReplace: true, ...extra };
  }

  private loadBalancer(name: string, labels: Record<string, string>, guard: { deleteProtection?: boolean }): hcloud.LoadBalancer {
    const o = (extra?: pulumi.CustomResourceOptions) => this.childOptions(extra);
    const plan = this.plan;
    const lb = new hcloud.LoadBalancer(
      `${name}-api`,
      { name: `${plan.clusterName}-api`, loadBalancerType: plan.endpoint.loadBalancerType, location: plan.location, labels, ...guard },
      o(),
    );
    const lbId = hcloudId(lb.id);
    const attach = new hcloud.LoadBalancerNetwork(`${name}-api-network`, { loadBalancerId: lbId, subnetId: this.subnet.id }, o());
    for (const [suffix, port] of [
      ["kubernetes", KUBE_API_PORT],
      ["talos", TALOS_API_PORT],
    ] as const) {
      new hcloud.LoadBalancerService(
        `${name}-api-${suffix}`,
        {
          loadBalancerId: lb.id,
          protocol: "tcp",
          listenPort: port,
          destinationPort: port,
          healthCheck: { protocol: "tcp", port, interval: 10, timeout: 5, retries: 3 },
        },
        o(),
      );
    }
    // Targets by label: control planes added later join without changing this resource.
    new hcloud.LoadBalancerTarget(
      `${name}-api-targets`,
      { loadBalancerId: lbId, type: "label_selector", labelSelector: controlPlaneSelector(plan.clusterName), usePrivateIp: true },
      o({ dependsOn: [attach] }),
    );
    return lb;
  }
}

/** hcloud references take numeric ids; resource ids are strings. */
export function hcloudId(id: pulumi.Output<string>): pulumi.Output<number> {
  return id.apply((v) => Number(v));
}
