import * as fs from "node:fs";
import * as path from "node:path";

/**
 * The repository root: the nearest folder above this file whose package.json is @ksail/pulumi. Works from the
 * sources (tsx) and from the compiled tests in dist/test. Kept free of heavy imports so pure tests can use it.
 */
export function repoRoot(): string {
  let dir = __dirname;
  for (;;) {
    const pj = path.join(dir, "package.json");
    if (fs.existsSync(pj) && JSON.parse(fs.readFileSync(pj, "utf8")).name === "@ksail/pulumi") return dir;
    const up = path.dirname(dir);
    if (up === dir) throw new Error(`repoRoot: no @ksail/pulumi package.json above ${__dirname}`);
    dir = up;
  }
}

/** `test/fixtures` of this repository (upstream data the tests validate against; see its README.md). */
export function fixturesDir(...parts: string[]): string {
  return path.join(repoRoot(), "test", "fixtures", ...parts);
}
