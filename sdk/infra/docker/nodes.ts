import * as pulumi from "@pulumi/pulumi";
import type * as docker from "@pulumi/docker";
import type { K3sPki, KubeadmPki } from "../../pki/types";
import { KIND_HEALTHCHECK, kindNodeFiles, kindRegistries, type KindClusterFacts, type NodeFile } from "../../distributions/kind";
import { K3S_DATA_DIR, K3S_ENTRYPOINT, k3sCommand, k3sEnv, k3sNodeFiles, type K3sClusterFacts } from "../../distributions/k3s";
import { controlPlanes, type DockerClusterPlan, type DockerNodePlan } from "../../plan/docker";
import type { DockerHostFacts } from "../../clients/dockerEngine";
import { talosRole } from "../../distributions/roles";

/**
 * Container arguments for each node kind, one function per distribution. Pure apart from wrapping secret
 * material in Outputs: what decides the shape (names, flags, mounts, ports, file list) comes from the plain plan;
 * only file contents and env values that hold key material or tokens flow in as secret Inputs.
 */

/**
 * Container properties the Docker provider shows as `~ update` but never applies (its Update only renames the
 * container and changes resource limits and the restart policy; everything else needs a new container): any
 * change to them must replace the node instead of silently doing nothing.
 */
export const NODE_REPLACE_ON_CHANGES: readonly string[] = ["tmpfs", "healthcheck", "init", "cpuPeriod", "cpuQuota"];

/** Labels on every container the component creates, so tools can select a cluster's containers. */
export function commonLabels(plan: DockerClusterPlan, role: string): docker.types.input.ContainerLabel[] {
  return [
    { label: "ksail.io/cluster", value: plan.clusterName },
    { label: "ksail.io/distribution", value: plan.distribution },
    { label: "ksail.io/role", value: role },
  ];
}

/** The cluster network: a labelled bridge with the plan's subnet, gateway and MTU, masquerading and ICC on. */
export function networkArgs(plan: DockerClusterPlan): docker.NetworkArgs {
  return {
    name: plan.network.name,
    driver: "bridge",
    ipamConfigs: [{ subnet: plan.network.cidr, gateway: plan.network.gateway }],
    options: {
      "com.docker.network.driver.mtu": String(plan.network.mtu),
      "com.docker.network.bridge.enable_ip_masquerade": "true",
      "com.docker.network.bridge.enable_icc": "true",
    },
    // talosctl also labels its networks `talos.owned` / `talos.cluster.name`; not here: network labels cannot change
    // on a live network, so adding them would replace the network (and every node) of existing Talos clusters.
    labels: commonLabels(plan, "network"),
  };
}

function nodeLabels(plan: DockerClusterPlan, node: DockerNodePlan): docker.types.input.ContainerLabel[] {
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

function isFirstControlPlane(node: DockerNodePlan): boolean {
  return node.role === "control-plane" && node.index === 1;
}

/** Published ports of a node: the API (and Talos apid) on 127.0.0.1 on the first control plane, plus extras. */
function nodePorts(plan: DockerClusterPlan, node: DockerNodePlan): docker.types.input.ContainerPort[] {
  if (!isFirstControlPlane(node)) return [];
  const ports: docker.types.input.ContainerPort[] = [];
  if (plan.distribution === "Talos" && plan.talosApiHostPort !== undefined)
    ports.push({ internal: 50000, external: plan.talosApiHostPort, ip: "127.0.0.1", protocol: "tcp" });
  if (!plan.loadBalancer) ports.push({ internal: 6443, external: plan.apiHostPort, ip: "127.0.0.1", protocol: "tcp" });
  for (const p of plan.extraPorts) ports.push({ internal: p.containerPort, external: p.hostPort, ip: "0.0.0.0", protocol: p.protocol });
  return ports;
}

export function network(
  plan: DockerClusterPlan,
  networkName: pulumi.Input<string>,
  ip: string,
): docker.types.input.ContainerNetworksAdvanced[] {
  return [{ name: networkName, ipv4Address: ip }];
}

/**
 * Uploads whose contents come from secret material. The file list (paths, modes) is the plain shape, computed
 * from a structurally valid placeholder; each content is an Output cut from the real rendering, secret only
 * where the file holds keys or tokens, so certificates and scripts stay reviewable in diffs.
 */
export function uploadsFrom<T>(
  material: pulumi.Input<T>,
  render: (m: T) => readonly NodeFile[],
  placeholder: T,
): docker.types.input.ContainerUpload[] {
  const shape = render(placeholder);
  const rendered = pulumi.output(material).apply((m) => render(m as T));
  return shape.map((f, i) => {
    const content = rendered.apply((files) => {
      const r = files[i];
      if (!r || r.path !== f.path) throw new Error(`internal: upload ${i} of ${f.path} changed shape`);
      return r.content;
    });
    return {
      file: f.path,
      content: f.secret ? pulumi.secret(content) : pulumi.unsecret(content),
      permissions: f.permissions,
      executable: f.permissions === "0755",
    };
  });
}

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

/**
 * Host-dependent flags of a Kind or K3s node, as kind derives them from `docker info` (kubernetes-sigs/kind
 * pkg/cluster/internal/providers/docker/provision.go): `/dev/mapper` on btrfs/zfs/devicemapper storage (the kubelet
 * finds its root filesystem), `--userns=host` under userns-remap (Docker refuses privileged containers otherwise),
 * `/dev/fuse` on rootless Docker. Nothing is added when the facts are not given.
 */
export function hostDependentArgs(
  facts: pulumi.Input<DockerHostFacts | undefined> | undefined,
  volumes: docker.types.input.ContainerVolume[],
): Pick<docker.ContainerArgs, "volumes" | "devices" | "usernsMode"> {
  if (facts === undefined) return { volumes };
  const f = pulumi.output(facts);
  // A flag the host does not need stays unset (not `[]` or ""), so a host that needs nothing gives the same
  // containers as before the facts were read: no update, no replacement.
  return {
    volumes: f.apply((h) => [...volumes, ...(h?.devMapper ? [{ hostPath: "/dev/mapper", containerPath: "/dev/mapper" }] : [])]),
    devices: f.apply((h) => (h?.fuse ? [{ hostPath: "/dev/fuse" }] : undefined)) as pulumi.Output<docker.types.input.ContainerDevice[]>,
    usernsMode: f.apply((h) => (h?.usernsHost ? "host" : undefined)) as pulumi.Output<string>,
  };
}

// ---------------------------------------------------------------------------------------------- Talos

/**
 * A Talos node shaped as `talosctl cluster create docker` makes it (siderolabs/talos pkg/provision/providers/docker). USERDATA is only read on
 * the first boot (STATE wins afterwards), so later config changes go through TalosMachine, not the container.
 */
export function talosContainerArgs(
  plan: DockerClusterPlan,
  node: DockerNodePlan,
  networkName: pulumi.Input<string>,
  machineConfig: pulumi.Input<string>,
): docker.ContainerArgs {
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
      "PLATFORM=container",
      `TALOSSKU=${cpus}CPU-${memoryMiB}RAM`,
      pulumi.secret(pulumi.output(machineConfig).apply((c) => `USERDATA=${Buffer.from(c, "utf8").toString("base64")}`)),
    ],
    cpus: String(cpus),
    memory: memoryMiB,
    labels: nodeLabels(plan, node),
    networksAdvanced: network(plan, networkName, node.ip),
    ports: nodePorts(plan, node),
    // talosctl sets no restart policy, so its nodes stay down after a host reboot and Pulumi restarts them only
    // on refresh. Like k3d's nodes, they come back with the Docker daemon unless someone stopped them on purpose.
    restart: "unless-stopped",
    removeVolumes: true,
    mustRun: true,
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
export const KIND_HEALTH: docker.types.input.ContainerHealthcheck = {
  tests: [...KIND_HEALTHCHECK],
  interval: "10s",
  timeout: "5s",
  retries: 3,
  startPeriod: "20m",
  startInterval: "3s",
};

/** A Kind node container with the flags kind v0.32.0 uses and its bootstrap uploaded before start. */
export function kindContainerArgs(
  plan: DockerClusterPlan,
  facts: KindClusterFacts,
  node: DockerNodePlan,
  networkName: pulumi.Input<string>,
  pki: pulumi.Input<KubeadmPki>,
  waitTimeoutSeconds: number,
  host?: pulumi.Input<DockerHostFacts | undefined>,
): docker.ContainerArgs {
  const n = { name: node.name, ip: node.ip, role: node.role, init: isFirstControlPlane(node) };
  return {
    name: node.name,
    hostname: node.name,
    image: plan.image,
    privileged: true,
    securityOpts: ["seccomp=unconfined", "apparmor=unconfined"],
    tmpfs: { "/tmp": "", "/run": "" },
    ...hostDependentArgs(host, [{ containerPath: "/var" }, { hostPath: "/lib/modules", containerPath: "/lib/modules", readOnly: true }]),
    cgroupnsMode: "private",
    init: false,
    tty: true,
    restart: "on-failure",
    maxRetryCount: 1,
    envs: node.role === "control-plane" ? ["KUBECONFIG=/etc/kubernetes/admin.conf"] : [],
    labels: nodeLabels(plan, node),
    networksAdvanced: network(plan, networkName, node.ip),
    ports: nodePorts(plan, node),
    uploads: uploadsFrom(pki, (p) => kindNodeFiles(facts, n, p), KUBEADM_PLACEHOLDER),
    healthcheck: KIND_HEALTH,
    wait: true,
    waitTimeout: waitTimeoutSeconds,
    removeVolumes: true,
    mustRun: true,
  };
}

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
export const K3S_SERVER_HEALTH: docker.types.input.ContainerHealthcheck = {
  tests: ["CMD", "k3s", "kubectl", "get", "--raw", "/readyz"],
  interval: "10s",
  timeout: "5s",
  retries: 3,
  startPeriod: "10m",
  startInterval: "3s",
};

/**
 * A k3s server or agent run as PID 1 (`init: false`, so k3s does its own cgroup v2 evacuation), state in a named
 * volume, the CA set on the first server only, the secure token as a secret env.
 */
export function k3sContainerArgs(
  plan: DockerClusterPlan,
  facts: K3sClusterFacts,
  node: DockerNodePlan,
  networkName: pulumi.Input<string>,
  pki: pulumi.Input<K3sPki>,
  dataVolume: pulumi.Input<string>,
  waitTimeoutSeconds: number,
  host?: pulumi.Input<DockerHostFacts | undefined>,
): docker.ContainerArgs {
  const server = node.role === "control-plane";
  const registries = { mirrors: plan.mirrors, localRegistry: plan.localRegistry };
  const envs: pulumi.Input<string>[] = k3sEnv(facts, node, "").map((e, i) =>
    e.secret
      ? pulumi.secret(pulumi.output(pki).apply((p) => `${e.name}=${k3sEnv(facts, node, p.token)[i].value}`))
      : `${e.name}=${e.value}`,
  );
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
    envs,
    ...hostDependentArgs(host, [{ volumeName: dataVolume, containerPath: K3S_DATA_DIR }]),
    labels: nodeLabels(plan, node),
    networksAdvanced: network(plan, networkName, node.ip),
    ports: nodePorts(plan, node),
    uploads: uploadsFrom(pki, (p) => k3sNodeFiles(p, node, registries, plan.network), K3S_PLACEHOLDER),
    ...(server ? { healthcheck: K3S_SERVER_HEALTH, wait: true, waitTimeout: waitTimeoutSeconds } : {}),
    removeVolumes: true,
    mustRun: true,
  };
}
