// L0: TalosMachine's pure planning — input grouping by impact class, the diff answer, the update action.
import { test, describe } from "node:test";
import * as assert from "node:assert/strict";
import { classifyMachineConfigChange } from "../../sdk/distributions/talos/classify";
import { UNKNOWN } from "../../sdk/impact/unknown";
import { groupInputs, machineDiff, updateAction, type TalosMachineInputs } from "../../sdk/dynamic/talosMachine.plan";

const cfg = (o: { type?: string; kubelet?: string; env?: string } = {}) =>
  `version: v1alpha1\npersist: true\nmachine:\n  type: ${o.type ?? "worker"}\n  kubelet:\n    extraArgs:\n      v: "${o.kubelet ?? "1"}"\n  env:\n    A: "${o.env ?? "a"}"\ncluster:\n  clusterName: dev\n`;

const base: TalosMachineInputs = {
  node: { name: "w1", role: "worker", platform: "hcloud", endpoint: "10.0.1.5" },
  talosVersion: "1.12.0",
  config: cfg(),
  talosconfig: "tc",
  installImage: "factory.talos.dev/installer/x:v1.12.0",
};

describe("groupInputs (check)", () => {
  const created = groupInputs({}, base, classifyMachineConfigChange);

  test("a new machine gets all three markers from its config", () => {
    assert.deepEqual(created.inPlace, created.rebootRequired);
    assert.deepEqual(created.inPlace, created.recreateRequired);
  });

  const cases: [string, Partial<TalosMachineInputs>, "inPlace" | "rebootRequired" | "recreateRequired" | null, RegExp][] = [
    ["live config change", { config: cfg({ kubelet: "2" }) }, "inPlace", /machine\.kubelet\.extraArgs\.v: live/],
    ["reboot config change", { config: cfg({ env: "b" }) }, "rebootRequired", /machine\.env\.A: reboot/],
    ["machine type", { config: cfg({ type: "controlplane" }) }, "recreateRequired", /machine\.type: immutable/],
    ["role", { node: { ...base.node, role: "controlplane" } }, "recreateRequired", /node\.role: immutable/],
    ["platform", { node: { ...base.node, platform: "metal" } }, "recreateRequired", /node\.platform: immutable/],
    ["installer image", { installImage: "factory.talos.dev/installer/x:v1.12.1" }, "rebootRequired", /installImage: reboot — upgrade/],
    ["endpoint only", { node: { ...base.node, endpoint: "10.0.1.6" } }, null, /^$/],
    ["talosconfig only", { talosconfig: "tc2" }, null, /^$/],
  ];
  for (const [label, change, group, reason] of cases) {
    test(`${label} → ${group ?? "no marker changes"}`, () => {
      const g = groupInputs(created, { ...base, ...change }, classifyMachineConfigChange);
      for (const k of ["inPlace", "rebootRequired", "recreateRequired"] as const) {
        if (k === group) {
          assert.notDeepEqual(g[k], created[k], `${k} must change`);
          assert.match((g[k] as { reasons: readonly string[] }).reasons.join("\n"), reason);
        } else assert.deepEqual(g[k], created[k], `${k} must not change`);
      }
      const d = machineDiff(created as unknown as Record<string, unknown>, g as unknown as Record<string, unknown>);
      assert.equal(d.changes, true);
      assert.deepEqual(d.replaces, group === "recreateRequired" ? ["recreateRequired"] : []);
      assert.equal(d.deleteBeforeReplace, group === "recreateRequired");
    });
  }

  test("an installer image change on Docker is ignored (the container image is the infrastructure's)", () => {
    const docker = { ...base, node: { ...base.node, platform: "docker" as const } };
    const c = groupInputs({}, docker, classifyMachineConfigChange);
    const g = groupInputs(c, { ...docker, installImage: "other" }, classifyMachineConfigChange);
    assert.deepEqual(g.rebootRequired, c.rebootRequired);
  });

  test("an unknown config (preview) marks reboot-required as unknown", () => {
    const g = groupInputs(created, { ...base, config: UNKNOWN }, classifyMachineConfigChange);
    assert.equal(g.rebootRequired, UNKNOWN);
    assert.equal(machineDiff(created as any, g as any).changes, true);
  });

  test("an unknown node (preview) is 'may change', never a false identity change", () => {
    const whole = groupInputs(created, { ...base, node: UNKNOWN as any }, classifyMachineConfigChange);
    assert.equal(whole.rebootRequired, UNKNOWN);
    assert.deepEqual(whole.recreateRequired, created.recreateRequired);
    const endpointOnly = groupInputs(created, { ...base, node: { ...base.node, endpoint: UNKNOWN } }, classifyMachineConfigChange);
    assert.deepEqual(endpointOnly.rebootRequired, created.rebootRequired, "an unknown endpoint does not reboot anything");
    assert.equal(machineDiff(created as any, endpointOnly as any).changes, true);
  });

  test("no change → no diff", () => {
    const g = groupInputs(created, base, classifyMachineConfigChange);
    assert.deepEqual(machineDiff(created as any, g as any), { changes: false, replaces: [], deleteBeforeReplace: false });
  });
});

describe("updateAction", () => {
  test("live → NO_REBOOT; reboot → STAGED + reboot; upgrade → STAGED, the upgrade reboots", () => {
    assert.deepEqual(updateAction("live", base, { ...base, config: cfg({ kubelet: "2" }) }), {
      apply: "NO_REBOOT",
      reboot: false,
      upgrade: undefined,
    });
    assert.deepEqual(updateAction("reboot", base, { ...base, config: cfg({ env: "b" }) }), {
      apply: "STAGED",
      reboot: true,
      upgrade: undefined,
    });
    const img = "factory.talos.dev/installer/x:v1.12.1";
    assert.deepEqual(updateAction("reboot", base, { ...base, installImage: img }), { apply: "none", reboot: false, upgrade: img });
    assert.deepEqual(updateAction("reboot", base, { ...base, config: cfg({ env: "b" }), installImage: img }), {
      apply: "STAGED",
      reboot: false,
      upgrade: img,
    });
    assert.deepEqual(updateAction("none", base, { ...base, talosconfig: "x" }), { apply: "none", reboot: false, upgrade: undefined });
  });
});
