// L1: KSailCluster for Talos on Hetzner under mocks — the full graph (network, firewall, placement, endpoint,
// servers, resize steps, machines applied in maintenance mode, ISO detach, bootstrap, CCM/CSI), secrets, protect,
// the snapshot route with the autoscaler, and the change classes (recreate, worker added, in-place component).
import { describe, test } from "node:test";
import * as assert from "node:assert/strict";
import { allPlainStrings, type Recording } from "../harness/mocks";
import { isKsailError } from "../../sdk/errors";
import { planCluster } from "../../sdk/plan/cluster";
import { parseSpec } from "../../sdk/config";
import {
  CLUSTER_SECRETS,
  CLUSTER_SPEC,
  K8S_PROVIDER,
  KUBECONFIG_MARKER,
  READINESS,
  TALOSCONFIG_MARKER,
  TALOS_BOOTSTRAP,
  TALOS_MACHINE,
  hetznerOutputs,
  recordCluster,
  secretsOutputs,
  changedResources,
} from "./cluster-record";

const TOKEN = "hcloud-token-SECRET-MARKER-0123456789abcdef0123456789abcdef0123456789abcdef0123";
const CLUSTER = { distribution: "Talos", provider: "Hetzner", controlPlanes: 3, workers: 3, cni: "Cilium" };
const SCHEMATIC = "376567988ad370138ad8b2698212367b8edcb69b5fd68c80be1f2ec7d603b4ba";

function record(
  cluster: Record<string, unknown>,
  extra: { provider?: Record<string, unknown>; args?: Record<string, unknown>; preview?: boolean } = {},
): Promise<Recording> {
  return recordCluster({
    cluster,
    provider: extra.provider,
    args: { hcloudToken: TOKEN, ...extra.args },
    outputs: hetznerOutputs,
    preview: extra.preview,
  });
}
const trigger = (cluster: Record<string, unknown>) => planCluster({ name: "dev", spec: parseSpec({ cluster }).spec }).recreateTrigger;
const nodes = ["control-plane-1", "control-plane-2", "control-plane-3", "worker-1", "worker-2", "worker-3"];

const changes = changedResources;

describe("KSailCluster: Talos on Hetzner (ISO route, first control plane endpoint)", () => {
  test("full graph, parenting and order: network and endpoint, identity, servers, machines in maintenance mode, ISO detach, bootstrap, CCM before CSI", async () => {
    const r = await record(CLUSTER);
    const t = trigger(CLUSTER);
    assert.deepEqual(
      r.resources.map((x) => [x.name, x.type, x.parent ?? ""]),
      [
        ["dev", "ksail:index:KSailCluster", ""],
        ["dev-spec", CLUSTER_SPEC, "dev"],
        ["dev-infra", "ksail:providers:HetznerClusterInfra", "dev"],
        ["dev-infra-hcloud", "pulumi:providers:hcloud", "dev-infra"],
        ["dev-infra-network", "hcloud:index/network:Network", "dev-infra"],
        ["dev-infra-subnet", "hcloud:index/networkSubnet:NetworkSubnet", "dev-infra"],
        ["dev-infra-firewall", "hcloud:index/firewall:Firewall", "dev-infra"],
        ["dev-infra-firewall-worker", "hcloud:index/firewall:Firewall", "dev-infra"],
        ["dev-infra-placement-control-plane", "hcloud:index/placementGroup:PlacementGroup", "dev-infra"],
        ["dev-infra-placement-worker", "hcloud:index/placementGroup:PlacementGroup", "dev-infra"],
        ["dev-infra-control-plane-1-ipv4", "hcloud:index/primaryIp:PrimaryIp", "dev-infra"],
        // The identity follows the endpoint addresses and precedes the servers that boot with configs made from it.
        ["dev-secrets", CLUSTER_SECRETS, "dev"],
        ...nodes.map((n) => [`dev-infra-${n}`, "hcloud:index/server:Server", "dev-infra"]),
        ...nodes.map((n) => [`dev-infra-${n}-type`, "pulumi-nodejs:dynamic/ksail:HcloudServerType", "dev-infra"]),
        // ISO route: each server's ISO is detached once it booted, before its machine installs Talos.
        ...nodes.map((n) => [`dev-infra-${n}-iso-detach`, "pulumi-nodejs:dynamic/ksail:HcloudIsoDetach", "dev-infra"]),
        ...nodes.map((n) => [`dev-machine-${n}`, TALOS_MACHINE, "dev"]),
        ["dev-bootstrap", TALOS_BOOTSTRAP, "dev"],
        // Removes what the cluster made outside Pulumi on destroy: the installers wait for it, it waits for the network.
        ["dev-infra-cleanup", "pulumi-nodejs:dynamic/ksail:HcloudCleanup", "dev-infra"],
        ["dev-api-ready", READINESS, "dev"],
        ["dev-k8s", K8S_PROVIDER, "dev"],
        ["dev-cilium", "ksail:components:Cilium", "dev"],
        ["dev-cilium-gateway-api-crds", "kubernetes:yaml/v2:ConfigFile", "dev-cilium"],
        ["dev-cilium-release", "kubernetes:helm.sh/v3:Release", "dev-cilium"],
        ["dev-cni-ready", READINESS, "dev"],
        ["dev-hcloud-secret", "kubernetes:core/v1:Secret", "dev"],
        ["dev-hcloud-ccm", "ksail:components:HcloudCcm", "dev"],
        ["dev-hcloud-ccm-release", "kubernetes:helm.sh/v3:Release", "dev-hcloud-ccm"],
        ["dev-ccm-ready", READINESS, "dev"],
        ["dev-hcloud-csi", "ksail:components:HetznerCsi", "dev"],
        ["dev-hcloud-csi-release", "kubernetes:helm.sh/v3:Release", "dev-hcloud-csi"],
        ["dev-metadata-guard", "ksail:components:MetadataGuard", "dev"],
        ["dev-metadata-guard-policy", "kubernetes:cilium.io/v2:CiliumClusterwideNetworkPolicy", "dev-metadata-guard"],
        ["dev-kubernetes", K8S_PROVIDER, "dev"],
        ["dev-destroy-guard", "pulumi-nodejs:dynamic/ksail:DestroyGuard", "dev"],
      ],
    );
    // Every cloud resource, machine and the bootstrap carry the recreate hash.
    for (const x of r.resources) {
      const infra =
        (x.type.startsWith("hcloud:index/") || x.parent === "dev-infra" || x.type === TALOS_MACHINE || x.type === TALOS_BOOTSTRAP) &&
        x.custom &&
        !x.type.startsWith("pulumi:providers:");
      if (infra) assert.equal(x.options.replacementTrigger, t, `${x.name} replacementTrigger`);
    }
    // Machines: maintenance-mode apply to each server's public address; bootstrap after the first ISO detach.
    const m1 = r.byName("dev-machine-control-plane-1");
    // Its own address (apid open to allowedCidrs), its private address for the bootstrap's peers and proxies, and the
    // other control planes as fallbacks.
    assert.deepEqual(m1.inputs.node, {
      name: "dev-control-plane-1",
      role: "controlplane",
      platform: "hcloud",
      endpoint: "203.0.113.101:50000",
      address: "10.0.1.2",
      via: ["203.0.113.102:50000", "203.0.113.103:50000"],
    });
    // ISO route: a worker's maintenance-mode install goes to its own address; after the install (its apid closed to
    // the outside) the calls go through the talosconfig endpoint and the other control planes.
    assert.deepEqual(r.byName("dev-machine-worker-2").inputs.node, {
      name: "dev-worker-2",
      role: "worker",
      platform: "hcloud",
      endpoint: "203.0.113.112:50000",
      address: "10.0.1.13",
      via: ["203.0.113.101:50000", "203.0.113.102:50000", "203.0.113.103:50000"],
    });
    assert.equal(m1.inputs.maintenance, true);
    // The ISO is the metal platform: the metal installer of the Image Factory (the default schematic).
    assert.equal(m1.inputs.installImage, `factory.talos.dev/metal-installer/${SCHEMATIC}:v1.14.1`);
    assert.equal(m1.inputs.controlPlanes, 3);
    // Every machine after its own server and ISO detach only: creates run side by side (etcd forms at the bootstrap);
    // changes to running nodes are ordered by TalosMachine's provider, one at a time.
    for (const n of ["control-plane-1", "control-plane-2", "control-plane-3", "worker-1", "worker-2", "worker-3"])
      assert.deepEqual(r.byName(`dev-machine-${n}`).options.dependsOn, [`dev-infra-${n}`, `dev-infra-${n}-iso-detach`]);
    assert.deepEqual(r.byName("dev-infra-control-plane-1-iso-detach").options.dependsOn, ["dev-infra-control-plane-1"]);
    // The bootstrap asks the other control planes first, so it waits until each of them is configured too.
    assert.deepEqual(r.byName("dev-bootstrap").options.dependsOn, [
      "dev-machine-control-plane-1",
      "dev-machine-control-plane-2",
      "dev-machine-control-plane-3",
    ]);
    assert.deepEqual(r.byName("dev-bootstrap").inputs.node, {
      name: "dev-control-plane-1",
      endpoint: "203.0.113.101:50000",
      address: "10.0.1.2",
      via: ["203.0.113.102:50000", "203.0.113.103:50000"],
    });
    // Machine configs: Hetzner platform, endpoint = the primary IP, private-network pinning, no VIP without floating IP.
    const cfg = m1.inputs.config as string;
    assert.match(cfg, /endpoint: https:\/\/203\.0\.113\.101:6443/);
    assert.match(cfg, /10\.0\.0\.0\/16/);
    assert.match(cfg, /hostname: dev-control-plane-1/);
    assert.doesNotMatch(cfg, /vip:/);
    assert.deepEqual(r.byName("dev-secrets").inputs.endpoints, {
      kubernetes: "https://203.0.113.101:6443",
      talos: ["203.0.113.101:50000"],
    });
    assert.equal(r.byName("dev-hcloud-secret").inputs.stringData.network, "dev-network");
    // Outputs.
    assert.equal(r.stackOutputs.endpoint, "https://203.0.113.101:6443");
    assert.deepEqual(r.stackOutputs.nodes[3], {
      name: "dev-worker-1",
      role: "worker",
      address: "203.0.113.111",
      privateAddress: "10.0.1.12",
    });
    assert.deepEqual(Object.keys(r.stackOutputs.versions.charts).sort(), ["cni", "csi", "hcloudCcm"]);
    // Secret scan: token, credentials and key material never in plain values.
    const bundle = (await secretsOutputs("Talos")).talos as { cluster: { secret: string }; secrets: { bootstrapToken: string } };
    const plain = allPlainStrings(r);
    for (const s of [TOKEN, KUBECONFIG_MARKER, TALOSCONFIG_MARKER, bundle.cluster.secret, bundle.secrets.bootstrapToken]) {
      assert.ok(!plain.some((p) => p.includes(s)), `secret ${s.slice(0, 20)}… in a plain value`);
    }
    assert.ok(!plain.some((p) => /PRIVATE KEY/.test(p)));
  });

  test("worker added: one server, its resize step, machine and ISO detach; existing nodes unchanged", async () => {
    const a = await record({ ...CLUSTER, workers: 2 });
    const b = await record({ ...CLUSTER, workers: 3 });
    const c = changes(a, b);
    for (const added of ["+dev-infra-worker-3", "+dev-infra-worker-3-type", "+dev-machine-worker-3", "+dev-infra-worker-3-iso-detach"])
      assert.ok(c.includes(added), `${added} in ${c.join(", ")}`);
    // The destroy guard only gains the new node's resources in its dependsOn.
    const other = c.filter((x) => !x.startsWith("+") && !["~dev-spec", "~dev-api-ready", "~dev-destroy-guard"].includes(x));
    assert.deepEqual(other, [], "nothing else changes");
    assert.equal(b.byName("dev-infra-worker-1").options.replacementTrigger, a.byName("dev-infra-worker-1").options.replacementTrigger);
  });

  test("recreate-class change (location): every infrastructure trigger changes and the Kubernetes provider is replaced", async () => {
    const a = await record(CLUSTER);
    const b = await record(CLUSTER, { provider: { hetzner: { location: "nbg1" } } });
    const triggered = a.resources.filter((x) => x.options.replacementTrigger !== undefined);
    assert.ok(triggered.length >= 30);
    for (const x of triggered) assert.notEqual(b.byName(x.name).options.replacementTrigger, x.options.replacementTrigger, x.name);
    assert.notEqual(a.byName("dev-k8s").inputs.clusterIdentifier, b.byName("dev-k8s").inputs.clusterIdentifier);
  });

  test("in-place component change (CSI chart version): only that release changes", async () => {
    const a = await record(CLUSTER);
    const b = await record(CLUSTER, { args: { components: { csi: { version: "2.99.0" } } } });
    assert.deepEqual(changes(a, b), ["~dev-hcloud-csi-release"]);
    assert.equal(b.stackOutputs.versions.charts.csi, "2.99.0");
  });

  test("protect: the spec record, the secrets, the network and the destroy guard (which depends on everything) are protected; Hetzner delete protection on what the cluster keeps; servers are not", async () => {
    const r = await record(CLUSTER, { args: { protect: true } });
    const guard = r.byName("dev-destroy-guard");
    assert.equal(guard.options.protect, true);
    // Every other resource of the cluster is reached from the guard through dependencies, so a destroy deletes it
    // first and stops there: nothing else is deleted.
    const byName = new Map(r.resources.map((x) => [x.name, x]));
    const reached = new Set<string>();
    const visit = (n: string) => {
      if (reached.has(n)) return;
      reached.add(n);
      const x = byName.get(n);
      for (const d of [...(x?.options.dependsOn ?? []), ...(x?.options.dependencies ?? [])]) visit(d);
      for (const child of r.resources.filter((y) => y.parent === n)) visit(child.name);
    };
    visit("dev-destroy-guard");
    const unreached = r.resources
      .filter((x) => x.custom && !x.type.startsWith("pulumi:providers:") && !reached.has(x.name))
      .map((x) => x.name);
    assert.deepEqual(unreached, []);
    for (const n of ["dev-infra-network", "dev-infra-control-plane-1-ipv4"]) assert.equal(r.byName(n).inputs.deleteProtection, true, n);
    assert.equal(r.byName("dev-infra-worker-1").inputs.deleteProtection, undefined);
    const off = await record(CLUSTER);
    assert.notEqual(off.byName("dev-destroy-guard").options.protect, true);
    assert.equal(off.byName("dev-infra-network").inputs.deleteProtection, undefined);
    for (const n of ["dev-spec", "dev-secrets", "dev-infra-network"]) assert.equal(r.byName(n).options.protect, true, n);
    for (const n of ["dev-infra-worker-1", "dev-infra-subnet", "dev-machine-worker-1"])
      assert.notEqual(r.byName(n).options.protect, true, n);
  });
});

describe("KSailCluster: Talos on Hetzner variants", () => {
  test("floating-IP endpoint: the Talos VIP with the token (secret), SANs and endpoint on the floating IP", async () => {
    const r = await record(CLUSTER, { provider: { hetzner: { floatingIPEnabled: true } } });
    assert.ok(r.find("dev-infra-floating-ip"));
    const m = r.byName("dev-machine-control-plane-1");
    assert.match(m.inputs.config, /203\.0\.113\.50/);
    assert.match(m.inputs.config, /endpoint: https:\/\/203\.0\.113\.50:6443/);
    assert.ok(m.secretInputs.includes("config"));
    assert.ok(!allPlainStrings(r).some((p) => p.includes(TOKEN)));
    await assert.rejects(
      recordCluster({
        cluster: CLUSTER,
        provider: { hetzner: { floatingIPEnabled: true, tokenEnvVar: "KSAIL_TEST_NO_SUCH_TOKEN" } },
        outputs: hetznerOutputs,
      }),
      (e: unknown) => isKsailError(e) && /floatingIPEnabled/.test((e as Error).message) && /hcloud:token/.test((e as Error).message),
    );
  });

  test("snapshot route with node autoscaling: configs as user_data (secret), no maintenance mode, the autoscaler gets the snapshot and worker config", async () => {
    const cluster = {
      ...CLUSTER,
      talos: { schematicId: SCHEMATIC },
      autoscaler: { node: { enabled: "Enabled", pools: [{ name: "burst", serverType: "cx33", location: "fsn1", min: 0, max: 3 }] } },
    };
    const lookups: Record<string, unknown>[] = [];
    const r = await recordCluster({
      cluster,
      args: { hcloudToken: TOKEN },
      outputs: hetznerOutputs,
      call: (token, inputs) => {
        assert.equal(token, "hcloud:index/getImage:getImage");
        lookups.push(inputs);
        return { id: 4242, name: "talos" };
      },
    });
    assert.ok(lookups.length >= 1);
    assert.match(String(lookups[0].withSelector), /ksail\.io\/talos-schematic=376567988ad3/);
    const server = r.byName("dev-infra-worker-1");
    const m = r.byName("dev-machine-worker-1");
    assert.equal(m.inputs.maintenance, false);
    // Workers' apid answers on the private network only: the machine dials the talosconfig endpoint (control
    // plane 1's reserved IPv4) and routes to the worker's private address; control planes dial their own address.
    assert.deepEqual(m.inputs.node, {
      name: "dev-worker-1",
      role: "worker",
      platform: "hcloud",
      endpoint: "203.0.113.101:50000",
      address: "10.0.1.12",
      via: ["203.0.113.102:50000", "203.0.113.103:50000"],
    });
    assert.deepEqual(r.byName("dev-machine-control-plane-2").inputs.node, {
      name: "dev-control-plane-2",
      role: "controlplane",
      platform: "hcloud",
      endpoint: "203.0.113.102:50000",
      address: "10.0.1.3",
      via: ["203.0.113.101:50000", "203.0.113.103:50000"],
    });
    assert.deepEqual(r.byName("dev-infra-worker-1-type").inputs.health.node, "10.0.1.12");
    // The workers' own firewall: nothing but ICMP on the snapshot route.
    assert.deepEqual(
      r.byName("dev-infra-firewall-worker").inputs.rules.map((x: { protocol: string }) => x.protocol),
      ["icmp"],
    );
    // Snapshot nodes run the hcloud platform: upgrades keep it (the hcloud installer, not the metal one).
    assert.equal(m.inputs.installImage, `factory.talos.dev/hcloud-installer/${SCHEMATIC}:v1.14.1`);
    assert.ok(server.secretInputs.includes("userData"), "user_data is secret");
    assert.equal(typeof server.inputs.userData, "string");
    assert.equal(r.find("dev-infra-worker-1-iso-detach"), undefined);
    assert.deepEqual(r.byName("dev-bootstrap").options.dependsOn, [
      "dev-machine-control-plane-1",
      "dev-machine-control-plane-2",
      "dev-machine-control-plane-3",
    ]);
    const autoscaler = r.byName("dev-cluster-autoscaler");
    assert.equal(autoscaler.type, "ksail:components:ClusterAutoscaler");
    const config = r.byName("dev-cluster-autoscaler-config");
    assert.ok(config.secretInputs.length > 0, "the autoscaler config (worker machine config) is secret");
    // New autoscaled servers boot the snapshot the lookup found (its id, not the label selector).
    const encoded = Object.values(config.inputs.stringData as Record<string, string>)[0];
    assert.deepEqual(JSON.parse(Buffer.from(encoded, "base64").toString("utf8")).imagesForArch, { amd64: "4242" });
    assert.ok(!allPlainStrings(r).some((p) => p.includes(TOKEN)));
  });

  test("node autoscaling on the ISO route says a snapshot is needed", async () => {
    await assert.rejects(
      record({
        ...CLUSTER,
        autoscaler: { node: { enabled: "Enabled", pools: [{ name: "burst", serverType: "cx33", location: "fsn1", min: 0, max: 3 }] } },
      }),
      (e: unknown) => isKsailError(e) && /schematicId/.test((e as Error).message),
    );
  });

  test("an unsupported pair names the field and what is allowed", async () => {
    await assert.rejects(
      recordCluster({ cluster: { distribution: "K3s", provider: "Hetzner" } }),
      (e: unknown) => isKsailError(e) && /spec\.cluster\.provider: K3s on Hetzner .*does not support it/.test((e as Error).message),
    );
  });
});
