/**
 * Multi-document Talos machine configs as plain data: the `v1alpha1` document (no `kind`, `version:
 * v1alpha1`) plus any number of typed documents (`apiVersion` + `kind` [+ `name`]). Pure.
 */
import * as YAML from "yaml";
import { yamlValue } from "../../config/yamlValue";
import { KsailError } from "../../errors";

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };
export type ConfigDocument = JsonObject;

export function isObject(v: unknown): v is JsonObject {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** True for the legacy `v1alpha1` machine config document (it has no `kind`). */
export function isV1Alpha1(doc: ConfigDocument): boolean {
  return doc.kind === undefined && doc.apiVersion === undefined;
}

/** Identity of a document: `v1alpha1` for the machine config, else `apiVersion/kind[/name]`. */
export function documentKey(doc: ConfigDocument): string {
  if (isV1Alpha1(doc)) return "v1alpha1";
  const name = typeof doc.name === "string" ? `/${doc.name}` : "";
  return `${String(doc.apiVersion ?? "")}/${String(doc.kind ?? "")}${name}`;
}

/** Short label for messages: `v1alpha1` or `Kind[/name]`. */
export function documentLabel(doc: ConfigDocument): string {
  if (isV1Alpha1(doc)) return "v1alpha1";
  return typeof doc.name === "string" ? `${String(doc.kind)}/${doc.name}` : String(doc.kind);
}

/** Parse multi-document YAML into plain objects; empty documents are dropped. */
export function parseDocuments(text: string, source = "machine config"): ConfigDocument[] {
  const docs = YAML.parseAllDocuments(text, { uniqueKeys: true });
  const out: ConfigDocument[] = [];
  const list = Array.isArray(docs) ? docs : [docs];
  list.forEach((d, i) => {
    if (d.errors.length > 0) {
      throw new KsailError([{ path: source, message: `document ${i + 1} is not valid YAML: ${d.errors[0].message}` }]);
    }
    const v = yamlValue(d);
    if ("error" in v) throw new KsailError([{ path: source, message: `document ${i + 1}: ${v.error}` }]);
    const js = v.value;
    if (js === null || js === undefined) return;
    if (!isObject(js)) {
      throw new KsailError([
        { path: source, message: `document ${i + 1} must be a mapping, found ${Array.isArray(js) ? "a list" : typeof js}` },
      ]);
    }
    out.push(js);
  });
  return out;
}

/** Serialize documents as multi-document YAML (stable: insertion order, no line folding). */
export function stringifyDocuments(docs: readonly ConfigDocument[]): string {
  return docs.map((d) => YAML.stringify(d, { lineWidth: 0, aliasDuplicateObjects: false })).join("---\n");
}

/** The single v1alpha1 document; errors when there is none or several. */
export function v1alpha1Of(docs: readonly ConfigDocument[], source = "machine config"): ConfigDocument {
  const found = docs.filter(isV1Alpha1);
  if (found.length !== 1) {
    throw new KsailError([
      { path: source, message: `expected exactly one v1alpha1 document (version: v1alpha1, no kind), found ${found.length}` },
    ]);
  }
  return found[0];
}

/** Deep clone of JSON data. */
export function clone<T extends Json>(v: T): T {
  return structuredClone(v);
}

/** Deep equality of JSON data (object key order ignored). */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) {
    return Array.isArray(b) && a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  }
  if (isObject(a) && isObject(b)) {
    const ka = Object.keys(a);
    const kb = Object.keys(b);
    return ka.length === kb.length && ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && deepEqual(a[k], b[k]));
  }
  return false;
}
