import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { genericContext, type ComponentContext } from "../plan/context";
import { deepMerge, Values } from "./merge";
import { baseTimeout } from "./values";
import { ChartKey, charts, installTimeoutSeconds } from "../versions";

/** Arguments every Helm-based installer accepts. */
export interface InstallerArgs {
  /**
   * Facts about the cluster that shape the computed values (distribution, provider, node count, CNI,
   * LoadBalancer). Plain: it decides the values' shape. Applied in place (Helm upgrade).
   * @default a generic context: chart defaults plus KSail's distribution-independent settings
   */
  readonly context?: ComponentContext;
  /** Chart version. Applied in place (Helm upgrade). @default the version pinned in versions.ts */
  readonly version?: pulumi.Input<string>;
  /**
   * Helm values deep-merged over the computed values (objects merge, arrays and scalars replace, `null` removes
   * a key). Applied in place (Helm upgrade).
   * @default {}
   */
  readonly values?: pulumi.Input<Values>;
  /**
   * Helm wait timeout in seconds. Applied in place.
   * @default max(install timeout base, the chart's floor), e.g. 600 for cert-manager, 1200 for Kyverno
   */
  readonly timeoutSeconds?: number;
}

/** Options for one Helm release. */
export interface ReleaseOptions {
  readonly context: ComponentContext;
  /** Computed values (before the user's overrides). */
  readonly values: Values;
  /** Roll back a failed install/upgrade (Helm `--atomic`). CNI charts keep a failed release instead. */
  readonly atomic: boolean;
  readonly dependsOn?: pulumi.Input<pulumi.Input<pulumi.Resource>[]> | pulumi.Input<pulumi.Resource>;
}

/** The context an installer uses: the given one, else the generic one. */
export function contextOf(args: InstallerArgs | undefined): ComponentContext {
  return args?.context ?? genericContext;
}

/**
 * A `helm.v3.Release` of a pinned chart with KSail's release name and namespace, real waits
 * (`skipAwait: false` + `waitForJobs` unless the chart is installed without wait), `cleanupOnFail`, and the
 * user's version/values overrides merged in.
 */
export function chartRelease(
  parent: pulumi.Resource,
  name: string,
  key: ChartKey,
  args: InstallerArgs | undefined,
  o: ReleaseOptions,
): k8s.helm.v3.Release {
  const pin = charts[key];
  const timeout = args?.timeoutSeconds ?? installTimeoutSeconds(key, baseTimeout(o.context));
  const values = args?.values ? pulumi.output(args.values).apply((v) => deepMerge(o.values, v as Values)) : o.values;
  return new k8s.helm.v3.Release(
    name,
    {
      name: pin.release,
      chart: pin.chart,
      version: args?.version ?? pin.version,
      repositoryOpts: "repo" in pin ? { repo: pin.repo } : undefined,
      namespace: pin.namespace,
      createNamespace: pin.createNamespace,
      values,
      skipAwait: !pin.wait,
      waitForJobs: pin.wait,
      timeout,
      atomic: pin.wait && o.atomic,
      cleanupOnFail: true,
    },
    { parent, dependsOn: o.dependsOn },
  );
}
