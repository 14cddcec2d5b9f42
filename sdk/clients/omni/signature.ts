/**
 * Omni's request signing for service accounts, as siderolabs/go-api-signature (v0.3.x, pkg/message and
 * pkg/serviceaccount; Omni main pins v0.3.13) implements and Omni's signature interceptor verifies:
 *
 * - the key is base64 of JSON `{"name": <identity>, "pgp_key": <armored OpenPGP private key>}` (EdDSA);
 * - every call carries `x-sidero-timestamp` (Unix seconds; the server accepts ±5 minutes),
 *   `x-sidero-payload` (JSON `{"headers": {…}, "method": "/pkg.Service/Method"}` where `headers` holds each
 *   of the ten included header names with the request's values, or null when the request has none) and
 *   `x-sidero-signature` (`siderov1 <identity> <key fingerprint> <base64 of the binary detached signature
 *   of the payload JSON>`).
 *
 * The server verifies the signature over the payload header's exact bytes, then checks that every included
 * header in the payload equals the request's own. The key itself is found by its fingerprint.
 */
import type * as openpgpTypes from "openpgp";

/** The headers whose values are signed, in go-api-signature's order (pkg/message/payload.go). */
export const SIGNED_HEADERS = [
  "x-sidero-timestamp",
  "nodes",
  "selectors",
  "fieldSelectors",
  "runtime",
  "context",
  "cluster",
  "namespace",
  "uid",
  "authorization",
] as const;

export const TIMESTAMP_HEADER = "x-sidero-timestamp";
export const PAYLOAD_HEADER = "x-sidero-payload";
export const SIGNATURE_HEADER = "x-sidero-signature";
export const SIGNATURE_VERSION = "siderov1";

/** The decoded service-account key. `key` is the unlocked OpenPGP private key. */
export interface ServiceAccount {
  readonly name: string;
  readonly fingerprint: string;
  readonly expires?: Date;
  readonly key: openpgpTypes.PrivateKey;
}

/** Why a service-account key could not be used; never contains the key. */
export class ServiceAccountKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ServiceAccountKeyError";
  }
}

/** Parse the base64 JSON envelope synchronously (cheap checks first, so a typo fails before any I/O). */
export function parseServiceAccountEnvelope(base64: string): { name: string; armoredKey: string } {
  const trimmed = base64.trim();
  if (trimmed === "") throw new ServiceAccountKeyError("the Omni service account key is empty");
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(trimmed)) {
    throw new ServiceAccountKeyError("the Omni service account key is not base64 (expected the value Omni shows when it creates the key)");
  }
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(trimmed, "base64").toString("utf8"));
  } catch {
    throw new ServiceAccountKeyError('the Omni service account key does not decode to JSON {"name", "pgp_key"}');
  }
  const o = json as { name?: unknown; pgp_key?: unknown };
  if (typeof o?.name !== "string" || o.name === "" || typeof o.pgp_key !== "string" || o.pgp_key === "") {
    throw new ServiceAccountKeyError('the Omni service account key JSON lacks "name" or "pgp_key"');
  }
  return { name: o.name, armoredKey: o.pgp_key };
}

/** Decode a service-account key: the envelope, then the armored private key (must be unencrypted). */
export async function decodeServiceAccountKey(base64: string): Promise<ServiceAccount> {
  const { name, armoredKey } = parseServiceAccountEnvelope(base64);
  const openpgp = await import("openpgp");
  let key: openpgpTypes.PrivateKey;
  try {
    key = await openpgp.readPrivateKey({ armoredKey });
  } catch (e) {
    throw new ServiceAccountKeyError(
      `the Omni service account key's pgp_key is not an armored OpenPGP private key: ${(e as Error).message}`,
    );
  }
  if (!key.isDecrypted())
    throw new ServiceAccountKeyError("the Omni service account key's pgp_key is passphrase-protected; Omni issues unencrypted keys");
  const exp = await key.getExpirationTime();
  return { name, key, fingerprint: key.getFingerprint(), expires: exp instanceof Date ? exp : undefined };
}

/** JSON string encoding as Go's encoding/json writes it (HTML-safe: <, >, & and U+2028/9 escaped). */
export function goJsonString(s: string): string {
  return JSON.stringify(s).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/**
 * The payload JSON exactly as go-api-signature builds it: `headers` maps each included header (Go sorts
 * map keys) to the request's values for it (looked up lower-cased, as gRPC metadata keys are), or null.
 */
export function buildPayload(md: Readonly<Record<string, readonly string[]>>, method: string): string {
  const keys = [...SIGNED_HEADERS].sort();
  const parts = keys.map((k) => {
    const v = md[k.toLowerCase()];
    return `${goJsonString(k)}:${v && v.length > 0 ? `[${v.map(goJsonString).join(",")}]` : "null"}`;
  });
  return `{"headers":{${parts.join(",")}},"method":${goJsonString(method)}}`;
}

/**
 * Sign one call: returns the three headers to add to `md` (which holds the call's other metadata, e.g.
 * `context`). `nowMs` is the signing clock (Date.now() unless a test skews it).
 */
export async function signCall(
  sa: ServiceAccount,
  method: string,
  md: Readonly<Record<string, readonly string[]>>,
  nowMs: number = Date.now(),
): Promise<Record<string, string>> {
  const openpgp = await import("openpgp");
  const timestamp = String(Math.floor(nowMs / 1000));
  const withTs: Record<string, readonly string[]> = { ...md, [TIMESTAMP_HEADER]: [timestamp] };
  const payload = buildPayload(withTs, method);
  const signature = await openpgp.sign({
    message: await openpgp.createMessage({ binary: Buffer.from(payload, "utf8") }),
    signingKeys: sa.key,
    detached: true,
    format: "binary",
    // The OpenPGP signature time follows the signing clock, but never precedes the key's creation: a fresh key
    // used from a machine whose clock lags would otherwise be unusable (openpgp refuses to sign "before" the
    // key existed). Freshness is judged by x-sidero-timestamp; the server accepts signature times up to 5
    // minutes ahead of its own clock.
    date: new Date(Math.max(nowMs, sa.key.getCreationTime().getTime())),
  });
  return {
    [TIMESTAMP_HEADER]: timestamp,
    [PAYLOAD_HEADER]: payload,
    [SIGNATURE_HEADER]: `${SIGNATURE_VERSION} ${sa.name} ${sa.fingerprint} ${Buffer.from(signature as Uint8Array).toString("base64")}`,
  };
}
