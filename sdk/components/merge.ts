/** Plain JSON-like object. */
export type Values = Record<string, unknown>;

function isPlainObject(v: unknown): v is Values {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

/**
 * Deep-merge `override` over `base` the way Helm merges values files: objects merge key by key, arrays and
 * scalars replace, and `null` deletes a key. Neither argument is mutated.
 */
export function deepMerge(base: Values, override: Values | undefined): Values {
  const out: Values = { ...base };
  if (!override) return out;
  for (const [k, v] of Object.entries(override)) {
    if (v === null) delete out[k];
    else if (isPlainObject(v) && isPlainObject(out[k])) out[k] = deepMerge(out[k] as Values, v);
    else out[k] = v;
  }
  return out;
}
