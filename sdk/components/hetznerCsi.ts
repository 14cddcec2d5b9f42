import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { hcloudSecret } from "./hcloudSecret";
import { chartRelease, contextOf, InstallerArgs } from "./release";
import { hcloudCsiValues, type HcloudValuesSettings } from "./values";

export interface HetznerCsiArgs extends InstallerArgs {
  /**
   * Hetzner Cloud API token. When given, the component creates Secret `kube-system/hcloud`; leave it out when
   * the secret already exists. Applied in place.
   * @default no secret is created
   */
  readonly hcloudToken?: pulumi.Input<string>;
  /** Private network name stored beside the token. Applied in place. @default none */
  readonly networkName?: pulumi.Input<string>;
  /**
   * Talos on Hetzner: the labels every new volume carries (KSailCluster passes the cluster's, so a destroy removes
   * its volumes). Applied in place (new volumes only).
   * @default no extra labels
   */
  readonly hcloud?: HcloudValuesSettings;
}

/**
 * Hetzner Cloud CSI driver (release `hcloud-csi` in `kube-system`). Install it after the CCM has
 * initialised the nodes (KSailCluster gates it on the CCM's `instance.hetzner.cloud/provided-by` label).
 *
 * @example
 * ```ts
 * new HetznerCsi("csi", {}, { provider, dependsOn: [ccm] });
 * ```
 */
export class HetznerCsi extends pulumi.ComponentResource {
  /** The Helm release. */
  public readonly release: k8s.helm.v3.Release;

  constructor(name: string, args: HetznerCsiArgs = {}, opts?: pulumi.ComponentResourceOptions) {
    super("ksail:components:HetznerCsi", name, {}, opts);
    const context = contextOf(args);
    const secret =
      args.hcloudToken !== undefined
        ? hcloudSecret(
            `${name}-secret`,
            { token: args.hcloudToken, network: args.networkName },
            { parent: this, dependsOn: opts?.dependsOn },
          )
        : undefined;
    this.release = chartRelease(this, `${name}-release`, "hcloudCsi", args, {
      context,
      values: hcloudCsiValues(context, { hcloud: args.hcloud }),
      atomic: true,
      dependsOn: secret ? [secret] : opts?.dependsOn,
    });
    this.registerOutputs({ status: this.release.status });
  }
}
