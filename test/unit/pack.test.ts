// What `npm pack` (and so `npm publish`, and a git or file: dependency's install) ships: the compiled SDK, the
// bin, the protos and schemas it reads at run time, the README; never tests, fixtures or TypeScript sources.
// `npm pack --dry-run --json --ignore-scripts` lists the files without building (npm test compiled dist/).
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { repoRoot } from "../harness/paths";

const root = repoRoot();
const pkg = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8"));

function packedFiles(): string[] {
  const out = execFileSync("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], {
    cwd: root,
    encoding: "utf8",
    env: { ...process.env, npm_config_loglevel: "silent", npm_config_update_notifier: "false" },
  });
  return (JSON.parse(out) as { files: { path: string }[] }[])[0]!.files.map((f) => f.path).sort();
}

test("npm pack ships dist, bin, protos, schemas and README, and no tests, fixtures or sources", () => {
  const files = packedFiles();
  const has = (p: string) => assert.ok(files.includes(p), `${p} is not packed`);
  for (const p of ["package.json", "README.md", "schema.json", "ksail.schema.json", "PulumiPlugin.yaml", "bin/ksail-pulumi.js"]) has(p);
  has(pkg.main);
  has(pkg.types);
  has("dist/sdk/cli/main.js");
  // Dynamic providers load their impl modules by path inside the host: they must be there.
  has("dist/sdk/dynamic/clusterSecrets.impl.js");
  for (const proto of fs.readdirSync(path.join(root, "sdk/clients/talos")).filter((f) => f.endsWith(".proto")))
    has(`sdk/clients/talos/${proto}`);
  const workloadSchemas = path.join(root, "sdk/workload/schemas");
  if (fs.existsSync(workloadSchemas))
    for (const f of fs.readdirSync(workloadSchemas).filter((x) => x.endsWith(".json"))) has(`sdk/workload/schemas/${f}`);

  const unwanted = files.filter(
    (p) =>
      /(^|\/)(test|tests|fixtures|examples|scripts|node_modules|\.ci)\//.test(p) ||
      /(^|\/)dist\/test\//.test(p) ||
      (/\.ts$/.test(p) && !p.endsWith(".d.ts")),
  );
  assert.deepEqual(unwanted, []);
});

test("the bin runs the compiled CLI, and engines matches what @pulumi/pulumi supports", () => {
  const bin = fs.readFileSync(path.join(root, pkg.bin["ksail-pulumi"]), "utf8");
  const target = /require\("\.\.\/(dist\/[^"]+)"\)/.exec(bin)?.[1];
  assert.ok(target && fs.existsSync(path.join(root, target)), `the bin requires ${target}`);
  // A git or file: dependency has no dist/ until it is built: prepare builds it on install.
  assert.match(pkg.scripts.prepare ?? "", /\btsc\b/);
  const sdk = JSON.parse(fs.readFileSync(require.resolve("@pulumi/pulumi/package.json"), "utf8"));
  const floor = (range: string) => Number(/>=\s*(\d+)/.exec(range)?.[1]);
  assert.ok(
    floor(pkg.engines.node) >= floor(sdk.engines.node),
    `engines.node ${pkg.engines.node} claims less than @pulumi/pulumi's ${sdk.engines.node}`,
  );
});
