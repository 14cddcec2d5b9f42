/**
 * The SOPS document model and its encryption, as getsops/sops v3.13 defines them (sops.go, aes/cipher.go):
 *
 * - A document is a list of items (mapping entries or comments); a value is a mapping, a sequence (which
 *   may also hold comments), or a scalar.
 * - Each scalar that should be encrypted becomes `ENC[AES256_GCM,data:<b64>,iv:<b64>,tag:<b64>,type:<t>]`:
 *   AES-256-GCM with a 32-byte random IV, the 16-byte tag split off, and as additional data the mapping
 *   keys from the root joined by ":" plus a trailing ":" (sequence indexes are not part of the path).
 *   Types: str, int, float, bool (plaintext `True`/`False`), bytes, time, comment. Empty strings stay
 *   empty (unencrypted). Comments are encrypted too (type comment) unless the rules leave their path
 *   plain.
 * - Which values are encrypted: all, unless `unencrypted_suffix` (a key on the path ends with it),
 *   `encrypted_suffix`, `unencrypted_regex`, `encrypted_regex` (a key on the path matches) decide
 *   otherwise; at most one rule per file.
 * - The MAC: SHA-512 over the plaintext bytes of every non-comment scalar in document order (only the
 *   encrypted ones, after a fixed 32-byte prefix, with `mac_only_encrypted`), as upper-case hex,
 *   encrypted like a value with the `lastmodified` RFC 3339 string as additional data.
 *
 * Pure: no files, no keys (the caller supplies the 32-byte data key).
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from "node:crypto";

export class Comment {
  constructor(
    readonly value: string,
    readonly inline = false,
  ) {}
}

/** Integers are bigint (exact, and encrypted as type int); numbers are floats (type float). */
export type Scalar = string | bigint | number | boolean | null | Buffer;
export type Value = MapNode | SeqNode | Scalar;

export interface Item {
  key: string | Comment;
  value: Value;
}

export class MapNode {
  constructor(public items: Item[] = []) {}
}

export class SeqNode {
  constructor(public items: (Value | Comment)[] = []) {}
}

/** The encryption rules of a file (`.sops.yaml` creation rule / `sops` metadata). */
export interface CryptRules {
  readonly unencryptedSuffix?: string;
  readonly encryptedSuffix?: string;
  readonly unencryptedRegex?: string;
  readonly encryptedRegex?: string;
  readonly macOnlyEncrypted?: boolean;
}

/** `echo -n sops | sha256sum`: the MAC prefix with mac_only_encrypted (sops.go MACOnlyEncryptedInitialization). */
const MAC_ONLY_ENCRYPTED_INIT = createHash("sha256").update("sops").digest();

const ENC_RE = /^ENC\[AES256_GCM,data:(.+),iv:(.+),tag:(.+),type:(.+)\]/;

export class SopsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SopsError";
  }
}

/** Go's strconv.FormatFloat(f, 'f', -1, 64): shortest round-trip digits, never an exponent. */
export function formatFloat(n: number): string {
  if (!Number.isFinite(n)) throw new SopsError(`cannot encrypt the non-finite float ${n}`);
  const s = String(n);
  if (!/e/i.test(s)) return s;
  const [mant, expS] = s.toLowerCase().split("e");
  const exp = Number(expS);
  const neg = mant.startsWith("-");
  const digits = mant.replace("-", "").replace(".", "");
  const intLen = mant.replace("-", "").split(".")[0].length + exp;
  let out: string;
  if (intLen <= 0) out = `0.${"0".repeat(-intLen)}${digits}`;
  else if (intLen >= digits.length) out = digits + "0".repeat(intLen - digits.length);
  else out = `${digits.slice(0, intLen)}.${digits.slice(intLen)}`;
  return neg ? `-${out}` : out;
}

/** sops.ToBytes: the bytes of a plaintext value (for the MAC and for encryption). */
export function toBytes(v: Scalar | Comment): { bytes: Buffer; type: string } {
  if (v instanceof Comment) return { bytes: Buffer.from(v.value, "utf8"), type: "comment" };
  if (typeof v === "string") return { bytes: Buffer.from(v, "utf8"), type: "str" };
  if (typeof v === "bigint") return { bytes: Buffer.from(v.toString(), "utf8"), type: "int" };
  if (typeof v === "number") return { bytes: Buffer.from(formatFloat(v)), type: "float" };
  if (typeof v === "boolean") return { bytes: Buffer.from(v ? "True" : "False"), type: "bool" };
  if (Buffer.isBuffer(v)) return { bytes: v, type: "bytes" };
  throw new SopsError(`cannot encrypt a value of type ${v === null ? "null" : typeof v}`);
}

function isEmpty(v: Scalar | Comment): boolean {
  if (v instanceof Comment) return v.value === "";
  if (typeof v === "string") return v === "";
  if (Buffer.isBuffer(v)) return v.length === 0;
  return false;
}

/** Remembers the IV of each decrypted (plaintext, path) so that re-encrypting an unchanged value gives the same text (sops's stash). */
export type IvStash = Map<string, Buffer>;
const stashKey = (plain: Buffer, type: string, aad: string) => `${type}\u0000${aad}\u0000${plain.toString("base64")}`;

export function encryptValue(v: Scalar | Comment, key: Buffer, aad: string, stash?: IvStash): string {
  if (isEmpty(v)) return "";
  const { bytes, type } = toBytes(v);
  const iv = stash?.get(stashKey(bytes, type, aad)) ?? randomBytes(32);
  const c = createCipheriv("aes-256-gcm", key, iv);
  c.setAAD(Buffer.from(aad, "utf8"));
  const data = Buffer.concat([c.update(bytes), c.final()]);
  const tag = c.getAuthTag();
  return `ENC[AES256_GCM,data:${data.toString("base64")},iv:${iv.toString("base64")},tag:${tag.toString("base64")},type:${type}]`;
}

const GO_TRUE = new Set(["1", "t", "T", "TRUE", "true", "True"]);
const GO_FALSE = new Set(["0", "f", "F", "FALSE", "false", "False"]);

export function decryptValue(text: string, key: Buffer, aad: string, stash?: IvStash): Scalar | Comment {
  if (text === "") return "";
  const m = ENC_RE.exec(text);
  if (!m) throw new SopsError(`value does not match sops' data format: ${text.slice(0, 40)}`);
  const [data, iv, tag] = [m[1], m[2], m[3]].map((s) => Buffer.from(s, "base64"));
  const type = m[4];
  const d = createDecipheriv("aes-256-gcm", key, iv);
  d.setAAD(Buffer.from(aad, "utf8"));
  d.setAuthTag(tag);
  let plain: Buffer;
  try {
    plain = Buffer.concat([d.update(data), d.final()]);
  } catch {
    throw new SopsError(`could not decrypt the value at "${aad}" with AES-GCM (wrong data key, or the value or its key path was changed)`);
  }
  stash?.set(stashKey(plain, type, aad), iv);
  const s = plain.toString("utf8");
  switch (type) {
    case "str":
      return s;
    case "int":
      if (!/^[+-]?\d+$/.test(s)) throw new SopsError(`"${aad}": type int but plaintext ${JSON.stringify(s)}`);
      return BigInt(s);
    case "float":
      return Number(s);
    case "bool":
      if (GO_TRUE.has(s)) return true;
      if (GO_FALSE.has(s)) return false;
      throw new SopsError(`"${aad}": type bool but plaintext ${JSON.stringify(s)}`);
    case "bytes":
      return plain;
    case "time":
      return s;
    case "comment":
      return new Comment(s);
    default:
      throw new SopsError(`"${aad}": unknown data type ${type}`);
  }
}

function shouldBeEncrypted(path: readonly string[], r: CryptRules): boolean {
  let encrypted = true;
  if (r.unencryptedSuffix && path.some((p) => p.endsWith(r.unencryptedSuffix!))) encrypted = false;
  if (r.encryptedSuffix) encrypted = path.some((p) => p.endsWith(r.encryptedSuffix!));
  if (r.unencryptedRegex && path.some((p) => new RegExp(r.unencryptedRegex!).test(p))) encrypted = false;
  if (r.encryptedRegex) encrypted = path.some((p) => new RegExp(r.encryptedRegex!).test(p));
  return encrypted;
}

type Leaf = (v: Scalar | Comment, path: readonly string[]) => Scalar | Comment;

function walkValue(v: Value, path: string[], leaf: Leaf): Value {
  if (v instanceof MapNode) return walkMap(v, path, leaf);
  if (v instanceof SeqNode) {
    v.items = v.items.map((it) => (it instanceof Comment ? (leaf(it, path) as Comment) : walkValue(it, path, leaf)));
    return v;
  }
  if (v === null) return null;
  return leaf(v, path) as Scalar;
}

function walkMap(m: MapNode, path: string[], leaf: Leaf): MapNode {
  for (const item of m.items) {
    if (item.key instanceof Comment) {
      item.key = leaf(item.key, path) as Comment;
      continue;
    }
    item.value = walkValue(item.value, [...path, item.key], leaf);
  }
  return m;
}

const aadOf = (path: readonly string[]) => `${path.join(":")}:`;

/** Encrypts the documents in place; returns the MAC (upper-case hex SHA-512), not yet encrypted. */
export function encryptTree(docs: MapNode[], key: Buffer, rules: CryptRules, stash?: IvStash): string {
  const hash = createHash("sha512");
  if (rules.macOnlyEncrypted) hash.update(MAC_ONLY_ENCRYPTED_INIT);
  for (const doc of docs) {
    walkMap(doc, [], (v, path) => {
      const enc = shouldBeEncrypted(path, rules);
      if ((!rules.macOnlyEncrypted || enc) && !(v instanceof Comment)) hash.update(toBytes(v).bytes);
      if (!enc) return v;
      const text = encryptValue(v, key, aadOf(path), stash);
      return v instanceof Comment ? new Comment(text, v.inline) : text;
    });
  }
  return hash.digest("hex").toUpperCase();
}

/** Decrypts the documents in place; returns the MAC computed over the plaintext. */
export function decryptTree(docs: MapNode[], key: Buffer, rules: CryptRules, stash?: IvStash): string {
  const hash = createHash("sha512");
  if (rules.macOnlyEncrypted) hash.update(MAC_ONLY_ENCRYPTED_INIT);
  for (const doc of docs) {
    walkMap(doc, [], (v, path) => {
      const enc = shouldBeEncrypted(path, rules);
      let out: Scalar | Comment = v;
      if (enc) {
        if (v instanceof Comment) {
          // sops: a comment that does not decrypt was probably never encrypted; keep it.
          try {
            const d = decryptValue(v.value, key, aadOf(path), stash);
            out = d instanceof Comment ? new Comment(d.value, v.inline) : new Comment(String(d), v.inline);
          } catch {
            out = v;
          }
        } else if (typeof v === "string") {
          out = decryptValue(v, key, aadOf(path), stash);
        } else {
          throw new SopsError(`"${aadOf(path)}": expected an encrypted string, found ${typeof v} (the file is not fully encrypted)`);
        }
      }
      if ((!rules.macOnlyEncrypted || enc) && !(out instanceof Comment)) hash.update(toBytes(out).bytes);
      return out;
    });
  }
  return hash.digest("hex").toUpperCase();
}
