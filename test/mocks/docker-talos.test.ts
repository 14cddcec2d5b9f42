// L1: Talos nodes on Docker under mocks — the exact container shape of `talosctl cluster create docker`
// (siderolabs/talos pkg/provision/providers/docker) for 1+0, 1+2 and 3+2 layouts.
import { describe, test } from "node:test";
import * as assert from "node:assert/strict";
import { CONTAINER, recordLayout, talosConfigs } from "../fixtures/docker/record";
import { allocateHostPort } from "../../sdk/plan/docker";

const API = allocateHostPort("dev", "api");
const APID = allocateHostPort("dev", "talos");
const MIRRORS = ["dev-mirror-docker.io", "dev-mirror-ghcr.io", "dev-mirror-quay.io", "dev-mirror-registry.k8s.io", "dev-local-registry"];

function expectedNode(name: string, ip: string, type: "controlplane" | "worker", ports: unknown[]) {
  return {
    name,
    hostname: name,
    image: "ghcr.io/siderolabs/talos:v1.14.1",
    privileged: true,
    securityOpts: ["seccomp=unconfined"],
    readOnly: true,
    tmpfs: { "/run": "rw", "/system": "rw", "/tmp": "rw" },
    volumes: ["/var", "/system/state", "/etc/cni", "/etc/kubernetes", "/usr/libexec/kubernetes", "/opt"].map((containerPath) => ({
      containerPath,
    })),
    sysctls: { "net.ipv6.conf.all.disable_ipv6": "0" },
    envs: ["PLATFORM=container", "TALOSSKU=2CPU-2048RAM", `USERDATA=${Buffer.from(talosConfigs([name])[name]).toString("base64")}`],
    cpus: "2",
    memory: 2048,
    labels: [
      { label: "ksail.io/cluster", value: "dev" },
      { label: "ksail.io/distribution", value: "Talos" },
      { label: "ksail.io/role", value: type === "controlplane" ? "control-plane" : "worker" },
      { label: "talos.owned", value: "true" },
      { label: "talos.cluster.name", value: "dev" },
      { label: "talos.type", value: type },
    ],
    networksAdvanced: [{ name: "dev", ipv4Address: ip }],
    ports,
    // talosctl sets no restart policy (siderolabs/talos pkg/provision/providers/docker/node.go); ours brings nodes
    // back after a host reboot or daemon restart (before: they stayed down until a refresh).
    restart: "unless-stopped",
    removeVolumes: true,
    mustRun: true,
  };
}

const FIRST_PORTS = [
  { internal: 50000, external: APID, ip: "127.0.0.1", protocol: "tcp" },
  { internal: 6443, external: API, ip: "127.0.0.1", protocol: "tcp" },
];

for (const [cps, ws] of [
  [1, 0],
  [1, 2],
  [3, 2],
] as const) {
  describe(`Talos ${cps}+${ws}`, () => {
    test("every node container exactly as talosctl shapes it; only the first control plane publishes ports", async () => {
      const r = await recordLayout({ distribution: "Talos", controlPlanes: cps, workers: ws });
      const nodes = r.byType(CONTAINER).filter((c) => !c.name.startsWith("dev-mirror") && c.name !== "dev-local-registry");
      const expected = [
        ...Array.from({ length: cps }, (_, i) =>
          expectedNode(`dev-control-plane-${i + 1}`, `10.5.0.${2 + i}`, "controlplane", i === 0 ? FIRST_PORTS : []),
        ),
        ...Array.from({ length: ws }, (_, j) => expectedNode(`dev-worker-${j + 1}`, `10.5.0.${2 + cps + j}`, "worker", [])),
      ];
      assert.deepEqual(
        nodes.map((n) => n.inputs),
        expected,
      );
      for (const n of nodes) {
        assert.equal(n.parent, "dev");
        assert.deepEqual(n.secretInputs, ["envs[2]"], `${n.name}: USERDATA (and only it) is secret`);
        assert.deepEqual(n.options.ignoreChanges, ["envs"], "later config changes go through TalosMachine");
        assert.equal(n.options.deleteBeforeReplace, true);
        assert.equal(n.options.replacementTrigger, "trigger-a");
        assert.deepEqual(n.options.replaceOnChanges, ["tmpfs", "healthcheck", "init", "cpuPeriod", "cpuQuota"]);
        assert.deepEqual(n.options.dependsOn, MIRRORS, "mirrors exist before nodes pull through them");
        assert.equal(n.inputs.uploads, undefined, "Talos takes its config from USERDATA, no uploads");
      }
    });
  });
}

describe("Talos extras", () => {
  test("extra port mappings go to the first control plane on 0.0.0.0; resources set TALOSSKU, cpus and memory", async () => {
    const r = await recordLayout({
      distribution: "Talos",
      controlPlanes: 1,
      workers: 1,
      plan: { extraPortMappings: ["8080:80/tcp", "5353:53/udp"], resources: { cpus: 4, memoryMiB: 4096 } },
    });
    const cp = r.byName("dev-control-plane-1");
    assert.deepEqual(cp.inputs.ports.slice(2), [
      { internal: 80, external: 8080, ip: "0.0.0.0", protocol: "tcp" },
      { internal: 53, external: 5353, ip: "0.0.0.0", protocol: "udp" },
    ]);
    assert.equal(cp.inputs.envs[1], "TALOSSKU=4CPU-4096RAM");
    assert.equal(cp.inputs.cpus, "4");
    assert.equal(cp.inputs.memory, 4096);
    assert.deepEqual(r.byName("dev-worker-1").inputs.ports, []);
  });
});

// talosctl labels the networks it creates and finds a cluster's network by them (siderolabs/talos
// pkg/provision/providers/docker/network.go: talos.owned, talos.cluster.name). Before, Talos networks lacked them.
test("the Talos network carries talosctl's labels, set at create only (existing networks are not replaced for them)", async () => {
  const r = await recordLayout({ distribution: "Talos", controlPlanes: 1, workers: 0 });
  const net = r.byType("docker:index/network:Network")[0];
  assert.deepEqual(net.inputs.labels.slice(3), [
    { label: "talos.owned", value: "true" },
    { label: "talos.cluster.name", value: "dev" },
  ]);
  assert.deepEqual(net.options.ignoreChanges, ["labels"]);
  const kind = await recordLayout({ distribution: "Vanilla", controlPlanes: 1, workers: 0 });
  assert.equal(kind.byType("docker:index/network:Network")[0].inputs.labels.length, 3);
});
