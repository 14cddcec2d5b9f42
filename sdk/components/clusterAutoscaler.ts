import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { chartRelease, contextOf, InstallerArgs } from "./release";
import { autoscalerConfigSecret, clusterAutoscalerValues, hcloudClusterConfig } from "./values";
import type { AutoscalerSettings } from "../plan/components";
import type { HcloudAutoscalerSettings } from "../plan/hetznerComponents";
import { charts } from "../versions";

export interface ClusterAutoscalerArgs extends InstallerArgs {
  /**
   * Node pools and scaling behaviour (`spec.cluster.autoscaler.node`). Plain: pools shape the values.
   * Applied in place.
   */
  readonly settings: AutoscalerSettings;
  /**
   * Hetzner image (snapshot) id new nodes boot from — the Talos image built from the cluster's schematic.
   * Applied in place.
   */
  readonly imageId: pulumi.Input<string>;
  /**
   * The arm64 image for Arm (CAX) pools: an id, or the snapshots' label selector (the autoscaler looks it up per
   * architecture). Applied in place.
   * @default none (an Arm pool is then an error)
   */
  readonly arm64Image?: pulumi.Input<string>;
  /**
   * The rendered Talos worker machine config (YAML). Each pool's nodes boot with it as cloud-init
   * (install wipes the disk, pool labels and taints added). Kept secret.
   * Applied in place (only new nodes use it).
   */
  readonly workerConfig: pulumi.Input<string>;
  /**
   * Talos on Hetzner: the workers' firewall, SSH key and public addresses for new servers, and the autoscaler
   * release of the cluster's Kubernetes minor (KSailCluster passes the plan's). Applied in place.
   * @default the chart's image, no firewall
   */
  readonly hcloud?: HcloudAutoscalerSettings;
}

/**
 * Kubernetes cluster-autoscaler for Hetzner Cloud (release `cluster-autoscaler` in `kube-system`), with
 * Secret `kube-system/cluster-autoscaler-config` (`HCLOUD_CLUSTER_CONFIG`: per pool the gzip+base64 worker
 * config, checked against Hetzner's 32 KiB user-data limit). Reads `kube-system/hcloud` for token and
 * network. Runs on control planes.
 *
 * @example
 * ```ts
 * new ClusterAutoscaler("autoscaler", {
 *   settings: { pools: [{ name: "burst", serverType: "cx23", location: "fsn1", min: 0, max: 5 }] },
 *   imageId: snapshotId,
 *   workerConfig,
 * }, { provider });
 * ```
 */
export class ClusterAutoscaler extends pulumi.ComponentResource {
  /** The Helm release. */
  public readonly release: k8s.helm.v3.Release;

  constructor(name: string, args: ClusterAutoscalerArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ksail:components:ClusterAutoscaler", name, {}, opts);
    const context = contextOf(args);
    const config = pulumi
      .all([args.imageId, args.workerConfig, args.arm64Image])
      .apply(([imageId, workerConfig, arm64Image]) =>
        hcloudClusterConfig({ imageId, workerConfig, pools: args.settings.pools, arm64Image }),
      );
    const secret = new k8s.core.v1.Secret(
      `${name}-config`,
      {
        metadata: { name: autoscalerConfigSecret.name, namespace: charts.clusterAutoscaler.namespace },
        type: "Opaque",
        stringData: { [autoscalerConfigSecret.key]: pulumi.secret(config) },
      },
      { parent: this, dependsOn: opts?.dependsOn },
    );
    this.release = chartRelease(this, `${name}-release`, "clusterAutoscaler", args, {
      context,
      values: clusterAutoscalerValues(context, args.settings, args.hcloud),
      atomic: true,
      dependsOn: [secret],
    });
    this.registerOutputs({ status: this.release.status });
  }
}
