// examples/platform: KSail's reference architecture as a working layout. The CI lines of its README run as
// processes against the example (validate both environments, validate and scan the manifest tree); both stacks
// plan under the mock runtime with the push and the Flux pin the README promises; the encrypted Secret is a SOPS
// file for the recipient of .sops.yaml with no plaintext left.
import { describe, test } from "node:test";
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as YAML from "yaml";
import { runProgramUnderMocks, type PlannedResource } from "../sdk/cli/mockrun";
import { repoRoot } from "./harness/paths";

const root = repoRoot();
const dir = path.join(root, "examples", "platform");
const bin = path.join(root, "bin", "ksail-pulumi.js");
const named = (rs: PlannedResource[]) => new Map(rs.map((r) => [r.name, r]));

/** The `ksail-pulumi …` lines of the README's first sh block under "## CI". */
function ciLines(): string[] {
  const readme = fs.readFileSync(path.join(dir, "README.md"), "utf8");
  const ci = readme.slice(readme.indexOf("## CI"));
  const block = /```sh\n([\s\S]*?)```/.exec(ci)![1];
  return block.split("\n").filter((l) => l.startsWith("ksail-pulumi "));
}

describe("examples/platform (KSail's reference architecture)", () => {
  test("the README's CI lines pass on the example, from its directory", () => {
    const lines = ciLines();
    assert.equal(lines.length, 4);
    const out = fs.mkdtempSync(path.join(os.tmpdir(), "ksail-platform-ci-"));
    try {
      for (const line of lines) {
        const args = line
          .split(/\s+/)
          .slice(1)
          .map((a) => (a === "scan.sarif" ? path.join(out, a) : a));
        const r = spawnSync(process.execPath, [bin, ...args], { cwd: dir, encoding: "utf8" });
        assert.equal(r.status, 0, `${line}\n${r.stdout}${r.stderr}`);
      }
      const sarif = JSON.parse(fs.readFileSync(path.join(out, "scan.sarif"), "utf8"));
      assert.deepEqual(sarif.runs[0].results, [], "the hardened tree fails no control");
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  });

  test("local stack: K3s on Docker; k8s/ pushed to the local registry; Flux pinned to it, reconciling clusters/local", async () => {
    const plan = await runProgramUnderMocks({ dir, stack: "local" });
    const byName = named(plan.resources);
    const w = byName.get("local-workload")!;
    assert.equal(w.type, "pulumi-nodejs:dynamic/ksail:WorkloadArtifact");
    assert.equal(w.inputs.registry, "localhost:5050");
    assert.equal(w.inputs.repository, "k8s");
    assert.equal(w.inputs.sourceDirectory, path.join(dir, "k8s"));
    const spec = byName.get("local-flux-instance")!.inputs.spec as { sync: { path: string }; kustomize: { patches: { patch: string }[] } };
    assert.equal(spec.sync.path, "./clusters/local");
    // The digest pin: known once the artifact is pushed, so the plan shows it as computed.
    assert.deepEqual(
      spec.kustomize.patches.map((p) => p.patch),
      ["- op: add\n  path: /spec/insecure\n  value: true\n", "[computed]"],
    );
  });

  test("prod stack: Talos on Hetzner, protected; k8s/ pushed to the external tag with the secret token; Flux reconciling clusters/prod", async () => {
    const plan = await runProgramUnderMocks({ dir, stack: "prod" });
    const byName = named(plan.resources);
    const w = byName.get("prod-workload")!;
    assert.equal(w.inputs.registry, "ghcr.io");
    assert.equal(w.inputs.repository, "acme/platform-manifests");
    assert.equal(w.inputs.tag, "stable");
    assert.equal(w.inputs.password, "[secret]");
    assert.match(JSON.stringify(byName.get("prod-flux-instance")!.inputs), /"path":"\.\/clusters\/prod"/);
    assert.ok(plan.resources.some((r) => r.type === "hcloud:index/server:Server"));
  });

  test("the encrypted Secret: a SOPS file for .sops.yaml's recipient, every value encrypted, no plaintext", () => {
    const rules = YAML.parse(fs.readFileSync(path.join(dir, ".sops.yaml"), "utf8")).creation_rules;
    const file = path.join(dir, "k8s/providers/hetzner/database.sops.yaml");
    assert.match(path.relative(dir, file), new RegExp(rules[0].path_regex));
    const text = fs.readFileSync(file, "utf8");
    const doc = YAML.parse(text);
    assert.equal(doc.sops.age[0].recipient, rules[0].age);
    assert.match(doc.sops.mac, /^ENC\[AES256_GCM,/);
    assert.match(doc.stringData.url, /^ENC\[AES256_GCM,data:.*,type:str\]$/);
    assert.doesNotMatch(text, /example-only|postgres:\/\//);
    // Without the private key, decrypt fails with a message, not a stack trace.
    const r = spawnSync(process.execPath, [bin, "cipher", "decrypt", file], {
      cwd: dir,
      encoding: "utf8",
      env: { ...process.env, SOPS_AGE_KEY: "", SOPS_AGE_KEY_FILE: path.join(os.tmpdir(), "no-such-key.txt"), HOME: os.tmpdir() },
    });
    assert.equal(r.status, 1);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
  });
});
