// Upgrade guard (L1): the resource graph of each example and of the main KSailCluster layouts, recorded from the
// previous release into test/fixtures/upgrade/ (test/upgrade/record.ts), must survive an upgrade of the library:
// every recorded resource keeps its URN (or the new resource declares an alias for it: child names and parent types
// are public API), and nothing that decides replacement changes (replacementTrigger, deleteBeforeReplace,
// replaceOnChanges, ignoreChanges (entries may be added, not dropped), the explicit provider, the dynamic providers'
// implementation module, and the inputs each provider replaces on, minus ignored ones). New resources may appear
// (a create, not a replacement).
import { describe, test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { FIXTURES, LAYOUTS, graphOf, type Graph, type GraphEntry } from "./graph";
import { repoRoot } from "../harness/paths";

const decisive = (e: GraphEntry) => {
  const { urn: _urn, aliases: _aliases, ignoreChanges: _ignored, inputs: _inputs, ...rest } = e;
  return rest;
};

/** Whether an input path is covered by an ignoreChanges entry (the entry itself or a path below it). */
const ignoredBy = (ignored: readonly string[], key: string) =>
  ignored.some((i) => key === i || key.startsWith(`${i}.`) || key.startsWith(`${i}[`));

/**
 * The recorded and the current entry decide replacement alike. An ignoreChanges entry may be added, never dropped:
 * the engine diffs an ignored input with its old value, so ignoring more cannot cause a replacement (that is how a
 * create-only input, such as a network's labels, gains a value without replacing existing resources).
 */
function assertSameDecision(cur: GraphEntry, old: GraphEntry): void {
  assert.deepEqual(decisive(cur), decisive(old), `${old.urn}: a replacement-deciding option changed`);
  const ignored = cur.ignoreChanges ?? [];
  const dropped = (old.ignoreChanges ?? []).filter((k) => !ignored.includes(k));
  assert.deepEqual(dropped, [], `${old.urn}: ignoreChanges entries dropped`);
  const compared = (inputs: Record<string, unknown> | undefined) =>
    inputs && Object.fromEntries(Object.entries(inputs).filter(([k]) => !ignoredBy(ignored, k)));
  assert.deepEqual(compared(cur.inputs), compared(old.inputs), `${old.urn}: a replacement-deciding input changed`);
}

/** Resolves a stored implementation specifier the way the dynamic-provider host does, from the package itself. */
function assertResolves(spec: string): void {
  const pkg = JSON.parse(fs.readFileSync(path.join(repoRoot(), "package.json"), "utf8")) as { exports?: unknown };
  if (pkg.exports !== undefined) {
    // Self-reference through the package's own `exports` map (what an installed copy answers).
    assert.doesNotThrow(() => require.resolve(spec, { paths: [repoRoot()] }), `${spec} must stay resolvable through package.json exports`);
  } else {
    const file = path.join(repoRoot(), spec.slice("@ksail/pulumi/".length));
    assert.ok(fs.existsSync(file), `${spec}: ${file} is missing`);
  }
}

describe("upgrade guard: recorded resource graphs survive the upgrade", () => {
  for (const layout of LAYOUTS) {
    test(`${layout.id}: ${layout.description}`, async () => {
      const recorded = JSON.parse(fs.readFileSync(path.join(FIXTURES(), `${layout.id}.json`), "utf8")) as Graph;
      const now = graphOf(layout, await layout.record());
      const byUrn = new Map(now.resources.map((e) => [e.urn, e]));
      const byAlias = new Map(now.resources.flatMap((e) => (e.aliases ?? []).map((a) => [a, e] as const)));
      const lost: string[] = [];
      for (const old of recorded.resources) {
        const cur = byUrn.get(old.urn) ?? byAlias.get(old.urn);
        if (!cur) {
          lost.push(old.urn);
          continue;
        }
        assertSameDecision(cur, old);
      }
      assert.deepEqual(lost, [], "resources renamed or removed without an alias (existing stacks would delete them)");
      for (const e of now.resources) if (e.implModule) assertResolves(e.implModule);
    });
  }
});
