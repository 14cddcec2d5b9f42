import type { Issue } from "../errors";
import { isObject } from "./expand";

/**
 * Deprecated-field migration with KSail's conflict rule (it runs after `${VAR}` expansion): the old value is copied
 * only when the replacement is unset; both set and different is an error; the old key is removed.
 * Works on the raw (pre-parse) document; YAML booleans are compared as their toggle value.
 */
const MIGRATIONS: readonly { from: string[]; to: string[] }[] = [
  { from: ["talos", "controlPlanes"], to: ["controlPlanes"] },
  { from: ["talos", "workers"], to: ["workers"] },
  { from: ["nodeAutoscaling"], to: ["autoscaler", "node", "enabled"] },
  { from: ["talos", "imageVerification"], to: ["imageVerification"] },
];

const norm = (v: unknown): unknown => (v === true ? "Enabled" : v === false ? "Disabled" : v);

export function migrateDeprecated(raw: unknown): { document: unknown; errors: Issue[]; warnings: Issue[] } {
  const errors: Issue[] = [];
  const warnings: Issue[] = [];
  if (!isObject(raw) || !isObject(raw.spec) || !isObject(raw.spec.cluster)) return { document: raw, errors, warnings };
  const document = structuredClone(raw) as { spec: { cluster: Record<string, unknown> } };
  const cluster = document.spec.cluster;
  for (const m of MIGRATIONS) {
    const fromParent = walk(cluster, m.from.slice(0, -1), false);
    const fromKey = m.from[m.from.length - 1];
    if (!fromParent || fromParent[fromKey] === undefined || fromParent[fromKey] === null) continue;
    const oldValue = fromParent[fromKey];
    const fromPath = `spec.cluster.${m.from.join(".")}`;
    const toPath = `spec.cluster.${m.to.join(".")}`;
    const toParent = walk(cluster, m.to.slice(0, -1), true);
    const toKey = m.to[m.to.length - 1];
    if (!toParent) {
      errors.push({ path: toPath, message: `cannot migrate ${fromPath}: the parent of ${toPath} is not an object` });
      continue;
    }
    const newValue = toParent[toKey];
    if (newValue === undefined || newValue === null) {
      toParent[toKey] = oldValue;
    } else if (norm(newValue) !== norm(oldValue)) {
      errors.push({
        path: fromPath,
        message:
          `deprecated field conflicts with its replacement: ${fromPath}=${String(norm(oldValue))} conflicts with ` +
          `${toPath}=${String(norm(newValue))} (set only ${toPath})`,
      });
      continue;
    }
    delete fromParent[fromKey];
    warnings.push({ path: fromPath, message: `is deprecated; use ${toPath} instead (value migrated)` });
  }
  return { document, errors, warnings };
}

function walk(obj: Record<string, unknown>, keys: string[], create: boolean): Record<string, unknown> | undefined {
  let cur: Record<string, unknown> = obj;
  for (const k of keys) {
    if (cur[k] === undefined && create) cur[k] = {};
    const next = cur[k];
    if (!isObject(next)) return undefined;
    cur = next;
  }
  return cur;
}
