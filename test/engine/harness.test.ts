// L2: the engine driver (test/harness/engine.ts) runs a real Configure → Check → Diff → Create → Update →
// Delete round trip through @pulumi/pulumi/cmd/dynamic-provider, with the `__provider` captured from a
// mocks run of the sample resource (test/harness/sample). The sample writes a real file, so every step is
// checked on disk, not only in the replies.
import { after, before, describe, test } from "node:test";
import * as assert from "node:assert/strict";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import {
  captureProvider,
  CheckFailedError,
  ProviderHostError,
  startProviderHost,
  urnOf,
  withProviderHost,
  type CapturedProvider,
  type ProviderHost,
} from "../harness/engine";
import { SampleFile } from "../harness/sample/sample-file";
import { UNKNOWN } from "../../sdk/impact/unknown";

const TOKEN = "tok-Secret-9f8e7d";
const HEADER = "# managed by ksail\n";
const sha256 = (s: string) => crypto.createHash("sha256").update(s).digest("hex");

describe("engine driver round trip with the sample dynamic provider", () => {
  let dir: string;
  let cap: CapturedProvider;
  let host: ProviderHost;
  let file: string;
  let news: Record<string, unknown>;
  let created: { id: string; outs: Record<string, unknown> };
  let checked: Record<string, unknown>;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "ksail-harness-"));
    file = path.join(dir, "a.txt");
    cap = await captureProvider(
      () => new SampleFile("sample", { path: file, kind: "text", content: "hello", token: pulumi.secret(TOKEN) }),
    );
    news = { ...cap.inputs, __provider: cap.provider };
    host = await startProviderHost();
  });

  after(async () => {
    await host?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test("the captured __provider is a small trampoline holding no secret", () => {
    assert.equal(cap.type, "pulumi-nodejs:dynamic/ksail:SampleFile");
    assert.equal(cap.urn, urnOf("pulumi-nodejs:dynamic/ksail:SampleFile", "sample"));
    assert.ok(cap.provider.length < 4096, `__provider is ${cap.provider.length} bytes`);
    assert.match(cap.provider, /sample-file\.impl/);
    assert.ok(!cap.provider.includes(TOKEN), "the secret input was captured into the provider code");
    assert.equal(cap.providerSecret, false);
    assert.deepEqual(cap.secretInputs, ["token"]);
    assert.equal(cap.inputs.token, TOKEN, "the engine strips secrets: the host gets plaintext");
    assert.deepEqual(cap.resource.options.additionalSecretOutputs, ["tokenSha256"]);
  });

  test("GetPluginInfo and Configure answer like the installed host", async () => {
    const info = await host.pluginInfo();
    assert.equal(info.version, require("@pulumi/pulumi/package.json").version);
    const c = await host.configure({ "ksail:sampleHeader": HEADER });
    assert.deepEqual(c, { acceptSecrets: false, supportsPreview: false });
  });

  test("Check: valid inputs pass through with __provider; bad inputs give failures", async () => {
    const ok = await host.check(cap.urn, {}, news);
    assert.deepEqual(ok.failures, []);
    assert.equal(ok.inputs.__provider, cap.provider);
    assert.equal(ok.inputs.content, "hello");
    checked = ok.inputs;

    const bad = await host.check(cap.urn, {}, { ...news, path: "relative.txt", kind: "yaml" });
    assert.deepEqual(
      bad.failures.map((f) => f.property),
      ["path", "kind"],
    );
    assert.match(bad.failures[1].reason, /kind is "yaml"; allowed: text, json/);
    const badJson = await host.check(cap.urn, {}, { ...news, kind: "json", content: "{nope" });
    assert.deepEqual(
      badJson.failures.map((f) => f.property),
      ["content"],
    );
    await assert.rejects(host.preview(cap.urn, { ...news, kind: "yaml" }), (e: unknown) => {
      assert.ok(e instanceof CheckFailedError);
      assert.match(e.message, /pulumi-nodejs:dynamic\/ksail:SampleFile resource 'sample': property kind value "yaml" has a problem/);
      return true;
    });
  });

  test("Check in preview: the unknown sentinel arrives and is not validated", async () => {
    host.clearOutput();
    const r = await host.check(cap.urn, checked, { ...news, content: UNKNOWN });
    assert.deepEqual(r.failures, []);
    assert.equal(r.inputs.content, UNKNOWN);
    await host.waitForOutput("sample check: not known yet: content");
  });

  test("Create runs the provider in the host: real file, computed outputs, __provider kept", async () => {
    created = await host.create(cap.urn, checked);
    assert.equal(created.id, sha256(file).slice(0, 12));
    assert.equal(fs.readFileSync(file, "utf8"), `${HEADER}hello`, "configure's stack config reached the provider");
    assert.equal(created.outs.sha256, sha256(`${HEADER}hello`));
    assert.equal(created.outs.generation, 1);
    assert.equal(created.outs.tokenSha256, sha256(TOKEN));
    assert.equal(created.outs.content, "hello", "outs carry the inputs");
    assert.equal(created.outs.__provider, cap.provider);
  });

  test("Diff: none, in-place, and replace with deleteBeforeReplace; its stdout is captured", async () => {
    host.clearOutput();
    const none = await host.diff(created.id, cap.urn, created.outs, checked, checked);
    assert.deepEqual(none, { changes: "none", replaces: [], deleteBeforeReplace: false, stables: [], diffs: [], hasDetailedDiff: false });
    await host.waitForOutput(`sample diff ${file}: no change`);

    const some = await host.diff(created.id, cap.urn, created.outs, { ...checked, content: "world" }, checked);
    assert.equal(some.changes, "some");
    assert.deepEqual(some.replaces, []);
    assert.equal(some.deleteBeforeReplace, false);
    await host.waitForOutput(`sample diff ${file}: ~content`);

    const replace = await host.diff(created.id, cap.urn, created.outs, { ...checked, kind: "json", content: "{}" }, checked);
    assert.equal(replace.changes, "some");
    assert.deepEqual(replace.replaces, ["kind"]);
    assert.equal(replace.deleteBeforeReplace, true);
    await host.waitForOutput(`sample diff ${file}: ~kind ~content (replace)`);

    const unknown = await host.diff(created.id, cap.urn, created.outs, { ...checked, path: UNKNOWN }, checked);
    assert.deepEqual(unknown.replaces, ["path"], "an unknown replace-class value may change: replace");
  });

  test("Update rewrites in place and bumps the generation", async () => {
    const next = { ...checked, content: "world" };
    const outs = await host.update(created.id, cap.urn, created.outs, next, checked);
    assert.equal(outs.generation, 2);
    assert.equal(outs.sha256, sha256(`${HEADER}world`));
    assert.equal(outs.__provider, cap.provider);
    assert.equal(fs.readFileSync(file, "utf8"), `${HEADER}world`);
    created = { id: created.id, outs };
  });

  test("Read reports the file; Create on an existing file fails with the provider's message", async () => {
    const r = await host.read(created.id, cap.urn, created.outs);
    assert.equal(r.id, created.id);
    assert.equal(r.props.sha256, sha256(`${HEADER}world`));
    await assert.rejects(host.create(cap.urn, checked), (e: unknown) => {
      assert.ok(e instanceof ProviderHostError);
      assert.equal(e.method, "create");
      assert.equal(e.code, 2);
      assert.match(e.details, /already exists; remove it or choose another path/);
      assert.equal(e.initFailed, undefined);
      return true;
    });
  });

  test("a partial failure (error with id) surfaces as ErrorResourceInitFailed", async () => {
    const f = path.join(dir, "partial.txt");
    const { inputs } = await host.check(cap.urn, {}, { ...news, path: f, failAfterWrite: true });
    await assert.rejects(host.create(cap.urn, inputs), (e: unknown) => {
      assert.ok(e instanceof ProviderHostError);
      assert.equal(e.code, 2);
      assert.match(e.details, /partial\.txt was written but is not healthy/);
      assert.equal(e.initFailed?.id, sha256(f).slice(0, 12));
      assert.deepEqual(e.initFailed?.reasons, ["failAfterWrite is set"]);
      assert.equal(e.initFailed?.properties.generation, 1);
      return true;
    });
    assert.equal(fs.readFileSync(f, "utf8"), `${HEADER}hello`);
    fs.unlinkSync(f);
  });

  test("preview() is Check + Diff only: unknowns in a replace-class input plan a replace, nothing runs", async () => {
    const f = path.join(dir, "p.txt");
    const s1 = await host.up(cap.urn, { ...news, path: f });
    const before = fs.readFileSync(f, "utf8");
    const p1 = await host.preview(cap.urn, { ...news, path: f, content: UNKNOWN }, s1);
    assert.equal(p1.op, "update");
    const p2 = await host.preview(cap.urn, { ...news, path: UNKNOWN }, s1);
    assert.equal(p2.op, "replace");
    assert.equal(p2.diff?.deleteBeforeReplace, true);
    const p3 = await host.preview(cap.urn, { ...news, path: path.join(dir, "new.txt") });
    assert.equal(p3.op, "create");
    assert.equal(fs.readFileSync(f, "utf8"), before, "preview must not touch the file");
    assert.equal(fs.existsSync(path.join(dir, "new.txt")), false);
    await host.destroy(cap.urn, s1);
  });

  test("Delete removes the file, and tolerates a resource that is already gone", async () => {
    await host.delete(created.id, cap.urn, created.outs, checked);
    assert.equal(fs.existsSync(file), false);
    host.clearOutput();
    await host.delete(created.id, cap.urn, created.outs, checked);
    await host.waitForOutput(`sample delete: ${file} already gone`);
    const gone = await host.read(created.id, cap.urn, created.outs);
    assert.equal(gone.id, "");
  });

  test("up/destroy sequence the steps like the engine: create, same, update, replace, delete", async () => {
    const f1 = path.join(dir, "b.txt");
    const f2 = path.join(dir, "c.txt");
    const s1 = await host.up(cap.urn, { ...news, path: f1 });
    assert.equal(s1.op, "create");
    assert.equal(fs.readFileSync(f1, "utf8"), `${HEADER}hello`);
    const s2 = await host.up(cap.urn, { ...news, path: f1 }, s1);
    assert.equal(s2.op, "same");
    assert.equal(s2.outputs, s1.outputs);
    const s3 = await host.up(cap.urn, { ...news, path: f1, content: "v2" }, s2);
    assert.equal(s3.op, "update");
    assert.equal(s3.outputs.generation, 2);
    const s4 = await host.up(cap.urn, { ...news, path: f2, content: "v3" }, s3);
    assert.equal(s4.op, "replace");
    assert.deepEqual(s4.diff?.replaces, ["path"]);
    assert.equal(fs.existsSync(f1), false, "the replaced resource was deleted");
    assert.equal(fs.readFileSync(f2, "utf8"), `${HEADER}v3`);
    assert.equal(s4.outputs.generation, 1);
    await host.destroy(cap.urn, s4);
    assert.equal(fs.existsSync(f2), false);
  });

  test("withProviderHost closes the host even when the body throws", async () => {
    let seen: ProviderHost | undefined;
    await assert.rejects(
      withProviderHost(async (h) => {
        seen = h;
        await h.pluginInfo();
        throw new Error("body failed");
      }),
      /body failed/,
    );
    assert.ok(seen);
    assert.ok(seen.child.exitCode !== null || seen.child.signalCode !== null, "the host process was stopped");
  });

  test("a host started with config configures itself; close() is idempotent", async () => {
    const h = await startProviderHost({ config: { "ksail:sampleHeader": "H2\n" }, timeoutMs: 120_000 });
    try {
      const f = path.join(dir, "d.txt");
      const s = await h.up(cap.urn, { ...news, path: f });
      assert.equal(fs.readFileSync(f, "utf8"), "H2\nhello");
      await h.destroy(cap.urn, s);
    } finally {
      await h.close();
      await h.close();
    }
    await assert.rejects(h.check(cap.urn, {}, news), /provider host is closed/);
  });
});
