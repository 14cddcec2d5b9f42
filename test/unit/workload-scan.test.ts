// L0: `workload scan` on manifests with known violations (test/fixtures/workload/scan): every NSA control of the
// offline set judges the resources it applies to, the score is the mean of the controls' pass shares (as
// Kubescape computes its compliance score), exceptions in Kubescape's posture-exception shape turn failures
// into passes, and the SARIF / JUnit / JSON reports carry the same findings.
import { describe, test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { readResources, scanResources, type PostureException } from "../../sdk/workload/scan";
import { formatJunit, formatPretty, formatSarif } from "../../sdk/workload/scanReport";
import { repoRoot } from "../harness/paths";

const DIR = path.join(repoRoot(), "test/fixtures/workload/scan");
const resources = () => readResources([DIR]);
const exceptions = JSON.parse(fs.readFileSync(path.join(DIR, "exceptions.json"), "utf8")) as PostureException[];

describe("workload scan (NSA controls that manifests show)", () => {
  test("each control's passes and failures on the fixture, and the compliance score", () => {
    const r = scanResources(resources());
    assert.equal(r.resources, 8);
    assert.deepEqual(
      r.controls.map((c) => [c.id, c.passed, c.failed]),
      [
        ["C-0009", 1, 1],
        ["C-0012", 1, 2],
        ["C-0013", 1, 1],
        ["C-0016", 1, 1],
        ["C-0017", 1, 1],
        ["C-0030", 2, 0],
        ["C-0034", 2, 1],
        ["C-0035", 0, 1],
        ["C-0038", 2, 0],
        ["C-0041", 1, 1],
        ["C-0044", 1, 1],
        ["C-0046", 1, 1],
        ["C-0054", 1, 1],
        ["C-0055", 1, 1],
        ["C-0057", 1, 1],
      ],
    );
    // Ten controls at 50 %, C-0012 at 1/3, C-0034 at 2/3, C-0035 at 0, C-0030 and C-0038 at 100: 800 / 15.
    assert.equal(r.complianceScore, 53.3);
    // The hardened Deployment fails nothing; every finding names the risky resources.
    assert.ok(r.findings.every((f) => f.name !== "web"));
    assert.deepEqual(
      r.findings
        .filter((f) => f.kind !== "Deployment")
        .map((f) => `${f.controlId} ${f.kind}/${f.name}${f.namespace ? `@${f.namespace}` : ""}`),
      ["C-0012 ConfigMap/legacy-config@shop", "C-0035 ClusterRoleBinding/legacy-admin", "C-0054 Namespace/open"],
    );
  });

  test("a Kubescape posture exception turns the excepted failure into a pass and is listed", () => {
    const r = scanResources(resources(), { exceptions });
    assert.equal(r.complianceScore, 56.7);
    const c41 = r.controls.find((c) => c.id === "C-0041")!;
    assert.deepEqual([c41.passed, c41.failed], [2, 0]);
    assert.deepEqual(
      r.findings.filter((f) => f.exception).map((f) => [f.controlId, f.name, f.exception]),
      [["C-0041", "legacy", "legacy-needs-host-network"]],
    );
    assert.match(formatPretty(r, DIR), /C-0041 HostNetwork access: hostNetwork is true \[excepted: legacy-needs-host-network\]/);
  });

  test("SARIF 2.1.0: a rule per control, a result per finding, the exception as a suppression", () => {
    const r = scanResources(resources(), { exceptions });
    const s = JSON.parse(formatSarif(r, DIR));
    assert.equal(s.version, "2.1.0");
    assert.equal(s.runs[0].tool.driver.rules.length, 15);
    assert.equal(s.runs[0].results.length, r.findings.length);
    const host = s.runs[0].results.find((x: { ruleId: string }) => x.ruleId === "C-0041");
    assert.deepEqual(host.suppressions, [{ kind: "external", justification: "legacy-needs-host-network" }]);
    assert.equal(host.locations[0].physicalLocation.artifactLocation.uri, "risky.yaml");
    assert.equal(s.runs[0].results.find((x: { ruleId: string }) => x.ruleId === "C-0057").level, "error");
  });

  test("JUnit: a suite per control with its counts; failures carry the reasons and the remediation", () => {
    const x = formatJunit(scanResources(resources(), { exceptions }));
    assert.match(x, /^<\?xml version="1\.0" encoding="UTF-8"\?>\n<testsuites name="nsa" tests="\d+" failures="13">/);
    assert.match(x, /<testsuite name="C-0057 Privileged container" tests="2" failures="1">/);
    assert.match(x, /<failure message="container legacy: privileged">Remove securityContext\.privileged\.<\/failure>/);
    assert.equal((x.match(/<testsuite /g) ?? []).length, 15);
  });

  test("an unknown framework is refused with what is available", () => {
    assert.throws(() => scanResources([], { framework: "mitre" }), /framework "mitre" is not available offline; available: nsa/);
  });
});
