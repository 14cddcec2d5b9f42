/**
 * What every container of a Docker cluster gets, as plain data: one function per container kind, used alike by
 * the Docker infrastructure (sdk/infra/docker, which turns a spec into `docker.ContainerArgs`) and by `render`
 * (which writes it as `nodes/<node>/container.json`). So the rendering shows exactly what the engine is asked to
 * create. Secret values (tokens, keys, the Talos machine config) come from the material passed in: the infra
 * passes the real material inside an Output, `render` a shape-only placeholder or a throwaway identity.
 * The flags per distribution follow kind v0.32.0 (kubernetes-sigs/kind pkg/cluster/internal/providers/docker/
 * provision.go), k3d (k3d-io/k3d pkg/runtimes/docker, pkg/client/node.go) and talosctl
 * (siderolabs/talos pkg/provision/providers/docker/node.go).
 */
import type { K3sPki, KubeadmPki } from "../pki/types";
import { KIND_HEALTHCHECK, kindNodeFiles, kindRegistries, type KindClusterFacts, type NodeFile } from "../distributions/kind";
import { K3S_DATA_DIR, K3S_ENTRYPOINT, k3sCommand, k3sEnv, k3sNodeFiles, type K3sClusterFacts } from "../distributions/k3s";
import { ENVOY_COMMAND, ENVOY_CONFIG_PATH, renderEnvoyConfig } from "../distributions/kind";
import { K3D_PROXY_CONFIG_PATH, renderK3dProxyConfig } from "../distributions/k3s";
import { talosRole } from "../distributions/roles";
import { controlPlanes, type DockerClusterPlan, type DockerNodePlan } from "./docker";

export interface ContainerLabel {
  readonly label: string;
  readonly value: string;
}
export interface ContainerVolume {
  readonly containerPath: string;
  readonly hostPath?: string;
  /** A named volume (K3s state). */
  readonly volumeName?: string;
  readonly readOnly?: boolean;
}
export interface ContainerPort {
  readonly internal: number;
  readonly external: number;
  readonly ip: string;
  readonly protocol: string;
}
export interface ContainerHealthcheck {
  readonly tests: readonly string[];
  readonly interval: string;
  readonly timeout: string;
  readonly retries: number;
  readonly startPeriod: string;
  readonly startInterval: string;
}
export interface ContainerEnv {
  readonly name: string;
  readonly value: string;
  /** Holds key material or a token. */
  readonly secret: boolean;
}
export interface ContainerUpload {
  /** Absolute path in the container. */
  readonly file: string;
  readonly content: string;
  readonly permissions: string;
  /** Node files carry the Docker provider's executable bit (0755 scripts); the load balancers' configs leave it unset. */
  readonly executable?: boolean;
  readonly secret: boolean;
}

/** One container as the Docker engine is asked to create it (field names as the Docker provider's). */
export interface ContainerSpec {
  readonly name: string;
  /** Unset: Docker's default (the container id), as kwokctl leaves it. */
  readonly hostname?: string;
  readonly image: string;
  readonly entrypoints?: readonly string[];
  readonly command?: readonly string[];
  readonly privileged?: boolean;
  readonly securityOpts?: readonly string[];
  readonly readOnly?: boolean;
  readonly tmpfs?: Readonly<Record<string, string>>;
  /**
   * Volumes before the host-dependent ones: on btrfs/zfs/devicemapper storage `/dev/mapper` is added, and under
   * userns-remap or rootless Docker `--userns=host` and `/dev/fuse`, as kind derives them from `docker info` when
   * the program runs (Kind and K3s nodes).
   */
  readonly volumes?: readonly ContainerVolume[];
  readonly sysctls?: Readonly<Record<string, string>>;
  readonly cgroupnsMode?: string;
  readonly init?: boolean;
  readonly tty?: boolean;
  readonly restart: string;
  readonly maxRetryCount?: number;
  readonly envs?: readonly ContainerEnv[];
  readonly cpus?: string;
  readonly memory?: number;
  readonly labels: readonly ContainerLabel[];
  /** The cluster network and the container's static address on it (unset: Docker assigns one, as compose does). */
  readonly network: { readonly name: string; readonly ipv4Address?: string; readonly aliases?: readonly string[] };
  readonly ports?: readonly ContainerPort[];
  readonly healthcheck?: ContainerHealthcheck;
  /** The container is created once this healthcheck passes (Kind nodes, K3s servers). */
  readonly waitHealthy?: boolean;
  /** Files copied in before the container starts. */
  readonly uploads?: readonly ContainerUpload[];
  /** Whether kind's host-dependent flags apply (Kind and K3s nodes). */
  readonly hostDependent?: boolean;
}

/** Labels on every container the component creates, so tools can select a cluster's containers. */
export function commonLabels(plan: DockerClusterPlan, role: string): ContainerLabel[] {
  return [
    { label: "ksail.io/cluster", value: plan.clusterName },
    { label: "ksail.io/distribution", value: plan.distribution },
    { label: "ksail.io/role", value: role },
  ];
}

function nodeLabels(plan: DockerClusterPlan, node: DockerNodePlan): ContainerLabel[] {
  const labels = commonLabels(plan, node.role);
  if (plan.distribution === "Talos") {
    // talosctl's labels, which KSail and talosctl select Talos nodes by.
    labels.push(
      { label: "talos.owned", value: "true" },
      { label: "talos.cluster.name", value: plan.clusterName },
      { label: "talos.type", value: talosRole(node.role) },
    );
  }
  if (plan.distribution === "Vanilla") {
    // cloud-provider-kind (the Vanilla LoadBalancer) finds nodes by kind's labels and `kind://` provider IDs.
    labels.push({ label: "io.x-k8s.kind.cluster", value: plan.clusterName }, { label: "io.x-k8s.kind.role", value: node.role });
  }
  return labels;
}

export function isFirstControlPlane(node: DockerNodePlan): boolean {
  return node.role === "control-plane" && node.index === 1;
}

/** Published ports of a node: the API (and Talos apid) on 127.0.0.1 (or the plan's API address) on the first control plane, plus extras. */
function nodePorts(plan: DockerClusterPlan, node: DockerNodePlan): ContainerPort[] {
  if (!isFirstControlPlane(node)) return [];
  const ports: ContainerPort[] = [];
  if (plan.distribution === "Talos" && plan.talosApiHostPort !== undefined)
    ports.push({ internal: 50000, external: plan.talosApiHostPort, ip: plan.apiPublishAddress ?? "127.0.0.1", protocol: "tcp" });
  if (!plan.loadBalancer)
    ports.push({ internal: 6443, external: plan.apiHostPort, ip: plan.apiPublishAddress ?? "127.0.0.1", protocol: "tcp" });
  for (const p of plan.extraPorts) ports.push({ internal: p.containerPort, external: p.hostPort, ip: "0.0.0.0", protocol: p.protocol });
  return ports;
}

const nodeUpload = (f: NodeFile): ContainerUpload => ({
  file: f.path,
  content: f.content,
  permissions: f.permissions,
  executable: f.permissions === "0755",
  secret: f.secret,
});

const onNetwork = (plan: DockerClusterPlan, ip: string) => ({ name: plan.network.name, ipv4Address: ip });

const PLACEHOLDER_PAIR = { cert: "", key: "" };
/** Shape-only stand-ins (never uploaded). */
export const KUBEADM_PLACEHOLDER: KubeadmPki = {
  ca: PLACEHOLDER_PAIR,
  frontProxyCa: PLACEHOLDER_PAIR,
  etcdCa: PLACEHOLDER_PAIR,
  serviceAccount: { key: "", pub: "" },
  bootstrapToken: "aaaaaa.aaaaaaaaaaaaaaaa",
  caCertHash: `sha256:${"0".repeat(64)}`,
};
export const K3S_PLACEHOLDER: K3sPki = {
  serverCa: PLACEHOLDER_PAIR,
  clientCa: PLACEHOLDER_PAIR,
  requestHeaderCa: PLACEHOLDER_PAIR,
  etcdServerCa: PLACEHOLDER_PAIR,
  etcdPeerCa: PLACEHOLDER_PAIR,
  serviceKey: "",
  token: "",
};
/** Stand-in machine config of a Talos node's spec shape. */
export const TALOS_CONFIG_PLACEHOLDER = "";

// ---------------------------------------------------------------------------------------------- Talos

/**
 * A Talos node shaped as `talosctl cluster create docker` makes it. USERDATA is only read on the first boot (STATE
 * wins afterwards), so later config changes go through TalosMachine, not the container.
 */
export function talosNodeSpec(plan: DockerClusterPlan, node: DockerNodePlan, machineConfig: string): ContainerSpec {
  const { cpus, memoryMiB } = plan.resources;
  return {
    name: node.name,
    hostname: node.name,
    image: plan.image,
    privileged: true,
    securityOpts: ["seccomp=unconfined"],
    readOnly: true,
    tmpfs: { "/run": "rw", "/system": "rw", "/tmp": "rw" },
    volumes: ["/var", "/system/state", "/etc/cni", "/etc/kubernetes", "/usr/libexec/kubernetes", "/opt"].map((containerPath) => ({
      containerPath,
    })),
    sysctls: { "net.ipv6.conf.all.disable_ipv6": "0" },
    envs: [
      { name: "PLATFORM", value: "container", secret: false },
      { name: "TALOSSKU", value: `${cpus}CPU-${memoryMiB}RAM`, secret: false },
      { name: "USERDATA", value: Buffer.from(machineConfig, "utf8").toString("base64"), secret: true },
    ],
    cpus: String(cpus),
    memory: memoryMiB,
    labels: nodeLabels(plan, node),
    network: onNetwork(plan, node.ip),
    ports: nodePorts(plan, node),
    // talosctl sets no restart policy, so its nodes stay down after a host reboot and Pulumi restarts them only
    // on refresh. Like k3d's nodes, they come back with the Docker daemon unless someone stopped them on purpose.
    restart: "unless-stopped",
  };
}

// ---------------------------------------------------------------------------------------------- Kind

/** Cluster-wide facts of a Kind plan for the renderers. */
export function kindFacts(
  plan: DockerClusterPlan,
  opts: { tokenTtl?: string; apiServerExtraArgs?: Readonly<Record<string, string>> } = {},
): KindClusterFacts {
  const cps = controlPlanes(plan);
  const endpointHost = plan.loadBalancer ? plan.loadBalancer.name : cps[0].name;
  return {
    clusterName: plan.clusterName,
    kubernetesVersion: plan.kubernetesVersion,
    controlPlaneEndpoint: `${endpointHost}:6443`,
    certSANs: [endpointHost, ...cps.map((c) => c.name)],
    podSubnet: plan.podSubnet,
    serviceSubnet: plan.serviceSubnet,
    schedulableControlPlanes: plan.nodes.every((n) => n.role === "control-plane"),
    ...(plan.imageVerification ? { imageVerification: true } : {}),
    tokenTtl: opts.tokenTtl,
    apiServerExtraArgs: plan.apiServerArgs || opts.apiServerExtraArgs ? { ...plan.apiServerArgs, ...opts.apiServerExtraArgs } : undefined,
    registries: kindRegistries(plan.mirrors, plan.localRegistry),
  };
}

/** Healthcheck used with `wait`: healthy once the node's bootstrap finished. Long start period: init takes minutes. */
export const KIND_HEALTH: ContainerHealthcheck = {
  tests: [...KIND_HEALTHCHECK],
  interval: "10s",
  timeout: "5s",
  retries: 3,
  startPeriod: "20m",
  startInterval: "3s",
};

/** A Kind node container with the flags kind v0.32.0 uses and its bootstrap uploaded before start. */
export function kindNodeSpec(plan: DockerClusterPlan, facts: KindClusterFacts, node: DockerNodePlan, pki: KubeadmPki): ContainerSpec {
  const n = { name: node.name, ip: node.ip, role: node.role, init: isFirstControlPlane(node) };
  return {
    name: node.name,
    hostname: node.name,
    image: plan.image,
    privileged: true,
    securityOpts: ["seccomp=unconfined", "apparmor=unconfined"],
    tmpfs: { "/tmp": "", "/run": "" },
    volumes: [{ containerPath: "/var" }, { hostPath: "/lib/modules", containerPath: "/lib/modules", readOnly: true }],
    hostDependent: true,
    cgroupnsMode: "private",
    init: false,
    tty: true,
    restart: "on-failure",
    maxRetryCount: 1,
    envs: node.role === "control-plane" ? [{ name: "KUBECONFIG", value: "/etc/kubernetes/admin.conf", secret: false }] : [],
    labels: nodeLabels(plan, node),
    network: onNetwork(plan, node.ip),
    ports: nodePorts(plan, node),
    uploads: kindNodeFiles(facts, n, pki).map(nodeUpload),
    healthcheck: KIND_HEALTH,
    waitHealthy: true,
  };
}

/** The envoy load balancer in front of several Kind control planes; publishes the API on 127.0.0.1. */
export function kindLoadBalancerSpec(plan: DockerClusterPlan): ContainerSpec {
  const lb = plan.loadBalancer;
  if (!lb) throw new Error("internal: kindLoadBalancerSpec without a load balancer in the plan");
  return {
    name: lb.name,
    hostname: lb.name,
    image: lb.image,
    command: [...ENVOY_COMMAND],
    restart: "on-failure",
    maxRetryCount: 1,
    labels: [
      ...commonLabels(plan, "external-load-balancer"),
      { label: "io.x-k8s.kind.cluster", value: plan.clusterName },
      { label: "io.x-k8s.kind.role", value: "external-load-balancer" },
    ],
    network: onNetwork(plan, lb.ip),
    ports: [{ internal: 6443, external: plan.apiHostPort, ip: plan.apiPublishAddress ?? "127.0.0.1", protocol: "tcp" }],
    uploads: [
      {
        file: ENVOY_CONFIG_PATH,
        content: renderEnvoyConfig({ clusterName: plan.clusterName, name: lb.name, controlPlanes: controlPlanes(plan).map((c) => c.name) }),
        permissions: "0644",
        secret: false,
      },
    ],
  };
}

// ---------------------------------------------------------------------------------------------- K3s

/** Cluster-wide facts of a K3s plan for the renderers. */
export function k3sFacts(plan: DockerClusterPlan): K3sClusterFacts {
  const cps = controlPlanes(plan);
  return {
    cni: plan.addons.cni,
    loadBalancer: plan.addons.loadBalancer,
    podSubnet: plan.podSubnet,
    serviceSubnet: plan.serviceSubnet,
    servers: cps.length,
    firstServer: cps[0].name,
    tlsSans: cps.map((c) => c.name),
    ...(plan.loadBalancer ? { serverLoadBalancer: plan.loadBalancer.name } : {}),
    apiServerArgs: plan.apiServerArgs,
    ...(plan.k3sExtraArgs ? { extraArgs: plan.k3sExtraArgs } : {}),
  };
}

/** Server healthcheck: the API answers /readyz. */
export const K3S_SERVER_HEALTH: ContainerHealthcheck = {
  tests: ["CMD", "k3s", "kubectl", "get", "--raw", "/readyz"],
  interval: "10s",
  timeout: "5s",
  retries: 3,
  startPeriod: "10m",
  startInterval: "3s",
};

/** The named volume holding a K3s node's state. */
export const k3sDataVolumeName = (node: DockerNodePlan) => `${node.name}-k3s-data`;

/**
 * A k3s server or agent run as PID 1 (`init: false`, so k3s does its own cgroup v2 evacuation), state in a named
 * volume, the CA set on the first server only, the secure token as a secret env.
 */
export function k3sNodeSpec(plan: DockerClusterPlan, facts: K3sClusterFacts, node: DockerNodePlan, pki: K3sPki): ContainerSpec {
  const server = node.role === "control-plane";
  const registries = { mirrors: plan.mirrors, localRegistry: plan.localRegistry };
  return {
    name: node.name,
    hostname: node.name,
    image: plan.image,
    // The wrapper applies k3d's mount and DNS fixes, then execs /bin/k3s with this command.
    entrypoints: [K3S_ENTRYPOINT],
    command: k3sCommand(facts, node),
    privileged: true,
    tmpfs: { "/run": "", "/var/run": "" },
    init: false,
    restart: "unless-stopped",
    envs: k3sEnv(facts, node, pki.token),
    volumes: [{ volumeName: k3sDataVolumeName(node), containerPath: K3S_DATA_DIR }],
    hostDependent: true,
    labels: nodeLabels(plan, node),
    network: onNetwork(plan, node.ip),
    ports: nodePorts(plan, node),
    uploads: k3sNodeFiles(pki, node, registries, plan.network).map(nodeUpload),
    ...(server ? { healthcheck: K3S_SERVER_HEALTH, waitHealthy: true } : {}),
  };
}

/**
 * The server load balancer in front of several K3s servers, as k3d runs it (`<cluster>-serverlb`, k3d's proxy image,
 * its config uploaded before start, restarted with the daemon); publishes the API on 127.0.0.1.
 */
export function k3sLoadBalancerSpec(plan: DockerClusterPlan): ContainerSpec {
  const lb = plan.loadBalancer;
  if (!lb) throw new Error("internal: k3sLoadBalancerSpec without a load balancer in the plan");
  return {
    name: lb.name,
    hostname: lb.name,
    image: lb.image,
    restart: "unless-stopped",
    labels: [...commonLabels(plan, "loadbalancer"), { label: "k3d.role", value: "loadbalancer" }],
    network: onNetwork(plan, lb.ip),
    ports: [{ internal: 6443, external: plan.apiHostPort, ip: plan.apiPublishAddress ?? "127.0.0.1", protocol: "tcp" }],
    uploads: [
      {
        file: K3D_PROXY_CONFIG_PATH,
        content: renderK3dProxyConfig({ servers: controlPlanes(plan).map((c) => c.name) }),
        permissions: "0644",
        secret: false,
      },
    ],
  };
}
