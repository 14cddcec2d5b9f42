/**
 * The Talos wiring both providers share: one TalosMachine per node and TalosBootstrap on the first control plane.
 * A provider describes its nodes as `MachineTarget`s (where each node's Talos API answers, what the machine waits
 * for, platform specifics) and calls `talosMachines` once; nothing here reaches back into the provider's resources.
 */
import * as pulumi from "@pulumi/pulumi";
import { TalosMachine, type MachineNode, type MachinePlatform } from "../dynamic/talosMachine";
import { TalosBootstrap } from "../dynamic/talosBootstrap";
import { HcloudIsoDetach, type HcloudIsoDetachArgs } from "../dynamic/hcloudIsoDetach";
import type { RenderedMachineConfigs } from "../distributions/talos/render";
import { talosRole, type NodeRole } from "../distributions/roles";
import type { InfraContext } from "./types";

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
  /** The Talos API endpoint the machine dials (`host:port`). */
  readonly endpoint: pulumi.Input<string>;
  /**
   * The node's address when `endpoint` is another node's apid (Docker: every node behind the published port;
   * Hetzner: the private address behind a control plane's apid).
   */
  readonly address?: pulumi.Input<string>;
  /** What the machine waits for (its container or server). */
  readonly dependsOn: pulumi.Resource[];
  /** Installer image (Hetzner): what an upgrade installs. */
  readonly installImage?: string;
  /** The first apply goes to the maintenance-mode API (Hetzner ISO route). */
  readonly maintenance?: boolean;
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
  const node = (endpoint: string, address?: string): MachineNode => ({
    name: t.name,
    role: talosRole(t.role),
    platform: t.platform,
    endpoint,
    ...(address ? { address } : {}),
  });
  if (typeof t.endpoint === "string" && (t.address === undefined || typeof t.address === "string")) return node(t.endpoint, t.address);
  // Addresses that exist only once servers do stay nested Outputs: the machine waits for those resources only, and a
  // preview still knows the node's identity (name, role, platform), so an unknown address never reads as a replacement.
  const nested = { ...node(""), endpoint: t.endpoint, ...(t.address !== undefined ? { address: t.address } : {}) };
  return nested as unknown as pulumi.Input<MachineNode>;
}

/**
 * One TalosMachine per target, in target order. Control planes are chained (etcd quorum: never two at once, in a
 * fixed order); every worker depends on the last control plane (Kubernetes skew: workers change after the control
 * planes) but not on other workers, so creating N workers is one step, not N. Worker reboots and upgrades are
 * still one at a time: TalosMachine's provider runs them under one lock with a health gate. Then each target's
 * ISO detach (ISO route), and TalosBootstrap on the first target (a control plane) once it is installed.
 * Machines and the bootstrap are replaced with the cluster (recreate trigger).
 */
export function talosMachines(
  ctx: InfraContext,
  args: {
    readonly targets: readonly MachineTarget[];
    readonly rendered: pulumi.Output<RenderedMachineConfigs>;
    readonly talosconfig: pulumi.Output<string | undefined>;
  },
): TalosMachines {
  const { name, plan } = ctx;
  const talos = plan.talos!;
  const talosconfig = args.talosconfig.apply((t) => t ?? "");
  const machines: Record<string, TalosMachine> = {};
  let lastControlPlane: TalosMachine | undefined;
  for (const t of args.targets) {
    const previous = lastControlPlane;
    const machine = (machines[t.name] = new TalosMachine(
      `${name}-machine-${t.suffix}`,
      {
        node: machineNode(t),
        talosVersion: talos.version,
        config: args.rendered.apply((r) => r.perNode[t.name]),
        talosconfig,
        ...(t.installImage !== undefined ? { installImage: t.installImage } : {}),
        ...(t.maintenance !== undefined ? { maintenance: t.maintenance } : {}),
      },
      {
        parent: ctx.parent,
        dependsOn: [...t.dependsOn, ...(previous ? [previous] : [])],
        replacementTrigger: plan.recreateTrigger,
        deleteBeforeReplace: true,
      },
    ));
    if (t.role === "control-plane") lastControlPlane = machine;
  }
  const isoDetaches: Record<string, HcloudIsoDetach> = {};
  for (const t of args.targets) {
    if (t.isoDetach)
      isoDetaches[t.name] = new HcloudIsoDetach(t.isoDetach.name, t.isoDetach.args, { ...t.isoDetach.opts, dependsOn: [machines[t.name]] });
  }
  const first = args.targets[0];
  const bootstrap = new TalosBootstrap(
    `${name}-bootstrap`,
    {
      node: pulumi
        .output(machineNode(first))
        .apply((m) => ({ name: m.name, endpoint: m.endpoint, ...(m.address ? { address: m.address } : {}) })),
      talosconfig,
    },
    {
      parent: ctx.parent,
      dependsOn: [isoDetaches[first.name] ?? machines[first.name]],
      replacementTrigger: plan.recreateTrigger,
      deleteBeforeReplace: true,
    },
  );
  return { machines, isoDetaches, bootstrap, ready: [bootstrap, ...Object.values(machines)] };
}
