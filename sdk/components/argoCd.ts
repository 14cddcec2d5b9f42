import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { RegistryCredentials, sopsAgeSecret } from "./gitopsSecrets";
import { chartRelease, contextOf, InstallerArgs } from "./release";
import { argoApplicationSpec, chartValues, resolveSource } from "./values";
import type { GitOpsSource } from "../plan/components";
import { charts } from "../versions";

export interface ArgoCdArgs extends InstallerArgs {
  /**
   * Where the `ksail` Application syncs from (local registry, external OCI registry or Git). Applied in place.
   * @default no repository secret and no Application
   */
  readonly source?: GitOpsSource;
  /**
   * Digest of the pushed workload artifact (a `WorkloadArtifact`'s `digest`): the Application's target
   * revision, so every push is synced without a manual refresh. OCI sources only. Applied in place.
   * @default the source's tag
   */
  readonly artifactDigest?: pulumi.Input<string>;
  /** Credentials for the source; stored in the repository secret. Applied in place. @default none */
  readonly registryCredentials?: RegistryCredentials;
  /**
   * Age private key for SOPS: creates Secret `argocd/sops-age` and adds the `kustomize-sops` config management
   * plugin (sidecar on the repo server) that the Application uses. Applied in place (repo server rolls).
   * @default no SOPS plugin
   */
  readonly sopsAgeKey?: pulumi.Input<string>;
}

/**
 * Argo CD (release `argocd` in `argocd`) plus, with a source, the repository secret
 * `argocd/ksail-local-registry-repo` and the Application `argocd/ksail` (automated sync, prune, self-heal).
 *
 * @example
 * ```ts
 * new ArgoCd("gitops", { source: { type: "git", url: "https://github.com/acme/deploy", branch: "main" } }, { provider });
 * ```
 */
export class ArgoCd extends pulumi.ComponentResource {
  /** The Helm release. */
  public readonly release: k8s.helm.v3.Release;
  /** The Application (undefined without a source). */
  public readonly application?: k8s.apiextensions.CustomResource;

  constructor(name: string, args: ArgoCdArgs = {}, opts?: pulumi.ComponentResourceOptions) {
    super("ksail:components:ArgoCd", name, {}, opts);
    const context = contextOf(args);
    const ns = charts.argoCd.namespace;
    const sops = args.sopsAgeKey !== undefined;
    this.release = chartRelease(this, `${name}-release`, "argoCd", args, {
      context,
      values: chartValues("argoCd", context, { sops }),
      atomic: true,
      dependsOn: opts?.dependsOn,
    });
    const deps: pulumi.Resource[] = [this.release];
    if (sops) deps.push(sopsAgeSecret(`${name}-sops-age`, ns, args.sopsAgeKey!, { parent: this, dependsOn: [this.release] }));
    if (args.source) {
      const r = resolveSource(args.source);
      const stringData: Record<string, pulumi.Input<string>> = {
        type: args.source.type === "git" ? "git" : "oci",
        url: r.url,
      };
      if (r.insecure) stringData.insecureOCIForceHttp = "true";
      if (args.registryCredentials) {
        stringData.username = args.registryCredentials.username;
        stringData.password = pulumi.secret(args.registryCredentials.password);
      }
      deps.push(
        new k8s.core.v1.Secret(
          `${name}-repository`,
          {
            metadata: {
              name: "ksail-local-registry-repo",
              namespace: ns,
              labels: { "argocd.argoproj.io/secret-type": "repository" },
            },
            stringData,
          },
          { parent: this, dependsOn: [this.release] },
        ),
      );
      this.application = new k8s.apiextensions.CustomResource(
        `${name}-application`,
        {
          apiVersion: "argoproj.io/v1alpha1",
          kind: "Application",
          metadata: { name: "ksail", namespace: ns },
          spec: pinned(argoApplicationSpec(args.source, { sops }), args.source, args.artifactDigest),
        },
        { parent: this, dependsOn: deps },
      );
    }
    this.registerOutputs({ status: this.release.status });
  }
}

/** The Application spec with its target revision pinned to the artifact digest (only that value waits for the push). */
function pinned(spec: ReturnType<typeof argoApplicationSpec>, source: GitOpsSource, digest: pulumi.Input<string> | undefined) {
  if (digest === undefined || source.type === "git") return spec;
  return { ...spec, source: { ...(spec.source as Record<string, unknown>), targetRevision: digest } };
}
