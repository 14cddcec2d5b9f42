/**
 * SOPS files with age recipients, readable by getsops/sops v3.13 and reading what it writes: the metadata
 * block (stores/stores.go, stores/metadata.go: keys sorted, `age: [{enc, recipient}]`, `lastmodified` as
 * RFC 3339, the encrypted `mac`, the crypt rule, `version`), the data key (32 random bytes) encrypted to
 * each age recipient separately as an armored age file (age/keysource.go), and `.sops.yaml`
 * `creation_rules` (config/config.go: first rule whose `path_regex` matches the path relative to the
 * config file's directory, or a rule without one; the config is looked up from the working directory
 * upwards). Identities as sops finds them: `SOPS_AGE_KEY`, `SOPS_AGE_KEY_FILE`, then
 * `$XDG_CONFIG_HOME/sops/age/keys.txt` (`~/.config/sops/age/keys.txt`).
 *
 * Not supported (an error, never a silent skip): PGP, cloud KMS and Vault keys, key groups with Shamir
 * sharing, the comment-regex rules.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { randomBytes } from "node:crypto";
import {
  Comment,
  MapNode,
  SeqNode,
  SopsError,
  decryptTree,
  decryptValue,
  encryptTree,
  encryptValue,
  type CryptRules,
  type IvStash,
  type Item,
} from "./tree";
import { emitYaml, loadYaml } from "./yamlStore";

export { SopsError } from "./tree";

/** The SOPS version whose file format this module writes. */
export const SOPS_FORMAT_VERSION = "3.13.3";

interface AgeModule {
  Encrypter: new () => { addRecipient(r: string): void; encrypt(data: Uint8Array): Promise<Uint8Array> };
  Decrypter: new () => { addIdentity(i: string): void; decrypt(data: Uint8Array): Promise<Uint8Array> };
  armor: { encode(b: Uint8Array): string; decode(s: string): Uint8Array };
  identityToRecipient(i: string): Promise<string>;
}
const age = (): AgeModule => require("age-encryption") as AgeModule;

export interface EncryptOptions extends CryptRules {
  /** age recipients (`age1…`). */
  readonly recipients: readonly string[];
}

const RULE_KEYS: [keyof CryptRules, string][] = [
  ["unencryptedSuffix", "unencrypted_suffix"],
  ["encryptedSuffix", "encrypted_suffix"],
  ["unencryptedRegex", "unencrypted_regex"],
  ["encryptedRegex", "encrypted_regex"],
];

function rfc3339(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** Encrypts a plaintext YAML stream; returns the SOPS file text. */
export async function encryptYaml(plaintext: string, opts: EncryptOptions): Promise<string> {
  if (opts.recipients.length === 0)
    throw new SopsError("no age recipients: add `age:` to the matching .sops.yaml creation rule or pass --age");
  const rules = RULE_KEYS.filter(([k]) => opts[k]);
  if (rules.length > 1) throw new SopsError(`cannot use more than one of ${RULE_KEYS.map(([, y]) => y).join(", ")} for the same file`);
  const docs = loadYaml(plaintext);
  for (const d of docs)
    if (d.items.some((i) => i.key === "sops")) throw new SopsError("the file already has a top-level `sops` key (already encrypted?)");
  const key = randomBytes(32);
  const mac = encryptTree(docs, key, opts);
  return emitYaml(withMetadata(docs, await metadataFor(key, mac, opts, opts.recipients)));
}

async function metadataFor(
  key: Buffer,
  mac: string,
  rules: CryptRules,
  recipients: readonly string[],
  stash?: IvStash,
  now = new Date(),
): Promise<MapNode> {
  const a = age();
  const ageItems: MapNode[] = [];
  for (const r of recipients) {
    const e = new a.Encrypter();
    e.addRecipient(r.trim());
    const enc = a.armor.encode(await e.encrypt(new Uint8Array(key)));
    ageItems.push(
      new MapNode([
        { key: "enc", value: enc },
        { key: "recipient", value: r.trim() },
      ]),
    );
  }
  const lastmodified = rfc3339(now);
  const items: Item[] = [{ key: "age", value: new SeqNode(ageItems) }];
  for (const [k, y] of RULE_KEYS) if (rules[k]) items.push({ key: y, value: String(rules[k]) });
  items.push({ key: "lastmodified", value: lastmodified });
  items.push({ key: "mac", value: encryptValue(mac, key, lastmodified, stash) });
  if (rules.macOnlyEncrypted) items.push({ key: "mac_only_encrypted", value: true });
  items.push({ key: "version", value: SOPS_FORMAT_VERSION });
  items.sort((x, y) => ((x.key as string) < (y.key as string) ? -1 : 1));
  return new MapNode(items);
}

function withMetadata(docs: MapNode[], md: MapNode): MapNode[] {
  return docs.map((d) => new MapNode([...d.items, { key: "sops", value: md }]));
}

interface ParsedMetadata extends CryptRules {
  readonly age: { recipient: string; enc: string }[];
  readonly lastmodified: string;
  readonly mac: string;
}

function scalarOf(m: MapNode, key: string): unknown {
  return m.items.find((i) => i.key === key)?.value;
}

function parseMetadata(docs: MapNode[]): ParsedMetadata {
  const first = docs[0];
  const md = first?.items.find((i) => i.key === "sops")?.value;
  if (!(md instanceof MapNode)) throw new SopsError("the file has no `sops` metadata: it is not a SOPS-encrypted file");
  for (const d of docs) d.items = d.items.filter((i) => i.key !== "sops");
  for (const unsupported of [
    "pgp",
    "kms",
    "gcp_kms",
    "azure_kv",
    "hc_vault",
    "hckms",
    "key_groups",
    "encrypted_comment_regex",
    "unencrypted_comment_regex",
  ]) {
    const v = scalarOf(md, unsupported);
    if (v !== undefined && v !== null && !(v instanceof SeqNode && v.items.length === 0)) {
      throw new SopsError(
        `the file uses sops "${unsupported}", which ksail-pulumi does not support (age recipients only); use the sops binary for it`,
      );
    }
  }
  const ageSeq = scalarOf(md, "age");
  const ageKeys =
    ageSeq instanceof SeqNode
      ? ageSeq.items
          .filter((x): x is MapNode => x instanceof MapNode)
          .map((m) => ({ recipient: String(scalarOf(m, "recipient") ?? ""), enc: String(scalarOf(m, "enc") ?? "") }))
      : [];
  const str = (k: string) => {
    const v = scalarOf(md, k);
    return v === undefined || v === null ? undefined : String(v);
  };
  return {
    age: ageKeys,
    lastmodified: str("lastmodified") ?? "",
    mac: str("mac") ?? "",
    unencryptedSuffix: str("unencrypted_suffix"),
    encryptedSuffix: str("encrypted_suffix"),
    unencryptedRegex: str("unencrypted_regex"),
    encryptedRegex: str("encrypted_regex"),
    macOnlyEncrypted: scalarOf(md, "mac_only_encrypted") === true,
  };
}

/** The age identities sops would use, from the environment and the user's key file. */
export function loadAgeIdentities(env: NodeJS.ProcessEnv = process.env): string[] {
  const ids: string[] = [];
  const parse = (text: string, multiPerLine: boolean) => {
    for (const line of text.split(/\r?\n/)) {
      if (line === "" || line.startsWith("#")) continue;
      for (const w of multiPerLine ? line.split(/\s+/).filter((x) => x !== "") : [line.trim()]) {
        if (!w.startsWith("AGE-SECRET-KEY-1")) throw new SopsError("an age identity is not an AGE-SECRET-KEY-1… key");
        ids.push(w);
      }
    }
  };
  if (env.SOPS_AGE_KEY !== undefined) parse(env.SOPS_AGE_KEY, true);
  if (env.SOPS_AGE_KEY_FILE !== undefined) parse(fs.readFileSync(env.SOPS_AGE_KEY_FILE, "utf8"), false);
  const userFile = ageKeyFilePath({ ...env, SOPS_AGE_KEY_FILE: undefined });
  if (fs.existsSync(userFile)) parse(fs.readFileSync(userFile, "utf8"), false);
  return ids;
}

/** Where `cipher import` writes and sops reads: SOPS_AGE_KEY_FILE, else `$XDG_CONFIG_HOME|~/.config` + `/sops/age/keys.txt`. */
export function ageKeyFilePath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.SOPS_AGE_KEY_FILE) return env.SOPS_AGE_KEY_FILE;
  const base = env.XDG_CONFIG_HOME && env.XDG_CONFIG_HOME !== "" ? env.XDG_CONFIG_HOME : path.join(env.HOME ?? os.homedir(), ".config");
  return path.join(base, "sops", "age", "keys.txt");
}

export interface DecryptOptions {
  readonly identities?: readonly string[];
  readonly ignoreMac?: boolean;
}

export interface Decrypted {
  readonly docs: MapNode[];
  readonly key: Buffer;
  readonly metadata: ParsedMetadata;
  readonly stash: IvStash;
}

/** Decrypts a SOPS YAML file's text into trees (checks the MAC unless told not to). */
export async function decryptYamlTree(text: string, opts: DecryptOptions = {}): Promise<Decrypted> {
  const docs = loadYaml(text);
  const md = parseMetadata(docs);
  const identities = opts.identities ?? loadAgeIdentities();
  if (identities.length === 0)
    throw new SopsError(
      "no age identity found: set SOPS_AGE_KEY or SOPS_AGE_KEY_FILE, or run `ksail-pulumi cipher import AGE-SECRET-KEY-…`",
    );
  const a = age();
  let key: Buffer | undefined;
  for (const k of md.age) {
    try {
      const d = new a.Decrypter();
      for (const id of identities) d.addIdentity(id);
      const bytes = Buffer.from(await d.decrypt(a.armor.decode(k.enc)));
      if (bytes.length === 32) {
        key = bytes;
        break;
      }
    } catch {
      // not for these identities: try the next recipient
    }
  }
  if (!key)
    throw new SopsError(
      `none of the age identities decrypts the data key (recipients: ${md.age.map((k) => k.recipient).join(", ") || "none"})`,
    );
  const stash: IvStash = new Map();
  const computed = decryptTree(docs, key, md, stash);
  if (!opts.ignoreMac) {
    let fileMac: unknown;
    try {
      fileMac = decryptValue(md.mac, key, md.lastmodified);
    } catch {
      throw new SopsError("cannot decrypt the MAC (was lastmodified or mac changed?); the file may have been tampered with");
    }
    if (fileMac !== computed)
      throw new SopsError(
        `MAC mismatch: the file has ${String(fileMac) || "no MAC"}, computed ${computed}; the file was changed outside sops`,
      );
  }
  return { docs, key, metadata: md, stash };
}

export async function decryptYaml(text: string, opts: DecryptOptions = {}): Promise<string> {
  return emitYaml((await decryptYamlTree(text, opts)).docs);
}

/** Re-encrypts edited plaintext with the file's data key, recipients and rules (unchanged values keep their ciphertext). */
export async function reencryptYaml(plaintext: string, previous: Decrypted): Promise<string> {
  const docs = loadYaml(plaintext);
  const mac = encryptTree(docs, previous.key, previous.metadata, previous.stash);
  const md = await metadataFor(
    previous.key,
    mac,
    previous.metadata,
    previous.metadata.age.map((k) => k.recipient),
    previous.stash,
  );
  // Keep each recipient's wrapped data key as it was (sops re-wraps only on rotate).
  const ageSeq = md.items.find((i) => i.key === "age");
  if (ageSeq)
    ageSeq.value = new SeqNode(
      previous.metadata.age.map(
        (k) =>
          new MapNode([
            { key: "enc", value: k.enc },
            { key: "recipient", value: k.recipient },
          ]),
      ),
    );
  return emitYaml(withMetadata(docs, md));
}

export { Comment };

/** A `.sops.yaml` creation rule resolved for one file. */
export interface CreationRule extends CryptRules {
  readonly recipients: string[];
  /** The config file it came from. */
  readonly configPath: string;
}

/** sops's config lookup: `.sops.yaml` in `start` or a parent directory (up to 100 levels). */
export function findSopsConfig(start = process.cwd()): string | undefined {
  let dir = path.resolve(start);
  for (let i = 0; i < 100; i++) {
    const p = path.join(dir, ".sops.yaml");
    if (fs.existsSync(p)) return p;
    const up = path.dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
  return undefined;
}

/** The first creation rule of `configPath` that matches `file` (path_regex against the path relative to the config's directory). */
export function creationRuleFor(configPath: string, file: string): CreationRule {
  const yaml = require("yaml") as typeof import("yaml");
  const conf = (yaml.parse(fs.readFileSync(configPath, "utf8")) ?? {}) as { creation_rules?: Record<string, unknown>[] };
  const rules = conf.creation_rules;
  if (!Array.isArray(rules)) throw new SopsError(`${configPath}: no creation_rules`);
  const dir = path.dirname(path.resolve(configPath));
  const abs = path.resolve(file);
  const rel = abs.startsWith(dir + path.sep) ? abs.slice(dir.length + 1) : abs;
  for (const [i, r] of rules.entries()) {
    const re = r.path_regex;
    if (re !== undefined && re !== "" && !new RegExp(String(re)).test(rel)) continue;
    for (const k of [
      "pgp",
      "kms",
      "gcp_kms",
      "azure_keyvault",
      "hc_vault_transit_uri",
      "hckms",
      "key_groups",
      "shamir_threshold",
      "encrypted_comment_regex",
      "unencrypted_comment_regex",
    ]) {
      if (r[k] !== undefined && r[k] !== "" && !(Array.isArray(r[k]) && (r[k] as unknown[]).length === 0)) {
        throw new SopsError(
          `${configPath}: creation_rules[${i}].${k} is not supported by ksail-pulumi (age recipients only); use the sops binary for this file`,
        );
      }
    }
    const ageField = r.age;
    const recipients = (typeof ageField === "string" ? ageField.split(",") : Array.isArray(ageField) ? ageField.map(String) : [])
      .map((s) => s.trim())
      .filter((s) => s !== "");
    return {
      recipients,
      configPath,
      unencryptedSuffix: r.unencrypted_suffix as string | undefined,
      encryptedSuffix: r.encrypted_suffix as string | undefined,
      unencryptedRegex: r.unencrypted_regex as string | undefined,
      encryptedRegex: r.encrypted_regex as string | undefined,
      macOnlyEncrypted: r.mac_only_encrypted === true,
    };
  }
  throw new SopsError(`${configPath}: no creation rule matches ${rel}`);
}

/** Appends an age identity to the key file in age-keygen's format (created, public key, key); no duplicate. */
export async function importAgeKey(
  secretKey: string,
  env: NodeJS.ProcessEnv = process.env,
  now = new Date(),
): Promise<{ file: string; recipient: string; added: boolean }> {
  const key = secretKey.trim();
  if (!/^AGE-SECRET-KEY-1[0-9A-Z]+$/.test(key)) throw new SopsError("the key must be an age private key (AGE-SECRET-KEY-1…)");
  const recipient = await age().identityToRecipient(key);
  const file = ageKeyFilePath(env);
  const existing = fs.existsSync(file) ? fs.readFileSync(file, "utf8") : "";
  if (existing.split(/\r?\n/).includes(key)) return { file, recipient, added: false };
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const block = `# created: ${rfc3339(now)}\n# public key: ${recipient}\n${key}\n`;
  fs.writeFileSync(file, existing === "" ? block : `${existing.endsWith("\n") ? existing : `${existing}\n`}\n${block}`, { mode: 0o600 });
  return { file, recipient, added: true };
}
