// The CLI honours the ksail.yaml directory boundary and its explicit opt-out, as loadClusterConfig does:
// validate, diff and render refuse a distributionConfig outside the directory and accept it with
// --allow-paths-outside.
import { after, describe, test } from "node:test";
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { repoRoot } from "../harness/paths";

const bin = path.join(repoRoot(), "bin", "ksail-pulumi.js");
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "ksail-cli-paths-"));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));
const cli = (args: string[]) => spawnSync(process.execPath, [bin, ...args], { cwd: tmp, encoding: "utf8" });

describe("ksail-pulumi and files outside the ksail.yaml's directory", () => {
  fs.mkdirSync(path.join(tmp, "common"));
  fs.mkdirSync(path.join(tmp, "project"));
  fs.writeFileSync(path.join(tmp, "common", "kind.yaml"), "kind: Cluster\napiVersion: kind.x-k8s.io/v1alpha4\n");
  const file = path.join(tmp, "project", "ksail.yaml");
  fs.writeFileSync(
    file,
    "apiVersion: ksail.io/v1alpha1\nkind: Cluster\nspec:\n  cluster:\n    distribution: Vanilla\n    distributionConfig: ../common/kind.yaml\n",
  );

  test("validate, diff and render refuse it by default and accept it with --allow-paths-outside", () => {
    for (const args of [
      ["validate", file],
      ["diff", file, file],
      ["render", file, "--out", path.join(tmp, "out")],
    ]) {
      const refused = cli(args);
      assert.equal(refused.status, 1, `${args[0]}: ${refused.stdout}${refused.stderr}`);
      assert.match(
        refused.stdout + refused.stderr,
        /spec\.cluster\.distributionConfig: "\.\.\/common\/kind\.yaml" resolves to .*outside the directory/,
      );
      const allowed = cli([...args, "--allow-paths-outside"]);
      assert.equal(allowed.status, 0, `${args[0]} --allow-paths-outside: ${allowed.stdout}${allowed.stderr}`);
    }
  });
});
