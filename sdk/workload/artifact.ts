/**
 * The workload artifact as KSail's `workload push` builds it (pkg/client/oci/builder_impl.go in
 * devantler-tech/ksail): every non-empty `.yaml`/`.yml`/`.json` file under the source directory, sorted,
 * at its path relative to that directory (no directory entries, no `<dir>/` prefix), mode 0644, in one
 * gzip tar layer of media type `application/vnd.oci.image.layer.v1.tar+gzip`; an image config carrying
 * the labels `org.opencontainers.image.{title,version,source}` and
 * `devantler.tech/ksail/{repository,registryEndpoint}`.
 *
 * Manifest and config are OCI (`application/vnd.oci.image.manifest.v1+json`,
 * `application/vnd.oci.image.config.v1+json`). KSail builds on go-containerregistry's `empty.Image`, whose
 * manifest and config are Docker schema 2, and appends the OCI layer to it; containers/image (skopeo,
 * Podman, CRI-O) refuses that mix ("unsupported docker v2s2 media type"), Flux and Argo CD read both, so
 * the consistent OCI types are used here (a test shows skopeo refusing the mix).
 *
 * Deliberate differences, so that the same tree always gives the same digest (a Pulumi resource must not
 * show a change when nothing changed): tar entries have mtime 0 and uid/gid 0 (KSail copies each file's
 * mtime and owner), the config has no `created` time and a fixed platform (KSail writes the push time and
 * the pushing machine's GOOS/GOARCH), and the `source` label is the source directory as configured
 * (KSail writes the absolute path of the pushing machine). Flux and Argo CD read none of these.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as zlib from "node:zlib";
import { MEDIA_TYPES, sha256Digest } from "../clients/oci/client";

export const MANIFEST_EXTENSIONS = [".yaml", ".yml", ".json"] as const;

export interface ArtifactFile {
  /** Path inside the artifact: relative to the source directory, forward slashes. */
  readonly path: string;
  readonly content: Buffer;
}

/** A manifest tree KSail would refuse to push (empty file, nothing to push, missing directory). */
export class ArtifactSourceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ArtifactSourceError";
  }
}

/**
 * The files KSail packs: regular files (symlinks followed) with a manifest extension (case-insensitive),
 * sorted by path. An empty manifest file is an error, as in KSail.
 */
export function collectManifestFiles(sourceDirectory: string): ArtifactFile[] {
  const root = path.resolve(sourceDirectory);
  let st: fs.Stats;
  try {
    st = fs.statSync(root);
  } catch {
    throw new ArtifactSourceError(`source directory ${sourceDirectory} does not exist`);
  }
  if (!st.isDirectory()) throw new ArtifactSourceError(`source directory ${sourceDirectory} is not a directory`);
  const out: ArtifactFile[] = [];
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        walk(full);
        continue;
      }
      if (!MANIFEST_EXTENSIONS.includes(path.extname(entry.name).toLowerCase() as (typeof MANIFEST_EXTENSIONS)[number])) continue;
      const s = fs.statSync(full);
      if (!s.isFile()) continue;
      if (s.size === 0)
        throw new ArtifactSourceError(
          `manifest file ${path.relative(process.cwd(), full) || full} is empty (KSail refuses to push empty manifests)`,
        );
      out.push({ path: path.relative(root, full).split(path.sep).join("/"), content: fs.readFileSync(full) });
    }
  };
  walk(root);
  out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return out;
}

/** The empty kustomization KSail pushes when a cluster has no source directory yet. */
export const EMPTY_KUSTOMIZATION: ArtifactFile = {
  path: "kustomization.yaml",
  content: Buffer.from("apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: []\n"),
};

/** A ustar tar of the files: mtime 0, uid/gid 0, mode 0644, regular files only (tar-stream). */
export async function packTar(files: readonly ArtifactFile[]): Promise<Buffer> {
  // tar-stream is loaded here so that commands not packing anything never load it.
  const tar = require("tar-stream") as typeof import("tar-stream");
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  const done = new Promise<Buffer>((resolve, reject) => {
    pack.on("data", (c: unknown) => void chunks.push(c as Buffer));
    pack.on("end", () => resolve(Buffer.concat(chunks)));
    pack.on("error", reject);
  });
  for (const f of files) {
    await new Promise<void>((resolve, reject) =>
      pack.entry(
        { name: f.path, size: f.content.length, mode: 0o644, mtime: new Date(0), uid: 0, gid: 0, type: "file" },
        f.content,
        (err) => (err ? reject(err) : resolve()),
      ),
    );
  }
  pack.finalize();
  return done;
}

export interface ArtifactLabels {
  /** Repository inside the registry (`k8s` for the default source directory). */
  readonly repository: string;
  /** Tag (`spec.workload.tag`). */
  readonly tag: string;
  /** `host[:port]` the artifact is pushed to. */
  readonly registryEndpoint: string;
  /** The source directory as configured. */
  readonly source: string;
}

export interface BuiltArtifact {
  readonly files: readonly string[];
  /** sha256 of the uncompressed tar (the layer's diff_id): the content identity, independent of gzip. */
  readonly contentDigest: string;
  readonly layer: Buffer;
  readonly layerDigest: string;
  readonly config: Buffer;
  readonly configDigest: string;
  readonly manifest: Buffer;
  /** The manifest digest: what Flux and Argo CD resolve the tag to. */
  readonly manifestDigest: string;
  readonly manifestMediaType: string;
}

/** KSail's config labels for an artifact. */
export function artifactLabels(l: ArtifactLabels, empty = false): Record<string, string> {
  const labels: Record<string, string> = {
    "devantler.tech/ksail/registryEndpoint": l.registryEndpoint,
    "devantler.tech/ksail/repository": l.repository,
    "org.opencontainers.image.title": l.repository,
    "org.opencontainers.image.version": l.tag,
  };
  if (empty) labels["devantler.tech/ksail/empty"] = "true";
  else labels["org.opencontainers.image.source"] = l.source;
  return Object.fromEntries(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : 1)));
}

/** Builds layer, config and manifest for files (deterministic: the same files give the same bytes). */
export async function buildArtifact(
  files: readonly ArtifactFile[],
  labels: ArtifactLabels,
  opts: { empty?: boolean } = {},
): Promise<BuiltArtifact> {
  if (files.length === 0) throw new ArtifactSourceError(`no manifest files (.yaml, .yml, .json) in ${labels.source}`);
  const tarBytes = await packTar(files);
  const contentDigest = sha256Digest(tarBytes);
  const layer = zlib.gzipSync(tarBytes, { level: 9 });
  const layerDigest = sha256Digest(layer);
  const config = Buffer.from(
    JSON.stringify({
      architecture: "amd64",
      os: "linux",
      rootfs: { type: "layers", diff_ids: [contentDigest] },
      config: { Labels: artifactLabels(labels, opts.empty === true) },
    }),
  );
  const configDigest = sha256Digest(config);
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MEDIA_TYPES.ociManifest,
      config: { mediaType: MEDIA_TYPES.ociConfig, size: config.length, digest: configDigest },
      layers: [{ mediaType: MEDIA_TYPES.ociLayerGzip, size: layer.length, digest: layerDigest }],
    }),
  );
  return {
    files: files.map((f) => f.path),
    contentDigest,
    layer,
    layerDigest,
    config,
    configDigest,
    manifest,
    manifestDigest: sha256Digest(manifest),
    manifestMediaType: MEDIA_TYPES.ociManifest,
  };
}

/** The content identity of a source directory without building the artifact (sha256 of the tar). */
export async function contentDigestOf(sourceDirectory: string): Promise<{ digest: string; files: string[] }> {
  const files = collectManifestFiles(sourceDirectory);
  if (files.length === 0) throw new ArtifactSourceError(`no manifest files (.yaml, .yml, .json) in ${sourceDirectory}`);
  return { digest: sha256Digest(await packTar(files)), files: files.map((f) => f.path) };
}

/** Anything with the two push calls (the OCI client). */
export interface ArtifactPusher {
  pushBlob(repository: string, data: Buffer): Promise<{ digest: string; uploaded: boolean }>;
  pushManifest(repository: string, reference: string, manifest: Buffer, mediaType: string): Promise<string>;
}

/** Pushes layer and config (skipped when present) and the manifest under the tag; returns the manifest digest. */
export async function pushArtifact(client: ArtifactPusher, artifact: BuiltArtifact, repository: string, tag: string): Promise<string> {
  await client.pushBlob(repository, artifact.layer);
  await client.pushBlob(repository, artifact.config);
  return client.pushManifest(repository, tag, artifact.manifest, artifact.manifestMediaType);
}

/** What gets packed for a source directory: its manifests, or KSail's empty kustomization when it does not exist. */
export interface ArtifactSource {
  readonly files: readonly ArtifactFile[];
  /** No source directory yet: the empty kustomization is pushed (config label `devantler.tech/ksail/empty`). */
  readonly empty: boolean;
}

/**
 * The files pushed for `sourceDirectory`. A directory that does not exist yet is an error, or with
 * `emptyWhenMissing` KSail's empty kustomization (so the GitOps engine finds an artifact and reports Ready); one
 * that exists without manifests is an error.
 */
export function artifactSource(sourceDirectory: string, opts: { emptyWhenMissing?: boolean } = {}): ArtifactSource {
  if (!fs.existsSync(sourceDirectory)) {
    if (opts.emptyWhenMissing) return { files: [EMPTY_KUSTOMIZATION], empty: true };
    throw new ArtifactSourceError(`source directory ${sourceDirectory} does not exist`);
  }
  const files = collectManifestFiles(sourceDirectory);
  if (files.length === 0) throw new ArtifactSourceError(`no manifest files (.yaml, .yml, .json) in ${sourceDirectory}`);
  return { files, empty: false };
}

/**
 * The `org.opencontainers.image.source` label of a source directory: its path relative to the working
 * directory (the Pulumi project) when inside it, so the label is the same on every machine; else its name.
 */
export function sourceLabel(sourceDirectory: string): string {
  const rel = path.relative(process.cwd(), path.resolve(sourceDirectory)).split(path.sep).join("/");
  return rel === "" ? "." : rel.startsWith("..") || path.isAbsolute(rel) ? path.basename(path.resolve(sourceDirectory)) : rel;
}
