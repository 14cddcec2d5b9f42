/**
 * YAML ↔ the SOPS document model, as getsops/sops stores/yaml/store.go does it: every YAML document is one
 * tree; comments become comment items (head comments before their key, line comments inline); the `sops`
 * metadata mapping is appended to every document on output and read from the first on input; output is
 * indented by 4 spaces (sops's default). Mapping keys must be strings, as in sops.
 */
import { Comment, MapNode, SeqNode, SopsError, type Item, type Scalar, type Value } from "./tree";

type YamlModule = typeof import("yaml");
const Y = (): YamlModule => require("yaml") as YamlModule;

function commentItems(text: string | null | undefined, inline = false): Comment[] {
  if (!text) return [];
  return text
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => new Comment(l, inline));
}

function toValue(node: unknown, doc: import("yaml").Document): Value {
  const yaml = Y();
  if (yaml.isAlias(node)) return toValue(node.resolve(doc), doc);
  if (yaml.isMap(node)) {
    const m = new MapNode(commentItems(node.commentBefore).map((c) => ({ key: c, value: null })));
    for (const pair of node.items) {
      const key = pair.key;
      if (!yaml.isScalar(key) || typeof key.value !== "string") {
        throw new SopsError(
          `mapping key ${JSON.stringify(yaml.isScalar(key) ? key.value : String(key))} is not a string; sops supports string keys only`,
        );
      }
      for (const c of commentItems(key.commentBefore)) m.items.push({ key: c, value: null });
      const v = pair.value;
      if (yaml.isScalar(v)) {
        for (const c of commentItems(v.commentBefore)) m.items.push({ key: c, value: null });
        for (const c of commentItems(v.comment, true)) m.items.push({ key: c, value: null });
      }
      m.items.push({ key: key.value, value: v === null || v === undefined ? null : toValue(v, doc) });
    }
    for (const c of commentItems(node.comment)) m.items.push({ key: c, value: null });
    return m;
  }
  if (yaml.isSeq(node)) {
    const s = new SeqNode(commentItems(node.commentBefore));
    for (const it of node.items) {
      if (yaml.isNode(it)) {
        s.items.push(...commentItems(it.commentBefore));
        if (yaml.isScalar(it)) s.items.push(...commentItems(it.comment, true));
      }
      s.items.push(toValue(it, doc));
    }
    s.items.push(...commentItems(node.comment));
    return s;
  }
  if (yaml.isScalar(node)) return node.value as Scalar;
  if (node === null || node === undefined) return null;
  throw new SopsError(`unsupported YAML node ${String(node)}`);
}

/** Parses a YAML stream into one tree per document (comments kept). */
export function loadYaml(text: string): MapNode[] {
  const yaml = Y();
  const docs = yaml.parseAllDocuments(text, { intAsBigInt: true, uniqueKeys: true });
  if (!Array.isArray(docs)) return [];
  const out: MapNode[] = [];
  for (const doc of docs) {
    if (doc.errors.length > 0) throw new SopsError(`invalid YAML: ${doc.errors[0].message}`);
    if (doc.contents === null || (yaml.isScalar(doc.contents) && doc.contents.value === null)) {
      out.push(new MapNode(commentItems(doc.commentBefore).map((c) => ({ key: c, value: null }))));
      continue;
    }
    if (!yaml.isMap(doc.contents)) throw new SopsError("YAML documents that are not mappings are not supported by sops");
    const m = toValue(doc.contents, doc) as MapNode;
    m.items.unshift(...commentItems(doc.commentBefore).map((c) => ({ key: c, value: null }) as Item));
    m.items.push(...commentItems(doc.comment).map((c) => ({ key: c, value: null }) as Item));
    out.push(m);
  }
  return out;
}

/**
 * Strings that go-yaml v3 (which sops reads with) would resolve to another type when plain: timestamps
 * (sops then fails on `lastmodified` with "expected type 'string', got unconvertible type 'time.Time'")
 * and YAML 1.1 booleans. They are written double-quoted, as go-yaml writes them.
 */
const AMBIGUOUS =
  /^(\d{4}-\d\d?-\d\d?([Tt ].*)?|y|Y|yes|Yes|YES|n|N|no|No|NO|on|On|ON|off|Off|OFF|true|True|TRUE|false|False|FALSE|null|Null|NULL|~)$/;

function scalarNode(v: unknown, doc: import("yaml").Document): import("yaml").Scalar {
  const n = doc.createNode(v) as import("yaml").Scalar;
  if (typeof v === "string" && AMBIGUOUS.test(v)) n.type = "QUOTE_DOUBLE";
  return n;
}

function toNode(v: Value, doc: import("yaml").Document): unknown {
  const yaml = Y();
  if (v instanceof MapNode) {
    const map = new yaml.YAMLMap();
    let head: string[] = [];
    let inline: string[] = [];
    for (const item of v.items) {
      if (item.key instanceof Comment) {
        (item.key.inline ? inline : head).push(item.key.value);
        continue;
      }
      const key = scalarNode(item.key, doc);
      if (head.length > 0) key.commentBefore = head.join("\n");
      const value = toNode(item.value, doc) as import("yaml").Node;
      if (inline.length > 0 && value) value.comment = inline.join("\n");
      head = [];
      inline = [];
      map.items.push(new yaml.Pair(key, value));
    }
    const rest = [...head, ...inline];
    if (rest.length > 0) map.comment = rest.join("\n");
    return map;
  }
  if (v instanceof SeqNode) {
    const seq = new yaml.YAMLSeq();
    let head: string[] = [];
    for (const it of v.items) {
      if (it instanceof Comment) {
        head.push(it.value);
        continue;
      }
      const n = toNode(it, doc) as import("yaml").Node;
      if (head.length > 0) n.commentBefore = head.join("\n");
      head = [];
      seq.items.push(n);
    }
    if (head.length > 0) seq.comment = head.join("\n");
    return seq;
  }
  if (Buffer.isBuffer(v)) return scalarNode(v.toString("utf8"), doc);
  return scalarNode(v, doc);
}

/** Emits trees as a YAML stream (indent 4, like sops). */
export function emitYaml(docs: MapNode[]): string {
  const yaml = Y();
  return docs
    .map((d) => {
      const doc = new yaml.Document();
      doc.contents = toNode(d, doc) as import("yaml").YAMLMap;
      return doc.toString({ indent: 4, lineWidth: 0 });
    })
    .join("---\n");
}
