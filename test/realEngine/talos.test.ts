// L3E: TalosMachine and TalosBootstrap in `pulumi up` / `preview` / `refresh` / `destroy` of the real Pulumi CLI
// (Automation API, inline program, file backend) against fake apid nodes over real Ed25519 mTLS
// (test/fakes/apid.ts) and a fake kube-apiserver for the drain. The dynamic-provider host is the process the
// CLI starts; it reaches the fakes on 127.0.0.1 like it reaches real nodes.
import { after, before, describe, test } from "node:test";
import * as assert from "node:assert/strict";
import { TalosMachine } from "../../sdk/dynamic/talosMachine";
import { TalosBootstrap } from "../../sdk/dynamic/talosBootstrap";
import { previewImpact, readPreview } from "../../sdk/cli/preview";
import { cfg, methods, startFakeTalosCluster, type FakeTalosCluster } from "../fakes/talosCluster";
import { RealStack, recordGateFixture, skipRealEngine } from "./harness";

const BUDGET = { apiSeconds: 60, rebootSeconds: 60, drainSeconds: 30 }; // bounds a hang only

describe("TalosMachine and TalosBootstrap through the real Pulumi engine (L3E)", { skip: skipRealEngine }, () => {
  let cluster: FakeTalosCluster;
  let stack: RealStack;
  let config = cfg();
  let rebootDigest: Record<string, unknown>;

  const program = async () => {
    const cp = cluster.controlPlanes[0];
    const machine = new TalosMachine("dev-cp-1", {
      node: { name: "dev-controlplane-1", role: "controlplane", platform: "hcloud", endpoint: cp.endpoint },
      talosVersion: "1.13.9",
      config,
      talosconfig: cluster.talosconfig,
      kubeconfig: cluster.kubeconfig!,
      controlPlanes: 1,
      installImage: "factory.talos.dev/hcloud-installer/abc:v1.13.9",
      timeouts: BUDGET,
    });
    const bootstrap = new TalosBootstrap(
      "dev-bootstrap",
      {
        node: { name: "dev-controlplane-1", endpoint: cp.endpoint, address: "10.5.0.2" },
        peers: [],
        talosconfig: cluster.talosconfig,
        kubeconfig: cluster.kubeconfig!,
        timeouts: { bootstrapSeconds: 30, readySeconds: 30 },
      },
      { dependsOn: [machine] },
    );
    return { lastChange: machine.lastChange, bootstrap: bootstrap.bootstrap };
  };

  before(async () => {
    cluster = await startFakeTalosCluster({ controlPlanes: 1, bootstrapped: false, kube: true, node: { versionTag: "v1.13.9" } });
    cluster.controlPlanes[0].config = undefined; // a fresh node: configured by create
    stack = await RealStack.create("l3e-talos", program, { env: { KSAIL_TALOS_QUEUE_GRACE_MS: "300" } });
  });
  after(async () => {
    stack?.dispose();
    await cluster?.stop();
  });

  test("up: the machine is configured (NO_REBOOT), then etcd is bootstrapped once", async () => {
    const apid = cluster.controlPlanes[0];
    const up = await stack.up();
    assert.deepEqual(up.opsOf("dev-cp-1"), ["create"]);
    assert.deepEqual(up.opsOf("dev-bootstrap"), ["create"]);
    assert.ok(methods(apid).includes("Apply:NO_REBOOT"), methods(apid).join(","));
    assert.equal(apid.callsOf("Bootstrap").length, 1);
    assert.equal(apid.config, cfg());
    assert.equal((await stack.stack.outputs()).bootstrap.value, "fresh");
  });

  test("reboot-class change: preview shows an update of the machine's rebootRequired group; up stages the config and reboots", async () => {
    const apid = cluster.controlPlanes[0];
    config = cfg({ env: "http://proxy:3128" });
    const { digest, run } = await stack.previewJson();
    rebootDigest = digest;
    recordGateFixture("talos-machine-reboot", digest);
    const [step] = run.stepsOf("dev-cp-1");
    assert.equal(step.op, "update");
    assert.ok(run.changedKeys(step).includes("rebootRequired"), run.changedKeys(step).join(","));
    assert.match(run.printed, /KSAIL-IMPACT TalosMachine dev-controlplane-1: reboot-required/);
    assert.deepEqual(run.opsOf("dev-bootstrap"), ["same"]);
    assert.equal(apid.reboots, 0, "preview has no side effects");

    const from = apid.calls.length;
    const up = await stack.up();
    assert.deepEqual(up.opsOf("dev-cp-1"), ["update"]);
    const seq = methods(apid, from);
    assert.ok(seq.indexOf("Apply:STAGED") >= 0 && seq.indexOf("Apply:STAGED") < seq.indexOf("Reboot"), seq.join(","));
    assert.equal(apid.reboots, 1);
    assert.equal(apid.config, config);
    assert.equal((await stack.stack.outputs()).lastChange.value, "reboot");
  });

  test("the preview digest the real CLI wrote: what `ksail-pulumi gate` reads", () => {
    const steps = rebootDigest.steps as { op: string; urn: string; diffReasons?: unknown }[];
    const machine = steps.find((s) => s.urn.endsWith("::dev-cp-1"))!;
    assert.equal(machine.op, "update");
    assert.equal(machine.diffReasons, undefined, "a dynamic resource's step carries no diffReasons");
    // The provider's printed impact is a stack diagnostic: one per line, with no resource URN.
    const diags = rebootDigest.diagnostics as { urn?: string; message: string }[];
    const impactLine = diags.find((d) => /KSAIL-IMPACT TalosMachine/.test(d.message));
    assert.ok(impactLine, JSON.stringify(diags));
    assert.equal(impactLine.urn, undefined);
    assert.doesNotThrow(() => readPreview(JSON.stringify(rebootDigest)));
  });

  test("gate on that digest reports the machine's reboot (a TalosMachine reboot without a ClusterSpec change)", () => {
    const impact = previewImpact(readPreview(JSON.stringify(rebootDigest)));
    const classes = [...impact.clusters.flatMap((c) => c.impact.rebootRequired), ...impact.otherReplacements];
    assert.ok(classes.length > 0, `gate saw no reboot: ${JSON.stringify(impact)}`);
  });

  test("refresh reads the node: a config changed behind Pulumi's back shows as drift in the next preview", async () => {
    const apid = cluster.controlPlanes[0];
    apid.config = config.replace("http://proxy:3128", "http://other:3128");
    const refresh = await stack.refresh();
    assert.ok(refresh.opsOf("dev-cp-1").length > 0);
    const preview = await stack.preview();
    assert.deepEqual(preview.opsOf("dev-cp-1"), ["update"]);
    await stack.up();
    assert.equal(apid.config, config, "repaired by the next up");
  });

  test("destroy: both resources deleted, the state is empty", async () => {
    const destroy = await stack.destroy();
    assert.deepEqual(destroy.opsOf("dev-bootstrap"), ["delete"]);
    assert.deepEqual(destroy.opsOf("dev-cp-1"), ["delete"]);
    assert.deepEqual((await stack.stack.exportStack()).deployment.resources ?? [], []);
  });
});
