import * as crypto from "node:crypto";

/** Lower-case letters and digits: the alphabet of kubeadm bootstrap tokens and Talos trustd tokens. */
export const TOKEN_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789";

/**
 * `length` characters drawn uniformly from `alphabet` (at most 256 characters). Random bytes at or above the
 * largest multiple of the alphabet size are rejected and redrawn, so no character is more likely than another
 * (no modulo bias).
 */
export function randomString(length: number, alphabet: string = TOKEN_ALPHABET): string {
  if (!Number.isInteger(length) || length < 0) throw new RangeError(`randomString: length must be a non-negative integer, got ${length}`);
  if (alphabet.length < 2 || alphabet.length > 256)
    throw new RangeError(`randomString: alphabet must hold 2 to 256 characters, got ${alphabet.length}`);
  const limit = 256 - (256 % alphabet.length); // e.g. 252 for 36 characters
  let out = "";
  while (out.length < length) {
    for (const b of crypto.randomBytes(length - out.length + 8)) {
      if (b >= limit) continue;
      out += alphabet[b % alphabet.length];
      if (out.length === length) break;
    }
  }
  return out;
}

/** A kubeadm-style bootstrap token `[a-z0-9]{6}.[a-z0-9]{16}` (also Talos's trustd token format). */
export function bootstrapToken(): string {
  return `${randomString(6)}.${randomString(16)}`;
}

/** True when `s` has the bootstrap-token shape `[a-z0-9]{6}.[a-z0-9]{16}`. */
export function isBootstrapToken(s: string): boolean {
  return /^[a-z0-9]{6}\.[a-z0-9]{16}$/.test(s);
}

/** `bytes` random bytes, standard base64 (Talos cluster id/secret, secretbox key). */
export function randomBase64(bytes = 32): string {
  return crypto.randomBytes(bytes).toString("base64");
}

/**
 * `bytes` random bytes, URL-safe base64 with padding (Go's `base64.URLEncoding`; Talos's `cluster.id`, which
 * also ends up in discovery-service URLs).
 */
export function randomBase64Url(bytes = 32): string {
  return crypto.randomBytes(bytes).toString("base64").replace(/\+/g, "-").replace(/\//g, "_");
}

/** `bytes` random bytes, lower-case hex. */
export function randomHex(bytes: number): string {
  return crypto.randomBytes(bytes).toString("hex");
}
