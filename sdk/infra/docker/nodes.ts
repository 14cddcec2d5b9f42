import * as pulumi from "@pulumi/pulumi";
import type * as docker from "@pulumi/docker";
import type { K3sPki, KubeadmPki } from "../../pki/types";
import type { KindClusterFacts } from "../../distributions/kind";
import type { K3sClusterFacts } from "../../distributions/k3s";
import type { DockerClusterPlan, DockerNodePlan } from "../../plan/docker";
import type { DockerHostFacts } from "../../clients/dockerEngine";
import {
  K3S_PLACEHOLDER,
  KUBEADM_PLACEHOLDER,
  TALOS_CONFIG_PLACEHOLDER,
  commonLabels,
  k3sDataVolumeName,
  k3sNodeSpec,
  kindNodeSpec,
  talosNodeSpec,
  type ContainerSpec,
  type ContainerVolume,
} from "../../plan/dockerContainers";

/**
 * Container arguments for each node kind, from the pure container specs (sdk/plan/dockerContainers.ts) that
 * `render` writes too: what decides the shape (names, flags, mounts, ports, file list) comes from the spec of a
 * shape-only placeholder; file contents and env values that hold key material or tokens are cut from the spec of
 * the real material, inside secret Outputs.
 */

/**
 * Container properties the Docker provider shows as `~ update` but never applies (its Update only renames the
 * container and changes resource limits and the restart policy; everything else needs a new container): any
 * change to them must replace the node instead of silently doing nothing.
 */
export const NODE_REPLACE_ON_CHANGES: readonly string[] = ["tmpfs", "healthcheck", "init", "cpuPeriod", "cpuQuota"];

/**
 * The network's labels are set at create only: the Docker provider replaces a network whose labels change, and
 * they follow the cluster name and distribution, which recreate the cluster anyway.
 */
export const NETWORK_IGNORE_CHANGES: readonly string[] = ["labels"];

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
    // A Talos network also carries talosctl's labels, by which talosctl finds (and reuses or destroys) a cluster's
    // network (siderolabs/talos pkg/provision/providers/docker/network.go). Labels cannot change on a live network,
    // so the network ignores label changes (NETWORK_IGNORE_CHANGES): networks of existing stacks keep theirs instead
    // of being replaced with every node.
    labels: [
      ...commonLabels(plan, "network"),
      ...(plan.distribution === "Talos"
        ? [
            { label: "talos.owned", value: "true" },
            { label: "talos.cluster.name", value: plan.clusterName },
          ]
        : []),
    ],
  };
}

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

export interface ContainerArgsOptions<T> {
  /** The secret material the spec's secret values come from, and the spec of given material. */
  readonly material?: { readonly value: pulumi.Input<T>; readonly spec: (m: T) => ContainerSpec };
  /** Docker host facts (Kind and K3s nodes). */
  readonly host?: pulumi.Input<DockerHostFacts | undefined>;
  /** Seconds to wait for the healthcheck of a spec that waits for it. */
  readonly waitTimeoutSeconds?: number;
  /** Named volumes by their planned name, as the Volume resources' outputs (so the container depends on them). */
  readonly namedVolumes?: Readonly<Record<string, pulumi.Input<string>>>;
  /** Remove the container's anonymous volumes with it (nodes). */
  readonly removeVolumes?: boolean;
}

/** A container spec as Docker provider arguments, on the network resource `networkName`. */
export function containerArgs<T = never>(
  shape: ContainerSpec,
  networkName: pulumi.Input<string>,
  o: ContainerArgsOptions<T> = {},
): docker.ContainerArgs {
  const { network, envs, uploads, volumes, waitHealthy, hostDependent, ...plain } = shape;
  const real = o.material ? pulumi.output(o.material.value).apply((m) => o.material!.spec(m as T)) : undefined;
  const secretOf = (pick: (s: ContainerSpec) => string) => pulumi.secret(real!.apply(pick));
  const vols: docker.types.input.ContainerVolume[] | undefined = volumes?.map((v: ContainerVolume) =>
    v.volumeName !== undefined ? { ...v, volumeName: o.namedVolumes?.[v.volumeName] ?? v.volumeName } : { ...v },
  );
  return {
    ...(plain as Omit<docker.ContainerArgs, "envs" | "uploads" | "volumes">),
    ...(vols ? (hostDependent ? hostDependentArgs(o.host, vols) : { volumes: vols }) : {}),
    ...(envs
      ? {
          envs: envs.map((e, i) =>
            e.secret
              ? secretOf((s) => {
                  const r = s.envs?.[i];
                  if (r?.name !== e.name) throw new Error(`internal: env ${i} of ${shape.name} changed shape`);
                  return `${r.name}=${r.value}`;
                })
              : `${e.name}=${e.value}`,
          ),
        }
      : {}),
    networksAdvanced: [
      { name: networkName, ipv4Address: network.ipv4Address, ...(network.aliases ? { aliases: [...network.aliases] } : {}) },
    ],
    ...(uploads
      ? {
          uploads: uploads.map((f, i) => {
            let content: pulumi.Input<string> = f.content;
            if (real) {
              const cut = real.apply((s) => {
                const r = s.uploads?.[i];
                if (!r || r.file !== f.file) throw new Error(`internal: upload ${i} of ${f.file} changed shape`);
                return r.content;
              });
              content = f.secret ? pulumi.secret(cut) : pulumi.unsecret(cut);
            }
            return {
              file: f.file,
              content,
              permissions: f.permissions,
              ...(f.executable !== undefined ? { executable: f.executable } : {}),
            };
          }),
        }
      : {}),
    ...(waitHealthy ? { wait: true, waitTimeout: o.waitTimeoutSeconds } : {}),
    ...(o.removeVolumes ? { removeVolumes: true } : {}),
    mustRun: true,
  };
}

/** A Talos node (talosctl's shape); the machine config reaches it as USERDATA, read on the first boot only. */
export function talosContainerArgs(
  plan: DockerClusterPlan,
  node: DockerNodePlan,
  networkName: pulumi.Input<string>,
  machineConfig: pulumi.Input<string>,
): docker.ContainerArgs {
  return containerArgs(talosNodeSpec(plan, node, TALOS_CONFIG_PLACEHOLDER), networkName, {
    material: { value: machineConfig, spec: (c: string) => talosNodeSpec(plan, node, c) },
    removeVolumes: true,
  });
}

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
  return containerArgs(kindNodeSpec(plan, facts, node, KUBEADM_PLACEHOLDER), networkName, {
    material: { value: pki, spec: (p: KubeadmPki) => kindNodeSpec(plan, facts, node, p) },
    host,
    waitTimeoutSeconds,
    removeVolumes: true,
  });
}

/** A k3s server or agent; its state in the named volume `dataVolume`. */
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
  return containerArgs(k3sNodeSpec(plan, facts, node, K3S_PLACEHOLDER), networkName, {
    material: { value: pki, spec: (p: K3sPki) => k3sNodeSpec(plan, facts, node, p) },
    host,
    waitTimeoutSeconds,
    namedVolumes: { [k3sDataVolumeName(node)]: dataVolume },
    removeVolumes: true,
  });
}
