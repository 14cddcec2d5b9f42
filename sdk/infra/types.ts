/**
 * What a provider's wiring (infra/docker/cluster.ts, infra/hetzner/cluster.ts) gets from KSailCluster and hands
 * back to it.
 */
import type * as pulumi from "@pulumi/pulumi";
import type { ClusterSecrets } from "../dynamic/clusterSecrets";
import type { InstallInputs } from "../components/phases";
import type { RenderedMachineConfigs } from "../distributions/talos/render";
import type { NodeRole } from "../distributions/roles";
import type { ClusterPlan } from "../plan/cluster";

/** A node as the cluster reports it. */
export interface KSailClusterNode {
  readonly name: string;
  readonly role: NodeRole;
  /** Docker: the static address on the cluster network. Hetzner: the public address (what the Talos API dials). */
  readonly address: string;
  /** Hetzner: the address in the private network. */
  readonly privateAddress?: string;
}

/** The credentials KSailCluster hands on: ClusterSecrets on Docker and Hetzner; on Omni, Omni's service-account kubeconfig. */
export interface ClusterCredentials {
  readonly kubeconfig: pulumi.Output<string>;
  readonly talosconfig: pulumi.Output<string | undefined>;
}

/** What a provider layer creates for KSailCluster. */
export interface ClusterInfra {
  readonly secrets: ClusterSecrets | ClusterCredentials;
  /** Kubernetes API URL of the kubeconfig. */
  readonly endpoint: pulumi.Output<string>;
  readonly nodes: pulumi.Output<KSailClusterNode[]>;
  /** Talos only: rendered machine configs (secret). */
  readonly rendered?: pulumi.Output<RenderedMachineConfigs>;
  /** What the first install stage waits for (bootstrap and machines, or the node containers). */
  readonly ready: pulumi.Resource[];
  /** Every other resource the provider layer created (components count with their children): what the destroy guard depends on. */
  readonly resources?: pulumi.Resource[];
  /** Provider-specific installer inputs (network names, tokens, autoscaler). */
  readonly install: Partial<InstallInputs>;
}

/** What every provider layer gets from the component. */
export interface InfraContext {
  /** Resource name of the KSailCluster (children are `<name>-<suffix>`). */
  readonly name: string;
  readonly parent: pulumi.Resource;
  readonly plan: ClusterPlan;
  readonly protect: boolean;
}
