// The `workload validate` command as CI runs it: exit codes (0 valid, 1 invalid, 2 invalid ksail.yaml), one
// line per problem, JSON output, the ksail.yaml's sourceDirectory and skipKinds, and the flags.
import { after, describe, test } from "node:test";
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { repoRoot } from "../harness/paths";

const root = repoRoot();
const bin = path.join(root, "bin", "ksail-pulumi.js");
const TREE = path.join(root, "test/fixtures/workload/validate");
const CORPUS = path.join(root, "test/fixtures/workload/corpus");
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "ksail-workload-cli-"));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const run = (args: string[], cwd = root) => spawnSync(process.execPath, [bin, "workload", "validate", ...args], { cwd, encoding: "utf8" });

describe("ksail-pulumi workload validate", () => {
  test("a valid tree: exit 0 and a summary line", () => {
    const r = run([path.join(CORPUS, "valid.yaml")]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^valid: 4 documents in 1 file, 4 checked against Kubernetes v1\.36\.3 schemas or CRDs, 0 skipped\n$/);
  });

  test("known errors: exit 1, one FILE:LINE: KIND NAME PATH: message line each, no stack trace", () => {
    const r = run([path.relative(root, TREE)]);
    assert.equal(r.status, 1);
    assert.match(
      r.stdout,
      /^test\/fixtures\/workload\/validate\/apps\/web\.yaml:7: apps\/v1\/Deployment web spec\.replicas: must be integer$/m,
    );
    assert.match(r.stdout, /^7 problems: 11 documents in 9 files/m);
    assert.doesNotMatch(r.stdout + r.stderr, /\n\s+at /);
  });

  test("--output json, --ignore-missing-schemas, --skip-kinds", () => {
    const r = run([TREE, "-o", "json", "--ignore-missing-schemas", "--skip-kinds", "Widget,apps/v1/Deployment"]);
    assert.equal(r.status, 1);
    const j = JSON.parse(r.stdout);
    assert.equal(j.valid, false);
    assert.deepEqual(
      j.issues.map((i: { path: string }) => i.path),
      ["spec.prune", "resources[6]"],
    );
  });

  test("reads the ksail.yaml in the working directory: its sourceDirectory and validation.skipKinds", () => {
    fs.cpSync(TREE, path.join(tmp, "manifests"), { recursive: true });
    fs.rmSync(path.join(tmp, "manifests", "flux"), { recursive: true });
    fs.writeFileSync(
      path.join(tmp, "manifests", "kustomization.yaml"),
      "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [apps]\n",
    );
    fs.writeFileSync(
      path.join(tmp, "ksail.yaml"),
      "apiVersion: ksail.io/v1alpha1\nkind: Cluster\nspec:\n  workload:\n    sourceDirectory: manifests\n    validation:\n      skipKinds: [Deployment, Widget]\n",
    );
    const r = run([], tmp);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    // Two Deployments and the Widget (skipKinds), the Secret (skipSecrets).
    assert.match(r.stdout, /^valid: .* 4 skipped\n$/);
  });

  test("an invalid ksail.yaml: exit 2 with the field", () => {
    const dir = path.join(tmp, "bad");
    fs.mkdirSync(dir);
    fs.writeFileSync(
      path.join(dir, "ksail.yaml"),
      "apiVersion: ksail.io/v1alpha1\nkind: Cluster\nspec:\n  workload:\n    validation:\n      skipKind: [x]\n",
    );
    const r = run([], dir);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /spec\.workload\.validation/);
  });
});

describe("ksail-pulumi workload scan", () => {
  const SCAN = path.join(root, "test/fixtures/workload/scan");
  const scan = (args: string[], cwd = root) => spawnSync(process.execPath, [bin, "workload", "scan", ...args], { cwd, encoding: "utf8" });

  test("pretty report and score; exit 0 without a threshold, 1 below it with the reason, 0 with the exception at 56", () => {
    const r = scan([path.join(SCAN, "hardened.yaml"), path.join(SCAN, "risky.yaml")]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /compliance score \(nsa, 8 resources\): 53\.3%$/m);
    const below = scan([SCAN, "--compliance-threshold", "55"]);
    assert.equal(below.status, 1);
    assert.match(below.stderr, /compliance score 53\.3% \(nsa\) is below the threshold 55%/);
    const excepted = scan([SCAN, "--compliance-threshold", "56", "--exceptions", path.join(SCAN, "exceptions.json")]);
    assert.equal(excepted.status, 0, excepted.stderr);
  });

  test("SARIF and JUnit to a file; JSON to stdout", () => {
    const out = path.join(tmp, "scan.sarif");
    assert.equal(scan([SCAN, "-f", "sarif", "-o", out]).status, 0);
    assert.equal(JSON.parse(fs.readFileSync(out, "utf8")).version, "2.1.0");
    const j = scan([SCAN, "-f", "json"]);
    assert.equal(JSON.parse(j.stdout).results[0].complianceScore, 53.3);
    assert.match(scan([SCAN, "-f", "junit"]).stdout, /^<\?xml/);
  });

  test("spec.workload.scan from the ksail.yaml: threshold and exceptions; an unavailable framework is exit 2", () => {
    const dir = path.join(tmp, "scan-config");
    fs.mkdirSync(dir);
    fs.cpSync(SCAN, path.join(dir, "k8s"), { recursive: true });
    const write = (scanSpec: string) =>
      fs.writeFileSync(
        path.join(dir, "ksail.yaml"),
        `apiVersion: ksail.io/v1alpha1\nkind: Cluster\nspec:\n  workload:\n    scan:\n${scanSpec}`,
      );
    write("      complianceThreshold: 60\n      exceptions: k8s/exceptions.json\n");
    const r = scan([], dir);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /56\.7% \(nsa\) is below the threshold 60%/);
    write("      frameworks: [mitre]\n");
    const m = scan([], dir);
    assert.equal(m.status, 2);
    assert.match(m.stderr, /framework mitre is not available offline \(available: nsa\)/);
  });
});
