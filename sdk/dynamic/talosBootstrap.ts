import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { trampoline } from "./trampoline";

const provider = trampoline(path.join(__dirname, "talosBootstrap.impl.js"), "handler", [
  "check",
  "diff",
  "create",
  "read",
  "update",
  "delete",
]);

export interface TalosBootstrapArgs {
  /**
   * The first control plane: `{name, endpoint, address?, via?}` (`endpoint` is the apid to dial; `address` routes
   * through it with `node` metadata; `via` lists other control planes' apid to use when `endpoint` does not
   * answer). Applied in place (verified, never bootstrapped again).
   */
  node: pulumi.Input<{
    name: pulumi.Input<string>;
    endpoint: pulumi.Input<string>;
    address?: pulumi.Input<string>;
    via?: pulumi.Input<pulumi.Input<string>[]>;
  }>;
  /**
   * Addresses of the other control planes (reached through the first one's apid). Before bootstrapping, each is
   * asked whether etcd already runs there; if one says yes, etcd is not bootstrapped again. Applied in place.
   * @default [] (only the first control plane is asked)
   */
  peers?: pulumi.Input<pulumi.Input<string>[]>;
  /** Admin talosconfig YAML. Wrapped as a secret. Applied in place. */
  talosconfig: pulumi.Input<string>;
  /**
   * Admin kubeconfig: the bootstrap waits until the Kubernetes API server answers `/readyz`. Wrapped as a secret.
   * Applied in place.
   * @default none (waits until the node serves a kubeconfig, which only shows the control-plane config is there)
   */
  kubeconfig?: pulumi.Input<string>;
  /** Wait budgets in seconds. Applied in place. @default {bootstrapSeconds: 600, readySeconds: 900} */
  timeouts?: { bootstrapSeconds?: number; readySeconds?: number };
}

/**
 * Bootstraps etcd on the first control plane exactly once per cluster, and waits until the control plane is up.
 * Bootstrap is never called when etcd already runs on any control plane it knows (Talos would start a second,
 * separate etcd cluster), and an update only verifies the running cluster. `pulumi refresh` checks that etcd still
 * runs. Make it depend on the control planes' TalosMachines; recreate it with the cluster (pass the cluster's
 * recreate trigger as `replacementTrigger`).
 */
export class TalosBootstrap extends pulumi.dynamic.Resource {
  /** "fresh" when this resource bootstrapped etcd, "already" when etcd was running before. */
  declare readonly bootstrap: pulumi.Output<string>;

  constructor(name: string, args: TalosBootstrapArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      provider,
      name,
      {
        node: args.node,
        peers: args.peers,
        talosconfig: pulumi.secret(args.talosconfig),
        kubeconfig: args.kubeconfig === undefined ? undefined : pulumi.secret(args.kubeconfig),
        timeouts: args.timeouts,
        bootstrap: undefined,
      },
      { ...opts, additionalSecretOutputs: ["talosconfig", "kubeconfig"] },
      "ksail",
      "TalosBootstrap",
    );
  }
}
