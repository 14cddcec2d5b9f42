// L1: `render` shows exactly what each Docker container gets. For each layout, KSailCluster runs under mocks with
// the identity ClusterSecrets returns, and `render --with-secrets` runs with that same identity; every container
// the engine is asked to create must equal its `nodes/<name>/container.json` field by field (uploads by path, mode
// and content), apart from the Pulumi-only lifecycle flags listed below. Before, render wrote the files and the
// k3s command line but not the containers' flags, mounts, ports, labels or environment, and nothing checked that
// render and the infrastructure agreed.
import { describe, test } from "node:test";
import * as assert from "node:assert/strict";
import { renderCluster } from "../../sdk/cli/render";
import { parseClusterDocument } from "../../sdk/config";
import { CONTAINER, recordCluster, secretsOutputs } from "./cluster-record";

/** Arguments that steer the Docker provider's lifecycle, not the container: not part of the container spec. */
const LIFECYCLE = ["wait", "waitTimeout", "removeVolumes", "mustRun"];

const LAYOUTS = [
  { distribution: "Vanilla", controlPlanes: 1, workers: 0 },
  { distribution: "Vanilla", controlPlanes: 3, workers: 2 },
  { distribution: "K3s", controlPlanes: 1, workers: 2 },
  { distribution: "K3s", controlPlanes: 3, workers: 1 },
  { distribution: "Talos", controlPlanes: 1, workers: 1 },
  { distribution: "Talos", controlPlanes: 3, workers: 0 },
] as const;

/** The Docker provider's arguments a rendered container.json stands for. */
function asArgs(spec: any, files: Map<string, string>): Record<string, unknown> {
  const { uploads, envs, network, waitHealthy: _w, hostDependent: _h, ...rest } = spec;
  return {
    ...rest,
    ...(envs ? { envs } : {}),
    networksAdvanced: [{ name: network.name, ipv4Address: network.ipv4Address }],
    ...(uploads
      ? {
          uploads: uploads.map((u: any) => {
            const content = files.get(`nodes/${spec.name}/files/${u.file.replace(/^\/+/, "")}`);
            assert.ok(content !== undefined, `render wrote ${u.file} of ${spec.name}`);
            return { file: u.file, permissions: u.permissions, content };
          }),
        }
      : {}),
  };
}

for (const l of LAYOUTS) {
  describe(`${l.distribution} ${l.controlPlanes}+${l.workers}`, () => {
    test("every container the engine creates is the container.json render writes", async () => {
      const cluster = { distribution: l.distribution, provider: "Docker", controlPlanes: l.controlPlanes, workers: l.workers };
      const recording = await recordCluster({ cluster });
      const secrets = (await secretsOutputs(l.distribution)) as any;
      const { spec } = parseClusterDocument({
        apiVersion: "ksail.io/v1alpha1",
        kind: "Cluster",
        metadata: { name: "dev" },
        spec: { cluster },
      }).document!;
      const rendering = await renderCluster(
        { name: "dev", spec, warnings: [] },
        { withSecrets: true, identity: { kubeadm: secrets.kubeadm, k3s: secrets.k3s, talos: secrets.talos } },
      );
      const files = new Map(rendering.files.map((f) => [f.path, f.content]));
      const rendered = rendering.files.filter((f) => f.path.endsWith("/container.json")).map((f) => JSON.parse(f.content));
      // Registries and mirrors are containers of their own component (not nodes); every node and load balancer is rendered.
      const engine = recording.byType(CONTAINER).filter((c) => rendered.some((r) => r.name === c.inputs.name));
      assert.deepEqual(engine.map((c) => c.inputs.name).sort(), rendered.map((r) => r.name).sort());
      const nodes = recording.byType(CONTAINER).filter((c) => /-(control-plane|worker)-\d+$/.test(String(c.inputs.name)));
      assert.equal(nodes.length, l.controlPlanes + l.workers, "every node is rendered");
      for (const c of engine) {
        const r = rendered.find((x) => x.name === c.inputs.name)!;
        const got: Record<string, any> = { ...c.inputs };
        for (const k of LIFECYCLE) delete got[k];
        if (got.uploads) got.uploads = got.uploads.map((u: any) => ({ file: u.file, permissions: u.permissions, content: u.content }));
        const want = asArgs(r, files);
        for (const key of new Set([...Object.keys(got), ...Object.keys(want)]))
          assert.deepEqual(got[key], want[key], `${r.name}: ${key} differs between the engine and render`);
      }
    });
  });
}

test("without secrets the container specs name every secret value as redacted, and the Talos machine config is not in them", async () => {
  const { spec } = parseClusterDocument({
    apiVersion: "ksail.io/v1alpha1",
    kind: "Cluster",
    metadata: { name: "dev" },
    spec: { cluster: { distribution: "K3s", provider: "Docker", workers: 1 } },
  }).document!;
  const r = await renderCluster({ name: "dev", spec, warnings: [] });
  const worker = JSON.parse(r.files.find((f) => f.path === "nodes/dev-worker-1/container.json")!.content);
  assert.match(worker.envs[0], /^K3S_TOKEN=<redacted/);
  assert.equal(worker.envs[1], "K3S_URL=https://dev-control-plane-1:6443");
  assert.match(worker.hostDependent, /docker info/);
  const talos = parseClusterDocument({
    apiVersion: "ksail.io/v1alpha1",
    kind: "Cluster",
    metadata: { name: "dev" },
    spec: { cluster: { distribution: "Talos", provider: "Docker" } },
  }).document!.spec;
  const t = await renderCluster({ name: "dev", spec: talos, warnings: [] });
  const cp = t.files.find((f) => f.path === "nodes/dev-control-plane-1/container.json")!;
  assert.equal(cp.secret, false);
  assert.deepEqual(JSON.parse(cp.content).envs.slice(0, 2), ["PLATFORM=container", "TALOSSKU=2CPU-2048RAM"]);
  assert.match(JSON.parse(cp.content).envs[2], /^USERDATA=<redacted/);
});
