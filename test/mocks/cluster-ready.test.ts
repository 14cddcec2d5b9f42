// L1 (mock runtime): what a user hands to other resources carries the cluster's readiness. A Namespace on
// `cluster.kubernetesProvider`, a resource taking `cluster.kubeconfig` and one taking `cluster.ready` are each
// registered with a dependency that reaches the last readiness gate and every installer, so the engine
// creates them after the cluster is ready. (Before: `<name>-k8s` depended only on `<name>-secrets`, and a
// user's Namespace could be created before the API server answered.)
import { describe, test } from "node:test";
import * as assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import type { Recording, RecordedResource } from "../harness/mocks";
import { K8S_PROVIDER, READINESS, recordCluster } from "./cluster-record";

/** A stand-in for any resource a user feeds a cluster output (a Helm release elsewhere, a command, …). */
class UserThing extends pulumi.CustomResource {
  constructor(name: string, props: Record<string, pulumi.Input<unknown>>, opts?: pulumi.CustomResourceOptions) {
    super("test:index:UserThing", name, props, opts);
  }
}

/** Every resource `r` waits for, following dependencies transitively (names). */
function upstream(rec: Recording, r: RecordedResource): Set<string> {
  const seen = new Set<string>();
  const visit = (x: RecordedResource) => {
    const deps = [...x.options.dependencies, ...(x.options.provider ? [x.options.provider] : [])];
    for (const d of deps) {
      if (seen.has(d)) continue;
      seen.add(d);
      const next = rec.resources.find((y) => y.name === d);
      if (next) visit(next);
    }
  };
  visit(r);
  return seen;
}

const CASES = [
  { distribution: "Talos", workers: 1, cni: "Cilium", certManager: "Enabled", gitOpsEngine: "Flux" },
  { distribution: "Vanilla" },
  { distribution: "K3s", workers: 1 },
];

describe("KSailCluster readiness reaches the user's resources", () => {
  for (const cluster of CASES) {
    test(`${cluster.distribution}: resources on kubernetesProvider, kubeconfig or ready wait for every gate and installer`, async () => {
      const rec = await recordCluster({
        cluster,
        user: (c) => {
          new k8s.core.v1.Namespace("apps", {}, { provider: c.kubernetesProvider });
          new UserThing("uses-kubeconfig", { kubeconfig: c.kubeconfig });
          new UserThing("uses-ready", { ready: c.ready });
          new UserThing("uses-endpoint", { endpoint: c.endpoint, nodes: c.nodes });
        },
      });
      const gates = rec.byType(READINESS).map((g) => g.name);
      assert.ok(gates.includes("dev-cni-ready"), gates.join());
      const installers = rec.resources.filter((r) => r.type.startsWith("ksail:components:")).map((r) => r.name);
      assert.ok(installers.length > 0);
      const releases = rec.resources.filter((r) => r.type.startsWith("kubernetes:") && r.parent !== undefined).map((r) => r.name);

      // The user's provider is its own, depending on every gate and installer; the installers keep `<name>-k8s`.
      const provider = rec.byName("dev-kubernetes");
      assert.equal(provider.type, K8S_PROVIDER);
      assert.equal(provider.inputs.kubeconfig, rec.byName("dev-k8s").inputs.kubeconfig);
      assert.equal(provider.inputs.clusterIdentifier, rec.byName("dev-k8s").inputs.clusterIdentifier);
      assert.ok(provider.secretInputs.includes("kubeconfig"));
      for (const g of gates) assert.ok(provider.options.dependsOn.includes(g), `dev-kubernetes dependsOn ${g}`);
      for (const i of installers) assert.ok(provider.options.dependsOn.includes(i), `dev-kubernetes dependsOn ${i}`);
      for (const r of rec.byType("kubernetes:helm.sh/v3:Release")) assert.equal(r.options.provider, "dev-k8s", r.name);

      const ns = rec.byName("apps");
      assert.equal(ns.options.provider, "dev-kubernetes");
      for (const user of [ns, rec.byName("uses-kubeconfig"), rec.byName("uses-ready"), rec.byName("uses-endpoint")]) {
        const up = upstream(rec, user);
        for (const g of gates) assert.ok(up.has(g), `${user.name} waits for ${g}`);
        // A component stands for its children on the wire: the dependency reaches each installer's releases.
        for (const r of releases) assert.ok(up.has(r), `${user.name} waits for ${r}`);
      }
      // The Output-borne dependency is direct (on the wire), not only through the provider.
      for (const g of gates) assert.ok(rec.byName("uses-ready").options.dependencies.includes(g), `uses-ready → ${g}`);
      assert.ok(rec.byName("uses-kubeconfig").secretInputs.includes("kubeconfig"));
      assert.equal(rec.byName("uses-ready").inputs.ready, true);
    });
  }
});
