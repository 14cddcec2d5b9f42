import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { trampoline } from "./trampoline";

const provider = trampoline(path.join(__dirname, "destroyGuard.impl.js"), "handler", ["create", "update", "delete"]);

export interface DestroyGuardArgs {
  /** Cluster name, for messages. Applied in place. */
  clusterName: pulumi.Input<string>;
}

/**
 * Makes `protect` all or nothing for a destroy. Pulumi deletes dependents first and checks `protect` only when it
 * reaches a resource, so protecting a few resources (the network, the identity) lets a destroy delete every node,
 * machine and component before it stops — a cluster half gone. This record depends on every resource of the
 * cluster and is protected with it, so a destroy reaches it first and stops before anything is deleted. Give it
 * `dependsOn` everything the cluster created and `protect` from the cluster's argument.
 */
export class DestroyGuard extends pulumi.dynamic.Resource {
  constructor(name: string, args: DestroyGuardArgs, opts?: pulumi.CustomResourceOptions) {
    super(provider, name, { ...args }, opts, "ksail", "DestroyGuard");
  }
}
