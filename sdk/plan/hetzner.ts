import { KsailError, type Issue } from "../errors";
import { DEFAULT_TALOS_ISO, HETZNER_DEFAULTS } from "../config/defaults";
import { DEFAULT_TALOS_VERSION } from "../distributions/talos/versions";
import type { NodeRole } from "../distributions/roles";
import { ANY_SOURCE, SPREAD_GROUP_LIMIT, commonLabels, architectureOf, networkZoneOf, serverLabels, subnetOf } from "./hetznerParts";
import { endpointPlan, type HetznerEndpointMode } from "./hetznerEndpoint";
import { networkModel } from "./hetznerNetwork";
import { cidrsOverlap, parsePrefix } from "./hetznerCidr";
import type { HetznerImagePlan, HetznerNodePlan, HetznerClusterPlan, HetznerPlanInput } from "./hetznerTypes";
export type { HetznerImagePlan, HetznerNodePlan, HetznerClusterPlan, HetznerPlanInput } from "./hetznerTypes";

/**
 * The plain plan of one Talos cluster on Hetzner Cloud: every name, label, rule and layout decision made
 * from the spec alone, so that the Pulumi wiring (infra/hetzner) only maps it to @pulumi/hcloud resources and
 * tests can assert it without a runtime. Follows how KSail lays a cluster out on Hetzner (names, labels, the
 * cloud subnet, the firewall, spread placement) and how Talos boots there (public ISO or an hcloud snapshot).
 */

/** Talos's default pod subnet, the cluster's unless a patch changes it. */
export const DEFAULT_POD_CIDRS: readonly string[] = ["10.244.0.0/16"];

/** The load balancer of the `load-balancer` endpoint (the smallest type; 6443 and 50000 only). */
export const DEFAULT_LOAD_BALANCER_TYPE = "lb11";
/** The image a server of the ISO route is created from before the ISO boots (it never runs). */
export const ISO_PLACEHOLDER_IMAGE = "debian-13";

/** Builds the plan; throws a KsailError listing every problem. */
export function planHetznerCluster(input: HetznerPlanInput): HetznerClusterPlan {
  const issues: Issue[] = [];
  const p = "spec.provider.hetzner";
  const name = input.clusterName;
  const location = input.location || HETZNER_DEFAULTS.location;
  const cidr = input.networkCidr || HETZNER_DEFAULTS.networkCidr;
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
  const limit = input.serverLimit || HETZNER_DEFAULTS.serverLimit;
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
  // Control-plane locations: `location`, or with spread control planes `location` + fallbackLocations round robin.
  const fallbackList = (input.fallbackLocations ?? []).length > 0 ? [...input.fallbackLocations!] : [...HETZNER_DEFAULTS.fallbackLocations];
  const cpLocations = input.spreadControlPlanes ? [...new Set([location, ...fallbackList])] : [location];
  if (input.spreadControlPlanes) {
    for (const l of cpLocations.slice(1)) {
      const z = networkZoneOf(l);
      if (z === undefined)
        issues.push({
          path: `${p}.fallbackLocations`,
          message: `"${l}" is not a Hetzner Cloud location; allowed: fsn1, nbg1, hel1, ash, hil, sin`,
        });
      else if (zone !== undefined && z !== zone)
        issues.push({
          path: `${p}.fallbackLocations`,
          message: `"${l}" is in network zone ${z}, but ${location} is in ${zone}: spread control planes share one private network, which spans one zone; list only ${zone} locations (${["fsn1", "nbg1", "hel1"].filter((x) => networkZoneOf(x) === zone).join(", ") || location})`,
        });
    }
  }
  const cpLocationOf = (i: number) => cpLocations[(i - 1) % cpLocations.length];
  const strategy = input.placementGroupStrategy ?? "Spread";
  const groupBase = input.placementGroup || `${name}-placement`;
  const placementGroups: { role: NodeRole; name: string; location?: string }[] = [];
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
      if (role === "control-plane" && cpLocations.length > 1) {
        // Control planes in different locations already run on different hosts; a group per location keeps apart
        // the ones that share a location (more control planes than locations).
        for (const l of cpLocations) {
          const here = Array.from({ length: count }, (_, k) => cpLocationOf(k + 1)).filter((x) => x === l).length;
          if (here > 1) placementGroups.push({ role, name: `${groupBase}-${role}-${l}`, location: l });
        }
      } else if (count > 0) placementGroups.push({ role, name: `${groupBase}-${role}` });
    }
  }
  let image: HetznerImagePlan;
  if (input.snapshot) {
    if (input.snapshot.id === undefined && !input.snapshot.selector) {
      issues.push({ path: "snapshot", message: "the snapshot route needs an image id or a label selector" });
    }
    image = { kind: "snapshot", ...input.snapshot };
  } else {
    const iso = String(input.iso ?? DEFAULT_TALOS_ISO);
    if (iso === "" || iso === "0")
      issues.push({
        path: "spec.cluster.talos.iso",
        message: `is ${JSON.stringify(input.iso)}; give the id of a public Talos ISO (hcloud iso list), e.g. ${DEFAULT_TALOS_ISO}, or a schematicId for the snapshot route`,
      });
    image = { kind: "iso", iso, placeholderImage: input.placeholderImage || ISO_PLACEHOLDER_IMAGE };
  }
  const podCidrs = input.podCidrs?.length ? [...input.podCidrs] : [...DEFAULT_POD_CIDRS];
  if (subnetCidr && podCidrs.some((c) => parsePrefix(c) && cidrsOverlap(c, cidr))) {
    issues.push({
      path: `${p}.networkCidr`,
      message: `"${cidr}" overlaps the pod CIDR ${podCidrs.join(", ")}; pod traffic would be mistaken for node traffic by both firewalls and routes; use a network CIDR such as 10.0.0.0/16`,
    });
  }
  for (const [role, v4, v6] of [
    ["control-plane", input.controlPlanePublicIPv4 ?? true, input.controlPlanePublicIPv6 ?? true],
    ["worker", input.workerPublicIPv4 ?? true, input.workerPublicIPv6 ?? true],
  ] as const) {
    const count = role === "control-plane" ? input.controlPlanes : input.workers;
    if (count === 0 || v4 || v6) continue;
    const field = role === "control-plane" ? "controlPlanePublicIPv4" : "workerPublicIPv4";
    issues.push({
      path: `${p}.${field}`,
      message: `is false and so is the IPv6 switch: ${role} servers without any public address cannot pull images, reach Talos's discovery service${image.kind === "iso" ? " or receive their config (the ISO route applies it over the node's own public address)" : ""}, because a Hetzner private network has no internet gateway and this library creates no NAT gateway; give the ${role}s a public IPv4 (or at least IPv6)`,
    });
  }
  // Hetzner's server types are a family (cx, cpx, cax, ccx) and a size; whether a size exists in a location only the
  // API knows (checked when the server is created), but a name of another shape never does.
  for (const [field, t] of [
    ["controlPlaneServerType", input.controlPlaneServerType],
    ["workerServerType", input.workerServerType],
  ] as const)
    if (t && !/^(cx|cpx|cax|ccx)\d{2}$/.test(t))
      issues.push({
        path: `${p}.${field}`,
        message: `"${t}" is not a Hetzner Cloud server type name: a family (cx, cpx, cax, ccx) and a size, e.g. ${HETZNER_DEFAULTS.workerServerType}; see \`hcloud server-type list\``,
      });
  const armTypes = [
    ["controlPlaneServerType", input.controlPlaneServerType, input.controlPlanes],
    ["workerServerType", input.workerServerType, input.workers],
  ].filter(([, t, n]) => Number(n) > 0 && architectureOf(String(t ?? "")) === "arm");
  const mixedArchitectures =
    new Set(
      [
        [input.controlPlaneServerType || HETZNER_DEFAULTS.controlPlaneServerType, input.controlPlanes ?? 1],
        [input.workerServerType || HETZNER_DEFAULTS.workerServerType, input.workers ?? 0],
      ]
        .filter(([, n]) => Number(n) > 0)
        .map(([t]) => architectureOf(String(t))),
    ).size > 1;
  if (armTypes.length > 0 && image.kind === "iso" && input.iso === undefined) {
    issues.push({
      path: `${p}.${armTypes[0][0]}`,
      message: `is ${armTypes[0][1]}, an Arm (CAX) type, but the default ISO (${DEFAULT_TALOS_ISO}) is Hetzner's x86 Talos ISO; use the snapshot route (set spec.cluster.talos.schematicId and build the arm64 snapshot), give an arm64 Talos ISO id in spec.cluster.talos.iso, or use an x86 type`,
    });
  } else if (armTypes.length > 0 && image.kind === "iso" && mixedArchitectures) {
    issues.push({
      path: "spec.cluster.talos.iso",
      message: `is ${JSON.stringify(input.iso)}: one ISO cannot boot both x86 and Arm (CAX) servers; use the snapshot route (schematicId) so each architecture finds its own image, or one architecture`,
    });
  }
  if (armTypes.length > 0 && image.kind === "snapshot" && image.id !== undefined) {
    const types = [input.controlPlaneServerType, input.workerServerType].map((t) =>
      architectureOf(String(t ?? HETZNER_DEFAULTS.workerServerType)),
    );
    if (new Set(types).size > 1)
      issues.push({
        path: "snapshot",
        message: `one snapshot id cannot boot both x86 and Arm servers; select the snapshots by label (schematicId) so each architecture finds its own, or use one architecture`,
      });
  }
  if (issues.length > 0) throw new KsailError(issues, `Hetzner cluster "${name}":`);

  const warnings: string[] = [];
  const fallbacks = input.fallbackLocations ?? [];
  if (!input.spreadControlPlanes && fallbacks.length > 0 && fallbacks.join(",") !== HETZNER_DEFAULTS.fallbackLocations.join(",")) {
    warnings.push(
      `${p}.fallbackLocations (${input.fallbackLocations!.join(", ")}) are not used by Pulumi: servers are created in ${location} only, because a location chosen at run time would replace the server on the next update; change ${p}.location if ${location} has no capacity, or spread the control planes over them (hetznerSpreadControlPlanes)`,
    );
  }
  const allowedCidrs = (input.allowedCidrs ?? []).length > 0 ? [...input.allowedCidrs!] : [...ANY_SOURCE];
  const nodes: HetznerNodePlan[] = [];
  const group = (role: NodeRole, at: string) =>
    placementGroups.find((g) => g.role === role && (g.location === undefined || g.location === at))?.name;
  for (let i = 1; i <= input.controlPlanes; i++) {
    nodes.push({
      name: `${name}-control-plane-${i}`,
      role: "control-plane",
      index: i,
      suffix: `control-plane-${i}`,
      serverType: input.controlPlaneServerType || HETZNER_DEFAULTS.controlPlaneServerType,
      architecture: architectureOf(input.controlPlaneServerType || HETZNER_DEFAULTS.controlPlaneServerType),
      publicIPv4: input.controlPlanePublicIPv4 ?? true,
      publicIPv6: input.controlPlanePublicIPv6 ?? true,
      labels: serverLabels(name, "control-plane", i),
      placementGroup: group("control-plane", cpLocationOf(i)),
      location: cpLocationOf(i),
    });
  }
  for (let i = 1; i <= input.workers; i++) {
    nodes.push({
      name: `${name}-worker-${i}`,
      role: "worker",
      index: i,
      suffix: `worker-${i}`,
      serverType: input.workerServerType || HETZNER_DEFAULTS.workerServerType,
      architecture: architectureOf(input.workerServerType || HETZNER_DEFAULTS.workerServerType),
      publicIPv4: input.workerPublicIPv4 ?? true,
      publicIPv6: input.workerPublicIPv6 ?? true,
      labels: serverLabels(name, "worker", i),
      placementGroup: group("worker", location),
      location,
    });
  }
  const restricted = (input.allowedCidrs ?? []).length > 0;
  const reachability = networkModel({
    endpointMode,
    allowedCidrs,
    networkCidr: cidr,
    podCidrs,
    cni: input.cni ?? "Default",
    talosVersion: input.talosVersion ?? DEFAULT_TALOS_VERSION,
    loadBalancerServices: input.loadBalancerServices ?? false,
    isoRoute: image.kind === "iso",
    firewall: input.ingressFirewall !== "Disabled",
    nodes,
  });
  if (input.ingressFirewall === "Disabled") {
    warnings.push(
      `${p}.ingressFirewall is Disabled: neither the Hetzner firewall nor the Talos host firewall filters anything, so every port of every node (etcd, kubelet, trustd, apid) is open to the internet on its public addresses`,
    );
  } else if (restricted && endpointMode === "load-balancer") {
    warnings.push(
      `${p}.allowedCidrs cannot be enforced on the load-balancer endpoint: Hetzner load balancers take no firewall and forward from their private address, so the Kubernetes API (6443) and the Talos API (50000) are open to every source through the load balancer (both still require client certificates); allowedCidrs still limits the control planes' own public addresses`,
    );
  }
  if (restricted && input.ingressFirewall !== "Disabled") {
    warnings.push(
      `${p}.allowedCidrs is set: the machine running pulumi up must be inside ${allowedCidrs.join(", ")} to reach the Talos API of the control planes; workers are reached through a control plane`,
    );
  }
  for (const [role, v4, v6] of [
    ["control-plane", input.controlPlanePublicIPv4 ?? true, input.controlPlanePublicIPv6 ?? true],
    ["worker", input.workerPublicIPv4 ?? true, input.workerPublicIPv6 ?? true],
  ] as const) {
    if ((role === "control-plane" ? input.controlPlanes : input.workers) > 0 && !v4 && v6) {
      warnings.push(
        `the ${role}s have public IPv6 only: ghcr.io (Talos, Cilium's and Flux's images) and registry-1.docker.io have no IPv6 addresses, so pulls from them fail; enable public IPv4 or mirror those images to an IPv6 registry`,
      );
    }
  }
  if (image.kind === "snapshot" && (input.cni ?? "Default") !== "Cilium") {
    warnings.push(
      `the snapshot route hands each server its machine config as user_data, and Hetzner's metadata service (169.254.169.254) serves user_data to every pod that asks; with cni ${input.cni ?? "Default"} no policy keeps pods away from it, so any pod can read the cluster's CA keys: use cni: Cilium (KSailCluster then denies pods egress to the metadata service), or the ISO route (no user_data)`,
    );
  }
  const firewallOf = (role: NodeRole) => reachability.hetznerFirewall?.[role] ?? [];
  return {
    clusterName: name,
    location,
    fallbackLocations: fallbackList,
    networkZone: zone!,
    network: { name: `${name}-network`, cidr, subnetCidr },
    secretNetworkName: input.networkName || `${name}-network`,
    firewall: reachability.hetznerFirewall ? { name: `${name}-firewall`, rules: firewallOf("control-plane") } : undefined,
    workerFirewall: reachability.hetznerFirewall ? { name: `${name}-firewall-worker`, rules: firewallOf("worker") } : undefined,
    talosFirewall: reachability.talosIngress,
    routes: reachability.routes,
    reachability,
    podCidrs,
    allowedCidrs,
    placementGroups,
    nodes,
    image,
    endpoint: endpointPlan(endpointMode, nodes[0].publicIPv4, {
      floatingIpLocation: input.floatingIPLocation || location,
      loadBalancerType: input.loadBalancerType || DEFAULT_LOAD_BALANCER_TYPE,
    }),
    sshKeys: input.sshKeyName ? [input.sshKeyName] : [],
    labels: commonLabels(name),
    warnings,
  };
}

/** Servers in the order their type changes are applied: control planes first, then workers, by index. */
export function resizeOrder(plan: HetznerClusterPlan): HetznerNodePlan[] {
  return [...plan.nodes.filter((n) => n.role === "control-plane"), ...plan.nodes.filter((n) => n.role === "worker")];
}
