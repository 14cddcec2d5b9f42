// L0: the pinned versions (versions.ts) against the chart data the values tests validate against, and a
// reviewed list of every pin, so a bump shows exactly what moved.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as YAML from "yaml";
import { charts, ChartKey, fluxDistribution, images, installTimeoutSeconds, manifests, nodeAddons } from "../../sdk/versions";
import { fixturesDir } from "../harness/paths";

const dataDir = fixturesDir("charts");

test("every pin with chart data matches that chart's Chart.yaml (name, and version where packaged)", () => {
  for (const key of Object.keys(charts) as ChartKey[]) {
    const pin = charts[key] as { chart: string; version: string; dataDir?: string };
    if (!pin.dataDir) continue;
    const chart = YAML.parse(fs.readFileSync(path.join(dataDir, pin.dataDir, "Chart.yaml"), "utf8")) as { name: string; version: string };
    assert.equal(pin.chart.split("/").pop(), chart.name, key);
    assert.ok(pin.dataDir.endsWith(pin.version), `${key}: data dir ${pin.dataDir} is for ${pin.version}`);
    // Some source trees carry placeholder versions (set at packaging time); real ones must match.
    if (!/^v?0\.0(\.|$)|dummy/.test(chart.version)) assert.equal(chart.version.replace(/^v/, ""), pin.version.replace(/^v/, ""), key);
  }
});

test("pinned versions (bump deliberately: this list is the review surface)", () => {
  const pins = Object.fromEntries(
    (Object.keys(charts) as ChartKey[]).map((k) => [
      k,
      `${charts[k].chart}@${charts[k].version} → ${charts[k].namespace}/${charts[k].release}`,
    ]),
  );
  assert.deepEqual(pins, {
    cilium: "cilium@1.20.0 → kube-system/cilium",
    calicoCrds: "projectcalico.org.v3@v3.32.0 → tigera-operator/calico-crds",
    calico: "tigera-operator@v3.32.0 → tigera-operator/calico",
    hcloudCsi: "hcloud-csi@2.22.1 → kube-system/hcloud-csi",
    hcloudCcm: "hcloud-cloud-controller-manager@1.35.0 → kube-system/hcloud-cloud-controller-manager",
    metricsServer: "metrics-server@3.13.1 → kube-system/metrics-server",
    kubeletCsrApprover: "kubelet-csr-approver@1.2.14 → kube-system/kubelet-csr-approver",
    metallb: "metallb@0.16.1 → metallb-system/metallb",
    certManager: "cert-manager@v1.21.1 → cert-manager/cert-manager",
    kyverno: "kyverno@3.9.0 → kyverno/kyverno",
    gatekeeper: "gatekeeper@3.23.0 → gatekeeper-system/gatekeeper",
    fluxOperator: "oci://ghcr.io/controlplaneio-fluxcd/charts/flux-operator@0.49.0 → flux-system/flux-operator",
    argoCd: "oci://ghcr.io/argoproj/argo-helm/argo-cd@10.1.1 → argocd/argocd",
    clusterAutoscaler: "cluster-autoscaler@9.59.0 → kube-system/cluster-autoscaler",
  });
  assert.equal(manifests.gatewayApiCrds.version, "v1.5.1");
  assert.ok(manifests.gatewayApiCrds.url.includes(`/${manifests.gatewayApiCrds.version}/experimental-install.yaml`));
  // What kind v0.32.0's node image preloads (kubernetes-sigs/kind pkg/build/nodeimage/const_cni.go, const_storage.go at
  // v0.32.0), so Kind nodes start kindnet and the default storage without a pull.
  assert.equal(nodeAddons.kindnetd, "docker.io/kindest/kindnetd:v20260528-9350166c");
  assert.equal(nodeAddons.kindLocalPathProvisioner, "docker.io/kindest/local-path-provisioner:v20260521-9fb22683");
  assert.equal(nodeAddons.kindLocalPathHelper, "docker.io/kindest/local-path-helper:v20260131-7181c60a");
  // k3s's packaged local-storage helper (k3s-io/k3s manifests/local-storage.yaml).
  assert.equal(nodeAddons.k3sLocalPathHelper, "docker.io/rancher/mirrored-library-busybox:1.36.1");
  assert.equal(images.cloudProviderKind, "registry.k8s.io/cloud-provider-kind/cloud-controller-manager:v0.11.1");
  assert.equal(images.connectivityProbe, "busybox:1.36.1");
  // The FluxInstance distribution artifact is bumped together with the operator chart.
  assert.ok(fluxDistribution.artifact.endsWith(`:v${charts.fluxOperator.version}`));
});

test("install timeouts: max(base, floor) — KSail's floors", () => {
  assert.equal(installTimeoutSeconds("certManager", 300), 600);
  assert.equal(installTimeoutSeconds("kyverno", 480), 1200);
  assert.equal(installTimeoutSeconds("gatekeeper", 300), 420);
  assert.equal(installTimeoutSeconds("fluxOperator", 300), 720);
  assert.equal(installTimeoutSeconds("argoCd", 300), 1500);
  assert.equal(installTimeoutSeconds("calico", 300), 600);
  assert.equal(installTimeoutSeconds("cilium", 480), 480);
  assert.equal(installTimeoutSeconds("metricsServer", 1800), 1800);
});
