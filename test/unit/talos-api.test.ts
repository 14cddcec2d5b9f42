// L0: pure parts of the Talos API client (PEM labels, talosconfig, tar.gz, retry policy, proto location).
import { test, describe } from "node:test";
import * as assert from "node:assert/strict";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import {
  Code,
  backoffDelay,
  machineProtoPath,
  parseTalosconfig,
  readTarGzEntry,
  splitEndpoint,
  toStandardKeyPem,
  toTalosKeyPem,
  withRetry,
} from "../../sdk/clients/talos";
import { tarGz } from "../fakes/apid";
import { isKsailError } from "../../sdk/errors";

describe("Talos key label", () => {
  test("an ED25519 PRIVATE KEY PEM is rejected by node:crypto until relabelled, and round-trips", () => {
    const { privateKey } = crypto.generateKeyPairSync("ed25519");
    const std = privateKey.export({ type: "pkcs8", format: "pem" }).toString();
    const talos = toTalosKeyPem(std);
    assert.match(talos, /^-----BEGIN ED25519 PRIVATE KEY-----\n/);
    assert.throws(() => crypto.createPrivateKey(talos));
    assert.equal(toStandardKeyPem(talos), std);
    assert.equal(crypto.createPrivateKey(toStandardKeyPem(talos)).asymmetricKeyType, "ed25519");
  });
});

describe("parseTalosconfig", () => {
  const b64 = (s: string) => Buffer.from(s).toString("base64");
  const key = crypto.generateKeyPairSync("ed25519").privateKey.export({ type: "pkcs8", format: "pem" }).toString();
  const yaml = (ctx: string) =>
    `context: ${ctx}\ncontexts:\n  dev:\n    endpoints: [127.0.0.1:50123]\n    nodes: [10.5.0.2]\n    ca: ${b64("-----BEGIN CERTIFICATE-----\nQ0E=\n-----END CERTIFICATE-----\n")}\n    crt: ${b64("-----BEGIN CERTIFICATE-----\nQ1JU\n-----END CERTIFICATE-----\n")}\n    key: ${b64(toTalosKeyPem(key))}\n`;

  test("decodes base64 PEM and translates the key label", () => {
    const c = parseTalosconfig(yaml("dev"));
    assert.equal(c.name, "dev");
    assert.deepEqual(c.endpoints, ["127.0.0.1:50123"]);
    assert.deepEqual(c.nodes, ["10.5.0.2"]);
    assert.match(c.ca, /^-----BEGIN CERTIFICATE-----/);
    assert.equal(c.key, key);
  });

  test("an unknown context is a KsailError naming the contexts that exist", () => {
    assert.throws(
      () => parseTalosconfig(yaml("prod")),
      (e: unknown) => isKsailError(e) && /"prod" is not defined.*\["dev"\]/.test((e as Error).message),
    );
  });

  test("missing credentials are listed field by field", () => {
    assert.throws(
      () => parseTalosconfig("context: a\ncontexts:\n  a:\n    endpoints: [x]\n"),
      (e: unknown) =>
        isKsailError(e) &&
        e.issues.map((i) => i.path).join() === "talosconfig.contexts.a.ca,talosconfig.contexts.a.crt,talosconfig.contexts.a.key",
    );
  });
});

describe("splitEndpoint", () => {
  for (const [input, host, port] of [
    ["10.5.0.2", "10.5.0.2", 50000],
    ["127.0.0.1:50123", "127.0.0.1", 50123],
    ["talos-cp-1", "talos-cp-1", 50000],
    ["[fd00::2]:50001", "fd00::2", 50001],
    ["fd00::2", "fd00::2", 50000],
    ["https://1.2.3.4:6443", "1.2.3.4", 6443],
  ] as const) {
    test(`${input} → ${host} ${port}`, () => assert.deepEqual(splitEndpoint(input), { host, port }));
  }
});

describe("readTarGzEntry", () => {
  test("reads the kubeconfig entry of a gzip'd ustar archive and returns undefined for absent names", () => {
    const body = "apiVersion: v1\n".repeat(100); // > 512 bytes, spans blocks
    const archive = tarGz("kubeconfig", body);
    assert.equal(readTarGzEntry(archive, "kubeconfig")?.toString(), body);
    assert.equal(readTarGzEntry(archive, "other"), undefined);
  });
});

describe("retry policy", () => {
  test("backoff doubles and is capped", () => {
    assert.deepEqual(
      [1, 2, 3, 4, 5, 6].map((n) => backoffDelay(n, 250, 5000)),
      [250, 500, 1000, 2000, 4000, 5000],
    );
  });

  test("Unavailable is retried, InvalidArgument is not, and the last error surfaces", async () => {
    let n = 0;
    const r = await withRetry(
      async () => {
        if (++n < 3) throw Object.assign(new Error("down"), { code: Code.UNAVAILABLE });
        return "ok";
      },
      { initialDelayMs: 1 },
    );
    assert.equal(r, "ok");
    assert.equal(n, 3);

    n = 0;
    await assert.rejects(
      withRetry(
        async () => {
          n++;
          throw Object.assign(new Error("bad config"), { code: Code.INVALID_ARGUMENT });
        },
        { initialDelayMs: 1 },
      ),
      /bad config/,
    );
    assert.equal(n, 1);

    n = 0;
    await assert.rejects(
      withRetry(
        async () => {
          n++;
          throw Object.assign(new Error(`down ${n}`), { code: Code.UNAVAILABLE });
        },
        { initialDelayMs: 1, maxAttempts: 4 },
      ),
      /down 4/,
    );
  });

  test("retryOn widens the set and shouldRetry narrows it", async () => {
    let n = 0;
    await withRetry(
      async () => {
        if (++n < 2) throw Object.assign(new Error("bootstrap is not available yet"), { code: Code.FAILED_PRECONDITION });
      },
      { initialDelayMs: 1, retryOn: [Code.FAILED_PRECONDITION] },
    );
    assert.equal(n, 2);
    n = 0;
    await assert.rejects(
      withRetry(
        async () => {
          n++;
          throw Object.assign(new Error("not supported in container mode"), { code: Code.FAILED_PRECONDITION });
        },
        { initialDelayMs: 1, retryOn: [Code.FAILED_PRECONDITION], shouldRetry: (e) => !/container mode/.test(e.message) },
      ),
    );
    assert.equal(n, 1);
  });
});

test("machine.proto is found from source and from dist", () => {
  const p = machineProtoPath();
  assert.ok(fs.existsSync(p));
  assert.match(fs.readFileSync(p, "utf8"), /service MachineService/);
});
