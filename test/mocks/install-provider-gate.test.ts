// L1: the installers' Kubernetes provider is configured only after a gate on the API server. The Kubernetes plugin
// probes the cluster when the provider is configured and, finding it unreachable, fails every create that follows
// ("configured Kubernetes cluster is unreachable"; pulumi/pulumi-kubernetes provider/pkg/provider/provider.go sets
// clusterUnreachable in Configure and checks it in Create). A provider resource is configured as soon as its inputs
// and dependencies are resolved — for a new cluster that is when ClusterSecrets has the kubeconfig, long before the
// API server answers — so before, every installer of a new (or recreated) cluster could fail. The real plugin doing
// exactly this was caught by test/realEngine/kwok-host-cluster.test.ts (the nested provider, fixed the same way), and
// test/realEngine/provider-reachability.test.ts shows the rule and the fix with a server that starts late.
import { describe, test } from "node:test";
import * as assert from "node:assert/strict";
import { READINESS, recordCluster } from "./cluster-record";

describe("the installers' provider waits for the API gate", () => {
  for (const [distribution, cluster] of [
    ["Vanilla", {}],
    ["K3s", {}],
    ["Talos", {}],
    ["K3s", { cni: "Cilium" }],
  ] as const)
    test(`${distribution} on Docker${"cni" in cluster ? " with Cilium" : ""}: dev-k8s depends on dev-api-ready, which depends on what the first stage waited for`, async () => {
      const r = await recordCluster({ cluster: { distribution, provider: "Docker", ...cluster } });
      const gate = r.byName("dev-api-ready");
      assert.equal(gate.type, READINESS);
      assert.deepEqual([gate.inputs.checkNodes, gate.inputs.checkDaemonSets], [false, false]);
      assert.deepEqual(r.byName("dev-k8s").options.dependsOn, ["dev-api-ready"]);
      assert.ok(gate.options.dependsOn.length > 0, "after the nodes (or the Talos bootstrap)");
      // One API gate: with a CNI it stands for the one before the CNI stage (the same resource as before).
      assert.equal(r.resources.filter((x) => x.name === "dev-api-ready").length, 1);
      assert.ok(r.byName("dev-cni-ready").options.dependsOn.length > 0);
    });
});
