// L1: KSailCluster for Talos on Sidero Omni under mocks — the template's resources in template-sync order
// (Cluster → ConfigPatches → MachineSets → MachineSetNodes), then the wait-and-kubeconfig resource the
// installers depend on; no ClusterSecrets, no Talos machines (Omni owns both); the service-account key only
// as a secret; machine classes instead of listed machines; validation of Omni's rules.
import { describe, test, afterEach } from "node:test";
import * as assert from "node:assert/strict";
import { allPlainStrings, type Recording } from "../harness/mocks";
import { isKsailError } from "../../sdk/errors";
import { CLUSTER_SECRETS, CLUSTER_SPEC, K8S_PROVIDER, TALOS_MACHINE, recordCluster } from "./cluster-record";

const OMNI = (t: string) => `pulumi-nodejs:dynamic/ksail:Omni${t}`;
const KEY = "c2VydmljZS1hY2NvdW50LWtleS1TRUNSRVQtTUFSS0VS"; // "service-account-key-SECRET-MARKER"
const KUBECONFIG = "apiVersion: v1\nkind: Config\nusers:\n- name: x\n  user:\n    token: omni-token-SECRET-MARKER\n";
const M = ["7c1a0c1e-0000-4000-8000-000000000001", "7c1a0c1e-0000-4000-8000-000000000002", "7c1a0c1e-0000-4000-8000-000000000003"];
const CLUSTER = { distribution: "Talos", provider: "Omni", controlPlanes: 1, workers: 2, cni: "Cilium" };
const PROVIDER = {
  omni: { endpoint: "https://acme.omni.siderolabs.io", talosVersion: "v1.12.0", kubernetesVersion: "1.34.1", machines: M },
};
const PATCHES = {
  cluster: [{ source: "talos/cluster/time.yaml", content: "machine:\n  time:\n    servers: [time.cloudflare.com]\n" }],
  controlPlanes: [],
  workers: [{ source: "talos/workers/labels.yaml", content: "machine:\n  nodeLabels:\n    pool: w\n" }],
};

function outputs(type: string): Record<string, unknown> | undefined {
  if (type === OMNI("Kubeconfig")) return { kubeconfig: KUBECONFIG, server: "https://acme.kubernetes.omni.siderolabs.io" };
  if (type === OMNI("ClusterReady"))
    return { nodes: M.map((name, i) => ({ name, role: i === 0 ? "control-plane" : "worker", address: "" })) };
  return undefined;
}

function record(
  cluster: Record<string, unknown> = CLUSTER,
  provider: Record<string, unknown> = PROVIDER,
  args: Record<string, unknown> = {},
): Promise<Recording> {
  return recordCluster({ cluster, provider, args: { talosConfigPatches: PATCHES, ...args }, outputs });
}

afterEach(() => {
  delete process.env.OMNI_ENDPOINT;
});

describe("KSailCluster: Talos on Omni", () => {
  test("the template's resources in template-sync order, parented to the cluster, then the kubeconfig gate before the installers", async () => {
    const r = await record();
    const omni = r.resources.filter((x) => x.type.startsWith(OMNI("")));
    assert.deepEqual(
      omni.map((x) => [x.name, x.type]),
      [
        ["dev-omni-cluster", OMNI("Cluster")],
        ["dev-omni-patch-200-cluster-dev-ksail-cni", OMNI("ConfigPatch")],
        ["dev-omni-patch-201-cluster-dev-time", OMNI("ConfigPatch")],
        ["dev-omni-patch-400-dev-workers-labels", OMNI("ConfigPatch")],
        ["dev-omni-control-planes", OMNI("MachineSet")],
        [`dev-omni-node-${M[0]}`, OMNI("MachineSetNode")],
        ["dev-omni-workers", OMNI("MachineSet")],
        [`dev-omni-node-${M[1]}`, OMNI("MachineSetNode")],
        [`dev-omni-node-${M[2]}`, OMNI("MachineSetNode")],
        ["dev-omni-ready", OMNI("ClusterReady")],
        ["dev-omni-kubeconfig", OMNI("Kubeconfig")],
      ],
    );
    assert.ok(omni.every((x) => x.parent === "dev"));
    assert.equal(r.byType(CLUSTER_SECRETS).length, 0, "Omni owns the cluster's PKI");
    assert.equal(r.byType(TALOS_MACHINE).length, 0, "Omni builds and applies the machine configs");
    assert.equal(r.byType(CLUSTER_SPEC).length, 1);

    const cluster = r.byName("dev-omni-cluster");
    assert.deepEqual(
      cluster.inputs.spec,
      { talosVersion: "1.12.0", kubernetesVersion: "1.34.1", features: {} },
      "versions without v, as template sync writes them",
    );
    assert.deepEqual(cluster.inputs.annotations, { "omni.sidero.dev/managed-by-cluster-templates": "" });
    assert.deepEqual(cluster.inputs.connection, {
      endpoint: "https://acme.omni.siderolabs.io",
      serviceAccountKeyEnvVar: "OMNI_SERVICE_ACCOUNT_KEY",
    });

    const cni = r.byName("dev-omni-patch-200-cluster-dev-ksail-cni");
    assert.equal(cni.inputs.resourceId, "200-cluster-dev-ksail-cni");
    assert.deepEqual(cni.inputs.labels, { "omni.sidero.dev/cluster": "dev" });
    assert.match(cni.inputs.data, /cni:\n\s+name: none/);
    const workersPatch = r.byName("dev-omni-patch-400-dev-workers-labels");
    assert.deepEqual(workersPatch.inputs.labels, { "omni.sidero.dev/cluster": "dev", "omni.sidero.dev/machine-set": "dev-workers" });
    assert.equal(workersPatch.inputs.patchScope, "workers");
    assert.deepEqual(workersPatch.inputs.annotations, { name: "labels" });

    const cp = r.byName("dev-omni-control-planes");
    assert.equal(cp.inputs.resourceId, "dev-control-planes");
    assert.deepEqual(cp.inputs.labels, { "omni.sidero.dev/cluster": "dev", "omni.sidero.dev/role-controlplane": "" });
    assert.deepEqual(cp.inputs.spec, { updateStrategy: "Rolling" });
    assert.ok(
      ["dev-omni-cluster", ...omni.filter((x) => x.type === OMNI("ConfigPatch")).map((x) => x.name)].every((d) =>
        cp.options.dependencies.includes(d),
      ),
    );

    const node = r.byName(`dev-omni-node-${M[1]}`);
    assert.deepEqual(node.inputs.labels, {
      "omni.sidero.dev/cluster": "dev",
      "omni.sidero.dev/role-worker": "",
      "omni.sidero.dev/machine-set": "dev-workers",
    });
    assert.ok(node.options.dependencies.includes("dev-omni-workers"));

    const gate = r.byName("dev-omni-ready");
    assert.equal(gate.inputs.machines, 3);
    assert.ok(
      omni.filter((x) => x !== gate && x.name !== "dev-omni-kubeconfig").every((x) => gate.options.dependencies.includes(x.name)),
      "the gate waits for every template resource",
    );
    const kc = r.byName("dev-omni-kubeconfig");
    assert.equal(kc.inputs.machines, undefined, "scaling does not touch the kubeconfig (nor the provider built from it)");
    assert.deepEqual(kc.options.dependencies, ["dev-omni-ready"]);
    assert.equal(kc.inputs.user, "ksail");
    assert.deepEqual(kc.inputs.groups, ["system:masters"]);
    assert.equal(kc.inputs.ttlSeconds, 30 * 24 * 3600);
    assert.ok(kc.options.additionalSecretOutputs.includes("kubeconfig"));

    const provider = r.byType(K8S_PROVIDER)[0];
    assert.ok(
      provider.options.dependencies.includes("dev-omni-kubeconfig") ||
        provider.options.propertyDependencies.kubeconfig?.includes("dev-omni-kubeconfig"),
    );
    assert.ok(r.find("dev-cilium-release") ?? r.resources.some((x) => x.name.startsWith("dev-cilium")), "the CNI is installed on top");

    assert.equal(r.stackOutputs.endpoint, "https://acme.kubernetes.omni.siderolabs.io");
    assert.ok(r.secretStackOutputs.includes("kubeconfig"));
    assert.deepEqual(
      r.stackOutputs.nodes.map((n: any) => n.name),
      M,
    );
    assert.equal(r.stackOutputs.versions.talos, "1.12.0");
    const plain = allPlainStrings(r).join("\n");
    assert.ok(!plain.includes("omni-token-SECRET-MARKER"), "the kubeconfig never appears in plain state");
  });

  test("the service-account key: read from the environment at operation time by default (never an input); a passed key is only a secret", async () => {
    const fromEnv = await record();
    assert.ok(fromEnv.resources.filter((x) => x.type.startsWith(OMNI(""))).every((x) => x.inputs.serviceAccountKey === undefined));
    const passed = await record(CLUSTER, PROVIDER, { omniServiceAccountKey: KEY });
    const withKey = passed.resources.filter((x) => x.type.startsWith(OMNI("")));
    assert.ok(withKey.every((x) => x.inputs.serviceAccountKey === KEY && x.secretInputs.includes("serviceAccountKey")));
    assert.ok(!allPlainStrings(passed).some((s) => s.includes(KEY)));
  });

  test("a machine class: machine sets allocate from it, no MachineSetNodes; workers 0 adds KSail's scheduling patch", async () => {
    const r = await record(
      { ...CLUSTER, workers: 0 },
      { omni: { endpoint: "https://acme.omni.siderolabs.io", machineClass: "bare-metal" } },
    );
    assert.equal(r.byType(OMNI("MachineSetNode")).length, 0);
    assert.equal(r.find("dev-omni-workers"), undefined);
    assert.deepEqual(r.byName("dev-omni-control-planes").inputs.spec, {
      updateStrategy: "Rolling",
      machineAllocation: { name: "bare-metal", machineCount: 1, allocationType: "Static" },
    });
    assert.ok(r.find("dev-omni-patch-201-cluster-dev-ksail-scheduling"));
  });

  test("OMNI_ENDPOINT overrides the endpoint (KSail's endpointEnvVar)", async () => {
    process.env.OMNI_ENDPOINT = "https://other.omni.siderolabs.io";
    const r = await record();
    assert.equal(r.byName("dev-omni-cluster").inputs.connection.endpoint, "https://other.omni.siderolabs.io");
  });

  test("Omni's rules fail before anything is registered, naming the field or file", async () => {
    const bad = async (
      cluster: Record<string, unknown>,
      provider: Record<string, unknown>,
      re: RegExp,
      args: Record<string, unknown> = {},
    ) => assert.rejects(record(cluster, provider, args), (e: unknown) => isKsailError(e) && re.test((e as Error).message));
    await bad(CLUSTER, { omni: { ...PROVIDER.omni, machineClass: "x" } }, /spec\.provider\.omni\.machines: .*mutually exclusive/);
    await bad(CLUSTER, { omni: { endpoint: "https://a.omni.siderolabs.io" } }, /sets neither machineClass nor machines/);
    await bad({ ...CLUSTER, workers: 3 }, PROVIDER, /lists 3 machine\(s\) but the cluster needs 4/);
    await bad(
      { ...CLUSTER, gitOpsEngine: "Flux" },
      PROVIDER,
      /localRegistry\.registry: is empty, so Flux would pull from localhost:5050, which an Omni cluster cannot reach/,
    );
    await bad({ ...CLUSTER, localRegistry: { registry: "localhost:5050" } }, PROVIDER, /cloud provider requires an external registry/);
    await bad(
      CLUSTER,
      { omni: { ...PROVIDER.omni, endpoint: "" } },
      /spec\.provider\.omni\.endpoint: is empty and OMNI_ENDPOINT is not set/,
    );
    await bad(CLUSTER, PROVIDER, /talos\/cluster\/disk\.yaml: sets machine\.install\.disk/, {
      talosConfigPatches: {
        ...PATCHES,
        cluster: [{ source: "talos/cluster/disk.yaml", content: "machine:\n  install:\n    disk: /dev/sdb\n" }],
      },
    });
    await bad(CLUSTER, PROVIDER, /is a JSON patch \(RFC 6902\)/, {
      talosConfigPatches: {
        ...PATCHES,
        cluster: [{ source: "talos/cluster/ops.yaml", content: "- op: add\n  path: /machine/env\n  value: {}\n" }],
      },
    });
  });
});
