import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { chartRelease, contextOf, InstallerArgs } from "./release";
import { chartValues } from "./values";

export interface MetricsServerArgs extends InstallerArgs {
  /**
   * Also install postfinance's kubelet-csr-approver (release `kubelet-csr-approver` in `kube-system`), which
   * approves the kubelets' serving-certificate CSRs so metrics-server keeps verifying kubelet TLS. Talos
   * approves them through its machine config instead. Applied in place.
   * @default true on Vanilla, false elsewhere
   */
  readonly kubeletCsrApprover?: boolean;
  /** Version of the approver chart. Applied in place. @default the version pinned in versions.ts */
  readonly approverVersion?: pulumi.Input<string>;
}

/**
 * metrics-server (release `metrics-server` in `kube-system`), with the kubelet serving-cert approver on
 * Vanilla. Both releases install in parallel. K3s ships metrics-server; do not add it there.
 *
 * @example
 * ```ts
 * new MetricsServer("metrics", { kubeletCsrApprover: false }, { provider });
 * ```
 */
export class MetricsServer extends pulumi.ComponentResource {
  /** The metrics-server release. */
  public readonly release: k8s.helm.v3.Release;
  /** The approver release (undefined when not installed). */
  public readonly approver?: k8s.helm.v3.Release;

  constructor(name: string, args: MetricsServerArgs = {}, opts?: pulumi.ComponentResourceOptions) {
    super("ksail:components:MetricsServer", name, {}, opts);
    const context = contextOf(args);
    this.release = chartRelease(this, `${name}-release`, "metricsServer", args, {
      context,
      values: chartValues("metricsServer", context),
      atomic: true,
      dependsOn: opts?.dependsOn,
    });
    if (args.kubeletCsrApprover ?? context.distribution === "Vanilla") {
      this.approver = chartRelease(
        this,
        `${name}-csr-approver`,
        "kubeletCsrApprover",
        { context, version: args.approverVersion, timeoutSeconds: args.timeoutSeconds },
        { context, values: chartValues("kubeletCsrApprover", context), atomic: true, dependsOn: opts?.dependsOn },
      );
    }
    this.registerOutputs({ status: this.release.status });
  }
}
