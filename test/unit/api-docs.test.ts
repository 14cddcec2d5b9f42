// docs/api.md, the API reference, is generated from the TypeScript declarations and their JSDoc by
// scripts/gen-api.js; this fails when it is stale (regenerate with `npm run docs`).
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { repoRoot } from "../harness/paths";

const root = repoRoot();
const gen = require(path.join(root, "scripts", "gen-api.js")) as { generate(): string };

test("docs/api.md is generated from the current declarations (regenerate: npm run docs)", () => {
  const fresh = gen.generate();
  const committed = fs.readFileSync(path.join(root, "docs", "api.md"), "utf8");
  assert.ok(fresh === committed, "docs/api.md is stale: run `npm run docs` and commit the result");
  // It documents the public entry points, with the impact line of each argument outside its @default.
  for (const heading of [
    "## `@ksail/pulumi`",
    "#### class `KSailCluster`",
    "#### interface `KSailClusterArgs`",
    "#### `loadClusterConfig()`",
  ])
    assert.ok(fresh.includes(heading), heading);
});
