import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { dockerConfigSecret, RegistryCredentials, sopsAgeSecret } from "./gitopsSecrets";
import { chartRelease, contextOf, InstallerArgs } from "./release";
import { chartValues, fluxInstanceSpec, fluxSecretNames } from "./values";
import type { GitOpsSource } from "../plan/components";
import { charts } from "../versions";

export interface FluxArgs extends InstallerArgs {
  /**
   * Where Flux syncs from: the cluster's local registry, an external OCI registry or a Git repository. Without
   * it only the operator is installed. Applied in place (the FluxInstance is updated).
   * @default no FluxInstance
   */
  readonly source?: GitOpsSource;
  /**
   * Credentials for an external source; creates the `ksail-registry-credentials` pull secret in `flux-system`
   * and references it from the sync. Applied in place.
   * @default none (anonymous pull)
   */
  readonly registryCredentials?: RegistryCredentials;
  /**
   * Age private key for SOPS; creates Secret `flux-system/sops-age` and enables decryption on the root
   * Kustomization. Applied in place.
   * @default no SOPS decryption
   */
  readonly sopsAgeKey?: pulumi.Input<string>;
  /** Flux distribution version the FluxInstance installs. Applied in place. @default "2.x" */
  readonly distributionVersion?: string;
}

/**
 * Flux through the flux-operator (release `flux-operator` in `flux-system`) and a FluxInstance
 * `flux-system/flux` that installs the Flux controllers and syncs the cluster from `source`. The operator
 * chart and the distribution manifests artifact are pinned as a pair.
 *
 * @example
 * ```ts
 * new Flux("gitops", { source: { type: "oci", url: "ghcr.io/acme/manifests", tag: "prod" } }, { provider });
 * ```
 */
export class Flux extends pulumi.ComponentResource {
  /** The flux-operator release. */
  public readonly release: k8s.helm.v3.Release;
  /** The FluxInstance (undefined without a source). */
  public readonly instance?: k8s.apiextensions.CustomResource;

  constructor(name: string, args: FluxArgs = {}, opts?: pulumi.ComponentResourceOptions) {
    super("ksail:components:Flux", name, {}, opts);
    const context = contextOf(args);
    const ns = charts.fluxOperator.namespace;
    this.release = chartRelease(this, `${name}-operator`, "fluxOperator", args, {
      context,
      values: chartValues("fluxOperator", context),
      atomic: true,
      dependsOn: opts?.dependsOn,
    });
    const deps: pulumi.Resource[] = [this.release];
    if (args.sopsAgeKey !== undefined)
      deps.push(sopsAgeSecret(`${name}-sops-age`, ns, args.sopsAgeKey, { parent: this, dependsOn: [this.release] }));
    const pull = args.registryCredentials !== undefined && args.source !== undefined && args.source.type !== "localRegistry";
    if (pull)
      deps.push(
        dockerConfigSecret(`${name}-pull-secret`, fluxSecretNames.pull, ns, args.registryCredentials!, {
          parent: this,
          dependsOn: [this.release],
        }),
      );
    if (args.source) {
      this.instance = new k8s.apiextensions.CustomResource(
        `${name}-instance`,
        {
          apiVersion: "fluxcd.controlplane.io/v1",
          kind: "FluxInstance",
          metadata: { name: "flux", namespace: ns },
          spec: fluxInstanceSpec(args.source, {
            pullSecret: pull,
            sops: args.sopsAgeKey !== undefined,
            distributionVersion: args.distributionVersion,
          }),
        },
        { parent: this, dependsOn: deps },
      );
    }
    this.registerOutputs({ status: this.release.status });
  }
}
