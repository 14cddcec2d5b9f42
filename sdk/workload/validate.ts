/**
 * `ksail-pulumi workload validate`: the manifest checks of KSail's `workload validate` (kubeconform over the
 * tree), offline. Every YAML document under the given paths is checked against the OpenAPI definitions of the
 * Kubernetes release the package pins (shipped in `schemas/kubernetes.json`, generated from the Kubernetes Go
 * module by scripts/k8s-schemas: the definitions that release's API server serves) or against the
 * `openAPIV3Schema` of a CustomResourceDefinition found in the tree or given with `crdFiles`, else of the GitOps
 * CRDs shipped in `schemas/crds.json` (Flux's sources and Kustomization, flux-operator's kinds).
 *
 * What it does like kubeconform: unknown kinds are errors unless `ignoreMissingSchemas`; Secrets are skipped by
 * default (SOPS-encrypted ones do not match the schema); `strict` rejects fields the schema does not know; Flux
 * post-build variables (`${VAR}`, `${VAR:=default}`) are filled with their default, or accepted as any type when
 * they have none. What differs: kustomizations are checked (every `resources`, patch and component path must
 * exist; remote bases cannot be checked offline and are reported as skipped) but not built, so a patch that
 * breaks the result is not seen; Helm releases are not rendered; schemas are never downloaded.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as YAML from "yaml";
import type { ErrorObject, ValidateFunction } from "ajv";
import { schemas, shippedCrds, Validators } from "./validateSchemas";
import { yamlValue } from "../config/yamlValue";

export interface ValidateOptions {
  /** Reject fields the schema does not define (kubeconform `-strict`). @default false */
  readonly strict?: boolean;
  /** Skip documents whose kind has no schema instead of failing (kubeconform `-ignore-missing-schemas`). @default false */
  readonly ignoreMissingSchemas?: boolean;
  /** Skip `v1/Secret` documents (SOPS-encrypted Secrets do not match the schema). @default true */
  readonly skipSecrets?: boolean;
  /** Kinds not checked: `Kind` or `group/version/Kind` (`spec.workload.validation.skipKinds`). @default none */
  readonly skipKinds?: readonly string[];
  /** Files with CustomResourceDefinitions whose schemas check their custom resources (CRDs in the tree count too). */
  readonly crdFiles?: readonly string[];
}

/** One problem, named by file, line, document, kind and path. */
export interface ValidationIssue {
  readonly file: string;
  /** 1-based line of the offending value (or of the document). */
  readonly line: number;
  /** 0-based index of the document in its file. */
  readonly document: number;
  /** `apiVersion/kind` of the document ("" when it has none). */
  readonly kind: string;
  readonly name: string;
  /** Dotted path inside the document (`spec.template.spec.containers[0].image`), "" for the document. */
  readonly path: string;
  readonly message: string;
}

export interface ValidationResult {
  readonly files: number;
  readonly documents: number;
  /** Documents checked against a schema. */
  readonly validated: number;
  readonly skipped: readonly { readonly file: string; readonly kind: string; readonly name: string; readonly reason: string }[];
  readonly issues: readonly ValidationIssue[];
  readonly kubernetesVersion: string;
}

/** A whole scalar that is one Flux post-build variable, with an optional default (`:=` or `:-`). */
const FLUX_VAR = /^\$\{([A-Za-z_][A-Za-z0-9_]*)(?::[=-]([^}]*))?\}$/;

/** A manifest file `workload validate` and `workload scan` read. */
const MANIFEST = /\.(ya?ml|json)$/i;

/** Manifest files at `p` (a file, or every one under a directory; hidden entries skipped), sorted, appended to `out`. */
export function listManifestFiles(p: string, out: string[]): string[] {
  if (fs.statSync(p).isDirectory()) {
    for (const e of fs.readdirSync(p).sort()) if (!e.startsWith(".")) listManifestFiles(path.join(p, e), out);
  } else if (MANIFEST.test(p)) out.push(p);
  return out;
}

interface Doc {
  file: string;
  index: number;
  doc: YAML.Document.Parsed;
  value: unknown;
  lines: YAML.LineCounter;
}

function readDocs(file: string, issues: ValidationIssue[]): Doc[] {
  const lines = new YAML.LineCounter();
  const text = fs.readFileSync(file, "utf8");
  const docs = YAML.parseAllDocuments(text, { lineCounter: lines, uniqueKeys: true });
  const out: Doc[] = [];
  (Array.isArray(docs) ? docs : [docs]).forEach((doc, index) => {
    if (doc.errors.length > 0) {
      const e = doc.errors[0];
      issues.push({
        file,
        line: e.linePos?.[0]?.line ?? 1,
        document: index,
        kind: "",
        name: "",
        path: "",
        message: `not valid YAML: ${e.message.split("\n")[0]}`,
      });
      return;
    }
    const v = yamlValue(doc);
    if ("error" in v) {
      issues.push({ file, line: 1, document: index, kind: "", name: "", path: "", message: `this document: ${v.error}` });
      return;
    }
    const value = v.value;
    if (value === null || value === undefined) return; // an empty document (a trailing ---)
    out.push({ file, index, doc, value, lines });
  });
  return out;
}

function lineOf(d: Doc, segments: readonly (string | number)[]): number {
  for (let n = segments.length; n >= 0; n--) {
    const node = d.doc.getIn(segments.slice(0, n), true) as { range?: [number, number, number] } | undefined;
    const at = node?.range?.[0] ?? (n === 0 ? d.doc.contents?.range?.[0] : undefined);
    if (at !== undefined) return d.lines.linePos(at).line;
  }
  return 1;
}

function dotted(segments: readonly (string | number)[]): string {
  return segments.map((s, i) => (typeof s === "number" ? `[${s}]` : i === 0 ? s : `.${s}`)).join("");
}

function pointerSegments(pointer: string, value: unknown): (string | number)[] {
  if (pointer === "") return [];
  const out: (string | number)[] = [];
  let cur: unknown = value;
  for (const raw of pointer.slice(1).split("/")) {
    const key = raw.replace(/~1/g, "/").replace(/~0/g, "~");
    const seg = Array.isArray(cur) && /^\d+$/.test(key) ? Number(key) : key;
    out.push(seg);
    cur = cur !== null && typeof cur === "object" ? (cur as Record<string | number, unknown>)[seg] : undefined;
  }
  return out;
}

/** Fills Flux variables in place: a default becomes its typed value; without one the path is recorded as "any". */
function fillFluxVars(v: unknown, at: string, anyPaths: Set<string>): unknown {
  if (typeof v === "string") {
    const m = FLUX_VAR.exec(v);
    if (!m) return v;
    if (m[2] !== undefined) return YAML.parse(m[2] === "" ? '""' : m[2]) as unknown;
    anyPaths.add(at);
    return v;
  }
  if (Array.isArray(v)) return v.map((x, i) => fillFluxVars(x, `${at}/${i}`, anyPaths));
  if (v !== null && typeof v === "object")
    return Object.fromEntries(
      Object.entries(v as Record<string, unknown>).map(([k, x]) => [
        k,
        fillFluxVars(x, `${at}/${k.replace(/~/g, "~0").replace(/\//g, "~1")}`, anyPaths),
      ]),
    );
  return v;
}

function describeError(e: ErrorObject): { pointer: string; message: string } {
  switch (e.keyword) {
    case "additionalProperties": {
      const prop = (e.params as { additionalProperty: string }).additionalProperty;
      return { pointer: `${e.instancePath}/${prop}`, message: `unknown field "${prop}"` };
    }
    case "required":
      return {
        pointer: e.instancePath,
        message: `missing required field "${(e.params as { missingProperty: string }).missingProperty}"`,
      };
    case "type":
      return { pointer: e.instancePath, message: `must be ${(e.params as { type: string }).type}` };
    case "enum":
      return {
        pointer: e.instancePath,
        message: `must be one of ${JSON.stringify((e.params as { allowedValues: unknown[] }).allowedValues)}`,
      };
    default:
      return { pointer: e.instancePath, message: e.message ?? e.keyword };
  }
}

function crdSchemas(docs: readonly Doc[]): Map<string, Record<string, unknown>> {
  const out = new Map<string, Record<string, unknown>>();
  for (const d of docs) {
    const o = d.value as { apiVersion?: string; kind?: string; spec?: Record<string, any> };
    if (o?.kind !== "CustomResourceDefinition" || !String(o.apiVersion).startsWith("apiextensions.k8s.io/")) continue;
    const spec = o.spec ?? {};
    for (const v of (spec.versions ?? []) as { name: string; schema?: { openAPIV3Schema?: Record<string, unknown> } }[]) {
      const schema = v.schema?.openAPIV3Schema;
      if (schema) out.set(`${spec.group}/${v.name}/${spec.names?.kind}`, schema);
    }
  }
  return out;
}

function isKustomization(o: { apiVersion?: unknown; kind?: unknown }): boolean {
  return o.kind === "Kustomization" && typeof o.apiVersion === "string" && o.apiVersion.startsWith("kustomize.config.k8s.io/");
}

/** The paths a kustomization names that must exist next to it. */
function kustomizationRefs(d: Doc, gvk: string, issues: ValidationIssue[], skipped: ValidationResult["skipped"][number][]): void {
  const k = d.value as Record<string, any>;
  const base = path.dirname(d.file);
  const check = (ref: unknown, at: (string | number)[], what: string) => {
    if (typeof ref !== "string") return;
    if (/^(https?:\/\/|git@|ssh:\/\/|github\.com\/)/.test(ref) || ref.includes("?ref=")) {
      skipped.push({ file: d.file, kind: gvk, name: ref, reason: "remote base: not checked offline" });
      return;
    }
    const target = path.resolve(base, ref);
    const report = (problem: string) =>
      issues.push({
        file: d.file,
        line: lineOf(d, at),
        document: d.index,
        kind: gvk,
        name: "",
        path: dotted(at),
        message: `${what} "${ref}" ${problem}`,
      });
    if (!fs.existsSync(target)) {
      report("does not exist");
      return;
    }
    if (
      fs.statSync(target).isDirectory() &&
      !["kustomization.yaml", "kustomization.yml", "Kustomization"].some((f) => fs.existsSync(path.join(target, f)))
    )
      report("is a directory without a kustomization.yaml");
  };
  for (const key of ["resources", "components", "crds"])
    (k[key] ?? []).forEach((r: unknown, i: number) => check(r, [key, i], key === "resources" ? "resource" : key.slice(0, -1)));
  (k.patchesStrategicMerge ?? []).forEach((r: unknown, i: number) =>
    check(typeof r === "string" && !r.includes("\n") ? r : undefined, ["patchesStrategicMerge", i], "patch"),
  );
  (k.patches ?? []).forEach((p: { path?: unknown }, i: number) => check(p?.path, ["patches", i, "path"], "patch"));
}

/** Validates every manifest under `paths` (files or directories). */
export function validateManifests(paths: readonly string[], opts: ValidateOptions = {}): ValidationResult {
  const issues: ValidationIssue[] = [];
  const skipped: ValidationResult["skipped"][number][] = [];
  const files: string[] = [];
  for (const p of paths) {
    if (!fs.existsSync(p)) {
      issues.push({ file: p, line: 1, document: 0, kind: "", name: "", path: "", message: "does not exist" });
      continue;
    }
    listManifestFiles(p, files);
  }
  const docs = files.flatMap((f) => readDocs(f, issues));
  const extra = (opts.crdFiles ?? []).flatMap((f) => readDocs(f, issues));
  const crds = crdSchemas([...docs, ...extra]);
  const { kinds, kubernetesVersion } = schemas();
  const validators = new Validators(opts.strict === true);
  const skipKinds = new Set(opts.skipKinds ?? []);
  let validated = 0;

  for (const d of docs) {
    const o = d.value as { apiVersion?: unknown; kind?: unknown; metadata?: { name?: unknown } };
    const name = typeof o?.metadata?.name === "string" ? o.metadata.name : "";
    if (o === null || typeof o !== "object" || Array.isArray(o)) {
      issues.push({
        file: d.file,
        line: lineOf(d, []),
        document: d.index,
        kind: "",
        name: "",
        path: "",
        message: "a manifest must be a mapping",
      });
      continue;
    }
    if (typeof o.apiVersion !== "string" || typeof o.kind !== "string" || o.apiVersion === "" || o.kind === "") {
      issues.push({
        file: d.file,
        line: lineOf(d, []),
        document: d.index,
        kind: "",
        name,
        path: "",
        message: "missing apiVersion or kind",
      });
      continue;
    }
    const gvk = `${o.apiVersion}/${o.kind}`;
    if (isKustomization(o)) {
      kustomizationRefs(d, gvk, issues, skipped);
      validated++;
      continue;
    }
    if (skipKinds.has(o.kind) || skipKinds.has(gvk)) {
      skipped.push({ file: d.file, kind: gvk, name, reason: "kind skipped (skipKinds)" });
      continue;
    }
    if (opts.skipSecrets !== false && gvk === "v1/Secret") {
      skipped.push({ file: d.file, kind: gvk, name, reason: "Secret skipped (skipSecrets)" });
      continue;
    }
    const anyPaths = new Set<string>();
    const value = fillFluxVars(o, "", anyPaths);
    let validate: ValidateFunction | undefined;
    if (kinds[gvk]) validate = validators.builtin(kinds[gvk]);
    else if (crds.has(gvk)) validate = validators.crd(gvk, crds.get(gvk)!);
    else if (shippedCrds().kinds[gvk]) validate = validators.crd(`shipped:${gvk}`, shippedCrds().kinds[gvk]);
    if (!validate) {
      if (opts.ignoreMissingSchemas) skipped.push({ file: d.file, kind: gvk, name, reason: "no schema (ignoreMissingSchemas)" });
      else
        issues.push({
          file: d.file,
          line: lineOf(d, ["kind"]),
          document: d.index,
          kind: gvk,
          name,
          path: "",
          message: `no schema for ${gvk}: not a Kubernetes ${kubernetesVersion} kind, not a shipped Flux kind, and no CustomResourceDefinition for it in the tree (add the CRD file, or skip the kind)`,
        });
      continue;
    }
    validated++;
    if (validate(value)) continue;
    const seen = new Set<string>();
    for (const e of validate.errors ?? []) {
      // oneOf/anyOf report every branch; the branch errors say more than the summary.
      if (e.keyword === "oneOf" || e.keyword === "anyOf" || e.keyword === "if") continue;
      if (anyPaths.has(e.instancePath)) continue; // a Flux variable without default: any type
      const { pointer, message } = describeError(e);
      const segments = pointerSegments(pointer, value);
      const key = `${pointer}\u0000${message}`;
      if (seen.has(key)) continue;
      seen.add(key);
      issues.push({ file: d.file, line: lineOf(d, segments), document: d.index, kind: gvk, name, path: dotted(segments), message });
    }
  }
  return { files: files.length, documents: docs.length, validated, skipped, issues, kubernetesVersion };
}

/** `file:line: kind/name path: message`, one line per issue. */
export function formatIssues(result: ValidationResult, cwd = process.cwd()): string {
  return result.issues
    .map((i) => {
      const rel = path.relative(cwd, i.file) || i.file;
      const what = [i.kind ? `${i.kind}${i.name ? ` ${i.name}` : ""}` : "", i.path].filter((x) => x !== "").join(" ");
      return `${rel}:${i.line}: ${what ? `${what}: ` : ""}${i.message}`;
    })
    .join("\n");
}
