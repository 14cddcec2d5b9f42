import { describe, test } from "node:test";
import * as assert from "node:assert/strict";
import {
  HOST_PORT_BASE,
  HOST_PORT_SPAN,
  allocateHostPort,
  defaultNetworkCidr,
  planDockerCluster,
  talosRegistryInputs,
  versionFromImage,
} from "../../sdk/plan/docker";
import { isKsailError } from "../../sdk/errors";
import { effective, parseClusterDocument } from "../../sdk/config";
import { dockerPlanInputFromSpec } from "../../sdk/plan/dockerInput";

describe("deterministic host ports", () => {
  test("same name → same port, in range, api ≠ talos", () => {
    for (const name of ["dev", "prod", "talos-default", "a"]) {
      const api = allocateHostPort(name, "api");
      const talos = allocateHostPort(name, "talos");
      assert.equal(api, allocateHostPort(name, "api"));
      assert.notEqual(api, talos);
      for (const p of [api, talos]) assert.ok(p >= HOST_PORT_BASE && p < HOST_PORT_BASE + HOST_PORT_SPAN, String(p));
    }
    assert.notEqual(allocateHostPort("dev", "api"), allocateHostPort("dev2", "api"));
  });
  test("spread over the range (no clustering on a few values)", () => {
    const ports = new Set(Array.from({ length: 200 }, (_, i) => allocateHostPort(`c${i}`, "api")));
    assert.ok(ports.size >= 195, `only ${ports.size} distinct ports for 200 names`);
  });
});

describe("planDockerCluster", () => {
  test("Talos 3+2: talosctl addressing, names, network named after the cluster, both ports", () => {
    const p = planDockerCluster({
      distribution: "Talos",
      clusterName: "talos-default",
      controlPlanes: 3,
      workers: 2,
    });
    assert.deepEqual(
      p.nodes.map((n) => `${n.name}@${n.ip}`),
      [
        "talos-default-control-plane-1@10.5.0.2",
        "talos-default-control-plane-2@10.5.0.3",
        "talos-default-control-plane-3@10.5.0.4",
        "talos-default-worker-1@10.5.0.5",
        "talos-default-worker-2@10.5.0.6",
      ],
    );
    assert.deepEqual(p.network, {
      name: "talos-default",
      cidr: "10.5.0.0/24",
      gateway: "10.5.0.1",
      mtu: 1500,
    });
    assert.equal(p.apiHostPort, allocateHostPort("talos-default", "api"));
    assert.equal(p.talosApiHostPort, allocateHostPort("talos-default", "talos"));
    assert.equal(p.loadBalancer, undefined);
    assert.deepEqual(
      p.mirrors.map((m) => [m.host, m.containerName, m.ip, m.volumeName, m.endpoint]),
      [
        ["docker.io", "talos-default-docker.io", "10.5.0.250", "ksail-mirror-docker.io", "http://talos-default-docker.io:5000"],
        ["ghcr.io", "talos-default-ghcr.io", "10.5.0.249", "ksail-mirror-ghcr.io", "http://talos-default-ghcr.io:5000"],
        ["quay.io", "talos-default-quay.io", "10.5.0.248", "ksail-mirror-quay.io", "http://talos-default-quay.io:5000"],
        [
          "registry.k8s.io",
          "talos-default-registry.k8s.io",
          "10.5.0.247",
          "ksail-mirror-registry.k8s.io",
          "http://talos-default-registry.k8s.io:5000",
        ],
      ],
    );
  });
  test("adding a worker only appends a node; every other address stays", () => {
    const a = planDockerCluster({ distribution: "K3s", clusterName: "dev", controlPlanes: 1, workers: 2 });
    const b = planDockerCluster({ distribution: "K3s", clusterName: "dev", controlPlanes: 1, workers: 3 });
    assert.deepEqual(b.nodes.slice(0, 3), a.nodes);
    assert.equal(b.nodes.length, 4);
    assert.deepEqual({ ...b, nodes: a.nodes }, a);
  });
  test("Kind with 3 control planes gets the envoy LB; defaults from the image tag", () => {
    const p = planDockerCluster({
      distribution: "Vanilla",
      clusterName: "dev",
      controlPlanes: 3,
      workers: 0,
      localRegistryPort: 5050,
      mirrors: [{ host: "my.reg:5000" }],
    });
    assert.equal(p.kubernetesVersion, "v1.36.1");
    assert.equal(p.network.name, "dev-network");
    assert.equal(p.network.cidr, defaultNetworkCidr("Vanilla", "dev"));
    assert.ok(p.loadBalancer);
    assert.equal(p.loadBalancer!.name, "dev-external-load-balancer");
    assert.equal(p.localRegistry?.containerName, "dev-local-registry");
    assert.equal(p.localRegistry?.hostPort, 5050);
    assert.deepEqual(
      p.mirrors.map((m) => [m.containerName, m.upstream, m.volumeName]),
      [["dev-my.reg-5000", "https://my.reg:5000", "ksail-mirror-my.reg-5000"]],
    );
    assert.equal(p.addons.metricsServer, false);
  });
  test("two published ports on the same host port are reported with both owners", () => {
    assert.throws(
      () =>
        planDockerCluster({
          distribution: "Talos",
          clusterName: "dev",
          controlPlanes: 1,
          workers: 0,
          apiHostPort: 6443,
          localRegistryPort: 6443,
          extraPortMappings: ["8080:80", "8080:81"],
        }),
      (e) => {
        assert.ok(isKsailError(e));
        assert.deepEqual(
          e.issues.map((i) => i.path),
          ["spec.cluster.localRegistry.registry", "spec.cluster.talos.extraPortMappings[1]"],
        );
        assert.match(e.issues[0].message, /6443 is already used by apiHostPort/);
        return true;
      },
    );
  });
  test("versions from image tags", () => {
    assert.equal(versionFromImage("kindest/node:v1.35.4@sha256:abc"), "v1.35.4");
    assert.equal(versionFromImage("rancher/k3s:v1.36.2-k3s1"), "v1.36.2");
    assert.equal(versionFromImage("localhost:5000/node"), undefined);
  });
  test("every problem reported at once, naming the field and the fix", () => {
    assert.throws(
      () =>
        planDockerCluster({
          distribution: "Talos",
          clusterName: "Bad_Name",
          controlPlanes: 0,
          workers: -1,
          networkCidr: "10.5.0.0/28",
          extraPortMappings: ["80"],
        }),
      (e) => {
        assert.ok(isKsailError(e));
        const paths = e.issues.map((i) => i.path);
        assert.deepEqual(paths, [
          "metadata.name",
          "spec.cluster.controlPlanes",
          "spec.cluster.workers",
          "network.cidr",
          "spec.cluster.talos.extraPortMappings[0]",
        ]);
        assert.match(e.message, /hostPort:containerPort/);
        return true;
      },
    );
  });
});

describe("talosRegistryInputs", () => {
  // The localhost:<port> alias: what kind's local-registry guide (kubernetes-sigs/kind site/static/examples/kind-with-registry.sh)
  // and k3d's registries (k3d-io/k3d pkg/client/registry.go) give the nodes; the review found Talos lacked it.
  test("mirrors pull through their in-network containers; the local registry by container name and as localhost:<host port>", () => {
    const p = planDockerCluster({
      distribution: "Talos",
      clusterName: "t",
      controlPlanes: 1,
      workers: 0,
      mirrors: [{ host: "docker.io" }],
      localRegistryPort: 5050,
    });
    assert.deepEqual(talosRegistryInputs(p), {
      mirrors: [
        { host: "docker.io", endpoints: ["http://t-docker.io:5000"] },
        { host: "localhost:5050", endpoints: ["http://t-local-registry:5000"] },
      ],
      localRegistry: { host: "t-local-registry:5000", endpoint: "http://t-local-registry:5000" },
    });
  });
});

describe("dockerPlanInputFromSpec", () => {
  const specOf = (cluster: Record<string, unknown>) => {
    const { document } = parseClusterDocument({
      apiVersion: "ksail.io/v1alpha1",
      kind: "Cluster",
      metadata: { name: "dev" },
      spec: { cluster },
    });
    return effective(document.spec, { name: document.metadata.name });
  };
  test("K3s defaults: bundled add-ons on, k3s image from the Kubernetes version", () => {
    const i = dockerPlanInputFromSpec(specOf({ distribution: "K3s", workers: 2, kubernetesVersion: "1.35.4" }));
    assert.equal(i.image, "rancher/k3s:v1.35.4-k3s1");
    assert.equal(i.kubernetesVersion, "v1.35.4");
    assert.deepEqual(i.addons, { cni: "Default", metricsServer: true, csi: true, loadBalancer: true });
    assert.equal(i.localRegistryPort, undefined);
    assert.equal(i.workers, 2);
  });
  test("Talos: image from talos.version, extra port mappings, GitOps brings the local registry on 5050", () => {
    const i = dockerPlanInputFromSpec(
      specOf({
        distribution: "Talos",
        gitOpsEngine: "Flux",
        talos: { version: "1.12.4", extraPortMappings: [{ containerPort: 80, hostPort: 8080 }] },
      }),
    );
    assert.equal(i.image, "ghcr.io/siderolabs/talos:v1.12.4");
    assert.deepEqual(i.extraPortMappings, ["8080:80/tcp"]);
    assert.equal(i.localRegistryPort, 5050);
    assert.equal(i.clusterName, "dev");
  });
  test("external registries are not run locally; Hetzner is not a Docker plan", () => {
    assert.equal(
      dockerPlanInputFromSpec(specOf({ distribution: "Vanilla", localRegistry: { registry: "ghcr.io/me/repo" } })).localRegistryPort,
      undefined,
    );
    assert.throws(
      () => dockerPlanInputFromSpec(specOf({ distribution: "Talos", provider: "Hetzner" })),
      (e) => isKsailError(e) && /provider/.test(e.message),
    );
  });
});
