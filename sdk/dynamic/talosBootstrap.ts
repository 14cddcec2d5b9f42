import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { trampoline } from "./trampoline";

const provider = trampoline(path.join(__dirname, "talosBootstrap.impl.js"), "handler", ["check", "diff", "create", "update", "delete"]);

export interface TalosBootstrapArgs {
  /**
   * The first control plane: `{name, endpoint, address?}` (`endpoint` is the apid to dial; `address`
   * routes through it with `node` metadata). Applied in place (re-verified; bootstrap is idempotent).
   */
  node: pulumi.Input<{ name: pulumi.Input<string>; endpoint: pulumi.Input<string>; address?: pulumi.Input<string> }>;
  /** Admin talosconfig YAML. Wrapped as a secret. Applied in place. */
  talosconfig: pulumi.Input<string>;
  /** Wait budgets in seconds. Applied in place. @default {bootstrapSeconds: 600, readySeconds: 900} */
  timeouts?: { bootstrapSeconds?: number; readySeconds?: number };
}

/**
 * Bootstraps etcd on the first control plane, once per cluster, and waits until the control plane serves
 * a kubeconfig. Idempotent (`AlreadyExists` is success), retries while the node is not ready to bootstrap.
 * Make it depend on the first control plane's TalosMachine; recreate it with the cluster (pass the
 * cluster's recreate trigger as `replacementTrigger`).
 */
export class TalosBootstrap extends pulumi.dynamic.Resource {
  /** "fresh" when this run bootstrapped etcd, "already" when it was bootstrapped before. */
  declare readonly bootstrap: pulumi.Output<string>;

  constructor(name: string, args: TalosBootstrapArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      provider,
      name,
      { node: args.node, talosconfig: pulumi.secret(args.talosconfig), timeouts: args.timeouts, bootstrap: undefined },
      { ...opts, additionalSecretOutputs: ["talosconfig"] },
      "ksail",
      "TalosBootstrap",
    );
  }
}
