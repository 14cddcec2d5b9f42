import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { trampoline } from "./trampoline";
import type { NodeRole } from "../distributions/roles";

const provider = trampoline(path.join(__dirname, "hcloudServerType.impl.js"), "handler", [
  "configure",
  "check",
  "diff",
  "create",
  "read",
  "update",
  "delete",
]);

export interface HcloudServerTypeArgs {
  /** Id of the hcloud.Server. Replaces this resource when the server was replaced (it then checks the new server). */
  serverId: pulumi.Input<string>;
  /** Server name, for messages. Applied in place. */
  serverName: pulumi.Input<string>;
  /**
   * The cluster's name. Changes that power servers off run one at a time per cluster in the provider (control
   * planes first, stopping at the first failure); with a `health` gate the queue is the one TalosMachine's reboots
   * of the same cluster use. Applied in place.
   * @default each server on its own
   */
  cluster?: pulumi.Input<string>;
  /** `control-plane` or `worker`. Applied in place. */
  role: pulumi.Input<NodeRole>;
  /** Desired server type, e.g. `cx33`. Nodes reboot: shut down, change type keeping the disk, power on. */
  serverType: pulumi.Input<string>;
  /**
   * Whether the server has a public IPv4. Nodes reboot, one at a time: a change powers the server off (ACPI
   * shutdown), adds a primary IPv4 (deleted with the server) or removes it, and powers it on again.
   * @default not managed
   */
  publicIPv4?: pulumi.Input<boolean>;
  /**
   * Whether the server has a public IPv6. Nodes reboot, one at a time: a change powers the server off (ACPI
   * shutdown), adds a primary IPv6 (deleted with the server) or removes it, and powers it on again.
   * @default not managed
   */
  publicIPv6?: pulumi.Input<boolean>;
  /**
   * Environment variable holding the API token when `hcloud:token` is not in the stack config. Only the
   * name is stored. Applied in place.
   * @default "HCLOUD_TOKEN"
   */
  tokenEnvVar?: pulumi.Input<string>;
  /**
   * Talos health gate run before the shutdown and after the power-on (`etcd` on control planes): the next
   * node's change in the cluster's queue starts only after this node is healthy again.
   * The talosconfig is wrapped as a secret. Applied in place.
   * @default no gate (the power-on action finishing is the end of the step)
   */
  health?: pulumi.Input<{
    endpoint: pulumi.Input<string>;
    node?: pulumi.Input<string>;
    talosconfig: pulumi.Input<string>;
    etcd?: pulumi.Input<boolean>;
  }>;
  /** Budgets in seconds. Applied in place. @default {shutdownSeconds: 300, actionSeconds: 900, healthSeconds: 900} */
  timeouts?: { shutdownSeconds?: number; actionSeconds?: number; healthSeconds?: number };
}

/**
 * Keeps one server's type and public network equal to the plan, changing them in place (ACPI shutdown so
 * Talos drains the node, `change_type` with `upgrade_disk: false` so the type can go back down, primary IPs
 * added or removed, power on), through the Hetzner API with the token read at run time. The hcloud.Server
 * carries `ignoreChanges: ["serverType", "publicNets"]`; the provider runs such changes of one cluster through
 * its one-at-a-time queue, control planes first, each behind a health gate, stopping at the first failure
 * (impact table: reboot-required). A step with nothing to change is one read, so creates run side by side.
 *
 * A new type is checked against Hetzner's server types before anything is touched (it exists, is not deprecated,
 * is offered in the server's location, has the server's architecture and storage and a disk at least as large as
 * the server's); a change that fails after the power-off powers the server on again and reports the failure; a
 * retry powers on a server an earlier run left off. A refresh records what the server really runs (another type,
 * stopped, other public addresses) as `drift`, which the next update repairs.
 */
export class HcloudServerType extends pulumi.dynamic.Resource {
  /** The type the server had after the last create/update. */
  declare readonly appliedType: pulumi.Output<string>;

  constructor(name: string, args: HcloudServerTypeArgs, opts?: pulumi.CustomResourceOptions) {
    const health = args.health === undefined ? undefined : pulumi.secret(args.health);
    super(
      provider,
      name,
      { ...args, tokenEnvVar: args.tokenEnvVar ?? "HCLOUD_TOKEN", health, appliedType: undefined },
      { ...opts, additionalSecretOutputs: ["health"] },
      "ksail",
      "HcloudServerType",
    );
  }
}
