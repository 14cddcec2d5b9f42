// L3 with real peers: SOPS files as getsops/sops v3.13 reads and writes them (format from sops.go,
// aes/cipher.go, stores/yaml/store.go, stores/metadata.go, age/keysource.go, config/config.go).
// - a file written by the real sops 3.13.3 (test/fixtures/sops, recorded with age-keygen's key) decrypts
//   with ours, MAC checked; a tampered value or MAC is refused;
// - files we encrypt decrypt with the real sops binary (built from its Go module into
//   the tools cache by scripts/tools/build.sh sops; skipped with the reason when absent), and files sops
//   encrypts now decrypt with ours;
// - identities from Debian's age-keygen; data keys wrapped by us open with Debian's `age -d`;
// - .sops.yaml creation rules: path_regex relative to the config, encrypted_regex, age recipients.
import { describe, test } from "node:test";
import * as assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { creationRuleFor, decryptYaml, decryptYamlTree, encryptYaml, importAgeKey, reencryptYaml } from "../../sdk/sops";
import { repoRoot } from "../harness/paths";
import { builtTool, missingReason, pinnedVersion } from "../peers/tools";

const FIX = path.join(repoRoot(), "test/fixtures/sops");
const KEY_FILE = path.join(FIX, "age-key.txt");
const IDENTITY = fs
  .readFileSync(KEY_FILE, "utf8")
  .split("\n")
  .find((l) => l.startsWith("AGE-SECRET-KEY-"))!;
const RECIPIENT = /# public key: (\S+)/.exec(fs.readFileSync(KEY_FILE, "utf8"))![1];

const SOPS_VERSION = pinnedVersion("SOPS_VERSION");
const sopsDir = builtTool("sops", SOPS_VERSION);
const SOPS = path.join(sopsDir ?? "", "sops");
const sopsSkip = sopsDir ? undefined : missingReason(`the real sops ${SOPS_VERSION}`, "sops");
const ageSkip =
  spawnSync("sh", ["-c", "command -v age && command -v age-keygen"]).status === 0
    ? undefined
    : "Debian's age is not installed (apt-get install age)";

function sops(args: string[], opts: { cwd?: string; keyFile?: string } = {}): string {
  return execFileSync(SOPS, args, {
    cwd: opts.cwd,
    encoding: "utf8",
    env: { PATH: process.env.PATH, HOME: os.tmpdir(), SOPS_AGE_KEY_FILE: opts.keyFile ?? KEY_FILE },
    stdio: ["ignore", "pipe", "pipe"],
  });
}

const PLAIN = fs.readFileSync(path.join(FIX, "secret.plain.yaml"), "utf8");

describe("SOPS interoperability", () => {
  test("a file written by the real sops 3.13.3 decrypts with ours; the MAC is checked", async () => {
    const enc = fs.readFileSync(path.join(FIX, "secret.sops-3.13.3.enc.yaml"), "utf8");
    const { docs } = await decryptYamlTree(enc, { identities: [IDENTITY] });
    const out = await decryptYaml(enc, { identities: [IDENTITY] });
    const yaml = require("yaml") as typeof import("yaml");
    assert.deepEqual(yaml.parse(out), yaml.parse(PLAIN));
    assert.match(out, /# head comment in data/, "encrypted comments decrypt");
    assert.equal(docs.length, 1);
    // tampering: swap two encrypted values -> AES-GCM fails on the key path; change the MAC -> mismatch
    const swapped = enc.replace(/(password: )(ENC\[[^\n]+)\n(\s+port: )(ENC\[[^\n]+)/, "$1$4\n$3$2");
    await assert.rejects(() => decryptYaml(swapped, { identities: [IDENTITY] }), /could not decrypt the value at "stringData:password:"/);
    const macless = enc.replace(/mac: ENC\[AES256_GCM,data:[A-Za-z0-9+/]{4}/, "mac: ENC[AES256_GCM,data:AAAA");
    await assert.rejects(() => decryptYaml(macless, { identities: [IDENTITY] }), /cannot decrypt the MAC|MAC mismatch/);
    const plainEdit = enc.replace("name: db", "name: other");
    await assert.rejects(
      () => decryptYaml(plainEdit, { identities: [IDENTITY] }),
      /MAC mismatch/,
      "unencrypted values are covered by the MAC",
    );
    assert.ok((await decryptYaml(plainEdit, { identities: [IDENTITY], ignoreMac: true })).includes("name: other"));
  });

  test("a file we encrypt decrypts with the real sops to the same data", { skip: sopsSkip }, async () => {
    const enc = await encryptYaml(PLAIN, { recipients: [RECIPIENT], encryptedRegex: "^(data|stringData)$" });
    assert.match(
      enc,
      /password: ENC\[AES256_GCM,data:[^,]+,iv:[A-Za-z0-9+/=]{44},tag:[A-Za-z0-9+/=]{24},type:str\]/,
      "32-byte IV, 16-byte tag",
    );
    assert.match(enc, /port: ENC\[AES256_GCM,.*type:int\]/);
    assert.match(enc, /ratio: ENC\[AES256_GCM,.*type:float\]/);
    assert.match(enc, /empty: ""/, "empty strings stay empty");
    assert.match(enc, /\n {4}name: db/, "outside encrypted_regex: plain, 4-space indent");
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ksail-sops-"));
    try {
      fs.writeFileSync(path.join(dir, "s.enc.yaml"), enc);
      const out = sops(["decrypt", path.join(dir, "s.enc.yaml")]);
      const yaml = require("yaml") as typeof import("yaml");
      assert.deepEqual(yaml.parse(out), yaml.parse(PLAIN));
      // and the other way: sops encrypts now, we decrypt
      fs.writeFileSync(path.join(dir, "p.yaml"), PLAIN);
      const theirs = sops(["encrypt", "--age", RECIPIENT, "--encrypted-regex", "^(data|stringData)$", path.join(dir, "p.yaml")]);
      assert.deepEqual(yaml.parse(await decryptYaml(theirs, { identities: [IDENTITY] })), yaml.parse(PLAIN));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test("edit: unchanged values keep their ciphertext, changed ones re-encrypt; sops reads the result", { skip: sopsSkip }, async () => {
    const enc = await encryptYaml(PLAIN, { recipients: [RECIPIENT], encryptedRegex: "^(data|stringData)$" });
    const prev = await decryptYamlTree(enc, { identities: [IDENTITY] });
    const edited = (await decryptYaml(enc, { identities: [IDENTITY] })).replace("hunter2", "correct horse");
    const again = await reencryptYaml(edited, prev);
    const line = (t: string, k: string) => t.split("\n").find((l) => l.trim().startsWith(`${k}:`));
    assert.equal(line(again, "port"), line(enc, "port"));
    assert.notEqual(line(again, "password"), line(enc, "password"));
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ksail-sops-"));
    try {
      fs.writeFileSync(path.join(dir, "s.enc.yaml"), again);
      assert.match(sops(["decrypt", path.join(dir, "s.enc.yaml")]), /password: correct horse/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test("age: a key from Debian's age-keygen works; the wrapped data key opens with Debian's age -d", { skip: ageSkip }, async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ksail-age-"));
    try {
      execFileSync("age-keygen", ["-o", path.join(dir, "k.txt")], { stdio: "ignore" });
      const text = fs.readFileSync(path.join(dir, "k.txt"), "utf8");
      const id = text.split("\n").find((l) => l.startsWith("AGE-SECRET-KEY-"))!;
      const rcpt = /# public key: (\S+)/.exec(text)![1];
      const enc = await encryptYaml("a: b\n", { recipients: [rcpt] });
      const armored = /enc: \|\n((?:\s+.*\n)+?)\s+recipient:/.exec(enc)![1].replace(/^\s+/gm, "");
      fs.writeFileSync(path.join(dir, "dk.age"), armored);
      const key = execFileSync("age", ["-d", "-i", path.join(dir, "k.txt"), path.join(dir, "dk.age")]);
      assert.equal(key.length, 32);
      assert.match(await decryptYaml(enc, { identities: [id] }), /a: b/);
      await assert.rejects(() => decryptYaml(enc, { identities: [IDENTITY] }), /none of the age identities decrypts the data key/);
      // import writes age-keygen's format to SOPS_AGE_KEY_FILE, once
      const kf = path.join(dir, "keys.txt");
      const r1 = await importAgeKey(id, { SOPS_AGE_KEY_FILE: kf });
      const r2 = await importAgeKey(id, { SOPS_AGE_KEY_FILE: kf });
      assert.deepEqual([r1.added, r2.added, r1.recipient], [true, false, rcpt]);
      assert.match(
        fs.readFileSync(kf, "utf8"),
        new RegExp(`^# created: \\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ\\n# public key: ${rcpt}\\n${id}\\n$`),
      );
      assert.equal(fs.statSync(kf).mode & 0o777, 0o600);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test(".sops.yaml: first matching creation rule, path_regex relative to the config's directory", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ksail-sopscfg-"));
    try {
      fs.writeFileSync(
        path.join(dir, ".sops.yaml"),
        `creation_rules:\n  - path_regex: ^k8s/clusters/prod/.*\\.enc\\.yaml$\n    encrypted_regex: ^(data|stringData)$\n    age: ${RECIPIENT}\n  - path_regex: \\.secret\\.yaml$\n    age: [${RECIPIENT}]\n`,
      );
      const r = creationRuleFor(path.join(dir, ".sops.yaml"), path.join(dir, "k8s/clusters/prod/db.enc.yaml"));
      assert.deepEqual([r.recipients, r.encryptedRegex], [[RECIPIENT], "^(data|stringData)$"]);
      assert.equal(creationRuleFor(path.join(dir, ".sops.yaml"), path.join(dir, "x.secret.yaml")).encryptedRegex, undefined);
      assert.throws(
        () => creationRuleFor(path.join(dir, ".sops.yaml"), path.join(dir, "other.yaml")),
        /no creation rule matches other\.yaml/,
      );
      fs.writeFileSync(path.join(dir, ".sops.yaml"), `creation_rules:\n  - pgp: ABCDEF\n`);
      assert.throws(
        () => creationRuleFor(path.join(dir, ".sops.yaml"), path.join(dir, "a.yaml")),
        /creation_rules\[0\]\.pgp is not supported/,
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("ksail-pulumi cipher (the CLI, as a process)", () => {
  const bin = path.join(repoRoot(), "bin/ksail-pulumi.js");
  const run = (args: string[], cwd: string, env: Record<string, string> = {}) =>
    spawnSync(process.execPath, [bin, ...args], { cwd, encoding: "utf8", env: { PATH: process.env.PATH, HOME: cwd, ...env } });

  test("encrypt in place from .sops.yaml, decrypt to stdout, import a key; errors exit 1 without a stack", { skip: ageSkip }, () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ksail-cipher-cli-"));
    try {
      fs.writeFileSync(
        path.join(dir, ".sops.yaml"),
        `creation_rules:\n  - path_regex: \\.enc\\.yaml$\n    encrypted_regex: ^(data|stringData)$\n    age: ${RECIPIENT}\n`,
      );
      fs.mkdirSync(path.join(dir, "k8s"));
      fs.writeFileSync(path.join(dir, "k8s/db.enc.yaml"), PLAIN);
      const e = run(["cipher", "encrypt", "k8s/db.enc.yaml"], dir);
      assert.equal(e.status, 0, e.stderr);
      assert.match(fs.readFileSync(path.join(dir, "k8s/db.enc.yaml"), "utf8"), /password: ENC\[AES256_GCM/);
      const noKey = run(["cipher", "decrypt", "k8s/db.enc.yaml"], dir);
      assert.equal(noKey.status, 1);
      assert.match(noKey.stderr, /no age identity found/);
      assert.doesNotMatch(noKey.stderr, /\n\s+at /);
      const imp = run(["cipher", "import", IDENTITY], dir);
      assert.equal(imp.status, 0, imp.stderr);
      assert.ok(fs.existsSync(path.join(dir, ".config/sops/age/keys.txt")));
      const d = run(["cipher", "decrypt", "k8s/db.enc.yaml"], dir);
      assert.equal(d.status, 0, d.stderr);
      assert.match(d.stdout, /password: hunter2/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
