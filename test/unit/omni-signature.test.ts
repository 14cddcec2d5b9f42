// L0: Omni's request signing and service-account keys, against siderolabs/go-api-signature's rules
// (pkg/message/payload.go BuildGRPCPayload, pkg/message/grpc.go Sign, pkg/serviceaccount/serviceaccount.go).
import { test, describe } from "node:test";
import * as assert from "node:assert/strict";
import * as openpgp from "openpgp";
import {
  buildPayload,
  decodeServiceAccountKey,
  goJsonString,
  parseEndpoint,
  parseServiceAccountEnvelope,
  SIGNED_HEADERS,
  signCall,
  ServiceAccountKeyError,
  encodeSpec,
  decodeSpec,
  ResourceType,
  configPatchId,
  omniProtoPath,
} from "../../sdk/clients/omni";
import { makeServiceAccountKey } from "../fakes/omni";

describe("go-api-signature payload (pkg/message/payload.go)", () => {
  test("the ten included headers in go-api-signature's list, emitted in Go's sorted map-key order, absent ones as null", () => {
    assert.deepEqual(
      [...SIGNED_HEADERS],
      ["x-sidero-timestamp", "nodes", "selectors", "fieldSelectors", "runtime", "context", "cluster", "namespace", "uid", "authorization"],
    );
    // What json.Marshal(GRPCPayload{Headers: map[string][]string{...}, Method}) writes for a call that carries only the
    // timestamp (md.Get of an absent key is a nil slice, marshalled as null; map keys are sorted bytewise).
    const expected =
      '{"headers":{"authorization":null,"cluster":null,"context":null,"fieldSelectors":null,"namespace":null,"nodes":null,' +
      '"runtime":null,"selectors":null,"uid":null,"x-sidero-timestamp":["1767225600"]},"method":"/cosi.resource.State/Get"}';
    assert.equal(buildPayload({ "x-sidero-timestamp": ["1767225600"] }, "/cosi.resource.State/Get"), expected);
  });

  test("the Kubeconfig call signs its context header; mixed-case fieldSelectors is looked up lower-cased, as md.Get does", () => {
    const p = JSON.parse(
      buildPayload({ "x-sidero-timestamp": ["1"], context: ["dev"], fieldselectors: ["a"] }, "/management.ManagementService/Kubeconfig"),
    );
    assert.deepEqual(p.headers.context, ["dev"]);
    assert.deepEqual(p.headers.fieldSelectors, ["a"]);
    assert.equal(p.method, "/management.ManagementService/Kubeconfig");
  });

  test("strings are escaped the way Go's encoding/json escapes them (HTML-safe)", () => {
    assert.equal(goJsonString("a<b>&c\u2028"), '"a\\u003cb\\u003e\\u0026c\\u2028"');
    assert.equal(goJsonString('q"\\'), JSON.stringify('q"\\'));
  });
});

describe("service-account key (pkg/serviceaccount: base64 of JSON {name, pgp_key})", () => {
  test("malformed keys fail with a message that never contains the key", () => {
    const secretish = "c2VjcmV0LXNlY3JldA"; // not padded, still base64-alphabet: decodes to non-JSON
    for (const [value, re] of [
      ["", /is empty/],
      ["not base64!", /not base64/],
      [secretish, /does not decode to JSON/],
      [Buffer.from(JSON.stringify({ name: "x" })).toString("base64"), /lacks "name" or "pgp_key"/],
    ] as const) {
      assert.throws(
        () => parseServiceAccountEnvelope(value),
        (e: Error) => e instanceof ServiceAccountKeyError && re.test(e.message) && (value === "" || !e.message.includes(value)),
      );
    }
  });

  test("a key Omni would issue decodes to its name and fingerprint; a passphrase-protected one is refused", async () => {
    const sa = await makeServiceAccountKey("ci@serviceaccount.omni.sidero.dev");
    const d = await decodeServiceAccountKey(sa.key);
    assert.equal(d.name, "ci@serviceaccount.omni.sidero.dev");
    assert.equal(d.fingerprint, sa.fingerprint);
    assert.match(d.fingerprint, /^[0-9a-f]{40}$/, "v4 fingerprint, lower-case hex as gopenpgp's GetFingerprint");
    assert.equal(d.key.getAlgorithmInfo().algorithm, "eddsaLegacy", "EdDSA, as go-api-signature's pgp.GenerateKey");

    const { privateKey } = await openpgp.generateKey({
      type: "ecc",
      userIDs: [{ email: "x@example.com" }],
      passphrase: "p",
      format: "armored",
    });
    const locked = Buffer.from(JSON.stringify({ name: "x", pgp_key: privateKey })).toString("base64");
    await assert.rejects(decodeServiceAccountKey(locked), /passphrase-protected/);
  });

  test("signCall: timestamp in Unix seconds, payload over the call's headers, siderov1 signature that verifies over the payload bytes", async () => {
    const sa = await makeServiceAccountKey("ci@serviceaccount.omni.sidero.dev");
    const d = await decodeServiceAccountKey(sa.key);
    const now = Math.floor(Date.now() / 1000) * 1000 + 999;
    const seconds = String(Math.floor(now / 1000));
    const h = await signCall(d, "/management.ManagementService/Kubeconfig", { context: ["dev"] }, now);
    assert.equal(h["x-sidero-timestamp"], seconds, "Unix seconds, rounded down");
    assert.equal(
      h["x-sidero-payload"],
      buildPayload({ context: ["dev"], "x-sidero-timestamp": [seconds] }, "/management.ManagementService/Kubeconfig"),
    );
    const [version, identity, fp, b64] = h["x-sidero-signature"].split(" ");
    assert.deepEqual([version, identity, fp], ["siderov1", "ci@serviceaccount.omni.sidero.dev", sa.fingerprint]);
    const signature = await openpgp.readSignature({ binarySignature: Buffer.from(b64, "base64") });
    const res = await openpgp.verify({
      message: await openpgp.createMessage({ binary: Buffer.from(h["x-sidero-payload"]) }),
      signature,
      verificationKeys: sa.publicKey,
      date: new Date(now),
    });
    await res.signatures[0].verified;
    assert.equal(
      signature.packets[0].signatureType,
      openpgp.enums.signature.binary,
      "a binary (not text) signature, as gopenpgp's SignDetached of a plain message",
    );
  });
});

describe("signing with a lagging clock", () => {
  test("a key created moments ago still signs from a clock 4 minutes behind (signature time never precedes the key)", async () => {
    const sa = await makeServiceAccountKey("fresh@serviceaccount.omni.sidero.dev", { createdAt: new Date() });
    const d = await decodeServiceAccountKey(sa.key);
    const behind = Date.now() - 4 * 60_000;
    const h = await signCall(d, "/cosi.resource.State/Get", {}, behind);
    assert.equal(h["x-sidero-timestamp"], String(Math.floor(behind / 1000)), "the signed timestamp is still the caller's clock");
    const sig = await openpgp.readSignature({ binarySignature: Buffer.from(h["x-sidero-signature"].split(" ")[3], "base64") });
    assert.equal((sig.packets[0].created as Date).getTime(), Math.floor(d.key.getCreationTime().getTime() / 1000) * 1000);
  });
});

describe("endpoint, specs and IDs", () => {
  test("https endpoints only; port 443 by default", () => {
    assert.equal(parseEndpoint("https://acme.omni.siderolabs.io"), "acme.omni.siderolabs.io:443");
    assert.equal(parseEndpoint("https://acme.omni.siderolabs.io:8443/"), "acme.omni.siderolabs.io:8443");
    assert.throws(() => parseEndpoint("http://acme.omni.siderolabs.io"), /must use https/);
    assert.throws(() => parseEndpoint("acme"), /not a URL/);
  });

  test("specs round-trip through the hand-written specs.proto with Omni's field numbers", () => {
    const bytes = encodeSpec(ResourceType.MachineSet, {
      updateStrategy: "Rolling",
      machineAllocation: { name: "workers", machineCount: 3, allocationType: "Static" },
    });
    // field 1 varint 1 (Rolling), field 7 length-delimited (machine_allocation), name at field 1, count at field 2
    assert.equal(bytes.toString("hex"), "0801" + "3a0b" + "0a07776f726b657273" + "1003");
    const back = decodeSpec(ResourceType.MachineSet, bytes);
    assert.equal(back.machineAllocation.machineCount, 3);
    assert.equal(back.updateStrategy, "Rolling");
    const patch = encodeSpec(ResourceType.ConfigPatch, { data: "machine: {}\n" });
    assert.equal(patch.toString("hex"), "0a0c" + Buffer.from("machine: {}\n").toString("hex"));
    assert.match(omniProtoPath("cosi.proto"), /cosi\.proto$/);
  });

  test("template patch IDs: three-digit weight, prefix, name (client/pkg/template/internal/models/patch.go)", () => {
    assert.equal(configPatchId(200, "cluster-dev", "cni"), "200-cluster-dev-cni");
    assert.equal(configPatchId(401, "dev-control-planes", "x"), "401-dev-control-planes-x");
  });
});
