import type * as z from "zod";
import type { Issue } from "../errors";

/** Dotted path with `[i]` for list indexes: `spec.cluster.autoscaler.node.pools[0].name`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const p of path) {
    if (typeof p === "number") out += `[${p}]`;
    else out += out === "" ? String(p) : `.${String(p)}`;
  }
  return out;
}

const show = (v: unknown): string => {
  if (v === undefined) return "nothing";
  const s = JSON.stringify(v);
  return s === undefined ? String(v) : s.length > 80 ? `${s.slice(0, 77)}...` : s;
};

const typeName = (v: unknown): string =>
  v === null ? "null" : Array.isArray(v) ? "a list" : typeof v === "object" ? "a map" : `a ${typeof v}`;

function enumMessage(values: readonly unknown[], input: unknown, bool: boolean): string {
  const allowed = values.map((v) => String(v)).join(", ");
  const hint = typeof input === "string" ? values.find((v) => typeof v === "string" && v.toLowerCase() === input.toLowerCase()) : undefined;
  return (
    `is ${show(input)}; allowed: ${allowed}${bool ? " (or a YAML boolean: true = Enabled, false = Disabled)" : ""}` +
    (hint !== undefined ? `. Values are case-sensitive: write ${String(hint)}` : "")
  );
}

/** Turns zod issues into `{path, message}` pairs that name the field, the value, what is allowed and the fix. */
export function zodIssues(
  issues: readonly z.core.$ZodIssue[],
  keysAt: (path: readonly PropertyKey[]) => string[] = () => [],
  prefix: PropertyKey[] = [],
): Issue[] {
  const out: Issue[] = [];
  for (const issue of issues) {
    const path = [...prefix, ...issue.path];
    const input = (issue as { input?: unknown }).input;
    switch (issue.code) {
      case "unrecognized_keys":
        for (const key of issue.keys) {
          const known = keysAt(path);
          const allowed = known.length > 0 ? `; allowed here: ${known.join(", ")}` : "";
          out.push({
            path: formatPath([...path, key]),
            message: `unknown field "${key}"; check the spelling or remove it${allowed}`,
          });
        }
        break;
      case "invalid_value":
        out.push({
          path: formatPath(path),
          message:
            input === undefined
              ? `is required; set it to ${issue.values.map((v) => show(v)).join(" or ")}`
              : issue.values.length === 1
                ? `is ${show(input)}; must be ${show(issue.values[0])}`
                : enumMessage(issue.values, input, false),
        });
        break;
      case "invalid_union": {
        // Toggle enums are `enum | boolean`; report them as one enum.
        const branchValues = issue.errors.flat().find((e) => e.code === "invalid_value");
        const boolBranch = issue.errors.flat().some((e) => e.code === "invalid_type" && e.expected === "boolean");
        if (branchValues && branchValues.code === "invalid_value") {
          out.push({ path: formatPath(path), message: enumMessage(branchValues.values, input, boolBranch) });
        } else if (issue.errors.length > 0 && issue.errors.every((b) => b.length > 0 && b[0].code !== "invalid_type")) {
          out.push(...zodIssues(issue.errors[0], keysAt, path));
        } else {
          const expected = issue.errors
            .flat()
            .map((e) => (e.code === "invalid_type" ? e.expected : ""))
            .filter(Boolean);
          out.push({
            path: formatPath(path),
            message: `is ${typeName(input)} (${show(input)}); expected ${[...new Set(expected)].join(" or ")}`,
          });
        }
        break;
      }
      case "invalid_type":
        if (input === undefined) {
          out.push({ path: formatPath(path), message: `is required (${issue.expected}); add it` });
        } else {
          const expected =
            issue.expected === "int"
              ? "a whole number"
              : issue.expected === "object"
                ? "a map"
                : issue.expected === "array"
                  ? "a list"
                  : `a ${issue.expected}`;
          out.push({ path: formatPath(path), message: `is ${typeName(input)} (${show(input)}); must be ${expected}` });
        }
        break;
      case "too_small":
        out.push({ path: formatPath(path), message: `is ${show(input)}; must be at least ${String(issue.minimum)}` });
        break;
      case "too_big":
        out.push({ path: formatPath(path), message: `is ${show(input)}; must be at most ${String(issue.maximum)}` });
        break;
      case "invalid_format":
        out.push({ path: formatPath(path), message: `is ${show(input)}; ${issue.message}` });
        break;
      default:
        out.push({ path: formatPath(path), message: `is ${show(input)}; ${issue.message}` });
    }
  }
  return out;
}
