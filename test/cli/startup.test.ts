// The CLI loads only the command it runs. Each command's action imports what it needs, so `validate` and `diff`
// start in under 3× `node -e 0` (measured with farm-bench; `npm run bench` reports the ratio) instead of loading
// the Pulumi runtime, gRPC and X.509 for every command. Timing is too noisy to assert here; the modules each run
// loads are not, so this holds each command to its list: a new top-level import of a heavy module fails it.
import { describe, test } from "node:test";
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { repoRoot } from "../harness/paths";

const root = repoRoot();
const bin = path.join(root, "bin", "ksail-pulumi.js");
const example = path.join(root, "examples", "local", "ksail.yaml");

/** Runs the CLI with a preload that writes every module in require.cache at exit; returns them relative to the root. */
function loadedModules(args: string[]): { status: number | null; modules: string[] } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ksail-startup-"));
  try {
    const out = path.join(dir, "modules.json");
    const preload = path.join(dir, "preload.js");
    fs.writeFileSync(
      preload,
      `process.on("exit", () => require("node:fs").writeFileSync(${JSON.stringify(out)}, JSON.stringify(Object.keys(require.cache))));\n`,
    );
    const r = spawnSync(process.execPath, ["-r", preload, bin, ...args], { cwd: root, encoding: "utf8" });
    const modules = (JSON.parse(fs.readFileSync(out, "utf8")) as string[])
      .filter((m) => m !== preload)
      .map((m) => path.relative(root, m).split(path.sep).join("/"));
    return { status: r.status, modules };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Package names (scoped as `@scope/name`) from the part after the last `node_modules/` (node_modules may be a
 * symlink, e.g. in `npm run test:isolated`: require.cache holds the real path, outside the root).
 */
const packagesOf = (modules: string[]) =>
  [
    ...new Set(
      modules
        .filter((m) => m.includes("node_modules/"))
        .map((m) => {
          const parts = m.slice(m.lastIndexOf("node_modules/") + "node_modules/".length).split("/");
          return parts.slice(0, parts[0].startsWith("@") ? 2 : 1).join("/");
        }),
    ),
  ].sort();
/** Our own modules, as `sdk/<dir>/<file>` without the dist prefix and extension. */
const ownOf = (modules: string[]) =>
  modules.filter((m) => m.startsWith("dist/sdk/")).map((m) => m.replace(/^dist\//, "").replace(/\.js$/, ""));

const HEAVY = ["@pulumi/pulumi", "@grpc/grpc-js", "@peculiar/x509", "protobufjs", "google-protobuf"];
const CLI = /^sdk\/(cli\/main|cli\/commands\/\w+|errors)$/;
/** The config model, the impact engine and the pure plan with what it reads (no Pulumi, no clients, no PKI). */
const PURE_PLAN = /^sdk\/(config|impact|impact\/rules|plan|distributions|distributions\/\w+|components\/values)\/\w+$|^sdk\/versions$/;

describe("CLI start-up: a command loads only what it needs", () => {
  test("--help: commander and the command registrations only", () => {
    const r = loadedModules(["--help"]);
    assert.equal(r.status, 0);
    assert.deepEqual(packagesOf(r.modules), ["commander"]);
    assert.deepEqual(
      ownOf(r.modules).filter((m) => !CLI.test(m)),
      [],
    );
  });

  test("validate: the config model and the pure plan (its checks), nothing of the Pulumi runtime, gRPC or X.509", () => {
    const r = loadedModules(["validate", example]);
    assert.equal(r.status, 0);
    // fast-json-patch: the plan parses the Talos JSON 6902 patches it checks.
    assert.deepEqual(packagesOf(r.modules), ["commander", "fast-json-patch", "yaml", "zod"]);
    for (const heavy of HEAVY) assert.ok(!r.modules.some((m) => m.includes(`node_modules/${heavy}/`)), heavy);
    assert.deepEqual(
      ownOf(r.modules).filter((m) => !CLI.test(m) && !PURE_PLAN.test(m)),
      [],
    );
  });

  test("diff: the config model and the impact engine (with the Talos patch classifier), nothing else", () => {
    const r = loadedModules(["diff", example, example]);
    assert.equal(r.status, 0);
    // fast-json-patch applies the Talos JSON 6902 patches of both sides.
    assert.deepEqual(packagesOf(r.modules), ["commander", "fast-json-patch", "yaml", "zod"]);
    assert.deepEqual(
      ownOf(r.modules).filter((m) => !CLI.test(m) && !PURE_PLAN.test(m)),
      [],
    );
  });

  test("gate: reads a preview without the Pulumi runtime", () => {
    const r = loadedModules(["gate", path.join(root, "test", "fixtures", "gate", "talos-inplace.json")]);
    assert.ok(r.status === 0 || r.status === 2, `exit ${r.status}`);
    for (const heavy of HEAVY) assert.ok(!r.modules.some((m) => m.includes(`node_modules/${heavy}/`)), heavy);
  });

  test("workload validate: yaml, ajv and the shipped schemas; not the Pulumi runtime, the OCI client or tar", () => {
    const r = loadedModules(["workload", "validate", path.join(root, "test", "fixtures", "workload", "corpus", "valid.yaml")]);
    assert.equal(r.status, 0);
    assert.deepEqual(packagesOf(r.modules), ["ajv", "commander", "fast-deep-equal", "fast-uri", "json-schema-traverse", "yaml"]);
    assert.deepEqual(
      ownOf(r.modules).filter(
        (m) => !CLI.test(m) && !["sdk/workload/validate", "sdk/workload/validateSchemas", "sdk/config/yamlValue"].includes(m),
      ),
      [],
    );
  });
});
