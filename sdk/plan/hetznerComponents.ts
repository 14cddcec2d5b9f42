/**
 * What the Hetzner components (hcloud CCM, CSI driver, cluster-autoscaler) need from the plan beyond the component
 * context: where load balancers go, which labels volumes carry, which firewall and addresses autoscaled workers get,
 * and the autoscaler release that matches the cluster's Kubernetes minor. Pure; the wiring and `render` both read it.
 */
import type { ClusterPlan } from "./cluster";
import { csiVolumeLabels } from "./hetznerParts";
import { clusterAutoscalerImageTags } from "../versions";

export interface HcloudAutoscalerSettings {
  /** `HCLOUD_FIREWALL`: the workers' firewall, so autoscaled workers are filtered like the static ones. */
  readonly firewall?: string;
  /** `HCLOUD_SSH_KEY`, when the cluster names one. */
  readonly sshKey?: string;
  /** `HCLOUD_PUBLIC_IPV4` / `HCLOUD_PUBLIC_IPV6`: the workers' public addresses. */
  readonly publicIPv4: boolean;
  readonly publicIPv6: boolean;
  /** The cluster-autoscaler image tag of the cluster's Kubernetes minor (the chart pins another). */
  readonly imageTag?: string;
}

export interface HcloudComponentSettings {
  /** `HCLOUD_LOAD_BALANCERS_LOCATION`: the CCM creates Service load balancers in the cluster's location. */
  readonly loadBalancerLocation: string;
  /** The CCM's load-balancer controller runs (`loadBalancer: Enabled`); off, the CCM only initialises nodes. */
  readonly loadBalancers: boolean;
  /** Labels of every volume the CSI driver creates (a destroy removes them by these). */
  readonly volumeLabels: Readonly<Record<string, string>>;
  readonly autoscaler: HcloudAutoscalerSettings;
  /** Non-fatal notes (an autoscaler release that does not match the Kubernetes minor). */
  readonly warnings: readonly string[];
}

/** The Hetzner component settings of a plan; undefined unless Talos on Hetzner. */
export function hcloudComponentSettings(
  plan: Pick<ClusterPlan, "hetzner" | "versions" | "effective" | "components">,
): HcloudComponentSettings | undefined {
  const h = plan.hetzner;
  if (!h) return undefined;
  const warnings: string[] = [];
  const minor = /^v?(\d+\.\d+)/.exec(plan.versions.kubernetes)?.[1] ?? "";
  const known = Object.keys(clusterAutoscalerImageTags).sort((a, b) => Number(a.split(".")[1]) - Number(b.split(".")[1]));
  let imageTag = clusterAutoscalerImageTags[minor as keyof typeof clusterAutoscalerImageTags] as string | undefined;
  if (!imageTag && plan.components.autoscaler) {
    const newest = known[known.length - 1];
    const older = Number(minor.split(".")[1]) < Number(newest.split(".")[1]);
    if (!older) imageTag = clusterAutoscalerImageTags[newest as keyof typeof clusterAutoscalerImageTags];
    warnings.push(
      `no cluster-autoscaler release is pinned for Kubernetes ${minor}; running ${imageTag ?? "the chart's"} instead (the autoscaler supports the Kubernetes minor it was released with); set components.clusterAutoscaler.values.image.tag to override`,
    );
  }
  return {
    loadBalancerLocation: h.location,
    loadBalancers: plan.effective.cluster.loadBalancer === "Enabled",
    volumeLabels: csiVolumeLabels(h.clusterName),
    autoscaler: {
      ...(h.workerFirewall ? { firewall: h.workerFirewall.name } : {}),
      ...(h.sshKeys[0] ? { sshKey: h.sshKeys[0] } : {}),
      publicIPv4: plan.effective.provider.hetzner.workerPublicIPv4 !== false,
      publicIPv6: plan.effective.provider.hetzner.workerPublicIPv6 !== false,
      ...(imageTag ? { imageTag } : {}),
    },
    warnings,
  };
}
