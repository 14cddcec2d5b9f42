/**
 * What a `kind.yaml` (Vanilla) or `k3d.yaml` (K3s) named by `spec.cluster.distributionConfig` asks of the node
 * containers (pure). Every field is either honoured — it becomes a Docker plan input — or rejected by name with
 * what is supported and how to fix it; nothing is silently ignored. Fields follow kind's v1alpha4 `Cluster`
 * (kubernetes-sigs/kind pkg/apis/config/v1alpha4/types.go) and k3d's v1alpha5 `Simple` config (k3d-io/k3d
 * pkg/config/v1alpha5/types.go). Part of the config model (`ksail-pulumi validate` runs it; so does planCluster),
 * so it reads nothing but the files and the spec.
 */
import type { DistributionConfigContext, DistributionConfigOverrides, DistributionConfigResult } from "./distributionFileParts";
import { NO_OVERRIDES } from "./distributionFileParts";
import { kindConfigOverrides } from "./kindFile";
import { k3dConfigOverrides } from "./k3dFile";

export type { DistributionConfigContext, DistributionConfigOverrides, DistributionConfigResult } from "./distributionFileParts";
export { kindConfigOverrides } from "./kindFile";
export { k3dConfigOverrides, specDisabledK3sAddons } from "./k3dFile";

/** The overrides of the file that belongs to `distribution` (none for Talos or when no file was read). */
export function distributionConfigOverrides(
  distribution: string,
  files: { kindConfig?: unknown; k3dConfig?: unknown },
  ctx: DistributionConfigContext,
): DistributionConfigResult {
  if (distribution === "Vanilla" && files.kindConfig !== undefined) return kindConfigOverrides(files.kindConfig, ctx);
  if (distribution === "K3s" && files.k3dConfig !== undefined) return k3dConfigOverrides(files.k3dConfig, ctx);
  return NO_OVERRIDES;
}

/** True when the file changes nothing about the plan (its content is the spec's or the defaults). */
export function isEmptyOverrides(o: DistributionConfigOverrides): boolean {
  return Object.keys(o).length === 0;
}
