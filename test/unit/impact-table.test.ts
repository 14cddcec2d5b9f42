import { describe, test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { COMBOS, IMPACT_TABLE, impactLine, NEVER_COMPARED, reasonOf, renderImpactMarkdown, ruleFor } from "../../sdk/impact";
import { DEPRECATED_FIELDS, IGNORED_FIELDS, specFieldPaths } from "../../sdk/config";

/** Model leaf paths relative to `spec` (`metadata.name` stays as it is). */
const leaves = specFieldPaths().map((p) => p.replace(/^spec\./, ""));
const covers = (ancestor: string, p: string) => p === ancestor || p.startsWith(`${ancestor}.`);
const neverCompared = (p: string) => Object.keys(NEVER_COMPARED).find((k) => covers(k, p));

describe("impact table completeness", () => {
  test("every leaf of the zod model is in the table or explicitly never compared", () => {
    const missing = leaves.filter((p) => !ruleFor(p) && !neverCompared(p));
    assert.deepEqual(missing, [], `fields neither classified nor listed in NEVER_COMPARED: ${missing.join(", ")}`);
    assert.ok(leaves.length > 80, `model has ${leaves.length} leaves`);
  });

  test("no field is both classified and never compared", () => {
    const both = leaves.filter((p) => ruleFor(p) && neverCompared(p));
    assert.deepEqual(both, []);
  });

  test("every table row names a real model field", () => {
    for (const rule of IMPACT_TABLE) {
      for (const p of rule.paths ?? [rule.field]) {
        assert.ok(
          leaves.some((l) => covers(p, l)),
          `table row ${rule.field}: path ${p} is not in the model`,
        );
      }
    }
  });

  test("every never-compared entry is a model field, an ignored KSail section or a deprecated field", () => {
    const known = new Set<string>([
      ...IGNORED_FIELDS.map((p) => p.replace(/^spec\./, "")),
      ...Object.keys(DEPRECATED_FIELDS).map((p) => p.replace(/^spec\./, "")),
    ]);
    for (const k of Object.keys(NEVER_COMPARED)) {
      assert.ok(known.has(k) || leaves.some((l) => covers(k, l)), `NEVER_COMPARED entry ${k} is stale`);
    }
  });

  test("field keys are unique and every applicable cell has a reason", () => {
    const fields = IMPACT_TABLE.map((r) => r.field);
    assert.equal(new Set(fields).size, fields.length);
    for (const rule of IMPACT_TABLE) {
      for (const c of COMBOS) {
        if (rule.cells[c] !== "n/a") assert.ok(reasonOf(rule, c).length > 10, `${rule.field} on ${c} has no reason`);
      }
    }
  });

  test("Hetzner server-type rows state the resize decision and never use rolling-recreate", () => {
    for (const f of ["provider.hetzner.controlPlaneServerType", "provider.hetzner.workerServerType"]) {
      const rule = IMPACT_TABLE.find((r) => r.field === f);
      assert.ok(rule);
      assert.equal(rule.cells["Talos/Hetzner"], "reboot-required");
      assert.match(reasonOf(rule, "Talos/Hetzner"), /resize.*keeping the disk/);
    }
  });
});

describe("docs/impact.md", () => {
  test("is generated from the table and up to date", () => {
    const file = path.resolve(__dirname, "../../..", "docs", "impact.md");
    const alt = path.resolve(__dirname, "../..", "docs", "impact.md");
    const doc = fs.existsSync(file) ? file : alt;
    const expected = renderImpactMarkdown();
    const actual = fs.existsSync(doc) ? fs.readFileSync(doc, "utf8") : "";
    assert.equal(
      actual,
      expected,
      "docs/impact.md is stale; regenerate: npm run build && node -e 'process.stdout.write(require(\"./dist/sdk/impact\").renderImpactMarkdown())' > docs/impact.md",
    );
    for (const rule of IMPACT_TABLE) assert.ok(expected.includes(`\`${rule.field}\``));
  });
});

describe("impactLine (JSDoc impact lines)", () => {
  test("one class → its words; several → per combination; unknown field → undefined", () => {
    assert.equal(impactLine("cluster.cni"), "Applied in place");
    assert.equal(impactLine("provider.hetzner.location"), "Recreates the cluster");
    assert.equal(
      impactLine("cluster.workers"),
      "Recreates the cluster on Vanilla/Docker, Vanilla/Kubernetes; applied in place on K3s/Docker, Talos/Docker, Talos/Hetzner, Talos/Omni, Talos/Kubernetes, K3s/Kubernetes",
    );
    assert.equal(
      impactLine("cluster.talos.version"),
      "Recreates the cluster on Talos/Docker, Talos/Kubernetes; nodes reboot on Talos/Hetzner, Talos/Omni",
    );
    assert.equal(impactLine("cluster.connection"), undefined);
  });
});
