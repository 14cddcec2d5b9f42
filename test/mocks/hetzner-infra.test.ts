// L1: HetznerClusterInfra under mocks — every hcloud resource and option for a 1+0, a 3+3 with pools (load
// balancer), an ISO and a snapshot layout; what adding a worker, an SSH key, a location and a server-type
// change do to the recorded graph; and no secret (token, machine config) in any plain value.
import { describe, test } from "node:test";
import * as assert from "node:assert/strict";
import * as crypto from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import { recordProgram, allPlainStrings, settle, type Recording, type RecordedResource } from "../harness/mocks";
import { HetznerClusterInfra, type HetznerClusterInfraArgs } from "../../sdk/infra/hetzner/infra";
import { hetznerNodes, type HetznerNodes } from "../../sdk/infra/hetzner/nodes";
import { planHetznerCluster, type HetznerPlanInput } from "../../sdk/plan/hetzner";
import { hetznerPlanInputFromSpec } from "../../sdk/plan/hetznerInput";
import { recreateTrigger } from "../../sdk/impact/recreate";
import { parseSpec } from "../../sdk/config/parse";
import { effective } from "../../sdk/config/effective";
import type { Spec } from "../../sdk/config/model";

const T = {
  server: "hcloud:index/server:Server",
  network: "hcloud:index/network:Network",
  subnet: "hcloud:index/networkSubnet:NetworkSubnet",
  firewall: "hcloud:index/firewall:Firewall",
  placement: "hcloud:index/placementGroup:PlacementGroup",
  primaryIp: "hcloud:index/primaryIp:PrimaryIp",
  floatingIp: "hcloud:index/floatingIp:FloatingIp",
  fipAssign: "hcloud:index/floatingIpAssignment:FloatingIpAssignment",
  lb: "hcloud:index/loadBalancer:LoadBalancer",
  lbNet: "hcloud:index/loadBalancerNetwork:LoadBalancerNetwork",
  lbSvc: "hcloud:index/loadBalancerService:LoadBalancerService",
  lbTarget: "hcloud:index/loadBalancerTarget:LoadBalancerTarget",
  serverType: "pulumi-nodejs:dynamic/ksail:HcloudServerType",
  isoDetach: "pulumi-nodejs:dynamic/ksail:HcloudIsoDetach",
  provider: "pulumi:providers:hcloud",
};
const TOKEN = "hcloud-token-0123456789abcdef0123456789abcdef0123456789abcdef0123";
const TRIGGER = "trigger-1";

/** Numeric ids like Hetzner's (the component converts ids to numbers for hcloud references). */
const idOf = (name: string) => String((crypto.createHash("sha256").update(name).digest().readUInt32BE(0) % 9_000_000) + 1_000_000);

/** Component args, plus the node stage's (machine configs, the health gate's talosconfig). */
type Extra = Partial<HetznerClusterInfraArgs> & {
  machineConfigs?: Record<string, pulumi.Input<string>>;
  health?: { talosconfig: pulumi.Input<string> };
};

async function record(
  input: HetznerPlanInput,
  extra: Extra = {},
  opts: { preview?: boolean } = {},
): Promise<{ rec: Recording; outputs: Record<string, unknown>; nodes: HetznerNodes }> {
  let infra: HetznerClusterInfra | undefined;
  let nodes: HetznerNodes | undefined;
  const rec = await recordProgram(
    () => {
      const { machineConfigs, health, ...args } = extra;
      infra = new HetznerClusterInfra("prod", { plan: planHetznerCluster(input), recreateTrigger: TRIGGER, ...args });
      nodes = hetznerNodes(infra, { machineConfigs, talosconfig: health ? pulumi.secret(health.talosconfig) : undefined });
    },
    {
      preview: opts.preview,
      state: (a) => {
        const outputs: Record<string, unknown> = {};
        if (a.type === T.primaryIp) outputs.ipAddress = "203.0.113.10";
        if (a.type === T.floatingIp) outputs.ipAddress = "203.0.113.20";
        if (a.type === T.lb) Object.assign(outputs, { ipv4: "203.0.113.30", ipv6: "2001:db8::30" });
        if (a.type === T.server) {
          const n = Number(idOf(a.name)) % 200;
          const net = (a.inputs.publicNets as { ipv4Enabled?: boolean; ipv6Enabled?: boolean }[] | undefined)?.[0] ?? {};
          Object.assign(outputs, {
            ipv4Address: net.ipv4Enabled === false ? "" : `198.51.100.${n}`,
            ipv6Address: net.ipv6Enabled === false ? "" : `2001:db8:1::${n}`,
            networks: [{ networkId: 1, ip: `10.0.1.${n}` }],
          });
        }
        return { id: a.type.startsWith("pulumi:providers:") ? undefined : idOf(a.name), outputs };
      },
      call: (a) => {
        if (a.token === "hcloud:index/getImage:getImage") return { id: 424242, name: "talos", ...a.inputs };
        throw new Error(`unexpected invoke ${a.token}`);
      },
    },
  );
  const outputs: Record<string, unknown> = {};
  for (const [k, o] of Object.entries({
    imageId: nodes!.imageId,
    apiEndpoint: infra!.apiEndpoint,
    certSANs: infra!.certSANs,
    talosEndpoint: infra!.talosEndpoint,
    vip: infra!.vip,
    nodes: nodes!.nodes,
  })) {
    outputs[k] = (await settle(o as pulumi.Output<unknown>)).value;
  }
  return { rec, outputs, nodes: nodes! };
}

const names = (rec: Recording) => rec.resources.map((r) => r.name);
const strip = (r: RecordedResource) => ({
  type: r.type,
  inputs: r.inputs,
  secretInputs: r.secretInputs,
  options: { ...r.options, dependencies: undefined, propertyDependencies: undefined },
});

describe("HetznerClusterInfra layouts", () => {
  test("1+0 ISO (KSail defaults): network, cloud subnet, firewall, one spread group, reserved endpoint IP, one server, its resize step", async () => {
    const { rec, outputs } = await record({ clusterName: "prod", controlPlanes: 1, workers: 0 });
    assert.deepEqual(names(rec), [
      "prod",
      "prod-network",
      "prod-subnet",
      "prod-firewall",
      "prod-firewall-worker",
      "prod-placement-control-plane",
      "prod-control-plane-1-ipv4",
      "prod-control-plane-1",
      "prod-control-plane-1-type",
      "prod-control-plane-1-iso-detach",
    ]);
    const labels = { "ksail.owned": "true", "ksail.cluster.name": "prod" };
    assert.equal(rec.byName("prod").type, "ksail:providers:HetznerClusterInfra");
    assert.deepEqual(rec.byName("prod-network").inputs, { name: "prod-network", ipRange: "10.0.0.0/16", labels });
    assert.deepEqual(rec.byName("prod-subnet").inputs, {
      networkId: Number(idOf("prod-network")),
      type: "cloud",
      networkZone: "eu-central",
      ipRange: "10.0.1.0/24",
    });
    assert.deepEqual(
      rec
        .byName("prod-firewall")
        .inputs.rules.map((r: { port?: string; protocol: string; sourceIps: string[] }) => [r.protocol, r.port, r.sourceIps]),
      [
        ["tcp", "50000", ["0.0.0.0/0", "::/0"]],
        ["tcp", "6443", ["0.0.0.0/0", "::/0"]],
        ["icmp", undefined, ["0.0.0.0/0", "::/0"]],
      ],
    );
    assert.deepEqual(rec.byName("prod-placement-control-plane").inputs, { name: "prod-placement-control-plane", type: "spread", labels });
    assert.deepEqual(rec.byName("prod-control-plane-1-ipv4").inputs, {
      name: "prod-control-plane-1-ipv4",
      type: "ipv4",
      assigneeType: "server",
      location: "fsn1",
      autoDelete: false,
      labels,
    });
    const server = rec.byName("prod-control-plane-1");
    assert.equal(server.type, T.server);
    assert.deepEqual(server.inputs, {
      name: "prod-control-plane-1",
      serverType: "cx23",
      location: "fsn1",
      image: "debian-13",
      iso: "125127",
      labels: { ...labels, "ksail.node.type": "control-plane", "ksail.node.index": "1" },
      networks: [{ networkId: Number(idOf("prod-network")) }],
      firewallIds: [Number(idOf("prod-firewall"))],
      placementGroupId: Number(idOf("prod-placement-control-plane")),
      publicNets: [{ ipv4Enabled: true, ipv6Enabled: true, ipv4: Number(idOf("prod-control-plane-1-ipv4")) }],
      sshKeys: [],
      keepDisk: true,
      shutdownBeforeDeletion: true,
    });
    assert.deepEqual(server.options.ignoreChanges.sort(), ["image", "iso", "location", "publicNets", "serverType", "sshKeys", "userData"]);
    assert.deepEqual(server.options.dependsOn, ["prod-subnet"]);
    for (const r of rec.resources.filter((x) => x.custom)) {
      assert.equal(r.parent, "prod", r.name);
      assert.equal(r.options.replacementTrigger, TRIGGER, `${r.name} carries the recreate trigger`);
      assert.equal(r.options.deleteBeforeReplace, true, r.name);
    }
    const step = rec.byName("prod-control-plane-1-type");
    assert.equal(step.type, T.serverType);
    assert.equal(step.inputs.serverId, idOf("prod-control-plane-1"));
    assert.equal(step.inputs.serverType, "cx23");
    assert.equal(step.inputs.role, "control-plane");
    assert.equal(step.inputs.publicIPv4, true);
    assert.equal(step.inputs.publicIPv6, true);
    assert.equal(step.inputs.tokenEnvVar, "HCLOUD_TOKEN");
    assert.deepEqual(step.options.dependsOn, []);
    assert.equal(outputs.apiEndpoint, "https://203.0.113.10:6443");
    assert.deepEqual(outputs.certSANs, ["203.0.113.10"]);
    const n = Number(idOf("prod-control-plane-1")) % 200;
    assert.equal(outputs.talosEndpoint, "203.0.113.10:50000");
    assert.deepEqual(outputs.nodes, [
      { name: "prod-control-plane-1", role: "control-plane", publicAddress: `198.51.100.${n}`, privateAddress: `10.0.1.${n}` },
    ]);
    assert.equal(outputs.vip, undefined);
  });

  test("3+3 with autoscaler pools from ksail.yaml, load-balancer endpoint: LB on 6443 and 50000 with private label-selector targets", async () => {
    const spec = parseSpec(
      {
        cluster: {
          distribution: "Talos",
          provider: "Hetzner",
          controlPlanes: 3,
          workers: 3,
          talos: { version: "1.12.4", schematicId: "376567988ad370138ad8b2698212367b8edcb69b5fd68c80be1f2ec7d603b4ba" },
          autoscaler: { node: { enabled: true, pools: [{ name: "pool-a", serverType: "cx33", location: "fsn1", min: 0, max: 3 }] } },
        },
        provider: { hetzner: { workerServerType: "cx33", sshKeyName: "ops", allowedCidrs: ["198.51.100.0/24"] } },
      },
      { name: "prod" },
    ).spec;
    const input = hetznerPlanInputFromSpec("prod", effective(spec, { name: "prod" }), { endpointMode: "load-balancer" });
    const configs = Object.fromEntries(planHetznerCluster(input).nodes.map((n) => [n.name, pulumi.secret(`machine config of ${n.name}`)]));
    const { rec, outputs } = await record(input, { machineConfigs: configs });
    assert.deepEqual(
      names(rec).filter((n) => !/(control-plane|worker)-\d/.test(n)),
      [
        "prod",
        "prod-network",
        "prod-subnet",
        "prod-firewall",
        "prod-firewall-worker",
        "prod-placement-control-plane",
        "prod-placement-worker",
        "prod-api",
        "prod-api-network",
        "prod-api-kubernetes",
        "prod-api-talos",
        "prod-api-targets",
      ],
    );
    assert.equal(rec.byType(T.server).length, 6);
    assert.equal(rec.byType(T.serverType).length, 6);
    // Control plane 1 keeps a reserved IPv4 in every endpoint mode (switching modes never touches a server).
    assert.deepEqual(
      rec.byType(T.primaryIp).map((p) => p.name),
      ["prod-control-plane-1-ipv4"],
    );
    assert.equal(rec.byName("prod-control-plane-1").inputs.publicNets[0].ipv4, Number(idOf("prod-control-plane-1-ipv4")));
    // Each role behind its own firewall: the workers' opens nothing but ICMP (their apid is reached through a control plane).
    assert.deepEqual(rec.byName("prod-control-plane-2").inputs.firewallIds, [Number(idOf("prod-firewall"))]);
    assert.deepEqual(rec.byName("prod-worker-2").inputs.firewallIds, [Number(idOf("prod-firewall-worker"))]);
    assert.deepEqual(
      rec.byName("prod-firewall-worker").inputs.rules.map((r: { protocol: string }) => r.protocol),
      ["icmp"],
    );
    assert.equal(outputs.imageId, "424242");
    assert.deepEqual(rec.byName("prod-api").inputs, {
      name: "prod-api",
      loadBalancerType: "lb11",
      location: "fsn1",
      labels: { "ksail.owned": "true", "ksail.cluster.name": "prod" },
    });
    assert.deepEqual(rec.byName("prod-api-network").inputs, { loadBalancerId: Number(idOf("prod-api")), subnetId: idOf("prod-subnet") });
    for (const [svc, port] of [
      ["prod-api-kubernetes", 6443],
      ["prod-api-talos", 50000],
    ] as const) {
      assert.deepEqual(rec.byName(svc).inputs, {
        loadBalancerId: idOf("prod-api"),
        protocol: "tcp",
        listenPort: port,
        destinationPort: port,
        healthCheck: { protocol: "tcp", port, interval: 10, timeout: 5, retries: 3 },
      });
    }
    const target = rec.byName("prod-api-targets");
    assert.deepEqual(target.inputs, {
      loadBalancerId: Number(idOf("prod-api")),
      type: "label_selector",
      labelSelector: "ksail.cluster.name=prod,ksail.node.type=control-plane",
      usePrivateIp: true,
    });
    assert.deepEqual(target.options.dependsOn, ["prod-api-network"]);
    // The snapshot route (schematic set): image from the label selector, config as secret user_data.
    assert.deepEqual(
      rec.invokes.map((i) => [i.token, i.inputs.withSelector, i.inputs.mostRecent, i.inputs.withArchitecture]),
      [
        [
          "hcloud:index/getImage:getImage",
          "ksail.io/talos-version=v1.12.4,ksail.io/talos-schematic=376567988ad370138ad8b2698212367b8edcb69b5fd68c80be1f2ec7d603b4b",
          true,
          "x86",
        ],
      ],
    );
    const w3 = rec.byName("prod-worker-3");
    assert.equal(w3.inputs.image, "424242");
    assert.equal(w3.inputs.iso, undefined);
    assert.equal(w3.inputs.serverType, "cx33");
    assert.deepEqual(w3.inputs.sshKeys, ["ops"]);
    assert.equal(w3.inputs.userData, "machine config of prod-worker-3");
    assert.ok(w3.secretInputs.includes("userData"));
    assert.equal(w3.inputs.placementGroupId, Number(idOf("prod-placement-worker")));
    assert.deepEqual(w3.inputs.publicNets, [{ ipv4Enabled: true, ipv6Enabled: true }]);
    assert.equal(outputs.apiEndpoint, "https://203.0.113.30:6443");
    assert.deepEqual(outputs.certSANs, ["203.0.113.30", "203.0.113.10", "2001:db8::30"]);
    assert.equal(outputs.talosEndpoint, "203.0.113.30:50000");
  });

  test("floating-ip endpoint: the IP exists before the servers, is first assigned to control plane 1, then moved by the Talos VIP", async () => {
    const firstCp = (await record({ clusterName: "prod", controlPlanes: 3, workers: 0 })).rec;
    const { rec, outputs } = await record({
      clusterName: "prod",
      controlPlanes: 3,
      workers: 0,
      floatingIPEnabled: true,
      floatingIPLocation: "nbg1",
    });
    assert.deepEqual(rec.byName("prod-floating-ip").inputs, {
      name: "prod-floating-ip",
      type: "ipv4",
      homeLocation: "nbg1",
      labels: { "ksail.owned": "true", "ksail.cluster.name": "prod" },
    });
    const a = rec.byName("prod-floating-ip-assignment");
    assert.equal(a.type, T.fipAssign);
    assert.deepEqual(a.inputs, { floatingIpId: Number(idOf("prod-floating-ip")), serverId: Number(idOf("prod-control-plane-1")) });
    assert.deepEqual(a.options.ignoreChanges, ["serverId"]);
    assert.equal(outputs.vip, "203.0.113.20");
    assert.equal(outputs.apiEndpoint, "https://203.0.113.20:6443");
    assert.deepEqual(outputs.certSANs, ["203.0.113.20", "203.0.113.10"]);
    assert.equal(outputs.talosEndpoint, "203.0.113.10:50000", "talosctl goes to control plane 1, not the VIP");
    assert.deepEqual(
      rec.byType(T.server).map((s) => s.inputs.publicNets[0].ipv4),
      [Number(idOf("prod-control-plane-1-ipv4")), undefined, undefined],
    );
    assert.equal(outputs.imageId, undefined);
    // Turning the floating IP on (impact table: in place) adds the IP and its assignment; no server changes.
    assert.deepEqual(
      names(rec).filter((n) => !names(firstCp).includes(n)),
      ["prod-floating-ip", "prod-floating-ip-assignment"],
    );
    for (const r of firstCp.resources) assert.deepEqual(strip(rec.byName(r.name)), strip(r), `${r.name} unchanged`);
  });

  test("floating-ip endpoint without public IPv4 on control planes: no reserved address, talosconfig on the floating IP", async () => {
    const { rec, outputs } = await record({
      clusterName: "prod",
      controlPlanes: 3,
      workers: 0,
      floatingIPEnabled: true,
      controlPlanePublicIPv4: false,
    });
    assert.deepEqual(rec.byType(T.primaryIp), []);
    assert.equal(outputs.talosEndpoint, "203.0.113.20:50000");
    assert.deepEqual(outputs.certSANs, ["203.0.113.20"]);
    assert.deepEqual(rec.byName("prod-control-plane-1").inputs.publicNets, [{ ipv4Enabled: false, ipv6Enabled: true }]);
  });

  test("ISO route: one ISO detach per server, right after its server (before any install), probing its own address, the token read at run time", async () => {
    const { rec, nodes } = await record({ clusterName: "prod", controlPlanes: 1, workers: 1 }, { tokenEnvVar: "MY_HCLOUD" });
    const detaches = rec.byType(T.isoDetach);
    const n = (x: string) => Number(idOf(x)) % 200;
    assert.deepEqual(
      detaches.map((d) => [
        d.name,
        d.inputs.serverId,
        d.inputs.serverName,
        d.inputs.reboot,
        d.inputs.probe,
        d.inputs.tokenEnvVar,
        d.options.dependsOn,
      ]),
      [
        [
          "prod-control-plane-1-iso-detach",
          idOf("prod-control-plane-1"),
          "prod-control-plane-1",
          false,
          `198.51.100.${n("prod-control-plane-1")}:50000`,
          "MY_HCLOUD",
          ["prod-control-plane-1"],
        ],
        [
          "prod-worker-1-iso-detach",
          idOf("prod-worker-1"),
          "prod-worker-1",
          false,
          `198.51.100.${n("prod-worker-1")}:50000`,
          "MY_HCLOUD",
          ["prod-worker-1"],
        ],
      ],
    );
    for (const d of detaches) {
      assert.equal(d.options.replacementTrigger, TRIGGER);
      assert.equal(d.options.provider, undefined);
    }
    // Each machine waits for its server's detach: no install starts while an ISO is attached.
    assert.deepEqual(
      nodes.targets.map((t) => t.dependsOn.length),
      [2, 2],
    );
    assert.equal(nodes.targets[1].dependsOn[1], nodes.isoDetaches["prod-worker-1"]);
  });

  test("snapshot route without a config for every node is a clear error", async () => {
    await assert.rejects(
      record(
        { clusterName: "prod", controlPlanes: 1, workers: 1, snapshot: { id: 7 } },
        { machineConfigs: { "prod-control-plane-1": "x" } },
      ),
      /missing: prod-worker-1/,
    );
  });
});

describe("HetznerClusterInfra changes", () => {
  test("adding a worker adds one server and its resize step and changes nothing else", async () => {
    const before = (await record({ clusterName: "prod", controlPlanes: 3, workers: 2 })).rec;
    const after = (await record({ clusterName: "prod", controlPlanes: 3, workers: 3 })).rec;
    const added = names(after).filter((n) => !names(before).includes(n));
    assert.deepEqual(added, ["prod-worker-3", "prod-worker-3-type", "prod-worker-3-iso-detach"]);
    assert.deepEqual(
      names(before).filter((n) => !names(after).includes(n)),
      [],
    );
    for (const r of before.resources) assert.deepEqual(strip(after.byName(r.name)), strip(r), `${r.name} unchanged`);
    assert.deepEqual(after.byName("prod-worker-3-type").options.dependsOn, []);
    assert.equal(after.byName("prod-worker-3-type").inputs.cluster, "prod");
  });

  test("an SSH key change only touches the ignored sshKeys of servers: nothing is replaced or updated", async () => {
    const before = (await record({ clusterName: "prod", controlPlanes: 1, workers: 1 })).rec;
    const after = (await record({ clusterName: "prod", controlPlanes: 1, workers: 1, sshKeyName: "new-key" })).rec;
    assert.deepEqual(names(after), names(before));
    for (const r of before.resources) {
      const a = after.byName(r.name);
      if (r.type === T.server) {
        assert.deepEqual(a.inputs.sshKeys, ["new-key"]);
        assert.ok(a.options.ignoreChanges.includes("sshKeys"), `${r.name} ignores sshKeys`);
        assert.deepEqual({ ...a.inputs, sshKeys: [] }, r.inputs);
      } else assert.deepEqual(strip(a), strip(r), `${r.name} unchanged`);
      assert.equal(a.options.replacementTrigger, r.options.replacementTrigger);
    }
  });

  test("a location change changes every resource's replacementTrigger (recreate-required)", async () => {
    const specAt = (location: string): Spec =>
      parseSpec(
        { cluster: { distribution: "Talos", provider: "Hetzner", controlPlanes: 3, workers: 1 }, provider: { hetzner: { location } } },
        { name: "prod" },
      ).spec;
    const run = async (location: string) => {
      const spec = specAt(location);
      return (await record(hetznerPlanInputFromSpec("prod", effective(spec, { name: "prod" })), { recreateTrigger: recreateTrigger(spec) }))
        .rec;
    };
    const before = await run("fsn1");
    const after = await run("nbg1");
    const custom = before.resources.filter((r) => r.custom);
    assert.ok(custom.length >= 12);
    for (const r of custom) {
      const a = after.byName(r.name);
      assert.equal(typeof r.options.replacementTrigger, "string", r.name);
      assert.notEqual(a.options.replacementTrigger, r.options.replacementTrigger, `${r.name} is replaced`);
    }
    for (const s of after.byType(T.server)) assert.equal(s.inputs.location, "nbg1");
  });

  test("spread control planes: each server in its planned location with its location's group; turning it on moves no running server", async () => {
    const input = { clusterName: "prod", controlPlanes: 3, workers: 1 };
    const flat = (await record(input)).rec;
    const spread = (await record({ ...input, spreadControlPlanes: true })).rec;
    assert.deepEqual(
      spread.byType(T.server).map((s) => [s.name, s.inputs.location, s.inputs.placementGroupId ?? null]),
      [
        ["prod-control-plane-1", "fsn1", null],
        ["prod-control-plane-2", "nbg1", null],
        ["prod-control-plane-3", "hel1", null],
        ["prod-worker-1", "fsn1", Number(idOf("prod-placement-worker"))],
      ],
    );
    assert.deepEqual(
      spread.byType("hcloud:index/placementGroup:PlacementGroup").map((g) => g.inputs.name),
      ["prod-placement-worker"],
    );
    // The servers' location is create-time only, and the trigger is the same: an existing cluster keeps its servers.
    for (const s of spread.byType(T.server)) {
      assert.ok(s.options.ignoreChanges.includes("location"), s.name);
      assert.equal(s.options.replacementTrigger, flat.byName(s.name).options.replacementTrigger);
    }
  });

  test("a server-type change is carried by the resize steps (one per server, no create-time chain, one cluster queue); servers ignore it", async () => {
    const before = (await record({ clusterName: "prod", controlPlanes: 3, workers: 2 })).rec;
    const after = (
      await record({ clusterName: "prod", controlPlanes: 3, workers: 2, controlPlaneServerType: "cx33", workerServerType: "cx43" })
    ).rec;
    const steps = after.byType(T.serverType);
    for (const st of steps) assert.equal(st.inputs.cluster, "prod", `${st.name} shares the cluster's queue`);
    assert.deepEqual(
      steps.map((s) => [s.name, s.inputs.serverType, s.options.dependsOn]),
      [
        ["prod-control-plane-1-type", "cx33", []],
        ["prod-control-plane-2-type", "cx33", []],
        ["prod-control-plane-3-type", "cx33", []],
        ["prod-worker-1-type", "cx43", []],
        ["prod-worker-2-type", "cx43", []],
      ],
    );
    for (const s of after.byType(T.server)) {
      assert.ok(s.options.ignoreChanges.includes("serverType"), `${s.name} ignores serverType`);
      const b = before.byName(s.name);
      assert.deepEqual({ ...s.inputs, serverType: b.inputs.serverType }, b.inputs);
      assert.equal(s.options.replacementTrigger, b.options.replacementTrigger);
    }
    for (const r of before.resources.filter((x) => x.type !== T.server && x.type !== T.serverType))
      assert.deepEqual(strip(after.byName(r.name)), strip(r));
  });
});

test("turning worker public IPv4 off only changes the workers' resize steps (run one at a time by the provider), never a server", async () => {
  const before = (await record({ clusterName: "prod", controlPlanes: 3, workers: 2 })).rec;
  const after = (await record({ clusterName: "prod", controlPlanes: 3, workers: 2, workerPublicIPv4: false })).rec;
  const changed = before.resources
    .filter((r) => JSON.stringify(strip(after.byName(r.name))) !== JSON.stringify(strip(r)))
    .map((r) => r.name);
  // The ISO detach steps only update their probe address (create-only: nothing runs again).
  assert.deepEqual(changed, [
    "prod-worker-1",
    "prod-worker-2",
    "prod-worker-1-type",
    "prod-worker-2-type",
    "prod-worker-1-iso-detach",
    "prod-worker-2-iso-detach",
  ]);
  for (const w of ["prod-worker-1", "prod-worker-2"]) {
    assert.ok(after.byName(w).options.ignoreChanges.includes("publicNets"));
    assert.deepEqual(after.byName(w).inputs.publicNets, [{ ipv4Enabled: false, ipv6Enabled: true }]);
    assert.equal(after.byName(`${w}-type`).inputs.publicIPv4, false);
  }
  // No create-time chain: the provider's queue runs the two changes one at a time (test/engine/hetzner-dynamic.test.ts).
  assert.deepEqual(after.byName("prod-worker-2-type").options.dependsOn, []);
});

describe("HetznerClusterInfra secrets", () => {
  test("the token and machine configs never appear in a plain input or output; resize/detach steps carry only the env var name", async () => {
    const config = `version: v1alpha1\nmachine:\n  token: secret-bootstrap-token-xyz\n${"# pad\n".repeat(6000)}`;
    const input: HetznerPlanInput = { clusterName: "prod", controlPlanes: 1, workers: 1, snapshot: { id: 4242 } };
    const configs = Object.fromEntries(planHetznerCluster(input).nodes.map((n) => [n.name, pulumi.secret(config)]));
    const talosconfig = "context: prod\ncontexts:\n  prod:\n    key: PRIVATE-KEY-MATERIAL\n";
    const { rec } = await record(input, { machineConfigs: configs, hcloudToken: TOKEN, health: { talosconfig } });
    const provider = rec.byName("prod-hcloud");
    assert.equal(provider.type, T.provider);
    assert.ok(provider.secretInputs.includes("token"));
    for (const s of rec.byType(T.server)) {
      assert.equal(s.options.provider, "prod-hcloud");
      assert.ok(s.secretInputs.includes("userData"));
      // Large configs go as base64(gzip).
      assert.match(s.inputs.userData, /^H4sI/);
    }
    for (const s of rec.byType(T.serverType)) {
      assert.equal(s.options.provider, undefined);
      assert.ok(s.secretInputs.includes("health"), "the talosconfig travels as a secret");
      assert.ok(s.options.additionalSecretOutputs.includes("health"));
    }
    const plain = allPlainStrings(rec).join("\n");
    for (const secret of [TOKEN, "secret-bootstrap-token-xyz", "PRIVATE-KEY-MATERIAL"])
      assert.ok(!plain.includes(secret), `${secret.slice(0, 12)}… leaked into a plain value`);
    // Not even in a dynamic provider's serialized code.
    for (const s of rec.byType(T.serverType)) assert.ok(!String(s.inputs.__provider).includes(TOKEN));
  });

  test("health gates follow the model's routes: control planes at their own public IPv4, workers through the talosconfig endpoint to their private address", async () => {
    const { rec } = await record(
      { clusterName: "prod", controlPlanes: 1, workers: 2, workerPublicIPv4: false },
      { health: { talosconfig: "talosconfig-yaml" } },
    );
    const srv = (n: string) => Number(idOf(n)) % 200;
    assert.deepEqual(rec.byName("prod-control-plane-1-type").inputs.health, {
      endpoint: `198.51.100.${srv("prod-control-plane-1")}:50000`,
      node: "",
      talosconfig: "talosconfig-yaml",
      etcd: true,
    });
    // The worker's apid is open to the private network only: its own (IPv6) address would not answer.
    assert.deepEqual(rec.byName("prod-worker-1-type").inputs.health, {
      endpoint: "203.0.113.10:50000",
      node: `10.0.1.${srv("prod-worker-1")}`,
      talosconfig: "talosconfig-yaml",
      etcd: false,
    });
    assert.deepEqual(rec.byName("prod-worker-2-iso-detach").inputs.health.etcd, false);
    assert.equal(rec.byName("prod-worker-2-iso-detach").inputs.health.node, `10.0.1.${srv("prod-worker-2")}`);
  });

  test("preview: unknown ids stay unknown (no NaN), every server still planned", async () => {
    const { rec } = await record({ clusterName: "prod", controlPlanes: 3, workers: 3 }, {}, { preview: true });
    assert.equal(rec.byType(T.server).length, 6);
    assert.ok(!JSON.stringify(rec.resources.map((r) => r.inputs)).includes("null"));
  });
});
