/**
 * Shared pieces of KSailCluster's provider wiring (infra/docker/cluster.ts, infra/hetzner/cluster.ts): what a provider
 * layer hands back to the component, and the Talos bootstrap both providers build the same way.
 */
import * as pulumi from "@pulumi/pulumi";
import type { ClusterSecrets } from "../dynamic/clusterSecrets";
import { TalosMachine, type MachineNode } from "../dynamic/talosMachine";
import { TalosBootstrap } from "../dynamic/talosBootstrap";
import type { InstallInputs } from "../components/phases";
import type { RenderedMachineConfigs } from "../distributions/talos/render";
import type { ClusterPlan, NodeRole } from "../plan/cluster";

/** A node as the cluster reports it. */
export interface KSailClusterNode {
  readonly name: string;
  readonly role: NodeRole;
  /** Docker: the static address on the cluster network. Hetzner: the public address (what the Talos API dials). */
  readonly address: string;
  /** Hetzner: the address in the private network. */
  readonly privateAddress?: string;
}

/** What a provider layer creates for KSailCluster. */
export interface ClusterInfra {
  readonly secrets: ClusterSecrets;
  /** Kubernetes API URL of the kubeconfig. */
  readonly endpoint: pulumi.Output<string>;
  readonly nodes: pulumi.Output<KSailClusterNode[]>;
  /** Talos only: rendered machine configs (secret). */
  readonly rendered?: pulumi.Output<RenderedMachineConfigs>;
  /** What the first install stage waits for (bootstrap and machines, or the node containers). */
  readonly ready: pulumi.Resource[];
  /** Provider-specific installer inputs (network names, tokens, autoscaler). */
  readonly install: Partial<InstallInputs>;
}

/** What every provider layer gets from the component. */
export interface InfraContext {
  /** Resource name of the KSailCluster (children are `<name>-<suffix>`). */
  readonly name: string;
  readonly parent: pulumi.Resource;
  readonly plan: ClusterPlan;
  readonly protect: boolean;
}

/**
 * One TalosMachine per node. Control planes are chained in plan order (etcd quorum: never two at once, in a
 * fixed order); every worker depends on the last control plane (Kubernetes skew: workers change after the
 * control planes) but not on other workers, so creating N workers is one step, not N. Worker reboots and
 * upgrades are still one at a time: TalosMachine's provider runs them under one lock with a health gate.
 * Then TalosBootstrap on the first control plane after `bootstrapAfter` (default: the first machine).
 * Everything is replaced with the cluster (recreate trigger).
 */
export function talosBootstrap(
  ctx: InfraContext,
  args: {
    rendered: pulumi.Output<RenderedMachineConfigs>;
    talosconfig: pulumi.Output<string | undefined>;
    node: (name: string) => pulumi.Input<MachineNode>;
    after: (name: string) => pulumi.Resource[];
    platformExtras?: { installImage?: string; maintenance?: boolean };
    bootstrapAfter?: (machines: Record<string, TalosMachine>) => pulumi.Resource[];
  },
): { machines: Record<string, TalosMachine>; bootstrap: TalosBootstrap } {
  const { name, plan } = ctx;
  const talos = plan.talos!;
  const talosconfig = args.talosconfig.apply((t) => t ?? "");
  const machines: Record<string, TalosMachine> = {};
  let lastControlPlane: TalosMachine | undefined;
  for (const n of plan.nodes) {
    const previous = lastControlPlane;
    const machine = (machines[n.name] = new TalosMachine(
      `${name}-machine-${n.suffix}`,
      {
        node: args.node(n.name),
        talosVersion: talos.version,
        config: args.rendered.apply((r) => r.perNode[n.name]),
        talosconfig,
        ...(args.platformExtras ?? {}),
      },
      {
        parent: ctx.parent,
        dependsOn: [...args.after(n.name), ...(previous ? [previous] : [])],
        replacementTrigger: plan.recreateTrigger,
        deleteBeforeReplace: true,
      },
    ));
    if (n.role === "control-plane") lastControlPlane = machine;
  }
  const first = plan.nodes[0].name;
  const firstNode = pulumi.output(args.node(first));
  const bootstrap = new TalosBootstrap(
    `${name}-bootstrap`,
    { node: firstNode.apply((m) => ({ name: m.name, endpoint: m.endpoint, ...(m.address ? { address: m.address } : {}) })), talosconfig },
    {
      parent: ctx.parent,
      dependsOn: args.bootstrapAfter ? args.bootstrapAfter(machines) : [machines[first]],
      replacementTrigger: plan.recreateTrigger,
      deleteBeforeReplace: true,
    },
  );
  return { machines, bootstrap };
}

/** A value ClusterSecrets must have returned (a missing one is a broken state, not a user error). */
export function required<T>(value: T | undefined | null, what: string, cluster: string): T {
  if (value === undefined || value === null)
    throw new Error(`KSailCluster "${cluster}": ClusterSecrets returned no ${what}; run "pulumi refresh" and retry`);
  return value;
}
