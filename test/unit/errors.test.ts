import { test } from "node:test";
import * as assert from "node:assert/strict";
import { KsailError, isKsailError, seconds } from "../../sdk/errors";

test("KsailError lists every issue with its path", () => {
  const e = new KsailError([
    { path: "spec.cluster.cni", message: 'is "Flannel"; allowed: Default, Cilium, Calico' },
    { path: "spec.cluster.workers", message: "must be ≥ 0" },
  ]);
  assert.equal(e.message, 'spec.cluster.cni: is "Flannel"; allowed: Default, Cilium, Calico\nspec.cluster.workers: must be ≥ 0');
  assert.ok(isKsailError(e));
  assert.ok(!isKsailError(new Error("x")));
});

test("durations in messages are seconds: seconds(ms)", () => {
  assert.equal(seconds(40), "0.04 s");
  assert.equal(seconds(200), "0.2 s");
  assert.equal(seconds(1_500), "1.5 s");
  assert.equal(seconds(12_345), "12 s");
  assert.equal(seconds(600_000), "600 s");
});
