// L1: from ksail.yaml to DockerClusterInfra — a component change (cert-manager, policy engine, GitOps engine;
// on Talos every add-on switch) leaves every recorded resource identical, so the preview touches no container.
import { describe, test } from "node:test";
import * as assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { recordProgram, type Recording } from "../harness/mocks";
import { effective, parseClusterDocument } from "../../sdk/config";
import { DockerClusterInfra } from "../../sdk/infra/docker/infra";
import { planDockerCluster } from "../../sdk/plan/docker";
import { dockerPlanInputFromSpec } from "../../sdk/plan/dockerInput";
import { k3sPki, kubeadmPki, snapshot, talosConfigs } from "../fixtures/docker/record";

async function recordSpec(cluster: Record<string, unknown>): Promise<Recording> {
  const { document } = parseClusterDocument({
    apiVersion: "ksail.io/v1alpha1",
    kind: "Cluster",
    metadata: { name: "dev" },
    spec: { cluster },
  });
  const spec = effective(document.spec, { name: document.metadata.name });
  const plan = planDockerCluster(dockerPlanInputFromSpec(spec));
  const kpki = await kubeadmPki();
  const spki = await k3sPki();
  return recordProgram(() => {
    new DockerClusterInfra("dev", {
      plan,
      recreateTrigger: "t",
      talosMachineConfigs: talosConfigs(plan.nodes.map((n) => n.name)),
      kubeadmPki: pulumi.secret(kpki),
      k3sPki: pulumi.secret(spki),
    });
  });
}

function assertSame(a: Recording, b: Recording) {
  assert.deepEqual(
    b.resources.map((r) => r.name),
    a.resources.map((r) => r.name),
  );
  for (const r of a.resources) assert.deepEqual(snapshot(b.byName(r.name)), snapshot(r), r.name);
}

const components = {
  certManager: "Enabled",
  policyEngine: "Kyverno",
  gitOpsEngine: "Flux",
  localRegistry: { registry: "localhost:5050" }, // Flux defaults it to localhost:5050 anyway
};

describe("component changes touch no infrastructure", () => {
  for (const distribution of ["Talos", "K3s", "Vanilla"]) {
    test(`${distribution}: cert-manager, Kyverno and Flux on → every resource identical`, async () => {
      const base = {
        distribution,
        controlPlanes: 1,
        workers: 2,
        localRegistry: { registry: "localhost:5050" },
      };
      assertSame(await recordSpec(base), await recordSpec({ ...base, ...components }));
    });
  }
  test("Talos: CNI, CSI, metrics-server and LoadBalancer switches never reach the containers (machine config does)", async () => {
    const base = { distribution: "Talos", controlPlanes: 1, workers: 1 };
    assertSame(
      await recordSpec(base),
      await recordSpec({
        ...base,
        cni: "Cilium",
        csi: "Enabled",
        metricsServer: "Enabled",
        loadBalancer: "Enabled",
      }),
    );
  });
  // KSail's support matrix: CNI and metrics-server changes are in place on Vanilla, CSI and metrics-server on K3s.
  // Before, kindnet and the serving-cert switch were baked into the Kind nodes' bootstrap (recreate) and the K3s
  // add-ons were `--disable` server flags (rolling recreate of the servers).
  test("Vanilla: CNI (kindnet ↔ Cilium) and metrics-server switches leave every node container identical", async () => {
    const base = { distribution: "Vanilla", controlPlanes: 1, workers: 2 };
    const a = await recordSpec(base);
    assertSame(a, await recordSpec({ ...base, cni: "Cilium" }));
    assertSame(a, await recordSpec({ ...base, metricsServer: "Enabled" }));
    assertSame(a, await recordSpec({ ...base, csi: "Disabled" }));
  });
  test("K3s: CSI and metrics-server switches leave every node container identical", async () => {
    const base = { distribution: "K3s", controlPlanes: 3, workers: 2 };
    const a = await recordSpec(base);
    assertSame(a, await recordSpec({ ...base, csi: "Disabled" }));
    assertSame(a, await recordSpec({ ...base, metricsServer: "Disabled" }));
    for (const n of ["dev-control-plane-1", "dev-control-plane-2"])
      for (const addon of ["local-storage", "metrics-server"]) assert.ok(a.byName(n).inputs.command.includes(`--disable=${addon}`));
  });
  test("K3s: the servicelb switch stays a server flag — agents untouched", async () => {
    const base = { distribution: "K3s", controlPlanes: 1, workers: 2 };
    const a = await recordSpec(base);
    const b = await recordSpec({ ...base, loadBalancer: "Disabled" });
    const changed = a.resources
      .filter((r) => JSON.stringify(snapshot(r)) !== JSON.stringify(snapshot(b.byName(r.name))))
      .map((r) => r.name);
    assert.deepEqual(changed, ["dev-control-plane-1"]);
    assert.ok(b.byName("dev-control-plane-1").inputs.command.includes("--disable=servicelb"));
  });
});
