// L1: every resource KSailCluster creates descends from the component (parent chains end at it), so resource
// `transforms` (and the legacy `transformations`) given in the component's options reach all of them. The mock
// runtime does not apply `transforms` (test/realEngine/transforms.test.ts shows the real engine does); the legacy,
// in-process `transformations` it does apply, shown here on the Helm releases.
import { describe, test } from "node:test";
import * as assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { recordCluster } from "./cluster-record";

const TALOS = { distribution: "Talos", workers: 1, cni: "Cilium", certManager: "Enabled", gitOpsEngine: "Flux" };

describe("KSailCluster: the transforms escape hatch", () => {
  test("every resource descends from the component", async () => {
    const rec = await recordCluster({ cluster: TALOS });
    const byName = new Map(rec.resources.map((r) => [r.name, r]));
    for (const r of rec.resources) {
      if (r.name === "dev") continue;
      let p = r.parent;
      const seen = new Set<string>();
      while (p && p !== "dev" && !seen.has(p)) {
        seen.add(p);
        p = byName.get(p)?.parent;
      }
      assert.equal(p, "dev", `${r.name} (${r.type}) does not descend from the component`);
    }
  });

  test("an option the args do not cover, set on one Helm release through the component's options", async () => {
    const transformation: pulumi.ResourceTransformation = ({ type, name, props, opts }) =>
      type === "kubernetes:helm.sh/v3:Release" && name === "dev-cilium-release" ? { props: { ...props, timeout: 900 }, opts } : undefined;
    const rec = await recordCluster({ cluster: TALOS, opts: { transformations: [transformation] } });
    assert.equal(rec.byName("dev-cilium-release").inputs.timeout, 900);
    assert.notEqual(rec.byName("dev-cert-manager-release").inputs.timeout, 900);
  });
});
