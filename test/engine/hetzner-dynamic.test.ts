// L2 + L3: HcloudServerType and HcloudIsoDetach — their serialized providers in the real dynamic-provider
// host, calling a local HTTP fake of the Hetzner API with the token read at run time from the stack config
// (`hcloud:token`, `hcloud:endpoint`): resize order (shutdown, change_type keeping the disk, power on),
// no mutation when the type already matches, hard power-off when the OS ignores the shutdown, 429 and 5xx
// retries, the Talos health gate over real mTLS (fake apid), ISO detach + reboot, and clear errors.
import { after, before, describe, test } from "node:test";
import * as assert from "node:assert/strict";
import { captureProvider, startProviderHost, type ProviderHost } from "../harness/engine";
import { HcloudServerType } from "../../sdk/dynamic/hcloudServerType";
import { HcloudIsoDetach } from "../../sdk/dynamic/hcloudIsoDetach";
import { UNKNOWN } from "../../sdk/impact/unknown";
import { FakeHcloudApi } from "../fakes/hcloud-api";
import { FakeApid, talosconfigFor } from "../fakes/apid";

const TOKEN = "fake-hcloud-token-for-tests-0123456789abcdef0123456789abcdef01234";
const ENV = { KSAIL_HCLOUD_BACKOFF_MS: "20", KSAIL_HCLOUD_POLL_MS: "20" };

describe("Hetzner dynamic resources through the dynamic-provider host", () => {
  let api: FakeHcloudApi;
  let host: ProviderHost;
  before(async () => {
    api = await FakeHcloudApi.start(TOKEN);
    host = await startProviderHost({ config: { "hcloud:token": TOKEN, "hcloud:endpoint": api.url }, env: ENV });
  });
  after(async () => {
    await host?.close();
    await api?.stop();
  });

  const resize = (serverId: string, serverType: string, extra: Record<string, unknown> = {}) =>
    captureProvider(
      () =>
        new HcloudServerType("prod-control-plane-1-type", {
          serverId,
          serverName: `server-${serverId}`,
          role: "control-plane",
          serverType,
          ...extra,
        }),
    );

  test("create with the planned type already in place: one GET, no mutation; the token is never in the provider code", async () => {
    api.addServer({ id: 101, name: "server-101", server_type: { name: "cx23" } });
    const cap = await resize("101", "cx23");
    assert.equal(cap.type, "pulumi-nodejs:dynamic/ksail:HcloudServerType");
    assert.ok(!cap.provider.includes(TOKEN) && cap.provider.length < 4096);
    const before = api.requests.length;
    const s = await host.up(cap.urn, { ...cap.inputs, __provider: cap.provider });
    assert.equal(s.op, "create");
    assert.equal(s.outputs.appliedType, "cx23");
    assert.deepEqual(
      api.requests.slice(before).map((r) => `${r.method} ${r.path}`),
      ["GET /servers/101"],
    );
    assert.ok(api.requests.every((r) => r.status === 401 || r.authorization === `Bearer ${TOKEN}`));
  });

  test("a type change resizes in place: ACPI shutdown, wait off, change_type without disk upgrade, power on; retries 429 and 503", async () => {
    api.addServer({ id: 102, name: "server-102", server_type: { name: "cx23" } });
    const cap = await resize("102", "cx23");
    const s1 = await host.up(cap.urn, { ...cap.inputs, __provider: cap.provider });
    const changed = { ...cap.inputs, serverType: "cx33", __provider: cap.provider };
    const p = await host.preview(cap.urn, changed, s1);
    assert.equal(p.op, "update", "a type change is an update (reboot), never a replace");
    const mark = api.requests.length;
    api.failNext(1, 429, { "Retry-After": "1" });
    api.failNext(1, 503);
    const s2 = await host.up(cap.urn, changed, s1);
    assert.equal(s2.op, "update");
    assert.equal(s2.outputs.appliedType, "cx33");
    assert.equal(api.servers.get(102)!.server_type.name, "cx33");
    assert.equal(api.servers.get(102)!.status, "running");
    const seen = api.requests.slice(mark);
    assert.deepEqual(
      seen.slice(0, 3).map((r) => [r.path, r.status]),
      [
        ["/servers/102", 429],
        ["/servers/102", 503],
        ["/servers/102", 200],
      ],
    );
    assert.deepEqual(
      seen.filter((r) => r.method === "POST").map((r) => [r.path, r.body]),
      [
        ["/servers/102/actions/shutdown", {}],
        ["/servers/102/actions/change_type", { server_type: "cx33", upgrade_disk: false }],
        ["/servers/102/actions/poweron", {}],
      ],
    );
    await host.waitForOutput(/HTTP 429 \(rate_limit_exceeded\); retrying in 1 s/);
    await host.waitForOutput(/HTTP 503 \(unavailable\); retrying/);
    await host.waitForOutput(/server-102: done: type cx23 → cx33/);
    const out = host.output();
    assert.ok(!out.stdout.includes(TOKEN) && !out.stderr.includes(TOKEN), "the token is never printed");
  });

  test("an OS that ignores the ACPI shutdown is powered off after the shutdown budget", async () => {
    api.addServer({ id: 103, name: "server-103", server_type: { name: "cx23" } });
    const cap = await resize("103", "cx23", { timeouts: { shutdownSeconds: 1, actionSeconds: 30 } });
    const s1 = await host.up(cap.urn, { ...cap.inputs, __provider: cap.provider });
    api.ignoreShutdown = true;
    try {
      const mark = api.requests.length;
      await host.up(cap.urn, { ...cap.inputs, serverType: "cx43", __provider: cap.provider }, s1);
      assert.deepEqual(
        api.requests
          .slice(mark)
          .filter((r) => r.method === "POST")
          .map((r) => r.path.split("/").pop()),
        ["shutdown", "poweroff", "change_type", "poweron"],
      );
      assert.equal(api.servers.get(103)!.server_type.name, "cx43");
    } finally {
      api.ignoreShutdown = false;
    }
  });

  test("a new server id replaces the step (it then checks the new server); an unknown id in preview reads as replace", async () => {
    api.addServer({ id: 104, name: "server-104" });
    const cap = await resize("104", "cx23");
    const s1 = await host.up(cap.urn, { ...cap.inputs, __provider: cap.provider });
    const p = await host.preview(cap.urn, { ...cap.inputs, serverId: UNKNOWN, __provider: cap.provider }, s1);
    assert.equal(p.op, "replace");
    api.addServer({ id: 105, name: "server-105", server_type: { name: "cx22" } });
    const s2 = await host.up(cap.urn, { ...cap.inputs, serverId: "105", __provider: cap.provider }, s1);
    assert.equal(s2.op, "replace");
    assert.equal(api.servers.get(105)!.server_type.name, "cx23", "a replaced server created with a stale type is corrected");
    await host.destroy(cap.urn, s2);
  });

  test("errors: a missing server and a persistent 5xx fail with the server and the API error; check rejects a bad role", async () => {
    const gone = await resize("999", "cx23");
    await assert.rejects(
      host.up(gone.urn, { ...gone.inputs, __provider: gone.provider }),
      /server-999: server 999 does not exist .*pulumi refresh/,
    );
    api.addServer({ id: 106, name: "server-106", server_type: { name: "cx22" } });
    const cap = await resize("106", "cx23");
    api.failNext(6, 502);
    await assert.rejects(host.up(cap.urn, { ...cap.inputs, __provider: cap.provider }), /GET \/servers\/106: HTTP 502 unavailable/);
    const bad = await resize("106", "cx23", { role: "etcd" });
    await assert.rejects(host.up(bad.urn, { ...bad.inputs, __provider: bad.provider }), /role is "etcd"; allowed: control-plane, worker/);
  });

  test("public network toggles: powered off once, a created address is deleted with its server, a reserved one is only unassigned", async () => {
    const server = api.addServer({ id: 107, name: "server-107", server_type: { name: "cx23" } }, { ipv4: true });
    const reservedV4 = server.public_net.ipv4!.id;
    const autoV6 = server.public_net.ipv6!.id;
    const cap = await resize("107", "cx23", { publicIPv4: true, publicIPv6: true });
    const s1 = await host.up(cap.urn, { ...cap.inputs, __provider: cap.provider });
    const mark = api.requests.length;
    // Both families off together with a type change: one shutdown, one power-on.
    const off = { ...cap.inputs, serverType: "cx33", publicIPv4: false, publicIPv6: false, __provider: cap.provider };
    assert.equal((await host.preview(cap.urn, off, s1)).op, "update");
    const s2 = await host.up(cap.urn, off, s1);
    assert.deepEqual(
      api.requests
        .slice(mark)
        .filter((r) => r.method !== "GET")
        .map((r) => `${r.method} ${r.path}`),
      [
        "POST /servers/107/actions/shutdown",
        "POST /servers/107/actions/change_type",
        `POST /primary_ips/${reservedV4}/actions/unassign`,
        `POST /primary_ips/${autoV6}/actions/unassign`,
        `DELETE /primary_ips/${autoV6}`,
        "POST /servers/107/actions/poweron",
      ],
    );
    assert.deepEqual(api.servers.get(107)!.public_net, { ipv4: null, ipv6: null });
    assert.equal(api.primaryIps.get(reservedV4)?.assignee_id, null, "the reserved address is kept for its own resource");
    assert.equal(api.primaryIps.has(autoV6), false);
    // IPv6 back on: a new auto-deleted primary IP, assigned while the server is off.
    const s3 = await host.up(cap.urn, { ...off, publicIPv6: true }, s2);
    assert.equal(s3.op, "update");
    const v6 = api.servers.get(107)!.public_net.ipv6!;
    assert.equal(api.primaryIps.get(v6.id)!.auto_delete, true);
    assert.equal(api.primaryIps.get(v6.id)!.name, "server-107-ipv6");
    assert.equal(api.servers.get(107)!.status, "running");
    await host.waitForOutput(/server-107: public ipv6 on: shutting down/);
  });

  test("ISO detach: detaches an attached ISO and reboots; a server without ISO is left alone; updates change nothing", async () => {
    api.addServer({ id: 201, name: "prod-worker-1", iso: { id: 125127, name: "talos-v1.12.4-amd64.iso" } });
    const cap = await captureProvider(
      () => new HcloudIsoDetach("prod-worker-1-iso-detach", { serverId: "201", serverName: "prod-worker-1" }),
    );
    assert.equal(cap.type, "pulumi-nodejs:dynamic/ksail:HcloudIsoDetach");
    assert.ok(!cap.provider.includes(TOKEN));
    const mark = api.requests.length;
    const s = await host.up(cap.urn, { ...cap.inputs, __provider: cap.provider });
    assert.equal(s.outputs.detachedIso, "talos-v1.12.4-amd64.iso");
    assert.equal(api.servers.get(201)!.iso, null);
    assert.deepEqual(
      api.mutations().filter((m) => m.includes("/servers/201/")),
      ["POST /servers/201/actions/detach_iso", "POST /servers/201/actions/reboot"],
    );
    assert.ok(
      api.requests.slice(mark).some((r) => r.path.startsWith("/actions/")),
      "actions were polled",
    );
    const again = await host.up(cap.urn, { ...cap.inputs, reboot: false, __provider: cap.provider }, s);
    assert.equal(again.op, "update");
    assert.equal(again.outputs.detachedIso, "talos-v1.12.4-amd64.iso");
    assert.equal(api.mutations().filter((m) => m.includes("/servers/201/")).length, 2, "no second detach or reboot");

    api.addServer({ id: 202, name: "prod-worker-2" });
    const none = await captureProvider(
      () => new HcloudIsoDetach("prod-worker-2-iso-detach", { serverId: "202", serverName: "prod-worker-2" }),
    );
    const s2 = await host.up(none.urn, { ...none.inputs, __provider: none.provider });
    assert.equal(s2.outputs.detachedIso, "");
    assert.deepEqual(
      api.mutations().filter((m) => m.includes("/servers/202/")),
      [],
    );
    await host.waitForOutput(/prod-worker-2: no ISO attached; nothing to detach/);
  });
});

describe("Hetzner dynamic resources: token sources and the Talos health gate", () => {
  let api: FakeHcloudApi;
  let apid: FakeApid;
  before(async () => {
    api = await FakeHcloudApi.start(TOKEN);
    apid = await FakeApid.start({ initialConfig: "version: v1alpha1\n" });
  });
  after(async () => {
    await api?.stop();
    await apid?.stop();
  });

  test("without hcloud:token the token comes from tokenEnvVar; with neither, the error says how to set it", async () => {
    api.addServer({ id: 301, name: "server-301", server_type: { name: "cx23" } });
    const cap = await captureProvider(
      () =>
        new HcloudServerType("t", {
          serverId: "301",
          serverName: "server-301",
          role: "worker",
          serverType: "cx23",
          tokenEnvVar: "MY_HCLOUD_TOKEN",
        }),
    );
    assert.equal(cap.inputs.tokenEnvVar, "MY_HCLOUD_TOKEN");
    const withEnv = await startProviderHost({
      config: { "hcloud:endpoint": api.url },
      env: { ...ENV, MY_HCLOUD_TOKEN: TOKEN, HCLOUD_TOKEN: "" },
    });
    try {
      const s = await withEnv.up(cap.urn, { ...cap.inputs, __provider: cap.provider });
      assert.equal(s.outputs.appliedType, "cx23");
    } finally {
      await withEnv.close();
    }
    const without = await startProviderHost({ config: { "hcloud:endpoint": api.url }, env: { ...ENV, HCLOUD_TOKEN: "" } });
    try {
      await assert.rejects(
        without.up(cap.urn, { ...cap.inputs, __provider: cap.provider }),
        /no Hetzner Cloud API token: set it with "pulumi config set --secret hcloud:token <token>" or export MY_HCLOUD_TOKEN/,
      );
    } finally {
      await without.close();
    }
  });

  test("health gate: a control plane is resized only when Talos and etcd answer over mTLS, before and after", async () => {
    api.addServer({ id: 401, name: "prod-control-plane-2", server_type: { name: "cx23" } });
    const talosconfig = talosconfigFor(apid.pki, apid.endpoint);
    const cap = await captureProvider(
      () =>
        new HcloudServerType("prod-control-plane-2-type", {
          serverId: "401",
          serverName: "prod-control-plane-2",
          role: "control-plane",
          serverType: "cx23",
          health: { endpoint: apid.endpoint, talosconfig },
          timeouts: { healthSeconds: 3 },
        }),
    );
    assert.ok(cap.secretInputs.includes("health"));
    assert.ok(!cap.provider.includes("PRIVATE KEY"));
    const host = await startProviderHost({ config: { "hcloud:token": TOKEN, "hcloud:endpoint": api.url }, env: ENV });
    try {
      const s1 = await host.up(cap.urn, { ...cap.inputs, __provider: cap.provider });
      // etcd not running: the gate refuses before any power action.
      apid.bootstrapped = false;
      const mark = api.requests.length;
      await assert.rejects(
        host.up(cap.urn, { ...cap.inputs, serverType: "cx33", __provider: cap.provider }, s1),
        /prod-control-plane-2: not changing type cx23 → cx33, the node is not healthy: etcd is not healthy/,
      );
      assert.deepEqual(
        api.requests.slice(mark).filter((r) => r.method === "POST"),
        [],
      );
      // Healthy: resized, with Version and EtcdMemberList called before and after.
      apid.bootstrapped = true;
      const calls = apid.callsOf("EtcdMemberList").length;
      const s2 = await host.up(cap.urn, { ...cap.inputs, serverType: "cx33", __provider: cap.provider }, s1);
      assert.equal(s2.outputs.appliedType, "cx33");
      assert.ok(apid.callsOf("EtcdMemberList").length >= calls + 2);
      assert.equal(api.servers.get(401)!.server_type.name, "cx33");
    } finally {
      await host.close();
    }
  });
});
