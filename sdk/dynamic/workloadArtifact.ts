import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { trampoline } from "./trampoline";
import { KsailError } from "../errors";
import { sha256Digest } from "../clients/oci/client";
import { artifactSource, ArtifactSourceError, packTar, sourceLabel } from "../workload/artifact";

const provider = trampoline(path.join(__dirname, "workloadArtifact.impl.js"), "handler", [
  "check",
  "diff",
  "create",
  "read",
  "update",
  "delete",
]);

export interface WorkloadArtifactArgs {
  /**
   * `host[:port]` of the registry, as the machine running Pulumi reaches it: `localhost:5050` for a Docker
   * cluster's local registry.
   * Applied in place: the artifact is pushed to the new registry (replaces this resource; the old tag stays).
   */
  registry: pulumi.Input<string>;
  /**
   * Repository inside the registry, e.g. `k8s`.
   * Applied in place: the artifact is pushed to the new repository (replaces this resource; the old tag stays).
   */
  repository: pulumi.Input<string>;
  /**
   * Tag the GitOps engine follows.
   * Applied in place: the artifact is pushed under the new tag (replaces this resource; the old tag stays).
   * @default "dev"
   */
  tag?: pulumi.Input<string>;
  /**
   * Directory of Kubernetes manifests, read when the program runs (so the preview knows whether it changed).
   * Every `.yaml`, `.yml` and `.json` file under it is packed.
   * Applied in place: a changed file is pushed (the path itself is not compared, only what it holds).
   * @default "k8s"
   */
  sourceDirectory?: string;
  /**
   * When the source directory does not exist: push an empty kustomization (as KSail does for a new cluster, so
   * the GitOps engine finds an artifact and reports Ready) instead of failing. Pushing it prunes everything the
   * engine applied from this tag: keep it off for a registry that other pipelines push to.
   * Applied in place.
   * @default false
   */
  emptyWhenMissing?: boolean;
  /**
   * Registry user (kept secret).
   * Applied in place (pushed again with it).
   * @default anonymous
   */
  username?: pulumi.Input<string>;
  /**
   * Registry password or token (kept secret).
   * Applied in place (pushed again with it).
   * @default anonymous
   */
  password?: pulumi.Input<string>;
  /**
   * Plain HTTP or HTTPS.
   * Applied in place (pushed again).
   * @default "http" for loopback registries, else "https"
   */
  scheme?: "http" | "https";
  /**
   * Skip TLS verification (a registry with a self-signed certificate).
   * Applied in place (pushed again).
   * @default false
   */
  insecureSkipVerify?: boolean;
  /**
   * Per-request timeout in seconds.
   * Applied in place (used from the next push or refresh on).
   * @default 60
   */
  requestTimeoutSeconds?: number;
}

/**
 * The manifests of a directory pushed as the OCI artifact a GitOps engine syncs from, packed as KSail's
 * `workload push` packs them (one gzip tar layer, KSail's labels) but byte-for-byte reproducible: the same files
 * give the same artifact, so `pulumi preview` shows an update of this resource exactly when a manifest changed,
 * and nothing when none did. `digest` is the pushed manifest digest; give it to the engine (KSailCluster pins
 * Flux's OCIRepository and Argo CD's Application to it), so a push is reconciled without `kubectl`.
 *
 * Destroying it leaves the tag in the registry.
 *
 * @example
 * ```ts
 * const manifests = new WorkloadArtifact("apps", { registry: "ghcr.io", repository: "acme/apps", tag: "prod",
 *   sourceDirectory: "k8s", username: "bot", password: config.requireSecret("ghcrToken") });
 * export const digest = manifests.digest;
 * ```
 */
export class WorkloadArtifact extends pulumi.dynamic.Resource {
  /** Manifest digest the tag resolves to after the push (`sha256:…`). */
  declare readonly digest: pulumi.Output<string>;
  /** sha256 of the uncompressed tar: the content's identity. */
  declare readonly contentDigest: pulumi.Output<string>;
  /** The files in the artifact, relative to the source directory. */
  declare readonly files: pulumi.Output<string[]>;

  constructor(name: string, args: WorkloadArtifactArgs, opts?: pulumi.CustomResourceOptions) {
    const dir = path.resolve(args.sourceDirectory ?? "k8s");
    let src: ReturnType<typeof artifactSource>;
    try {
      src = artifactSource(dir, { emptyWhenMissing: args.emptyWhenMissing });
    } catch (err) {
      if (err instanceof ArtifactSourceError) throw new KsailError([{ path: "spec.workload.sourceDirectory", message: err.message }]);
      throw err;
    }
    const contentDigest = packTar(src.files).then(sha256Digest);
    super(
      provider,
      name,
      {
        registry: args.registry,
        repository: args.repository,
        tag: args.tag ?? "dev",
        sourceDirectory: dir,
        source: sourceLabel(dir),
        contentDigest,
        empty: src.empty,
        username: args.username === undefined ? undefined : pulumi.secret(args.username),
        password: args.password === undefined ? undefined : pulumi.secret(args.password),
        scheme: args.scheme,
        insecureSkipVerify: args.insecureSkipVerify,
        timeoutMs: args.requestTimeoutSeconds === undefined ? undefined : args.requestTimeoutSeconds * 1000,
        digest: undefined,
        pushedDigest: undefined,
        files: undefined,
      },
      { ...opts, additionalSecretOutputs: [...(opts?.additionalSecretOutputs ?? []), "username", "password"] },
      "ksail",
      "WorkloadArtifact",
    );
  }
}
