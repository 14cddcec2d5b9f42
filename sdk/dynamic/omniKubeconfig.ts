import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { trampoline } from "./trampoline";
import type { OmniConnection } from "./omniConnection";

const provider = trampoline(path.join(__dirname, "omniKubeconfig.impl.js"), "handler", ["diff", "create", "update", "delete"]);

export interface OmniKubeconfigArgs {
  /** Omni endpoint and where the service-account key is read from. Applied in place (a new endpoint re-issues). */
  connection: pulumi.Input<OmniConnection>;
  /**
   * Service-account key (kept secret). Applied in place.
   * @default read from `connection.serviceAccountKeyEnvVar`
   */
  serviceAccountKey?: pulumi.Input<string>;
  /** Omni cluster name. Replaces this resource: the kubeconfig is issued for the new cluster. */
  cluster: string;
  /**
   * Kubernetes user of the token. Applied in place (the kubeconfig is re-issued).
   * @default "ksail"
   */
  user?: string;
  /**
   * Kubernetes groups of the token. Applied in place (the kubeconfig is re-issued).
   * @default ["system:masters"]
   */
  groups?: string[];
  /**
   * Token lifetime in seconds; renewed on the first update after half of it passed. Applied in place.
   * @default 2592000 (30 days)
   */
  ttlSeconds?: number;
}

/**
 * Issues a service-account kubeconfig (a token for Omni's Kubernetes proxy, kept secret). Created after the
 * cluster's OmniClusterReady gate; scaling does not touch it, so the Kubernetes provider built from it
 * stays as it is.
 */
export class OmniKubeconfig extends pulumi.dynamic.Resource {
  /** The kubeconfig (secret). */
  declare readonly kubeconfig: pulumi.Output<string>;
  /** Omni's Kubernetes proxy URL. */
  declare readonly server: pulumi.Output<string>;
  declare readonly issuedAt: pulumi.Output<string>;

  constructor(name: string, args: OmniKubeconfigArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      provider,
      name,
      {
        connection: args.connection,
        serviceAccountKey: args.serviceAccountKey === undefined ? undefined : pulumi.secret(args.serviceAccountKey),
        cluster: args.cluster,
        user: args.user ?? "ksail",
        groups: args.groups ?? ["system:masters"],
        ttlSeconds: args.ttlSeconds ?? 30 * 24 * 3600,
        kubeconfig: undefined,
        server: undefined,
        issuedAt: undefined,
      },
      { ...opts, additionalSecretOutputs: ["kubeconfig", "serviceAccountKey"] },
      "ksail",
      "OmniKubeconfig",
    );
  }
}
