// L2 + L3: HcloudServerType and HcloudIsoDetach — their serialized providers in the real dynamic-provider
// host, calling a local HTTP fake of the Hetzner API with the token read at run time from the stack config
// (`hcloud:token`, `hcloud:endpoint`): resize order (shutdown, change_type keeping the disk, power on),
// no mutation when the type already matches, hard power-off when the OS ignores the shutdown, 429 and 5xx
// retries, the Talos health gate over real mTLS (fake apid), the ISO detach once the ISO booted, resize failure and
// retry (pre-check against the server-types API, power-on after a failed change, power state on retry), ISO
// failure and retry, refresh drift of both resources, and clear errors.
import { after, before, describe, test } from "node:test";
import * as assert from "node:assert/strict";
import * as net from "node:net";
import { captureProvider, startProviderHost, type ProviderHost, type ResourceState } from "../harness/engine";
import { HcloudServerType } from "../../sdk/dynamic/hcloudServerType";
import { HcloudIsoDetach } from "../../sdk/dynamic/hcloudIsoDetach";
import { HcloudCleanup } from "../../sdk/dynamic/hcloudCleanup";
import { UNKNOWN } from "../../sdk/impact/unknown";
import { FakeHcloudApi } from "../fakes/hcloud-api";
import { FakeApid, talosconfigFor } from "../fakes/apid";

const TOKEN = "fake-hcloud-token-for-tests-0123456789abcdef0123456789abcdef01234";

/** A TCP listener on 127.0.0.1 standing in for Talos's API port of a node that booted (counts connections). */
async function listener(port = 0): Promise<{ port: number; endpoint: string; connections(): number; close(): Promise<void> }> {
  let count = 0;
  const server = net.createServer((socket) => {
    count++;
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  const p = (server.address() as net.AddressInfo).port;
  return {
    port: p,
    endpoint: `127.0.0.1:${p}`,
    connections: () => count,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** What `pulumi refresh` does for one resource: Read with the stored outputs; the state it leaves. */
async function refresh(host: ProviderHost, urn: string, prior: ResourceState): Promise<ResourceState> {
  const r = await host.read(prior.id, urn, prior.outputs, prior.inputs);
  return { id: r.id, inputs: r.inputs ?? prior.inputs, outputs: r.props };
}
const ENV = { KSAIL_HCLOUD_BACKOFF_MS: "20", KSAIL_HCLOUD_POLL_MS: "20" };

/**
 * The next `pulumi up`: a new provider process. Within one process the cluster's queue stops at the first failure
 * (every later change fails with the reason), so a retry after a failure is always a new run, as with the CLI.
 */
async function nextUp<T>(api: FakeHcloudApi, f: (h: ProviderHost) => Promise<T>): Promise<T> {
  const h = await startProviderHost({ config: { "hcloud:token": TOKEN, "hcloud:endpoint": api.url }, env: ENV });
  try {
    return await f(h);
  } finally {
    await h.close();
  }
}

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

  test("ISO detach: waits until the server booted the ISO (Talos's port answers at the node's address), detaches it without a reboot; a server without ISO is left alone", async () => {
    const apid = await listener();
    try {
      api.addServer({ id: 201, name: "prod-worker-1", iso: { id: 125127, name: "talos-v1.12.4-amd64.iso" } });
      const cap = await captureProvider(
        () => new HcloudIsoDetach("prod-worker-1-iso-detach", { serverId: "201", serverName: "prod-worker-1", probe: apid.endpoint }),
      );
      assert.equal(cap.type, "pulumi-nodejs:dynamic/ksail:HcloudIsoDetach");
      assert.ok(!cap.provider.includes(TOKEN));
      assert.equal(cap.inputs.reboot, false);
      const mark = api.requests.length;
      const s = await host.up(cap.urn, { ...cap.inputs, __provider: cap.provider });
      assert.equal(s.outputs.detachedIso, "talos-v1.12.4-amd64.iso");
      assert.equal(api.servers.get(201)!.iso, null);
      assert.ok(apid.connections() >= 1, "the probe connected before the detach");
      assert.deepEqual(
        api.mutations().filter((m) => m.includes("/servers/201/")),
        ["POST /servers/201/actions/detach_iso"],
      );
      assert.ok(
        api.requests.slice(mark).some((r) => r.path.startsWith("/actions/")),
        "actions were polled",
      );
      const again = await host.up(cap.urn, { ...cap.inputs, timeouts: { actionSeconds: 60 }, __provider: cap.provider }, s);
      assert.equal(again.op, "update");
      assert.equal(again.outputs.detachedIso, "talos-v1.12.4-amd64.iso");
      assert.equal(api.mutations().filter((m) => m.includes("/servers/201/")).length, 1, "no second detach");

      api.addServer({ id: 202, name: "prod-worker-2" });
      const none = await captureProvider(
        () => new HcloudIsoDetach("prod-worker-2-iso-detach", { serverId: "202", serverName: "prod-worker-2", probe: apid.endpoint }),
      );
      const s2 = await host.up(none.urn, { ...none.inputs, __provider: none.provider });
      assert.equal(s2.outputs.detachedIso, "");
      assert.deepEqual(
        api.mutations().filter((m) => m.includes("/servers/202/")),
        [],
      );
      await host.waitForOutput(/prod-worker-2: no ISO attached; nothing to detach/);
    } finally {
      await apid.close();
    }
  });

  test("ISO failure and retry: Talos never comes up from the ISO → the ISO stays attached and the error says so; the retry detaches once it boots", async () => {
    const apid = await listener();
    const port = apid.port;
    await apid.close(); // nothing listens yet: the server has not booted the ISO
    api.addServer({ id: 203, name: "prod-worker-3", iso: { id: 125127, name: "talos.iso" } });
    const cap = await captureProvider(
      () =>
        new HcloudIsoDetach("prod-worker-3-iso-detach", {
          serverId: "203",
          serverName: "prod-worker-3",
          probe: `127.0.0.1:${port}`,
          timeouts: { bootSeconds: 2 },
        }),
    );
    await assert.rejects(
      host.up(cap.urn, { ...cap.inputs, __provider: cap.provider }),
      /prod-worker-3: Talos did not come up from the ISO within 2 s .* the ISO stays attached/,
    );
    assert.deepEqual(api.servers.get(203)!.iso, { id: 125127, name: "talos.iso" });
    const booted = await listener(port);
    try {
      // The failed create left nothing in state: pulumi up creates it again.
      const s = await host.up(cap.urn, { ...cap.inputs, __provider: cap.provider });
      assert.equal(s.outputs.detachedIso, "talos.iso");
      assert.equal(api.servers.get(203)!.iso, null);
    } finally {
      await booted.close();
    }
  });

  test("ISO detach retries still reboot: a retry with reboot that finds the ISO gone (the earlier attempt detached, then failed) reboots", async () => {
    api.addServer({ id: 204, name: "legacy-1" });
    const cap = await captureProvider(
      () => new HcloudIsoDetach("legacy-1-iso-detach", { serverId: "204", serverName: "legacy-1", reboot: true }),
    );
    const s = await host.up(cap.urn, { ...cap.inputs, __provider: cap.provider });
    assert.equal(s.outputs.detachedIso, "");
    assert.deepEqual(
      api.mutations().filter((m) => m.includes("/servers/204/")),
      ["POST /servers/204/actions/reboot"],
    );
  });

  test("refresh: an ISO attached again is drift; the next update detaches it (no reboot)", async () => {
    const apid = await listener();
    try {
      api.addServer({ id: 205, name: "prod-control-plane-2" });
      const cap = await captureProvider(
        () => new HcloudIsoDetach("cp2-iso-detach", { serverId: "205", serverName: "prod-control-plane-2", probe: apid.endpoint }),
      );
      const s1 = await host.up(cap.urn, { ...cap.inputs, __provider: cap.provider });
      const clean = await refresh(host, cap.urn, s1);
      assert.equal(clean.outputs.drift, undefined);
      assert.equal((await host.preview(cap.urn, { ...cap.inputs, __provider: cap.provider }, clean)).op, "same");
      api.servers.get(205)!.iso = { id: 1, name: "rescue.iso" };
      const drifted = await refresh(host, cap.urn, clean);
      assert.deepEqual(drifted.outputs.drift, { iso: "rescue.iso" });
      assert.equal((await host.preview(cap.urn, { ...cap.inputs, __provider: cap.provider }, drifted)).op, "update");
      const s2 = await host.up(cap.urn, { ...cap.inputs, __provider: cap.provider }, drifted);
      assert.equal(s2.outputs.drift, undefined);
      assert.equal(api.servers.get(205)!.iso, null);
      assert.deepEqual(
        api.mutations().filter((m) => m.includes("/servers/205/")),
        ["POST /servers/205/actions/detach_iso"],
      );
      api.servers.delete(205);
      assert.equal((await host.read(s2.id, cap.urn, s2.outputs, s2.inputs)).id, "", "a deleted server reads as gone");
    } finally {
      await apid.close();
    }
  });
});

describe("Hetzner dynamic resources: resize failure, retry and refresh through the dynamic-provider host", () => {
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
  const step = (serverId: string, serverType: string) =>
    captureProvider(
      () => new HcloudServerType(`s${serverId}-type`, { serverId, serverName: `server-${serverId}`, role: "worker", serverType }),
    );
  const posts = (id: number, mark: number) =>
    api.requests
      .slice(mark)
      .filter((r) => r.method === "POST" && r.path.startsWith(`/servers/${id}/`))
      .map((r) => r.path.split("/").pop());

  test("pre-check against the server-types API: a smaller disk, another architecture, a type not offered in the location — refused before any power action", async () => {
    api.addServer({ id: 501, name: "server-501", server_type: { name: "cx33" } });
    const cap = await step("501", "cx33");
    const s1 = await host.up(cap.urn, { ...cap.inputs, __provider: cap.provider });
    const mark = api.requests.length;
    for (const [to, why] of [
      ["cx23", /cx23 has a 40 GB disk and the server's disk is 80 GB; Hetzner cannot shrink a disk/],
      ["cax21", /cax21 is an Arm type and the server is x86: a server cannot change architecture/],
      ["cx22", /cx22 is deprecated/],
      ["nope1", /Hetzner has no server type "nope1"/],
    ] as const) {
      await nextUp(api, (h) => assert.rejects(h.up(cap.urn, { ...cap.inputs, serverType: to, __provider: cap.provider }, s1), why));
    }
    api.setAvailability("cx43", "fsn1", false);
    await nextUp(api, (h) =>
      assert.rejects(
        h.up(cap.urn, { ...cap.inputs, serverType: "cx43", __provider: cap.provider }, s1),
        /server-501: not changing type cx33 → cx43: cx43 is not available in fsn1 \(available in nbg1, hel1\); pick another type\. Nothing was changed\./,
      ),
    );
    api.setAvailability("cx43", "fsn1", true);
    assert.deepEqual(posts(501, mark), [], "no shutdown, no change_type");
    assert.equal(api.servers.get(501)!.status, "running");
  });

  test("a change that fails after the power-off powers the server on again and says so; the retry resizes", async () => {
    api.addServer({ id: 502, name: "server-502", server_type: { name: "cx23" } });
    const cap = await step("502", "cx23");
    const s1 = await host.up(cap.urn, { ...cap.inputs, __provider: cap.provider });
    const mark = api.requests.length;
    api.failNextAction("change_server_type", "server_error", "migration failed");
    await assert.rejects(
      host.up(cap.urn, { ...cap.inputs, serverType: "cx33", __provider: cap.provider }, s1),
      /server-502: type cx23 → cx33 failed: .*migration failed\. The server was powered on again; fix the cause and run pulumi up again/,
    );
    assert.deepEqual(posts(502, mark), ["shutdown", "change_type", "poweron"]);
    assert.equal(api.servers.get(502)!.status, "running");
    assert.equal(api.servers.get(502)!.server_type.name, "cx23");
    // The failed update left the old state: the retry (the next run) does the whole change.
    const s2 = await nextUp(api, (h) => h.up(cap.urn, { ...cap.inputs, serverType: "cx33", __provider: cap.provider }, s1));
    assert.equal(s2.outputs.appliedType, "cx33");
    assert.equal(api.servers.get(502)!.server_type.name, "cx33");
  });

  /** One cluster's steps (the same `cluster`), control plane first. */
  const clusterSteps = (cluster: string, servers: [number, "control-plane" | "worker"][]) =>
    Promise.all(
      servers.map(([id, role]) =>
        captureProvider(
          () =>
            new HcloudServerType(`s${id}-type`, { serverId: String(id), serverName: `server-${id}`, cluster, role, serverType: "cx23" }),
        ),
      ),
    );
  /** POSTs to these servers since `mark`, in the order the fake API received them, as "id:action". */
  const actions = (ids: number[], mark: number) =>
    api.requests
      .slice(mark)
      .filter((r) => r.method === "POST" && ids.some((id) => r.path.startsWith(`/servers/${id}/`)))
      .map((r) => `${r.path.split("/")[2]}:${r.path.split("/").pop()}`);

  test("creates run side by side (one read each); changes of one cluster run one at a time, control planes first, even when a worker's arrives first", async () => {
    const ids: [number, "control-plane" | "worker"][] = [
      [601, "control-plane"],
      [602, "worker"],
      [603, "worker"],
    ];
    for (const [id] of ids) api.addServer({ id, name: `server-${id}`, server_type: { name: "cx23" } });
    const caps = await clusterSteps("q1", ids);
    const mark0 = api.requests.length;
    const states = await Promise.all(caps.map((c) => host.up(c.urn, { ...c.inputs, __provider: c.provider })));
    assert.deepEqual(actions([601, 602, 603], mark0), [], "creates only read");
    await nextUp(api, async (h) => {
      const next = (i: number) => ({ ...caps[i].inputs, serverType: "cx33", __provider: caps[i].provider });
      // The engine diffs every step (registration order: control plane first) before the updates run.
      for (const i of [0, 1, 2]) await h.preview(caps[i].urn, next(i), states[i]);
      const mark = api.requests.length;
      const workers = [1, 2].map((i) => h.up(caps[i].urn, next(i), states[i]));
      await new Promise((r) => setTimeout(r, 150));
      await Promise.all([h.up(caps[0].urn, next(0), states[0]), ...workers]);
      const seq = actions([601, 602, 603], mark);
      // Each server's shutdown → change_type → poweron completes before the next server's shutdown starts.
      const servers = seq.filter((a) => a.endsWith(":shutdown")).map((a) => a.split(":")[0]);
      assert.equal(servers[0], "601", `control plane first: ${seq.join(" ")}`);
      const grouped = servers.flatMap((id) => seq.filter((a) => a.startsWith(`${id}:`)));
      assert.deepEqual(seq, grouped, `one server at a time: ${seq.join(" ")}`);
      for (const [id] of ids) assert.equal(api.servers.get(id)!.server_type.name, "cx33");
    });
  });

  test("the first failure stops the rest of the cluster's changes in that run: no other server is powered off, each says why", async () => {
    const ids: [number, "control-plane" | "worker"][] = [
      [611, "worker"],
      [612, "worker"],
      [613, "worker"],
    ];
    for (const [id] of ids) api.addServer({ id, name: `server-${id}`, server_type: { name: "cx23" } });
    const caps = await clusterSteps("q2", ids);
    const states = await Promise.all(caps.map((c) => host.up(c.urn, { ...c.inputs, __provider: c.provider })));
    await nextUp(api, async (h) => {
      const mark = api.requests.length;
      api.failNextAction("change_server_type", "server_error", "migration failed");
      const results = await Promise.allSettled(
        caps.map((c, i) => h.up(c.urn, { ...c.inputs, serverType: "cx33", __provider: c.provider }, states[i])),
      );
      const reasons = results.map((r) => (r.status === "rejected" ? String((r.reason as Error).message) : "ok"));
      const seq = actions([611, 612, 613], mark);
      assert.equal(seq.filter((a) => a.endsWith(":shutdown")).length, 1, seq.join(" "));
      assert.equal(
        reasons.filter((r) => /migration failed\. The server was powered on again/.test(r) && !/not started/.test(r)).length,
        1,
        reasons.join(" | "),
      );
      assert.equal(
        reasons.filter((r) =>
          /server-61\d: server change \(type or public network\) not started: the server change .* of server-61\d failed before it/.test(r),
        ).length,
        2,
        reasons.join(" | "),
      );
      for (const [id] of ids) assert.equal(api.servers.get(id)!.status, "running");
    });
  });

  test("a retry checks the power state, not only the type: a server left off (an earlier run died after the change) is powered on", async () => {
    api.addServer({ id: 503, name: "server-503", server_type: { name: "cx33" }, status: "off" });
    const cap = await step("503", "cx33");
    const mark = api.requests.length;
    const s = await host.up(cap.urn, { ...cap.inputs, __provider: cap.provider });
    assert.equal(s.outputs.appliedType, "cx33");
    assert.deepEqual(posts(503, mark), ["poweron"]);
    assert.equal(api.servers.get(503)!.status, "running");
    await host.waitForOutput(/server-503: the server is off, not running .*powering it on/);
  });

  test("refresh: a type changed in the console and a server stopped outside Pulumi are drift; the next update repairs both (type back, powered on)", async () => {
    api.addServer({ id: 504, name: "server-504", server_type: { name: "cx23" } });
    const cap = await step("504", "cx23");
    const s1 = await host.up(cap.urn, { ...cap.inputs, __provider: cap.provider });
    const clean = await refresh(host, cap.urn, s1);
    assert.equal(clean.outputs.drift, undefined);
    assert.equal((await host.preview(cap.urn, { ...cap.inputs, __provider: cap.provider }, clean)).op, "same");
    Object.assign(api.servers.get(504)!, { server_type: api.serverType("cx33"), primary_disk_size: 40, status: "off" });
    const drifted = await refresh(host, cap.urn, clean);
    assert.deepEqual(drifted.outputs.drift, { serverType: "cx33", status: "off" });
    assert.equal(drifted.outputs.appliedType, "cx33");
    assert.equal((await host.preview(cap.urn, { ...cap.inputs, __provider: cap.provider }, drifted)).op, "update");
    const mark = api.requests.length;
    const s2 = await host.up(cap.urn, { ...cap.inputs, __provider: cap.provider }, drifted);
    assert.equal(s2.outputs.drift, undefined);
    assert.deepEqual(posts(504, mark), ["change_type", "poweron"], "already off: no shutdown");
    assert.equal(api.servers.get(504)!.server_type.name, "cx23");
    assert.equal(api.servers.get(504)!.status, "running");
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
      const s2 = await nextUp(api, (h) => h.up(cap.urn, { ...cap.inputs, serverType: "cx33", __provider: cap.provider }, s1));
      assert.equal(s2.outputs.appliedType, "cx33");
      assert.ok(apid.callsOf("EtcdMemberList").length >= calls + 2);
      assert.equal(api.servers.get(401)!.server_type.name, "cx33");
    } finally {
      await host.close();
    }
  });
});

describe("Hetzner destroy cleanup through the dynamic-provider host", () => {
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

  test("destroy removes the autoscaler's servers and the CCM's load balancers on the cluster network and the CSI volumes by label; nothing else", async () => {
    const net = api.addNetwork({ name: "prod-network", ip_range: "10.0.0.0/16", subnet: "10.0.1.0/24" });
    const other = api.addNetwork({ name: "other-network", ip_range: "10.1.0.0/16" });
    const own = { "ksail.owned": "true", "ksail.cluster.name": "prod" };
    // Pulumi's own server and API load balancer: never touched here.
    api.addServer({
      id: 601,
      name: "prod-worker-1",
      labels: { ...own, "ksail.node.type": "worker" },
      private_net: [{ network: net.id, ip: "10.0.1.5" }],
    });
    const apiLb = api.addLoadBalancer({ name: "prod-api", labels: own, network: net.id });
    // Made by the autoscaler and the CCM on this cluster's network.
    api.addServer({
      id: 602,
      name: "burst-1a2b",
      labels: { "hcloud/node-group": "burst" },
      private_net: [{ network: net.id, ip: "10.0.1.9" }],
    });
    const ccmLb = api.addLoadBalancer({ name: "a1b2c3", labels: { "hcloud-ccm/service-uid": "u-1" }, network: net.id });
    // Another cluster's autoscaled server and load balancer.
    api.addServer({
      id: 603,
      name: "burst-ffff",
      labels: { "hcloud/node-group": "burst" },
      private_net: [{ network: other.id, ip: "10.1.0.9" }],
    });
    const otherLb = api.addLoadBalancer({ name: "d4e5", labels: { "hcloud-ccm/service-uid": "u-2" }, network: other.id });
    // CSI volumes: one attached to an autoscaled node, one free; a volume of someone else.
    const csi = { ...own, "ksail.volume": "csi" };
    const v1 = api.addVolume({ name: "pvc-1", labels: csi, server: 602 });
    const v2 = api.addVolume({ name: "pvc-2", labels: csi });
    const keep = api.addVolume({ name: "backup", labels: { "ksail.cluster.name": "prod" } });
    const cap = await captureProvider(
      () =>
        new HcloudCleanup("prod-infra-cleanup", {
          clusterName: "prod",
          networkId: String(net.id),
          volumeSelector: "ksail.owned=true,ksail.cluster.name=prod,ksail.volume=csi",
          ownSelector: "ksail.owned=true,ksail.cluster.name=prod",
        }),
    );
    assert.equal(cap.type, "pulumi-nodejs:dynamic/ksail:HcloudCleanup");
    assert.ok(!cap.provider.includes(TOKEN));
    const mark = api.requests.length;
    const s = await host.up(cap.urn, { ...cap.inputs, __provider: cap.provider });
    assert.deepEqual(api.requests.slice(mark), [], "creating the record calls nothing");
    // An in-place change (another token variable) runs no cleanup either.
    const s2 = await host.up(cap.urn, { ...cap.inputs, tokenEnvVar: "OTHER", __provider: cap.provider }, s);
    assert.equal(s2.op, "update");
    assert.deepEqual(api.mutations(), []);
    await host.destroy(cap.urn, s2);
    assert.deepEqual([...api.servers.keys()].sort(), [601, 603], "the autoscaled server of this network is gone");
    assert.deepEqual([...api.loadBalancers.keys()].sort(), [apiLb.id, otherLb.id].sort());
    assert.equal(api.loadBalancers.has(ccmLb.id), false);
    assert.deepEqual([...api.volumes.keys()], [keep.id]);
    assert.ok(
      api.mutations().includes(`POST /volumes/${v1.id}/actions/detach`) || !api.volumes.has(v1.id),
      "the attached volume was detached (or went with its server) before the delete",
    );
    assert.equal(api.volumes.has(v2.id), false);
    await host.waitForOutput(/HcloudCleanup prod: deleted server burst-1a2b .*load balancer a1b2c3 \(hcloud CCM\).*volume pvc-1 \(CSI\)/);
    // A second destroy (everything already gone) is fine.
    await host.destroy(cap.urn, s2);
  });

  test("only a new network (a recreated cluster) replaces the record, and the replacement runs the cleanup of the old network first", async () => {
    const old = api.addNetwork({ name: "c-network", ip_range: "10.0.0.0/16" });
    api.addServer({
      id: 611,
      name: "pool-1",
      labels: { "hcloud/node-group": "pool" },
      private_net: [{ network: old.id, ip: "10.0.1.20" }],
    });
    const cap = await captureProvider(() => new HcloudCleanup("c-infra-cleanup", { clusterName: "c", networkId: String(old.id) }));
    const s = await host.up(cap.urn, { ...cap.inputs, __provider: cap.provider });
    const p = await host.preview(cap.urn, { ...cap.inputs, networkId: UNKNOWN, __provider: cap.provider }, s);
    assert.equal(p.op, "replace");
    const s2 = await host.up(cap.urn, { ...cap.inputs, networkId: "999999", __provider: cap.provider }, s);
    assert.equal(s2.op, "replace");
    assert.equal(api.servers.has(611), false);
  });
});
