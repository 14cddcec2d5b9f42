// Both example programs, planned in-process under the mock runtime exactly as `ksail-pulumi plan` runs them
// (they also typecheck: tsconfig.json includes examples/**). Asserts that the example files describe what
// their READMEs promise.
import { describe, test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { runProgramUnderMocks, type PlannedResource } from "../sdk/cli/mockrun";
import { repoRoot } from "./harness/paths";

const root = repoRoot();
const named = (rs: PlannedResource[]) => new Map(rs.map((r) => [r.name, r]));

describe("examples/local (Talos on Docker, 1+1, Flux from the local registry, default mirrors)", () => {
  test("plans under mocks: one cluster, two Talos nodes, mirrors, local registry, Flux; nothing outside the component", async () => {
    const cwd = process.cwd();
    const plan = await runProgramUnderMocks({ dir: path.join(root, "examples", "local") });
    assert.equal(process.cwd(), cwd, "the working directory is restored");
    assert.equal(plan.stack, "dev");
    const byName = named(plan.resources);
    assert.equal(plan.resources[0].name, "local");
    assert.equal(plan.resources[0].type, "ksail:index:KSailCluster");
    for (const r of plan.resources.slice(1)) assert.ok(r.parent !== undefined && r.name.startsWith("local-"), `${r.name} is a named child`);
    const talos = plan.resources.filter(
      (r) => r.type === "docker:index/container:Container" && String(r.inputs.image).startsWith("ghcr.io/siderolabs/talos:"),
    );
    assert.deepEqual(
      talos.map((r) => r.inputs.hostname),
      ["local-control-plane-1", "local-worker-1"],
    );
    assert.deepEqual(
      plan.resources
        .filter((r) => r.name.startsWith("local-infra-mirror-") && r.type === "docker:index/container:Container")
        .map((r) => r.name),
      ["docker.io", "ghcr.io", "quay.io", "registry.k8s.io"].map((h) => `local-infra-mirror-${h}`),
    );
    assert.equal(byName.get("local-infra-local-registry")?.inputs.name, "local-local-registry");
    assert.deepEqual(
      plan.resources.filter((r) => r.type === "pulumi-nodejs:dynamic/ksail:TalosMachine").map((r) => r.name),
      ["local-machine-control-plane-1", "local-machine-worker-1"],
    );
    assert.ok(byName.has("local-bootstrap"));
    const flux = byName.get("local-flux-instance");
    assert.ok(flux, "FluxInstance present");
    assert.match(JSON.stringify(flux!.inputs), /local-local-registry:5000/, "Flux syncs from the in-network local registry");
    assert.deepEqual(plan.outputs.nodes, [
      { name: "local-control-plane-1", role: "control-plane", address: "10.5.0.2" },
      { name: "local-worker-1", role: "worker", address: "10.5.0.3" },
    ]);
    assert.equal(plan.outputs.kubeconfig, "[secret]");
    assert.equal(plan.outputs.talosconfig, "[secret]");
  });
});

describe("examples/prod (Talos on Hetzner 3+3, autoscaler, HA endpoint, Flux from an external registry, promotion)", () => {
  const dir = path.join(root, "examples", "prod");
  const stagingOutputs = JSON.parse(fs.readFileSync(path.join(dir, "staging-outputs.example.json"), "utf8"));

  test("staging: the full production graph, unprotected, versions from ksail.prod.yaml", async () => {
    const plan = await runProgramUnderMocks({ dir, stack: "staging" });
    const byName = named(plan.resources);
    assert.equal(plan.resources[0].name, "prod");
    assert.equal(byName.get("prod-secrets")?.inputs.clusterName, "staging");
    const servers = plan.resources.filter((r) => r.type === "hcloud:index/server:Server").map((r) => r.inputs.name);
    assert.deepEqual(
      servers,
      ["control-plane-1", "control-plane-2", "control-plane-3", "worker-1", "worker-2", "worker-3"].map((n) => `staging-${n}`),
    );
    assert.equal(
      byName.get("prod-infra-api")?.type,
      "hcloud:index/loadBalancer:LoadBalancer",
      "HA endpoint: a load balancer over the control planes",
    );
    assert.equal(byName.get("prod-infra-api-targets")?.inputs.labelSelector, "ksail.cluster.name=staging,ksail.node.type=control-plane");
    for (const r of plan.resources.filter((x) => x.type === "pulumi-nodejs:dynamic/ksail:TalosMachine")) {
      assert.equal(r.inputs.maintenance, false, "snapshot route");
      assert.equal(r.inputs.config, "[secret]");
    }
    assert.ok(byName.has("prod-cluster-autoscaler-release"));
    assert.equal(byName.get("prod-cluster-autoscaler-config")?.inputs.stringData, "[secret]");
    const flux = byName.get("prod-flux-instance");
    assert.match(JSON.stringify(flux?.inputs), /ghcr\.io\/acme\/platform-manifests/);
    assert.ok(
      plan.resources.some(
        (r) => r.parent === "prod-flux" && r.type === "kubernetes:core/v1:Secret" && JSON.stringify(r.inputs).includes("[secret]"),
      ),
      "registry credentials as a secret",
    );
    for (const r of plan.resources) assert.notEqual(r.protect, true, `${r.name} not protected on staging`);
    assert.deepEqual(plan.outputs.versions, stagingOutputs["organization/ksail-prod/staging"].versions);
  });

  test("prod: protected, and pins the versions staging exported (StackReference)", async () => {
    const pinned = structuredClone(stagingOutputs);
    const v = pinned["organization/ksail-prod/staging"].versions;
    v.talos = "1.13.8";
    v.kubernetes = "1.36.0"; // a pin Talos 1.13 runs (1.31 to 1.36)
    v.charts.cni = "1.19.3";
    const plan = await runProgramUnderMocks({ dir, stack: "prod", stackOutputs: pinned });
    const byName = named(plan.resources);
    for (const n of ["prod-spec", "prod-secrets", "prod-infra-network"]) assert.equal(byName.get(n)?.protect, true, `${n} protected`);
    assert.notEqual(byName.get("prod-infra-worker-1")?.protect, true, "servers stay removable");
    assert.equal(byName.get("prod-secrets")?.inputs.clusterName, "prod");
    assert.equal(byName.get("prod-machine-control-plane-1")?.inputs.talosVersion, "1.13.8");
    assert.equal(byName.get("prod-cilium-release")?.inputs.version, "1.19.3");
    assert.deepEqual(plan.outputs.versions, v);
    await assert.rejects(runProgramUnderMocks({ dir, stack: "prod" }), /has no "versions" output; run pulumi up on it first/);
  });
});

describe("examples/preview (one vCluster per pull request on a shared host)", () => {
  test("plans under mocks: the stack names the vCluster, its namespace, front, release with vcluster.yaml, and cert-manager inside", async () => {
    const dir = path.join(root, "examples", "preview");
    const before = process.env.KSAIL_HOST_KUBECONFIG;
    process.env.KSAIL_HOST_KUBECONFIG = path.join(dir, "host.example.kubeconfig");
    try {
      const plan = await runProgramUnderMocks({ dir, stack: "pr-1" });
      const byName = named(plan.resources);
      assert.equal(plan.resources[0].name, "pr-1");
      assert.equal((byName.get("pr-1-namespace")?.inputs.metadata as any)?.name, "vcluster-pr-1");
      assert.equal((byName.get("pr-1-api")?.inputs.spec as any)?.type, "LoadBalancer");
      const release = byName.get("pr-1-vcluster");
      assert.deepEqual([release?.inputs.chart, release?.inputs.name, release?.inputs.namespace], ["vcluster", "pr-1", "vcluster-pr-1"]);
      assert.equal((byName.get("pr-1-vcluster-kubeconfig")?.inputs.metadata as any)?.name, "vc-pr-1");
      assert.ok(byName.has("pr-1-cert-manager-release"));
      assert.equal(byName.get("pr-1-host")?.type, "pulumi:providers:kubernetes");
    } finally {
      if (before === undefined) delete process.env.KSAIL_HOST_KUBECONFIG;
      else process.env.KSAIL_HOST_KUBECONFIG = before;
    }
  });
});

// Output hygiene: every stack output an example exports has a value (an undefined one makes Pulumi print
// "Undefined value … will not show as a stack output" and the output is silently missing).
describe("examples' stack outputs are all defined", () => {
  const exported = (file: string): string[] => {
    const src = fs.readFileSync(file, "utf8");
    const consts = [...src.matchAll(/^export const (\w+)/gm)].map((m) => m[1]!);
    const returned = /return \{([\s\S]*?)\};/.exec(src)?.[1];
    const keys = returned ? [...returned.matchAll(/^\s*(\w+):/gm)].map((m) => m[1]!) : [];
    return [...consts, ...keys];
  };
  for (const [example, stack] of [
    ["local", undefined],
    ["prod", "staging"],
    ["preview", "pr-1"],
  ] as const) {
    test(`examples/${example}`, async () => {
      const dir = path.join(root, "examples", example);
      const names = exported(path.join(dir, "index.ts"));
      assert.ok(names.length >= 5, names.join());
      // The preview example reads the host cluster's kubeconfig from the file $KSAIL_HOST_KUBECONFIG names.
      const before = process.env.KSAIL_HOST_KUBECONFIG;
      process.env.KSAIL_HOST_KUBECONFIG = path.join(dir, "host.example.kubeconfig");
      try {
        const plan = await runProgramUnderMocks({ dir, ...(stack ? { stack } : {}) });
        for (const n of names) assert.ok(plan.outputs[n] !== undefined, `stack output ${n} is undefined`);
      } finally {
        if (before === undefined) delete process.env.KSAIL_HOST_KUBECONFIG;
        else process.env.KSAIL_HOST_KUBECONFIG = before;
      }
    });
  }
});
