import { describe, test } from "node:test";
import * as assert from "node:assert/strict";
import { isKsailError } from "../../sdk/errors";
import { parseClusterDocument, validateClusterDocument } from "../../sdk/config";
import { base, docker, documentCases as cases, pool } from "../fixtures/spec/invalidDocuments";

describe("invalid ksail.yaml documents are rejected with the offending field named", () => {
  test("the table holds at least 60 distinct cases", () => {
    assert.ok(cases.length >= 60, `only ${cases.length} cases`);
    assert.equal(new Set(cases.map((c) => c.name)).size, cases.length);
  });
  for (const c of cases) {
    test(c.name, () => {
      const r = validateClusterDocument(c.input, { env: {} });
      assert.equal(r.ok, false, `expected ${c.name} to be invalid`);
      const hit = r.issues.find((i) => i.path === c.path);
      assert.ok(hit, `no issue at ${c.path}; got ${JSON.stringify(r.issues)}`);
      assert.match(hit.message, c.message);
      // parseClusterDocument throws one KsailError listing the same issues.
      assert.throws(
        () => parseClusterDocument(c.input, { env: {} }),
        (e: unknown) => isKsailError(e) && e.issues.some((i) => i.path === c.path) && e.message.includes(c.path),
      );
    });
  }
});

describe("the ISO route's maintenance window", () => {
  test("Talos on Hetzner booting the ISO without allowedCidrs warns that maintenance mode takes a config from anywhere", () => {
    const paths = (d: ReturnType<typeof base>) => validateClusterDocument(d, { env: {} }).warnings.map((w) => w.path);
    assert.ok(paths(base()).includes("spec.provider.hetzner.allowedCidrs"));
    const [w] = validateClusterDocument(base(), { env: {} }).warnings.filter((x) => x.path === "spec.provider.hetzner.allowedCidrs");
    assert.match(
      w.message,
      /maintenance mode .* unauthenticated machine config, which carries the cluster's keys, from any address; set allowedCidrs/,
    );
    const snapshot = base();
    snapshot.spec.cluster.talos = { schematicId: "a".repeat(64) };
    assert.ok(!paths(snapshot).includes("spec.provider.hetzner.allowedCidrs"), "the snapshot route has no maintenance mode");
    const limited = base();
    limited.spec.provider.hetzner = { allowedCidrs: ["203.0.113.0/24"] };
    assert.ok(!paths(limited).includes("spec.provider.hetzner.allowedCidrs"));
  });
});

describe("secrets in the registry spec", () => {
  test("problems with a registry that carries a password never print the password", () => {
    for (const registry of ["bob:hunter2@localhost:70000", "bob:hunter2@/x", "bob:${PW}@localhost:99999"]) {
      const d = docker();
      d.spec.cluster.localRegistry = { registry };
      const r = validateClusterDocument(d, { env: { PW: "hunter2" } });
      assert.equal(r.ok, false);
      const text = JSON.stringify(r.issues);
      assert.doesNotMatch(text, /hunter2/);
      assert.match(text, /bob:\*\*\*\*@/);
    }
  });
});

describe("YAML-level problems", () => {
  test("syntax errors are reported, not thrown", () => {
    const r = validateClusterDocument("apiVersion: ksail.io/v1alpha1\nkind: [Cluster\n", { env: {} });
    assert.equal(r.ok, false);
    assert.match(r.issues[0].message, /YAML syntax error/);
  });
  test("an empty file says what is expected", () => {
    const r = validateClusterDocument("", { env: {} });
    assert.match(r.issues[0].message, /empty; expected a KSail Cluster/);
  });
  test("several YAML documents in one file are refused", () => {
    const r = validateClusterDocument("apiVersion: ksail.io/v1alpha1\nkind: Cluster\n---\napiVersion: ksail.io/v1alpha1\nkind: Cluster\n", {
      env: {},
    });
    assert.match(r.issues[0].message, /2 YAML documents/);
  });
  test("every issue of a document is listed, not just the first", () => {
    const d = base();
    d.spec.cluster.cni = "Flannel";
    d.spec.cluster.csi = "On";
    d.spec.cluster.bogus = 1;
    const r = validateClusterDocument(d, { env: {} });
    assert.deepEqual(r.issues.map((i) => i.path).sort(), ["spec.cluster.bogus", "spec.cluster.cni", "spec.cluster.csi"]);
  });
  test("shape errors do not hide cross-field errors elsewhere in the document", () => {
    const d = base();
    d.metadata!.name = "Bad";
    d.spec.cluster.cni = "Flannel";
    d.spec.cluster.controlPlanes = 0;
    d.spec.cluster.autoscaler = { node: { enabled: true, expander: "Nope", pools: [pool({ effect: 1 }), { name: "x" }] } };
    const r = validateClusterDocument(d, { env: {} });
    assert.deepEqual(
      r.issues.map((i) => i.path),
      [
        "spec.cluster.cni",
        "spec.cluster.autoscaler.node.pools[0].effect",
        "spec.cluster.autoscaler.node.pools[1].serverType",
        "spec.cluster.autoscaler.node.pools[1].location",
        "metadata.name",
        "spec.cluster.controlPlanes",
        "spec.cluster.autoscaler.node.expander[0]",
      ],
    );
  });
  test("no cross-field guesses when distribution itself is wrong", () => {
    const d = base();
    d.spec.cluster.distribution = "Talso";
    d.spec.cluster.controlPlanes = 0;
    const r = validateClusterDocument(d, { env: {} });
    assert.deepEqual(
      r.issues.map((i) => i.path),
      ["spec.cluster.distribution"],
    );
  });
});
