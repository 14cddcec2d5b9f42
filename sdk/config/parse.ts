import * as path from "node:path";
import * as YAML from "yaml";
import { yamlValue } from "./yamlValue";
import { KsailError, type Issue } from "../errors";
import { expandDocument, isObject, type Env } from "./expand";
import { keysAt } from "./fields";
import type * as z from "zod";
import { formatPath, zodIssues } from "./issues";
import { migrateDeprecated } from "./migrate";
import { API_VERSION, ClusterDocumentSchema, IGNORED_FIELDS, KIND, type ClusterDocument, type Spec } from "./model";
import { DISTRIBUTION_META, KSAIL_PROVIDERS } from "./support";
import { crossValidate } from "./validate";
import { DISTRIBUTIONS, type Distribution } from "./enums";

export interface ParseOptions {
  /** Variables for `${VAR}` expansion; default `process.env`. */
  env?: Env;
  /** Where the document came from (file path or "stack config"), used in messages. */
  source?: string;
  /** Directory relative paths are resolved against (KSail rebases `connection.kubeconfig` and `workload.sourceDirectory`). */
  baseDir?: string;
}

export interface ValidationResult {
  /** True when there are no issues (warnings allowed). */
  readonly ok: boolean;
  /** The parsed document, present when it has the right shape (it may still have cross-field issues). */
  readonly document?: ClusterDocument;
  /** Every problem, each naming the field path. */
  readonly issues: Issue[];
  readonly warnings: Issue[];
}

/** Validates a ksail.yaml (YAML text or an already-parsed object) without throwing for user errors. */
export function validateClusterDocument(input: unknown, options: ParseOptions = {}): ValidationResult {
  const warnings: Issue[] = [];
  let raw = input;
  if (typeof input === "string") {
    const parsed = parseYaml(input);
    if ("issues" in parsed) return { ok: false, issues: parsed.issues, warnings };
    raw = parsed.value;
  }
  if (!isObject(raw)) {
    return {
      ok: false,
      issues: [
        {
          path: "",
          message: `the document is ${raw === null || raw === undefined ? "empty" : "not a map"}; expected a KSail Cluster (apiVersion: ksail.io/v1alpha1, kind: Cluster)`,
        },
      ],
      warnings,
    };
  }
  const reserved = reservedKeys(raw, "");
  if (reserved.length > 0) return { ok: false, issues: reserved, warnings };
  const expanded = expandDocument(dropNulls(raw), options.env ?? process.env);
  warnings.push(...expanded.warnings);
  const migrated = migrateDeprecated(expanded.document);
  warnings.push(...migrated.warnings);
  const issues: Issue[] = [...migrated.errors];
  const prepared = defaultProvider(migrated.document);

  const result = ClusterDocumentSchema.safeParse(prepared, { reportInput: true });
  if (!result.success) {
    const shapeIssues = zodIssues(result.error.issues, keysAt);
    issues.push(...shapeIssues, ...crossIssuesDespite(prepared, result.error.issues));
    return { ok: false, issues, warnings };
  }
  const document = result.data;
  warnings.push(...dropIgnored(document));
  normalize(document, options.baseDir);
  const cross = crossValidate(document);
  issues.push(...cross.errors);
  warnings.push(...cross.warnings);
  return { ok: issues.length === 0, document, issues, warnings };
}

/** Parses and validates; throws a `KsailError` listing every issue. Warnings are returned as `path: message` lines. */
export function parseClusterDocument(input: unknown, options: ParseOptions = {}): { document: ClusterDocument; warnings: string[] } {
  const r = validateClusterDocument(input, options);
  if (!r.ok || !r.document) {
    throw new KsailError(r.issues, `invalid KSail cluster configuration${options.source ? ` in ${options.source}` : ""}:`);
  }
  return { document: r.document, warnings: r.warnings.map(issueLine) };
}

/**
 * Parses just a `spec` (an inline spec in a Pulumi program, or an already-parsed `Spec`: parsing is
 * idempotent). Throws a `KsailError` naming `spec.*` paths.
 */
export function parseSpec(spec: unknown, options: ParseOptions & { name?: string } = {}): { spec: Spec; warnings: string[] } {
  const doc = { apiVersion: API_VERSION, kind: KIND, ...(options.name ? { metadata: { name: options.name } } : {}), spec: spec ?? {} };
  const { document, warnings } = parseClusterDocument(doc, { source: "the inline spec", ...options });
  return { spec: document.spec, warnings };
}

export const issueLine = (i: Issue): string => (i.path ? `${i.path}: ${i.message}` : i.message);

function parseYaml(text: string): { value: unknown } | { issues: Issue[] } {
  const docs = YAML.parseAllDocuments(text);
  const list = Array.isArray(docs) ? docs : [docs];
  const errors = list.flatMap((d) => d.errors);
  if (errors.length > 0) {
    return { issues: errors.map((e) => ({ path: "", message: `YAML syntax error: ${e.message.split("\n")[0]}` })) };
  }
  if (list.length > 1) {
    return {
      issues: [{ path: "", message: `the file holds ${list.length} YAML documents; a ksail.yaml holds exactly one Cluster document` }],
    };
  }
  if (list.length === 0) return { value: null };
  const v = yamlValue(list[0]);
  return "error" in v ? { issues: [{ path: "", message: `the file ${v.error}` }] } : v;
}

/** Keys JavaScript gives a meaning (`__proto__`, `constructor`, `prototype`): never configuration, always refused. */
export const RESERVED_KEYS: ReadonlySet<string> = new Set(["__proto__", "constructor", "prototype"]);

/** Every reserved key in a parsed document, as issues at its path. */
export function reservedKeys(value: unknown, at: string): Issue[] {
  if (Array.isArray(value)) return value.flatMap((v, i) => reservedKeys(v, `${at}[${i}]`));
  if (!isObject(value)) return [];
  return Object.entries(value).flatMap(([k, v]) => {
    const p = at === "" ? k : `${at}.${k}`;
    return RESERVED_KEYS.has(k)
      ? [{ path: p, message: `"${k}" is not a configuration key (it is reserved in JavaScript); remove it` }]
      : reservedKeys(v, p);
  });
}

/** `key:` with no value (YAML null) means "unset", as in KSail's Go decoding: the default applies. */
function dropNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(dropNulls);
  if (!isObject(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) if (v !== null) out[k] = dropNulls(v);
  return out;
}

/** An omitted `provider` is the distribution's first supported provider (KSail). */
/**
 * So that one run lists every problem: drop the fields zod rejected (they fall back to defaults; a
 * missing required field drops its parent, a broken list element the whole list), parse again and run the cross-field rules, keeping only
 * issues outside the dropped fields. Nothing is added when distribution or provider was dropped, since
 * every cross-field rule depends on them.
 */
function crossIssuesDespite(prepared: unknown, firstErrors: readonly z.core.$ZodIssue[]): Issue[] {
  const copy = structuredClone(prepared);
  const dropped: string[] = [];
  let errors = firstErrors;
  for (let round = 0; round < 5; round++) {
    for (const e of errors) {
      const keyPaths =
        e.code === "unrecognized_keys"
          ? e.keys.map((k) => [...e.path, k])
          : [(e as { input?: unknown }).input === undefined ? e.path.slice(0, -1) : e.path];
      for (const full of keyPaths) {
        // Inside a list, drop the whole list (removing one element would shift the indexes of the rest).
        const firstIndex = full.findIndex((k) => typeof k === "number");
        const kp = firstIndex >= 0 ? full.slice(0, firstIndex) : full;
        if (kp.length === 0) return [];
        let parent: unknown = copy;
        for (const k of kp.slice(0, -1))
          parent = parent !== null && typeof parent === "object" ? (parent as Record<PropertyKey, unknown>)[k] : undefined;
        if (parent === null || typeof parent !== "object") return [];
        const last = kp[kp.length - 1];
        delete (parent as Record<PropertyKey, unknown>)[last];
        dropped.push(formatPath(kp));
      }
    }
    const again = ClusterDocumentSchema.safeParse(copy, { reportInput: true });
    if (!again.success) {
      errors = again.error.issues;
      continue;
    }
    if (dropped.some((d) => d === "spec" || d === "spec.cluster" || d === "spec.cluster.distribution" || d === "spec.cluster.provider"))
      return [];
    dropIgnored(again.data);
    normalize(again.data, undefined);
    return crossValidate(again.data).errors.filter(
      (i) =>
        !dropped.some(
          (d) =>
            i.path === d ||
            i.path.startsWith(`${d}.`) ||
            i.path.startsWith(`${d}[`) ||
            d.startsWith(`${i.path}.`) ||
            d.startsWith(`${i.path}[`),
        ),
    );
  }
  return [];
}

function defaultProvider(raw: unknown): unknown {
  if (!isObject(raw) || !isObject(raw.spec) || !isObject(raw.spec.cluster)) return raw;
  const c = raw.spec.cluster;
  if ((c.provider === undefined || c.provider === "") && DISTRIBUTIONS.includes(c.distribution as Distribution)) {
    return { ...raw, spec: { ...raw.spec, cluster: { ...c, provider: KSAIL_PROVIDERS[c.distribution as Distribution][0] } } };
  }
  return raw;
}

function dropIgnored(document: ClusterDocument): Issue[] {
  const warnings: Issue[] = [];
  for (const field of IGNORED_FIELDS) {
    const keys = field.split(".");
    let parent: unknown = document;
    for (const k of keys.slice(0, -1)) parent = isObject(parent) ? parent[k] : undefined;
    const last = keys[keys.length - 1];
    if (isObject(parent) && last in parent) {
      if (parent[last] !== undefined) {
        warnings.push({ path: field, message: `is a KSail field that @ksail/pulumi does not use; ignored` });
      }
      delete parent[last];
    }
  }
  return warnings;
}

function normalize(document: ClusterDocument, baseDir: string | undefined): void {
  const c = document.spec.cluster;
  // KSail trims and de-duplicates OIDC scopes (empty ones are reported by validation first).
  if (c.oidc.extraScopes.every((x) => x.trim() !== "")) c.oidc.extraScopes = [...new Set(c.oidc.extraScopes.map((x) => x.trim()))];
  const defaults = new Set(Object.values(DISTRIBUTION_META).map((m) => m.config));
  if (
    c.distributionConfig === "" ||
    (defaults.has(c.distributionConfig) && c.distributionConfig !== DISTRIBUTION_META[c.distribution].config)
  ) {
    c.distributionConfig = DISTRIBUTION_META[c.distribution].config;
  }
  if (baseDir) {
    const rebase = (p: string): string => (p === "" || p.startsWith("~") || path.isAbsolute(p) ? p : path.resolve(baseDir, p));
    c.connection.kubeconfig = rebase(c.connection.kubeconfig);
    document.spec.workload.sourceDirectory = rebase(document.spec.workload.sourceDirectory);
  }
}
