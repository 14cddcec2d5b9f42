// L2: the ClusterSpec dynamic resource, its `__provider` captured from a mocks run of the real class and
// driven through the real @pulumi/pulumi dynamic-provider host over gRPC, as the engine drives it in
// `pulumi preview` and `pulumi up`.
import { after, before, describe, test } from "node:test";
import * as assert from "node:assert/strict";
import {
  captureProvider,
  CheckFailedError,
  startProviderHost,
  type ProviderHost,
  type ResourceState,
  type StepResult,
} from "../harness/engine";
import { ClusterSpec } from "../../sdk/dynamic/clusterSpec";
import { UNKNOWN } from "../../sdk/impact/unknown";
import { parseClusterDocument, type Spec } from "../../sdk/config";

const PASSWORD = "pw-Very-Secret-42";

/** A parsed Talos/Hetzner spec (zod defaults applied, as a program gets it from ksail.yaml). */
function talosHetzner(cluster: Record<string, unknown> = {}, hetzner: Record<string, unknown> = {}): Spec {
  return parseClusterDocument(
    {
      apiVersion: "ksail.io/v1alpha1",
      kind: "Cluster",
      metadata: { name: "prod" },
      spec: {
        cluster: {
          distribution: "Talos",
          provider: "Hetzner",
          controlPlanes: 3,
          workers: 2,
          talos: { version: "v1.12.0" },
          localRegistry: { registry: `ci:${PASSWORD}@ghcr.io/acme` },
          ...cluster,
        },
        provider: { hetzner: { location: "fsn1", ...hetzner } },
      },
    },
    { env: {} },
  ).document.spec;
}

/** Program inputs of a ClusterSpec for a spec, as the engine would send them to the host. */
async function programInputs(spec: unknown) {
  const cap = await captureProvider(() => new ClusterSpec("prod-spec", { spec: spec as Spec }));
  return { cap, news: { ...cap.inputs, __provider: cap.provider } };
}

const GROUPS = ["inPlace", "rebootRequired", "rollingRecreate", "recreateRequired"];
/** The top-level input keys that differ (what the preview prints as `[diff: ~k]`; `__` keys are ignored). */
function changedKeys(a: Record<string, unknown>, b: Record<string, unknown>): string[] {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)].filter((k) => !k.startsWith("__")));
  return [...keys].filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k])).sort();
}
const fieldsOf = (list: unknown) => (list as { field: string }[]).map((c) => c.field);

describe("ClusterSpec through the real dynamic-provider host", () => {
  let host: ProviderHost;
  let urn: string;
  let base: Record<string, unknown>;
  let created: StepResult;

  before(async () => {
    host = await startProviderHost();
    const { cap, news } = await programInputs(talosHetzner());
    urn = cap.urn;
    base = news;
  });
  after(async () => {
    await host?.close();
  });

  test("the program registers a small trampoline, no password anywhere, inputs grouped by class", async () => {
    const { cap } = await programInputs(talosHetzner());
    assert.equal(cap.type, "pulumi-nodejs:dynamic/ksail:ClusterSpec");
    assert.ok(cap.provider.length < 4096, `__provider is ${cap.provider.length} bytes`);
    assert.match(cap.provider, /clusterSpec\.impl/);
    assert.ok(!JSON.stringify(cap.resource.inputs).includes(PASSWORD), "registry password reached the inputs");
    assert.deepEqual(
      Object.keys(cap.inputs)
        .filter((k) => !k.startsWith("__"))
        .sort(),
      [...GROUPS].sort(),
    );
    const g = cap.inputs as Record<string, Record<string, string>>;
    assert.equal(g.rebootRequired["cluster.talos.version"], "1.12.0");
    assert.equal(g.recreateRequired["provider.hetzner.location"], "fsn1");
    assert.equal(g.inPlace["cluster.localRegistry.registry"], "ci:****@ghcr.io/acme");
    assert.deepEqual(g.rollingRecreate, {});
  });

  test("create: outputs round-trip the inputs plus the applied spec and an empty impact", async () => {
    created = await host.up(urn, base);
    assert.equal(created.op, "create");
    assert.match(created.id, /^talos-hetzner-[0-9a-f-]{36}$/);
    for (const k of GROUPS) assert.deepEqual(created.outputs[k], created.inputs[k]);
    assert.deepEqual(created.outputs.appliedSpec, created.inputs.__spec);
    assert.equal((created.outputs.appliedSpec as Spec).cluster.controlPlanes, 3);
    const impact = created.outputs.impact as Record<string, unknown>;
    // google.protobuf.Struct (the wire and the state) sorts keys; `formatJson` restores KSail's order.
    assert.deepEqual(
      Object.keys(impact).sort(),
      [
        "totalChanges",
        "inPlaceChanges",
        "rebootRequired",
        "recreateRequired",
        "rollingRecreate",
        "wipeRequired",
        "unknownBaseline",
        "requiresConfirmation",
      ].sort(),
    );
    assert.equal(impact.totalChanges, 0);
  });

  test("check keeps the grouping stable: same inputs from the same spec, tampered groups are recomputed", async () => {
    const again = await host.check(urn, created.inputs, base);
    assert.deepEqual(again.failures, []);
    for (const k of GROUPS) assert.deepEqual(again.inputs[k], created.inputs[k]);
    const tampered = await host.check(urn, created.inputs, { ...base, inPlace: {}, recreateRequired: { x: "y" } });
    for (const k of GROUPS) assert.deepEqual(tampered.inputs[k], created.inputs[k]);
  });

  test("no-op: diff says no change and the engine takes a same step", async () => {
    host.clearOutput();
    const step = await host.up(urn, base, created);
    assert.equal(step.op, "same");
    assert.equal(step.diff?.changes, "none");
    assert.deepEqual(step.diff?.replaces, []);
    assert.ok(!host.stdout.includes("update impact"), host.stdout);
  });

  /** Preview then up of one change; returns the preview diff, the changed input keys and the new state. */
  async function change(spec: Spec, prior: ResourceState) {
    const { news } = await programInputs(spec);
    host.clearOutput();
    const preview = await host.preview(urn, news, prior);
    const printed = await host.waitForOutput(/update impact/);
    const step = await host.up(urn, news, prior);
    return { preview, printed, keys: changedKeys(prior.inputs, preview.inputs), step };
  }

  test("in-place change: update, [diff: ~inPlace], table printed, impact recorded", async () => {
    const { preview, printed, keys, step } = await change(talosHetzner({ certManager: "Enabled", workers: 4 }), created);
    assert.equal(preview.op, "update");
    assert.deepEqual(preview.diff && { c: preview.diff.changes, r: preview.diff.replaces }, { c: "some", r: [] });
    assert.deepEqual(keys, ["inPlace"]);
    assert.match(printed, /cluster\.certManager +Disabled +Enabled +in-place/);
    assert.equal(step.op, "update");
    const impact = step.outputs.impact as Record<string, unknown>;
    assert.deepEqual(fieldsOf(impact.inPlaceChanges), ["cluster.workers", "cluster.certManager"]);
    assert.equal(impact.requiresConfirmation, false);
    assert.equal((step.outputs.appliedSpec as Spec).cluster.workers, 4);
    for (const k of GROUPS) assert.deepEqual(step.outputs[k], step.inputs[k]);
  });

  test("reboot-required change: update, [diff: ~rebootRequired], never a replace", async () => {
    const { preview, printed, keys, step } = await change(
      talosHetzner({ talos: { version: "v1.12.4" } }, { workerServerType: "cx33" }),
      created,
    );
    assert.equal(preview.op, "update");
    assert.deepEqual(preview.diff?.replaces, []);
    assert.equal(preview.diff?.deleteBeforeReplace, false);
    assert.deepEqual(keys, ["rebootRequired"]);
    assert.match(printed, /🟡 cluster\.talos\.version +1\.12\.0 +1\.12\.4 +reboot-required/);
    assert.match(printed, /provider\.hetzner\.workerServerType +cx23 +cx33 +reboot-required/);
    const impact = step.outputs.impact as Record<string, unknown>;
    assert.deepEqual(fieldsOf(impact.rebootRequired), ["cluster.talos.version", "provider.hetzner.workerServerType"]);
    assert.equal(impact.requiresConfirmation, true);
  });

  test("rolling-recreate change (K3s servicelb off: server containers replaced on their data): update, [diff: ~rollingRecreate], never a replace of the record", async () => {
    // Talos/Hetzner maps nothing to rolling-recreate (server types resize instead, see docs/impact.md).
    assert.deepEqual(created.inputs.rollingRecreate, {});
    const k3s = (lb: string) =>
      parseClusterDocument(
        {
          apiVersion: "ksail.io/v1alpha1",
          kind: "Cluster",
          metadata: { name: "dev" },
          spec: { cluster: { distribution: "K3s", workers: 1, loadBalancer: lb } },
        },
        { env: {} },
      ).document.spec;
    const { news } = await programInputs(k3s("Default"));
    const k3sCreated = await host.up(urn, news);
    assert.equal((k3sCreated.inputs.rollingRecreate as Record<string, string>)["cluster.loadBalancer"], "Enabled");
    const { preview, printed, keys, step } = await change(k3s("Disabled"), k3sCreated);
    assert.equal(preview.op, "update");
    assert.deepEqual(preview.diff && { c: preview.diff.changes, r: preview.diff.replaces }, { c: "some", r: [] });
    assert.deepEqual(keys, ["rollingRecreate"]);
    assert.match(printed, /🟠 cluster\.loadBalancer +Enabled +Disabled +rolling-recreate/);
    assert.equal(step.op, "update");
    const impact = step.outputs.impact as Record<string, unknown>;
    assert.deepEqual(fieldsOf(impact.rollingRecreate), ["cluster.loadBalancer"]);
    assert.equal(impact.requiresConfirmation, true);
    for (const k of GROUPS) assert.deepEqual(step.outputs[k], step.inputs[k]);
  });

  test("recreate-required change: delete-before-replace on recreateRequired, new record created", async () => {
    const { preview, printed, keys, step } = await change(talosHetzner({ policyEngine: "Kyverno" }, { location: "nbg1" }), created);
    assert.equal(preview.op, "replace");
    assert.deepEqual(preview.diff?.replaces, ["recreateRequired"]);
    assert.equal(preview.diff?.deleteBeforeReplace, true);
    assert.deepEqual(keys, ["inPlace", "recreateRequired"]);
    assert.match(printed, /🔴 provider\.hetzner\.location +fsn1 +nbg1 +recreate-required/);
    assert.ok(printed.indexOf("provider.hetzner.location") < printed.indexOf("cluster.policyEngine"), printed);
    assert.equal(step.op, "replace");
    assert.notEqual(step.id, created.id);
    assert.equal((step.outputs.appliedSpec as Spec).provider.hetzner.location, "nbg1");
  });

  test("preview unknowns: a field may change in its class; an unknown spec may recreate", async () => {
    const spec = talosHetzner() as unknown as { cluster: { talos: Record<string, unknown> } };
    spec.cluster.talos.version = UNKNOWN;
    const { news } = await programInputs(spec);
    host.clearOutput();
    const p = await host.preview(urn, news, created);
    assert.equal(p.op, "update");
    assert.deepEqual(p.diff?.replaces, []);
    assert.match(
      await host.waitForOutput(/unknown until apply/),
      /cluster\.talos\.version +1\.12\.0 +\(unknown until apply\) +reboot-required/,
    );
    const whole = await host.preview(
      urn,
      { ...base, __spec: UNKNOWN, inPlace: UNKNOWN, rebootRequired: UNKNOWN, rollingRecreate: UNKNOWN, recreateRequired: UNKNOWN },
      created,
    );
    assert.equal(whole.op, "replace");
    assert.deepEqual(whole.diff?.replaces, ["recreateRequired"]);
  });

  test("an unsupported distribution × provider fails check with a message that says what to do", async () => {
    const bad = { ...base, __spec: { cluster: { distribution: "Vanilla", provider: "Hetzner" } } };
    await assert.rejects(
      host.check(urn, {}, bad).then((r) => {
        if (r.failures.length) throw new CheckFailedError(urn, r.failures, bad);
      }),
      /Vanilla\/Hetzner.*supported: Vanilla\/Docker/,
    );
  });

  test("delete tolerates an already-gone record", async () => {
    await host.destroy(urn, created);
    await host.destroy(urn, created);
  });
});
