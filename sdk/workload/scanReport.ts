/**
 * The reports of `ksail-pulumi workload scan`: text, SARIF 2.1.0 (code-scanning uploads) and JUnit XML (CI test
 * reports), from a {@link ScanResult}.
 */
import * as path from "node:path";
import type { ScanResult, Severity } from "./scan";

const xml = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

/** Text report: one line per failing resource and control, then the controls and the score. */
export function formatPretty(r: ScanResult, cwd = process.cwd()): string {
  const lines: string[] = [];
  for (const f of r.findings)
    lines.push(
      `${path.relative(cwd, f.file) || f.file}: ${f.kind}/${f.name}${f.namespace ? ` (${f.namespace})` : ""}: ${f.controlId} ${r.controls.find((c) => c.id === f.controlId)?.name}: ${f.reasons.join("; ")}${f.exception ? ` [excepted: ${f.exception}]` : ""}`,
    );
  lines.push("");
  for (const c of r.controls)
    lines.push(`${c.id} ${c.name} (${c.severity}): ${c.score === undefined ? "no resources" : `${c.passed} passed, ${c.failed} failed`}`);
  lines.push(`compliance score (${r.framework}, ${r.resources} resources): ${r.complianceScore}%`);
  return lines.join("\n");
}

/** SARIF 2.1.0: one rule per control, one result per failing resource and control (excepted ones suppressed). */
export function formatSarif(r: ScanResult, cwd = process.cwd()): string {
  const level = (s: Severity) => (s === "Low" ? "note" : s === "Medium" ? "warning" : "error");
  return JSON.stringify(
    {
      $schema: "https://json.schemastore.org/sarif-2.1.0.json",
      version: "2.1.0",
      runs: [
        {
          tool: {
            driver: {
              name: "ksail-pulumi workload scan",
              informationUri: "https://github.com/devantler-tech/ksail",
              rules: r.controls.map((c) => ({
                id: c.id,
                name: c.name.replace(/[^A-Za-z0-9]+/g, ""),
                shortDescription: { text: c.name },
                help: { text: c.remediation },
                defaultConfiguration: { level: level(c.severity) },
              })),
            },
          },
          results: r.findings.map((f) => {
            const c = r.controls.find((x) => x.id === f.controlId)!;
            return {
              ruleId: f.controlId,
              level: level(c.severity),
              message: { text: `${f.kind}/${f.name}: ${f.reasons.join("; ")}` },
              locations: [{ physicalLocation: { artifactLocation: { uri: path.relative(cwd, f.file).split(path.sep).join("/") } } }],
              ...(f.exception ? { suppressions: [{ kind: "external", justification: f.exception }] } : {}),
            };
          }),
        },
      ],
    },
    null,
    2,
  );
}

/** JUnit XML: a test suite per control, a test case per judged resource that failed it (passes are counted). */
export function formatJunit(r: ScanResult): string {
  const suites = r.controls.map((c) => {
    const fails = r.findings.filter((f) => f.controlId === c.id && !f.exception);
    const cases = fails
      .map(
        (f) =>
          `    <testcase classname="${xml(c.id)}" name="${xml(`${f.kind}/${f.name}`)}" file="${xml(f.file)}"><failure message="${xml(f.reasons.join("; "))}">${xml(c.remediation)}</failure></testcase>`,
      )
      .join("\n");
    return `  <testsuite name="${xml(`${c.id} ${c.name}`)}" tests="${c.passed + c.failed}" failures="${c.failed}">${cases ? `\n${cases}\n  ` : ""}</testsuite>`;
  });
  const tests = r.controls.reduce((a, c) => a + c.passed + c.failed, 0);
  const failures = r.controls.reduce((a, c) => a + c.failed, 0);
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="${xml(r.framework)}" tests="${tests}" failures="${failures}">\n${suites.join("\n")}\n</testsuites>\n`;
}
