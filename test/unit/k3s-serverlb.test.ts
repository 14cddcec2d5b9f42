// The server load balancer in front of HA K3s servers, as k3d runs it: `<cluster>-serverlb`, k3d's proxy image
// (k3d-io/k3d pkg/types/images.go: ghcr.io/k3d-io/k3d-proxy:<k3d version>), its config at /etc/confd/values.yaml
// with the API port to every server and workerConnections 1024 (pkg/types/loadbalancer.go, pkg/client/loadbalancer.go
// LoadbalancerGenerateConfig), a TLS SAN on every server (`--tls-san k3d-<cluster>-serverlb`). Before, the kubeconfig
// and every agent's K3S_URL pointed at server 1.
import { describe, test } from "node:test";
import * as assert from "node:assert/strict";
import * as YAML from "yaml";
import { planDockerCluster } from "../../sdk/plan/docker";
import { K3D_PROXY_CONFIG_PATH, k3sCommand, k3sEnv, renderK3dProxyConfig } from "../../sdk/distributions/k3s";
import { k3sFacts } from "../../sdk/plan/dockerContainers";
import { k3sLoadBalancerArgs } from "../../sdk/infra/docker/loadBalancers";

const ha = planDockerCluster({ distribution: "K3s", clusterName: "dev", controlPlanes: 3, workers: 2, apiHostPort: 26443 });

describe("K3s server load balancer (k3d's serverlb)", () => {
  test("HA K3s gets dev-serverlb with k3d's proxy image at the reserved address; one server gets none", () => {
    assert.deepEqual(ha.loadBalancer, { name: "dev-serverlb", ip: ha.loadBalancer!.ip, image: "ghcr.io/k3d-io/k3d-proxy:5.9.0" });
    assert.match(ha.loadBalancer!.ip, /\.252$/);
    assert.equal(planDockerCluster({ distribution: "K3s", clusterName: "dev", controlPlanes: 1, workers: 2 }).loadBalancer, undefined);
  });

  test("config as k3d generates it: 6443.tcp to every server, workerConnections 1024", () => {
    assert.equal(K3D_PROXY_CONFIG_PATH, "/etc/confd/values.yaml");
    assert.deepEqual(YAML.parse(renderK3dProxyConfig({ servers: ["dev-control-plane-1", "dev-control-plane-2"] })), {
      ports: { "6443.tcp": ["dev-control-plane-1", "dev-control-plane-2"] },
      settings: { workerConnections: 1024 },
    });
  });

  test("the API is published on the load balancer (127.0.0.1), which carries the config", () => {
    const a = k3sLoadBalancerArgs(ha, "dev-network");
    assert.deepEqual(a.ports, [{ internal: 6443, external: 26443, ip: "127.0.0.1", protocol: "tcp" }]);
    assert.equal(a.image, "ghcr.io/k3d-io/k3d-proxy:5.9.0");
    assert.equal(a.restart, "unless-stopped");
    const [upload] = a.uploads as { file: string; content: string }[];
    assert.equal(upload.file, "/etc/confd/values.yaml");
    assert.deepEqual(YAML.parse(upload.content).ports["6443.tcp"], ["dev-control-plane-1", "dev-control-plane-2", "dev-control-plane-3"]);
  });

  test("agents join through the load balancer, servers through the first server; every server names it as a TLS SAN", () => {
    const f = k3sFacts(ha);
    const url = (i: number) => k3sEnv(f, ha.nodes[i], "t").find((e) => e.name === "K3S_URL")?.value;
    assert.equal(url(0), undefined);
    assert.equal(url(1), "https://dev-control-plane-1:6443");
    assert.equal(url(3), "https://dev-serverlb:6443");
    for (const n of ha.nodes.filter((x) => x.role === "control-plane"))
      assert.ok(k3sCommand(f, n).includes("--tls-san=dev-serverlb"), n.name);
    const single = planDockerCluster({ distribution: "K3s", clusterName: "dev", controlPlanes: 1, workers: 1 });
    assert.equal(
      k3sEnv(k3sFacts(single), single.nodes[1], "t").find((e) => e.name === "K3S_URL")?.value,
      "https://dev-control-plane-1:6443",
    );
  });
});
