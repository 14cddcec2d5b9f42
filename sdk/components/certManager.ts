import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { chartRelease, contextOf, InstallerArgs } from "./release";
import { chartValues } from "./values";

export type CertManagerArgs = InstallerArgs;

/**
 * cert-manager (jetstack chart, release `cert-manager` in `cert-manager`, CRDs from the chart). HA values
 * (2 replicas, PDBs, spread) from 3 nodes.
 *
 * @example
 * ```ts
 * new CertManager("cm", {}, { provider });
 * ```
 */
export class CertManager extends pulumi.ComponentResource {
  /** The Helm release. */
  public readonly release: k8s.helm.v3.Release;

  constructor(name: string, args: CertManagerArgs = {}, opts?: pulumi.ComponentResourceOptions) {
    super("ksail:components:CertManager", name, {}, opts);
    const context = contextOf(args);
    this.release = chartRelease(this, `${name}-release`, "certManager", args, {
      context,
      values: chartValues("certManager", context),
      atomic: true,
      dependsOn: opts?.dependsOn,
    });
    this.registerOutputs({ status: this.release.status });
  }
}
