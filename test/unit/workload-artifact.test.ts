// L0: the workload artifact's layout, media types and labels as KSail's `workload push` builds them
// (devantler-tech/ksail pkg/client/oci/builder_impl.go: newManifestLayer, collectManifestFiles, buildImage),
// with OCI manifest and config media types where KSail inherits Docker schema 2 ones from
// go-containerregistry's empty.Image (pkg/v1/empty/image.go; skopeo refuses that mix, see
// test/protocol/oci-registry.test.ts), and determinism: the same tree gives the same digest.
import { describe, test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as zlib from "node:zlib";
import { ArtifactSourceError, buildArtifact, collectManifestFiles, contentDigestOf } from "../../sdk/workload/artifact";
import { sha256Digest } from "../../sdk/clients/oci/client";
import { repoRoot } from "../harness/paths";
import { tarEntries } from "../harness/tarball";

const TREE = path.join(repoRoot(), "test/fixtures/workload/tree");
const LABELS = { repository: "k8s", tag: "dev", registryEndpoint: "localhost:5050", source: "k8s" };

function copyTree(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ksail-artifact-"));
  fs.cpSync(TREE, path.join(dir, "k8s"), { recursive: true });
  return path.join(dir, "k8s");
}

describe("workload artifact (KSail's layout)", () => {
  test("files: .yaml/.yml/.json only, sorted, relative paths with no directory prefix", () => {
    const files = collectManifestFiles(TREE).map((f) => f.path);
    assert.deepEqual(files, [
      "apps/deployment.yaml",
      "apps/kustomization.yaml",
      "apps/namespace.yaml",
      "infrastructure/configmap.json",
      "infrastructure/kustomization.yaml",
      "kustomization.yaml",
    ]);
  });

  test("one gzip tar layer: regular files at the archive root, mode 0644, mtime 0, owner 0", async () => {
    const a = await buildArtifact(collectManifestFiles(TREE), LABELS);
    const entries = await tarEntries(a.layer);
    assert.deepEqual(
      entries.map((e) => e.name),
      a.files,
    );
    for (const e of entries) {
      assert.equal(e.type, "file");
      assert.equal(e.mode, 0o644);
      assert.equal(e.mtime, 0);
      assert.equal(e.uid, 0);
      assert.equal(e.gid, 0);
    }
    assert.equal(
      entries.find((e) => e.name === "apps/namespace.yaml")?.content,
      fs.readFileSync(path.join(TREE, "apps/namespace.yaml"), "utf8"),
    );
  });

  test("manifest and config: OCI media types, OCI gzip layer, KSail's labels", async () => {
    const a = await buildArtifact(collectManifestFiles(TREE), LABELS);
    const m = JSON.parse(a.manifest.toString("utf8"));
    assert.equal(m.schemaVersion, 2);
    assert.equal(m.mediaType, "application/vnd.oci.image.manifest.v1+json");
    assert.equal(m.config.mediaType, "application/vnd.oci.image.config.v1+json");
    assert.deepEqual(m.config, { mediaType: m.config.mediaType, size: a.config.length, digest: sha256Digest(a.config) });
    assert.deepEqual(m.layers, [
      { mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", size: a.layer.length, digest: sha256Digest(a.layer) },
    ]);
    const c = JSON.parse(a.config.toString("utf8"));
    assert.deepEqual(c.config.Labels, {
      "devantler.tech/ksail/registryEndpoint": "localhost:5050",
      "devantler.tech/ksail/repository": "k8s",
      "org.opencontainers.image.source": "k8s",
      "org.opencontainers.image.title": "k8s",
      "org.opencontainers.image.version": "dev",
    });
    assert.deepEqual(c.rootfs, { type: "layers", diff_ids: [sha256Digest(zlib.gunzipSync(a.layer))] });
    assert.equal(c.created, undefined, "no creation time: the digest depends on content only");
    assert.equal(a.manifestDigest, sha256Digest(a.manifest));
  });

  test("deterministic: the same tree gives the same digests; mtimes do not matter; a content change does", async () => {
    const dir = copyTree();
    try {
      const a1 = await buildArtifact(collectManifestFiles(dir), LABELS);
      const past = new Date("2001-01-01T00:00:00Z");
      fs.utimesSync(path.join(dir, "apps/deployment.yaml"), past, past);
      const a2 = await buildArtifact(collectManifestFiles(dir), LABELS);
      assert.equal(a2.manifestDigest, a1.manifestDigest);
      assert.equal(a2.contentDigest, a1.contentDigest);
      assert.equal((await contentDigestOf(dir)).digest, a1.contentDigest);
      fs.appendFileSync(path.join(dir, "apps/deployment.yaml"), "# changed\n");
      const a3 = await buildArtifact(collectManifestFiles(dir), LABELS);
      assert.notEqual(a3.contentDigest, a1.contentDigest);
      assert.notEqual(a3.manifestDigest, a1.manifestDigest);
      // a different tag changes the config label, so the manifest digest, but not the content identity
      const a4 = await buildArtifact(collectManifestFiles(dir), { ...LABELS, tag: "v2" });
      assert.equal(a4.contentDigest, a3.contentDigest);
      assert.notEqual(a4.manifestDigest, a3.manifestDigest);
    } finally {
      fs.rmSync(path.dirname(dir), { recursive: true, force: true });
    }
  });

  test("KSail's refusals: an empty manifest file, no manifests, a missing directory", async () => {
    const dir = copyTree();
    try {
      fs.writeFileSync(path.join(dir, "apps/empty.yaml"), "");
      assert.throws(
        () => collectManifestFiles(dir),
        (e: Error) => e instanceof ArtifactSourceError && /apps\/empty\.yaml is empty/.test(e.message),
      );
      fs.rmSync(dir, { recursive: true });
      assert.throws(() => collectManifestFiles(dir), /does not exist/);
      fs.mkdirSync(dir);
      fs.writeFileSync(path.join(dir, "README.md"), "x");
      await assert.rejects(() => contentDigestOf(dir), /no manifest files/);
    } finally {
      fs.rmSync(path.dirname(dir), { recursive: true, force: true });
    }
  });
});
