import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { trampoline } from "./trampoline";
import type { OmniConnection } from "./omniConnection";

const provider = trampoline(path.join(__dirname, "omniClusterReady.impl.js"), "handler", ["diff", "create", "update", "delete"]);

export interface OmniClusterReadyArgs {
  /** Omni endpoint and where the service-account key is read from. Applied in place. */
  connection: pulumi.Input<OmniConnection>;
  /**
   * Service-account key (kept secret). Applied in place.
   * @default read from `connection.serviceAccountKeyEnvVar`
   */
  serviceAccountKey?: pulumi.Input<string>;
  /** Omni cluster name. Replaces this resource: the wait is for the new cluster. */
  cluster: string;
  /** Machines the cluster should run; the wait ends when Omni runs them all. Applied in place (waits again). */
  machines: number;
  /**
   * Wait budget in seconds. Applied in place.
   * @default 1800
   */
  waitSeconds?: number;
}

/**
 * Waits until Omni runs the cluster with all its machines and lists them. Scaling updates only this gate:
 * the kubeconfig (and with it the Kubernetes provider and every resource on it) stays as it is.
 */
export class OmniClusterReady extends pulumi.dynamic.Resource {
  /** The cluster's machines as Omni reports them (MachineSetNodes). */
  declare readonly nodes: pulumi.Output<{ name: string; role: "control-plane" | "worker"; address: string }[]>;

  constructor(name: string, args: OmniClusterReadyArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      provider,
      name,
      {
        connection: args.connection,
        serviceAccountKey: args.serviceAccountKey === undefined ? undefined : pulumi.secret(args.serviceAccountKey),
        cluster: args.cluster,
        machines: args.machines,
        waitSeconds: args.waitSeconds,
        nodes: undefined,
      },
      { ...opts, additionalSecretOutputs: ["serviceAccountKey"] },
      "ksail",
      "OmniClusterReady",
    );
  }
}
