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
  /**
   * Digest of the pushed workload artifact (a `WorkloadArtifact`'s `digest`): the generated OCIRepository is
   * pinned to it, so every push is reconciled at once without `flux reconcile`. OCI sources only. Applied in
   * place (the FluxInstance is updated).
   * @default the source's tag, polled every minute
   */
  readonly artifactDigest?: pulumi.Input<string>;
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
      this.instance = fluxInstance(
        `${name}-instance`,
        args.source,
        {
          pullSecret: pull,
          sops: args.sopsAgeKey !== undefined,
          distributionVersion: args.distributionVersion,
          artifactDigest: args.artifactDigest,
        },
        { parent: this, dependsOn: deps },
      );
    }
    this.registerOutputs({ status: this.release.status });
  }
}

/**
 * The FluxInstance `flux-system/flux` syncing from `source`; with `artifactDigest`, its OCIRepository is pinned
 * to that digest (known only after the push, so a preview shows the instance as updated whenever the artifact is).
 */
export function fluxInstance(
  name: string,
  source: GitOpsSource,
  o: { pullSecret: boolean; sops: boolean; distributionVersion?: string; artifactDigest?: pulumi.Input<string> },
  opts: pulumi.CustomResourceOptions,
): k8s.apiextensions.CustomResource {
  const spec = fluxInstanceSpec(source, {
    pullSecret: o.pullSecret,
    sops: o.sops,
    distributionVersion: o.distributionVersion,
    digest: o.artifactDigest === undefined ? undefined : DIGEST_SLOT,
  });
  // Only the pin waits for the push: the rest of the spec stays known in a preview.
  const kustomize = spec.kustomize as { patches: { target: unknown; patch: string }[] } | undefined;
  const patches = kustomize?.patches.map((p) =>
    p.patch.includes(DIGEST_SLOT) ? { ...p, patch: pulumi.output(o.artifactDigest!).apply((d) => p.patch.replace(DIGEST_SLOT, d)) } : p,
  );
  return new k8s.apiextensions.CustomResource(
    name,
    {
      apiVersion: "fluxcd.controlplane.io/v1",
      kind: "FluxInstance",
      metadata: { name: "flux", namespace: charts.fluxOperator.namespace },
      spec: patches ? { ...spec, kustomize: { ...kustomize, patches } } : spec,
    },
    opts,
  );
}

/** Stands for the artifact digest while the spec is built. */
const DIGEST_SLOT = "ksail-artifact-digest-slot";
