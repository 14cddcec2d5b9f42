// `ksail-pulumi gate` on preview digests the real Pulumi CLI wrote (test/fixtures/gate/real-*.json, recorded by
// cluster-spec.test.ts and talos.test.ts with KSAIL_RECORD_GATE=1). Runs without a Pulumi CLI.
import { describe, test } from "node:test";
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { repoRoot } from "../harness/paths";

const root = repoRoot();
function gate(name: string, allow = "") {
  const file = path.join(root, "test", "fixtures", "gate", `real-${name}.json`);
  const r = spawnSync(process.execPath, [path.join(root, "bin", "ksail-pulumi.js"), "gate", file, "--allow", allow], {
    cwd: root,
    encoding: "utf8",
  });
  return { code: r.status, out: r.stdout, err: r.stderr, json: r.stdout ? (JSON.parse(r.stdout) as Record<string, unknown>) : undefined };
}

describe("gate on real `pulumi preview --json` output", () => {
  test("the real digest shape: a stack `same` step is present, dynamic steps have no diffReasons, printed lines have no URN", () => {
    const doc = require(path.join(root, "test", "fixtures", "gate", "real-spec-reboot.json")) as {
      steps: { op: string; urn: string; diffReasons?: unknown }[];
      diagnostics: { urn?: string; message: string }[];
    };
    assert.deepEqual(
      doc.steps.map((s) => s.op),
      ["same", "update"],
    );
    assert.match(doc.steps[0].urn, /pulumi:pulumi:Stack/);
    assert.equal(doc.steps[1].diffReasons, undefined);
    assert.ok(doc.diagnostics.length > 1, "one diagnostic per printed line");
    assert.ok(doc.diagnostics.every((d) => d.urn === undefined));
  });

  test("no change and an in-place change pass (exit 0)", () => {
    for (const name of ["spec-nochange", "spec-inplace"]) {
      const r = gate(name);
      assert.equal(r.code, 0, `${name}: ${r.out}${r.err}`);
    }
  });

  test("a reboot-class change is refused (exit 2) unless reboots are allowed", () => {
    const r = gate("spec-reboot");
    assert.equal(r.code, 2, r.out + r.err);
    assert.match(r.err, /reboot-required/);
    assert.equal(gate("spec-reboot", "reboot").code, 0);
  });

  test("a recreate is refused (exit 2); the stand-ins (not in a KSailCluster) are listed as other replacements", () => {
    const r = gate("spec-recreate", "reboot,rolling");
    assert.equal(r.code, 2, r.out + r.err);
    assert.match(r.err, /recreate-required/);
    const other = (r.json!.otherReplacements as { name: string; impact: string }[]).map((x) => `${x.name}: ${x.impact}`).sort();
    assert.deepEqual(other, ["guarded: outside any KSail cluster", "stand-in: outside any KSail cluster"]);
  });

  test("a TalosMachine reboot with no ClusterSpec change is refused (exit 2) unless reboots are allowed", () => {
    // Failed before: the gate read only ClusterSpec steps, so a Talos patch that reboots nodes passed.
    const r = gate("talos-machine-reboot");
    assert.equal(r.code, 2, r.out + r.err);
    assert.match(r.err, /reboot-required/);
    assert.equal(gate("talos-machine-reboot", "reboot").code, 0);
  });
});
