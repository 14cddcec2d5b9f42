// KEP-1755 (kubernetes/enhancements keps/sig-cluster-lifecycle/generic/1755-communicating-a-local-registry): a Docker
// cluster with a local registry gets the kube-public/local-registry-hosting ConfigMap with a localRegistryHosting.v1
// entry (host, hostFromContainerRuntime, hostFromClusterNetwork), as kind's local-registry guide
// (kubernetes-sigs/kind site/static/examples/kind-with-registry.sh) and k3d's registries do. L0 values, L1 mocks.
import { describe, test } from "node:test";
import * as assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import * as YAML from "yaml";
import { recordProgram } from "../harness/mocks";
import { installComponents } from "../../sdk/components/phases";
import { componentPlan } from "../../sdk/plan/components";
import { installStages } from "../../sdk/plan/catalog";
import { effective, parseClusterDocument } from "../../sdk/config";
import { localRegistryHostingConfigMap } from "../../sdk/components/values/localRegistryHosting";

const plan = (cluster: Record<string, unknown>) => {
  const { document } = parseClusterDocument(
    { apiVersion: "ksail.io/v1alpha1", kind: "Cluster", metadata: { name: "dev" }, spec: { cluster } },
    { env: {} },
  );
  return componentPlan(effective(document!.spec, { name: "dev" }));
};

describe("KEP-1755 local-registry-hosting", () => {
  test("Docker with a local registry: pushed to at localhost:<port>, pulled by that name, reached from pods by container name", () => {
    for (const distribution of ["Vanilla", "K3s", "Talos"]) {
      const p = plan({ distribution, provider: "Docker", localRegistry: { registry: "localhost:5055" } });
      assert.deepEqual(p.localRegistryHosting, {
        host: "localhost:5055",
        hostFromContainerRuntime: "localhost:5055",
        hostFromClusterNetwork: "dev-local-registry:5000",
      });
    }
  });

  test("none without a local registry, with an external registry, or off Docker", () => {
    assert.equal(plan({ distribution: "K3s", provider: "Docker" }).localRegistryHosting, undefined);
    assert.equal(
      plan({ distribution: "K3s", provider: "Docker", localRegistry: { registry: "ghcr.io/acme/app" } }).localRegistryHosting,
      undefined,
    );
    // Off Docker a local registry is refused by validation already; an external one gets no ConfigMap.
    assert.equal(
      plan({ distribution: "Talos", provider: "Hetzner", localRegistry: { registry: "ghcr.io/acme/app" } }).localRegistryHosting,
      undefined,
    );
  });

  test("the ConfigMap: name, namespace and key fixed by the KEP; the value is YAML of LocalRegistryHostingV1", () => {
    const cm = localRegistryHostingConfigMap({
      host: "localhost:5050",
      hostFromContainerRuntime: "localhost:5050",
      hostFromClusterNetwork: "dev-local-registry:5000",
    });
    assert.deepEqual(cm.metadata, { name: "local-registry-hosting", namespace: "kube-public" });
    assert.deepEqual(Object.keys(cm.data), ["localRegistryHosting.v1"]);
    assert.deepEqual(YAML.parse(cm.data["localRegistryHosting.v1"]), {
      host: "localhost:5050",
      hostFromContainerRuntime: "localhost:5050",
      hostFromClusterNetwork: "dev-local-registry:5000",
    });
  });

  test("installed as a ConfigMap on the cluster's provider in the add-ons stage (in place: no node resource involved)", async () => {
    const p = plan({ distribution: "K3s", provider: "Docker", localRegistry: { registry: "localhost:5050" } });
    assert.ok(installStages(p).some((s) => s.stage === "addons" && s.installers.some((e) => e.id === "localRegistryHosting")));
    const rec = await recordProgram(() => {
      const parent = new pulumi.ComponentResource("ksail:index:KSailCluster", "dev", {}, {});
      const provider = new k8s.Provider("dev-k8s", { kubeconfig: "kc" }, { parent });
      installComponents(parent, "dev", p, { provider });
    });
    const [cm] = rec.byType("kubernetes:core/v1:ConfigMap").filter((r) => r.name === "dev-local-registry-hosting-configmap");
    assert.ok(cm, "ConfigMap registered");
    assert.deepEqual(cm.inputs.metadata, { name: "local-registry-hosting", namespace: "kube-public" });
    assert.match(cm.inputs.data["localRegistryHosting.v1"], /^host: "localhost:5050"$/m);
    assert.equal(cm.options.provider, "dev-k8s");
    const none = await recordProgram(() => {
      const parent = new pulumi.ComponentResource("ksail:index:KSailCluster", "dev", {}, {});
      const provider = new k8s.Provider("dev-k8s", { kubeconfig: "kc" }, { parent });
      installComponents(parent, "dev", plan({ distribution: "K3s", provider: "Docker" }), { provider });
    });
    assert.equal(none.byType("ksail:components:LocalRegistryHosting").length, 0);
  });
});
