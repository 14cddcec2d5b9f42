/**
 * KSail's `${VAR}` expansion, applied while loading to a fixed list of string fields. Syntax: `${NAME}`, `${NAME:-default}`,
 * `${NAME:=default}` with NAME = `[A-Za-z_][A-Za-z0-9_]*`. A set variable wins even when empty; an unset
 * one takes the default of the `:-`/`:=` forms (`:=` does not assign), else becomes "" with a warning.
 * `$NAME`, `${}` and an unterminated `${NAME` stay literal.
 */
export type Env = Readonly<Record<string, string | undefined>>;

const PATTERN = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::([-=])([^}]*))?\}/g;

export interface Expanded {
  readonly value: string;
  /** Names of unset variables without a default (each expanded to ""). */
  readonly missing: string[];
  /**
   * Names of variables whose value holds a line break or a YAML document marker: expanded into a file's text
   * (Talos patches, kind.yaml, k3d.yaml) they would change its structure, so callers refuse them there.
   */
  readonly structural: string[];
}

export function expandString(text: string, env: Env): Expanded {
  const missing: string[] = [];
  const structural: string[] = [];
  const value = text.replace(PATTERN, (_m, name: string, op: string | undefined, def: string | undefined) => {
    const v = env[name];
    if (v !== undefined && /[\r\n]|^---|^\.\.\./.test(v) && !structural.includes(name)) structural.push(name);
    if (v !== undefined) return v;
    if (op !== undefined) return def ?? "";
    missing.push(name);
    return "";
  });
  return { value, missing, structural };
}

/** The string fields KSail expands (document paths); `*EnvVar` fields are never expanded. */
export const EXPANDED_FIELDS = [
  "spec.editor",
  "spec.cluster.distributionConfig",
  "spec.cluster.connection.kubeconfig",
  "spec.cluster.connection.context",
  "spec.cluster.localRegistry.registry",
  "spec.cluster.vanilla.mirrorsDir",
  "spec.cluster.talos.config",
  "spec.cluster.eks.awsLoadBalancerControllerServiceAccount",
  "spec.provider.hetzner.sshKeyName",
  "spec.provider.hetzner.networkName",
  "spec.provider.hetzner.placementGroup",
  "spec.workload.sourceDirectory",
  "spec.workload.tag",
  "spec.workload.kustomizationFile",
  "spec.workload.scan.exceptions",
  "spec.chat.model",
] as const;

/**
 * Expands the fixed field list in a raw (pre-parse) document, in place on a copy. Returns the new
 * document and one warning per unset variable without a default.
 */
export function expandDocument(raw: unknown, env: Env): { document: unknown; warnings: { path: string; message: string }[] } {
  if (!isObject(raw)) return { document: raw, warnings: [] };
  const document = structuredClone(raw);
  const warnings: { path: string; message: string }[] = [];
  for (const field of EXPANDED_FIELDS) {
    const keys = field.split(".");
    let parent: unknown = document;
    for (const k of keys.slice(0, -1)) parent = isObject(parent) ? parent[k] : undefined;
    const last = keys[keys.length - 1];
    if (!isObject(parent) || typeof parent[last] !== "string") continue;
    const { value, missing } = expandString(parent[last], env);
    parent[last] = value;
    for (const name of missing) {
      warnings.push({
        path: field,
        message: `environment variable ${name} is not set; \${${name}} expanded to "". Set it, or write \${${name}:-default}`,
      });
    }
  }
  return { document, warnings };
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
