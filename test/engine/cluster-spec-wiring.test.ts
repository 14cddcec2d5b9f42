// L1: how a program wires ClusterSpec, recorded under pulumi.runtime.setMocks (test/harness/mocks.ts):
// the registered resource, its grouped inputs, and its recreate trigger flowing into an infrastructure
// resource's `replacementTrigger` option. The provider itself is driven for real in cluster-spec.test.ts.
import { describe, test } from "node:test";
import * as assert from "node:assert/strict";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { recordProgram } from "../harness/mocks";
import { DEFAULT_TALOS_VERSION } from "../../sdk/distributions/talos/versions";
import { ClusterSpec } from "../../sdk/dynamic/clusterSpec";
import { recreateTrigger } from "../../sdk/impact";
import { UNKNOWN } from "../../sdk/impact/unknown";
import { isKsailError } from "../../sdk/errors";
import { parseClusterDocument, type Spec } from "../../sdk/config";

function talosDocker(cluster: Record<string, unknown> = {}): Spec {
  return parseClusterDocument(
    {
      apiVersion: "ksail.io/v1alpha1",
      kind: "Cluster",
      metadata: { name: "dev" },
      spec: {
        cluster: {
          distribution: "Talos",
          provider: "Docker",
          workers: 1,
          localRegistry: { registry: "me:hunter2@localhost:5050" },
          ...cluster,
        },
      },
    },
    { env: {} },
  ).document.spec;
}

async function program(spec: Spec, preview = true) {
  return recordProgram(
    async () => {
      const record = new ClusterSpec("dev-spec", { spec });
      new docker.Network("dev-network", { name: "dev" }, { replacementTrigger: record.recreateTrigger });
    },
    { preview },
  );
}

describe("ClusterSpec wiring under mocks", () => {
  test("registered as ksail:ClusterSpec with grouped, password-free inputs", async () => {
    const rec = await program(talosDocker());
    const r = rec.byName("dev-spec");
    assert.equal(r.type, "pulumi-nodejs:dynamic/ksail:ClusterSpec");
    assert.equal(r.custom, true);
    assert.deepEqual(r.secretInputs, []);
    assert.ok(!JSON.stringify(r.inputs).includes("hunter2"));
    assert.equal(r.inputs.__spec.cluster.localRegistry.registry, "me:****@localhost:5050");
    // The version nodes run (an unpinned spec follows the library's default): bumping the default is visible here.
    assert.equal(r.inputs.recreateRequired["cluster.talos.version"], DEFAULT_TALOS_VERSION);
    assert.equal(r.inputs.recreateRequired["cluster.distribution"], "Talos");
    assert.equal(r.inputs.inPlace["cluster.workers"], "1");
    assert.deepEqual(r.inputs.rollingRecreate, {});
  });

  test("in preview the applied spec and impact are unknown until update", async () => {
    const rec = await program(talosDocker());
    const out = rec.byName("dev-spec").outputs;
    assert.equal(out.appliedSpec ?? UNKNOWN, UNKNOWN);
    assert.equal(out.impact ?? UNKNOWN, UNKNOWN);
  });

  test("the recreate trigger reaches infrastructure resources and moves only with recreate-class changes", async () => {
    const base = talosDocker();
    const rec = await program(base);
    const trigger = rec.byName("dev-network").options.replacementTrigger;
    assert.equal(trigger, recreateTrigger(base));
    const inPlace = await program(talosDocker({ workers: 3, cni: "Cilium" }));
    assert.equal(inPlace.byName("dev-network").options.replacementTrigger, trigger);
    const recreate = await program(talosDocker({ talos: { version: "1.12.4" } }));
    assert.notEqual(recreate.byName("dev-network").options.replacementTrigger, trigger);
  });
});

test("a spec holding Outputs is a user error that says why", () => {
  const spec = { ...talosDocker(), workload: pulumi.output("x") } as unknown as Spec;
  assert.throws(
    () => new ClusterSpec("bad", { spec }),
    (e: unknown) => isKsailError(e) && /spec\.workload: is a Pulumi Output.*plain values/.test((e as Error).message),
  );
});
