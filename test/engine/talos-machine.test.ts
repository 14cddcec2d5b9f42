// L2 + L3: TalosMachine's serialized provider, loaded by the real dynamic-provider host and driven over
// gRPC as the engine does, against a fake apid over real Ed25519 mTLS (and, on Docker, a fake Docker
// Engine on a real unix socket): create, live update (NO_REBOOT), reboot update (STAGED + reboot),
// upgrade, immutable change → replace, delete.
import { after, before, describe, test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { captureProvider, startProviderHost, type CapturedProvider, type ProviderHost, type StepResult } from "../harness/engine";
import { TalosMachine } from "../../sdk/dynamic/talosMachine";
import { UNKNOWN } from "../../sdk/impact/unknown";
import { FakeApid, talosconfigFor } from "../fakes/apid";
import { startFakeDockerEngine, type FakeDockerEngine } from "../fakes/docker-engine";

const cfg = (o: { type?: string; kubelet?: string; env?: string } = {}) =>
  [
    "version: v1alpha1",
    "debug: false",
    "persist: true",
    "machine:",
    `  type: ${o.type ?? "controlplane"}`,
    "  kubelet:",
    "    extraArgs:",
    `      v: "${o.kubelet ?? "1"}"`,
    "  env:",
    `    HTTP_PROXY: "${o.env ?? "none"}"`,
    "cluster:",
    "  clusterName: dev",
    "",
  ].join("\n");

const methods = (apid: FakeApid, from: number) =>
  apid.calls.slice(from).map((c) => (c.method === "ApplyConfiguration" ? `Apply:${c.request.mode}` : c.method));

describe("TalosMachine through the dynamic-provider host (hcloud control plane)", () => {
  let apid: FakeApid;
  let host: ProviderHost;
  let cap: CapturedProvider;
  let talosconfig: string;
  let state: StepResult;
  const news = (config: string, extra: Record<string, unknown> = {}) => ({ ...cap.inputs, config, ...extra, __provider: cap.provider });

  before(async () => {
    apid = await FakeApid.start({ hostname: "dev-controlplane-1", downCallsAfterReboot: 2 });
    apid.bootstrapped = true; // etcd answers (the health gate lists members)
    talosconfig = talosconfigFor(apid.pki, apid.endpoint);
    cap = await captureProvider(
      () =>
        new TalosMachine("dev-cp-1", {
          node: { name: "dev-controlplane-1", role: "controlplane", platform: "hcloud", endpoint: apid.endpoint },
          talosVersion: "1.12.0",
          config: cfg(),
          talosconfig,
          installImage: "factory.talos.dev/installer/abc:v1.12.0",
          timeouts: { apiSeconds: 120, rebootSeconds: 120 }, // bounds a hang only: passing paths return at the first success
        }),
    );
    host = await startProviderHost();
  });
  after(async () => {
    await host?.close();
    await apid?.stop();
  });

  test("the serialized provider is a small trampoline with no credential; config and talosconfig are secret", () => {
    assert.equal(cap.type, "pulumi-nodejs:dynamic/ksail:TalosMachine");
    assert.ok(cap.provider.length < 4096, `__provider is ${cap.provider.length} bytes`);
    assert.match(cap.provider, /talosMachine\.impl/);
    assert.ok(!cap.provider.includes("PRIVATE KEY") && !cap.provider.includes(talosconfig.slice(0, 40)));
    assert.deepEqual([...cap.secretInputs].sort(), ["config", "talosconfig"]);
    assert.deepEqual(cap.resource.options.additionalSecretOutputs, ["config", "talosconfig"]);
  });

  test("create: waits for the API, applies the config (AUTO), records the version", async () => {
    const from = apid.calls.length;
    state = await host.up(cap.urn, news(cfg()));
    assert.equal(state.op, "create");
    assert.equal(state.id, "dev-controlplane-1");
    assert.deepEqual(methods(apid, from), ["Version", "Apply:AUTO"]);
    assert.equal(apid.config, cfg());
    assert.equal(state.outputs.appliedMode, "NO_REBOOT");
    assert.equal(state.outputs.talosVersionReported, "v1.12.0");
    assert.equal(state.outputs.lastChange, "create");
    const m = state.inputs.inPlace as { digest: string };
    assert.match(m.digest, /^[0-9a-f]{16}$/);
    assert.deepEqual(state.inputs.rebootRequired, m);
    assert.ok(apid.calls.slice(from).every((c) => c.peerOrg === "os:admin"));
  });

  test("live change: preview shows ~inPlace only; up applies NO_REBOOT without a reboot", async () => {
    const next = news(cfg({ kubelet: "2" }));
    const p = await host.preview(cap.urn, next, state);
    assert.equal(p.op, "update");
    assert.deepEqual(p.diff!.replaces, []);
    assert.notDeepEqual(p.inputs.inPlace, state.inputs.inPlace);
    assert.deepEqual(p.inputs.rebootRequired, state.inputs.rebootRequired);
    assert.deepEqual(p.inputs.recreateRequired, state.inputs.recreateRequired);
    assert.match((p.inputs.inPlace as { reasons: string[] }).reasons.join("\n"), /machine\.kubelet\.extraArgs\.v: live/);
    await host.waitForOutput(/KSAIL-IMPACT TalosMachine dev-controlplane-1: in-place/);

    const reboots = apid.reboots;
    const from = apid.calls.length;
    state = await host.up(cap.urn, next, state);
    assert.equal(state.op, "update");
    assert.deepEqual(methods(apid, from), ["Version", "EtcdMemberList", "Apply:NO_REBOOT", "Version", "EtcdMemberList"]);
    assert.equal(apid.reboots, reboots, "no reboot for a live change");
    assert.equal(apid.config, cfg({ kubelet: "2" }));
    assert.equal(state.outputs.lastChange, "in-place");
  });

  test("reboot-required change: preview shows ~rebootRequired; up stages, reboots, waits for health", async () => {
    const next = news(cfg({ kubelet: "2", env: "http://proxy:3128" }));
    const p = await host.preview(cap.urn, next, state);
    assert.equal(p.op, "update");
    assert.deepEqual(p.diff!.replaces, []);
    assert.notDeepEqual(p.inputs.rebootRequired, state.inputs.rebootRequired);
    assert.deepEqual(p.inputs.inPlace, state.inputs.inPlace);
    await host.waitForOutput(/KSAIL-IMPACT TalosMachine dev-controlplane-1: reboot-required\n\s+machine\.env/);

    const reboots = apid.reboots;
    const from = apid.calls.length;
    state = await host.up(cap.urn, next, state);
    const seq = methods(apid, from);
    assert.deepEqual(seq.slice(0, 7), [
      "Version",
      "EtcdMemberList",
      "Apply:STAGED",
      "Version",
      "EtcdMemberList",
      "EtcdForfeitLeadership",
      "Reboot",
    ]);
    // then: the node goes down (Unavailable) and comes back; the update returns only after etcd answers
    assert.equal(seq.at(-1), "EtcdMemberList");
    assert.equal(apid.reboots, reboots + 1);
    assert.equal(apid.config, cfg({ kubelet: "2", env: "http://proxy:3128" }), "the staged config is active after the reboot");
    assert.equal(apid.staged, undefined);
    assert.equal(state.outputs.lastChange, "reboot");
  });

  test("installer image change upgrades the node and waits for the new version", async () => {
    const next = news(state.inputs.config as string, { installImage: "factory.talos.dev/installer/abc:v1.12.1" });
    const p = await host.preview(cap.urn, next, state);
    assert.equal(p.op, "update");
    assert.notDeepEqual(p.inputs.rebootRequired, state.inputs.rebootRequired);
    state = await host.up(cap.urn, next, state);
    assert.deepEqual(apid.upgrades, ["factory.talos.dev/installer/abc:v1.12.1"]);
    assert.equal(state.outputs.talosVersionReported, "v1.12.1");
    assert.equal(state.outputs.lastChange, "upgrade");
  });

  test("preview with an unknown config is 'may reboot' (fails closed), not a no-op", async () => {
    const p = await host.preview(cap.urn, news(UNKNOWN), state);
    assert.equal(p.op, "update");
    assert.equal(p.inputs.rebootRequired, UNKNOWN);
  });

  test("preview with an unknown node: check passes, no false replace, nothing is called", async () => {
    const before = apid.calls.length;
    const p = await host.preview(cap.urn, { ...news(state.inputs.config as string), node: UNKNOWN }, state);
    assert.equal(p.op, "update");
    assert.deepEqual(p.diff!.replaces, []);
    assert.equal(apid.calls.length, before);
  });

  test("an invalid config is a check failure before anything touches the node", async () => {
    await assert.rejects(host.preview(cap.urn, news("machine: [\n"), state), /TalosMachine resource 'dev-cp-1': property config/);
  });

  test("immutable change (machine.type): replace, delete first (graceful reset), then create", async () => {
    const next = news(cfg({ type: "worker", kubelet: "2", env: "http://proxy:3128" }), {
      installImage: "factory.talos.dev/installer/abc:v1.12.1",
    });
    const p = await host.preview(cap.urn, next, state);
    assert.equal(p.op, "replace");
    assert.deepEqual(p.diff!.replaces, ["recreateRequired"]);
    assert.equal(p.diff!.deleteBeforeReplace, true);
    await host.waitForOutput(/KSAIL-IMPACT TalosMachine dev-controlplane-1: recreate-required\n\s+machine\.type: immutable/);
    const from = apid.calls.length;
    state = await host.up(cap.urn, next, state);
    assert.equal(state.op, "replace");
    const seq = methods(apid, from);
    assert.equal(seq[0], "Reset");
    assert.equal(apid.callsOf("Reset")[0].request.graceful, true);
    assert.ok(seq.includes("Apply:AUTO"), `the replacement applies the new config: ${seq.join(",")}`);
    assert.equal(apid.config, next.config);
  });

  test("delete: a reset on hcloud; an unreachable node counts as gone", async () => {
    const resets = apid.resets;
    await host.destroy(cap.urn, state);
    assert.equal(apid.resets, resets + 1);
    await apid.stop();
    // No apid any more: tolerated after the (shortened) wait budget.
    await host.destroy(cap.urn, { ...state, outputs: { ...state.outputs, timeouts: { apiSeconds: 2, rebootSeconds: 2 } } });
    await host.waitForOutput(/treating it as already gone/);
  });
});

describe("TalosMachine on Docker: a reboot is a container restart", () => {
  let apid: FakeApid;
  let docker: FakeDockerEngine;
  let host: ProviderHost;
  let cap: CapturedProvider;
  let dir: string;

  before(async () => {
    apid = await FakeApid.start({ hostname: "dev-controlplane-1", containerMode: true, downCallsAfterReboot: 1 });
    apid.bootstrapped = true;
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "ksail-talos-docker-"));
    const sock = path.join(dir, "docker.sock");
    docker = await startFakeDockerEngine(sock, () => apid.simulateReboot(), ["dev-controlplane-1"]);
    cap = await captureProvider(
      () =>
        new TalosMachine("dev-cp-1", {
          node: { name: "dev-controlplane-1", role: "controlplane", platform: "docker", endpoint: apid.endpoint },
          talosVersion: "1.12.0",
          config: cfg(),
          talosconfig: talosconfigFor(apid.pki, apid.endpoint),
          timeouts: { apiSeconds: 120, rebootSeconds: 120 }, // bounds a hang only: passing paths return at the first success
        }),
    );
    host = await startProviderHost({ env: { DOCKER_HOST: `unix://${sock}` } });
  });
  after(async () => {
    await host?.close();
    await docker?.close();
    await apid?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test("create, reboot-required update via container restart, delete does nothing", async () => {
    const news = (config: string) => ({ ...cap.inputs, config, __provider: cap.provider });
    let s = await host.up(cap.urn, news(cfg()));
    assert.equal(s.op, "create");
    const from = apid.calls.length;
    s = await host.up(cap.urn, news(cfg({ env: "x" })), s);
    assert.equal(s.op, "update");
    assert.equal(s.outputs.lastChange, "reboot");
    assert.equal(docker.state["dev-controlplane-1"].restarts, 1);
    assert.deepEqual(docker.requests.map((r) => `${r.method} ${r.url.split("?")[0]}`).slice(0, 2), [
      "POST /v1.41/containers/dev-controlplane-1/restart",
      "GET /v1.41/containers/dev-controlplane-1/json",
    ]);
    const seq = methods(apid, from);
    assert.ok(!seq.includes("Reboot"), "no Reboot RPC in container mode");
    assert.equal(seq[2], "Apply:STAGED");
    assert.equal(seq.at(-1), "EtcdMemberList");
    assert.equal(apid.config, cfg({ env: "x" }));
    const before = apid.calls.length;
    await host.destroy(cap.urn, s);
    assert.equal(apid.calls.length, before, "delete on Docker makes no API call");
  });
});

describe("TalosMachine on metal/ISO: the first apply goes to the maintenance-mode API", () => {
  test("create applies insecurely (AUTO → install + reboot), then waits for the configured node over mTLS", async () => {
    const maintenance = await FakeApid.start({ maintenance: true });
    const pki = maintenance.pki;
    const port = maintenance.port;
    let configured: FakeApid | undefined;
    // The node installs and reboots after the insecure apply: swap the maintenance server for a configured
    // apid (client certificates required) on the same port, as the real node comes back.
    const swap = (async () => {
      const deadline = Date.now() + 120_000; // bounded, so a failed create cannot leave this loop holding the file open
      while (maintenance.config === undefined) {
        if (Date.now() > deadline) throw new Error("no insecure apply reached the maintenance-mode fake within 120 s");
        await new Promise((r) => setTimeout(r, 50));
      }
      await maintenance.stop();
      configured = await FakeApid.start({ pki, port, initialConfig: maintenance.config, hostname: "prod-cp-1" });
    })();
    const cap = await captureProvider(
      () =>
        new TalosMachine("prod-cp-1", {
          node: { name: "prod-cp-1", role: "controlplane", platform: "metal", endpoint: `127.0.0.1:${port}` },
          talosVersion: "1.12.0",
          config: cfg(),
          talosconfig: talosconfigFor(pki, `127.0.0.1:${port}`),
          maintenance: true,
          timeouts: { apiSeconds: 120, rebootSeconds: 120 }, // bounds a hang only: passing paths return at the first success
        }),
    );
    const host = await startProviderHost();
    try {
      const s = await host.up(cap.urn, { ...cap.inputs, __provider: cap.provider });
      await swap;
      assert.equal(s.op, "create");
      assert.equal(s.outputs.appliedMode, "REBOOT");
      const apply = maintenance.callsOf("ApplyConfiguration");
      assert.equal(apply.length, 1);
      assert.equal(apply[0].request.mode, "AUTO");
      assert.equal(apply[0].peerOrg, undefined, "no client certificate in maintenance mode");
      assert.equal(configured!.config, cfg());
      assert.ok(configured!.callsOf("Version").length >= 1, "waited for the configured node over mTLS");
      assert.ok(configured!.calls.every((c) => c.peerOrg === "os:admin"));
      await host.waitForOutput(/applying the first config insecurely \(maintenance mode\)/);
    } finally {
      await host.close();
      await maintenance.stop();
      await configured?.stop();
    }
  });
});

describe("TalosMachine: reboots of machines updated in parallel never overlap", () => {
  test("two control planes with reboot-required changes at once reboot one after the other, each after a health gate", async () => {
    const a = await FakeApid.start({ hostname: "cp-a", downCallsAfterReboot: 3 });
    const b = await FakeApid.start({ hostname: "cp-b", downCallsAfterReboot: 3 });
    a.bootstrapped = b.bootstrapped = true;
    const capOf = (name: string, apid: FakeApid) =>
      captureProvider(
        () =>
          new TalosMachine(name, {
            node: { name, role: "controlplane", platform: "hcloud", endpoint: apid.endpoint },
            talosVersion: "1.12.0",
            config: cfg(),
            talosconfig: talosconfigFor(apid.pki, apid.endpoint),
            timeouts: { apiSeconds: 120, rebootSeconds: 120 }, // bounds a hang only: passing paths return at the first success
          }),
      );
    const [ca, cb] = [await capOf("cp-a", a), await capOf("cp-b", b)];
    const host = await startProviderHost();
    try {
      const [sa, sb] = await Promise.all([
        host.up(ca.urn, { ...ca.inputs, __provider: ca.provider }),
        host.up(cb.urn, { ...cb.inputs, __provider: cb.provider }),
      ]);
      const changed = cfg({ env: "rolled" });
      const [ua, ub] = await Promise.all([
        host.up(ca.urn, { ...ca.inputs, config: changed, __provider: ca.provider }, sa),
        host.up(cb.urn, { ...cb.inputs, config: changed, __provider: cb.provider }, sb),
      ]);
      assert.equal(ua.outputs.lastChange, "reboot");
      assert.equal(ub.outputs.lastChange, "reboot");
      const rebootAt = (f: FakeApid) => f.callsOf("Reboot")[0].at;
      const [first, second] = rebootAt(a) < rebootAt(b) ? [a, b] : [b, a];
      // The first node's etcd answered again after its reboot (the end of its locked section).
      const firstBackHealthy = first.callsOf("EtcdMemberList").find((c) => c.at > rebootAt(first))!.at;
      assert.ok(
        rebootAt(second) >= firstBackHealthy,
        `second reboot at ${rebootAt(second)} must follow the first node's post-reboot etcd check at ${firstBackHealthy}`,
      );
      // The second node passed its own health gate after the first one came back.
      const gate = second.calls.filter((c) => c.method === "EtcdMemberList" && c.at >= firstBackHealthy && c.at <= rebootAt(second));
      assert.ok(gate.length >= 1, "health gate of the second node inside the lock");
    } finally {
      await host.close();
      await a.stop();
      await b.stop();
    }
  });
});
