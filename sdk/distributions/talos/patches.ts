/**
 * User patches for Talos machine configs: strategic merge patches and JSON 6902 patches, as `talosctl
 * --config-patch` applies them. Pure.
 *
 * ORDER (documented contract): for each role the rendered config, which already contains the built-in
 * patches (CNI none, kubelet serving-cert rotation + approver, registry mirrors, Hetzner, hostname
 * defaults, ...), then receives
 *   1. the `cluster/` patch files (all roles), sorted by `source`;
 *   2. the role's files, `control-planes/` or `workers/`, sorted by `source`;
 *   3. inline cluster patches, then inline role patches, in the order given.
 * Later patches win. Each patch is either a strategic merge patch (YAML, possibly multi-document) or an
 * RFC 6902 JSON patch (a YAML/JSON list of `{op, path, ...}`).
 *
 * Strategic merge: maps merge and scalars in the patch win; `null` in a patch changes nothing; lists
 * append, except the replaced ones (`cluster.network.podSubnets`/`serviceSubnets`,
 * `cluster.apiServer.auditPolicy`, NetworkRuleConfig `ingress` and `portSelector.ports`) and the keyed
 * ones (`machine.network.interfaces` by `interface`/`deviceSelector`, their `vlans` by `vlanId`,
 * ExtensionServiceConfig `configFiles` by `mountPath`). `$patch: delete` removes a map key, a list entry
 * (matched by key, else by the fields the entry names) or a whole non-v1alpha1 document (absent documents: no-op);
 * `$patch: replace` replaces a map instead of merging it. Documents match by apiVersion + kind + name;
 * unmatched documents are appended.
 *
 * JSON patches address the v1alpha1 document (paths such as `/machine/kubelet/extraArgs/x`). talosctl
 * accepts them only for single-document configs; we apply them to the v1alpha1 document of a
 * multi-document config too, because ≥ 1.12 configs always carry a HostnameConfig document and the ops
 * cannot touch it anyway.
 */
import * as YAML from "yaml";
import * as jsonpatch from "fast-json-patch";
import { KsailError } from "../../errors";
import { yamlValue } from "../../config/yamlValue";
import type { PatchFile, TalosPatchSet } from "../../config";
import { ConfigDocument, Json, JsonObject, clone, deepEqual, documentKey, isObject, isV1Alpha1, parseDocuments } from "./documents";

// The spec model's shapes (sdk/config/load.ts): one patch file = `{source, content}` (raw YAML, `${VAR}`
// already expanded); the Talos patch directory = `{cluster, controlPlanes, workers}`. Re-used, not
// redeclared, so the package index can re-export both modules without a name clash.
export type { PatchFile, TalosPatchSet };

import type { TalosRole } from "../roles";

export type { TalosRole };

export type ParsedPatch =
  | { readonly type: "strategic"; readonly source: string; readonly documents: ConfigDocument[] }
  | { readonly type: "json6902"; readonly source: string; readonly operations: jsonpatch.Operation[] };

const bySource = (a: PatchFile, b: PatchFile) => (a.source < b.source ? -1 : a.source > b.source ? 1 : 0);

/** The patches for one role, in the documented order (see the module comment). */
export function orderedPatches(
  role: TalosRole,
  files?: Partial<Readonly<TalosPatchSet>>,
  inline?: Partial<Readonly<TalosPatchSet>>,
): PatchFile[] {
  const roleFiles = role === "controlplane" ? files?.controlPlanes : files?.workers;
  const roleInline = role === "controlplane" ? inline?.controlPlanes : inline?.workers;
  return [
    ...[...(files?.cluster ?? [])].sort(bySource),
    ...[...(roleFiles ?? [])].sort(bySource),
    ...(inline?.cluster ?? []),
    ...(roleInline ?? []),
  ];
}

/** Parse a patch file, detecting RFC 6902 (a list of operations) versus strategic merge. */
export function parsePatch(file: PatchFile): ParsedPatch {
  const raw = YAML.parseAllDocuments(file.content);
  const list = Array.isArray(raw) ? raw : [raw];
  for (const [i, d] of list.entries()) {
    if (d.errors.length > 0) {
      throw new KsailError([{ path: file.source, message: `patch document ${i + 1} is not valid YAML: ${d.errors[0].message}` }]);
    }
  }
  const values = list
    .map((d, i) => {
      const v = yamlValue(d);
      if ("error" in v) throw new KsailError([{ path: file.source, message: `patch document ${i + 1}: ${v.error}` }]);
      return v.value;
    })
    .filter((v) => v !== null && v !== undefined);
  if (values.length === 1 && Array.isArray(values[0])) {
    const ops = values[0] as unknown[];
    ops.forEach((op, i) => {
      if (!isObject(op) || typeof op.op !== "string" || typeof op.path !== "string") {
        throw new KsailError([
          {
            path: file.source,
            message: `JSON patch operation ${i} must be a mapping with "op" and "path" (RFC 6902), found ${JSON.stringify(op)}`,
          },
        ]);
      }
      if (!["add", "remove", "replace", "move", "copy", "test"].includes(op.op)) {
        throw new KsailError([
          { path: file.source, message: `JSON patch operation ${i} has op "${op.op}"; allowed: add, remove, replace, move, copy, test` },
        ]);
      }
    });
    return { type: "json6902", source: file.source, operations: ops as jsonpatch.Operation[] };
  }
  return { type: "strategic", source: file.source, documents: parseDocuments(file.content, file.source) };
}

/** Apply patches in order to a parsed multi-document config; returns new documents (input untouched). */
export function applyPatches(docs: readonly ConfigDocument[], files: readonly PatchFile[]): ConfigDocument[] {
  let out = docs.map((d) => clone(d));
  for (const f of files) {
    const p = parsePatch(f);
    out = p.type === "json6902" ? applyJson6902(out, p.operations, p.source) : strategicMerge(out, p.documents, p.source);
  }
  return out;
}

/** RFC 6902 on the v1alpha1 document; the error names the source, the op index and the op. */
export function applyJson6902(docs: ConfigDocument[], ops: readonly jsonpatch.Operation[], source: string): ConfigDocument[] {
  const idx = docs.findIndex(isV1Alpha1);
  if (idx < 0) throw new KsailError([{ path: source, message: "a JSON patch needs a v1alpha1 document to patch; the config has none" }]);
  let doc: JsonObject = clone(docs[idx]);
  ops.forEach((op, i) => {
    try {
      doc = jsonpatch.applyOperation(doc, op, true, true).newDocument as JsonObject;
    } catch (err) {
      const why = err instanceof Error ? err.message.split("\n")[0] : String(err);
      throw new KsailError([{ path: source, message: `JSON patch operation ${i} ${JSON.stringify(op)} failed: ${why}` }]);
    }
  });
  if (!isObject(doc)) throw new KsailError([{ path: source, message: "JSON patch replaced the v1alpha1 document with a non-mapping" }]);
  const out = [...docs];
  out[idx] = doc;
  return out;
}

/** Strategic merge of (possibly multi-document) patch documents into a config. */
export function strategicMerge(docs: ConfigDocument[], patchDocs: readonly ConfigDocument[], source: string): ConfigDocument[] {
  let out = [...docs];
  patchDocs.forEach((pd, i) => {
    const where = `${source} (document ${i + 1})`;
    if (pd.kind !== undefined && pd.apiVersion === undefined) {
      throw new KsailError([
        { path: where, message: `document of kind "${String(pd.kind)}" has no apiVersion; add "apiVersion: v1alpha1"` },
      ]);
    }
    const remove = pd.$patch === "delete";
    if (isV1Alpha1(pd)) {
      if (remove) throw new KsailError([{ path: where, message: "the v1alpha1 document cannot be deleted with $patch: delete" }]);
      const idx = out.findIndex(isV1Alpha1);
      if (idx < 0) out.push(stripDirectives(pd) as ConfigDocument);
      else out[idx] = mergeMap(out[idx], pd, "", where);
      return;
    }
    const key = documentKey(pd);
    const matches = out.map((d, j) => (documentKey(d) === key ? j : -1)).filter((j) => j >= 0);
    if (remove) {
      out = out.filter((d) => documentKey(d) !== key);
      return;
    }
    if (matches.length === 0) out.push(stripDirectives(pd) as ConfigDocument);
    else for (const j of matches) out[j] = mergeMap(out[j], pd, `${String(pd.kind)}:`, where);
  });
  return out;
}

/** Lists (and one map) replaced wholesale instead of appended/merged; keys are `[Kind:]dotted.path`. */
const REPLACED = new Set([
  "cluster.network.podSubnets",
  "cluster.network.serviceSubnets",
  "cluster.apiServer.auditPolicy",
  "NetworkRuleConfig:ingress",
  "NetworkRuleConfig:portSelector.ports",
]);

/** Lists merged by key instead of appended. `[]` marks "inside an element of that list". */
const MERGE_KEYS: Record<string, readonly string[]> = {
  "machine.network.interfaces": ["interface", "deviceSelector"],
  "machine.network.interfaces[].vlans": ["vlanId"],
  "ExtensionServiceConfig:configFiles": ["mountPath"],
};

const DELETE = Symbol("delete");
type Merged = Json | typeof DELETE | undefined;

function child(path: string, key: string): string {
  return path === "" || path.endsWith(":") ? `${path}${key}` : `${path}.${key}`;
}

function mergeMap(target: JsonObject, patch: JsonObject, path: string, where: string): JsonObject {
  const out: JsonObject = { ...target };
  for (const [k, v] of Object.entries(patch)) {
    if (k === "$patch") continue;
    const r = mergeValue(out[k], v, child(path, k), where);
    if (r === DELETE) delete out[k];
    else if (r !== undefined) out[k] = r;
  }
  return out;
}

function mergeValue(target: Json | undefined, patch: Json, path: string, where: string): Merged {
  if (patch === null) return undefined;
  if (isObject(patch)) {
    if (patch.$patch === "delete") return DELETE;
    if (patch.$patch === "replace" || REPLACED.has(path) || !isObject(target)) return stripDirectives(patch);
    if (patch.$patch !== undefined) {
      throw new KsailError([
        { path: where, message: `${path}: unknown $patch directive "${String(patch.$patch)}"; allowed: delete, replace` },
      ]);
    }
    return mergeMap(target, patch, path, where);
  }
  if (Array.isArray(patch)) {
    if (REPLACED.has(path) || !Array.isArray(target)) return stripDirectives(patch);
    return mergeList(target, patch, path, where);
  }
  return patch;
}

function mergeList(target: Json[], patch: Json[], path: string, where: string): Json[] {
  const keys = MERGE_KEYS[path];
  const out = [...target];
  const sameKey = (a: Json, b: Json): boolean =>
    keys !== undefined && isObject(a) && isObject(b) && keys.some((k) => a[k] !== undefined && deepEqual(a[k], b[k]));
  for (const item of patch) {
    const del = isObject(item) && item.$patch === "delete";
    if (del) {
      const probe = stripDirectives(item);
      for (let i = out.length - 1; i >= 0; i--) {
        if (keys ? sameKey(probe, out[i]) : matchesProbe(probe, out[i])) out.splice(i, 1);
      }
      continue;
    }
    const at = keys ? out.findIndex((t) => sameKey(item, t)) : -1;
    if (at >= 0 && isObject(out[at]) && isObject(item)) out[at] = mergeMap(out[at] as JsonObject, item, `${path}[]`, where);
    else out.push(stripDirectives(item));
  }
  return out;
}

/** A delete probe matches an entry when every field it names is equal (`{name: x, $patch: delete}`). */
function matchesProbe(probe: Json, item: Json): boolean {
  if (isObject(probe) && isObject(item)) return Object.entries(probe).every(([k, v]) => deepEqual(v, item[k]));
  return deepEqual(probe, item);
}

/** Remove `$patch` keys (and entries marked for deletion) from data being inserted as-is. */
function stripDirectives(v: Json): Json {
  if (Array.isArray(v)) return v.filter((x) => !(isObject(x) && x.$patch === "delete")).map(stripDirectives);
  if (isObject(v)) {
    const out: JsonObject = {};
    for (const [k, x] of Object.entries(v)) {
      if (k === "$patch" || (isObject(x) && x.$patch === "delete") || x === null) continue;
      out[k] = stripDirectives(x);
    }
    return out;
  }
  return v;
}
