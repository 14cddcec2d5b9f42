// L3 against real peers: the OCI client pushes the workload artifact to Debian's docker-registry
// (CNCF Distribution 2.8) on 127.0.0.1 — anonymous, htpasswd Basic auth, token auth with a token server
// in this process, and TLS with a test CA — and Debian's skopeo reads it back (inspect, copy to a dir):
// manifest bytes, blob digests and the layer's files must be what was pushed. Also: chunked uploads
// (PATCH + Content-Range), blobs already present are not re-sent, a manifest naming a missing blob is the
// registry's MANIFEST_BLOB_UNKNOWN, 503s are retried, and credential problems are clear errors.
import { after, before, describe, test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as http from "node:http";
import * as os from "node:os";
import * as path from "node:path";
import { OciClient, OciRegistryError, sha256Digest } from "../../sdk/clients/oci/client";
import { TransportError } from "../../sdk/clients/oci/http";
import { buildArtifact, collectManifestFiles, pushArtifact } from "../../sdk/workload/artifact";
import { repoRoot } from "../harness/paths";
import {
  REGISTRY_PASSWORD,
  REGISTRY_USER,
  registrySkipReason,
  skopeo,
  skopeoSkipReason,
  startRegistry,
  type RunningRegistry,
} from "../harness/registry";
import { tarEntries } from "../harness/tarball";

const skip = registrySkipReason();
const skipSkopeo = skip ?? skopeoSkipReason();
const TREE = path.join(repoRoot(), "test/fixtures/workload/tree");

async function artifact(endpoint: string, tag = "dev") {
  return buildArtifact(collectManifestFiles(TREE), { repository: "k8s", tag, registryEndpoint: endpoint, source: "k8s" });
}

describe("OCI client against docker-registry (anonymous, plain HTTP on loopback)", { skip }, () => {
  let reg: RunningRegistry;
  before(async () => {
    reg = await startRegistry("anonymous");
  });
  after(async () => reg?.stop());

  test("push, then skopeo reads the same manifest, config and layer; the layer holds the tree's files", { skip: skipSkopeo }, async () => {
    const client = new OciClient({ registry: reg.endpoint });
    assert.match(client.baseUrl, /^http:\/\/127\.0\.0\.1:/, "loopback registries are plain HTTP by default");
    const a = await artifact(reg.endpoint);
    const digest = await pushArtifact(client, a, "k8s", "dev");
    assert.equal(digest, a.manifestDigest);
    assert.equal((await client.resolveManifest("k8s", "dev"))?.digest, a.manifestDigest);

    const raw = await skopeo(["inspect", "--tls-verify=false", "--raw", `docker://${reg.endpoint}/k8s:dev`]);
    assert.equal(raw, a.manifest.toString("utf8"));
    const info = JSON.parse(await skopeo(["inspect", "--tls-verify=false", `docker://${reg.endpoint}/k8s:dev`]));
    assert.equal(info.Digest, a.manifestDigest);
    assert.equal(info.Labels["org.opencontainers.image.version"], "dev");
    assert.equal(info.Labels["devantler.tech/ksail/repository"], "k8s");

    const out = fs.mkdtempSync(path.join(os.tmpdir(), "ksail-skopeo-"));
    try {
      await skopeo(["copy", "--src-tls-verify=false", `docker://${reg.endpoint}/k8s:dev`, `dir:${out}`]);
      assert.equal(fs.readFileSync(path.join(out, "manifest.json"), "utf8"), a.manifest.toString("utf8"));
      const layer = fs.readFileSync(path.join(out, a.layerDigest.slice("sha256:".length)));
      const config = fs.readFileSync(path.join(out, a.configDigest.slice("sha256:".length)));
      assert.equal(sha256Digest(layer), a.layerDigest);
      assert.equal(sha256Digest(config), a.configDigest);
      assert.deepEqual(
        (await tarEntries(layer)).map((e) => e.name),
        a.files,
      );
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  });

  test(
    "KSail's media-type mix (Docker schema 2 manifest and config, OCI layer) is refused by skopeo: why the OCI types are used",
    { skip: skipSkopeo },
    async () => {
      const client = new OciClient({ registry: reg.endpoint });
      const a = await artifact(reg.endpoint, "mix");
      await client.pushBlob("mix", a.layer);
      await client.pushBlob("mix", a.config);
      const m = JSON.parse(a.manifest.toString("utf8"));
      m.mediaType = "application/vnd.docker.distribution.manifest.v2+json";
      m.config.mediaType = "application/vnd.docker.container.image.v1+json";
      await client.pushManifest("mix", "dev", Buffer.from(JSON.stringify(m)), m.mediaType);
      await assert.rejects(
        () => skopeo(["inspect", "--tls-verify=false", `docker://${reg.endpoint}/mix:dev`]),
        (e: { stderr?: string }) =>
          /unsupported docker v2s2 media type: \\?"application\/vnd\.oci\.image\.layer\.v1\.tar\+gzip/.test(String(e.stderr)),
      );
    },
  );

  test("a second push of the same tree sends no blob and yields the same digest", async () => {
    const logs: string[] = [];
    const client = new OciClient({ registry: reg.endpoint, log: (m) => logs.push(m) });
    const a = await artifact(reg.endpoint, "again");
    await pushArtifact(client, a, "k8s", "again");
    logs.length = 0;
    const b = await artifact(reg.endpoint, "again");
    assert.equal(await pushArtifact(client, b, "k8s", "again"), a.manifestDigest);
    assert.deepEqual(
      logs.filter((l) => l.startsWith("uploaded")),
      [],
    );
  });

  test("chunked upload (PATCH with Content-Range, closing PUT) stores the exact bytes", async () => {
    const client = new OciClient({ registry: reg.endpoint, chunkSize: 1000 });
    const data = Buffer.from(Array.from({ length: 4321 }, (_, i) => i % 251));
    const r = await client.pushBlob("chunks/test", data);
    assert.equal(r.uploaded, true);
    assert.deepEqual(await client.getBlob("chunks/test", r.digest), data);
    assert.equal(await client.blobExists("chunks/test", r.digest), true);
  });

  test("a manifest naming a blob the repository does not have is refused with MANIFEST_BLOB_UNKNOWN", async () => {
    const client = new OciClient({ registry: reg.endpoint });
    const a = await artifact(reg.endpoint);
    await client.pushBlob("missing/layer", a.config);
    await assert.rejects(
      () => client.pushManifest("missing/layer", "dev", a.manifest, a.manifestMediaType),
      (e: unknown) => e instanceof OciRegistryError && e.status === 400 && e.codes.includes("MANIFEST_BLOB_UNKNOWN"),
    );
  });

  test("503s from a proxy in front of the registry are retried; a blob upload restarts from the existence check", async () => {
    let failures = 2;
    const seen: string[] = [];
    const proxy = http.createServer((req, res) => {
      seen.push(`${req.method} ${req.url?.split("?")[0]}`);
      if (req.method === "POST" && failures > 0) {
        failures--;
        res.writeHead(503, { "Content-Type": "application/json" });
        res.end(JSON.stringify({ errors: [{ code: "UNAVAILABLE", message: "try later" }] }));
        return;
      }
      const up = http.request({ host: "127.0.0.1", port: reg.port, method: req.method, path: req.url, headers: req.headers }, (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      });
      req.pipe(up);
    });
    await new Promise<void>((r) => proxy.listen(0, "127.0.0.1", () => r()));
    try {
      const port = (proxy.address() as { port: number }).port;
      const client = new OciClient({ registry: `127.0.0.1:${port}`, backoffMs: 5, maxAttempts: 4 });
      const data = Buffer.from("retry me");
      const r = await client.pushBlob("retry/test", data);
      assert.equal(r.uploaded, true);
      assert.equal(seen.filter((s) => s.startsWith("POST")).length, 3);
    } finally {
      proxy.closeAllConnections();
      await new Promise((r) => proxy.close(r));
    }
  });

  test("an unreachable registry is a TransportError naming the registry, after the retries", async () => {
    const client = new OciClient({ registry: "127.0.0.1:1", backoffMs: 1, maxAttempts: 2, timeoutMs: 2000 });
    await assert.rejects(
      () => client.ping(),
      (e: unknown) => e instanceof TransportError && /registry 127\.0\.0\.1:1 unreachable after 2 attempt/.test((e as Error).message),
    );
  });
});

describe("OCI client against docker-registry with htpasswd Basic auth", { skip }, () => {
  let reg: RunningRegistry;
  before(async () => {
    reg = await startRegistry("basic");
  });
  after(async () => reg?.stop());

  test("push with credentials; skopeo with the same credentials reads it", { skip: skipSkopeo }, async () => {
    const client = new OciClient({ registry: reg.endpoint, username: REGISTRY_USER, password: REGISTRY_PASSWORD });
    const a = await artifact(reg.endpoint);
    assert.equal(await pushArtifact(client, a, "k8s", "dev"), a.manifestDigest);
    const info = JSON.parse(
      await skopeo([
        "inspect",
        "--tls-verify=false",
        "--creds",
        `${REGISTRY_USER}:${REGISTRY_PASSWORD}`,
        `docker://${reg.endpoint}/k8s:dev`,
      ]),
    );
    assert.equal(info.Digest, a.manifestDigest);
  });

  test("no credentials, or a wrong password: a 401 error that says which", async () => {
    const a = await artifact(reg.endpoint);
    await assert.rejects(
      () => pushArtifact(new OciClient({ registry: reg.endpoint }), a, "k8s", "dev"),
      (e: unknown) => e instanceof OciRegistryError && e.status === 401 && /asks for Basic credentials and none were given/.test(e.message),
    );
    await assert.rejects(
      () => pushArtifact(new OciClient({ registry: reg.endpoint, username: REGISTRY_USER, password: "wrong" }), a, "k8s", "dev"),
      (e: unknown) => e instanceof OciRegistryError && e.status === 401 && /rejected/.test(e.message),
    );
  });
});

describe("OCI client against docker-registry with token auth (Bearer challenge, token server)", { skip }, () => {
  let reg: RunningRegistry;
  before(async () => {
    reg = await startRegistry("token");
  });
  after(async () => reg?.stop());

  test(
    "push: the client follows the Bearer challenge, asks for repository:k8s:pull,push with Basic credentials",
    { skip: skipSkopeo },
    async () => {
      const client = new OciClient({ registry: reg.endpoint, username: REGISTRY_USER, password: REGISTRY_PASSWORD });
      const a = await artifact(reg.endpoint);
      assert.equal(await pushArtifact(client, a, "k8s", "dev"), a.manifestDigest);
      assert.ok(
        reg.tokenRequests.some((r) => r.scope === "repository:k8s:pull,push" && r.service === "ksail-test-registry" && r.authorized),
      );
      const info = JSON.parse(
        await skopeo([
          "inspect",
          "--tls-verify=false",
          "--creds",
          `${REGISTRY_USER}:${REGISTRY_PASSWORD}`,
          `docker://${reg.endpoint}/k8s:dev`,
        ]),
      );
      assert.equal(info.Digest, a.manifestDigest);
    },
  );

  test("the token server refusing the credentials is an error naming it", async () => {
    const a = await artifact(reg.endpoint);
    await assert.rejects(
      () => pushArtifact(new OciClient({ registry: reg.endpoint, username: REGISTRY_USER, password: "wrong" }), a, "k8s", "dev"),
      (e: unknown) =>
        e instanceof OciRegistryError && /token server .* refused a token for repository:k8s:pull,push \(HTTP 401/.test(e.message),
    );
  });
});

describe("OCI client against docker-registry over TLS (test CA)", { skip }, () => {
  let reg: RunningRegistry;
  before(async () => {
    reg = await startRegistry("tls");
  });
  after(async () => reg?.stop());

  test("push over HTTPS trusting the test CA; without it the TLS failure is reported", async () => {
    const a = await artifact(reg.endpoint);
    const client = new OciClient({ registry: reg.endpoint, scheme: "https", ca: reg.caPem });
    assert.equal(await pushArtifact(client, a, "k8s", "dev"), a.manifestDigest);
    await assert.rejects(
      () => new OciClient({ registry: reg.endpoint, scheme: "https", maxAttempts: 1 }).ping(),
      (e: unknown) => e instanceof TransportError && /self[- ]signed|certificate/i.test((e as Error).message),
    );
  });
});
