import { describe, test } from "node:test";
import * as assert from "node:assert/strict";
import { talosPatchChanges } from "../../sdk/impact";

const set = (cluster: string[] = [], controlPlanes: string[] = [], workers: string[] = []) => ({
  cluster: cluster.map((content, i) => ({ source: `talos/cluster/${i}.yaml`, content })),
  controlPlanes: controlPlanes.map((content, i) => ({ source: `talos/control-planes/${i}.yaml`, content })),
  workers: workers.map((content, i) => ({ source: `talos/workers/${i}.yaml`, content })),
});
const side = (patches: ReturnType<typeof set>, controlPlanes = 1, workers = 1) => ({ patches, controlPlanes, workers });
const rows = (changes: { field: string; category: string }[]) => changes.map((c) => `${c.field}=${c.category}`);

const SYSCTL = (v: string) => `machine:\n  sysctls:\n    net.core.somaxconn: "${v}"\n`;

describe("Talos machine-config patch changes (classified by the Talos classifier)", () => {
  test("identical patches: nothing", () => {
    assert.deepEqual(talosPatchChanges(side(set([SYSCTL("1")])), side(set([SYSCTL("1")])), "1.12.4"), []);
  });
  test("a live field is in place for every role", () => {
    const c = talosPatchChanges(side(set([SYSCTL("1")])), side(set([SYSCTL("2")])), "1.12.4");
    assert.deepEqual(rows(c), ["cluster.talos.patches.controlPlanes=in-place", "cluster.talos.patches.workers=in-place"]);
    assert.match(c[0].oldValue, /^[0-9a-f]{12}$/);
    assert.notEqual(c[0].oldValue, c[0].newValue);
    assert.match(c[0].reason, /machine\.sysctls\.net\.core\.somaxconn: live/);
  });
  test("a worker-only reboot field reboots workers only", () => {
    const files = "machine:\n  files:\n    - path: /var/x\n      op: create\n      content: x\n      permissions: 0o644\n";
    const c = talosPatchChanges(side(set()), side(set([], [], [files])), "1.12.4");
    assert.deepEqual(rows(c), ["cluster.talos.patches.workers=reboot-required"]);
    assert.equal(c[0].oldValue, "");
  });
  test("an immutable field (pod subnets) recreates", () => {
    const net = "cluster:\n  network:\n    podSubnets: [10.200.0.0/16]\n";
    assert.deepEqual(rows(talosPatchChanges(side(set()), side(set([], [net])), "")), [
      "cluster.talos.patches.controlPlanes=recreate-required",
    ]);
  });
  test("roles without nodes before and after are skipped", () => {
    assert.deepEqual(rows(talosPatchChanges(side(set(), 1, 0), side(set([SYSCTL("2")]), 1, 0), "1.12.4")), [
      "cluster.talos.patches.controlPlanes=in-place",
    ]);
  });
  test("a patch that cannot be applied offline is assumed to reboot, with the reason", () => {
    const op = "- op: replace\n  path: /machine/install/disk\n  value: /dev/sdb\n";
    const c = talosPatchChanges(side(set()), side(set([], [], [op])), "1.12.4");
    assert.deepEqual(rows(c), ["cluster.talos.patches.workers=reboot-required"]);
    assert.match(c[0].reason, /could not be evaluated offline/);
  });
  test("renaming a patch file without changing what it does is no change", () => {
    const a = { cluster: [{ source: "talos/cluster/a.yaml", content: SYSCTL("1") }], controlPlanes: [], workers: [] };
    const b = { cluster: [{ source: "talos/cluster/b.yaml", content: SYSCTL("1") }], controlPlanes: [], workers: [] };
    assert.deepEqual(talosPatchChanges(side(a), side(b), "1.12.4"), []);
  });
});
