// L2 + L3 real peer: WorkloadArtifact's serialized provider through the real dynamic-provider host
// (@pulumi/pulumi/cmd/dynamic-provider), pushing to Debian's docker-registry (CNCF Distribution) on 127.0.0.1
// with htpasswd Basic auth, and Debian's skopeo reading back what the tag resolves to. Create, no-op, update
// on a changed manifest, refresh finding the tag moved by someone else and the next up pushing again, a tree
// changed between the program and the push, wrong credentials, and a delete that leaves the tag.
import { after, before, describe, test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { captureProvider, startProviderHost, type ProviderHost, type ResourceState } from "../harness/engine";
import {
  REGISTRY_PASSWORD,
  REGISTRY_USER,
  registrySkipReason,
  skopeo,
  skopeoSkipReason,
  startRegistry,
  type RunningRegistry,
} from "../harness/registry";
import { WorkloadArtifact, type WorkloadArtifactArgs } from "../../sdk/dynamic/workloadArtifact";
import { OciClient } from "../../sdk/clients/oci/client";
import { buildArtifact, pushArtifact } from "../../sdk/workload/artifact";
import { UNKNOWN } from "../../sdk/impact/unknown";
import { writeWorkloadTree } from "../harness/workloadTree";

const skip = registrySkipReason() ?? skopeoSkipReason();

describe("WorkloadArtifact through the dynamic-provider host against docker-registry", { skip }, () => {
  let reg: RunningRegistry;
  let host: ProviderHost;
  let dir: string;
  let state: ResourceState;
  const args = (): WorkloadArtifactArgs => ({
    registry: reg.endpoint,
    repository: "k8s",
    tag: "dev",
    sourceDirectory: dir,
    username: REGISTRY_USER,
    password: REGISTRY_PASSWORD,
  });
  /** What the program registers now (its inputs read the tree as it is). */
  const program = async (a: WorkloadArtifactArgs = args()) => {
    const cap = await captureProvider(() => new WorkloadArtifact("apps", a));
    return { cap, news: { ...cap.inputs, __provider: cap.provider } };
  };
  const remote = async (): Promise<{ Digest: string; Labels: Record<string, string> }> =>
    JSON.parse(
      await skopeo(["inspect", "--tls-verify=false", `--creds=${REGISTRY_USER}:${REGISTRY_PASSWORD}`, `docker://${reg.endpoint}/k8s:dev`]),
    );

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "ksail-workload-l2-"));
    writeWorkloadTree(dir, 1);
    reg = await startRegistry("basic");
    host = await startProviderHost({ timeoutMs: 120_000 });
  });
  after(async () => {
    await host?.close();
    await reg?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test("registration: a small trampoline without credentials; username and password secret", async () => {
    const { cap } = await program();
    assert.equal(cap.type, "pulumi-nodejs:dynamic/ksail:WorkloadArtifact");
    assert.ok(cap.provider.length < 4096, `__provider is ${cap.provider.length} bytes`);
    assert.match(cap.provider, /workloadArtifact\.impl/);
    assert.doesNotMatch(cap.provider, new RegExp(REGISTRY_PASSWORD));
    assert.equal(cap.providerSecret, false);
    assert.ok(cap.secretInputs.includes("password") && cap.secretInputs.includes("username"));
    assert.deepEqual(cap.resource.options.additionalSecretOutputs, ["username", "password"]);
  });

  test("create pushes; skopeo reads the digest and KSail's labels under the tag", async () => {
    const { cap, news } = await program();
    const step = await host.up(cap.urn, news);
    assert.equal(step.op, "create");
    assert.equal(step.id, `${reg.endpoint}/k8s:dev`);
    const digest = step.outputs.digest as string;
    assert.match(digest, /^sha256:[0-9a-f]{64}$/);
    assert.equal(step.outputs.pushedDigest, digest);
    assert.deepEqual(step.outputs.files, ["apps/web.yaml", "kustomization.yaml"]);
    const info = await remote();
    assert.equal(info.Digest, digest);
    assert.equal(info.Labels["devantler.tech/ksail/repository"], "k8s");
    assert.equal(info.Labels["org.opencontainers.image.version"], "dev");
    state = step;
  });

  test("the same tree again: no change (the diff is on content, not on where the directory lies)", async () => {
    const { cap, news } = await program();
    const moved = { ...news, sourceDirectory: "/elsewhere/on/another/machine" };
    assert.equal((await host.preview(cap.urn, moved, state)).op, "same");
    const step = await host.up(cap.urn, news, state);
    assert.equal(step.op, "same");
  });

  test("a changed manifest: preview says update, up pushes a new digest that the tag resolves to", async () => {
    writeWorkloadTree(dir, 3);
    const { cap, news } = await program();
    const p = await host.preview(cap.urn, news, state);
    assert.equal(p.op, "update");
    assert.deepEqual(p.diff?.replaces, []);
    const step = await host.up(cap.urn, news, state);
    assert.equal(step.op, "update");
    assert.notEqual(step.outputs.digest, state.outputs.digest);
    assert.equal((await remote()).Digest, step.outputs.digest);
    state = step;
  });

  test("a tree changed between the program and the push: nothing is pushed, and the error says to run up again", async () => {
    const { cap, news } = await program();
    writeWorkloadTree(dir, 5);
    const before = (await remote()).Digest;
    await assert.rejects(
      host.update(state.id, cap.urn, { ...state.outputs, contentDigest: "sha256:old" }, news),
      /changed after the program read them.*nothing was pushed: run `pulumi up` again/,
    );
    assert.equal((await remote()).Digest, before);
    writeWorkloadTree(dir, 3);
  });

  test("refresh finds the tag moved by another push; the next up pushes the stack's artifact again", async () => {
    const other = await buildArtifact([{ path: "x.yaml", content: Buffer.from("kind: ConfigMap\n") }], {
      repository: "k8s",
      tag: "dev",
      registryEndpoint: reg.endpoint,
      source: "elsewhere",
    });
    await pushArtifact(
      new OciClient({ registry: reg.endpoint, username: REGISTRY_USER, password: REGISTRY_PASSWORD }),
      other,
      "k8s",
      "dev",
    );
    const read = await host.read(state.id, "", state.outputs, state.inputs);
    assert.equal(read.props.digest, other.manifestDigest);
    const refreshed = { ...state, outputs: read.props };
    const { cap, news } = await program();
    const step = await host.up(cap.urn, news, refreshed);
    assert.equal(step.op, "update");
    assert.equal(step.outputs.digest, state.outputs.digest, "the same content gives the same digest");
    assert.equal((await remote()).Digest, state.outputs.digest);
  });

  test("preview with credentials not known yet passes check", async () => {
    const { cap, news } = await program();
    const p = await host.preview(cap.urn, { ...news, password: UNKNOWN }, state);
    assert.equal(p.op, "update");
  });

  test("check names a bad tag and repository", async () => {
    const { cap, news } = await program();
    const r = await host.check(cap.urn, {}, { ...news, tag: "-bad", repository: "Upper/Case" });
    assert.deepEqual(r.failures.map((f) => f.property).sort(), ["repository", "tag"]);
  });

  test("wrong credentials: the registry's 401 with a hint, and the password never in the message", async () => {
    const { cap, news } = await program({ ...args(), repository: "other", password: "wrong-password-XYZ" });
    await assert.rejects(host.create(cap.urn, news), (e: Error) => {
      assert.match(e.message, /pushing the workload artifact to 127\.0\.0\.1:\d+\/other:dev failed: .*Check the registry credentials/s);
      assert.doesNotMatch(e.message, /wrong-password-XYZ/);
      return true;
    });
  });

  test("delete leaves the tag in the registry", async () => {
    await host.destroy("", state);
    assert.equal((await remote()).Digest, state.outputs.digest);
  });
});
