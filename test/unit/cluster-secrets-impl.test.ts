// L0: the ClusterSecrets provider methods called directly (the L2 test drives the same code through the host).
import { describe, test, before } from "node:test";
import * as assert from "node:assert/strict";
import { handler, renewalReason } from "../../sdk/dynamic/clusterSecrets.impl";
import { UNKNOWN } from "../../sdk/impact/unknown";
import { generateTalosBundle, kubeconfigClientCert, type TalosSecretsBundle } from "../../sdk/pki";
import { opensslVerify } from "../harness/openssl";

const HOUR = 3_600_000;
const base = {
  clusterName: "dev",
  distribution: "Talos",
  endpoints: { kubernetes: "https://127.0.0.1:6443", talos: ["127.0.0.1:50000"] },
  certLifetimeHours: 8760,
  renewBeforeHours: 720,
};

describe("ClusterSecrets provider methods", () => {
  let bundle: TalosSecretsBundle;
  before(async () => {
    bundle = await generateTalosBundle();
  });
  const olds = (over: Record<string, unknown> = {}) => ({
    ...base,
    talos: bundle,
    kubeconfig: "k",
    talosconfig: "t",
    notAfter: new Date(Date.now() + 300 * 24 * HOUR).toISOString(),
    ...over,
  });

  test("check applies the defaults and keeps given values", async () => {
    const r = await handler.check({}, { clusterName: "a", distribution: "Vanilla", endpoints: { kubernetes: "https://x:6443" } });
    assert.deepEqual(r.failures, []);
    assert.equal(r.inputs.certLifetimeHours, 8760);
    assert.equal(r.inputs.renewBeforeHours, 720);
    const r2 = await handler.check({}, { ...base, certLifetimeHours: 48, renewBeforeHours: 12 });
    assert.equal(r2.inputs.certLifetimeHours, 48);
    assert.deepEqual(r2.failures, []);
    const bad = await handler.check({}, { ...base, certLifetimeHours: -1, renewBeforeHours: "x" });
    assert.deepEqual(
      bad.failures.map((f) => f.property),
      ["certLifetimeHours", "renewBeforeHours"],
    );
  });

  test("diff: replace only on clusterName/distribution (also when unknown)", async () => {
    assert.deepEqual(await handler.diff("id", olds(), { ...base }), { changes: false, replaces: [] });
    assert.deepEqual((await handler.diff("id", olds(), { ...base, clusterName: "x" })).replaces, ["clusterName"]);
    assert.deepEqual((await handler.diff("id", olds(), { ...base, distribution: "K3s" })).replaces, ["distribution"]);
    assert.deepEqual((await handler.diff("id", olds(), { ...base, clusterName: UNKNOWN })).replaces, ["clusterName"]);
    assert.deepEqual((await handler.diff("id", olds(), { ...base, clusterName: "x", distribution: "K3s" })).replaces, [
      "clusterName",
      "distribution",
    ]);
  });

  test("diff: endpoint and lifetime changes (or unknowns) are in-place updates", async () => {
    for (const news of [
      { ...base, endpoints: { kubernetes: "https://10.0.0.1:6443", talos: ["10.0.0.1"] } },
      { ...base, endpoints: { ...base.endpoints, kubernetes: UNKNOWN } },
      { ...base, certLifetimeHours: 100 },
      { ...base, renewBeforeHours: 24 },
    ]) {
      assert.deepEqual(await handler.diff("id", olds(), news), { changes: true, replaces: [] }, JSON.stringify(news));
    }
  });

  test("diff: certificates inside the renewal window are an update", async () => {
    const soon = olds({ notAfter: new Date(Date.now() + 10 * 24 * HOUR).toISOString() });
    assert.deepEqual(await handler.diff("id", soon, { ...base }), { changes: true, replaces: [] });
    assert.deepEqual(await handler.diff("id", soon, { ...base, renewBeforeHours: 24 }), { changes: true, replaces: [] }); // window changed
    const now = new Date("2026-06-01T00:00:00Z");
    const o = { notAfter: "2026-06-20T00:00:00.000Z" };
    assert.match(
      renewalReason(o, { renewBeforeHours: 720 }, now) ?? "",
      /expire at 2026-06-20T00:00:00.000Z, within the renewal window of 720 h/,
    );
    assert.equal(renewalReason(o, { renewBeforeHours: 24 }, now), undefined);
    assert.match(renewalReason({}, {}, now) ?? "", /no client certificate expiry/);
  });

  test("update keeps the stored bundle and re-derives the credentials from it", async () => {
    const news = { ...base, endpoints: { kubernetes: "https://192.0.2.10:6443", talos: ["192.0.2.10"] } } as any;
    const { outs } = await handler.update("id", olds(), news);
    assert.equal(outs.talos, bundle, "the very same bundle object is carried over");
    const c = kubeconfigClientCert(outs.kubeconfig);
    assert.equal(c.server, "https://192.0.2.10:6443");
    assert.ok(opensslVerify(bundle.certs.k8s.cert, c.certPem).ok);
    assert.equal(outs.endpoints, news.endpoints);
  });

  test("update refuses to invent an identity when the state has none", async () => {
    await assert.rejects(handler.update("id", { ...base }, { ...base } as any), /no talos identity .* replace the resource/);
  });

  test("delete is a no-op that never throws", async () => {
    await handler.delete("id", {});
  });
});
