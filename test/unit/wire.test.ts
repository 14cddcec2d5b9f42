// L0/L1: the one decoder of Pulumi's wire format (sdk/cli/wire.ts), used by `ksail-pulumi plan`'s mock runner and
// by the test recorder. Signatures are checked against @pulumi/pulumi's own runtime/rpc, and values serialized by
// that real serializer decode back.
import { describe, test } from "node:test";
import * as assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { decodeWire, nameOfUrn, SIG, SIG_KEY, typeOfUrn, wireSecret } from "../../sdk/cli/wire";
import { UNKNOWN } from "../../sdk/impact/unknown";

const rpc = require("@pulumi/pulumi/runtime/rpc") as Record<string, any>;

const URN = "urn:pulumi:dev::proj::ksail:index:KSailCluster$docker:index/container:Container::dev-control-plane-1";

describe("wire format decoder", () => {
  test("signatures and the unknown sentinel are @pulumi/pulumi's (runtime/rpc)", () => {
    assert.equal(SIG_KEY, rpc.specialSigKey);
    assert.equal(SIG.secret, rpc.specialSecretSig);
    assert.equal(SIG.resource, rpc.specialResourceSig);
    assert.equal(SIG.output, rpc.specialOutputValueSig);
    assert.equal(SIG.asset, rpc.specialAssetSig);
    assert.equal(SIG.archive, rpc.specialArchiveSig);
    assert.equal(UNKNOWN, rpc.unknownValue);
  });

  test("URN parts", () => {
    assert.equal(nameOfUrn(URN), "dev-control-plane-1");
    assert.equal(typeOfUrn(URN), "docker:index/container:Container");
  });

  test("values from the real serializer: secrets unwrapped with their paths, unknowns, assets", async () => {
    await pulumi.runtime.setMocks({ newResource: async (a) => ({ id: `${a.name}-id`, state: a.inputs }), call: async () => ({}) });
    const unknown = new (pulumi.Output as any)(
      new Set(),
      Promise.resolve(undefined),
      Promise.resolve(false),
      Promise.resolve(false),
      Promise.resolve(new Set()),
    );
    const wire = await rpc.serializeProperty(
      "test",
      { a: pulumi.secret("s"), b: [1, { c: pulumi.secret({ d: "x" }) }], e: unknown, f: new pulumi.asset.StringAsset("hi") },
      new Set(),
    );
    const d = decodeWire(wire);
    assert.deepEqual(d.value, {
      a: "s",
      b: [1, { c: { d: "x" } }],
      e: UNKNOWN,
      f: { asset: { path: undefined, text: "hi", uri: undefined } },
    });
    assert.deepEqual(d.secrets, ["a", "b[1].c"]);
  });

  test("plan view: secrets redacted, unknowns and output values shown, references by name", () => {
    const wire = {
      s: { [SIG_KEY]: SIG.secret, value: "hunter2" },
      o: { [SIG_KEY]: SIG.output, value: "known", dependencies: [URN] },
      os: { [SIG_KEY]: SIG.output, value: "hunter2", secret: true },
      ou: { [SIG_KEY]: SIG.output },
      u: UNKNOWN,
      r: { [SIG_KEY]: SIG.resource, urn: URN, id: "abc" },
    };
    const d = decodeWire(wire, { unknown: "[computed]", redactSecrets: "[secret]", resource: (r) => `<${r.name}>` });
    assert.deepEqual(d.value, { s: "[secret]", o: "known", os: "[secret]", ou: "[computed]", u: "[computed]", r: "<dev-control-plane-1>" });
    assert.deepEqual(d.secrets, ["s", "os"]);
    assert.ok(!JSON.stringify(d.value).includes("hunter2"));
  });

  test("recorder view: references as {urn, name, id}; an empty id (preview of a create) is unknown", () => {
    const ref = (id: unknown) => decodeWire({ [SIG_KEY]: SIG.resource, urn: URN, id }).value;
    assert.deepEqual(ref("abc"), { urn: URN, name: "dev-control-plane-1", id: "abc" });
    assert.deepEqual(ref(""), { urn: URN, name: "dev-control-plane-1", id: UNKNOWN });
    assert.deepEqual(decodeWire({ [SIG_KEY]: SIG.resource, urn: URN }).value, { urn: URN, name: "dev-control-plane-1" });
  });

  test("archives keep their assets' paths; wireSecret wraps once", () => {
    const wire = { [SIG_KEY]: SIG.archive, assets: { f: { [SIG_KEY]: SIG.secret, value: "x" } } };
    assert.deepEqual(decodeWire(wire, {}, "z"), {
      value: { archive: { path: undefined, uri: undefined, assets: { f: "x" } } },
      secrets: ["z.assets.f"],
    });
    const once = wireSecret("v");
    assert.deepEqual(once, { [SIG_KEY]: SIG.secret, value: "v" });
    assert.equal(wireSecret(once), once);
  });
});
