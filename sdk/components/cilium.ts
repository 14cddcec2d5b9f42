import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { chartRelease, contextOf, InstallerArgs } from "./release";
import { chartValues } from "./values";
import { manifests } from "../versions";

export interface CiliumArgs extends InstallerArgs {
  /**
   * Apply the experimental Gateway API CRDs (v1.5.1, needed for TLSRoute) before the chart. They are a
   * `yaml.v2.ConfigFile` read by the Kubernetes provider from the release URL: in a preview of a new cluster the
   * provider is unknown and the file is not read (the component shows alone); against an existing cluster the
   * provider fetches the URL while previewing. Applied in place.
   * @default true
   */
  readonly gatewayApiCrds?: boolean;
}

/**
 * Cilium CNI (release `cilium` in `kube-system`), with the Gateway API CRDs applied first. On Talos it
 * uses KubePrism (`localhost:7445`) and kube-proxy replacement. A failed install is kept (not rolled back):
 * rolling back a CNI mid-upgrade would cut node networking.
 *
 * @example
 * ```ts
 * new Cilium("cni", { context: { distribution: "Talos", provider: "Docker", nodeCount: 1, cni: "Cilium", loadBalancerEnabled: false } }, { provider });
 * ```
 */
export class Cilium extends pulumi.ComponentResource {
  /** The Gateway API CRDs (undefined when disabled). */
  public readonly gatewayApiCrds?: k8s.yaml.v2.ConfigFile;
  /** The Helm release. */
  public readonly release: k8s.helm.v3.Release;

  constructor(name: string, args: CiliumArgs = {}, opts?: pulumi.ComponentResourceOptions) {
    super("ksail:components:Cilium", name, {}, opts);
    const context = contextOf(args);
    if (args.gatewayApiCrds ?? true) {
      this.gatewayApiCrds = new k8s.yaml.v2.ConfigFile(
        `${name}-gateway-api-crds`,
        { file: manifests.gatewayApiCrds.url },
        { parent: this, dependsOn: opts?.dependsOn },
      );
    }
    this.release = chartRelease(this, `${name}-release`, "cilium", args, {
      context,
      values: chartValues("cilium", context),
      atomic: false,
      dependsOn: this.gatewayApiCrds ? [this.gatewayApiCrds] : opts?.dependsOn,
    });
    this.registerOutputs({ status: this.release.status });
  }
}
