import * as pulumi from "@pulumi/pulumi";
import * as hcloud from "@pulumi/hcloud";
import { KsailError } from "../../errors";
import { HcloudServerType } from "../../dynamic/hcloudServerType";
import { HcloudIsoDetach } from "../../dynamic/hcloudIsoDetach";
import { TALOS_API_PORT, encodeUserData } from "../../plan/hetznerParts";
import { resizeOrder, type HetznerNodePlan } from "../../plan/hetzner";
import type { NodeRole } from "../../distributions/roles";
import type { MachineTarget } from "../talos";
import { hcloudId, type HetznerClusterInfra } from "./infra";

/** A server as the cluster reports it. */
export interface HetznerNodeOutput {
  readonly name: string;
  readonly role: NodeRole;
  /** Public IPv4 (or IPv6 when IPv4 is off), what TalosMachine dials (`<address>:50000`). */
  readonly publicAddress: string;
  /** Address in the private network. */
  readonly privateAddress: string;
}

export interface HetznerNodesArgs {
  /**
   * Snapshot route only: the machine config YAML per node name (secret), delivered as `user_data` (base64(gzip)
   * above 32 KiB; an error above that). Read at first boot only (`ignoreChanges: ["userData"]`); later
   * changes are applied through TalosMachine. Ignored on the ISO route.
   * @default required for the snapshot route
   */
  readonly machineConfigs?: Readonly<Record<string, pulumi.Input<string>>>;
  /**
   * Admin talosconfig YAML (secret, from ClusterSecrets): the Talos health gate of the resize and ISO-detach
   * steps. Applied in place.
   * @default no gate (each step ends when Hetzner reports the server running)
   */
  readonly talosconfig?: pulumi.Input<string>;
}

export interface HetznerNodes {
  /** Servers by node name. */
  readonly servers: Readonly<Record<string, hcloud.Server>>;
  /** Resize steps by node name. */
  readonly serverTypes: Readonly<Record<string, HcloudServerType>>;
  /** Nodes with role and addresses. */
  readonly nodes: pulumi.Output<HetznerNodeOutput[]>;
  /** Snapshot route: the image id the servers boot (the autoscaler's `imagesForArch.amd64`); undefined on the ISO route. */
  readonly imageId: pulumi.Output<string | undefined>;
  /** ISO route: the ISO detach step of each server (by node name), which its machine waits for. */
  readonly isoDetaches: Readonly<Record<string, HcloudIsoDetach>>;
  /** The servers as Talos machine targets, dialled along the plan's routes. */
  readonly targets: MachineTarget[];
}

/** `host:50000` (IPv6 in brackets). */
const apid = (address: string) => (address.includes(":") ? `[${address}]:${TALOS_API_PORT}` : `${address}:${TALOS_API_PORT}`);

function publicAddress(s: hcloud.Server): pulumi.Output<string> {
  return pulumi.all([s.ipv4Address, s.ipv6Address]).apply(([v4, v6]) => v4 || v6 || "");
}

function privateAddress(s: hcloud.Server): pulumi.Output<string> {
  return s.networks.apply((ns) => ns?.[0]?.ip ?? "");
}

/**
 * Hetzner Cloud infrastructure of one Talos cluster, second half, under the same component: one server per node
 * (public Talos ISO or a Talos snapshot booting its machine config), the floating IP's first holder, and one
 * `HcloudServerType` per server, so server-type changes resize one node at a time.
 *
 * Why a separate resize step: hcloud.Server updates `serverType` and `publicNets` itself (power off, change,
 * power on), but Pulumi updates independent servers in parallel and without a health gate, which could stop
 * every control plane at once. The servers ignore both; the HcloudServerType resources apply them through the
 * cluster's one-at-a-time queue in the provider (control planes first, each after the node before is healthy
 * again, stopping at the first failure) — the reboot-required class of the impact table. Nothing chains them at
 * create, so servers come up side by side.
 */
export function hetznerNodes(infra: HetznerClusterInfra, args: HetznerNodesArgs = {}): HetznerNodes {
  const plan = infra.plan;
  const name = infra.resourceName;
  const o = (extra?: pulumi.CustomResourceOptions) => infra.childOptions(extra);
  checkConfigs(infra, args);
  const images: Partial<Record<"x86" | "arm", pulumi.Input<string>>> = {};
  const imageFor = (arch: "x86" | "arm") => (images[arch] ??= imageOf(infra, name, arch));
  const servers: Record<string, hcloud.Server> = {};
  for (const node of plan.nodes) {
    const publicNet: hcloud.types.input.ServerPublicNet = { ipv4Enabled: node.publicIPv4, ipv6Enabled: node.publicIPv6 };
    if (infra.primaryIp && node === plan.nodes[0]) publicNet.ipv4 = hcloudId(infra.primaryIp.id);
    const userData =
      plan.image.kind === "snapshot"
        ? pulumi.secret(pulumi.output(args.machineConfigs![node.name]).apply((c) => encodeUserData(c, node.name).userData))
        : undefined;
    servers[node.name] = new hcloud.Server(
      `${name}-${node.suffix}`,
      {
        name: node.name,
        serverType: node.serverType,
        location: node.location,
        image: imageFor(node.architecture),
        iso: plan.image.kind === "iso" ? plan.image.iso : undefined,
        userData,
        labels: { ...node.labels },
        networks: [{ networkId: hcloudId(infra.network.id) }],
        firewallIds: firewallOf(infra, node.role),
        placementGroupId: node.placementGroup ? hcloudId(infra.placementGroups[node.placementGroup].id) : undefined,
        publicNets: [publicNet],
        sshKeys: [...plan.sshKeys],
        keepDisk: true,
        shutdownBeforeDeletion: true,
      },
      o({
        dependsOn: [infra.subnet],
        // Create-time only (an SSH key, image or config change must not replace a node); serverType and
        // publicNets (both need a power-off) are applied by the HcloudServerType steps below, one at a time. The
        // location is where the plan put the server when it was created: a location change of the spec recreates
        // the cluster through the replacement trigger, and a new spread of control planes or new fallbackLocations
        // place only servers created afterwards, never move (replace) a running one.
        ignoreChanges: ["sshKeys", "image", "userData", "iso", "serverType", "publicNets", "location"],
      }),
    );
  }

  if (infra.floatingIp) {
    // The Talos VIP moves the floating IP between control planes; Pulumi only sets the first holder.
    new hcloud.FloatingIpAssignment(
      `${name}-floating-ip-assignment`,
      { floatingIpId: hcloudId(infra.floatingIp.id), serverId: hcloudId(servers[plan.nodes[0].name].id) },
      o({ ignoreChanges: ["serverId"] }),
    );
  }

  const health = (node: HetznerNodePlan, etcd: boolean) => healthGate(infra, node, servers[node.name], args.talosconfig, etcd);
  // One resize step per server, side by side: at create each is one read. Changes that power a server off run one
  // at a time in the provider's queue of the cluster (control planes first, stopping at the first failure), the
  // queue TalosMachine's reboots share, so etcd keeps quorum without a create-time chain.
  const types: Record<string, HcloudServerType> = {};
  for (const node of resizeOrder(plan)) {
    types[node.name] = new HcloudServerType(
      `${name}-${node.suffix}-type`,
      {
        serverId: servers[node.name].id,
        serverName: node.name,
        cluster: plan.clusterName,
        role: node.role,
        serverType: node.serverType,
        publicIPv4: node.publicIPv4,
        publicIPv6: node.publicIPv6,
        tokenEnvVar: infra.tokenEnvVar,
        health: health(node, node.role === "control-plane"),
      },
      o({ provider: undefined }),
    );
  }

  // ISO route: each server's ISO is detached as soon as the server has booted it (Talos then runs from memory),
  // before its machine installs Talos, so no failed install or apply ever leaves an ISO that halts the next boot.
  const isoDetaches: Record<string, HcloudIsoDetach> = {};
  if (plan.image.kind === "iso") {
    for (const node of plan.nodes) {
      const server = servers[node.name];
      isoDetaches[node.name] = new HcloudIsoDetach(
        `${name}-${node.suffix}-iso-detach`,
        {
          serverId: server.id,
          serverName: node.name,
          tokenEnvVar: infra.tokenEnvVar,
          reboot: false,
          probe: publicAddress(server).apply(apid),
          health: health(node, false),
        },
        o({ provider: undefined, dependsOn: [server] }),
      );
    }
  }

  const targets: MachineTarget[] = plan.nodes.map((node) => {
    const server = servers[node.name];
    const route = talosRouteOf(infra, node, servers);
    const detached = isoDetaches[node.name];
    return {
      name: node.name,
      suffix: node.suffix,
      role: node.role,
      platform: "hcloud",
      endpoint: route.endpoint,
      address: route.address,
      via: route.via,
      dependsOn: detached ? [server, detached] : [server],
    };
  });

  return {
    servers,
    serverTypes: types,
    nodes: pulumi.all(
      plan.nodes.map((n) =>
        pulumi
          .all([publicAddress(servers[n.name]), privateAddress(servers[n.name])])
          .apply(([pub, priv]) => ({ name: n.name, role: n.role, publicAddress: pub, privateAddress: priv })),
      ),
    ),
    // The x86 snapshot (the autoscaler's imagesForArch.amd64), when an x86 server boots one.
    imageId:
      plan.image.kind === "snapshot" && images.x86 !== undefined
        ? pulumi.output(images.x86).apply((x): string | undefined => x)
        : pulumi.output(undefined),
    isoDetaches,
    targets,
  };
}

/**
 * Where a node's Talos API is dialled, as the plan's reachability model routes it: a control plane with public
 * IPv4 at its own address; a worker, or a control plane without public IPv4, through the talosconfig endpoint (a
 * control plane's reserved address, the floating IP or the load balancer), whose apid proxies the call to the
 * node's private address (`node` metadata) — the workers' apid is open to the private network only. Every node
 * names its private address (so the bootstrap can ask every control plane, and a proxy can reach it) and, as
 * `via`, the other ways in: the talosconfig endpoint and the control planes' own addresses, tried when the endpoint
 * does not answer (its control plane reboots). The ISO route's first, insecure apply in maintenance mode cannot be
 * proxied: such a node's endpoint is its own public address, the one place the firewalls admit it before the
 * install, and `via` takes over once its Talos firewall closes that address.
 */
export function talosRouteOf(
  infra: HetznerClusterInfra,
  node: HetznerNodePlan,
  servers: Readonly<Record<string, hcloud.Server>>,
): { endpoint: pulumi.Output<string>; address: pulumi.Output<string>; via: pulumi.Output<string[]> } {
  const plan = infra.plan;
  const route = plan.routes[node.name];
  const server = servers[node.name];
  const own = (s: hcloud.Server) => s.ipv4Address.apply((v4) => (v4 ? apid(v4) : ""));
  const endpoint =
    route.dial === "own-public"
      ? own(server)
      : route.maintenance === "own-public"
        ? publicAddress(server).apply(apid)
        : infra.talosEndpoint;
  const others = plan.nodes.filter((n) => n.role === "control-plane" && n.publicIPv4 && n !== node).map((n) => own(servers[n.name]));
  const via = pulumi
    .all([endpoint, infra.talosEndpoint, ...others])
    .apply(([e, ...rest]) => [...new Set(rest.filter((x) => x && x !== e))]);
  return { endpoint, address: privateAddress(server), via };
}

/** The Hetzner firewalls of a role's servers (control planes and workers have their own). */
function firewallOf(infra: HetznerClusterInfra, role: NodeRole): pulumi.Input<number>[] {
  const fw = role === "control-plane" ? infra.firewall : infra.workerFirewall;
  return fw ? [hcloudId(fw.id)] : [];
}

/**
 * Talos health gate of a resize or ISO-detach step, along the node's route: its own public IPv4, or the
 * talosconfig endpoint proxying to its private address.
 */
function healthGate(
  infra: HetznerClusterInfra,
  node: HetznerNodePlan,
  server: hcloud.Server,
  talosconfig: pulumi.Input<string> | undefined,
  etcd: boolean,
) {
  if (talosconfig === undefined) return undefined;
  const route = infra.plan.routes[node.name];
  if (route.dial === "own-public") return { endpoint: server.ipv4Address.apply((v4) => apid(v4)), node: "", talosconfig, etcd };
  return { endpoint: infra.talosEndpoint, node: privateAddress(server), talosconfig, etcd };
}

/** The image a server boots: the ISO route's placeholder, the pinned snapshot, or the newest snapshot of its architecture. */
function imageOf(infra: HetznerClusterInfra, name: string, arch: "x86" | "arm"): pulumi.Input<string> {
  const img = infra.plan.image;
  if (img.kind === "iso") return img.placeholderImage;
  if (img.id !== undefined) return String(img.id);
  const found = hcloud.getImageOutput(
    { withSelector: img.selector, mostRecent: true, withArchitecture: arch, withStatuses: ["available"] },
    { parent: infra, provider: infra.provider },
  );
  return found.apply((f) => {
    if (f.id === undefined)
      throw new KsailError([
        {
          path: "snapshot",
          message: `no Talos snapshot matches "${img.selector}" (${arch}, available) for ${name}; build it first (KSail labels it with the Talos version and schematic) or pin its id`,
        },
      ]);
    return String(f.id);
  });
}

function checkConfigs(infra: HetznerClusterInfra, args: HetznerNodesArgs): void {
  const plan = infra.plan;
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
