import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { trampoline } from "./trampoline";

const provider = trampoline(path.join(__dirname, "hcloudCleanup.impl.js"), "handler", [
  "configure",
  "check",
  "diff",
  "create",
  "update",
  "delete",
]);

export interface HcloudCleanupArgs {
  /** Cluster name, for messages. Applied in place. */
  clusterName: pulumi.Input<string>;
  /** Id of the cluster's hcloud.Network: autoscaled servers and CCM load balancers are found by their attachment to it. Recreates the cluster (a new network). */
  networkId: pulumi.Input<string>;
  /**
   * Label selector of the CSI driver's volumes to delete with the cluster (the driver labels new volumes with the
   * cluster name). Applied in place.
   * @default none (volumes are kept)
   */
  volumeSelector?: pulumi.Input<string>;
  /**
   * Label selector of the load balancers Pulumi manages itself (the API load balancer), which are never deleted
   * here. Applied in place.
   * @default none
   */
  ownSelector?: pulumi.Input<string>;
  /**
   * Environment variable holding the API token when `hcloud:token` is not in the stack config. Applied in place.
   * @default "HCLOUD_TOKEN"
   */
  tokenEnvVar?: pulumi.Input<string>;
  /** Budgets in seconds. Applied in place. @default {actionSeconds: 600} */
  timeouts?: { actionSeconds?: number };
}

/**
 * What the cluster created in Hetzner Cloud outside Pulumi, removed when the cluster is destroyed (or recreated):
 * servers the cluster-autoscaler added, load balancers the hcloud CCM created for Services, and the CSI driver's
 * volumes. Without it `pulumi destroy` leaves them billed and fails on the network they are attached to. Give it
 * `dependsOn` the network and make the installers depend on it, so that it runs after the CCM, the CSI driver
 * and the autoscaler are gone (nothing re-creates what it removes) and before the network is deleted.
 * Creating or updating it changes nothing.
 */
export class HcloudCleanup extends pulumi.dynamic.Resource {
  constructor(name: string, args: HcloudCleanupArgs, opts?: pulumi.CustomResourceOptions) {
    super(provider, name, { ...args, tokenEnvVar: args.tokenEnvVar ?? "HCLOUD_TOKEN" }, opts, "ksail", "HcloudCleanup");
  }
}
