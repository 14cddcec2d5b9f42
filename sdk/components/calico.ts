import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { chartRelease, contextOf, InstallerArgs } from "./release";
import { chartValues } from "./values";

export type CalicoArgs = InstallerArgs;

const privileged = {
  "pod-security.kubernetes.io/enforce": "privileged",
  "pod-security.kubernetes.io/audit": "privileged",
  "pod-security.kubernetes.io/warn": "privileged",
};

/**
 * Calico CNI: the CRD chart (release `calico-crds`) first, then the tigera-operator (release `calico`),
 * both in `tigera-operator` and without a Helm wait (the operator rolls Calico out after Helm returns;
 * readiness is the cluster's node check). On Talos the `tigera-operator` and `calico-system` namespaces are
 * created with privileged pod security first. The API server needs the MutatingAdmissionPolicy feature
 * gate (set by the distribution configs). `version` applies to both charts.
 *
 * @example
 * ```ts
 * new Calico("cni", {}, { provider });
 * ```
 */
export class Calico extends pulumi.ComponentResource {
  /** The CRD release. */
  public readonly crds: k8s.helm.v3.Release;
  /** The operator release. */
  public readonly release: k8s.helm.v3.Release;

  constructor(name: string, args: CalicoArgs = {}, opts?: pulumi.ComponentResourceOptions) {
    super("ksail:components:Calico", name, {}, opts);
    const context = contextOf(args);
    let deps = opts?.dependsOn;
    if (context.distribution === "Talos") {
      deps = ["tigera-operator", "calico-system"].map(
        (ns) =>
          new k8s.core.v1.Namespace(
            `${name}-ns-${ns}`,
            { metadata: { name: ns, labels: privileged } },
            { parent: this, dependsOn: opts?.dependsOn },
          ),
      );
    }
    const { values: _v, ...crdArgs } = args;
    void _v;
    this.crds = chartRelease(this, `${name}-crds`, "calicoCrds", crdArgs, {
      context,
      values: chartValues("calicoCrds", context),
      atomic: false,
      dependsOn: deps,
    });
    this.release = chartRelease(this, `${name}-release`, "calico", args, {
      context,
      values: chartValues("calico", context),
      atomic: false,
      dependsOn: [this.crds],
    });
    this.registerOutputs({ status: this.release.status });
  }
}
