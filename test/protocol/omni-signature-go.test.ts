// L3 against a real peer: go-api-signature v0.3.13 (the version siderolabs/omni pins in client/go.mod), built
// from test/peers/omnisig by scripts/tools/build.sh. The TypeScript signer's requests are verified by
// message.NewGRPC(md, method).VerifySignature — the call Omni's signature interceptor
// (internal/pkg/auth/interceptor/signature.go) makes — and keys generated the way omnictl generates them
// (pgp.GenerateKey + serviceaccount.Encode) are used by the TypeScript client. Skips when Go is absent.
import { test, describe, before } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { execFileSync } from "node:child_process";
import * as tls from "node:tls";
import * as grpc from "@grpc/grpc-js";
import { buildPayload, decodeServiceAccountKey, OmniClient, ResourceType, signCall } from "../../sdk/clients/omni";
import { stateServiceClient } from "../../sdk/clients/omni/proto";
import { FakeOmni, makeServiceAccountKey } from "../fakes/omni";
import { repoRoot } from "../harness/paths";

function omnisigPath(): string | undefined {
  const versions = fs.readFileSync(path.join(repoRoot(), "scripts/tools/versions.sh"), "utf8");
  const version = /^OMNISIG_VERSION=(\S+)/m.exec(versions)?.[1];
  const cache = process.env.KSAIL_TOOLS_CACHE ?? path.join(os.homedir(), ".cache/ksail-pulumi/tools");
  const bin = path.join(cache, `omnisig-${version}`, "omnisig");
  return fs.existsSync(path.join(cache, `omnisig-${version}`, ".built")) ? bin : undefined;
}

const bin = omnisigPath();
const skip = bin ? false : "omnisig not built (scripts/tools/build.sh omnisig; needs Go and the module proxy)";

const run = (args: string[], input: string) => execFileSync(bin!, args, { input, encoding: "utf8" }).trim();
const goVerify = (method: string, metadata: Record<string, string[]>, publicKey: string) =>
  run(["verify"], JSON.stringify({ method, metadata, publicKey }));
const asMd = (h: Record<string, string>, extra: Record<string, string> = {}) =>
  Object.fromEntries(Object.entries({ ...extra, ...h }).map(([k, v]) => [k, [v]]));

describe("request signing against go-api-signature itself", { skip }, () => {
  let goKey: { key: string; publicKey: string; fingerprint: string };
  before(() => {
    goKey = JSON.parse(run(["keygen", "ci@serviceaccount.omni.sidero.dev"], ""));
  });

  test("a key generated as omnictl does decodes in TypeScript with the same fingerprint", async () => {
    const sa = await decodeServiceAccountKey(goKey.key);
    assert.equal(sa.fingerprint, goKey.fingerprint);
    assert.equal(sa.name, "ci@serviceaccount.omni.sidero.dev");
  });

  test("TypeScript-signed calls verify in Go: plain, with the context header, with an openpgp.js-generated key", async () => {
    const sa = await decodeServiceAccountKey(goKey.key);
    const get = await signCall(sa, "/cosi.resource.State/Get", {});
    assert.equal(goVerify("/cosi.resource.State/Get", asMd(get), goKey.publicKey), "ok");
    const kc = await signCall(sa, "/management.ManagementService/Kubeconfig", { context: ["dev"] });
    assert.equal(goVerify("/management.ManagementService/Kubeconfig", asMd(kc, { context: "dev" }), goKey.publicKey), "ok");

    const tsKey = await makeServiceAccountKey("ts@serviceaccount.omni.sidero.dev");
    const tsSa = await decodeServiceAccountKey(tsKey.key);
    const signed = await signCall(tsSa, "/cosi.resource.State/List", {});
    assert.equal(goVerify("/cosi.resource.State/List", asMd(signed), tsKey.publicKey.armor()), "ok");
  });

  test("Go rejects what the fake rejects: another method, a changed header, a skewed clock", async () => {
    const sa = await decodeServiceAccountKey(goKey.key);
    const h = await signCall(sa, "/cosi.resource.State/Get", { context: ["dev"] });
    assert.match(goVerify("/cosi.resource.State/List", asMd(h, { context: "dev" }), goKey.publicKey), /payload method does not match/);
    assert.match(
      goVerify("/cosi.resource.State/Get", asMd(h, { context: "prod" }), goKey.publicKey),
      /payload header does not match: context/,
    );
    const skewed = await signCall(sa, "/cosi.resource.State/Get", {}, Date.now() + 6 * 60_000);
    assert.match(goVerify("/cosi.resource.State/Get", asMd(skewed), goKey.publicKey), /timestamp is outside of allowed skew/);
    const fine = await signCall(sa, "/cosi.resource.State/Get", {}, Date.now() - 4 * 60_000);
    assert.equal(goVerify("/cosi.resource.State/Get", asMd(fine), goKey.publicKey), "ok");
  });

  test("a Go client's payload is byte-identical to ours, and the fake accepts Go-signed calls", async () => {
    const md = JSON.parse(run(["sign", "ci@serviceaccount.omni.sidero.dev", "/cosi.resource.State/Get"], goKey.key)) as Record<
      string,
      string[]
    >;
    const ts = md["x-sidero-timestamp"][0];
    assert.equal(md["x-sidero-payload"][0], buildPayload({ "x-sidero-timestamp": [ts] }, "/cosi.resource.State/Get"));

    const omni = await FakeOmni.start({});
    await omni.addPublicKey("ci@serviceaccount.omni.sidero.dev", goKey.publicKey);
    const State = stateServiceClient();
    const raw = new State(
      omni.endpoint.replace("https://", ""),
      // As OmniClient dials an IP: the certificate is checked against the IP, the SNI is a DNS name (RFC 6066).
      grpc.credentials.createSsl(Buffer.from(omni.caPem), null, null, {
        checkServerIdentity: (_n, cert) => tls.checkServerIdentity("127.0.0.1", cert),
      }),
      { "grpc.ssl_target_name_override": "omni.invalid" },
    ) as grpc.Client & Record<string, any>;
    const client = new OmniClient({ endpoint: omni.endpoint, caPem: omni.caPem, serviceAccountKey: goKey.key });
    try {
      const grpcMd = new grpc.Metadata();
      for (const [k, v] of Object.entries(md)) grpcMd.set(k, v[0]);
      const code = await new Promise<number>((resolve) =>
        raw.Get({ namespace: "default", type: ResourceType.TalosVersion, id: "1.12.0" }, grpcMd, (err: any) => resolve(err ? err.code : 0)),
      );
      assert.equal(code, 0);
      assert.ok(await client.get(ResourceType.TalosVersion, "1.12.0"), "and the TypeScript client with the Go-generated key");
    } finally {
      raw.close();
      client.close();
      await omni.stop();
    }
  });
});
