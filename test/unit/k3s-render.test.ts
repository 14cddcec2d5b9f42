import { describe, test } from "node:test";
import * as assert from "node:assert/strict";
import * as crypto from "node:crypto";
import * as YAML from "yaml";
import {
  K3S_NODE_PASSWORD_PATH,
  K3S_REGISTRIES_PATH,
  K3S_TLS_DIR,
  k3sCommand,
  k3sDisabledAddons,
  k3sNodeFiles,
  k3sNodePassword,
  k3sSecureToken,
  k3sTokenMatchesCa,
  renderK3sRegistries,
  type K3sClusterFacts,
} from "../../sdk/distributions/k3s";
import type { K3sPki } from "../../sdk/pki/types";

const facts: K3sClusterFacts = {
  cni: "Default",
  metricsServer: true,
  csi: true,
  loadBalancer: true,
  podSubnet: "10.42.0.0/16",
  serviceSubnet: "10.43.0.0/16",
  servers: 1,
  firstServer: "dev-control-plane-1",
};

const pair = (n: string) => ({
  cert: `-----BEGIN CERTIFICATE-----\n${n}\n-----END CERTIFICATE-----\n`,
  key: `key-${n}`,
});
const pki: K3sPki = {
  serverCa: pair("server"),
  clientCa: pair("client"),
  requestHeaderCa: pair("rh"),
  etcdServerCa: pair("etcd-server"),
  etcdPeerCa: pair("etcd-peer"),
  serviceKey: "service-key",
  token: k3sSecureToken(pair("server").cert, "s3cret"),
};

describe("k3s server and agent arguments", () => {
  test("single server: no --cluster-init, SANs for 127.0.0.1/localhost/its name, subnets, nothing disabled", () => {
    assert.deepEqual(k3sCommand(facts, { name: "dev-control-plane-1", ip: "10.6.1.2", role: "control-plane", index: 1 }), [
      "server",
      "--node-ip=10.6.1.2",
      "--tls-san=127.0.0.1",
      "--tls-san=localhost",
      "--tls-san=dev-control-plane-1",
      "--cluster-cidr=10.42.0.0/16",
      "--service-cidr=10.43.0.0/16",
    ]);
  });
  test("three servers: embedded etcd on the first, the others join it with identical cluster-wide flags", () => {
    const f = { ...facts, servers: 3, cni: "Cilium" as const, metricsServer: false };
    const first = k3sCommand(f, {
      name: "dev-control-plane-1",
      ip: "10.6.1.2",
      role: "control-plane",
      index: 1,
    });
    const second = k3sCommand(f, {
      name: "dev-control-plane-2",
      ip: "10.6.1.3",
      role: "control-plane",
      index: 2,
    });
    assert.ok(first.includes("--cluster-init"));
    assert.ok(!second.includes("--cluster-init"));
    assert.ok(second.includes("--server=https://dev-control-plane-1:6443"));
    const wide = (c: string[]) => c.filter((a) => /^--(cluster-cidr|service-cidr|flannel-backend|disable)/.test(a));
    assert.deepEqual(wide(first), wide(second));
    assert.deepEqual(wide(first), [
      "--cluster-cidr=10.42.0.0/16",
      "--service-cidr=10.43.0.0/16",
      "--flannel-backend=none",
      "--disable-network-policy",
      "--disable=metrics-server",
      "--disable=traefik",
    ]);
  });
  test("add-on switches follow the effective spec (as KSail applies them to K3d)", () => {
    assert.deepEqual(k3sDisabledAddons({ cni: "Default", metricsServer: true, csi: true, loadBalancer: true }), []);
    assert.deepEqual(k3sDisabledAddons({ cni: "Calico", metricsServer: false, csi: false, loadBalancer: false }), [
      "local-storage",
      "metrics-server",
      "servicelb",
    ]);
    assert.deepEqual(k3sDisabledAddons({ cni: "Cilium", metricsServer: true, csi: true, loadBalancer: true }), ["traefik"]);
  });
  test("agents run `agent` with their IP only (the URL and token come from env)", () => {
    assert.deepEqual(k3sCommand(facts, { name: "dev-worker-1", ip: "10.6.1.3", role: "worker", index: 1 }), [
      "agent",
      "--node-ip=10.6.1.3",
    ]);
  });
});

describe("k3s files", () => {
  const registries = {
    mirrors: [{ host: "docker.io", upstream: "https://registry-1.docker.io", endpoint: "http://dev-docker.io:5000" }],
    localRegistry: {
      containerName: "dev-local-registry",
      hostPort: 5050,
      endpoint: "http://dev-local-registry:5000",
    },
  };
  test("CA layout under server/tls goes to the first server only; keys 0600", () => {
    const first = k3sNodeFiles(pki, { name: "dev-control-plane-1", role: "control-plane", index: 1 }, registries);
    const paths = first.map((f) => f.path);
    for (const rel of [
      "server-ca.crt",
      "server-ca.key",
      "client-ca.crt",
      "client-ca.key",
      "request-header-ca.crt",
      "request-header-ca.key",
      "etcd/server-ca.crt",
      "etcd/server-ca.key",
      "etcd/peer-ca.crt",
      "etcd/peer-ca.key",
      "service.key",
    ])
      assert.ok(paths.includes(`${K3S_TLS_DIR}/${rel}`), rel);
    for (const f of first) if (f.path.endsWith(".key")) assert.equal(f.permissions, "0600");
    assert.equal(first.find((f) => f.path === `${K3S_TLS_DIR}/server-ca.crt`)?.content, pki.serverCa.cert);
    const second = k3sNodeFiles(pki, { name: "dev-control-plane-2", role: "control-plane", index: 2 }, registries);
    const agent = k3sNodeFiles(pki, { name: "dev-worker-1", role: "worker", index: 1 }, registries);
    for (const files of [second, agent]) assert.ok(!files.some((f) => f.path.startsWith(K3S_TLS_DIR)));
    assert.deepEqual(
      agent.map((f) => f.path),
      [K3S_REGISTRIES_PATH, K3S_NODE_PASSWORD_PATH],
    );
  });
  test("the token's CA hash is over the exact uploaded server-ca.crt bytes", () => {
    const uploaded = k3sNodeFiles(pki, { name: "dev-control-plane-1", role: "control-plane", index: 1 }, registries).find(
      (f) => f.path === `${K3S_TLS_DIR}/server-ca.crt`,
    )!;
    assert.ok(k3sTokenMatchesCa(pki.token, uploaded.content));
    assert.equal(pki.token, `K10${crypto.createHash("sha256").update(uploaded.content).digest("hex")}::server:s3cret`);
    assert.ok(!k3sTokenMatchesCa(pki.token, uploaded.content + "\n"));
  });
  test("node password: stable per node, distinct across nodes and tokens, secret", () => {
    assert.equal(k3sNodePassword("t", "a"), k3sNodePassword("t", "a"));
    assert.notEqual(k3sNodePassword("t", "a"), k3sNodePassword("t", "b"));
    assert.notEqual(k3sNodePassword("t", "a"), k3sNodePassword("u", "a"));
    assert.match(k3sNodePassword("t", "a"), /^[0-9a-f]{32}$/);
    const f = k3sNodeFiles(pki, { name: "dev-worker-1", role: "worker", index: 1 }, registries).find(
      (x) => x.path === K3S_NODE_PASSWORD_PATH,
    )!;
    assert.equal(f.secret, true);
    assert.equal(f.content.trim(), k3sNodePassword(pki.token, "dev-worker-1"));
  });
  test("registries.yaml: mirror first then upstream; local registry under both names", () => {
    const y = YAML.parse(renderK3sRegistries(registries));
    assert.deepEqual(y, {
      mirrors: {
        "docker.io": { endpoint: ["http://dev-docker.io:5000", "https://registry-1.docker.io"] },
        "dev-local-registry:5000": { endpoint: ["http://dev-local-registry:5000"] },
        "localhost:5050": { endpoint: ["http://dev-local-registry:5000"] },
      },
    });
  });
});
