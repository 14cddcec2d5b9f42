import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { hcloudSecret } from "./hcloudSecret";
import { chartRelease, contextOf, InstallerArgs } from "./release";
import { hcloudCcmValues, type HcloudValuesSettings } from "./values";

export interface HcloudCcmArgs extends InstallerArgs {
  /**
   * Hetzner Cloud API token. When given, the component creates Secret `kube-system/hcloud`; leave it out when
   * the secret already exists (KSailCluster creates it once for CCM, CSI and autoscaler). Applied in place.
   * @default no secret is created
   */
  readonly hcloudToken?: pulumi.Input<string>;
  /**
   * Private network name; enables CCM networking (node addresses, load balancers on private targets; no routes: the
   * CNI tunnels pod traffic). Applied in place.
   * @default no private networking
   */
  readonly networkName?: pulumi.Input<string>;
  /**
   * Talos on Hetzner: where Service load balancers go and whether the CCM creates them at all (KSailCluster passes
   * the plan's). Applied in place.
   * @default load balancers with no location (the CCM then needs per-Service annotations)
   */
  readonly hcloud?: HcloudValuesSettings;
}

/**
 * Hetzner Cloud controller manager (release `hcloud-cloud-controller-manager` in `kube-system`): node
 * initialisation (removes the `uninitialized` taint), routes and LoadBalancer Services.
 *
 * @example
 * ```ts
 * new HcloudCcm("ccm", { hcloudToken: cfg.requireSecret("hcloudToken"), networkName: "prod-network" }, { provider });
 * ```
 */
export class HcloudCcm extends pulumi.ComponentResource {
  /** The Helm release. */
  public readonly release: k8s.helm.v3.Release;

  constructor(name: string, args: HcloudCcmArgs = {}, opts?: pulumi.ComponentResourceOptions) {
    super("ksail:components:HcloudCcm", name, {}, opts);
    const context = contextOf(args);
    const secret =
      args.hcloudToken !== undefined
        ? hcloudSecret(
            `${name}-secret`,
            { token: args.hcloudToken, network: args.networkName },
            { parent: this, dependsOn: opts?.dependsOn },
          )
        : undefined;
    this.release = chartRelease(this, `${name}-release`, "hcloudCcm", args, {
      context,
      values: hcloudCcmValues(context, { networkEnabled: args.networkName !== undefined, hcloud: args.hcloud }),
      atomic: true,
      dependsOn: secret ? [secret] : opts?.dependsOn,
    });
    this.registerOutputs({ status: this.release.status });
  }
}
