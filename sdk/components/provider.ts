import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";

/** Arguments of {@link clusterProvider}. */
export interface ClusterProviderArgs {
  /** The derived kubeconfig (YAML). Kept secret. Applied in place (the provider is updated, not replaced). */
  readonly kubeconfig: pulumi.Input<string>;
  /**
   * A stable identity of the cluster (e.g. its name). With it set, a kubeconfig change (certificate
   * rotation, new endpoint) updates the provider instead of replacing it — and with it every Kubernetes
   * resource. Replaces the provider, and with it every Kubernetes resource it manages.
   */
  readonly clusterIdentifier: pulumi.Input<string>;
  /**
   * Drop resources of an unreachable cluster from state instead of failing (Docker clusters deleted out of
   * band). Applied in place.
   * @default true
   */
  readonly deleteUnreachable?: boolean;
}

/** The `k8s.Provider` every installer of a cluster uses, with `clusterIdentifier` set. */
export function clusterProvider(name: string, args: ClusterProviderArgs, opts?: pulumi.CustomResourceOptions): k8s.Provider {
  return new k8s.Provider(
    name,
    {
      kubeconfig: pulumi.secret(args.kubeconfig),
      clusterIdentifier: args.clusterIdentifier,
      deleteUnreachable: args.deleteUnreachable ?? true,
    },
    opts,
  );
}
