import * as pulumi from "@pulumi/pulumi";
import * as hcloud from "@pulumi/hcloud";
import { KsailError } from "../../errors";
import { HcloudIsoDetach } from "../../dynamic/hcloudIsoDetach";
import { HcloudServerType } from "../../dynamic/hcloudServerType";
import {
  KUBE_API_PORT,
  TALOS_API_PORT,
  controlPlaneSelector,
  encodeUserData,
  resizeOrder,
  talosAllowedCidrs,
  type HetznerClusterPlan,
  type HetznerNodeRole,
} from "../../plan/hetzner";

/** A server as the component reports it. */
export interface HetznerNodeOutput {
  readonly name: string;
  readonly role: HetznerNodeRole;
  /** Public IPv4 (or IPv6 when IPv4 is off), what TalosMachine dials (`<address>:50000`). */
  readonly publicAddress: string;
  /** Address in the private network. */
  readonly privateAddress: string;
}

/** Talos health gate of the resize and ISO-detach steps. */
export interface HetznerHealthGate {
  /** Admin talosconfig YAML (secret) from ClusterSecrets. */
  readonly talosconfig: pulumi.Input<string>;
}

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
   * Snapshot route only: the machine config YAML per node name (secret), delivered as `user_data` (base64(gzip)
   * above 32 KiB; an error above that). Read at first boot only (`ignoreChanges: ["userData"]`); later
   * changes are applied through TalosMachine. Ignored on the ISO route.
   * @default required for the snapshot route
   */
  readonly machineConfigs?: Readonly<Record<string, pulumi.Input<string>>>;
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
   * Talos health gate for the resize and ISO-detach steps. Applied in place.
   * @default no gate (each step ends when Hetzner reports the server running)
   */
  readonly health?: HetznerHealthGate;
}

/**
 * Hetzner Cloud infrastructure of one Talos cluster: private network and cloud subnet, firewall, spread
 * placement groups per role, one server per node (public Talos ISO or a Talos snapshot), the API endpoint
 * (reserved primary IP of the first control plane, floating IP for a Talos VIP, or a load balancer), and one
 * `HcloudServerType` per server, chained control planes first, so server-type changes resize one node at a
 * time.
 *
 * Why a separate resize step: hcloud.Server updates `serverType` and `publicNets` itself (power off, change,
 * power on), but Pulumi updates independent servers in parallel and without a health gate, which could stop
 * every control plane at once. The servers ignore both; the chained HcloudServerType resources apply them,
 * each after the previous node is healthy again — the reboot-required class of the impact table.
 *
 * @example
 * ```ts
 * const plan = planHetznerCluster(hetznerPlanInputFromSpec("prod", effective(spec), { endpointMode: "load-balancer" }));
 * const infra = new HetznerClusterInfra("prod", { plan, recreateTrigger: recreateTrigger(spec) });
 * // render machine configs with infra.apiEndpoint, infra.certSANs and talosHetznerOptions(plan, vip),
 * // then one TalosMachine per infra.nodes entry and infra.detachIsos({ [node]: machine }) on the ISO route
 * ```
 */
export class HetznerClusterInfra extends pulumi.ComponentResource {
  readonly network: hcloud.Network;
  readonly subnet: hcloud.NetworkSubnet;
  readonly firewall?: hcloud.Firewall;
  /** Servers by node name (TalosMachine depends on these). */
  readonly servers: Readonly<Record<string, hcloud.Server>>;
  /** Resize steps by node name. */
  readonly serverTypes: Readonly<Record<string, HcloudServerType>>;
  /** Nodes with role and addresses. */
  readonly nodes: pulumi.Output<HetznerNodeOutput[]>;
  /** `https://<endpoint>:6443`, known before any server exists (render the machine configs with it). */
  readonly apiEndpoint: pulumi.Output<string>;
  /** The endpoint host (IP). */
  readonly endpointHost: pulumi.Output<string>;
  /** Extra certificate SANs for the renderer (the endpoint address, and the floating IP / LB addresses). */
  readonly certSANs: pulumi.Output<string[]>;
  /** The floating IP for the Talos VIP (`hetzner.vip` of the renderer), floating-ip mode only. */
  readonly vip: pulumi.Output<string | undefined>;
  /** Talos API endpoint for the talosconfig (`host:50000`). */
  readonly talosEndpoint: pulumi.Output<string>;
  /** Snapshot route: the image id the servers boot (the autoscaler's `imagesForArch.amd64`); undefined on the ISO route. */
  readonly imageId: pulumi.Output<string | undefined>;
  /**
   * Talos host-firewall input for the renderer (`hetzner.firewall`; undefined with `ingressFirewall:
   * Disabled`). Same as `talosHetznerOptions(plan).firewall`.
   */
  readonly talosFirewall: { networkCidr: string; allowedCidrs: string[] } | undefined;
  /** Network name for Secret kube-system/hcloud (CCM, CSI, autoscaler). */
  readonly networkName: string;

  private readonly name: string;
  private readonly plan: HetznerClusterPlan;
  private readonly args: HetznerClusterInfraArgs;
  private readonly childOpts: (extra?: pulumi.CustomResourceOptions) => pulumi.CustomResourceOptions;

  constructor(name: string, args: HetznerClusterInfraArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ksail:providers:HetznerClusterInfra", name, {}, opts);
    const { plan, recreateTrigger } = args;
    validate(args);
    this.name = name;
    this.plan = plan;
    this.args = args;
    const provider =
      args.hcloudToken !== undefined
        ? new hcloud.Provider(`${name}-hcloud`, { token: pulumi.secret(args.hcloudToken) }, { parent: this })
        : undefined;
    // Every resource: recreated with the cluster; deleted first where names would collide.
    this.childOpts = (extra = {}) => ({ parent: this, provider, replacementTrigger: recreateTrigger, deleteBeforeReplace: true, ...extra });
    const o = this.childOpts;
    const labels = { ...plan.labels };
    const num = (id: pulumi.Output<string>) => id.apply((v) => Number(v));

    this.network = new hcloud.Network(`${name}-network`, { name: plan.network.name, ipRange: plan.network.cidr, labels }, o());
    this.subnet = new hcloud.NetworkSubnet(
      `${name}-subnet`,
      { networkId: num(this.network.id), type: "cloud", networkZone: plan.networkZone, ipRange: plan.network.subnetCidr },
      o(),
    );
    this.firewall = plan.firewall
      ? new hcloud.Firewall(
          `${name}-firewall`,
          { name: plan.firewall.name, labels, rules: plan.firewall.rules.map((r) => ({ ...r, sourceIps: [...r.sourceIps] })) },
          o(),
        )
      : undefined;
    const groups: Record<string, hcloud.PlacementGroup> = {};
    for (const g of plan.placementGroups) {
      groups[g.name] = new hcloud.PlacementGroup(`${name}-placement-${g.role}`, { name: g.name, type: "spread", labels }, o());
    }

    // The endpoint address exists before any server, so configs (and user_data) can carry it. The first
    // control plane always gets a reserved primary IPv4 (when it has public IPv4), whatever the endpoint
    // mode: switching the mode (floatingIPEnabled, load balancer) then never changes a server's public
    // network, which hcloud could only apply by powering the server off.
    const cp1 = plan.nodes[0];
    const primaryIp = cp1.publicIPv4
      ? new hcloud.PrimaryIp(
          `${name}-${cp1.suffix}-ipv4`,
          { name: `${cp1.name}-ipv4`, type: "ipv4", assigneeType: "server", location: plan.location, autoDelete: false, labels },
          o(),
        )
      : undefined;
    let endpointHost: pulumi.Output<string>;
    let floatingIp: hcloud.FloatingIp | undefined;
    const extraSANs: pulumi.Output<string>[] = primaryIp ? [primaryIp.ipAddress] : [];
    if (plan.endpoint.mode === "first-control-plane") {
      endpointHost = primaryIp!.ipAddress;
    } else if (plan.endpoint.mode === "floating-ip") {
      floatingIp = new hcloud.FloatingIp(
        `${name}-floating-ip`,
        { name: `${plan.clusterName}-floating-ip`, type: "ipv4", homeLocation: plan.endpoint.floatingIpLocation, labels },
        o(),
      );
      endpointHost = floatingIp.ipAddress;
    } else {
      const lb = this.loadBalancer(name, labels);
      endpointHost = lb.ipv4;
      extraSANs.push(lb.ipv6);
    }

    const image = this.image(name);
    const servers: Record<string, hcloud.Server> = {};
    for (const node of plan.nodes) {
      const publicNet: hcloud.types.input.ServerPublicNet = { ipv4Enabled: node.publicIPv4, ipv6Enabled: node.publicIPv6 };
      if (primaryIp && node === cp1) publicNet.ipv4 = num(primaryIp.id);
      const userData =
        plan.image.kind === "snapshot"
          ? pulumi.secret(pulumi.output(args.machineConfigs![node.name]).apply((c) => encodeUserData(c, node.name).userData))
          : undefined;
      servers[node.name] = new hcloud.Server(
        `${name}-${node.suffix}`,
        {
          name: node.name,
          serverType: node.serverType,
          location: plan.location,
          image,
          iso: plan.image.kind === "iso" ? plan.image.iso : undefined,
          userData,
          labels: { ...node.labels },
          networks: [{ networkId: num(this.network.id) }],
          firewallIds: this.firewall ? [num(this.firewall.id)] : [],
          placementGroupId: node.placementGroup ? num(groups[node.placementGroup].id) : undefined,
          publicNets: [publicNet],
          sshKeys: [...plan.sshKeys],
          keepDisk: true,
          shutdownBeforeDeletion: true,
        },
        o({
          dependsOn: [this.subnet],
          // Create-time only (an SSH key, image or config change must not replace a node); serverType and
          // publicNets (both need a power-off) are applied by the chained HcloudServerType steps below.
          ignoreChanges: ["sshKeys", "image", "userData", "iso", "serverType", "publicNets"],
        }),
      );
    }
    this.servers = servers;

    // The talosconfig endpoint: the load balancer, else control plane 1's reserved address (not the VIP,
    // which needs etcd and Kubernetes healthy), else the floating IP. Never a server output, so credentials
    // derived from it (and configs derived from those) do not wait for the servers they configure.
    this.talosEndpoint =
      plan.endpoint.mode === "load-balancer" || !primaryIp
        ? pulumi.interpolate`${endpointHost}:${TALOS_API_PORT}`
        : pulumi.interpolate`${primaryIp.ipAddress}:${TALOS_API_PORT}`;
    const firstCp = servers[plan.nodes[0].name];
    if (floatingIp) {
      // The Talos VIP moves the floating IP between control planes; Pulumi only sets the first holder.
      new hcloud.FloatingIpAssignment(
        `${name}-floating-ip-assignment`,
        { floatingIpId: num(floatingIp.id), serverId: num(firstCp.id) },
        o({ ignoreChanges: ["serverId"] }),
      );
    }

    // One resize step per server, chained: control planes first (one at a time keeps etcd quorum), then workers.
    const types: Record<string, HcloudServerType> = {};
    let previous: HcloudServerType | undefined;
    for (const node of resizeOrder(plan)) {
      previous = types[node.name] = new HcloudServerType(
        `${name}-${node.suffix}-type`,
        {
          serverId: servers[node.name].id,
          serverName: node.name,
          role: node.role,
          serverType: node.serverType,
          publicIPv4: node.publicIPv4,
          publicIPv6: node.publicIPv6,
          tokenEnvVar: args.tokenEnvVar,
          health: this.healthGate(node.name, node.role),
        },
        o({ dependsOn: previous ? [previous] : [], provider: undefined }),
      );
    }
    this.serverTypes = types;

    this.imageId = plan.image.kind === "snapshot" ? pulumi.output(image).apply((x): string | undefined => x) : pulumi.output(undefined);
    this.endpointHost = endpointHost;
    this.apiEndpoint = pulumi.interpolate`https://${endpointHost}:${KUBE_API_PORT}`;
    this.certSANs = pulumi.all([endpointHost, ...extraSANs]).apply((xs) => [...new Set(xs.filter((x) => !!x))]);
    this.vip = floatingIp ? floatingIp.ipAddress.apply((x): string | undefined => x) : pulumi.output(undefined);
    this.networkName = plan.secretNetworkName;
    this.talosFirewall = plan.firewall ? { networkCidr: plan.network.cidr, allowedCidrs: talosAllowedCidrs(plan) } : undefined;
    this.nodes = pulumi.all(
      plan.nodes.map((n) =>
        pulumi
          .all([publicAddress(servers[n.name]), privateAddress(servers[n.name])])
          .apply(([pub, priv]) => ({ name: n.name, role: n.role, publicAddress: pub, privateAddress: priv })),
      ),
    );
    for (const w of plan.warnings) pulumi.log.warn(w, this);
    this.registerOutputs({
      nodes: this.nodes,
      apiEndpoint: this.apiEndpoint,
      certSANs: this.certSANs,
      talosEndpoint: this.talosEndpoint,
      networkName: this.networkName,
    });
  }

  /**
   * ISO route: one HcloudIsoDetach per server, each after the resource that installed Talos on it (its
   * TalosMachine). Make TalosBootstrap depend on the first control plane's detach. Returns them by node name.
   */
  detachIsos(installedBy: Readonly<Record<string, pulumi.Resource>>): Record<string, HcloudIsoDetach> {
    if (this.plan.image.kind !== "iso") return {};
    const out: Record<string, HcloudIsoDetach> = {};
    for (const node of this.plan.nodes) {
      const after = installedBy[node.name];
      if (!after) {
        throw new KsailError([
          {
            path: "installedBy",
            message: `no resource given for ${node.name}; pass the TalosMachine of every node (${this.plan.nodes.map((n) => n.name).join(", ")})`,
          },
        ]);
      }
      out[node.name] = new HcloudIsoDetach(
        `${this.name}-${node.suffix}-iso-detach`,
        {
          serverId: this.servers[node.name].id,
          serverName: node.name,
          tokenEnvVar: this.args.tokenEnvVar,
          health: this.healthGate(node.name, node.role, false),
        },
        this.childOpts({ dependsOn: [after], provider: undefined }),
      );
    }
    return out;
  }

  private healthGate(nodeName: string, role: HetznerNodeRole, etcd = role === "control-plane") {
    const gate = this.args.health;
    if (!gate) return undefined;
    const server = this.servers[nodeName];
    // The node's own public address; a node without one is reached through the talosconfig endpoint, whose
    // apid proxies to the node's private address (`node` metadata).
    const via = pulumi
      .all([publicAddress(server), privateAddress(server), this.talosEndpoint])
      .apply(([pub, priv, talos]): { endpoint: string; node: string } =>
        pub ? { endpoint: `${pub.includes(":") ? `[${pub}]` : pub}:${TALOS_API_PORT}`, node: "" } : { endpoint: talos, node: priv },
      );
    return { endpoint: via.endpoint, node: via.node, talosconfig: gate.talosconfig, etcd };
  }

  private image(name: string): pulumi.Input<string> {
    const img = this.plan.image;
    if (img.kind === "iso") return img.placeholderImage;
    if (img.id !== undefined) return String(img.id);
    const found = hcloud.getImageOutput(
      { withSelector: img.selector, mostRecent: true, withArchitecture: "x86", withStatuses: ["available"] },
      { parent: this, provider: this.childOpts().provider },
    );
    return found.apply((f) => {
      if (f.id === undefined)
        throw new KsailError([
          {
            path: "snapshot",
            message: `no Talos snapshot matches "${img.selector}" (x86, available) for ${name}; build it first (KSail labels it with the Talos version and schematic) or pin its id`,
          },
        ]);
      return String(f.id);
    });
  }

  private loadBalancer(name: string, labels: Record<string, string>): hcloud.LoadBalancer {
    const o = this.childOpts;
    const plan = this.plan;
    const lb = new hcloud.LoadBalancer(
      `${name}-api`,
      { name: `${plan.clusterName}-api`, loadBalancerType: plan.endpoint.loadBalancerType, location: plan.location, labels },
      o(),
    );
    const lbId = lb.id.apply((v) => Number(v));
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

function publicAddress(s: hcloud.Server): pulumi.Output<string> {
  return pulumi.all([s.ipv4Address, s.ipv6Address]).apply(([v4, v6]) => v4 || v6 || "");
}

function privateAddress(s: hcloud.Server): pulumi.Output<string> {
  return s.networks.apply((ns) => ns?.[0]?.ip ?? "");
}

function validate(args: HetznerClusterInfraArgs): void {
  const { plan } = args;
  if (plan.image.kind !== "snapshot") return;
  const missing = plan.nodes.filter((n) => args.machineConfigs?.[n.name] === undefined).map((n) => n.name);
  if (missing.length > 0) {
    throw new KsailError(
      [
        {
          path: "machineConfigs",
          message: `the snapshot route boots each server from its machine config (user_data); missing: ${missing.join(", ")}. Pass renderMachineConfigs(...) output keyed by node name`,
        },
      ],
      `HetznerClusterInfra "${plan.clusterName}":`,
    );
  }
}
