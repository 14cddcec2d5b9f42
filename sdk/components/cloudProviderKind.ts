import * as pulumi from "@pulumi/pulumi";
import * as docker from "@pulumi/docker";
import { images } from "../versions";

export interface CloudProviderKindArgs {
  /**
   * Docker network the Kind nodes are on; cloud-provider-kind joins it and creates its `cpk-*` load balancer
   * containers there. Applied in place (the container is replaced; Services keep their addresses once it is
   * back).
   * @default "kind"
   */
  readonly network?: pulumi.Input<string>;
  /**
   * Image. Applied in place (container replaced).
   * @default registry.k8s.io/cloud-provider-kind/cloud-controller-manager:v0.11.1
   */
  readonly image?: pulumi.Input<string>;
  /**
   * Container name; KSail's is shared by all Kind clusters on the host. Applied in place (container replaced).
   * @default "ksail-cloud-provider-kind"
   */
  readonly containerName?: string;
}

/**
 * cloud-provider-kind: a container on the host's Docker daemon that serves LoadBalancer Services of every
 * Kind cluster on the host (it watches Docker for Kind nodes and spawns `cpk-*` proxy containers).
 *
 * "Shared" in Pulumi terms: the container is a host-wide singleton with a fixed name, so exactly one
 * stack may own it. KSailCluster creates it for a Vanilla × Docker cluster with `loadBalancer: Enabled`; on
 * a host with several Kind clusters, let one stack (or a dedicated one) own it and set
 * `loadBalancer: Disabled` in the others — they are served all the same. Destroying the owning stack
 * removes it (delete-before-replace, since the name is fixed). The `cpk-*` containers it spawned are
 * removed by cloud-provider-kind when their Services go away.
 *
 * Pass the Docker provider through `providers`/`provider` (the default is the local daemon).
 *
 * @example
 * ```ts
 * new CloudProviderKind("lb", { network: "kind" });
 * ```
 */
export class CloudProviderKind extends pulumi.ComponentResource {
  /** The container. */
  public readonly container: docker.Container;

  constructor(name: string, args: CloudProviderKindArgs = {}, opts?: pulumi.ComponentResourceOptions) {
    super("ksail:components:CloudProviderKind", name, {}, opts);
    const image = new docker.RemoteImage(
      `${name}-image`,
      { name: args.image ?? images.cloudProviderKind, keepLocally: true },
      { parent: this, dependsOn: opts?.dependsOn },
    );
    this.container = new docker.Container(
      `${name}-container`,
      {
        name: args.containerName ?? "ksail-cloud-provider-kind",
        image: image.imageId,
        restart: "unless-stopped",
        networksAdvanced: [{ name: args.network ?? "kind" }],
        // cloud-provider-kind puts its per-Service load-balancer containers on network `kind` unless this names
        // another (kubernetes-sigs/cloud-provider-kind pkg/loadbalancer/server.go): without it they cannot reach
        // nodes on the cluster's own network.
        envs: [pulumi.interpolate`KIND_EXPERIMENTAL_DOCKER_NETWORK=${args.network ?? "kind"}`],
        volumes: [{ hostPath: "/var/run/docker.sock", containerPath: "/var/run/docker.sock" }],
        labels: [
          { label: "app.kubernetes.io/name", value: "cloud-provider-kind" },
          { label: "app.kubernetes.io/managed-by", value: "ksail" },
        ],
      },
      { parent: this, deleteBeforeReplace: true },
    );
    this.registerOutputs({ containerId: this.container.id });
  }
}
