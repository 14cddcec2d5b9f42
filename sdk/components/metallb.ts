import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { KsailError } from "../errors";
import { chartRelease, contextOf, InstallerArgs } from "./release";
import { chartValues, metallbAddressRange } from "./values";
import { charts } from "../versions";

export interface MetalLbArgs extends InstallerArgs {
  /**
   * IPv4 subnet of the Docker network the nodes are on — the real one, e.g. the `ipamConfigs[0].subnet` output
   * of the cluster's `docker.Network`. The pool is taken from its top (see `metallbAddressRange`). Applied in
   * place.
   * @default none — required unless `addresses` is given
   */
  readonly dockerNetworkCidr?: pulumi.Input<string>;
  /**
   * Explicit pool addresses (ranges or CIDRs); overrides `dockerNetworkCidr`. Applied in place.
   * @default derived from `dockerNetworkCidr`
   */
  readonly addresses?: pulumi.Input<pulumi.Input<string>[]>;
}

/**
 * MetalLB in L2 mode (release `metallb` in `metallb-system`, labelled privileged): IPAddressPool
 * `default-pool` from the cluster's actual Docker network range and L2Advertisement `default-l2-advert`.
 *
 * @example
 * ```ts
 * new MetalLb("lb", { dockerNetworkCidr: network.ipamConfigs.apply((c) => c[0].subnet!) }, { provider });
 * ```
 */
export class MetalLb extends pulumi.ComponentResource {
  /** The Helm release. */
  public readonly release: k8s.helm.v3.Release;
  /** The addresses the pool hands out. */
  public readonly addresses: pulumi.Output<string[]>;

  constructor(name: string, args: MetalLbArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ksail:components:MetalLb", name, {}, opts);
    if (args.addresses === undefined && args.dockerNetworkCidr === undefined) {
      throw new KsailError([
        {
          path: "MetalLb.dockerNetworkCidr",
          message: "is not set; pass the Docker network's IPv4 subnet (or `addresses`) so the pool lies inside the nodes' network.",
        },
      ]);
    }
    const context = contextOf(args);
    const namespace = new k8s.core.v1.Namespace(
      `${name}-namespace`,
      {
        metadata: {
          name: charts.metallb.namespace,
          labels: {
            "pod-security.kubernetes.io/enforce": "privileged",
            "pod-security.kubernetes.io/audit": "privileged",
            "pod-security.kubernetes.io/warn": "privileged",
          },
        },
      },
      { parent: this, dependsOn: opts?.dependsOn },
    );
    this.release = chartRelease(this, `${name}-release`, "metallb", args, {
      context,
      values: chartValues("metallb", context),
      atomic: true,
      dependsOn: [namespace],
    });
    this.addresses =
      args.addresses !== undefined
        ? pulumi.output(args.addresses)
        : pulumi.output(args.dockerNetworkCidr!).apply((cidr) => [metallbAddressRange(cidr)]);
    new k8s.apiextensions.CustomResource(
      `${name}-pool`,
      {
        apiVersion: "metallb.io/v1beta1",
        kind: "IPAddressPool",
        metadata: { name: "default-pool", namespace: charts.metallb.namespace },
        spec: { addresses: this.addresses },
      },
      { parent: this, dependsOn: [this.release] },
    );
    new k8s.apiextensions.CustomResource(
      `${name}-l2-advertisement`,
      {
        apiVersion: "metallb.io/v1beta1",
        kind: "L2Advertisement",
        metadata: { name: "default-l2-advert", namespace: charts.metallb.namespace },
        spec: { ipAddressPools: ["default-pool"] },
      },
      { parent: this, dependsOn: [this.release] },
    );
    this.registerOutputs({ status: this.release.status, addresses: this.addresses });
  }
}
