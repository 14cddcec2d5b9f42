/**
 * Secret-free rendering of a machine config, for review, `ksail-pulumi render` and plain Pulumi outputs
 * (`renderedConfigs`), so a config can be read and diffed without exposing key material. Pure.
 *
 * Redaction by allow-list: a string survives only under a field known to hold no credential (versions, names,
 * images, endpoints, subnets, certificates, labels, …, see {@link SAFE_FIELDS}); every other string — a
 * private key, a token, a passphrase of disk encryption, a file's content, an environment variable, a header,
 * a kubelet or API server argument not known to be harmless — becomes {@link REDACTED}. So a secret in a field
 * this module has never heard of (a user's Talos patch) is redacted too. On top of that, any string that is (or
 * base64-decodes to) a PEM private key or looks like a bootstrap token is replaced wherever it is, and
 * credentials in a URL (`scheme://user:password@host`) are replaced inside kept strings.
 *
 * Kept besides: numbers and booleans, map keys, certificates (`crt`: public by design; a CA rotation stays
 * visible in a reviewed diff) and `cluster.id` (an identifier; discovery needs `cluster.secret` too). Empty
 * strings stay empty so the rendering still shows which role holds keys. Inline manifests keep their objects
 * with Secret payloads blanked. The output still validates against the Talos JSON Schema (strings stay strings).
 */
import * as YAML from "yaml";
import { Json, JsonObject, isObject, parseDocuments, stringifyDocuments } from "./documents";

export const REDACTED = "***redacted***";

/**
 * Fields whose string values (or the strings of their lists) hold no credential in any Talos config document.
 * Anything else is redacted.
 */
export const SAFE_FIELDS: ReadonlySet<string> = new Set([
  // document and object identity
  "apiVersion",
  "kind",
  "name",
  "version",
  "type",
  "id",
  "clusterName",
  "hostname",
  "auto",
  "username",
  "dnsDomain",
  "domain",
  // images, disks, install
  "image",
  "disk",
  "wipe",
  "mode",
  "provider",
  // endpoints, addresses, networks
  "endpoint",
  "endpoints",
  "url",
  "urls",
  "certSANs",
  "podSubnets",
  "serviceSubnets",
  "advertisedSubnets",
  "validSubnets",
  "subnet",
  "subnets",
  "address",
  "addresses",
  "interface",
  "network",
  "gateway",
  "nameservers",
  "servers",
  "ip",
  "ports",
  "protocol",
  "ingress",
  "egress",
  // certificates are public
  "crt",
  // files: where, not what
  "path",
  "op",
  "permissions",
  // API server policy documents
  "level",
  "namespaces",
  "audit",
  "audit-version",
  "enforce",
  "enforce-version",
  "warn",
  "warn-version",
  "effect",
  "format",
  // link selection (a CEL match on the bus path, the link a VIP sits on)
  "match",
  "link",
]);

/** Maps whose values are labels, annotations or taints (public metadata), kept as written. */
const SAFE_MAPS: ReadonlySet<string> = new Set(["nodeLabels", "nodeAnnotations", "nodeTaints", "labels", "annotations"]);

/** Component arguments known to hold no credential; other `extraArgs` values are redacted. */
const SAFE_ARGS: ReadonlySet<string> = new Set([
  "cloud-provider",
  "feature-gates",
  "runtime-config",
  "rotate-server-certificates",
  "bind-address",
  "node-ip",
  "node-labels",
  "max-pods",
  "v",
  "oidc-issuer-url",
  "oidc-client-id",
  "oidc-username-claim",
  "oidc-groups-claim",
  "oidc-username-prefix",
  "oidc-groups-prefix",
]);

/** `scheme://user:password@host…` → the credentials replaced. */
function scrubUrlCredentials(s: string): string {
  return s.replace(/([a-z][a-z0-9+.-]*:\/\/)[^/@\s]+@/gi, `$1${REDACTED}@`);
}

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
 * Redact plain config data (exported for callers that already hold parsed documents): `field` is the value's
 * field name ("" for a list item), `parentField` the field of the object or list holding it. With
 * `fieldRules: false` only the key-material scan applies (used inside Kubernetes manifests).
 */
export function redactValue(v: Json, field: string, parent?: JsonObject, parentField = "", fieldRules = true): Json {
  if (typeof v === "string") {
    if (v === "" || v === REDACTED) return v;
    if (looksLikeKeyMaterial(v)) return REDACTED;
    if (!fieldRules) return v;
    if (SAFE_MAPS.has(parentField)) return scrubUrlCredentials(v);
    if (parentField === "extraArgs") return SAFE_ARGS.has(field) ? scrubUrlCredentials(v) : REDACTED;
    // A list item takes its list's field name.
    const name = field === "" ? parentField : field;
    return SAFE_FIELDS.has(name) ? scrubUrlCredentials(v) : REDACTED;
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
