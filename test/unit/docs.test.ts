// L0: documentation rules, read from the sources with the TypeScript parser (what editors and scripts/gen-api.js
// read). Arguments carry an impact line — what a change does to a running cluster — in their description, where
// tools show it (a line after `@default` would become part of the default, one after `@example` part of the
// example); it agrees with the impact table where an argument is a spec field; durations are seconds; comments
// explain instead of citing documents that are not in the repository.
import { describe, test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as ts from "typescript";
import { IMPACT_TABLE } from "../../sdk/impact";
import type { Combo, ImpactCell } from "../../sdk/impact/types";
import { repoRoot } from "../harness/paths";

const root = repoRoot();
const rel = (f: string) => path.relative(root, f).split(path.sep).join("/");

function files(dir: string, ext: RegExp): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(path.join(root, dir), { withFileTypes: true })) {
    const p = path.join(root, dir, e.name);
    if (e.isDirectory()) {
      if (!["node_modules", "dist", "fixtures"].includes(e.name) && !e.name.startsWith(".")) out.push(...files(rel(p), ext));
    } else if (ext.test(e.name)) out.push(p);
  }
  return out;
}

/** Files exempt from these rules while being restructured: none now, and the ratchet below keeps it that way. */
const PENDING = new Set<string>([]);

/** The leads an impact sentence starts with, and the class each states (undefined: not a cluster-level class). */
const LEADS: readonly [string, ImpactCell | undefined][] = [
  ["Applied in place", "in-place"],
  ["Nodes reboot", "reboot-required"],
  ["The node reboots", "reboot-required"],
  ["Nodes are replaced one at a time", "rolling-recreate"],
  ["Recreates the cluster", "recreate-required"],
  // Per-resource effects of the building blocks (TalosMachine, HcloudServerType, the Kubernetes provider).
  ["Recreates the machine", undefined],
  ["Replaces this resource", undefined],
  ["Replaces the provider", undefined],
  ["Only used on create", undefined],
  ["Only used on delete", undefined],
];
const LEAD = new RegExp(`(${LEADS.map(([l]) => l).join("|")})`);

interface ArgDoc {
  file: string;
  owner: string;
  name: string;
  optional: boolean;
  raw: string;
  description: string;
  tags: { name: string; text: string }[];
}

/** Every property of an exported `*Args` interface, with its JSDoc as written. */
function argDocs(file: string, text = fs.readFileSync(file, "utf8")): ArgDoc[] {
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true);
  const out: ArgDoc[] = [];
  const visit = (n: ts.Node) => {
    if (ts.isInterfaceDeclaration(n) && /Args$/.test(n.name.text)) {
      for (const m of n.members) {
        if (!ts.isPropertySignature(m)) continue;
        const docs = (m as unknown as { jsDoc?: ts.JSDoc[] }).jsDoc ?? [];
        const d = docs[docs.length - 1];
        out.push({
          file: rel(file),
          owner: n.name.text,
          name: m.name.getText(sf),
          optional: m.questionToken !== undefined,
          raw: d ? text.slice(d.getStart(sf), d.getEnd()) : "",
          description: d ? (ts.getTextOfJSDocComment(d.comment) ?? "").replace(/\s+/g, " ").trim() : "",
          tags: (d?.tags ?? []).map((t) => ({
            name: t.tagName.text,
            text: (ts.getTextOfJSDocComment(t.comment) ?? "").replace(/\s+/g, " ").trim(),
          })),
        });
      }
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return out;
}

/** The problems of one argument's JSDoc. */
function argProblems(a: ArgDoc): string[] {
  const p: string[] = [];
  if (a.raw === "") return ["no JSDoc"];
  if (!LEAD.test(a.description)) p.push("no impact line in the description");
  for (const t of a.tags) if (LEAD.test(t.text)) p.push(`impact line inside @${t.name} (tools show it as part of the tag)`);
  const example = a.raw.indexOf("@example");
  const lead = a.raw.replace(/\s*\n\s*\*\s*/g, " ").search(LEAD);
  if (example >= 0 && lead >= 0 && a.raw.replace(/\s*\n\s*\*\s*/g, " ").indexOf("@example") < lead) p.push("impact line after @example");
  if (a.optional && !a.tags.some((t) => t.name === "default")) p.push("optional without @default");
  return p.map((x) => `${a.file} ${a.owner}.${a.name}: ${x}`);
}

/** Files whose argument docs follow the rules: installers, dynamic resources, the config model. */
const SCOPED = ["sdk/components", "sdk/dynamic", "sdk/config"]
  .flatMap((d) => files(d, /^[^.]+\.ts$/))
  .filter((f) => !f.includes(`${path.sep}values${path.sep}`))
  .concat([path.join(repoRoot(), "sdk", "clusterArgs.ts")]);

describe("argument docs: the impact line", () => {
  test("every argument of an installer or dynamic resource has its impact line in the description, before any @example", () => {
    const all = SCOPED.filter((f) => !PENDING.has(rel(f))).flatMap((f) => argDocs(f));
    assert.ok(all.length > 60, `checked ${all.length} arguments`);
    assert.deepEqual(all.flatMap(argProblems), []);
  });

  test("the check catches an impact line glued to @default, one after @example, and a missing one", () => {
    const doc = (raw: string): ArgDoc => argDocs(path.join(root, "x.ts"), `export interface XArgs {\n${raw}\n  a?: string;\n}\n`)[0];
    assert.match(
      argProblems(doc("  /**\n   * Chart version.\n   * @default pinned\n   * Applied in place.\n   */")).join(),
      /inside @default/,
    );
    assert.match(
      argProblems(doc("  /**\n   * Chart version.\n   * @default pinned\n   * @example v1\n   * Applied in place.\n   */")).join(),
      /inside @example/,
    );
    assert.match(argProblems(doc("  /** Chart version. @default pinned */")).join(), /no impact line/);
    assert.deepEqual(argProblems(doc("  /** Chart version. Applied in place (Helm upgrade). @default pinned */")), []);
  });

  test("an argument that is a spec field states the impact table's class for it", () => {
    const cellOf = (field: string, combo: Combo): ImpactCell => {
      const rule = IMPACT_TABLE.find((r) => r.field === field);
      assert.ok(rule, `${field} is in the impact table`);
      return rule.cells[combo];
    };
    const autoscaler = [
      "pools",
      "expander",
      "maxNodesTotal",
      "scaleDownUnneededTime",
      "scaleDownUtilizationThreshold",
      "ignoreDaemonsetsUtilization",
      "skipNodesWithLocalStorage",
      "skipNodesWithSystemPods",
    ].map((k) => `cluster.autoscaler.node.${k}`);
    // argument → the spec fields it carries (on Talos/Hetzner, the only combination these building blocks serve).
    const mapped: [string, string, string[]][] = [
      ["ClusterAutoscalerArgs", "settings", autoscaler],
      ["HcloudServerTypeArgs", "serverType", ["provider.hetzner.controlPlaneServerType", "provider.hetzner.workerServerType"]],
      ["TalosMachineArgs", "installImage", ["cluster.talos.version", "cluster.talos.schematicId"]],
    ];
    const all = SCOPED.flatMap((f) => argDocs(f));
    for (const [owner, name, fields] of mapped) {
      const a = all.find((x) => x.owner === owner && x.name === name);
      assert.ok(a, `${owner}.${name}`);
      const lead = LEAD.exec(a.description)?.[1];
      const stated = LEADS.find(([l]) => l === lead)?.[1];
      for (const f of fields)
        assert.equal(
          stated,
          cellOf(f, "Talos/Hetzner"),
          `${owner}.${name} says "${lead}"; the table says ${f} is ${cellOf(f, "Talos/Hetzner")}`,
        );
    }
  });
});

describe("class docs", () => {
  test("a class's impact notes come before its @example (an example swallows everything after it)", () => {
    const problems: string[] = [];
    for (const f of files("sdk", /\.ts$/)) {
      if (PENDING.has(rel(f))) continue;
      const text = fs.readFileSync(f, "utf8");
      const sf = ts.createSourceFile(f, text, ts.ScriptTarget.ES2022, true);
      for (const st of sf.statements) {
        if (!ts.isClassDeclaration(st)) continue;
        for (const d of (st as unknown as { jsDoc?: ts.JSDoc[] }).jsDoc ?? []) {
          const example = d.tags?.find((t) => t.tagName.text === "example");
          if (example && LEAD.test(ts.getTextOfJSDocComment(example.comment) ?? "")) problems.push(`${rel(f)} ${st.name?.text}`);
        }
      }
    }
    assert.deepEqual(problems, []);
  });
});

describe("durations", () => {
  test("resource arguments take seconds (or hours for certificate lifetimes), never milliseconds", () => {
    const bad: string[] = [];
    for (const f of files("sdk", /^[^.]+\.ts$/)) {
      const sf = ts.createSourceFile(f, fs.readFileSync(f, "utf8"), ts.ScriptTarget.ES2022, true);
      const visit = (n: ts.Node, inArgs: boolean) => {
        const args = inArgs || ((ts.isInterfaceDeclaration(n) || ts.isTypeAliasDeclaration(n)) && /(Args|Timeouts)$/.test(n.name.text));
        if (args && ts.isPropertySignature(n)) {
          const name = n.name.getText(sf);
          if (/Ms$|Millis|Minutes$/.test(name)) bad.push(`${rel(f)}: ${name}`);
          else if (
            /(timeout|interval|delay|budget|duration|lifetime)/i.test(name) &&
            !/(Seconds|Hours)$/.test(name) &&
            !/^timeouts$/.test(name)
          )
            bad.push(`${rel(f)}: ${name} (say the unit)`);
        }
        ts.forEachChild(n, (c) => visit(c, args));
      };
      visit(sf, false);
    }
    assert.deepEqual(bad, []);
  });

  test("messages state durations in seconds (`seconds(ms)` from sdk/errors.ts), never a bare millisecond count", () => {
    const bad: string[] = [];
    for (const f of files("sdk", /\.ts$/)) {
      fs.readFileSync(f, "utf8")
        .split("\n")
        .forEach((line, i) => {
          if (/^\s*(\/\/|\*)/.test(line)) return;
          if (/\$\{[^}]+\} ?ms\b|\$\{Math\.round\([^}]*\/ ?1000\)\} ?s\b/.test(line)) bad.push(`${rel(f)}:${i + 1}: ${line.trim()}`);
        });
    }
    assert.deepEqual(bad, []);
  });
});

describe("comments explain instead of citing documents outside the repository", () => {
  const CITATION =
    /DESIGN\.md|STYLE\.md|reference §|reference\/|pulumi-mechanics|ksail-lifecycle|talos-from-ts|ksail-spec-and-diff|\breview\/|§\s?\d/;
  const sources = () =>
    [
      ...["sdk", "test", "scripts", "bin", "examples", "docs"].flatMap((d) => files(d, /\.(ts|js|mjs|md|yaml)$/)),
      path.join(root, "README.md"),
      // docs/api.md is generated from the sources' JSDoc, which this checks directly.
    ].filter((f) => !f.endsWith(`${path.sep}docs.test.ts`) && rel(f) !== "docs/api.md");

  test("no comment or doc cites DESIGN.md, STYLE.md, the reference notes or review files", () => {
    const hits: string[] = [];
    for (const f of sources()) {
      if (PENDING.has(rel(f))) continue;
      fs.readFileSync(f, "utf8")
        .split("\n")
        .forEach((line, i) => {
          // RFC sections are citations of public standards, not of our notes.
          if (CITATION.test(line.replace(/RFC \d+ §\s?[\d.]+/g, ""))) hits.push(`${rel(f)}:${i + 1}: ${line.trim()}`);
        });
    }
    assert.deepEqual(hits, []);
  });

  test("ratchet: a pending file that already follows the rules leaves the pending list", () => {
    const stillPending = (f: string) => {
      const full = path.join(root, f);
      if (!fs.existsSync(full)) return false;
      const cites = fs
        .readFileSync(full, "utf8")
        .split("\n")
        .some((l) => CITATION.test(l.replace(/RFC \d+ §\s?[\d.]+/g, "")));
      const args = f.startsWith("sdk/") ? argDocs(full).flatMap(argProblems).length > 0 : false;
      return cites || args;
    };
    assert.deepEqual(
      [...PENDING].filter((f) => !stillPending(f)),
      [],
      "remove these from PENDING in test/unit/docs.test.ts",
    );
  });
});
