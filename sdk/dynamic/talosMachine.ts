import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { trampoline } from "./trampoline";
import type { ImpactMarker, MachineNode } from "./talosMachine.plan";

export type { MachineNode, MachinePlatform, MachineRole } from "./talosMachine.plan";

const provider = trampoline(path.join(__dirname, "talosMachine.impl.js"), "handler", ["check", "diff", "create", "update", "delete"]);

export interface TalosMachineArgs {
  /**
   * The node: `{name, role, platform, endpoint, address?, containerName?}`. `endpoint` is the apid to
   * dial (`host[:port]`); set `address` to route through another node's apid (`node` metadata).
   * Recreates the machine when name, role or platform change; endpoint and address are applied in place.
   */
  node: pulumi.Input<MachineNode>;
  /** Talos version the config targets (selects the classifier's rules). Applied in place. */
  talosVersion: pulumi.Input<string>;
  /**
   * The full machine config (multi-document YAML). Wrapped as a secret. A change is classified: Applied in
   * place when it is live (NO_REBOOT); staged and the node reboots when it is reboot-required (Docker: a
   * container restart); recreates the machine when it is immutable (machine type, install disk, identity).
   */
  config: pulumi.Input<string>;
  /** Admin talosconfig YAML (derived from the cluster secrets). Wrapped as a secret. Applied in place. */
  talosconfig: pulumi.Input<string>;
  /**
   * Installer image for hcloud/metal nodes (e.g. `factory.talos.dev/installer/<schematic>:v1.12.1`); ignored
   * on Docker. The node reboots: a change upgrades the node to this image.
   * @default none (no upgrades)
   */
  installImage?: pulumi.Input<string>;
  /**
   * The node boots without a config (Talos ISO on metal/Hetzner): the first apply goes insecurely to the
   * maintenance-mode API. Only used on create.
   * @default false
   */
  maintenance?: boolean;
  /** Reset the node on delete. Only used on delete. @default true on hcloud/metal, false on Docker (the container goes too) */
  resetOnDelete?: boolean;
  /** Wait budgets in seconds. Applied in place. @default {apiSeconds: 600, rebootSeconds: 900} */
  timeouts?: { apiSeconds?: number; rebootSeconds?: number };
}

/**
 * One Talos node's configuration, applied through the Talos API (no talosctl). The preview shows the
 * impact class of a config change: `~ update [diff: ~inPlace]`, `~ update [diff: ~rebootRequired]` or
 * `+- replace [diff: ~recreateRequired]`, and prints the classifier's reasons as a diagnostic.
 *
 * Reboots and upgrades never overlap: the provider runs one disruptive operation at a time (all dynamic
 * resources of a `pulumi up` share one provider process), and each one starts with a health gate and
 * returns only after its node answers the API again and, for a control plane, lists its etcd members —
 * so the next node reboots only once the previous one is healthy and etcd keeps quorum. For a fixed
 * order (control planes first, then workers), also give each machine `dependsOn` the previous one in
 * that chain (this serializes creates too).
 *
 * @example
 * const cp1 = new TalosMachine("dev-cp-1", { node: { name: "dev-controlplane-1", role: "controlplane",
 *   platform: "docker", endpoint: "127.0.0.1:50000" }, talosVersion: "1.12.0", config, talosconfig });
 * const w1 = new TalosMachine("dev-w-1", { ... }, { dependsOn: [cp1] });
 */
export class TalosMachine extends pulumi.dynamic.Resource {
  /** Mode Talos used for the last apply (NO_REBOOT, STAGED, REBOOT…). */
  declare readonly appliedMode: pulumi.Output<string>;
  /** The Talos version tag the node reported after the last change. */
  declare readonly talosVersionReported: pulumi.Output<string>;
  /** What the last create/update did: create, in-place, reboot, upgrade or none. */
  declare readonly lastChange: pulumi.Output<string>;
  /** Impact markers: each changes only with a change of its class (digest + reasons, no values). */
  declare readonly inPlace: pulumi.Output<ImpactMarker>;
  declare readonly rebootRequired: pulumi.Output<ImpactMarker>;
  declare readonly recreateRequired: pulumi.Output<ImpactMarker>;

  constructor(name: string, args: TalosMachineArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      provider,
      name,
      {
        node: args.node,
        talosVersion: args.talosVersion,
        config: pulumi.secret(args.config),
        talosconfig: pulumi.secret(args.talosconfig),
        installImage: args.installImage,
        maintenance: args.maintenance ?? false,
        resetOnDelete: args.resetOnDelete,
        timeouts: args.timeouts,
        appliedMode: undefined,
        talosVersionReported: undefined,
        lastChange: undefined,
        inPlace: undefined,
        rebootRequired: undefined,
        recreateRequired: undefined,
      },
      { ...opts, additionalSecretOutputs: ["config", "talosconfig"] },
      "ksail",
      "TalosMachine",
    );
  }
}
