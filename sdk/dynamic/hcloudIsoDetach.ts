import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { trampoline } from "./trampoline";

const provider = trampoline(path.join(__dirname, "hcloudIsoDetach.impl.js"), "handler", [
  "configure",
  "check",
  "diff",
  "create",
  "update",
  "delete",
]);

export interface HcloudIsoDetachArgs {
  /** Id of the hcloud.Server booted from the Talos ISO. Replaces this resource when the server was replaced (it detaches again). */
  serverId: pulumi.Input<string>;
  /** Server name, for messages. Applied in place. */
  serverName: pulumi.Input<string>;
  /**
   * Reboot after the detach so the node runs the installed system from its disk (it was still running
   * from the ISO media). Applied in place (only used at create).
   * @default true
   */
  reboot?: pulumi.Input<boolean>;
  /**
   * Talos health gate after the reboot (the node answers over mTLS; etcd on control planes), so what
   * depends on this resource (TalosBootstrap, the next node) sees a healthy node. The talosconfig is
   * wrapped as a secret. Applied in place.
   * @default no gate (the reboot action finishing is the end)
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
  /** Budgets in seconds. Applied in place. @default {actionSeconds: 600, healthSeconds: 900} */
  timeouts?: { actionSeconds?: number; healthSeconds?: number };
}

/**
 * Detaches the Talos ISO from a server once Talos is installed on its disk (the ISO route: the server boots
 * the Talos ISO, gets its config in maintenance mode and installs itself),
 * and reboots it into the installed system. Make it depend on the node's TalosMachine (which applied the
 * config in maintenance mode, so Talos installed itself). Create-only: later runs change nothing; the
 * hcloud.Server ignores its `iso` property after creation, so the detach is not undone.
 */
export class HcloudIsoDetach extends pulumi.dynamic.Resource {
  /** Name or id of the ISO that was detached ("" when none was attached). */
  declare readonly detachedIso: pulumi.Output<string>;

  constructor(name: string, args: HcloudIsoDetachArgs, opts?: pulumi.CustomResourceOptions) {
    const health = args.health === undefined ? undefined : pulumi.secret(args.health);
    super(
      provider,
      name,
      { ...args, reboot: args.reboot ?? true, tokenEnvVar: args.tokenEnvVar ?? "HCLOUD_TOKEN", health, detachedIso: undefined },
      { ...opts, additionalSecretOutputs: ["health"] },
      "ksail",
      "HcloudIsoDetach",
    );
  }
}
