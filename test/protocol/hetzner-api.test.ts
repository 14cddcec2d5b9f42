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
      /HTTP 409 server_not_stopped/,
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
