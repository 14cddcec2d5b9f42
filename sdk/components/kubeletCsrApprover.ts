import * as pulumi from "@pulumi/pulumi";
import type * as k8s from "@pulumi/kubernetes";
import { chartRelease, contextOf, type InstallerArgs } from "./release";
import { chartValues } from "./values";

export type KubeletCsrApproverArgs = InstallerArgs;

/**
 * postfinance's kubelet-csr-approver (release `kubelet-csr-approver` in `kube-system`): approves the kubelets'
 * serving-certificate CSRs. Kind nodes from KSailCluster always request serving certificates from the cluster CA
 * (kubelet `serverTLSBootstrap`), so metrics-server can verify kubelet TLS and be switched on or off in place;
 * this approver is what makes those certificates issue, with or without metrics-server.
 *
 * @example
 * ```ts
 * new KubeletCsrApprover("approver", {}, { provider });
 * ```
 */
export class KubeletCsrApprover extends pulumi.ComponentResource {
  /** The Helm release. */
  public readonly release: k8s.helm.v3.Release;

  constructor(name: string, args: KubeletCsrApproverArgs = {}, opts?: pulumi.ComponentResourceOptions) {
    super("ksail:components:KubeletCsrApprover", name, {}, opts);
    const context = contextOf(args);
    this.release = chartRelease(this, `${name}-release`, "kubeletCsrApprover", args, {
      context,
      values: chartValues("kubeletCsrApprover", context),
      atomic: true,
      dependsOn: opts?.dependsOn,
    });
    this.registerOutputs({ status: this.release.status });
  }
}
