// L0: `workload validate` on a manifest tree with known errors (test/fixtures/workload/validate): each error is
// named by file, line, kind, name and path; Flux variables, Secrets, CRDs from the tree, kustomization
// references, strict mode, skipKinds and missing schemas behave as documented. Real YAML parsing and the
// Kubernetes v1.36.3 definitions shipped with the package.
import { describe, test } from "node:test";
import * as assert from "node:assert/strict";
import * as path from "node:path";
import { validateManifests, formatIssues, type ValidationResult } from "../../sdk/workload/validate";
import { repoRoot } from "../harness/paths";
import { fluxInstanceSpec } from "../../sdk/components/values/gitops";

const TREE = path.join(repoRoot(), "test/fixtures/workload/validate");

function lines(r: ValidationResult): string[] {
  return formatIssues(r, TREE)
    .split("\n")
    .filter((l) => l !== "");
}

describe("workload validate (offline schemas)", () => {
  test("the tree's known errors, each by file:line, kind, name and path", () => {
    const r = validateManifests([TREE]);
    assert.equal(r.kubernetesVersion, "v1.36.3");
    assert.deepEqual(lines(r), [
      "apps/web.yaml:7: apps/v1/Deployment web spec.replicas: must be integer",
      'apps/web.yaml:15: apps/v1/Deployment web spec.template.spec.containers[0]: missing required field "name"',
      // helm-controller's CRD is not shipped (the module proxy does not serve it).
      "flux/release.yaml:2: helm.toolkit.fluxcd.io/v2/HelmRelease podinfo: no schema for helm.toolkit.fluxcd.io/v2/HelmRelease: not a Kubernetes v1.36.3 kind, not a shipped Flux kind, and no CustomResourceDefinition for it in the tree (add the CRD file, or skip the kind)",
      // Flux's Kustomization against kustomize-controller's own CRD schema, shipped with the package.
      "flux/sync.yaml:9: kustomize.toolkit.fluxcd.io/v1/Kustomization apps spec.prune: must be boolean",
      'kustomization.yaml:10: kustomize.config.k8s.io/v1beta1/Kustomization resources[6]: resource "apps/missing.yaml" does not exist',
      "widgets/small.yaml:7: example.com/v1/Widget small spec.size: must be integer",
      'widgets/small.yaml:8: example.com/v1/Widget small spec.color: must be one of ["red","blue"]',
    ]);
    assert.equal(r.files, 9);
    assert.deepEqual(
      r.skipped.map((s) => [path.relative(TREE, s.file), s.kind, s.reason]),
      [["secret.yaml", "v1/Secret", "Secret skipped (skipSecrets)"]],
    );
  });

  test("Flux variables: a default is used with its type, a bare ${VAR} takes any type, ${VAR} inside a string stays a string", () => {
    const r = validateManifests([path.join(TREE, "apps/web.yaml")]);
    // The second Deployment (replicas: ${API_REPLICAS}, revisionHistoryLimit: ${HISTORY:=3}, image …:${VERSION}) is valid.
    assert.ok(
      r.issues.every((i) => i.name === "web"),
      JSON.stringify(r.issues),
    );
  });

  test("strict: unknown fields are errors (a Service port's misspelt protocol), also in custom resources", () => {
    const r = validateManifests([TREE], { strict: true });
    const l = lines(r);
    assert.ok(l.includes('apps/service.yaml:11: v1/Service web spec.ports[0].prot: unknown field "prot"'), l.join("\n"));
    // apiVersion, kind and metadata are part of every custom resource, whatever its CRD's schema lists.
    assert.ok(!l.some((x) => /Widget small (apiVersion|kind|metadata):/.test(x)), l.join("\n"));
  });

  test("ignoreMissingSchemas and skipKinds skip what they name; skipSecrets false checks Secrets (a SOPS file has a sops key)", () => {
    const r = validateManifests([TREE], { ignoreMissingSchemas: true, skipKinds: ["Widget"] });
    assert.ok(!lines(r).some((l) => l.includes("flux/release.yaml") || l.includes("Widget")));
    assert.deepEqual(r.skipped.map((s) => s.reason).sort(), [
      "Secret skipped (skipSecrets)",
      "kind skipped (skipKinds)",
      "no schema (ignoreMissingSchemas)",
    ]);
    const s = validateManifests([path.join(TREE, "secret.yaml")], { skipSecrets: false, strict: true });
    assert.deepEqual(
      lines(s).map((l) => l.replace(/^.*secret\.yaml:/, "")),
      ['9: v1/Secret db sops: unknown field "sops"'],
    );
  });

  test("a CRD given with crdFiles checks its resources when the tree has no CRD", () => {
    const r = validateManifests([path.join(TREE, "widgets")], { crdFiles: [path.join(TREE, "crds/widget-crd.yaml")] });
    assert.deepEqual(
      r.issues.map((i) => i.path),
      ["spec.size", "spec.color"],
    );
  });

  test("broken YAML, a document without kind, a path that does not exist", () => {
    const fs = require("node:fs") as typeof import("node:fs");
    const os = require("node:os") as typeof import("node:os");
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ksail-validate-"));
    try {
      fs.writeFileSync(path.join(dir, "a.yaml"), "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x\n");
      fs.writeFileSync(path.join(dir, "b.yaml"), "---\nmetadata: {name: y}\n---\n");
      const r = validateManifests([dir, path.join(dir, "nope")]);
      assert.deepEqual(
        r.issues.map((i) => [path.basename(i.file), i.message.replace(/:.*$/, "")]),
        [
          ["nope", "does not exist"],
          ["a.yaml", "not valid YAML"],
          ["b.yaml", "missing apiVersion or kind"],
        ],
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test("the FluxInstance the library writes (with the digest pin) passes flux-operator's shipped schema in strict mode", () => {
    const fs = require("node:fs") as typeof import("node:fs");
    const os = require("node:os") as typeof import("node:os");
    const YAML = require("yaml") as typeof import("yaml");
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ksail-validate-flux-"));
    try {
      const spec = fluxInstanceSpec(
        { type: "localRegistry", clusterName: "dev" },
        { pullSecret: false, sops: true, digest: `sha256:${"a".repeat(64)}` },
      );
      fs.writeFileSync(
        path.join(dir, "flux.yaml"),
        YAML.stringify({
          apiVersion: "fluxcd.controlplane.io/v1",
          kind: "FluxInstance",
          metadata: { name: "flux", namespace: "flux-system" },
          spec,
        }),
      );
      const r = validateManifests([dir], { strict: true });
      assert.equal(r.validated, 1);
      assert.deepEqual(r.issues, []);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
