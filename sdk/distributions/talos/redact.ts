/**
 * Secret-free rendering of a machine config, for review, `ksail-pulumi render` and plain Pulumi outputs
 * (`renderedConfigs`), so a config can be read and diffed without exposing key material. Pure.
 *
 * Replaced by {@link REDACTED}: every private key (CA keys, service-account key), every token (trustd,
 * bootstrap), the cluster secret and the secretbox/AES-CBC encryption secrets, registry passwords/auth
 * strings/identity tokens, Hetzner/Equinix API tokens, WireGuard private keys, and `data`/`stringData` of
 * Kubernetes Secrets inside inline manifests. As a safety net any other string that is (or base64-decodes
 * to) a PEM private key, or looks like a bootstrap token, is replaced too.
 *
 * Kept: certificates (`crt`) and `cluster.id`. Certificates are public by design (every client sees
 * them), and keeping them makes a CA rotation visible in a reviewed diff; `cluster.id` is an identifier,
 * not a credential (discovery needs `cluster.secret` too). Empty strings (the worker's `key: ""`) stay
 * empty so the rendering still shows which role holds keys. The output still validates against the
 * Talos JSON Schema (strings stay strings).
 */
import * as YAML from "yaml";
import { Json, JsonObject, isObject, parseDocuments, stringifyDocuments } from "./documents";

export const REDACTED = "***redacted***";

/** Field names whose string values are credentials wherever they appear. */
const SECRET_FIELDS = new Set([
  "token",
  "secret",
  "secretboxEncryptionSecret",
  "aescbcEncryptionSecret",
  "bootstrapToken",
  "password",
  "auth",
  "identityToken",
  "apiToken",
  "privateKey",
  "presharedKey",
]);

const TOKEN_RE = /^[a-z0-9]{6}\.[a-z0-9]{16}$/;

/** True when a string is, or base64-decodes to, PEM private key material. */
export function looksLikeKeyMaterial(s: string): boolean {
  if (/PRIVATE KEY-----/.test(s)) return true;
  if (TOKEN_RE.test(s)) return true;
  if (s.length >= 40 && /^[A-Za-z0-9+/=\s]+$/.test(s)) {
    const decoded = Buffer.from(s, "base64").toString("utf8");
    if (/PRIVATE KEY-----/.test(decoded)) return true;
  }
  return false;
}

/** Redact one multi-document machine config (YAML in, YAML out). */
export function redactMachineConfig(yaml: string): string {
  return stringifyDocuments(parseDocuments(yaml).map((d) => redactValue(d, "") as JsonObject));
}

/**
 * Redact plain config data (exported for callers that already hold parsed documents). `key` is a
 * credential only beside a `crt` or under `serviceAccount`/`clientIdentity` (a toleration's `key` is not);
 * with `fieldRules: false` only the key-material scan applies (used inside Kubernetes manifests).
 */
export function redactValue(v: Json, field: string, parent?: JsonObject, parentField = "", fieldRules = true): Json {
  if (typeof v === "string") {
    if (v === "") return v;
    if (looksLikeKeyMaterial(v)) return REDACTED;
    if (!fieldRules) return v;
    if (SECRET_FIELDS.has(field)) return REDACTED;
    if (field === "key" && (parent?.crt !== undefined || parentField === "serviceAccount" || parentField === "clientIdentity"))
      return REDACTED;
    return v;
  }
  if (Array.isArray(v)) return v.map((x) => redactValue(x, "", undefined, field, fieldRules));
  if (isObject(v)) {
    const out: JsonObject = {};
    for (const [k, x] of Object.entries(v)) {
      out[k] = fieldRules && k === "contents" && typeof x === "string" ? redactManifest(x) : redactValue(x, k, v, field, fieldRules);
    }
    return out;
  }
  return v;
}

/** Inline manifests: blank out Secret payloads; other objects pass through the generic rules. */
function redactManifest(text: string): string {
  if (!/kind:\s*Secret\b/.test(text) && !looksLikeKeyMaterial(text)) return text;
  try {
    const docs = YAML.parseAllDocuments(text);
    const list = Array.isArray(docs) ? docs : [docs];
    return list
      .map((d) => {
        const js = d.toJS() as Json;
        if (isObject(js) && js.kind === "Secret") {
          for (const part of ["data", "stringData"]) {
            const data = js[part];
            if (isObject(data)) for (const k of Object.keys(data)) data[k] = REDACTED;
          }
        }
        return YAML.stringify(redactValue(js, "", undefined, "", false), { lineWidth: 0 });
      })
      .join("---\n");
  } catch {
    return REDACTED;
  }
}
