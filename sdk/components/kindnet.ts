import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { kindnetObjects } from "../distributions/kind/kindnet";
import { nodeAddons } from "../versions";

export interface KindnetArgs {
  /**
   * Pod subnet kindnet routes (`POD_SUBNET`); must be the cluster's (kubeadm `networking.podSubnet`). Applied in place.
   * @default "10.244.0.0/16" (kind's)
   */
  readonly podSubnet?: string;
  /**
   * `<host>:6443` the nodes reach the API server at, so kindnet does not wait for kube-proxy. Applied in place.
   * @default none (required)
   */
  readonly controlPlaneEndpoint: string;
  /**
   * kindnetd image. Applied in place.
   * @default the one kind v0.32.0's node image preloads (versions.ts)
   */
  readonly image?: string;
}

/**
 * kindnet, Kind's default CNI, managed as Kubernetes objects (ClusterRole, binding, ServiceAccount and the
 * hostNetwork DaemonSet in kube-system) instead of being installed by the first node. Switching a Kind cluster to
 * Cilium or Calico removes it in place.
 *
 * @example
 * ```ts
 * new Kindnet("cni", { controlPlaneEndpoint: "dev-control-plane-1:6443" }, { provider });
 * ```
 */
export class Kindnet extends pulumi.ComponentResource {
  /** The applied objects. */
  public readonly objects: k8s.yaml.v2.ConfigGroup;

  constructor(name: string, args: KindnetArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ksail:components:Kindnet", name, {}, opts);
    this.objects = new k8s.yaml.v2.ConfigGroup(
      `${name}-objects`,
      {
        objs: kindnetObjects({
          image: args.image ?? nodeAddons.kindnetd,
          podSubnet: args.podSubnet ?? "10.244.0.0/16",
          controlPlaneEndpoint: args.controlPlaneEndpoint,
        }),
      },
      { parent: this, dependsOn: opts?.dependsOn },
    );
    this.registerOutputs({});
  }
}
