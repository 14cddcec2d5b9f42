import type { ComponentContext } from "../../plan/context";
import { Values } from "../merge";
import { ChartKey, installTimeoutSeconds, baseInstallTimeoutSeconds } from "../../versions";
import { calicoCrdsValues, calicoValues, ciliumValues } from "./cni";
import { hcloudCcmValues, hcloudCsiValues, kubeletCsrApproverValues, metallbValues, metricsServerValues } from "./core";
import { certManagerValues, gatekeeperValues, kyvernoValues } from "./addons";
import { argoCdValues, fluxOperatorValues } from "./gitops";
import { clusterAutoscalerValues } from "./autoscaler";
import type { AutoscalerSettings } from "../../plan/components";
import type { HcloudComponentSettings } from "../../plan/hetznerComponents";

export * from "./cni";
export * from "./core";
export * from "./addons";
export * from "./gitops";
export * from "./autoscaler";
export * from "./metallb";

/** Per-chart options a values builder needs beyond the context. */
export interface ValuesOptions {
  /** hcloud CCM: a private network is configured. @default true */
  readonly networkEnabled?: boolean;
  /** Argo CD: add the SOPS plugin. @default false */
  readonly sops?: boolean;
  /** cluster-autoscaler settings. */
  readonly autoscaler?: AutoscalerSettings;
  /** Talos on Hetzner: the plan's settings for the CCM, the CSI driver and the autoscaler (hcloudComponentSettings). */
  readonly hcloud?: HcloudComponentSettings;
}

/** Effective install timeout base of a context. */
export function baseTimeout(ctx: ComponentContext): number {
  return ctx.baseTimeoutSeconds ?? baseInstallTimeoutSeconds(ctx.distribution);
}

/** The computed values of any pinned chart (used by the installers and by the values tests). */
export function chartValues(key: ChartKey, ctx: ComponentContext, opts: ValuesOptions = {}): Values {
  switch (key) {
    case "cilium":
      return ciliumValues(ctx);
    case "calicoCrds":
      return calicoCrdsValues();
    case "calico":
      return calicoValues(ctx);
    case "hcloudCsi":
      return hcloudCsiValues(ctx, { hcloud: opts.hcloud });
    case "hcloudCcm":
      return hcloudCcmValues(ctx, { networkEnabled: opts.networkEnabled ?? true, hcloud: opts.hcloud });
    case "metricsServer":
      return metricsServerValues(ctx);
    case "kubeletCsrApprover":
      return kubeletCsrApproverValues(ctx);
    case "metallb":
      return metallbValues(ctx);
    case "certManager":
      return certManagerValues(ctx, installTimeoutSeconds("certManager", baseTimeout(ctx)));
    case "kyverno":
      return kyvernoValues(ctx);
    case "gatekeeper":
      return gatekeeperValues(ctx);
    case "fluxOperator":
      return fluxOperatorValues(ctx);
    case "argoCd":
      return argoCdValues(ctx, { sops: opts.sops ?? false });
    case "clusterAutoscaler":
      return clusterAutoscalerValues(ctx, opts.autoscaler ?? { pools: [] }, opts.hcloud?.autoscaler);
  }
}
