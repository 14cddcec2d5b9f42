import { kindLoadBalancerArgs, k3sLoadBalancerArgs } from "./loadBalancers";
import * as pulumi from "@pulumi/pulumi";
import * as docker from "@pulumi/docker";
import { KsailError } from "../../errors";
import type { K3sPki, KubeadmPki } from "../../pki/types";
import type { DockerHostFacts } from "../../clients/dockerEngine";
import { controlPlanes, workers, type DockerClusterPlan } from "../../plan/docker";
import type { NodeRole } from "../../distributions/roles";
import {
  NETWORK_IGNORE_CHANGES,
  NODE_REPLACE_ON_CHANGES,
  k3sContainerArgs,
  kindContainerArgs,
  networkArgs,
  talosContainerArgs,
} from "./nodes";
import { commonLabels, k3sDataVolumeName, k3sFacts, kindFacts } from "../../plan/dockerContainers";
import { createRegistries, type MirrorCredentials } from "./registry";

/** A node as the component reports it. */
export interface DockerNodeOutput {
  readonly name: string;
  readonly ip: string;
  readonly role: NodeRole;
}

export interface DockerClusterInfraArgs {
  /**
   * The plain plan from `planDockerCluster` (names, static IPs, host ports, image, mirrors, local registry).
   * It decides which resources exist. Node-count and image changes follow the impact table through
   * `recreateTrigger`; adding a worker adds one container and is applied in place for K3s and Talos.
   */
  readonly plan: DockerClusterPlan;
  /**
   * The recreate hash from the impact engine (`recreateTrigger(spec)`), put in `replacementTrigger` of the
   * network, every node and every registry container. A change recreates the cluster.
   */
  readonly recreateTrigger: pulumi.Input<string>;
  /**
   * Talos only: the initial machine config YAML per node name (secret; becomes env `USERDATA`). Read on first
   * boot only: later changes are ignored here (`ignoreChanges: ["envs"]`) and applied through TalosMachine.
   * Note: Pulumi keeps the stored value of an ignored property even when the resource is replaced, so a node
   * re-created by a recreate-class change first boots with its previous USERDATA; TalosMachine (replaced with
   * the node) must then apply the current config. Keep ClusterSecrets stable across such changes.
   * @default required for Talos
   */
  readonly talosMachineConfigs?: Readonly<Record<string, pulumi.Input<string>>>;
  /**
   * Vanilla only: the kubeadm CA set and bootstrap token from ClusterSecrets, uploaded to the nodes. Never
   * changes for the life of the cluster; a change recreates the cluster.
   * @default required for Vanilla
   */
  readonly kubeadmPki?: pulumi.Input<KubeadmPki>;
  /**
   * K3s only: the k3s CA set and secure token from ClusterSecrets (CA files to the first server, token as a
   * secret env). A change recreates the cluster.
   * @default required for K3s
   */
  readonly k3sPki?: pulumi.Input<K3sPki>;
  /**
   * Upstream credentials per mirror host (`docker.io` → {username, password}), set as secret env on that mirror.
   * Recreates that mirror container.
   * @default none (anonymous pulls)
   */
  readonly mirrorCredentials?: Readonly<Record<string, MirrorCredentials>>;
  /**
   * Delete the mirror cache and local registry volumes on destroy. Applied in place. Mirror caches are shared
   * by every cluster on the host (`ksail-mirror-<host>`): Docker refuses to delete one another cluster's mirror
   * still uses, so set this only when this cluster is the last user.
   * @default false (kept, so a recreated cluster reuses its cache)
   */
  readonly deleteRegistryVolumes?: boolean;
  /**
   * Kind only: lifetime of the pre-shared bootstrap token. Recreates the cluster.
   * @default "0s" (never expires, so workers can join at any later time)
   */
  readonly kindTokenTtl?: string;
  /**
   * Extra kube-apiserver arguments (Kind; e.g. OIDC). Recreates the cluster.
   * @default none
   */
  readonly apiServerExtraArgs?: Readonly<Record<string, string>>;
  /**
   * Kind and K3s only: host-dependent node flags from the Docker host (`dockerInfo` + `hostFacts` of the Engine the
   * docker provider uses): `/dev/mapper` on btrfs/zfs/devicemapper storage, `--userns=host` under userns-remap,
   * `/dev/fuse` on rootless Docker, as kind adds them. A change replaces the nodes (Kind: recreates the cluster).
   * @default none of them
   */
  readonly hostFacts?: pulumi.Input<DockerHostFacts | undefined>;
  /**
   * How long `pulumi up` waits for each Kind node or K3s server to report healthy (bootstrap finished). Applied in place.
   * @default 1200
   */
  readonly waitTimeoutSeconds?: number;
}

/**
 * Docker infrastructure of one local cluster: the network, node containers (Talos, K3s or Kind node images, no
 * kind/k3d/talosctl), the Kind API load balancer, the local registry and pull-through mirrors.
 *
 * @example
 * ```ts
 * const plan = planDockerCluster({ distribution: "K3s", clusterName: "dev", controlPlanes: 1, workers: 2 });
 * const infra = new DockerClusterInfra("dev", { plan, recreateTrigger: recreateTrigger(spec), k3sPki: secrets.k3s });
 * export const endpoint = infra.apiEndpoint; // https://127.0.0.1:<port>
 * ```
 */
export class DockerClusterInfra extends pulumi.ComponentResource {
  /** The cluster network. */
  readonly network: docker.Network;
  /** Node containers by node name (TalosMachine and readiness resources depend on these). */
  readonly nodeContainers: Readonly<Record<string, docker.Container>>;
  /** Nodes with name, static IP and role. */
  readonly nodes: pulumi.Output<DockerNodeOutput[]>;
  readonly networkName: pulumi.Output<string>;
  /** `https://127.0.0.1:<port>`: the kubeconfig server, stable across restarts. */
  readonly apiEndpoint: pulumi.Output<string>;
  /** `127.0.0.1:<port>` of the first control plane's apid (Talos only). */
  readonly talosEndpoint: pulumi.Output<string | undefined>;
  /** Registry endpoints: local registry on the host and in the network, mirrors by host. */
  readonly registryEndpoints: pulumi.Output<{
    local?: { host: string; inNetwork: string };
    mirrors: Record<string, string>;
  }>;

  constructor(name: string, args: DockerClusterInfraArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ksail:providers:DockerClusterInfra", name, {}, opts);
    const { plan, recreateTrigger } = args;
    validate(args);
    const wait = args.waitTimeoutSeconds ?? 1200;

    this.network = new docker.Network(`${name}-network`, networkArgs(plan), {
      parent: this,
      replacementTrigger: recreateTrigger,
      deleteBeforeReplace: true,
      ignoreChanges: [...NETWORK_IGNORE_CHANGES],
    });
    const networkName = this.network.name;
    const registries = createRegistries(
      name,
      {
        plan,
        networkName,
        recreateTrigger,
        mirrorCredentials: args.mirrorCredentials,
        deleteVolumes: args.deleteRegistryVolumes,
      },
      this,
    );

    const nodeOpts = (dependsOn: pulumi.Resource[], extra: pulumi.CustomResourceOptions = {}): pulumi.CustomResourceOptions => ({
      parent: this,
      replacementTrigger: recreateTrigger,
      deleteBeforeReplace: true,
      replaceOnChanges: [...NODE_REPLACE_ON_CHANGES],
      dependsOn: [...registries.all, ...dependsOn],
      ...extra,
    });
    const suffix = (nodeName: string) => nodeName.slice(plan.clusterName.length + 1);
    const containers: Record<string, docker.Container> = {};

    if (plan.distribution === "Talos") {
      for (const node of plan.nodes) {
        containers[node.name] = new docker.Container(
          `${name}-${suffix(node.name)}`,
          talosContainerArgs(plan, node, networkName, args.talosMachineConfigs![node.name]),
          nodeOpts([], { ignoreChanges: ["envs"] }),
        );
      }
    } else if (plan.distribution === "Vanilla") {
      const facts = kindFacts(plan, {
        tokenTtl: args.kindTokenTtl,
        apiServerExtraArgs: args.apiServerExtraArgs,
      });
      const pki = args.kubeadmPki!;
      const lb = plan.loadBalancer
        ? new docker.Container(`${name}-external-load-balancer`, kindLoadBalancerArgs(plan, networkName), nodeOpts([]))
        : undefined;
      // Control planes join one at a time: each waits (healthcheck + wait) for the previous one.
      let previous: docker.Container | undefined = lb;
      for (const node of controlPlanes(plan)) {
        previous = containers[node.name] = new docker.Container(
          `${name}-${suffix(node.name)}`,
          kindContainerArgs(plan, facts, node, networkName, pki, wait, args.hostFacts),
          nodeOpts(previous ? [previous] : []),
        );
      }
      // Workers join after every control plane, in parallel.
      for (const node of workers(plan)) {
        containers[node.name] = new docker.Container(
          `${name}-${suffix(node.name)}`,
          kindContainerArgs(plan, facts, node, networkName, pki, wait, args.hostFacts),
          nodeOpts(previous ? [previous] : []),
        );
      }
    } else {
      const facts = k3sFacts(plan);
      const pki = args.k3sPki!;
      const cps = controlPlanes(plan);
      // HA: the server load balancer publishes the API and is where agents join. It starts after the first server:
      // the API host port moves from that server to it, so on an upgrade the old server must be gone first.
      let lb: docker.Container | undefined;
      let previous: docker.Container | undefined;
      let first: docker.Container | undefined;
      for (const node of [...cps, ...workers(plan)]) {
        const volume = new docker.Volume(
          `${name}-${suffix(node.name)}-data`,
          { name: k3sDataVolumeName(node), labels: commonLabels(plan, node.role) },
          { parent: this, replacementTrigger: recreateTrigger, deleteBeforeReplace: true },
        );
        // Servers join one at a time after the previous is healthy; agents only need the first server.
        const after = node.role === "control-plane" ? previous : first;
        const c = new docker.Container(
          `${name}-${suffix(node.name)}`,
          k3sContainerArgs(plan, facts, node, networkName, pki, volume.name, wait, args.hostFacts),
          nodeOpts([...(after ? [after] : []), ...(node.role === "worker" && lb ? [lb] : [])]),
        );
        containers[node.name] = c;
        if (node.role === "control-plane") previous = c;
        if (!first) {
          first = c;
          if (plan.loadBalancer) lb = new docker.Container(`${name}-serverlb`, k3sLoadBalancerArgs(plan, networkName), nodeOpts([c]));
        }
      }
    }

    this.nodeContainers = containers;
    this.networkName = networkName;
    this.nodes = pulumi.output(plan.nodes.map((n) => ({ name: n.name, ip: n.ip, role: n.role })));
    this.apiEndpoint = pulumi.output(`https://127.0.0.1:${plan.apiHostPort}`);
    this.talosEndpoint = pulumi.output(plan.talosApiHostPort === undefined ? undefined : `127.0.0.1:${plan.talosApiHostPort}`);
    this.registryEndpoints = pulumi.output({
      ...(plan.localRegistry
        ? {
            local: {
              host: `127.0.0.1:${plan.localRegistry.hostPort}`,
              inNetwork: `${plan.localRegistry.containerName}:5000`,
            },
          }
        : {}),
      mirrors: Object.fromEntries(plan.mirrors.map((m) => [m.host, m.endpoint])),
    });
    this.registerOutputs({
      nodes: this.nodes,
      networkName: this.networkName,
      apiEndpoint: this.apiEndpoint,
      talosEndpoint: this.talosEndpoint,
      registryEndpoints: this.registryEndpoints,
    });
  }
}

function validate(args: DockerClusterInfraArgs): void {
  const { plan } = args;
  const need = (ok: boolean, path: string, message: string) => (ok ? [] : [{ path, message }]);
  const issues = [
    ...need(
      plan.distribution !== "Talos" || plan.nodes.every((n) => args.talosMachineConfigs?.[n.name] !== undefined),
      "talosMachineConfigs",
      `Talos needs a machine config for every node (${plan.nodes.map((n) => n.name).join(", ")}); missing: ${plan.nodes
        .filter((n) => args.talosMachineConfigs?.[n.name] === undefined)
        .map((n) => n.name)
        .join(", ")}. Pass renderMachineConfigs(...) output keyed by node name`,
    ),
    ...need(plan.distribution !== "Vanilla" || args.kubeadmPki !== undefined, "kubeadmPki", "Vanilla needs kubeadmPki from ClusterSecrets"),
    ...need(plan.distribution !== "K3s" || args.k3sPki !== undefined, "k3sPki", "K3s needs k3sPki from ClusterSecrets"),
  ];
  if (issues.length > 0) throw new KsailError(issues, `DockerClusterInfra "${plan.clusterName}":`);
}
