/**
 * The fields Talos's machine-config decoder accepts, per Talos minor, and the check of patches against them.
 *
 * Talos decodes a machine config strictly: a key its Go types do not have ("unknown keys found during decoding"),
 * or a map where it expects a single value, rejects the whole config. Talos's published JSON schema is not that
 * truth (it leaves out deprecated fields the decoder still accepts, e.g. `machine.kubelet` in 1.14), so
 * `fields.json` is read from the decoder's Go types themselves (scripts/gen-talos-fields.js, by reflection over
 * siderolabs/talos pkg/machinery at each supported minor). Values below a type that decodes itself (durations,
 * endpoints, CIDRs, unstructured settings) are left to Talos. A peer test checks the verdicts against Talos's own
 * loader (test/peers/talos-fields-real.test.ts).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { isKsailError, type Issue } from "../../errors";
import type { PatchFile } from "../../config";
import { isObject, isV1Alpha1, type ConfigDocument, type Json } from "./documents";
import { parsePatch, type ParsedPatch } from "./patches";
import { parseTalosVersion, type TalosMinor } from "./versions";
import { unknownKindsOf } from "./documentKinds";

/** What a value may be: one value, anything (the type decodes itself), a map of fields, a list, or a string-keyed map. */
export type FieldShape = "scalar" | "any" | { readonly ref: string } | { readonly list: FieldShape } | { readonly map: FieldShape };

interface MinorFields {
  readonly machinery: string;
  /** `v1alpha1` and each document kind → its shape. */
  readonly documents: Readonly<Record<string, FieldShape>>;
  /** Go type → its YAML fields (`*`: any other key, from an inline map), or the older minor that stores the same fields. */
  readonly types: Readonly<Record<string, Readonly<Record<string, FieldShape>> | string>>;
}

let data: Readonly<Record<string, MinorFields>> | undefined;

/** fields.json: next to this module from source; the package ships the sources' copy beside dist/. */
export function talosFields(): Readonly<Record<string, MinorFields>> {
  if (!data) {
    const here = path.join(__dirname, "fields.json");
    const file = fs.existsSync(here)
      ? here
      : path.resolve(__dirname, "..", "..", "..", "..", "sdk", "distributions", "talos", "fields.json");
    data = JSON.parse(fs.readFileSync(file, "utf8")) as Record<string, MinorFields>;
  }
  return data;
}

function typeFields(minor: string, name: string): Readonly<Record<string, FieldShape>> {
  const t = talosFields()[minor]?.types[name];
  if (typeof t === "string") return typeFields(t, name);
  return t ?? { "*": "any" };
}

const join = (at: string, key: string): string => (at === "" ? key : `${at}.${key}`);

const describe = (v: Json): string => (Array.isArray(v) ? "a list" : isObject(v) ? "a map" : `the value ${JSON.stringify(v)}`);

/** True for `{ $patch: delete }` and the like: a strategic-merge directive, not config. */
const isDirective = (v: Json): boolean => isObject(v) && "$patch" in v;

function checkValue(value: Json, shape: FieldShape, minor: TalosMinor, at: string, issues: Issue[], where: string): void {
  if (shape === "any" || value === null || isDirective(value)) return;
  const rejects = `Talos ${minor} rejects the whole config`;
  if (shape === "scalar") {
    if (typeof value === "object")
      issues.push({ path: `${where}${at}`, message: `is ${describe(value)}, but Talos expects a single value here; ${rejects}` });
    return;
  }
  if ("list" in shape) {
    if (!Array.isArray(value)) {
      issues.push({ path: `${where}${at}`, message: `is ${describe(value)}, but Talos expects a list here; ${rejects}` });
      return;
    }
    value.forEach((item, i) => checkValue(item, shape.list, minor, `${at}[${i}]`, issues, where));
    return;
  }
  if (!isObject(value)) {
    issues.push({ path: `${where}${at}`, message: `is ${describe(value)}, but Talos expects a map here; ${rejects}` });
    return;
  }
  if ("map" in shape) {
    for (const [k, v] of Object.entries(value)) checkValue(v, shape.map, minor, join(at, k), issues, where);
    return;
  }
  const fields = typeFields(minor, shape.ref);
  for (const [k, v] of Object.entries(value)) {
    if (k === "$patch") continue;
    const sub = fields[k] ?? fields["*"];
    if (sub === undefined) {
      const known = Object.keys(fields).sort().join(", ");
      issues.push({
        path: `${where}${join(at, k)}`,
        message: `unknown field "${k}"; ${rejects} ("unknown keys found during decoding"). Check the spelling; known here: ${known}`,
      });
      continue;
    }
    checkValue(v, sub, minor, join(at, k), issues, where);
  }
}

/** The document's shape in `minor`, or undefined for a kind that minor does not know (reported elsewhere). */
function documentShape(doc: ConfigDocument, minor: TalosMinor): FieldShape | undefined {
  const docs = talosFields()[minor]?.documents;
  if (!docs) return undefined;
  return isV1Alpha1(doc) ? docs.v1alpha1 : docs[String(doc.kind ?? "")];
}

/** Issues for the fields of one (partial) config document that Talos `minor` would not decode. */
export function documentFieldIssues(doc: ConfigDocument, minor: TalosMinor, where: string): Issue[] {
  const shape = documentShape(doc, minor);
  const issues: Issue[] = [];
  if (shape) checkValue(doc, shape, minor, "", issues, isV1Alpha1(doc) ? `${where}: ` : `${where}: ${String(doc.kind)}: `);
  return issues;
}

/** RFC 6902 operations on the v1alpha1 document: each path must name fields Talos knows, and each value fit there. */
function operationIssues(ops: readonly Record<string, Json>[], minor: TalosMinor, source: string): Issue[] {
  const issues: Issue[] = [];
  const root = talosFields()[minor]?.documents.v1alpha1;
  if (!root) return issues;
  ops.forEach((op, i) => {
    for (const key of ["path", "from"] as const) {
      const pointer = op[key];
      if (typeof pointer !== "string") continue;
      const segments = pointer
        .split("/")
        .slice(1)
        .map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"));
      let shape: FieldShape = root;
      let at = "";
      for (const seg of segments) {
        if (shape === "any") break;
        if (shape === "scalar") {
          issues.push({ path: `${source}: operation ${i}`, message: `${key} ${pointer}: ${at} is a single value; it has no "${seg}"` });
          return;
        }
        if ("list" in shape) {
          shape = shape.list;
          at += `[${seg}]`;
          continue;
        }
        if ("map" in shape) {
          shape = shape.map;
          at = join(at, seg);
          continue;
        }
        const fields = typeFields(minor, shape.ref);
        const next: FieldShape | undefined = fields[seg] ?? fields["*"];
        if (next === undefined) {
          issues.push({
            path: `${source}: operation ${i}`,
            message: `${key} ${pointer}: unknown field "${seg}"${at ? ` under ${at}` : ""}; Talos ${minor} rejects the whole config. Check the spelling; known here: ${Object.keys(fields).sort().join(", ")}`,
          });
          return;
        }
        shape = next;
        at = join(at, seg);
      }
      if (key === "path" && (op.op === "add" || op.op === "replace") && op.value !== undefined)
        checkValue(op.value, shape, minor, at, issues, `${source}: operation ${i}: value of `);
    }
  });
  return issues;
}

/**
 * What Talos `talosVersion` would refuse in the patch files, named by file and path: files that are not patches (the
 * parser's issues), document kinds the version does not know, and fields its decoder does not have. The plan runs it,
 * so `validate`, `diff`, `render` and `KSailCluster` refuse such a patch before anything is built.
 */
export function talosPatchIssues(files: readonly PatchFile[], talosVersion: string): Issue[] {
  const minor = parseTalosVersion(talosVersion).minorKey;
  const issues: Issue[] = [];
  for (const f of files) {
    let patch: ParsedPatch;
    try {
      patch = parsePatch(f);
    } catch (e) {
      if (!isKsailError(e)) throw e;
      issues.push(...e.issues);
      continue;
    }
    if (patch.type === "json6902") issues.push(...operationIssues(patch.operations as unknown as Record<string, Json>[], minor, f.source));
    else {
      issues.push(...unknownKindsOf(patch.documents, minor, f.source));
      for (const d of patch.documents) issues.push(...documentFieldIssues(d, minor, f.source));
    }
  }
  return issues;
}
