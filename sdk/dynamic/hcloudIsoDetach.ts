import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { trampoline } from "./trampoline";

const provider = trampoline(path.join(__dirname, "hcloudIsoDetach.impl.js"), "handler", [
  "configure",
  "check",
  "diff",
  "create",
  "read",
  "update",
  "delete",
]);

export interface HcloudIsoDetachArgs {
  /** Id of the hcloud.Server booted from the Talos ISO. Replaces this resource when the server was replaced (it detaches again). */
  serverId: pulumi.Input<string>;
  /** Server name, for messages. Applied in place. */
  serverName: pulumi.Input<string>;
  /**
   * Reboot after the detach. Not needed when the detach comes before the install (the ISO boots Talos into memory,
   * so the media can go as soon as it has booted, and the install then reboots from the disk); set it when the
   * detach follows an install that still runs from the ISO. A retry that finds the ISO already gone reboots too.
   * Applied in place (only used at create).
   * @default false
   */
  reboot?: pulumi.Input<boolean>;
  /**
   * The node's own Talos API address (`host:50000`, its public IPv4 or IPv6): a TCP connection opening there shows
   * that the server booted the ISO (maintenance mode), so the media can be detached. Applied in place.
   * @default none (only the health gate tells)
   */
  probe?: pulumi.Input<string>;
  /**
   * Talos health gate over mTLS (the node answers; etcd on control planes): an installed node answering it lets a
   * retry detach a leftover ISO, and with `reboot` it gates the reboot, so what depends on this resource sees a
   * healthy node. The talosconfig is wrapped as a secret. Applied in place.
   * @default no gate
   */
  health?: pulumi.Input<{
    endpoint: pulumi.Input<string>;
    node?: pulumi.Input<string>;
    talosconfig: pulumi.Input<string>;
    etcd?: pulumi.Input<boolean>;
  }>;
  /**
   * Environment variable holding the API token when `hcloud:token` is not in the stack config. Applied in place.
   * @default "HCLOUD_TOKEN"
   */
  tokenEnvVar?: pulumi.Input<string>;
  /** Budgets in seconds. Applied in place. @default {actionSeconds: 600, healthSeconds: 900, bootSeconds: 900} */
  timeouts?: { actionSeconds?: number; healthSeconds?: number; bootSeconds?: number };
}

/**
 * Detaches the Talos ISO from a server on the ISO route as soon as the server has booted it: Talos runs from memory
 * in maintenance mode, so the media is no longer needed, and the install that follows (TalosMachine, which depends
 * on this resource) reboots from the disk. Detaching before the install means no ISO is ever left attached behind a
 * failed install or apply: Talos ISOs boot with `talos.halt_if_installed=1`, so an installed node that boots an
 * attached ISO halts. A refresh that finds an ISO attached again records it as drift, and the next update detaches
 * it. The hcloud.Server ignores its `iso` property after creation, so the detach is not undone.
 */
export class HcloudIsoDetach extends pulumi.dynamic.Resource {
  /** Name or id of the ISO that was detached ("" when none was attached). */
  declare readonly detachedIso: pulumi.Output<string>;

  constructor(name: string, args: HcloudIsoDetachArgs, opts?: pulumi.CustomResourceOptions) {
    const health = args.health === undefined ? undefined : pulumi.secret(args.health);
    super(
      provider,
      name,
      { ...args, reboot: args.reboot ?? false, tokenEnvVar: args.tokenEnvVar ?? "HCLOUD_TOKEN", health, detachedIso: undefined },
      { ...opts, additionalSecretOutputs: ["health"] },
      "ksail",
      "HcloudIsoDetach",
    );
  }
}
