// L0: the suite stands on its own. Upstream data the tests validate against lives in test/fixtures (with its
// sources and checksums in test/fixtures/README.md), and no source reads a path outside the repository.
// `node scripts/test-isolated.js` runs the suite from a clone with nothing beside it.
import { describe, test } from "node:test";
import * as assert from "node:assert/strict";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { fixturesDir, repoRoot } from "../harness/paths";

function files(dir: string, exts: RegExp): string[] {
  if (!fs.existsSync(dir)) return [];
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) {
      if (e.name !== "node_modules" && e.name !== "dist" && !e.name.startsWith(".")) out.push(...files(p, exts));
    } else if (exts.test(e.name)) out.push(p);
  }
  return out;
}

describe("test fixtures: upstream data copied into the repository", () => {
  const readme = fs.readFileSync(fixturesDir("README.md"), "utf8");
  /** `<path under test/fixtures> → sha256` from the README's tables. */
  const listed = new Map<string, string>();
  for (const m of readme.matchAll(/^\| (charts\/\S+) \| ([0-9a-f]{64}) \|$/gm)) listed.set(m[1], m[2]);
  for (const m of readme.matchAll(/^\| (config\.schema\.v\S+\.json) \| \S+ \| [0-9a-f]{40} \| ([0-9a-f]{64}) \|$/gm))
    listed.set(`talos/schemas/${m[1]}`, m[2]);

  test("every file under talos/schemas and charts is listed in test/fixtures/README.md with its sha256, and matches", () => {
    const present = [...files(fixturesDir("talos", "schemas"), /./), ...files(fixturesDir("charts"), /./)].map((f) =>
      path.relative(fixturesDir(), f).split(path.sep).join("/"),
    );
    assert.ok(present.length > 30, `found ${present.length} data files`);
    assert.deepEqual([...present].sort(), [...listed.keys()].sort(), "files on disk and rows in the README differ");
    for (const f of present) {
      const sum = crypto
        .createHash("sha256")
        .update(fs.readFileSync(fixturesDir(f)))
        .digest("hex");
      assert.equal(sum, listed.get(f), `${f} differs from the upstream file the README names`);
    }
  });

  test("each chart folder names its upstream repository, ref and path", () => {
    for (const dir of fs.readdirSync(fixturesDir("charts"))) {
      const row = readme.split("\n").find((l) => l.startsWith(`| ${dir} | `));
      assert.ok(row, `${dir}: no row`);
      assert.match(row, /^\| \S+ \| https:\/\/github\.com\/[\w.-]+\/[\w.-]+ \| .+ \| .*`[^`]+\/`.* \|$/, dir);
    }
  });
});

describe("no source reads outside the repository", () => {
  const root = repoRoot();
  const sources = ["sdk", "test", "scripts", "bin", "examples"].flatMap((d) => files(path.join(root, d), /\.(ts|js|mjs|cjs|json|ya?ml)$/));
  // The sibling folder of the repository that tests once read data from. It is spelled in pieces here, so that this
  // guard can scan its own file too without matching itself.
  const sibling = ["..", "shared"].join("/");
  const outside = [
    new RegExp(`\\.\\./${"shared"}\\b`),
    new RegExp(`\\b${"shared"}/data\\b`),
    new RegExp(`/work/${"shared"}\\b`),
    /(repoRoot\(\)|REPO_ROOT|root), "\.\.[/"]/,
  ];

  test("no test, script or library source names the sibling data folder or a path above the repository root", () => {
    assert.ok(sources.length > 100, `scanned ${sources.length} files`);
    const hits: string[] = [];
    for (const f of sources) {
      const text = fs.readFileSync(f, "utf8");
      text.split("\n").forEach((line, i) => {
        if (outside.some((re) => re.test(line))) hits.push(`${path.relative(root, f)}:${i + 1}: ${line.trim()}`);
      });
    }
    assert.deepEqual(hits, []);
  });

  test("the scan would catch the old reads", () => {
    for (const line of [
      `const dataDir = path.resolve(repoRoot(), "${sibling}/data/charts");`,
      `export const TALOS_SCHEMA_DIR = path.resolve(REPO_ROOT, "${sibling}/data/talos");`,
    ])
      assert.ok(
        outside.some((re) => re.test(line)),
        line,
      );
  });
});
