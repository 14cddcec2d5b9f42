import { UNKNOWN } from "./unknown";
import { providesByDefault, type DefaultComponent } from "../config/effective";
import { DEFAULT_LOCAL_REGISTRY, redactRegistry } from "../config/registry";
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

/** `active` of a rule whose field only matters while a switch is on (`true`, or the given enum value); unknown counts as on. */
export const whileOn =
  (path: string, onValue: string | true = true) =>
  (spec: SpecLike): boolean => {
    const v = getPath(spec, path);
    return hasUnknown(v) || v === true || v === "true" || v === onValue;
  };

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

/** String whose empty value means "same as another field" (e.g. floating-IP location = cluster location). */
export const strOr = (path: string, fallback: ValueFn): ValueFn => {
  const own = str(path);
  return (spec, combo) => {
    const v = own(spec, combo);
    return v === "" ? fallback(spec, combo) : v;
  };
};

/** Integer as decimal; unset → `def`. */
export const int = (path: string, def: number): ValueFn => guard(path, (v) => String(isEmpty(v) ? def : Number(v)));

/** Boolean as `true`/`false`; unset → `def`. */
export const bool = (path: string, def: boolean): ValueFn => guard(path, (v) => String(isEmpty(v) ? def : v === true || v === "true"));

/** List joined by `,` (order kept); empty → `def`. */
export const list = (path: string, def = ""): ValueFn =>
  guard(path, (v) => {
    const items = Array.isArray(v)
      ? v.map(String)
      : isEmpty(v)
        ? []
        : String(v)
            .split(",")
            .map((s) => s.trim());
    const joined = items.filter((s) => s !== "").join(",");
    return joined === "" ? def : joined;
  });

/** List compared as a set (sorted, joined by `,`). */
export const set = (path: string): ValueFn =>
  guard(path, (v) =>
    Array.isArray(v)
      ? v
          .map(String)
          .filter((s) => s !== "")
          .sort()
          .join(",")
      : isEmpty(v)
        ? ""
        : String(v),
  );

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
 * Registry reference, password redacted (the spec's `redactRegistry`, KSail's rule). Effective value: an
 * empty registry with Flux or Argo CD is `localhost:5050`. Empty = no registry (adding one is a change).
 */
export const registry = (path: string): ValueFn =>
  guard(path, (v, spec) => {
    const gitOps = getPath(spec, "cluster.gitOpsEngine");
    if (isEmpty(v)) return gitOps === "Flux" || gitOps === "ArgoCD" ? DEFAULT_LOCAL_REGISTRY : "";
    return redactRegistry(String(v).trim());
  });

/** `Default`/empty resolved to `Enabled` or `Disabled` for the combination (spec's `providesByDefault`). */
function effectiveToggle(field: DefaultComponent, value: unknown, combo: Combo): string {
  if (value === true) return "Enabled";
  if (value === false) return "Disabled";
  if (!isEmpty(value) && value !== "Default") return String(value);
  const [d, p] = combo.split("/") as [Parameters<typeof providesByDefault>[1], Parameters<typeof providesByDefault>[2]];
  return providesByDefault(field, d, p) ? "Enabled" : "Disabled";
}

/** Effective value of `cluster.<field>` (csi, cdi, metricsServer, loadBalancer). */
export const toggle = (field: DefaultComponent): ValueFn => guard(`cluster.${field}`, (v, _s, combo) => effectiveToggle(field, v, combo));

/** Display form of a compared value. */
export function display(v: string): string {
  return v === UNKNOWN ? UNKNOWN_DISPLAY : v;
}
