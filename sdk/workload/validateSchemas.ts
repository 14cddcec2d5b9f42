/**
 * The schemas `workload validate` checks against, loaded lazily: the Kubernetes definitions and the GitOps CRD
 * schemas shipped in `schemas/`, compiled with ajv one kind at a time (kubeconform's strict mode closes every
 * object schema that lists its properties).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { ValidateFunction } from "ajv";

export interface SchemaBundle {
  kubernetesVersion: string;
  kinds: Record<string, string>;
  definitions: Record<string, Record<string, unknown>>;
}

/** A file of schemas/: next to this module when running from source; the package ships the sources' copy beside dist/. */
function schemaFile(name: string): unknown {
  const here = path.join(__dirname, "schemas", name);
  const file = fs.existsSync(here) ? here : path.resolve(__dirname, "..", "..", "..", "sdk", "workload", "schemas", name);
  return JSON.parse(fs.readFileSync(file, "utf8")) as unknown;
}

let bundle: SchemaBundle | undefined;
export function schemas(): SchemaBundle {
  bundle ??= schemaFile("kubernetes.json") as SchemaBundle;
  return bundle;
}

/**
 * CRD schemas shipped with the package (scripts/gen-crd-schemas.sh: Flux's sources and Kustomization,
 * flux-operator's kinds), used when the tree has no CRD of its own for a kind.
 */
let shipped: { modules: string[]; kinds: Record<string, Record<string, unknown>> } | undefined;
export function shippedCrds(): NonNullable<typeof shipped> {
  shipped ??= schemaFile("crds.json") as NonNullable<typeof shipped>;
  return shipped;
}

/** `additionalProperties: false` on every object schema that lists its properties (kubeconform's strict mode). */
function closeObjects(s: unknown): unknown {
  if (Array.isArray(s)) return s.map(closeObjects);
  if (s === null || typeof s !== "object") return s;
  const o: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(s as Record<string, unknown>))
    o[k] = k === "properties" ? mapValues(v, closeObjects) : closeObjects(v);
  if (o.properties && o.additionalProperties === undefined && o["x-kubernetes-preserve-unknown-fields"] !== true)
    o.additionalProperties = false;
  return o;
}

function mapValues(v: unknown, f: (x: unknown) => unknown): unknown {
  if (v === null || typeof v !== "object") return v;
  return Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, f(x)]));
}

/** Compiles schemas lazily, one validator per kind, for one strictness. */
export class Validators {
  private readonly ajv: import("ajv").default;
  private readonly cache = new Map<string, ValidateFunction>();

  constructor(private readonly strict: boolean) {
    // ajv is loaded only when a validation runs (the CLI's other commands never pay for it).
    const Ajv = (require("ajv") as typeof import("ajv")).default;
    this.ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false, validateSchema: false });
    const defs = schemas().definitions;
    this.ajv.addSchema({ $id: "k8s", definitions: strict ? mapValues(defs, closeObjects) : defs });
  }

  builtin(definition: string): ValidateFunction {
    let v = this.cache.get(definition);
    if (!v) {
      v = this.ajv.compile({ $ref: `k8s#/definitions/${definition}` });
      this.cache.set(definition, v);
    }
    return v;
  }

  crd(key: string, schema: Record<string, unknown>): ValidateFunction {
    let v = this.cache.get(`crd:${key}`);
    if (!v) {
      // Every custom resource has apiVersion, kind and the standard metadata, whether its schema says so or not.
      const props = (schema.properties ?? {}) as Record<string, unknown>;
      const full = {
        ...schema,
        properties: {
          apiVersion: { type: "string" },
          kind: { type: "string" },
          metadata: { $ref: "k8s#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta" },
          ...props,
        },
      };
      // The API server prunes unknown fields of a structural schema; strict mode reports them instead.
      v = this.ajv.compile((this.strict ? closeObjects(full) : full) as object);
      this.cache.set(`crd:${key}`, v);
    }
    return v;
  }
}
