// L1: DockerClusterInfra under mocks — what every distribution shares: network, registries, triggers, and the
// two impact properties (adding a worker adds one node and changes nothing else; a new recreate hash replaces
// every node, the network and the registries, and nothing else).
import { describe, test } from "node:test";
import * as assert from "node:assert/strict";
import { CONTAINER, NETWORK, VOLUME, recordLayout, snapshot } from "../fixtures/docker/record";
import { allocateHostPort, defaultNetworkCidr } from "../../sdk/plan/docker";
import { DockerClusterInfra } from "../../sdk/infra/docker/infra";
import { planDockerCluster } from "../../sdk/plan/docker";
import { recordProgram } from "../harness/mocks";
import { isKsailError } from "../../sdk/errors";
import { UNKNOWN } from "../../sdk/impact/unknown";

const DISTROS = ["Talos", "K3s", "Vanilla"] as const;

describe("network and registries", () => {
  test("network: labelled bridge with the plan's CIDR, gateway and MTU, replaced with the cluster", async () => {
    const r = await recordLayout({ distribution: "Vanilla", controlPlanes: 1, workers: 0 });
    const [net] = r.byType(NETWORK);
    assert.equal(net.name, "dev-network");
    assert.equal(net.parent, "dev");
    assert.deepEqual(net.inputs, {
      name: "dev-network",
      driver: "bridge",
      ipamConfigs: [
        {
          subnet: defaultNetworkCidr("Vanilla", "dev"),
          gateway: defaultNetworkCidr("Vanilla", "dev").replace(/0\/24$/, "1"),
        },
      ],
      options: {
        "com.docker.network.driver.mtu": "1500",
        "com.docker.network.bridge.enable_ip_masquerade": "true",
        "com.docker.network.bridge.enable_icc": "true",
      },
      labels: [
        { label: "ksail.io/cluster", value: "dev" },
        { label: "ksail.io/distribution", value: "Vanilla" },
        { label: "ksail.io/role", value: "network" },
      ],
    });
    assert.equal(net.options.replacementTrigger, "trigger-a");
    assert.equal(net.options.deleteBeforeReplace, true);
  });

  test("mirrors: registry:3 pull-through per default host, cache volume kept on destroy, on the network at .250 down", async () => {
    const r = await recordLayout({ distribution: "Talos", controlPlanes: 1, workers: 0 });
    const hosts = ["docker.io", "ghcr.io", "quay.io", "registry.k8s.io"];
    const upstreams = ["https://registry-1.docker.io", "https://ghcr.io", "https://quay.io", "https://registry.k8s.io"];
    hosts.forEach((h, i) => {
      const c = r.byName(`dev-mirror-${h}`);
      assert.equal(c.type, CONTAINER);
      assert.equal(c.inputs.name, `dev-${h}`);
      assert.equal(c.inputs.image, "registry:3");
      assert.deepEqual(c.inputs.envs, [`REGISTRY_PROXY_REMOTEURL=${upstreams[i]}`]);
      assert.deepEqual(c.inputs.volumes, [{ volumeName: `ksail-mirror-${h}`, containerPath: "/var/lib/registry" }]);
      assert.deepEqual(c.inputs.networksAdvanced, [{ name: "dev", ipv4Address: `10.5.0.${250 - i}` }]);
      assert.equal(c.inputs.ports, undefined, "mirrors publish nothing");
      assert.equal(c.inputs.restart, "unless-stopped");
      assert.deepEqual(c.inputs.healthcheck.tests, ["CMD", "wget", "-q", "--spider", "http://localhost:5000/v2/"]);
      assert.equal(c.options.replacementTrigger, "trigger-a");
      assert.equal(c.options.deleteBeforeReplace, true);
      assert.ok(c.options.replaceOnChanges.includes("healthcheck"));
      const v = r.byName(`dev-mirror-${h}-cache`);
      assert.equal(v.type, VOLUME);
      assert.equal(v.inputs.name, `ksail-mirror-${h}`);
      assert.equal(v.options.retainOnDelete, true);
      assert.equal(v.options.replacementTrigger, undefined, "a recreated cluster keeps its cache");
    });
  });

  test("mirror credentials are secret env; volumes deleted on destroy when asked", async () => {
    const r = await recordLayout({
      distribution: "K3s",
      controlPlanes: 1,
      workers: 0,
      plan: { mirrors: [{ host: "ghcr.io" }] },
      args: {
        mirrorCredentials: { "ghcr.io": { username: "me", password: "pat-123" } },
        deleteRegistryVolumes: true,
      },
    });
    const c = r.byName("dev-mirror-ghcr.io");
    assert.deepEqual(c.inputs.envs, [
      "REGISTRY_PROXY_REMOTEURL=https://ghcr.io",
      "REGISTRY_PROXY_USERNAME=me",
      "REGISTRY_PROXY_PASSWORD=pat-123",
    ]);
    assert.deepEqual(
      c.secretInputs.filter((p) => p.startsWith("envs")),
      ["envs[1]", "envs[2]"],
    );
    assert.equal(r.byName("dev-mirror-ghcr.io-cache").options.retainOnDelete, false);
    assert.equal(r.find("dev-mirror-docker.io"), undefined, "only the listed mirrors");
  });

  test("a mirror of host:port gets resource and container names without ':'", async () => {
    const r = await recordLayout({
      distribution: "Talos",
      controlPlanes: 1,
      workers: 0,
      plan: { mirrors: [{ host: "my.reg:5000", upstream: "https://my.reg:5000" }] },
    });
    const c = r.byName("dev-mirror-my.reg-5000");
    assert.equal(c.inputs.name, "dev-my.reg-5000");
    assert.deepEqual(c.inputs.envs, ["REGISTRY_PROXY_REMOTEURL=https://my.reg:5000"]);
    assert.equal(r.byName("dev-mirror-my.reg-5000-cache").inputs.name, "ksail-mirror-my.reg-5000");
  });

  test("local registry: 127.0.0.1:<port> → 5000 with a data volume", async () => {
    const r = await recordLayout({ distribution: "K3s", controlPlanes: 1, workers: 0 });
    const c = r.byName("dev-local-registry");
    assert.equal(c.inputs.name, "dev-local-registry");
    assert.equal(c.inputs.image, "registry:3");
    assert.deepEqual(c.inputs.ports, [{ internal: 5000, external: 5050, ip: "127.0.0.1", protocol: "tcp" }]);
    assert.deepEqual(c.inputs.volumes, [{ volumeName: "dev-local-registry", containerPath: "/var/lib/registry" }]);
    assert.equal(c.options.replacementTrigger, "trigger-a");
  });

  test("outputs: nodes, network, API endpoint on the allocated port, registry endpoints", async () => {
    const r = await recordLayout({ distribution: "Talos", controlPlanes: 1, workers: 1 });
    const out = r.byName("dev").outputs;
    assert.deepEqual(out.nodes, [
      { name: "dev-control-plane-1", ip: "10.5.0.2", role: "control-plane" },
      { name: "dev-worker-1", ip: "10.5.0.3", role: "worker" },
    ]);
    assert.equal(out.networkName, "dev");
    assert.equal(out.apiEndpoint, `https://127.0.0.1:${allocateHostPort("dev", "api")}`);
    assert.equal(out.talosEndpoint, `127.0.0.1:${allocateHostPort("dev", "talos")}`);
    assert.deepEqual(out.registryEndpoints.local, {
      host: "127.0.0.1:5050",
      inNetwork: "dev-local-registry:5000",
    });
    assert.equal(out.registryEndpoints.mirrors["docker.io"], "http://dev-docker.io:5000");
  });

  test("missing secret material is a KsailError naming the argument", async () => {
    const plan = planDockerCluster({
      distribution: "Vanilla",
      clusterName: "dev",
      controlPlanes: 1,
      workers: 0,
    });
    await assert.rejects(
      recordProgram(() => {
        new DockerClusterInfra("dev", { plan, recreateTrigger: "t" });
      }),
      (e: unknown) => isKsailError(e) && /kubeadmPki/.test((e as Error).message),
    );
  });
});

for (const distribution of DISTROS) {
  describe(`${distribution}: impact properties`, () => {
    test("adding a worker adds exactly one container (plus its volume for K3s) and changes nothing else", async () => {
      const a = await recordLayout({ distribution, controlPlanes: 1, workers: 2 });
      const b = await recordLayout({ distribution, controlPlanes: 1, workers: 3 });
      const added = b.resources.filter((x) => !a.find(x.name)).map((x) => `${x.type} ${x.name}`);
      assert.deepEqual(
        added,
        distribution === "K3s" ? [`${VOLUME} dev-worker-3-data`, `${CONTAINER} dev-worker-3`] : [`${CONTAINER} dev-worker-3`],
      );
      assert.deepEqual(
        a.resources.filter((x) => !b.find(x.name)),
        [],
        "nothing removed",
      );
      for (const x of a.resources) {
        if (x.name === "dev") continue; // the component's outputs list the nodes
        assert.deepEqual(snapshot(b.byName(x.name)), snapshot(x), `${x.name} changed`);
      }
    });

    test("a new recreate hash changes the trigger of every node, the network and the registries — nothing else", async () => {
      const a = await recordLayout({ distribution, controlPlanes: 3, workers: 2, trigger: "trigger-a" });
      const b = await recordLayout({ distribution, controlPlanes: 3, workers: 2, trigger: "trigger-b" });
      assert.deepEqual(
        b.resources.map((x) => x.name),
        a.resources.map((x) => x.name),
      );
      const retriggered: string[] = [];
      for (const x of a.resources) {
        const y = b.byName(x.name);
        const { options: ox, ...restX } = snapshot(x);
        const { options: oy, ...restY } = snapshot(y);
        assert.deepEqual(restY, restX, `${x.name}: only the trigger may change`);
        assert.deepEqual({ ...oy, replacementTrigger: 0 }, { ...ox, replacementTrigger: 0 });
        if (ox.replacementTrigger !== oy.replacementTrigger) {
          assert.equal(oy.replacementTrigger, "trigger-b");
          retriggered.push(x.name);
        }
      }
      const expected = [
        "dev-network",
        ...b.byType(CONTAINER).map((c) => c.name),
        ...(distribution === "K3s"
          ? b
              .byType(VOLUME)
              .filter((v) => v.name.endsWith("-data") && v.name !== "dev-local-registry-data")
              .map((v) => v.name)
          : []),
      ];
      assert.deepEqual([...retriggered].sort(), [...expected].sort());
      for (const c of b.byType(CONTAINER)) assert.equal(c.options.deleteBeforeReplace, true, `${c.name} has a fixed name`);
    });

    test("preview: the program registers the same resources, every node wired to the Network", async () => {
      const up = await recordLayout({ distribution, controlPlanes: 1, workers: 1 });
      const pre = await recordLayout({ distribution, controlPlanes: 1, workers: 1, preview: true });
      assert.deepEqual(
        pre.resources.map((x) => x.name),
        up.resources.map((x) => x.name),
      );
      for (const rec of [pre, up]) {
        const node = rec.byName("dev-control-plane-1");
        assert.equal(node.inputs.networksAdvanced[0].name, distribution === "Talos" ? "dev" : "dev-network");
        assert.deepEqual(node.options.propertyDependencies.networksAdvanced, ["dev-network"], "the network name flows from the Network");
        assert.ok(!JSON.stringify(node.inputs).includes(UNKNOWN), "a create's inputs are all known in preview");
      }
    });
  });
}

// kubernetes-sigs/kind pkg/cluster/internal/providers/docker/provision.go: the flags kind adds from `docker info`.
describe("host-dependent node flags (docker info)", () => {
  for (const distribution of ["Vanilla", "K3s"] as const) {
    test(`${distribution}: /dev/mapper on btrfs-like storage, --userns=host under remap, /dev/fuse when rootless; none without facts`, async () => {
      const plain = await recordLayout({ distribution, controlPlanes: 1, workers: 1 });
      for (const n of plain.byType(CONTAINER).filter((c) => /-(control-plane|worker)-\d+$/.test(c.name))) {
        assert.equal(n.inputs.devices, undefined, n.name);
        assert.equal(n.inputs.usernsMode, undefined, n.name);
      }
      const r = await recordLayout({
        distribution,
        controlPlanes: 1,
        workers: 1,
        args: { hostFacts: { devMapper: true, usernsHost: true, fuse: true } },
      });
      for (const n of r.byType(CONTAINER).filter((c) => /-(control-plane|worker)-\d+$/.test(c.name))) {
        assert.deepEqual(n.inputs.volumes.at(-1), { hostPath: "/dev/mapper", containerPath: "/dev/mapper" }, n.name);
        assert.deepEqual(n.inputs.devices, [{ hostPath: "/dev/fuse" }], n.name);
        assert.equal(n.inputs.usernsMode, "host", n.name);
      }
      // A host that needs nothing, or an Engine that did not answer (facts read as undefined): the flags stay unset,
      // exactly as without facts, so reading the host never updates or replaces existing nodes.
      for (const hostFacts of [{ devMapper: false, usernsHost: false, fuse: false }, Promise.resolve(undefined)]) {
        const same = await recordLayout({ distribution, controlPlanes: 1, workers: 1, args: { hostFacts } });
        for (const n of same.byType(CONTAINER).filter((c) => /-(control-plane|worker)-\d+$/.test(c.name))) {
          assert.ok(!("devices" in n.inputs) || n.inputs.devices === undefined, `${n.name}: devices unset`);
          assert.ok(!("usernsMode" in n.inputs) || n.inputs.usernsMode === undefined, `${n.name}: usernsMode unset`);
          assert.deepEqual(n.inputs.volumes, plain.byName(n.name).inputs.volumes, n.name);
        }
      }
    });
  }
});
