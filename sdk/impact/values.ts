import { UNKNOWN } from "../dynamic/unknown";
import type { Combo } from "./types";

/**
 * Value extractors for the impact table: each turns one spec field into the string that is compared and
 * displayed (KSail compares strings). Pure; they read the spec by path, so they work on a parsed `Spec`,
 * on its JSON round trip (the `ClusterSpec` resource's state) and on preview inputs holding unknowns.
 */

/** Any parsed spec (`ClusterDocument["spec"]`) or its JSON form. */
export type SpecLike = unknown;

/** Extracts the compared/displayed value of a field for one distribution × provider. */
export type ValueFn = (spec: SpecLike, combo: Combo) => string;

/** Display form of a value that is not known during preview. */
export const UNKNOWN_DISPLAY = "(unknown until apply)";

/** Reads `a.b.c` from a nested object; undefined when any step is missing. */
export function getPath(obj: unknown, path: string): unknown {
  let cur: unknown = obj;
  for (const key of path.split(".")) {
    if (cur === UNKNOWN) return UNKNOWN;
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}

function hasUnknown(v: unknown): boolean {
  if (v === UNKNOWN) return true;
  if (Array.isArray(v)) return v.some(hasUnknown);
  if (v !== null && typeof v === "object") return Object.values(v as Record<string, unknown>).some(hasUnknown);
  return false;
}

/** Wraps an extractor so that a value holding the preview sentinel yields the sentinel itself. */
function guard(path: string, f: (v: unknown, spec: SpecLike, combo: Combo) => string): ValueFn {
  return (spec, combo) => {
    const v = getPath(spec, path);
    return hasUnknown(v) ? UNKNOWN : f(v, spec, combo);
  };
}

const isEmpty = (v: unknown) => v === undefined || v === null || v === "";

/** Plain string; empty → `def`. */
export const str = (path: string, def = ""): ValueFn => guard(path, (v) => (isEmpty(v) ? def : String(v)));

/** Integer as decimal; unset → `def`. */
export const int = (path: string, def: number): ValueFn => guard(path, (v) => String(isEmpty(v) ? def : Number(v)));

/** Boolean as `true`/`false`; unset → `def`. */
export const bool = (path: string, def: boolean): ValueFn => guard(path, (v) => String(isEmpty(v) ? def : v === true || v === "true"));

/** List joined by `,` (order kept); empty → `def`. */
export const list = (path: string, def = ""): ValueFn =>
  guard(path, (v) => {
    const items = Array.isArray(v) ? v.map(String) : isEmpty(v) ? [] : String(v).split(",").map((s) => s.trim());
    const joined = items.filter((s) => s !== "").join(",");
    return joined === "" ? def : joined;
  });

/** List compared as a set (sorted, joined by `,`). */
export const set = (path: string): ValueFn =>
  guard(path, (v) => (Array.isArray(v) ? v.map(String).filter((s) => s !== "").sort().join(",") : isEmpty(v) ? "" : String(v)));

/** Kubernetes/Talos version: trimmed, leading `v` removed, so `v1.31.0` ≡ `1.31.0`. Empty = unpinned. */
export const version = (path: string): ValueFn => guard(path, (v) => (isEmpty(v) ? "" : String(v).trim().replace(/^v/, "")));

/** Stable JSON with sorted keys; empty objects, lists and strings vanish (so defaults compare equal). */
export function stableJson(v: unknown): string {
  const norm = (x: unknown): unknown => {
    if (Array.isArray(x)) return x.map(norm);
    if (x !== null && typeof x === "object") {
      const out: Record<string, unknown> = {};
      for (const k of Object.keys(x as Record<string, unknown>).sort()) {
        const val = norm((x as Record<string, unknown>)[k]);
        if (val === undefined || val === "" || (Array.isArray(val) && val.length === 0)) continue;
        if (val !== null && typeof val === "object" && !Array.isArray(val) && Object.keys(val).length === 0) continue;
        out[k] = val;
      }
      return out;
    }
    return x;
  };
  const n = norm(v);
  if (n === undefined || n === null || n === "") return "";
  if (typeof n === "object" && (Array.isArray(n) ? n.length === 0 : Object.keys(n).length === 0)) return "";
  return JSON.stringify(n);
}

/** Whole object (or list of objects) compared as stable JSON; `defaults` fill unset keys of an object first. */
export const json = (path: string, defaults: Record<string, unknown> = {}): ValueFn =>
  guard(path, (v) => {
    if (isEmpty(v)) return stableJson(defaults);
    if (typeof v !== "object" || Array.isArray(v)) return stableJson(v);
    const filled: Record<string, unknown> = { ...defaults };
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) if (!isEmpty(x)) filled[k] = x;
    return stableJson(filled);
  });

/** OIDC settings; "" when OIDC is off (it is on exactly when `issuerURL` is set), else with KSail's claim defaults. */
export const oidc = (path: string): ValueFn => {
  const withDefaults = json(path, { usernameClaim: "email", usernamePrefix: "oidc:", groupsClaim: "groups", groupsPrefix: "oidc:" });
  return (spec, combo) => {
    const issuer = getPath(spec, `${path}.issuerURL`);
    if (issuer === UNKNOWN) return UNKNOWN;
    return isEmpty(issuer) ? "" : withDefaults(spec, combo);
  };
};

/**
 * Redacts the password of a registry reference `[user:pass@]host[:port][/path]`: `u:p@h` → `u:****@h`;
 * `u@h` and `u:@h` are unchanged (KSail's rule). Applied to every displayed or stored registry string.
 */
export function redactRegistry(ref: string): string {
  const at = ref.indexOf("@");
  if (at < 0) return ref;
  const cred = ref.slice(0, at);
  const colon = cred.indexOf(":");
  if (colon < 0 || colon === cred.length - 1) return ref;
  return `${cred.slice(0, colon)}:****${ref.slice(at)}`;
}

/** Registry reference, password redacted. Empty = no registry (adding one is a change). */
export const registry = (path: string): ValueFn => guard(path, (v) => (isEmpty(v) ? "" : redactRegistry(String(v).trim())));

/** What each distribution × provider ships when a tri-state toggle says `Default` (KSail's table). */
const PROVIDED_BY_DEFAULT: Readonly<Record<"csi" | "cdi" | "metricsServer" | "loadBalancer", readonly Combo[]>> = {
  csi: ["K3s/Docker", "Talos/Hetzner"],
  cdi: ["Talos/Docker", "Talos/Hetzner"],
  metricsServer: ["K3s/Docker"],
  loadBalancer: ["K3s/Docker", "Talos/Hetzner"],
};

/** `Default`/empty resolved to `Enabled` or `Disabled` for the combination; explicit values pass through. */
export function effectiveToggle(field: keyof typeof PROVIDED_BY_DEFAULT, value: unknown, combo: Combo): string {
  if (value === true) return "Enabled";
  if (value === false) return "Disabled";
  if (isEmpty(value) || value === "Default") return PROVIDED_BY_DEFAULT[field].includes(combo) ? "Enabled" : "Disabled";
  return String(value);
}

/** Effective value of `cluster.<field>` (csi, cdi, metricsServer, loadBalancer). */
export const toggle = (field: keyof typeof PROVIDED_BY_DEFAULT): ValueFn =>
  guard(`cluster.${field}`, (v, _s, combo) => effectiveToggle(field, v, combo));

/** Display form of a compared value. */
export function display(v: string): string {
  return v === UNKNOWN ? UNKNOWN_DISPLAY : v;
}
