import { describe, test } from "node:test";
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { repoRoot } from "../harness/paths";

const root = repoRoot();
const bin = path.join(root, "bin/ksail-pulumi.js");
const fx = (f: string) => path.join("test/fixtures/spec", f);

/**
 * Runs the packaged CLI (bin → dist/sdk/cli/main.js) as a separate process, from the repo root. When this
 * test was compiled into another output directory, the same launch runs that directory's CLI instead.
 */
const compiledMain = path.resolve(__dirname, "../../sdk/cli/main.js");
const launcher =
  compiledMain === path.join(root, "dist/sdk/cli/main.js")
    ? [bin]
    : ["-e", `require(${JSON.stringify(compiledMain)}).main(process.argv.slice(1)).then((c) => process.exit(c))`];
function cli(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [...launcher, ...args], { cwd: root, encoding: "utf8", env: { ...process.env, RELEASE_TAG: "" } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function tempFile(text: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ksail-cli-"));
  const file = path.join(dir, "ksail.yaml");
  fs.writeFileSync(file, text);
  return file;
}

const BROKEN = `apiVersion: ksail.io/v1alpha1
kind: Cluster
metadata:
  name: Bad_Name
spec:
  cluster:
    distribution: Vanilla
    provider: Hetzner
    cni: Flannel
    controlPlanes: 0
    typo: 1
`;

describe("ksail-pulumi validate", () => {
  test("all example files are valid: exit 0, one summary line each, warnings on stderr", () => {
    const r = cli("validate", fx("talos/ksail.yaml"), fx("talos/ksail.prod.yaml"), fx("kind/ksail.yaml"), fx("k3s/ksail.yaml"));
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.deepEqual(r.stdout.trim().split("\n"), [
      `${fx("talos/ksail.yaml")}: valid (Talos on Docker, 1 control plane, 1 worker)`,
      `${fx("talos/ksail.prod.yaml")}: valid (Talos on Hetzner, 3 control planes, 3 workers)`,
      `${fx("kind/ksail.yaml")}: valid (Vanilla on Docker, 1 control plane, 2 workers)`,
      `${fx("k3s/ksail.yaml")}: valid (K3s on Docker, 1 control plane, 2 workers)`,
    ]);
    assert.match(r.stderr, /^warning: test\/fixtures\/spec\/talos\/ksail\.yaml: spec\.editor: is a KSail field/m);
  });

  test("an invalid file: exit 1 and every problem as FILE: path: message, no stack trace", () => {
    const file = tempFile(BROKEN);
    const r = cli("validate", fx("kind/ksail.yaml"), file);
    assert.equal(r.code, 1);
    const lines = r.stdout.trim().split("\n");
    assert.equal(lines[0], `${fx("kind/ksail.yaml")}: valid (Vanilla on Docker, 1 control plane, 2 workers)`);
    const problems = lines.slice(1);
    assert.ok(
      problems.every((l) => l.startsWith(`${file}: `)),
      problems.join("\n"),
    );
    const paths = problems.map((l) => l.slice(file.length + 2).split(": ")[0]).sort();
    assert.deepEqual(paths, [
      "metadata.name",
      "spec.cluster.cni",
      "spec.cluster.controlPlanes",
      "spec.cluster.provider",
      "spec.cluster.typo",
    ]);
    assert.doesNotMatch(r.stdout + r.stderr, /\n\s+at /, "no stack trace");
  });

  test("cross-field problems are all listed once the shape is right", () => {
    const file = tempFile(BROKEN.replace("    cni: Flannel\n", "").replace("    typo: 1\n", ""));
    const r = cli("validate", file);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /: metadata\.name: cluster name is invalid: "Bad_Name"/);
    assert.match(
      r.stdout,
      /: spec\.cluster\.provider: Vanilla on Hetzner is a valid KSail combination, but @ksail\/pulumi does not support it yet; supported: Vanilla on Docker, K3s on Docker, Talos on Docker, Talos on Hetzner/,
    );
    assert.match(r.stdout, /: spec\.cluster\.controlPlanes: is 0; a cluster needs at least 1 control plane/);
  });

  test("--output json reports every file", () => {
    const file = tempFile(BROKEN);
    const r = cli("validate", "--output", "json", fx("k3s/ksail.yaml"), file, "missing.yaml");
    assert.equal(r.code, 1);
    const out = JSON.parse(r.stdout) as {
      valid: boolean;
      files: { file: string; valid: boolean; issues: { path: string; message: string }[]; warnings: unknown[] }[];
    };
    assert.equal(out.valid, false);
    assert.deepEqual(
      out.files.map((f) => [f.file, f.valid]),
      [
        [fx("k3s/ksail.yaml"), true],
        [file, false],
        ["missing.yaml", false],
      ],
    );
    assert.equal(out.files[0].warnings.length, 1);
    assert.ok(
      out.files[1].issues.some((i) => i.path === "spec.cluster.cni" && /"Flannel"; allowed: Default, Cilium, Calico/.test(i.message)),
    );
    assert.match(out.files[2].issues[0].message, /file not found/);
    const ok = cli("validate", "-o", "json", fx("talos/ksail.prod.yaml"));
    assert.equal(ok.code, 0);
    assert.equal((JSON.parse(ok.stdout) as { valid: boolean }).valid, true);
  });

  test("YAML syntax errors and missing files are user errors (exit 1, message only)", () => {
    const r = cli("validate", tempFile("kind: [\n"), "nope/ksail.yaml");
    assert.equal(r.code, 1);
    assert.match(r.stdout, /: YAML syntax error/);
    assert.match(r.stdout, /^nope\/ksail\.yaml: file not found: .*nope\/ksail\.yaml; check the path$/m);
  });

  test("usage errors: no file, bad --output", () => {
    assert.equal(cli("validate").code, 1);
    const bad = cli("validate", "-o", "xml", fx("k3s/ksail.yaml"));
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /xml/);
  });

  test("--help on validate", () => {
    const r = cli("validate", "--help");
    assert.equal(r.code, 0);
    assert.match(r.stdout, /Usage: ksail-pulumi validate \[options\] <file\.\.\.>/);
    assert.match(r.stdout, /--output <format>/);
  });
});

describe("ksail-pulumi schema", () => {
  test("prints the JSON Schema that ksail.schema.json holds", () => {
    const r = cli("schema");
    assert.equal(r.code, 0);
    const schema = JSON.parse(r.stdout) as { properties: { spec: unknown } };
    assert.ok(schema.properties.spec);
    assert.deepEqual(schema, JSON.parse(fs.readFileSync(path.join(root, "ksail.schema.json"), "utf8")));
  });
  test("--help on schema and on the program", () => {
    const r = cli("schema", "--help");
    assert.equal(r.code, 0);
    assert.match(r.stdout, /Usage: ksail-pulumi schema/);
    const top = cli("--help");
    assert.equal(top.code, 0);
    assert.match(top.stdout, /validate \[options\] <file\.\.\.>/);
    assert.match(top.stdout, /\n\s+schema\s/);
  });
});
