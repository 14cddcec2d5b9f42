// L0 + L3: the Hetzner REST client — rate-limit delays from Retry-After / RateLimit-Reset, and real HTTP
// against the local fake: bearer token, 429/5xx retries up to the attempt limit, no retry of 4xx, action
// polling to success, a failed action and a wait timeout as clear errors.
import { after, before, describe, test } from "node:test";
import * as assert from "node:assert/strict";
import { HcloudApiError, HcloudClient, rateLimitDelayMs, resolveHcloudCredentials } from "../../sdk/clients/hetzner";
import { FakeHcloudApi } from "../fakes/hcloud-api";

const headers = (h: Record<string, string>) => ({ get: (k: string) => h[k.toLowerCase()] ?? null });

describe("rateLimitDelayMs", () => {
  test("Retry-After seconds win; else RateLimit-Reset (epoch seconds) minus now; else undefined", () => {
    assert.equal(rateLimitDelayMs(headers({ "retry-after": "3", "ratelimit-reset": "2000" }), 1_000_000), 3000);
    assert.equal(rateLimitDelayMs(headers({ "ratelimit-reset": "1005" }), 1_000_000), 5000);
    assert.equal(rateLimitDelayMs(headers({ "ratelimit-reset": "900" }), 1_000_000), 0);
    assert.equal(rateLimitDelayMs(headers({}), 1_000_000), undefined);
  });
});

describe("resolveHcloudCredentials", () => {
  test("stack config first, then the named env var, then HCLOUD_TOKEN; endpoint from hcloud:endpoint", () => {
    const cfg = (m: Record<string, string>) => ({ get: (k: string) => m[k] });
    const saved = { ...process.env };
    try {
      process.env.MY_TOKEN = "from-env";
      process.env.HCLOUD_TOKEN = "from-default-env";
      delete process.env.HCLOUD_ENDPOINT;
      assert.deepEqual(
        resolveHcloudCredentials(cfg({ "hcloud:token": "from-config", "hcloud:endpoint": "http://127.0.0.1:1/v1" }), "MY_TOKEN"),
        {
          token: "from-config",
          baseUrl: "http://127.0.0.1:1/v1",
        },
      );
      assert.equal(resolveHcloudCredentials(cfg({}), "MY_TOKEN").token, "from-env");
      assert.equal(resolveHcloudCredentials(undefined, "UNSET_VAR").token, "from-default-env");
      assert.equal(resolveHcloudCredentials(undefined, undefined).baseUrl, "https://api.hetzner.cloud/v1");
      delete process.env.HCLOUD_TOKEN;
      assert.throws(() => resolveHcloudCredentials(cfg({}), "UNSET_VAR"), /export UNSET_VAR/);
    } finally {
      process.env = saved;
    }
  });
});

describe("HcloudClient against the local fake", () => {
  const TOKEN = "client-test-token";
  let api: FakeHcloudApi;
  const logs: string[] = [];
  let client: HcloudClient;
  before(async () => {
    api = await FakeHcloudApi.start(TOKEN);
    client = new HcloudClient({ token: TOKEN, baseUrl: api.url, backoffMs: 5, pollMs: 5, maxAttempts: 3, log: (m) => logs.push(m) });
  });
  after(async () => api?.stop());

  test("5xx and 429 are retried up to maxAttempts, then the API error is thrown with status and code", async () => {
    api.addServer({ id: 1, name: "a" });
    api.failNext(2, 500);
    assert.equal((await client.getServer(1))!.name, "a");
    assert.equal(logs.filter((l) => l.includes("HTTP 500")).length, 2);
    api.failNext(3, 429, { "RateLimit-Reset": "0" });
    await assert.rejects(
      client.getServer(1),
      (e: unknown) => e instanceof HcloudApiError && e.status === 429 && e.code === "rate_limit_exceeded",
    );
  });

  test("4xx is not retried; 404 of a server reads as gone; a wrong token is a 401", async () => {
    const before = api.requests.length;
    assert.equal(await client.getServer(42), undefined);
    assert.equal(api.requests.length, before + 1);
    const bad = new HcloudClient({ token: "wrong", baseUrl: api.url, backoffMs: 5 });
    await assert.rejects(bad.getServer(1), /HTTP 401 unauthorized: unable to authenticate/);
    await assert.rejects(
      client.serverAction(1, "change_type", { server_type: "cx33", upgrade_disk: false }),
      /HTTP 422 server_not_stopped/,
    );
  });

  test("actions are polled until success; a failed action and a timeout are errors naming the action", async () => {
    api.actionPolls = 3;
    const a = await client.serverAction(1, "poweroff");
    assert.equal(a.status, "success");
    assert.equal(a.command, "stop_server");
    assert.equal(api.servers.get(1)!.status, "off");
    await assert.rejects(
      client.waitAction({ id: 7, command: "change_server_type", status: "error", error: { code: "server_error", message: "boom" } }),
      /action 7 \(change_server_type\) failed: boom/,
    );
    await assert.rejects(client.waitServerStatus(1, "running", 30), /server a is "off", not "running", after 0\.03 s/);
    api.actionPolls = 1;
  });

  test("a network error is retried and then reported with the path", async () => {
    const dead = new HcloudClient({ token: TOKEN, baseUrl: "http://127.0.0.1:1/v1", backoffMs: 5, maxAttempts: 2, log: () => {} });
    await assert.rejects(dead.getServer(1), /GET \/servers\/1: fetch failed/);
  });
});

// The fake's rules, each from the Hetzner Cloud API reference (docs.hetzner.cloud, cloud.spec.json) or the hcloud
// Terraform provider's docs, exercised over real HTTP so that the dynamic resources' tests run against them.
describe("Hetzner API fake: the real API's rules", () => {
  const TOKEN = "rules-test-token";
  let api: FakeHcloudApi;
  let client: HcloudClient;
  before(async () => {
    api = await FakeHcloudApi.start(TOKEN);
    client = new HcloudClient({ token: TOKEN, baseUrl: api.url, backoffMs: 5, pollMs: 5, maxAttempts: 2, log: () => {} });
  });
  after(async () => api?.stop());

  const changeType = (id: number, to: string, upgradeDisk = false) =>
    client.serverAction(id, "change_type", { server_type: to, upgrade_disk: upgradeDisk });

  test("change_type (cloud.spec.json 'Change the Type of a Server'): off only; same architecture; a disk at least the server's; not deprecated; available in the location — else 422 invalid_server_type", async () => {
    api.addServer({ id: 10, name: "s", server_type: { name: "cx33" }, status: "off" });
    await assert.rejects(changeType(10, "cax21"), /HTTP 422 invalid_server_type: server type cax21 \(arm\) does not fit a x86 server/);
    await assert.rejects(
      changeType(10, "cx23"),
      /HTTP 422 invalid_server_type: server type cx23 has a 40 GB disk, smaller than the server's 80 GB/,
    );
    await assert.rejects(changeType(10, "cx22"), /HTTP 422 invalid_server_type: server type cx22 is deprecated/);
    api.setAvailability("cx43", "fsn1", false);
    await assert.rejects(changeType(10, "cx43"), /HTTP 422 invalid_server_type: server type cx43 is not available in fsn1/);
    api.setAvailability("cx43", "fsn1", true);
    await assert.rejects(changeType(10, "nope1"), /HTTP 404 not_found/);
    // Keeping the disk lets the type go back down; upgrading it does not.
    await changeType(10, "cx43");
    assert.equal(api.servers.get(10)!.primary_disk_size, 80);
    await changeType(10, "cx33");
    await changeType(10, "cx43", true);
    assert.equal(api.servers.get(10)!.primary_disk_size, 160);
    await assert.rejects(changeType(10, "cx33"), /smaller than the server's 160 GB/);
  });

  test("server types: by name, with architecture, disk and per-location availability (hcloud-go hcloud/schema/server_type.go)", async () => {
    const t = await client.getServerType("cax11");
    assert.equal(t?.architecture, "arm");
    assert.equal(t?.disk, 40);
    assert.deepEqual(
      t?.locations?.filter((l) => l.available).map((l) => l.name),
      ["fsn1", "nbg1", "hel1"],
    );
    assert.equal(await client.getServerType("nope1"), undefined);
  });

  test("lists by label selector (k=v, k!=v, k, !k), delete protection (403 protected), attached volumes cannot be deleted", async () => {
    api.addServer({ id: 20, name: "as-1", labels: { "hcloud/node-group": "burst" } });
    api.addServer({ id: 21, name: "mine", labels: { "ksail.cluster.name": "c" }, protection: { delete: true, rebuild: true } });
    const names = async (sel: string) => (await client.list<{ name: string }>("servers", sel)).map((x) => x.name).sort();
    assert.deepEqual(await names("hcloud/node-group"), ["as-1"]);
    assert.deepEqual(await names("hcloud/node-group=burst"), ["as-1"]);
    assert.deepEqual(await names("ksail.cluster.name=c,!hcloud/node-group"), ["mine"]);
    assert.ok((await names("hcloud/node-group!=burst")).includes("mine"));
    await assert.rejects(client.remove("/servers/21"), /HTTP 403 protected/);
    await client.remove("/servers/20");
    assert.equal(api.servers.has(20), false);
    await client.remove("/servers/20"); // already gone: fine
    const v = api.addVolume({ name: "pvc-1", labels: { "ksail.cluster.name": "c" }, server: 21 });
    await assert.rejects(client.remove(`/volumes/${v.id}`), /HTTP 422 volume_already_attached/);
  });

  test("load balancers need a location or a network zone (terraform-provider-hcloud docs/resources/load_balancer.md)", async () => {
    await assert.rejects(
      client.request("POST", "/load_balancers", { name: "lb", load_balancer_type: "lb11" }),
      /HTTP 400 invalid_input: .*'location' or 'network_zone'/,
    );
    const r = await client.request<{ load_balancer: { location: { name: string } } }>("POST", "/load_balancers", {
      name: "lb",
      load_balancer_type: "lb11",
      network_zone: "eu-central",
    });
    assert.equal(r.load_balancer.location.name, "fsn1");
  });

  test("network routes: the destination is a subnet of the network's ip_range, overlapping no subnet; the gateway is not reserved (docs/resources/network_route.md)", async () => {
    const n = api.addNetwork({ name: "c-network", ip_range: "10.0.0.0/16", subnet: "10.0.1.0/24" });
    const route = (destination: string, gateway: string) =>
      client.request<{ action: { id: number; command: string; status: "running" } }>("POST", `/networks/${n.id}/actions/add_route`, {
        destination,
        gateway,
      });
    await assert.rejects(
      route("10.244.0.0/16", "10.0.1.2"),
      /HTTP 400 invalid_input: destination 10\.244\.0\.0\/16 is not a subnet of the network's ip_range 10\.0\.0\.0\/16/,
    );
    await assert.rejects(route("10.0.1.0/25", "10.0.1.2"), /overlaps a subnet/);
    await assert.rejects(route("10.0.64.0/18", "10.0.0.1"), /gateway 10\.0\.0\.1 is reserved/);
    await client.waitAction((await route("10.0.64.0/18", "10.0.1.2")).action);
    assert.deepEqual(api.networks.get(n.id)!.routes, [{ destination: "10.0.64.0/18", gateway: "10.0.1.2" }]);
  });
});
