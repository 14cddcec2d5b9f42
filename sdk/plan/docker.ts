/**
 * The plain plan of one cluster on Docker: every name, address and port decided up front from the spec
 * alone, so the Pulumi wiring (infra/docker) only maps it to resources and tests can assert it without a
 * runtime.
 */
import * as crypto from "node:crypto";
import { KsailError, type Issue } from "../errors";
import { localRegistryContainerName } from "../config/registry";
import type { NodeRole } from "../distributions/roles";
import { DEFAULT_TALOS_VERSION, parseTalosVersion, resolveKubernetesVersion, talosImage } from "../distributions/talos/versions";
import { images, k3sNodeImage, kindNodeImage, nodeImages } from "../versions";
import type {
  DockerDistribution,
  DockerNodePlan,
  DockerMirrorPlan,
  DockerLocalRegistryPlan,
  DockerClusterPlan,
  DockerMirrorInput,
  DockerPlanInput,
} from "./dockerTypes";
export type {
  DockerDistribution,
  DockerNodePlan,
  DockerMirrorPlan,
  DockerLocalRegistryPlan,
  DockerLoadBalancerPlan,
  DockerAddons,
  DockerClusterPlan,
  DockerMirrorInput,
  DockerPlanInput,
} from "./dockerTypes";

/** Default node images (pinned in versions.ts and the Talos version table; bumped deliberately). */
export const DEFAULT_IMAGES: Readonly<Record<DockerDistribution, string>> = {
  // The same default as the Talos renderer, so the node image and the machine-config contract agree.
  Talos: talosImage(parseTalosVersion(DEFAULT_TALOS_VERSION)),
  K3s: k3sNodeImage(),
  Vanilla: kindNodeImage(),
};

/** The pull-through mirrors a Docker cluster gets when the spec names none (as KSail). */
export const DEFAULT_MIRRORS: readonly Required<DockerMirrorInput>[] = [
  { host: "docker.io", upstream: "https://registry-1.docker.io" },
  { host: "ghcr.io", upstream: "https://ghcr.io" },
  { host: "quay.io", upstream: "https://quay.io" },
  { host: "registry.k8s.io", upstream: "https://registry.k8s.io" },
];

/** First host port of the deterministic range, and its size. */
export const HOST_PORT_BASE = 20000;
export const HOST_PORT_SPAN = 20000;

/**
 * A host port chosen from the cluster name, stable across runs and machines, so the kubeconfig endpoint
 * survives container restarts and re-creations (Docker's random ports do not). `purpose` separates the ports
 * of one cluster ("api", "talos"); the two never coincide. Collisions between two clusters on one host are
 * possible but unlikely (1 in 20,000); set the port in the spec to pick one yourself.
 */
export function allocateHostPort(clusterName: string, purpose: "api" | "talos"): number {
  const digest = crypto.createHash("sha256").update(`ksail/${clusterName}`).digest();
  const base = digest.readUInt32BE(0) % (HOST_PORT_SPAN / 2);
  // api ports are even offsets, talos ports the next odd one: distinct for the same cluster.
  return HOST_PORT_BASE + base * 2 + (purpose === "api" ? 0 : 1);
}

/** Default network CIDR: Talos uses talosctl's 10.5.0.0/24; Kind and K3s get a /24 in 10.6.0.0/16 chosen by name. */
export function defaultNetworkCidr(distribution: DockerDistribution, clusterName: string): string {
  if (distribution === "Talos") return "10.5.0.0/24";
  const digest = crypto.createHash("sha256").update(`ksail-net/${clusterName}`).digest();
  return `10.6.${digest[0]}.0/24`;
}

/** `docker.io` → `docker.io`, `my.reg:5000/path` → `my.reg-5000-path` (container/volume-name safe). */
export function sanitizeHost(host: string): string {
  return host.replace(/[/:]/g, "-");
}

function parseIpv4(ip: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(ip);
  if (!m) return undefined;
  const parts = m.slice(1).map(Number);
  if (parts.some((p) => p > 255)) return undefined;
  return ((parts[0] << 24) | (parts[1] << 16) | (parts[2] << 8) | parts[3]) >>> 0;
}

function formatIpv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join(".");
}

/** Parse `a.b.c.d/p` into base and prefix; undefined when malformed. */
export function parseCidr(cidr: string): { base: number; prefix: number } | undefined {
  const [ip, p] = cidr.split("/");
  const base = ip === undefined ? undefined : parseIpv4(ip);
  const prefix = Number(p);
  if (base === undefined || !Number.isInteger(prefix) || prefix < 8 || prefix > 30) return undefined;
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return { base: (base & mask) >>> 0, prefix };
}

/** Address `offset` within the network (`offset` 1 = gateway). */
export function addressAt(cidr: string, offset: number): string {
  const c = parseCidr(cidr);
  if (!c) throw new KsailError([{ path: "network.cidr", message: `"${cidr}" is not an IPv4 CIDR; use e.g. 10.5.0.0/24` }]);
  return formatIpv4((c.base + offset) >>> 0);
}

/** Parse `hostPort:containerPort[/tcp|udp]`. */
function parsePortMapping(s: string, path: string, issues: Issue[]) {
  const m = /^(\d+):(\d+)(?:\/(tcp|udp))?$/.exec(s.trim());
  if (!m) {
    issues.push({ path, message: `"${s}" is not hostPort:containerPort[/tcp|udp]; write e.g. 8080:80/tcp` });
    return undefined;
  }
  return { hostPort: Number(m[1]), containerPort: Number(m[2]), protocol: (m[3] ?? "tcp") as "tcp" | "udp" };
}

/** `kindest/node:v1.36.1@sha256:…` → `v1.36.1`; undefined when the tag is not a version. */
export function versionFromImage(image: string): string | undefined {
  const noDigest = image.split("@")[0];
  const tag = noDigest.includes(":") ? noDigest.slice(noDigest.lastIndexOf(":") + 1) : "";
  const m = /^v?(\d+\.\d+\.\d+)/.exec(tag);
  return m ? `v${m[1]}` : undefined;
}

/** Node name of the `index`-th (1-based) node of a role. */
export function nodeName(clusterName: string, role: NodeRole, index: number): string {
  return `${clusterName}-${role}-${index}`;
}

/** Offsets reserved from the top of the network for the Kind LB, the local registry and the mirrors. */
const LB_OFFSET = 252;
const REGISTRY_OFFSET = 251;
const MIRROR_TOP_OFFSET = 250;
/** Nodes use offsets 2 .. MAX_NODE_OFFSET. */
const MAX_NODE_OFFSET = 199;

/**
 * Build the plan. Throws a KsailError listing every problem (bad CIDR, too many nodes, bad ports).
 * Node addresses: control planes first from .2, then workers — as talosctl does — so adding a worker never
 * moves another node; the LB, local registry and mirrors sit at fixed offsets near the top of the /24.
 */
export function planDockerCluster(input: DockerPlanInput): DockerClusterPlan {
  const issues: Issue[] = [];
  const { distribution, clusterName } = input;
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(clusterName) || clusterName.length > 40)
    issues.push({
      path: "metadata.name",
      message: `"${clusterName}" cannot name Docker containers and Kubernetes nodes; use lowercase letters, digits and "-", at most 40 characters`,
    });
  if (!Number.isInteger(input.controlPlanes) || input.controlPlanes < 1)
    issues.push({
      path: "spec.cluster.controlPlanes",
      message: `is ${input.controlPlanes}; a Docker cluster needs at least 1 control plane`,
    });
  if (!Number.isInteger(input.workers) || input.workers < 0)
    issues.push({ path: "spec.cluster.workers", message: `is ${input.workers}; use 0 or more` });
  if (input.controlPlanes + input.workers > MAX_NODE_OFFSET - 1)
    issues.push({
      path: "spec.cluster.workers",
      message: `${input.controlPlanes} control planes + ${input.workers} workers exceed the ${MAX_NODE_OFFSET - 1} nodes one Docker network plan holds; lower spec.cluster.workers so that control planes + workers are at most ${MAX_NODE_OFFSET - 1}`,
    });
  const cidr = input.networkCidr ?? defaultNetworkCidr(distribution, clusterName);
  const parsed = parseCidr(cidr);
  if (!parsed || parsed.prefix > 24)
    issues.push({
      path: "network.cidr",
      message: `"${cidr}" must be an IPv4 CIDR of /24 or larger (e.g. 10.5.0.0/24)`,
    });
  const extraPorts = (input.extraPortMappings ?? [])
    .map((s, i) => parsePortMapping(s, `spec.cluster.talos.extraPortMappings[${i}]`, issues))
    .filter((p): p is NonNullable<typeof p> => p !== undefined);
  for (const [path, port] of [
    ["apiHostPort", input.apiHostPort],
    ["talosApiHostPort", input.talosApiHostPort],
    ["spec.cluster.localRegistry.registry", input.localRegistryPort],
  ] as const) {
    if (port !== undefined && (!Number.isInteger(port) || port < 1 || port > 65535))
      issues.push({ path, message: `port ${port} is not between 1 and 65535` });
  }
  // Every host port this cluster publishes must be distinct, or Docker refuses the second container.
  const apiHostPort = input.apiHostPort ?? allocateHostPort(clusterName, "api");
  const talosApiHostPort = distribution === "Talos" ? (input.talosApiHostPort ?? allocateHostPort(clusterName, "talos")) : undefined;
  const hostPorts: [string, number | undefined][] = [
    ["apiHostPort", apiHostPort],
    ["talosApiHostPort", talosApiHostPort],
    ["spec.cluster.localRegistry.registry", input.localRegistryPort],
    ...extraPorts.map((p, i): [string, number] => [`spec.cluster.talos.extraPortMappings[${i}]`, p.hostPort]),
  ];
  const seen = new Map<number, string>();
  for (const [path, port] of hostPorts) {
    if (port === undefined || port === 0) continue;
    const other = seen.get(port);
    if (other) issues.push({ path, message: `host port ${port} is already used by ${other}; pick another port` });
    else seen.set(port, path);
  }
  const image = input.image ?? DEFAULT_IMAGES[distribution];
  const kubernetesVersion =
    input.kubernetesVersion ??
    (distribution === "Talos"
      ? `v${resolveKubernetesVersion(parseTalosVersion(DEFAULT_TALOS_VERSION))}`
      : (versionFromImage(image) ?? nodeImages.kind.defaultTag));
  issues.push(...imageVerificationIssues(distribution, input.imageVerification === true, kubernetesVersion));
  if (issues.length > 0) throw new KsailError(issues, `Cannot plan the Docker cluster "${clusterName}":`);

  const nodes: DockerNodePlan[] = [];
  for (let i = 1; i <= input.controlPlanes; i++)
    nodes.push({
      name: nodeName(clusterName, "control-plane", i),
      role: "control-plane",
      index: i,
      ip: addressAt(cidr, 1 + i),
    });
  for (let j = 1; j <= input.workers; j++)
    nodes.push({
      name: nodeName(clusterName, "worker", j),
      role: "worker",
      index: j,
      ip: addressAt(cidr, 1 + input.controlPlanes + j),
    });

  const mirrors = (input.mirrors ?? DEFAULT_MIRRORS).map((m, i): DockerMirrorPlan => {
    const containerName = `${clusterName}-${sanitizeHost(m.host)}`;
    return {
      host: m.host,
      upstream: m.upstream ?? DEFAULT_MIRRORS.find((d) => d.host === m.host)?.upstream ?? `https://${m.host}`,
      containerName,
      volumeName: `ksail-mirror-${sanitizeHost(m.host)}`,
      ip: addressAt(cidr, MIRROR_TOP_OFFSET - i),
      endpoint: `http://${containerName}:5000`,
    };
  });
  const localRegistry: DockerLocalRegistryPlan | undefined =
    input.localRegistryPort === undefined
      ? undefined
      : {
          containerName: localRegistryContainerName(clusterName),
          volumeName: localRegistryContainerName(clusterName),
          hostPort: input.localRegistryPort,
          ip: addressAt(cidr, REGISTRY_OFFSET),
          endpoint: `http://${localRegistryContainerName(clusterName)}:5000`,
        };
  // Kind and k3d put a load balancer in front of several control planes; the API is published there. (k3d runs one even
  // for a single server; KSailCluster, like kind, only for HA, so a one-server cluster stays one container.)
  const loadBalancer =
    distribution !== "Talos" && input.controlPlanes > 1
      ? {
          name: distribution === "Vanilla" ? `${clusterName}-external-load-balancer` : `${clusterName}-serverlb`,
          ip: addressAt(cidr, LB_OFFSET),
          image: distribution === "Vanilla" ? images.kindLoadBalancer : images.k3dProxy,
        }
      : undefined;

  return {
    distribution,
    clusterName,
    image,
    kubernetesVersion,
    nodes,
    network: {
      name: input.networkName ?? (distribution === "Talos" ? clusterName : `${clusterName}-network`),
      cidr,
      gateway: addressAt(cidr, 1),
      mtu: input.mtu ?? 1500,
    },
    apiHostPort,
    ...(input.apiPublishAddress && input.apiPublishAddress !== "127.0.0.1" ? { apiPublishAddress: input.apiPublishAddress } : {}),
    talosApiHostPort,
    extraPorts,
    mirrors,
    localRegistry,
    loadBalancer,
    addons: {
      cni: input.addons?.cni ?? "Default",
      metricsServer: input.addons?.metricsServer ?? distribution === "K3s",
      csi: input.addons?.csi ?? distribution === "K3s",
      loadBalancer: input.addons?.loadBalancer ?? distribution === "K3s",
    },
    podSubnet: input.podSubnet ?? (distribution === "K3s" ? "10.42.0.0/16" : "10.244.0.0/16"),
    serviceSubnet: input.serviceSubnet ?? (distribution === "K3s" ? "10.43.0.0/16" : "10.96.0.0/16"),
    ...(distribution !== "Talos" && input.apiServerArgs && Object.keys(input.apiServerArgs).length > 0
      ? { apiServerArgs: { ...input.apiServerArgs } }
      : {}),
    ...(distribution === "K3s" && input.k3sExtraArgs && (input.k3sExtraArgs.server.length > 0 || input.k3sExtraArgs.agent.length > 0)
      ? { k3sExtraArgs: { server: [...input.k3sExtraArgs.server], agent: [...input.k3sExtraArgs.agent] } }
      : {}),
    ...(distribution === "Vanilla" && input.imageVerification ? { imageVerification: true as const } : {}),
    resources: { cpus: input.resources?.cpus ?? 2, memoryMiB: input.resources?.memoryMiB ?? 2048 },
  };
}

/** Control-plane nodes of a plan, in join order. */
export function controlPlanes(plan: DockerClusterPlan): DockerNodePlan[] {
  return plan.nodes.filter((n) => n.role === "control-plane");
}

/** Worker nodes of a plan. */
export function workers(plan: DockerClusterPlan): DockerNodePlan[] {
  return plan.nodes.filter((n) => n.role === "worker");
}

/**
 * The plan's mirrors and local registry in the shape the Talos renderer takes (`machine.registries`): each
 * mirrored host pulls through its in-network mirror; the local registry is reachable by container name and, as on
 * Kind and K3s, under `localhost:<host port>` (the name images pushed from the host carry), so an image
 * `localhost:5050/app` pulls on every distribution.
 */
export function talosRegistryInputs(plan: DockerClusterPlan): {
  mirrors: { host: string; endpoints: string[] }[];
  localRegistry?: { host: string; endpoint: string };
} {
  return {
    mirrors: [
      ...plan.mirrors.map((m) => ({ host: m.host, endpoints: [m.endpoint] })),
      ...(plan.localRegistry ? [{ host: `localhost:${plan.localRegistry.hostPort}`, endpoints: [plan.localRegistry.endpoint] }] : []),
    ],
    ...(plan.localRegistry
      ? {
          localRegistry: {
            host: `${plan.localRegistry.containerName}:5000`,
            endpoint: plan.localRegistry.endpoint,
          },
        }
      : {}),
  };
}

/** The first kindest/node release with containerd's image-verifier plugin available (kind v0.31.0, containerd 2.x). */
export const IMAGE_VERIFIER_MIN_KUBERNETES = "1.35.1";

/** Where containerd's image verification can run on Docker: Vanilla on a containerd 2.x node image; not K3s. */
function imageVerificationIssues(distribution: DockerDistribution, enabled: boolean, kubernetesVersion: string): Issue[] {
  if (!enabled || distribution === "Talos") return [];
  const path = "spec.cluster.imageVerification";
  if (distribution === "K3s")
    return [
      {
        path,
        message:
          "is Enabled, but this package gives K3s nodes no image verifier (K3s would need its own containerd config template; KSail's support matrix lists it as unsupported); set Disabled, or use Vanilla (containerd's image-verifier plugin) or Talos 1.13+ (ImageVerificationConfig)",
      },
    ];
  const have = kubernetesVersion.replace(/^v/, "").split(/[.+-]/).map(Number);
  const need = IMAGE_VERIFIER_MIN_KUBERNETES.split(".").map(Number);
  const older = have[0] !== need[0] ? have[0] < need[0] : have[1] !== need[1] ? have[1] < need[1] : (have[2] ?? 0) < need[2];
  return older
    ? [
        {
          path,
          message: `is Enabled, but the kindest/node image of Kubernetes ${kubernetesVersion} predates containerd's image-verifier support in kind's node images (kindest/node v${IMAGE_VERIFIER_MIN_KUBERNETES}, kind v0.31.0); use spec.cluster.kubernetesVersion ${IMAGE_VERIFIER_MIN_KUBERNETES} or newer, or set Disabled`,
        },
      ]
    : [];
}
