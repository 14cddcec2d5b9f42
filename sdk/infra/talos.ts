/**
 * The Talos wiring both providers share: one TalosMachine per node and TalosBootstrap on the first control plane.
 * A provider describes its nodes as `MachineTarget`s (where each node's Talos API answers, what the machine waits
 * for, platform specifics) and calls `talosMachines` once; nothing here reaches back into the provider's resources.
 */
import * as pulumi from "@pulumi/pulumi";
import { TalosMachine, type DockerEngineAccess, type MachineNode, type MachinePlatform } from "../dynamic/talosMachine";
import { TalosBootstrap } from "../dynamic/talosBootstrap";
import { HcloudIsoDetach, type HcloudIsoDetachArgs } from "../dynamic/hcloudIsoDetach";
import type { RenderedMachineConfigs } from "../distributions/talos/render";
import { talosRole, type NodeRole } from "../distributions/roles";
import type { InfraContext } from "./types";
import { durationSeconds } from "../plan/components";

/** ISO route: detach the boot ISO once the machine's first apply installed Talos, and reboot into the disk. */
export interface IsoDetachStep {
  /** Child name of the HcloudIsoDetach. */
  readonly name: string;
  readonly args: HcloudIsoDetachArgs;
  /** Its resource options (parent, replacement trigger); it also waits for the node's TalosMachine. */
  readonly opts: pulumi.CustomResourceOptions;
}

/** One node as the Talos wiring needs it. */
export interface MachineTarget {
  /** Node name (hostname). */
  readonly name: string;
  /** Child-name suffix (`control-plane-1`): the machine is `<cluster>-machine-<suffix>`. */
  readonly suffix: string;
  readonly role: NodeRole;
  readonly platform: MachinePlatform;
  /** The Talos API endpoint the machine dials (`host:port`): the node's own apid, or a control plane's. */
  readonly endpoint: pulumi.Input<string>;
  /**
   * The node's address when `endpoint` is another node's apid: apid proxies the call there (`node` metadata). Docker:
   * every node behind the published port; Hetzner: nodes whose apid only listens on the private network.
   */
  readonly address?: pulumi.Input<string>;
  /** More control planes' apid endpoints, tried when `endpoint` does not answer (it reboots). Requires `address`. */
  readonly via?: pulumi.Input<pulumi.Input<string>[]>;
  /** What the machine waits for (its container or server). */
  readonly dependsOn: pulumi.Resource[];
  /** Installer image (Hetzner): what an upgrade installs. */
  readonly installImage?: string;
  /** The first apply goes to the maintenance-mode API (Hetzner ISO route). */
  readonly maintenance?: boolean;
  /** Docker nodes in a Docker-in-Docker pod: the engine where a reboot restarts the container (secret). */
  readonly dockerEngine?: pulumi.Input<DockerEngineAccess>;
  /** Hetzner ISO route: the step that ends the install; TalosBootstrap waits for the first control plane's. */
  readonly isoDetach?: IsoDetachStep;
}

export interface TalosMachines {
  readonly machines: Readonly<Record<string, TalosMachine>>;
  readonly isoDetaches: Readonly<Record<string, HcloudIsoDetach>>;
  readonly bootstrap: TalosBootstrap;
  /** What the first install stage waits for: the bootstrap and every machine. */
  readonly ready: pulumi.Resource[];
}

function machineNode(t: MachineTarget): pulumi.Input<MachineNode> {
  const node = (endpoint: string, address?: string, via?: string[]): MachineNode => ({
    name: t.name,
    role: talosRole(t.role),
    platform: t.platform,
    endpoint,
    ...(address ? { address } : {}),
    ...(via && via.length > 0 ? { via } : {}),
  });
  if (typeof t.endpoint === "string" && (t.address === undefined || typeof t.address === "string") && t.via === undefined)
    return node(t.endpoint, t.address as string | undefined);
  // Addresses that exist only once servers do stay nested Outputs: the machine waits for those resources only, and a
  // preview still knows the node's identity (name, role, platform), so an unknown address never reads as a replacement.
  const nested = {
    ...node(""),
    endpoint: t.endpoint,
    ...(t.address !== undefined ? { address: t.address } : {}),
    ...(t.via !== undefined ? { via: t.via } : {}),
  };
  return nested as unknown as pulumi.Input<MachineNode>;
}

/**
 * One TalosMachine per target, created in parallel: etcd forms only when TalosBootstrap runs, so nothing orders the
 * creates (a Hetzner ISO install takes minutes per node; chaining them made the cluster wait for every node in turn).
 * Changes to running nodes are ordered by TalosMachine's provider instead: one node at a time per cluster, control
 * planes first, each between health gates, stopping at the first failure. Then each target's ISO detach (ISO route),
 * and TalosBootstrap on the first target (a control plane) once it is installed and the other control planes are
 * configured (it asks them whether etcd already runs before bootstrapping). Machines and the bootstrap are replaced
 * with the cluster (recreate trigger).
 */
export function talosMachines(
  ctx: InfraContext,
  args: {
    readonly targets: readonly MachineTarget[];
    readonly rendered: pulumi.Output<RenderedMachineConfigs>;
    readonly talosconfig: pulumi.Output<string | undefined>;
    /** The admin kubeconfig: drains and Node Ready gates around disruptive steps, and the bootstrap's API-server wait. */
    readonly kubeconfig?: pulumi.Output<string>;
  },
): TalosMachines {
  const { name, plan } = ctx;
  const talos = plan.talos!;
  const talosconfig = args.talosconfig.apply((t) => t ?? "");
  const controlPlanes = args.targets.filter((t) => t.role === "control-plane").length;
  const drainSeconds = durationSeconds(plan.effective.cluster.talos.drainTimeout || "10m");
  const machines: Record<string, TalosMachine> = {};
  for (const t of args.targets) {
    machines[t.name] = new TalosMachine(
      `${name}-machine-${t.suffix}`,
      {
        node: machineNode(t),
        talosVersion: talos.version,
        config: args.rendered.apply((r) => r.perNode[t.name]),
        talosconfig,
        ...(args.kubeconfig ? { kubeconfig: args.kubeconfig } : {}),
        controlPlanes,
        ...(drainSeconds !== undefined ? { timeouts: { drainSeconds } } : {}),
        ...(t.installImage !== undefined ? { installImage: t.installImage } : {}),
        ...(t.maintenance !== undefined ? { maintenance: t.maintenance } : {}),
        ...(t.dockerEngine !== undefined ? { dockerEngine: t.dockerEngine } : {}),
      },
      {
        parent: ctx.parent,
        dependsOn: [...t.dependsOn],
        replacementTrigger: plan.recreateTrigger,
        deleteBeforeReplace: true,
      },
    );
  }
  const isoDetaches: Record<string, HcloudIsoDetach> = {};
  for (const t of args.targets) {
    if (t.isoDetach)
      isoDetaches[t.name] = new HcloudIsoDetach(t.isoDetach.name, t.isoDetach.args, { ...t.isoDetach.opts, dependsOn: [machines[t.name]] });
  }
  const first = args.targets[0];
  const otherControlPlanes = args.targets.filter((t) => t !== first && t.role === "control-plane");
  const peers = otherControlPlanes.filter((t) => t.address !== undefined).map((t) => t.address as pulumi.Input<string>);
  const bootstrap = new TalosBootstrap(
    `${name}-bootstrap`,
    {
      node: pulumi.output(machineNode(first)).apply((m) => ({
        name: m.name,
        endpoint: m.endpoint,
        ...(m.address ? { address: m.address } : {}),
        ...(m.via ? { via: [...m.via] } : {}),
      })),
      ...(peers.length > 0 ? { peers } : {}),
      talosconfig,
      ...(args.kubeconfig ? { kubeconfig: args.kubeconfig } : {}),
    },
    {
      parent: ctx.parent,
      dependsOn: [
        isoDetaches[first.name] ?? machines[first.name],
        ...otherControlPlanes.map((t) => isoDetaches[t.name] ?? machines[t.name]),
      ],
      replacementTrigger: plan.recreateTrigger,
      deleteBeforeReplace: true,
    },
  );
  return { machines, isoDetaches, bootstrap, ready: [bootstrap, ...Object.values(machines)] };
}
