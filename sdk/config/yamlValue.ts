import type * as YAML from "yaml";

/**
 * A parsed YAML document's value, or why it has none. The yaml library refuses (with a ReferenceError) documents
 * whose aliases expand past 100 nodes, the "billion laughs" pattern; every reader of user YAML goes through here so
 * that such a file is reported like any other bad input instead of crashing the command.
 */
export function yamlValue(doc: YAML.Document.Parsed | YAML.Document): { value: unknown } | { error: string } {
  try {
    return { value: doc.toJS({ maxAliasCount: 100 }) as unknown };
  } catch (e) {
    if (e instanceof ReferenceError && /alias/i.test(e.message))
      return {
        error: "its YAML aliases expand past 100 nodes (a resource-exhaustion pattern); write the values out instead of nesting aliases",
      };
    throw e;
  }
}
