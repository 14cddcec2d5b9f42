// L0: the pure Hetzner plan — names, labels, subnet, firewall, placement, image route, endpoint mode,
// user_data encoding and its 32 KiB limit, and the ksail.yaml adapter.
import { describe, test } from "node:test";
import * as assert from "node:assert/strict";
import * as zlib from "node:zlib";
import { KsailError } from "../../sdk/errors";
import { planHetznerCluster, resizeOrder } from "../../sdk/plan/hetzner";
import { MAX_USER_DATA_BYTES, encodeUserData, subnetOf } from "../../sdk/plan/hetznerParts";
import { talosHetznerOptions } from "../../sdk/plan/talos";
import { hetznerPlanInputFromSpec, snapshotSelector } from "../../sdk/plan/hetznerInput";
import { parseSpec } from "../../sdk/config/parse";
import { effective } from "../../sdk/config/effective";
import { planCluster } from "../../sdk/plan/cluster";
import { hcloudComponentSettings } from "../../sdk/plan/hetznerComponents";
import { clusterAutoscalerValues, hcloudClusterConfig } from "../../sdk/components/values";
import { genericContext } from "../../sdk/plan/context";

function issuesOf(fn: () => unknown): readonly { path: string; message: string }[] {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof KsailError, `expected KsailError, got ${String(e)}`);
    return e.issues;
  }
  assert.fail("expected a KsailError");
}

describe("planHetznerCluster", () => {
  test("3+3 defaults: names, labels, types, placement per role, ISO route, first-control-plane endpoint", () => {
    const plan = planHetznerCluster({ clusterName: "prod", controlPlanes: 3, workers: 3, workerServerType: "cx33" });
    assert.deepEqual(
      plan.nodes.map((n) => [n.name, n.role, n.index, n.serverType, n.placementGroup]),
      [
        ["prod-control-plane-1", "control-plane", 1, "cx23", "prod-placement-control-plane"],
        ["prod-control-plane-2", "control-plane", 2, "cx23", "prod-placement-control-plane"],
        ["prod-control-plane-3", "control-plane", 3, "cx23", "prod-placement-control-plane"],
        ["prod-worker-1", "worker", 1, "cx33", "prod-placement-worker"],
        ["prod-worker-2", "worker", 2, "cx33", "prod-placement-worker"],
        ["prod-worker-3", "worker", 3, "cx33", "prod-placement-worker"],
      ],
    );
    assert.deepEqual(plan.nodes[4].labels, {
      "ksail.owned": "true",
      "ksail.cluster.name": "prod",
      "ksail.node.type": "worker",
      "ksail.node.index": "2",
    });
    assert.deepEqual(plan.network, { name: "prod-network", cidr: "10.0.0.0/16", subnetCidr: "10.0.1.0/24" });
    assert.equal(plan.networkZone, "eu-central");
    assert.equal(plan.location, "fsn1");
    assert.deepEqual(plan.image, { kind: "iso", iso: "125127", placeholderImage: "debian-13" });
    assert.equal(plan.endpoint.mode, "first-control-plane");
    assert.deepEqual(plan.allowedCidrs, ["0.0.0.0/0", "::/0"]);
    assert.deepEqual(plan.firewall?.rules, plan.reachability.hetznerFirewall?.["control-plane"]);
    assert.deepEqual(plan.workerFirewall?.rules, plan.reachability.hetznerFirewall?.worker);
    assert.deepEqual(plan.warnings, []);
    assert.deepEqual(
      resizeOrder(plan).map((n) => n.suffix),
      ["control-plane-1", "control-plane-2", "control-plane-3", "worker-1", "worker-2", "worker-3"],
    );
  });

  test("firewalls per role: control planes open apid and the Kubernetes API to allowedCidrs, workers nothing but ICMP (snapshot route); Disabled removes both", () => {
    const snapshot = { snapshot: { id: 42 } };
    const plan = planHetznerCluster({ clusterName: "c", controlPlanes: 1, workers: 1, allowedCidrs: ["203.0.113.0/24"], ...snapshot });
    const icmp = { description: "ICMP", direction: "in", protocol: "icmp", sourceIps: ["0.0.0.0/0", "::/0"] };
    assert.deepEqual(plan.firewall, {
      name: "c-firewall",
      rules: [
        { description: "Talos API (apid)", direction: "in", protocol: "tcp", port: "50000", sourceIps: ["203.0.113.0/24"] },
        { description: "Kubernetes API", direction: "in", protocol: "tcp", port: "6443", sourceIps: ["203.0.113.0/24"] },
        icmp,
      ],
    });
    assert.deepEqual(plan.workerFirewall, { name: "c-firewall-worker", rules: [icmp] });
    // ISO route: the workers' maintenance-mode install needs apid from allowedCidrs on their own addresses.
    const iso = planHetznerCluster({ clusterName: "c", controlPlanes: 1, workers: 1, allowedCidrs: ["203.0.113.0/24"] });
    assert.deepEqual(
      iso.workerFirewall?.rules.map((r) => [r.port, r.sourceIps]),
      [
        ["50000", ["203.0.113.0/24"]],
        [undefined, ["0.0.0.0/0", "::/0"]],
      ],
    );
    // Load balancer: the Kubernetes API is not opened on the control planes' public addresses.
    const lb = planHetznerCluster({ clusterName: "c", controlPlanes: 3, workers: 0, endpointMode: "load-balancer", ...snapshot });
    assert.deepEqual(
      lb.firewall?.rules.map((r) => r.description),
      ["Talos API (apid)", "ICMP"],
    );
    const off = planHetznerCluster({ clusterName: "c", controlPlanes: 1, workers: 0, ingressFirewall: "Disabled" });
    assert.equal(off.firewall, undefined);
    assert.equal(off.workerFirewall, undefined);
    assert.equal(off.talosFirewall, undefined);
    assert.match(off.warnings.join("\n"), /ingressFirewall is Disabled: neither the Hetzner firewall nor the Talos host firewall/);
  });

  test("routes: workers and control planes without IPv4 through the Talos endpoint to their private address; ISO route maintenance at the node's own address", () => {
    const plan = planHetznerCluster({
      clusterName: "c",
      controlPlanes: 2,
      workers: 1,
      endpointMode: "load-balancer",
      controlPlanePublicIPv4: false,
      snapshot: { id: 1 },
    });
    assert.deepEqual(plan.routes, {
      "c-control-plane-1": { dial: "talos-endpoint", viaPrivate: true },
      "c-control-plane-2": { dial: "talos-endpoint", viaPrivate: true },
      "c-worker-1": { dial: "talos-endpoint", viaPrivate: true },
    });
    const iso = planHetznerCluster({ clusterName: "c", controlPlanes: 1, workers: 1 });
    assert.deepEqual(iso.routes, {
      "c-control-plane-1": { dial: "own-public", viaPrivate: false, maintenance: "own-public" },
      "c-worker-1": { dial: "talos-endpoint", viaPrivate: true, maintenance: "own-public" },
    });
  });

  test("nodes without any public address, and allowedCidrs on a load balancer, are said plainly", () => {
    const issues = issuesOf(() =>
      planHetznerCluster({ clusterName: "c", controlPlanes: 1, workers: 1, workerPublicIPv4: false, workerPublicIPv6: false }),
    );
    assert.deepEqual(
      issues.map((i) => i.path),
      ["spec.provider.hetzner.workerPublicIPv4"],
    );
    assert.match(issues[0].message, /cannot pull images.*no NAT gateway.*give the workers a public IPv4/);
    const v6 = planHetznerCluster({ clusterName: "c", controlPlanes: 1, workers: 1, workerPublicIPv4: false, snapshot: { id: 1 } });
    assert.match(v6.warnings.join("\n"), /workers have public IPv6 only: ghcr\.io .* no IPv6/);
    const lb = planHetznerCluster({
      clusterName: "c",
      controlPlanes: 3,
      workers: 0,
      endpointMode: "load-balancer",
      allowedCidrs: ["203.0.113.0/24"],
    });
    assert.match(lb.warnings.join("\n"), /allowedCidrs cannot be enforced on the load-balancer endpoint/);
    assert.match(lb.warnings.join("\n"), /machine running pulumi up must be inside 203\.0\.113\.0\/24/);
    assert.match(
      issuesOf(() => planHetznerCluster({ clusterName: "c", controlPlanes: 1, workers: 0, networkCidr: "10.244.0.0/16" }))[0].message,
      /overlaps the pod CIDR/,
    );
  });

  test("subnet: KSail's 10.0.1.0/24 for the default CIDR, else the first /24; too small is an error", () => {
    assert.equal(subnetOf("10.0.0.0/16"), "10.0.1.0/24");
    assert.equal(subnetOf("172.16.0.0/12"), "172.16.0.0/24");
    assert.equal(subnetOf("192.168.5.0/24"), "192.168.5.0/24");
    assert.match(issuesOf(() => subnetOf("10.0.0.0/25"))[0].message, /\/24 or larger/);
  });

  // The Talos Hetzner guide spreads control planes over fsn1, nbg1 and hel1 (one network zone, eu-central). Before,
  // every server was created in `location` and fallbackLocations were never used.
  // Hetzner's metadata service serves user_data to any pod; on the snapshot route that is the whole machine config.
  // With Cilium a policy denies it (components plan); otherwise the plan says so instead of staying silent as before.
  test("snapshot route without Cilium warns that pods can read the machine config from the metadata service", () => {
    const snapshot = { selector: "os=talos" };
    const warned = (cni: "Default" | "Cilium" | "Calico", route: object) =>
      planHetznerCluster({ clusterName: "prod", controlPlanes: 1, workers: 0, cni, ...route }).warnings.some((w) =>
        w.includes("169.254.169.254"),
      );
    assert.equal(warned("Default", { snapshot }), true);
    assert.equal(warned("Calico", { snapshot }), true);
    assert.equal(warned("Cilium", { snapshot }), false);
    assert.equal(warned("Default", {}), false, "the ISO route has no user_data");
  });

  test("spread control planes: location + fallbackLocations round robin, one zone, groups only where control planes share a location", () => {
    const plan = planHetznerCluster({ clusterName: "prod", controlPlanes: 5, workers: 2, spreadControlPlanes: true });
    assert.deepEqual(
      plan.nodes.map((n) => [n.name, n.location, n.placementGroup]),
      [
        ["prod-control-plane-1", "fsn1", "prod-placement-control-plane-fsn1"],
        ["prod-control-plane-2", "nbg1", "prod-placement-control-plane-nbg1"],
        ["prod-control-plane-3", "hel1", undefined],
        ["prod-control-plane-4", "fsn1", "prod-placement-control-plane-fsn1"],
        ["prod-control-plane-5", "nbg1", "prod-placement-control-plane-nbg1"],
        ["prod-worker-1", "fsn1", "prod-placement-worker"],
        ["prod-worker-2", "fsn1", "prod-placement-worker"],
      ],
    );
    assert.deepEqual(plan.placementGroups, [
      { role: "control-plane", name: "prod-placement-control-plane-fsn1", location: "fsn1" },
      { role: "control-plane", name: "prod-placement-control-plane-nbg1", location: "nbg1" },
      { role: "worker", name: "prod-placement-worker" },
    ]);
    assert.ok(!plan.warnings.some((w) => w.includes("fallbackLocations")), "fallbackLocations are used, not warned about");
    const three = planHetznerCluster({
      clusterName: "prod",
      controlPlanes: 3,
      workers: 0,
      spreadControlPlanes: true,
      location: "hel1",
      fallbackLocations: ["fsn1"],
    });
    assert.deepEqual(
      three.nodes.map((n) => [n.location, n.placementGroup]),
      [
        ["hel1", "prod-placement-control-plane-hel1"],
        ["fsn1", undefined],
        ["hel1", "prod-placement-control-plane-hel1"],
      ],
    );
    // Without the spread nothing moves: every server in `location`, one group per role (as before).
    const flat = planHetznerCluster({ clusterName: "prod", controlPlanes: 3, workers: 1 });
    assert.ok(flat.nodes.every((n) => n.location === "fsn1"));
    assert.deepEqual(
      flat.nodes.map((n) => n.placementGroup),
      ["prod-placement-control-plane", "prod-placement-control-plane", "prod-placement-control-plane", "prod-placement-worker"],
    );
  });

  test("spread control planes: a fallback location in another network zone or no location at all is refused by name", () => {
    const issues = issuesOf(() =>
      planHetznerCluster({
        clusterName: "prod",
        controlPlanes: 3,
        workers: 0,
        spreadControlPlanes: true,
        fallbackLocations: ["ash", "mars1"],
      }),
    );
    assert.deepEqual(
      issues.map((i) => i.path),
      ["spec.provider.hetzner.fallbackLocations", "spec.provider.hetzner.fallbackLocations"],
    );
    assert.match(issues[0].message, /"ash" is in network zone us-east, but fsn1 is in eu-central.*fsn1, nbg1, hel1/);
    assert.match(issues[1].message, /"mars1" is not a Hetzner Cloud location/);
  });

  test("placement: None creates no group; more than 10 servers of a role in a spread group is an error", () => {
    const none = planHetznerCluster({ clusterName: "c", controlPlanes: 1, workers: 2, placementGroupStrategy: "None" });
    assert.deepEqual(none.placementGroups, []);
    assert.ok(none.nodes.every((n) => n.placementGroup === undefined));
    const named = planHetznerCluster({ clusterName: "c", controlPlanes: 1, workers: 0, placementGroup: "pg" });
    assert.deepEqual(named.placementGroups, [{ role: "control-plane", name: "pg-control-plane" }]);
    const issues = issuesOf(() => planHetznerCluster({ clusterName: "c", controlPlanes: 1, workers: 11, serverLimit: 20 }));
    assert.deepEqual(
      issues.map((i) => i.path),
      ["spec.provider.hetzner.placementGroupStrategy"],
    );
    assert.match(issues[0].message, /11 worker servers exceed .* limit of 10.*placementGroupStrategy: None/);
  });

  test("every problem is reported at once, naming the field and the fix", () => {
    const issues = issuesOf(() =>
      planHetznerCluster({
        clusterName: "Bad_Name",
        controlPlanes: 0,
        workers: 12,
        location: "mars1",
        networkCidr: "nope",
        allowedCidrs: ["x"],
        controlPlanePublicIPv4: false,
      }),
    );
    assert.deepEqual(issues.map((i) => i.path).sort(), [
      "metadata.name",
      "spec.cluster",
      "spec.cluster.controlPlanes",
      "spec.provider.hetzner.allowedCidrs",
      "spec.provider.hetzner.controlPlanePublicIPv4",
      "spec.provider.hetzner.location",
      "spec.provider.hetzner.networkCidr",
      "spec.provider.hetzner.placementGroupStrategy",
    ]);
    assert.match(issues.find((i) => i.path === "spec.provider.hetzner.location")!.message, /"mars1".*allowed: fsn1, nbg1, hel1/);
  });

  test("fallback locations are kept but not used, with a warning saying why", () => {
    const plan = planHetznerCluster({ clusterName: "c", controlPlanes: 1, workers: 0, fallbackLocations: ["hel1"] });
    assert.deepEqual(plan.fallbackLocations, ["hel1"]);
    assert.equal(plan.warnings.length, 1);
    assert.match(plan.warnings[0], /not used by Pulumi.*created in fsn1 only.*replace the server/);
  });

  test("endpoint mode: floatingIPEnabled selects the floating IP; explicit mode wins", () => {
    assert.equal(
      planHetznerCluster({ clusterName: "c", controlPlanes: 1, workers: 0, floatingIPEnabled: true }).endpoint.mode,
      "floating-ip",
    );
    const p = planHetznerCluster({
      clusterName: "c",
      controlPlanes: 3,
      workers: 0,
      floatingIPEnabled: true,
      endpointMode: "load-balancer",
    });
    assert.deepEqual(p.endpoint, {
      mode: "load-balancer",
      floatingIpLocation: "fsn1",
      loadBalancerType: "lb11",
      primaryIp: true,
      api: "loadBalancerIpv4",
      talos: "loadBalancerIpv4",
      extraSANs: ["primaryIp", "loadBalancerIpv6"],
    });
  });
});

describe("talosHetznerOptions", () => {
  test("external cloud provider, private network pinning, the model's host firewall; VIP only when given; none when the firewall is disabled", () => {
    const plan = planHetznerCluster({
      clusterName: "c",
      controlPlanes: 3,
      workers: 0,
      endpointMode: "load-balancer",
      allowedCidrs: ["203.0.113.0/24"],
    });
    assert.deepEqual(talosHetznerOptions(plan), {
      externalCloudProvider: true,
      privateNetworkCidr: "10.0.0.0/16",
      firewall: { controlplane: plan.talosFirewall!["control-plane"], worker: plan.talosFirewall!.worker },
    });
    const off = planHetznerCluster({
      clusterName: "c",
      controlPlanes: 1,
      workers: 0,
      ingressFirewall: "Disabled",
      floatingIPEnabled: true,
    });
    assert.deepEqual(talosHetznerOptions(off, { ip: "203.0.113.20", apiToken: "t" }), {
      externalCloudProvider: true,
      privateNetworkCidr: "10.0.0.0/16",
      vip: "203.0.113.20",
      apiToken: "t",
    });
  });
});

describe("encodeUserData", () => {
  test("plain YAML when it fits", () => {
    const r = encodeUserData("version: v1alpha1\n");
    assert.deepEqual(r, { userData: "version: v1alpha1\n", encoding: "plain", bytes: 18 });
  });
  test("base64(gzip) above 32 KiB, and it round-trips", () => {
    const yaml = `machine:\n  files:\n${"    - content: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n".repeat(1000)}`;
    assert.ok(Buffer.byteLength(yaml) > MAX_USER_DATA_BYTES);
    const r = encodeUserData(yaml, "n1");
    assert.equal(r.encoding, "base64-gzip");
    assert.ok(r.bytes <= MAX_USER_DATA_BYTES);
    assert.equal(zlib.gunzipSync(Buffer.from(r.userData, "base64")).toString("utf8"), yaml);
  });
  test("an error naming the node and both sizes when even the compressed form is too large", () => {
    const random = require("node:crypto").randomBytes(40_000).toString("base64") as string;
    const issues = issuesOf(() => encodeUserData(random, "prod-worker-1"));
    assert.match(
      issues[0].message,
      /prod-worker-1 is \d+ bytes \(\d+ bytes as base64\(gzip\)\), above Hetzner's 32768-byte user_data limit/,
    );
  });
});

describe("hetznerPlanInputFromSpec", () => {
  const spec = (extra: Record<string, unknown> = {}, hetzner: Record<string, unknown> = {}) =>
    effective(
      parseSpec(
        { cluster: { distribution: "Talos", provider: "Hetzner", controlPlanes: 3, workers: 2, ...extra }, provider: { hetzner } },
        { name: "prod" },
      ).spec,
      { name: "prod" },
    );

  test("ISO route by default, KSail's field names mapped", () => {
    const input = hetznerPlanInputFromSpec(
      "prod",
      spec({}, { location: "nbg1", workerServerType: "cx43", allowedCidrs: ["198.51.100.7/32"], sshKeyName: "ops" }),
    );
    const plan = planHetznerCluster(input);
    assert.equal(plan.location, "nbg1");
    assert.equal(plan.nodes.at(-1)!.serverType, "cx43");
    assert.deepEqual(plan.allowedCidrs, ["198.51.100.7/32"]);
    assert.deepEqual(plan.sshKeys, ["ops"]);
    assert.deepEqual(plan.image, { kind: "iso", iso: "125127", placeholderImage: "debian-13" });
  });

  test("a schematic selects the snapshot labelled with the Talos version and schematic", () => {
    const schematic = "376567988ad370138ad8b2698212367b8edcb69b5fd68c80be1f2ec7d603b4ba";
    const plan = planHetznerCluster(hetznerPlanInputFromSpec("prod", spec({ talos: { version: "1.12.4", schematicId: schematic } })));
    assert.deepEqual(plan.image, {
      kind: "snapshot",
      selector: `ksail.io/talos-version=v1.12.4,ksail.io/talos-schematic=${schematic.slice(0, 63)}`,
    });
    assert.equal(snapshotSelector("v1.12.4", schematic), plan.image.kind === "snapshot" ? plan.image.selector : "");
  });

  test("extensions without a schematic, or another distribution, are clear errors", () => {
    assert.match(
      issuesOf(() => hetznerPlanInputFromSpec("prod", spec({ talos: { extensions: ["siderolabs/iscsi-tools"] } })))[0].message,
      /schematicId/,
    );
    const docker = effective(parseSpec({ cluster: { distribution: "Talos", provider: "Docker" } }, { name: "x" }).spec, { name: "x" });
    assert.match(issuesOf(() => hetznerPlanInputFromSpec("x", docker))[0].message, /Talos on Hetzner only/);
  });
});

describe("hcloudComponentSettings", () => {
  const planOf = (cluster: Record<string, unknown>, hetzner: Record<string, unknown> = {}) =>
    planCluster({
      name: "prod",
      spec: parseSpec(
        {
          cluster: {
            distribution: "Talos",
            provider: "Hetzner",
            controlPlanes: 3,
            workers: 1,
            talos: { schematicId: "376567988ad370138ad8b2698212367b8edcb69b5fd68c80be1f2ec7d603b4ba" },
            ...cluster,
          },
          provider: { hetzner },
        },
        { name: "prod" },
      ).spec,
    });
  const autoscale = {
    autoscaler: { node: { enabled: "Enabled", pools: [{ name: "burst", serverType: "cx33", location: "fsn1", min: 0, max: 2 }] } },
  };

  test("the CCM's load-balancer location, the CSI volume labels, and the autoscaler's firewall, SSH key, addresses and release", () => {
    const s = hcloudComponentSettings(
      planOf(
        { ...autoscale, loadBalancer: "Enabled", kubernetesVersion: "1.36.2" },
        { location: "nbg1", sshKeyName: "ops", workerPublicIPv6: false },
      ),
    )!;
    assert.equal(s.loadBalancerLocation, "nbg1");
    assert.equal(s.loadBalancers, true);
    assert.deepEqual(s.volumeLabels, { "ksail.owned": "true", "ksail.cluster.name": "prod", "ksail.volume": "csi" });
    assert.deepEqual(s.autoscaler, {
      firewall: "prod-firewall-worker",
      sshKey: "ops",
      publicIPv4: true,
      publicIPv6: false,
      imageTag: "v1.36.1",
    });
    assert.deepEqual(s.warnings, []);
    const values = clusterAutoscalerValues(genericContext, { pools: [] }, s.autoscaler);
    assert.deepEqual(values.extraEnv, { HCLOUD_FIREWALL: "prod-firewall-worker", HCLOUD_SSH_KEY: "ops", HCLOUD_PUBLIC_IPV6: "false" });
    assert.deepEqual(values.image, { tag: "v1.36.1" });
  });

  test("a Kubernetes minor without a pinned autoscaler release runs the newest one and says so; none without the autoscaler", () => {
    const s = hcloudComponentSettings(planOf({ ...autoscale, kubernetesVersion: "1.37.0" }))!;
    assert.equal(s.autoscaler.imageTag, "v1.36.1");
    assert.match(s.warnings[0], /no cluster-autoscaler release is pinned for Kubernetes 1\.37; running v1\.36\.1/);
    assert.equal(hcloudComponentSettings(planOf({ loadBalancer: "Disabled", csi: "Enabled" }))!.loadBalancers, false);
    assert.deepEqual(hcloudComponentSettings(planOf({ kubernetesVersion: "1.37.0" }))!.warnings, []);
    assert.equal(
      hcloudComponentSettings(planCluster({ name: "d", spec: parseSpec({ cluster: { distribution: "Talos" } }, { name: "d" }).spec })),
      undefined,
    );
  });
});

describe("Arm (CAX) servers", () => {
  test("the ISO route (an x86 ISO) refuses them; the snapshot route plans each server with its architecture", () => {
    const issues = issuesOf(() => planHetznerCluster({ clusterName: "c", controlPlanes: 1, workers: 1, workerServerType: "cax21" }));
    // The default ISO 125127 is Hetzner's Talos 1.12.4 x86 ISO (KSail's default); an Arm server cannot boot it.
    assert.match(issues[0].message, /cax21, an Arm \(CAX\) type, but the default ISO \(125127\) is Hetzner's x86 Talos ISO/);
    // A user-given ISO is taken as theirs to match, but one ISO cannot serve two architectures.
    assert.match(
      issuesOf(() => planHetznerCluster({ clusterName: "c", controlPlanes: 1, workers: 1, workerServerType: "cax21", iso: 999 }))[0]
        .message,
      /one ISO cannot boot both x86 and Arm/,
    );
    assert.doesNotThrow(() =>
      planHetznerCluster({
        clusterName: "c",
        controlPlanes: 1,
        workers: 1,
        controlPlaneServerType: "cax21",
        workerServerType: "cax21",
        iso: 999,
      }),
    );
    const plan = planHetznerCluster({
      clusterName: "c",
      controlPlanes: 1,
      workers: 1,
      workerServerType: "cax21",
      snapshot: { selector: "k=v" },
    });
    assert.deepEqual(
      plan.nodes.map((n) => n.architecture),
      ["x86", "arm"],
    );
    assert.match(
      issuesOf(() =>
        planHetznerCluster({ clusterName: "c", controlPlanes: 1, workers: 1, workerServerType: "cax21", snapshot: { id: 4 } }),
      )[0].message,
      /one snapshot id cannot boot both x86 and Arm servers/,
    );
  });

  test("autoscaler: an Arm pool gets imagesForArch.arm64, and without an arm64 image it is an error naming the pool", () => {
    const pools = [{ name: "arm", serverType: "cax31", location: "fsn1", min: 0, max: 2 }];
    const worker = "version: v1alpha1\nmachine:\n  type: worker\n";
    assert.throws(
      () => hcloudClusterConfig({ imageId: "1", workerConfig: worker, pools }),
      /pools\[arm\]: uses cax31, an Arm \(CAX\) type, but no arm64 Talos image/,
    );
    const cfg = JSON.parse(
      Buffer.from(hcloudClusterConfig({ imageId: "1", workerConfig: worker, pools, arm64Image: "k=v" }), "base64").toString("utf8"),
    );
    assert.deepEqual(cfg.imagesForArch, { amd64: "1", arm64: "k=v" });
  });
});
