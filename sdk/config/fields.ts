import type * as z from "zod";
import { ClusterDocumentSchema, DEPRECATED_FIELDS, IGNORED_FIELDS } from "./model";

type AnySchema = z.core.$ZodType;
interface Def {
  type: string;
  innerType?: AnySchema;
  in?: AnySchema;
  shape?: Record<string, AnySchema>;
  element?: AnySchema;
}

const def = (s: AnySchema): Def => (s as unknown as { _zod: { def: Def } })._zod.def;

/** Strips optional/default/prefault/pipe wrappers down to the schema that decides the shape. */
function unwrap(s: AnySchema): AnySchema {
  let cur = s;
  for (;;) {
    const d = def(cur);
    if ((d.type === "optional" || d.type === "default" || d.type === "prefault" || d.type === "nullable") && d.innerType) cur = d.innerType;
    else if (d.type === "pipe" && d.in) cur = d.in;
    else return cur;
  }
}

function objectShape(s: AnySchema): Record<string, AnySchema> | undefined {
  const d = def(unwrap(s));
  return d.type === "object" ? d.shape : undefined;
}

/** The keys allowed at a document path (list indexes step into the element schema); [] when not an object. */
export function keysAt(path: readonly PropertyKey[]): string[] {
  let cur: AnySchema | undefined = ClusterDocumentSchema;
  for (const p of path) {
    if (!cur) return [];
    if (typeof p === "number") {
      const d = def(unwrap(cur));
      cur = d.type === "array" ? d.element : undefined;
    } else {
      cur = objectShape(cur)?.[String(p)];
    }
  }
  const shape = cur ? objectShape(cur) : undefined;
  const prefix = path.filter((p) => typeof p !== "number").join(".");
  const deprecated = new Set<string>(Object.keys(DEPRECATED_FIELDS));
  return shape ? Object.keys(shape).filter((k) => !deprecated.has(prefix === "" ? k : `${prefix}.${k}`)) : [];
}

const SKIPPED = new Set<string>(["apiVersion", "kind", ...IGNORED_FIELDS, ...Object.keys(DEPRECATED_FIELDS)]);

/**
 * Every leaf field path of the model (`metadata.name`, `spec.cluster.controlPlanes`, ...). Maps are
 * descended; lists, records and scalars are leaves (`spec.cluster.autoscaler.node.pools` is one leaf).
 * Ignored KSail sections and deprecated (migrated) fields are not part of the model and are not listed.
 */
export function specFieldPaths(): string[] {
  const out: string[] = [];
  const visit = (s: AnySchema, prefix: string): void => {
    const shape = objectShape(s);
    if (!shape) {
      out.push(prefix);
      return;
    }
    for (const [k, child] of Object.entries(shape)) {
      const p = prefix === "" ? k : `${prefix}.${k}`;
      if (!SKIPPED.has(p)) visit(child, p);
    }
  };
  visit(ClusterDocumentSchema, "");
  return out;
}
