import { test } from "node:test";
import * as assert from "node:assert/strict";
import { KsailError, isKsailError } from "../../sdk/errors";

test("KsailError lists every issue with its path", () => {
  const e = new KsailError([
    { path: "spec.cluster.cni", message: 'is "Flannel"; allowed: Default, Cilium, Calico' },
    { path: "spec.cluster.workers", message: "must be ≥ 0" },
  ]);
  assert.equal(e.message, 'spec.cluster.cni: is "Flannel"; allowed: Default, Cilium, Calico\nspec.cluster.workers: must be ≥ 0');
  assert.ok(isKsailError(e));
  assert.ok(!isKsailError(new Error("x")));
});
