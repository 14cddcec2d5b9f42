import { describe, test } from "node:test";
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { parseAllow, previewImpact, readPreview, violations, type PreviewStep } from "../../sdk/cli/preview";
import { UNKNOWN } from "../../sdk/impact/unknown";
import { isKsailError } from "../../sdk/errors";
import { repoRoot } from "../harness/paths";

const root = repoRoot();
const fixture = (name: string) => path.join(root, "test", "fixtures", "gate", name);
// The recorded digests (test/fixtures/gate/record.ts built them from real programs under the mock runtime).
const load = (name: string): { steps: PreviewStep[]; diagnostics: unknown[] } => JSON.parse(fs.readFileSync(fixture(name), "utf8"));
const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;
const impactOf = (doc: unknown) => previewImpact(readPreview(JSON.stringify(doc)));
const SPEC = "pulumi-nodejs:dynamic/ksail:ClusterSpec";
const specStep = (doc: { steps: PreviewStep[] }) => doc.steps.find((s) => s.urn.includes(`${SPEC}::`)) as PreviewStep;

describe("gate: reading recorded previews", () => {
  test("the fixtures are real digests: one object, steps with op/urn/oldState/newState, ClusterSpec inputs grouped", () => {
    const d = load("talos-reboot.json");
    const s = specStep(d);
    assert.equal(s.op, "update");
    assert.match(s.urn, /^urn:pulumi:test::ksail::ksail:index:KSailCluster\$pulumi-nodejs:dynamic\/ksail:ClusterSpec::dev-spec$/);
    for (const k of ["__provider", "__spec", "inPlace", "rebootRequired", "rollingRecreate", "recreateRequired"])
      assert.ok(k in (s.newState?.inputs ?? {}), k);
    assert.deepEqual(s.diffReasons, [], "dynamic resources get no diffReasons");
    assert.equal(d.diagnostics.length, 1, "the ClusterSpec diff prints its change table as a diagnostic");
  });

  test("in-place: workers added and cert-manager enabled, new nodes are creates, nothing replaced", () => {
    const p = impactOf(load("talos-inplace.json"));
    assert.equal(p.clusters.length, 1);
    const c = p.clusters[0];
    assert.equal(c.name, "dev");
    assert.equal(c.op, "update");
    assert.equal(c.source, "spec");
    assert.deepEqual(
      c.impact.inPlaceChanges.map((x) => [x.field, x.oldValue, x.newValue]),
      [
        ["cluster.workers", "1", "2"],
        ["cluster.certManager", "Disabled", "Enabled"],
      ],
    );
    assert.equal(c.impact.totalChanges, 2);
    assert.equal(c.impact.requiresConfirmation, false);
    assert.deepEqual(c.replacements, []);
    assert.deepEqual(p.otherReplacements, []);
    assert.deepEqual(violations(p, parseAllow("")), []);
  });

  test("reboot-required: image verification on Talos; fails unless reboot is allowed", () => {
    const p = impactOf(load("talos-reboot.json"));
    const c = p.clusters[0];
    assert.deepEqual(
      c.impact.rebootRequired.map((x) => x.field),
      ["cluster.imageVerification"],
    );
    assert.equal(c.impact.requiresConfirmation, true);
    assert.deepEqual(violations(p, parseAllow("")), [
      { cluster: "dev", category: "reboot-required", field: "cluster.imageVerification", reason: c.impact.rebootRequired[0].reason },
    ]);
    assert.deepEqual(violations(p, parseAllow("reboot")), []);
    assert.equal(violations(p, parseAllow("rolling,recreate")).length, 1);
  });

  test("recreate-required: Talos version on Docker replaces the record; every replaced child is covered by the recreate", () => {
    const p = impactOf(load("talos-recreate.json"));
    const c = p.clusters[0];
    assert.equal(c.op, "replace");
    assert.deepEqual(
      c.impact.recreateRequired.map((x) => [x.field, x.newValue]),
      [["cluster.talos.version", "1.12.4"]],
    );
    assert.equal(c.impact.totalChanges, 1, "replacements under a recreate add no change of their own");
    const names = c.replacements.map((r) => r.name).sort();
    assert.ok(
      names.includes("dev-infra-network") && names.includes("dev-infra-control-plane-1") && names.includes("dev-machine-worker-1"),
      names.join(","),
    );
    assert.ok(c.replacements.every((r) => r.impact === "covered by the cluster's recreate"));
    assert.deepEqual(p.otherReplacements, [], "children of DockerClusterInfra (not a step itself) belong to the cluster");
    assert.equal(violations(p, parseAllow("reboot,rolling")).length, 1);
    assert.deepEqual(violations(p, parseAllow("recreate")), []);
  });

  test("Talos on Hetzner: a worker server type change is reboot-required (servers resized one at a time), no replacement, token never in the digest", () => {
    const text = fs.readFileSync(fixture("hetzner-worker-type.json"), "utf8");
    assert.ok(!text.includes("hcloud-token-recorded"), "the hcloud token is a secret input and reads [secret]");
    const d = JSON.parse(text) as { steps: PreviewStep[] };
    assert.ok(d.steps.some((s) => s.op === "update" && s.urn.endsWith("HcloudServerType::dev-infra-worker-1-type")));
    const p = impactOf(d);
    const c = p.clusters[0];
    assert.deepEqual(
      c.impact.rebootRequired.map((x) => [x.field, x.oldValue, x.newValue]),
      [["provider.hetzner.workerServerType", "cx33", "cx43"]],
    );
    assert.equal(c.impact.totalChanges, 1);
    assert.deepEqual(c.replacements, []);
    assert.deepEqual(violations(p, parseAllow("reboot")), []);
  });

  test("Kind worker count is recreate-required (KSail's gap closed)", () => {
    const c = impactOf(load("vanilla-worker-added.json")).clusters[0];
    assert.deepEqual(
      c.impact.recreateRequired.map((x) => [x.field, x.oldValue, x.newValue]),
      [["cluster.workers", "1", "2"]],
    );
  });

  test("no change: an empty digest has no cluster and passes", () => {
    const p = impactOf(load("k3s-nochange.json"));
    assert.deepEqual(p, { clusters: [], otherReplacements: [] });
  });

  test("--show-sames: a same ClusterSpec step is a cluster with no changes", () => {
    const d = clone(load("talos-reboot.json"));
    const s = specStep(d);
    s.op = "same";
    const c = impactOf(d).clusters[0];
    assert.equal(c.op, "same");
    assert.equal(c.impact.totalChanges, 0);
  });

  test("--show-replacement-steps: create-replacement/replace/delete-replaced merge into one replace per resource", () => {
    const d = clone(load("talos-recreate.json"));
    const expanded = d.steps.flatMap((s) =>
      s.op === "replace" ? [{ ...s, op: "create-replacement" }, s, { ...s, op: "delete-replaced" }] : [s],
    );
    const a = impactOf(load("talos-recreate.json"));
    const b = impactOf({ steps: expanded });
    assert.deepEqual(b, a);
  });

  test("specs not readable ([secret]): the changed keys of the grouped inputs give the same classes", () => {
    const d = clone(load("talos-reboot.json"));
    const s = specStep(d);
    for (const st of [s.oldState, s.newState]) {
      if (!st) continue;
      if (st.inputs) st.inputs.__spec = "[secret]";
      if (st.outputs) st.outputs = { ...st.outputs, __spec: "[secret]", appliedSpec: "[secret]" };
    }
    const c = impactOf(d).clusters[0];
    assert.equal(c.source, "groups");
    assert.deepEqual(
      c.impact.rebootRequired.map((x) => [x.field, x.oldValue, x.newValue, x.category]),
      [["cluster.imageVerification", "Disabled", "Enabled", "reboot-required"]],
    );
    assert.match(c.impact.rebootRequired[0].reason, /image verification/, "reason from the impact table for the combo in the groups");
    assert.equal(c.impact.totalChanges, 1);
  });

  test("preview unknowns: a value known only after apply counts as 'may change' in its class", () => {
    const d = clone(load("talos-reboot.json"));
    const s = specStep(d);
    (s.newState?.inputs?.__spec as { cluster: Record<string, unknown> }).cluster.imageVerification = UNKNOWN;
    const c = impactOf(d).clusters[0];
    assert.equal(c.impact.rebootRequired.length, 1);
    assert.match(c.impact.rebootRequired[0].reason, /^may change/);
    // Groups route: an unknown group value is a possible change of that group's class.
    for (const st of [s.oldState, s.newState]) if (st?.inputs) st.inputs.__spec = "[secret]";
    if (s.oldState?.outputs) s.oldState.outputs.appliedSpec = "[secret]";
    if (s.newState?.inputs) s.newState.inputs.recreateRequired = UNKNOWN;
    const g = impactOf(d).clusters[0];
    assert.equal(g.source, "groups");
    assert.deepEqual(
      g.impact.recreateRequired.map((x) => x.field),
      ["recreateRequired"],
    );
  });

  test("a replaced record whose specs are unreadable is still reported as recreate-required (fail closed)", () => {
    const d = clone(load("talos-recreate.json"));
    const s = specStep(d);
    for (const st of [s.oldState, s.newState]) {
      if (!st?.inputs) continue;
      st.inputs = { ...st.inputs, __spec: "[secret]", recreateRequired: "[secret]" };
      if (st.outputs) st.outputs = { ...st.outputs, appliedSpec: "[secret]" };
    }
    if (s.oldState?.inputs) s.oldState.inputs.recreateRequired = "[secret]";
    const c = impactOf(d).clusters[0];
    assert.ok(c.impact.recreateRequired.length >= 1);
    assert.ok(c.impact.recreateRequired.some((x) => x.field === "cluster" && /replaceReasons: recreateRequired/.test(x.reason)));
  });

  test("a node replaced without a cluster recreate is rolling-recreate; other infrastructure is recreate-required; a Kubernetes object in-place", () => {
    const d = clone(load("talos-inplace.json"));
    const base = load("talos-recreate.json").steps;
    const node = clone(base.find((s) => s.urn.endsWith("::dev-infra-worker-1")) as PreviewStep);
    node.replaceReasons = ["image"];
    const net = clone(base.find((s) => s.urn.endsWith("::dev-infra-network")) as PreviewStep);
    const ns: PreviewStep = {
      op: "replace",
      urn: "urn:pulumi:test::ksail::ksail:index:KSailCluster$ksail:components:CertManager$kubernetes:core/v1:Namespace::dev-cert-manager-ns",
      newState: {
        type: "kubernetes:core/v1:Namespace",
        parent: "urn:pulumi:test::ksail::ksail:index:KSailCluster$ksail:components:CertManager::dev-cert-manager",
      },
      replaceReasons: ["metadata"],
    };
    d.steps.push(node, net, ns);
    const c = impactOf(d).clusters[0];
    assert.deepEqual(
      c.impact.rollingRecreate.map((x) => x.field),
      ["resource dev-infra-worker-1"],
    );
    assert.match(c.impact.rollingRecreate[0].reason, /replaceReasons: image/);
    assert.deepEqual(
      c.impact.recreateRequired.map((x) => x.field),
      ["resource dev-infra-network"],
    );
    assert.ok(c.impact.inPlaceChanges.some((x) => x.field === "resource dev-cert-manager-ns"));
    assert.equal(c.impact.totalChanges, 5);
    assert.deepEqual(new Set(violations(impactOf(d), parseAllow("rolling")).map((v) => v.category)), new Set(["recreate-required"]));
  });

  test("two clusters in one stack keep their own changes and replacements; foreign replacements are reported apart", () => {
    const dev = load("talos-inplace.json");
    const prodText = fs
      .readFileSync(fixture("talos-recreate.json"), "utf8")
      .replace(/::dev(?=[-"])/g, "::prod")
      .replace(/"dev-/g, '"prod-');
    const prod = JSON.parse(prodText) as { steps: PreviewStep[] };
    const foreign: PreviewStep = {
      op: "replace",
      urn: "urn:pulumi:test::ksail::random:index/randomPassword:RandomPassword::db",
      oldState: { type: "random:index/randomPassword:RandomPassword", parent: "urn:pulumi:test::ksail::pulumi:pulumi:Stack::ksail-test" },
      replaceReasons: ["length"],
    };
    const p = impactOf({ steps: [...dev.steps, ...prod.steps, foreign] });
    assert.deepEqual(
      p.clusters.map((c) => [c.name, c.op]),
      [
        ["dev", "update"],
        ["prod", "replace"],
      ],
    );
    assert.deepEqual(p.clusters[0].replacements, []);
    assert.ok(p.clusters[1].replacements.length >= 9);
    assert.ok(p.clusters[1].replacements.every((r) => r.name.startsWith("prod-")));
    assert.deepEqual(
      p.otherReplacements.map((r) => [r.name, r.impact]),
      [["db", "outside any KSail cluster"]],
    );
    assert.deepEqual(
      violations(p, parseAllow("")).map((v) => v.cluster),
      ["prod"],
    );
  });

  test("a deleted cluster is reported as recreate-required", () => {
    const d = clone(load("talos-reboot.json"));
    const s = specStep(d);
    s.op = "delete";
    delete s.newState;
    const c = impactOf(d).clusters[0];
    assert.deepEqual(
      c.impact.recreateRequired.map((x) => x.field),
      ["cluster"],
    );
  });

  test("streaming JSON (PULUMI_ENABLE_STREAMING_JSON_PREVIEW): resourcePreEvent lines give the same result", () => {
    const d = load("talos-recreate.json");
    const lines = [
      JSON.stringify({ sequence: 0, timestamp: 1, preludeEvent: { config: {} } }),
      ...d.steps.map((s, i) =>
        JSON.stringify({
          sequence: i + 1,
          timestamp: 1,
          resourcePreEvent: {
            metadata: {
              op: s.op,
              urn: s.urn,
              type: s.newState?.type ?? s.oldState?.type,
              old: s.oldState,
              new: s.newState,
              keys: s.replaceReasons,
              diffs: s.diffReasons,
              logical: true,
              provider: "",
            },
          },
        }),
      ),
      JSON.stringify({ sequence: 99, timestamp: 2, summaryEvent: { resourceChanges: {} } }),
    ];
    assert.deepEqual(previewImpact(readPreview(lines.join("\n"))), impactOf(d));
  });

  test("input errors are KsailErrors that say what was expected", () => {
    const bad = (text: string, re: RegExp) =>
      assert.throws(
        () => readPreview(text, "p.json"),
        (e: unknown) => isKsailError(e) && re.test(e.message),
      );
    bad("", /is empty; pass the output of `pulumi preview --json`/);
    bad("[1,2]", /not a `pulumi preview --json` document/);
    bad('{"steps":[{"op":1}]}', /steps\[0\]: is not a step/);
    bad("not json\nat all", /line 1: is neither/);
    // Fail closed (these passed as "no changes" before): a JSON file that is no preview, a preview cut short, and a
    // preview that failed — each is an error, not a pass.
    bad("{}", /has neither `steps` nor `changeSummary`: not a complete `pulumi preview --json` document/);
    bad('{"config":{},"duration":1}', /not a complete `pulumi preview --json` document \(a foreign or truncated file\?\)/);
    const failed = { ...load("real-spec-inplace.json"), diagnostics: [{ message: "error: update failed\n", severity: "error" }] };
    bad(JSON.stringify(failed), /reports 1 error\(s\), so the preview failed \(error: update failed\); fix the error/);
    bad(
      [
        JSON.stringify({
          sequence: 0,
          timestamp: 1,
          diagnosticEvent: { message: "boom: cannot read the kubeconfig\n", severity: "error" },
        }),
        JSON.stringify({ sequence: 1, timestamp: 2, summaryEvent: { resourceChanges: {} } }),
      ].join("\n"),
      /line 1: reports 1 error\(s\), so the preview failed \(boom: cannot read the kubeconfig\)/,
    );
    // A stream cut short (no summaryEvent), a cancelled one, and a step op the gate does not know.
    const pre = (op: string) =>
      JSON.stringify({ sequence: 1, timestamp: 1, resourcePreEvent: { metadata: { op, urn: "urn:pulumi:s::p::t::n", type: "t" } } });
    bad(
      [JSON.stringify({ sequence: 0, timestamp: 1, preludeEvent: { config: {} } }), pre("update")].join("\n"),
      /without its `summaryEvent`: the preview did not finish/,
    );
    bad([pre("update"), JSON.stringify({ sequence: 2, timestamp: 2, cancelEvent: {} })].join("\n"), /line 2: the preview was cancelled/);
    bad(
      [pre("teleport"), JSON.stringify({ sequence: 2, summaryEvent: {} })].join("\n"),
      /line 1: has the step op "teleport", which the gate cannot classify/,
    );
    bad('{"steps":[{"op":"teleport","urn":"urn:pulumi:s::p::t::n"}]}', /steps\[0\]: has the step op "teleport"/);
    // A real no-change preview lists no steps but has a change summary: still readable.
    assert.deepEqual(readPreview('{"steps":[],"changeSummary":{"same":17}}'), []);
    assert.deepEqual(readPreview('{"changeSummary":{"same":3}}'), []);
    assert.throws(
      () => parseAllow("reboot,everything"),
      (e: unknown) => isKsailError(e) && /"everything" is not an impact class; allowed: reboot, rolling, recreate/.test(e.message),
    );
    assert.deepEqual(parseAllow(" Recreate , reboot "), ["in-place", "reboot-required", "recreate-required"]);
  });
});

/** Runs the real command line as a process, exactly as a CI job does. */
function cli(args: string[], input?: string) {
  const r = spawnSync(process.execPath, [path.join(root, "bin", "ksail-pulumi.js"), ...args], { cwd: root, encoding: "utf8", input });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
const hasDist = fs.existsSync(path.join(root, "dist", "sdk", "cli", "commands", "gate.js"));

describe(
  "ksail-pulumi gate (as a process)",
  { skip: hasDist ? false : "dist/ has no gate command; run `npm test` (it compiles first)" },
  () => {
    test("a failed preview: non-zero exit and the reason, never a pass", () => {
      const failed = { ...load("real-spec-inplace.json"), diagnostics: [{ message: "error: update failed\n", severity: "error" }] };
      const r = cli(["gate", "-"], JSON.stringify(failed));
      assert.notEqual(r.code, 0, r.stdout);
      assert.match(r.stderr, /the preview failed/);
      assert.doesNotMatch(r.stderr, /\n\s+at /, "no stack trace");
    });

    test("reboot change: exit 2 and a violation by default, exit 0 with --allow reboot; stdout is one JSON document", () => {
      const f = fixture("talos-reboot.json");
      const r = cli(["gate", f]);
      assert.equal(r.code, 2, r.stderr);
      const doc = JSON.parse(r.stdout);
      assert.deepEqual(Object.keys(doc), ["clusters", "otherReplacements", "allowed", "violations", "pass"]);
      assert.equal(doc.pass, false);
      assert.deepEqual(Object.keys(doc.clusters[0].impact), [
        "totalChanges",
        "inPlaceChanges",
        "rebootRequired",
        "recreateRequired",
        "rollingRecreate",
        "wipeRequired",
        "unknownBaseline",
        "requiresConfirmation",
      ]);
      assert.match(r.stderr, /1 change\(s\) of a class not allowed: reboot-required/);
      const ok = cli(["gate", f, "--allow", "reboot"]);
      assert.equal(ok.code, 0, ok.stderr);
      assert.equal(JSON.parse(ok.stdout).pass, true);
    });

    test("recreate change: --allow reboot,rolling still fails; --allow recreate passes; text output shows the table", () => {
      const f = fixture("talos-recreate.json");
      assert.equal(cli(["gate", f, "--allow", "reboot,rolling"]).code, 2);
      assert.equal(cli(["gate", f, "--allow", "recreate"]).code, 0);
      const t = cli(["gate", f, "-o", "text"]);
      assert.equal(t.code, 2);
      assert.match(t.stdout, /🔴 cluster\.talos\.version/);
      assert.match(t.stdout, /gate: FAIL — 1 change\(s\) of a class not allowed/);
    });

    test("reads stdin with -, in-place passes; bad input and bad --allow exit 1 with the reason", () => {
      const r = cli(["gate", "-"], fs.readFileSync(fixture("talos-inplace.json"), "utf8"));
      assert.equal(r.code, 0, r.stderr);
      assert.equal(JSON.parse(r.stdout).clusters[0].impact.totalChanges, 2);
      const missing = cli(["gate", "no-such-preview.json"]);
      assert.equal(missing.code, 1);
      assert.match(missing.stderr, /no-such-preview\.json: cannot be read \(ENOENT\)/);
      const bad = cli(["gate", fixture("talos-inplace.json"), "--allow", "yolo"]);
      assert.equal(bad.code, 1);
      assert.match(bad.stderr, /--allow: "yolo" is not an impact class/);
    });
  },
);
