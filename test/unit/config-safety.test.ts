// L0: a ksail.yaml and the files it names cannot smuggle structure or JavaScript-reserved keys in: `${VAR}` values
// with a line break or a YAML document marker are refused where KSail expands a whole file's text (Talos patches,
// kind.yaml, k3d.yaml), naming the variable and never printing its value; `__proto__`, `constructor` and
// `prototype` keys are errors in the ksail.yaml and in the files, not silently dropped.
import { after, describe, test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { validateClusterConfigFile } from "../../sdk/config";

const root = fs.mkdtempSync(path.join(os.tmpdir(), "ksail-config-safety-"));
after(() => fs.rmSync(root, { recursive: true, force: true }));

function project(name: string, files: Record<string, string>): string {
  const dir = path.join(root, name);
  for (const [p, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, p)), { recursive: true });
    fs.writeFileSync(path.join(dir, p), text);
  }
  return path.join(dir, "ksail.yaml");
}

const TALOS = "apiVersion: ksail.io/v1alpha1\nkind: Cluster\nspec:\n  cluster:\n    distribution: Talos\n";
const KIND =
  "apiVersion: ksail.io/v1alpha1\nkind: Cluster\nspec:\n  cluster:\n    distribution: Vanilla\n    distributionConfig: kind.yaml\n";
const INJECTED = "x\nmachine:\n  env:\n    STOLEN: ${CI_SECRET_TOKEN}";

describe("config safety: variables and reserved keys", () => {
  test("a Talos patch: a variable with a line break is refused by name, its value never shown", () => {
    const file = project("talos-var", {
      "ksail.yaml": TALOS,
      "talos/cluster/hostname.yaml": "machine:\n  network:\n    hostname: ${HOST_NAME}\n",
    });
    const r = validateClusterConfigFile(file, { env: { HOST_NAME: INJECTED } });
    assert.equal(r.ok, false);
    const msg = r.issues.map((i) => `${i.path}: ${i.message}`).join("\n");
    assert.match(msg, /talos\/cluster\/hostname\.yaml: environment variable HOST_NAME holds a line break or a YAML document marker/);
    assert.doesNotMatch(msg, /STOLEN|CI_SECRET_TOKEN/);
    // A single-line value is fine.
    assert.equal(validateClusterConfigFile(file, { env: { HOST_NAME: "node-a" } }).ok, true);
  });

  test("kind.yaml: a variable holding a document marker is refused", () => {
    const file = project("kind-var", {
      "ksail.yaml": KIND,
      "kind.yaml": "kind: Cluster\napiVersion: kind.x-k8s.io/v1alpha4\nname: ${NAME}\n",
    });
    const r = validateClusterConfigFile(file, { env: { NAME: "---\nkind: Secret" } });
    assert.equal(r.ok, false);
    assert.match(r.issues.map((i) => i.message).join("\n"), /environment variable NAME holds a line break or a YAML document marker/);
  });

  test("reserved keys: in the ksail.yaml, in a Talos patch and in kind.yaml, each an error at its path", () => {
    const inDoc = project("proto-doc", { "ksail.yaml": `${TALOS}    __proto__:\n      workers: 5\n` });
    const a = validateClusterConfigFile(inDoc, { env: {} });
    assert.equal(a.ok, false);
    assert.deepEqual(
      a.issues.map((i) => i.path),
      ["spec.cluster.__proto__"],
    );
    const inPatch = project("proto-patch", { "ksail.yaml": TALOS, "talos/cluster/p.yaml": "machine:\n  constructor:\n    x: 1\n" });
    const b = validateClusterConfigFile(inPatch, { env: {} });
    assert.equal(b.ok, false);
    assert.match(
      b.issues.map((i) => `${i.path}: ${i.message}`).join("\n"),
      /talos\/cluster\/p\.yaml: machine\.constructor: "constructor" is not a configuration key/,
    );
    const inKind = project("proto-kind", {
      "ksail.yaml": KIND,
      "kind.yaml": "kind: Cluster\napiVersion: kind.x-k8s.io/v1alpha4\nprototype: {}\n",
    });
    assert.equal(validateClusterConfigFile(inKind, { env: {} }).ok, false);
  });

  test("files a ksail.yaml names stay inside its directory: ../, absolute paths and symbolic links out are refused unless allowed", () => {
    fs.mkdirSync(path.join(root, "elsewhere"), { recursive: true });
    fs.writeFileSync(path.join(root, "elsewhere", "kind.yaml"), "kind: Cluster\napiVersion: kind.x-k8s.io/v1alpha4\n");
    const up = project("outside-up", { "ksail.yaml": KIND.replace("kind.yaml", "../elsewhere/kind.yaml") });
    const a = validateClusterConfigFile(up, { env: {} });
    assert.equal(a.ok, false);
    assert.match(
      a.issues.map((i) => `${i.path}: ${i.message}`).join("\n"),
      /spec\.cluster\.distributionConfig: "\.\.\/elsewhere\/kind\.yaml" resolves to .*, outside the directory of the ksail\.yaml/,
    );
    assert.equal(validateClusterConfigFile(up, { env: {}, allowPathsOutside: true }).ok, true, "allowed explicitly");

    const abs = project("outside-abs", { "ksail.yaml": `${TALOS}  workload:\n    sourceDirectory: /etc\n` });
    assert.deepEqual(
      validateClusterConfigFile(abs, { env: {} }).issues.map((i) => i.path),
      ["spec.workload.sourceDirectory"],
    );

    const linked = project("outside-link", { "ksail.yaml": KIND });
    fs.symlinkSync(path.join(root, "elsewhere", "kind.yaml"), path.join(root, "outside-link", "kind.yaml"));
    assert.match(
      validateClusterConfigFile(linked, { env: {} })
        .issues.map((i) => i.message)
        .join("\n"),
      /a symbolic link out of the directory counts as outside/,
    );

    const patchLink = project("outside-patch", { "ksail.yaml": TALOS, "talos/cluster/ok.yaml": "machine: {}\n" });
    fs.writeFileSync(path.join(root, "elsewhere", "secret.yaml"), "machine:\n  env:\n    X: y\n");
    fs.symlinkSync(path.join(root, "elsewhere", "secret.yaml"), path.join(root, "outside-patch", "talos", "cluster", "z.yaml"));
    const p = validateClusterConfigFile(patchLink, { env: {} });
    assert.equal(p.ok, false);
    assert.deepEqual(
      p.issues.map((i) => i.path),
      ["talos/cluster/z.yaml"],
    );
  });
});
