import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { chartRelease, contextOf, InstallerArgs } from "./release";
import { chartValues } from "./values";

export type GatekeeperArgs = InstallerArgs;

/**
 * OPA Gatekeeper (release `gatekeeper` in `gatekeeper-system`). Webhooks fail open, no CRD-upgrade hook;
 * HA adds 2 replicas, a PDB and spread.
 *
 * @example
 * ```ts
 * new Gatekeeper("policy", {}, { provider });
 * ```
 */
export class Gatekeeper extends pulumi.ComponentResource {
  /** The Helm release. */
  public readonly release: k8s.helm.v3.Release;

  constructor(name: string, args: GatekeeperArgs = {}, opts?: pulumi.ComponentResourceOptions) {
    super("ksail:components:Gatekeeper", name, {}, opts);
    const context = contextOf(args);
    this.release = chartRelease(this, `${name}-release`, "gatekeeper", args, {
      context,
      values: chartValues("gatekeeper", context),
      atomic: true,
      dependsOn: opts?.dependsOn,
    });
    this.registerOutputs({ status: this.release.status });
  }
}
