import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { chartRelease, contextOf, InstallerArgs } from "./release";
import { chartValues } from "./values";

export type KyvernoArgs = InstallerArgs;

/**
 * Kyverno (release `kyverno` in `kyverno`). Webhooks fail open (`features.forceFailurePolicyIgnore`);
 * HA adds 2 admission-controller replicas, a PDB and spread.
 *
 * @example
 * ```ts
 * new Kyverno("policy", {}, { provider });
 * ```
 */
export class Kyverno extends pulumi.ComponentResource {
  /** The Helm release. */
  public readonly release: k8s.helm.v3.Release;

  constructor(name: string, args: KyvernoArgs = {}, opts?: pulumi.ComponentResourceOptions) {
    super("ksail:components:Kyverno", name, {}, opts);
    const context = contextOf(args);
    this.release = chartRelease(this, `${name}-release`, "kyverno", args, {
      context,
      values: chartValues("kyverno", context),
      atomic: true,
      dependsOn: opts?.dependsOn,
    });
    this.registerOutputs({ status: this.release.status });
  }
}
