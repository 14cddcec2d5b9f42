// L2 + L3: TalosBootstrap's serialized provider in the real dynamic-provider host against a fake apid
// over real Ed25519 mTLS: fresh bootstrap with FailedPrecondition retries, AlreadyExists as success,
// the wait for a served kubeconfig, and a worker's refusal as a clear failure.
import { after, before, describe, test } from "node:test";
import * as assert from "node:assert/strict";
import { captureProvider, startProviderHost, type ProviderHost } from "../harness/engine";
import { Code } from "../../sdk/clients/talos";
import { TalosBootstrap } from "../../sdk/dynamic/talosBootstrap";
import { FakeApid, talosconfigFor } from "../fakes/apid";
import { UNKNOWN } from "../../sdk/impact/unknown";

describe("TalosBootstrap through the dynamic-provider host", () => {
  let apid: FakeApid;
  let host: ProviderHost;
  const capture = (endpoint: string, talosconfig: string) =>
    captureProvider(
      () =>
        new TalosBootstrap("dev-bootstrap", {
          node: { name: "dev-controlplane-1", endpoint, address: "10.5.0.2" },
          talosconfig,
          timeouts: { bootstrapSeconds: 120, readySeconds: 120 }, // bounds a hang only
        }),
    );

  before(async () => {
    apid = await FakeApid.start({ initialConfig: "version: v1alpha1\n", kubeconfig: "apiVersion: v1\nkind: Config\n" });
    host = await startProviderHost();
  });
  after(async () => {
    await host?.close();
    await apid?.stop();
  });

  test("fresh: retries FailedPrecondition, bootstraps once, waits for the kubeconfig, routes with node metadata", async () => {
    const cap = await capture(apid.endpoint, talosconfigFor(apid.pki, apid.endpoint));
    assert.equal(cap.type, "pulumi-nodejs:dynamic/ksail:TalosBootstrap");
    assert.ok(!cap.provider.includes("PRIVATE KEY") && cap.provider.length < 4096);
    assert.deepEqual(cap.secretInputs, ["talosconfig"]);
    apid.failNext("Bootstrap", Code.FAILED_PRECONDITION, "bootstrap is not available yet", 2);
    apid.failNext("Kubeconfig", Code.UNAVAILABLE, "kube-apiserver is not up yet", 1);
    const s = await host.up(cap.urn, { ...cap.inputs, __provider: cap.provider });
    assert.equal(s.op, "create");
    assert.equal(s.outputs.bootstrap, "fresh");
    assert.equal(apid.bootstrapped, true);
    assert.equal(apid.callsOf("Bootstrap").length, 3);
    assert.equal(apid.callsOf("Kubeconfig").length, 2);
    assert.ok(apid.calls.every((c) => c.metadata.node?.[0] === "10.5.0.2"));
    await host.waitForOutput(/not ready to bootstrap yet \(attempt 1\): bootstrap is not available yet/);

    // Same inputs again: nothing to do.
    const again = await host.up(cap.urn, { ...cap.inputs, __provider: cap.provider }, s);
    assert.equal(again.op, "same");
  });

  test("preview with an unknown node or talosconfig passes check (nothing is called)", async () => {
    const cap = await capture(apid.endpoint, talosconfigFor(apid.pki, apid.endpoint));
    const before = apid.calls.length;
    const p = await host.preview(cap.urn, { ...cap.inputs, node: UNKNOWN, talosconfig: UNKNOWN, __provider: cap.provider });
    assert.equal(p.op, "create");
    assert.equal(apid.calls.length, before);
  });

  test("already bootstrapped: AlreadyExists is success", async () => {
    const cap = await capture(apid.endpoint, talosconfigFor(apid.pki, apid.endpoint));
    const before = apid.callsOf("Bootstrap").length;
    const s = await host.up(cap.urn, { ...cap.inputs, __provider: cap.provider });
    assert.equal(s.outputs.bootstrap, "already");
    assert.equal(apid.callsOf("Bootstrap").length, before + 1);
    await host.destroy(cap.urn, s);
  });

  test("a worker refuses: fails at once with the node's message", async () => {
    const cap = await capture(apid.endpoint, talosconfigFor(apid.pki, apid.endpoint));
    apid.bootstrapped = false;
    apid.failNext("Bootstrap", Code.FAILED_PRECONDITION, "bootstrap is not supported on worker nodes", 1);
    const before = apid.callsOf("Bootstrap").length;
    await assert.rejects(
      host.up(cap.urn, { ...cap.inputs, __provider: cap.provider }),
      /dev-controlplane-1: bootstrap failed: .*FAILED_PRECONDITION: bootstrap is not supported on worker nodes/,
    );
    assert.equal(apid.callsOf("Bootstrap").length, before + 1);
  });
});
