// `ksail-pulumi plan` as a process, exactly as CI and `npm run plan:local` run it: the examples/local program
// evaluated under the mock runtime, printed as a tree and as JSON, secrets redacted; usage errors exit 1.
import { describe, test } from "node:test";
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { repoRoot } from "../harness/paths";

const root = repoRoot();

/** Runs the CLI of the tree this test was compiled into (dist/ under npm test, sources under tsx). */
function cli(args: string[]) {
  const compiled = __filename.endsWith(".js");
  const main = compiled ? path.resolve(__dirname, "..", "..", "sdk", "cli", "main.js") : path.join(root, "sdk", "cli", "main.ts");
  const launcher = `require(${JSON.stringify(main)}).main(process.argv.slice(1)).then((c) => process.exit(c), (e) => { console.error(e); process.exit(70); })`;
  const r = spawnSync(process.execPath, [...(compiled ? [] : ["--import", "tsx"]), "-e", launcher, ...args], {
    cwd: root,
    encoding: "utf8",
    timeout: 300_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("ksail-pulumi plan (as a process)", () => {
  test("examples/local: the whole graph as a tree, with parents, dependencies and redacted secrets", () => {
    const r = cli(["plan", "examples/local"]);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.split("\n");
    assert.match(
      lines[0],
      /^Plan of ksail-local \(stack dev\) under the mock runtime: \d+ resources would be created \(preview of a new stack\)\.$/,
    );
    const tree = lines.filter((l) => /^\s*\+ /.test(l)).map((l) => l.replace(/\s+\(.*$/, ""));
    for (const expected of [
      "+ local",
      "  + local-spec",
      "  + local-secrets",
      "  + local-infra",
      "    + local-infra-network",
      "    + local-infra-control-plane-1",
      "    + local-infra-worker-1",
      "  + local-machine-control-plane-1",
      "  + local-machine-worker-1",
      "  + local-bootstrap",
      "  + local-k8s",
      "  + local-flux",
      "    + local-flux-operator",
    ]) {
      assert.ok(tree.includes(expected), `missing tree line "${expected}" in:\n${tree.join("\n")}`);
    }
    const bootstrap = lines.findIndex((l) => l.startsWith("  + local-bootstrap"));
    assert.match(lines[bootstrap + 1], /after: local-machine-control-plane-1/);
    assert.match(r.stdout, /config=\[secret\]/);
    assert.match(r.stdout, /Stack outputs: .*kubeconfig \[secret\]/);
    assert.doesNotMatch(r.stdout, /PRIVATE KEY/);
  });

  test("--json: machine-readable resources with type, parent, dependencies and redacted inputs", () => {
    const r = cli(["plan", "examples/local", "--json"]);
    assert.equal(r.code, 0, r.stderr);
    const plan = JSON.parse(r.stdout);
    assert.equal(plan.project, "ksail-local");
    assert.equal(plan.stack, "dev");
    assert.equal(plan.preview, true);
    const byName = new Map<string, any>(plan.resources.map((x: any) => [x.name, x]));
    const cp = byName.get("local-infra-control-plane-1");
    assert.equal(cp.type, "docker:index/container:Container");
    assert.equal(cp.parent, "local-infra");
    assert.equal(cp.inputs.image, "ghcr.io/siderolabs/talos:v1.14.1");
    assert.equal(cp.inputs.envs[2], "[secret]", "USERDATA is redacted");
    assert.equal(typeof cp.replacementTrigger, "string");
    const m = byName.get("local-machine-worker-1");
    assert.equal(m.type, "pulumi-nodejs:dynamic/ksail:TalosMachine");
    assert.equal(m.inputs.config, "[secret]");
    assert.equal(m.inputs.__provider, undefined, "the serialized provider is left out");
    assert.ok(
      m.dependencies.includes("local-infra-worker-1") && !m.dependencies.includes("local-machine-control-plane-1"),
      "no create chain",
    );
    assert.equal(byName.get("local-k8s").inputs.kubeconfig, "[secret]");
    assert.equal(plan.outputs.kubeconfig, "[secret]");
    assert.deepEqual(
      plan.outputs.nodes.map((n: any) => n.name),
      ["local-control-plane-1", "local-worker-1"],
    );
    for (const x of plan.resources) assert.ok(x.name === "local" || x.name.startsWith("local-"), x.name);
  });

  test("examples/prod --stack prod with --stack-outputs: the promoted, protected production graph", () => {
    const r = cli(["plan", "examples/prod", "--stack", "prod", "--stack-outputs", "examples/prod/staging-outputs.example.json"]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Plan of ksail-prod \(stack prod\)/);
    assert.match(r.stdout, /\+ prod-spec {2}\(pulumi-nodejs:dynamic\/ksail:ClusterSpec\) {2}\[protected\]/);
    assert.match(r.stdout, /name=prod-worker-3/);
    const bad = cli(["plan", "examples/prod", "--stack", "prod", "--stack-outputs", "no-such-file.json"]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /--stack-outputs: cannot read no-such-file\.json as JSON/);
  });

  test("unknown stack, missing project and failing program: exit 1 with a message saying what to do", () => {
    const s = cli(["plan", "examples/local", "--stack", "nope"]);
    assert.equal(s.code, 1);
    assert.match(s.stderr, /--stack: "nope" has no Pulumi\.nope\.yaml .*stacks here: dev/);
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "ksail-plan-"));
    try {
      const m = cli(["plan", tmp]);
      assert.equal(m.code, 1);
      assert.match(m.stderr, /no Pulumi\.yaml/);
      fs.writeFileSync(path.join(tmp, "Pulumi.yaml"), "name: broken\nruntime: nodejs\n");
      fs.writeFileSync(path.join(tmp, "index.js"), "throw new Error('boom from the program');\n");
      const b = cli(["plan", tmp]);
      assert.equal(b.code, 1);
      assert.match(b.stderr, /failed under the mock runtime: boom from the program/);
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });
});
