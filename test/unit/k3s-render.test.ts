import { describe, test } from "node:test";
import * as assert from "node:assert/strict";
import * as crypto from "node:crypto";
import { spawnSync } from "node:child_process";
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
  renderK3sEntrypoint,
  k3sEnv,
  K3S_CA_STAGING_DIR,
  K3S_ENTRYPOINT,
  type K3sClusterFacts,
} from "../../sdk/distributions/k3s";
import type { K3sPki } from "../../sdk/pki/types";

const facts: K3sClusterFacts = {
  cni: "Default",
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
  test("single server: no --cluster-init, SANs for 127.0.0.1/localhost/its name, subnets, packaged metrics-server and storage off", () => {
    assert.deepEqual(k3sCommand(facts, { name: "dev-control-plane-1", ip: "10.6.1.2", role: "control-plane", index: 1 }), [
      "server",
      "--node-ip=10.6.1.2",
      "--tls-san=127.0.0.1",
      "--tls-san=localhost",
      "--tls-san=dev-control-plane-1",
      "--cluster-cidr=10.42.0.0/16",
      "--service-cidr=10.43.0.0/16",
      "--disable=local-storage",
      "--disable=metrics-server",
    ]);
  });
  test("three servers: embedded etcd on the first, the others join it with identical cluster-wide flags", () => {
    const f = { ...facts, servers: 3, cni: "Cilium" as const };
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
      "--disable=local-storage",
      "--disable=metrics-server",
      "--disable=traefik",
    ]);
  });
  test("packaged metrics-server and local-storage are always off (installed from Pulumi, so switching them touches no server); servicelb follows the spec", () => {
    // Before: `--disable=metrics-server` / `--disable=local-storage` followed the spec, so switching them replaced the servers.
    assert.deepEqual(k3sDisabledAddons({ cni: "Default", loadBalancer: true }), ["local-storage", "metrics-server"]);
    assert.deepEqual(k3sDisabledAddons({ cni: "Calico", loadBalancer: false }), ["local-storage", "metrics-server", "servicelb"]);
    assert.deepEqual(k3sDisabledAddons({ cni: "Cilium", loadBalancer: true }), ["local-storage", "metrics-server", "traefik"]);
  });
  test("env: the token on every node, K3S_URL on every node but the first server", () => {
    assert.deepEqual(k3sEnv(facts, { role: "control-plane", index: 1 }, "tok"), [{ name: "K3S_TOKEN", value: "tok", secret: true }]);
    for (const node of [
      { role: "control-plane", index: 2 },
      { role: "worker", index: 1 },
    ])
      assert.deepEqual(k3sEnv(facts, node, "tok"), [
        { name: "K3S_TOKEN", value: "tok", secret: true },
        { name: "K3S_URL", value: "https://dev-control-plane-1:6443", secret: false },
      ]);
  });
  test("agents run `agent` with their IP only (the URL and token come from env)", () => {
    assert.deepEqual(k3sCommand(facts, { name: "dev-worker-1", ip: "10.6.1.3", role: "worker", index: 1 }), [
      "agent",
      "--node-ip=10.6.1.3",
    ]);
  });
});

describe("k3s files", () => {
  const net = { gateway: "10.6.1.1" };
  const registries = {
    mirrors: [{ host: "docker.io", upstream: "https://registry-1.docker.io", endpoint: "http://dev-docker.io:5000" }],
    localRegistry: {
      containerName: "dev-local-registry",
      hostPort: 5050,
      endpoint: "http://dev-local-registry:5000",
    },
  };
  test("CA layout of server/tls goes to the first server only, staged for the entrypoint; keys 0600", () => {
    const first = k3sNodeFiles(pki, { name: "dev-control-plane-1", role: "control-plane", index: 1 }, registries, net);
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
      assert.ok(paths.includes(`${K3S_CA_STAGING_DIR}/${rel}`), rel);
    // Never uploaded into server/tls itself: an upload there carries mtime = now on every replacement.
    assert.ok(!paths.some((p) => p.startsWith(K3S_TLS_DIR)));
    for (const f of first) if (f.path.endsWith(".key")) assert.equal(f.permissions, "0600");
    assert.equal(first.find((f) => f.path === `${K3S_CA_STAGING_DIR}/server-ca.crt`)?.content, pki.serverCa.cert);
    const second = k3sNodeFiles(pki, { name: "dev-control-plane-2", role: "control-plane", index: 2 }, registries, net);
    const agent = k3sNodeFiles(pki, { name: "dev-worker-1", role: "worker", index: 1 }, registries, net);
    for (const files of [second, agent]) assert.ok(!files.some((f) => f.path.startsWith(K3S_CA_STAGING_DIR)));
    assert.deepEqual(
      agent.map((f) => f.path),
      [K3S_ENTRYPOINT, K3S_REGISTRIES_PATH, K3S_NODE_PASSWORD_PATH],
    );
  });
  test("the token's CA hash is over the exact uploaded server-ca.crt bytes", () => {
    const uploaded = k3sNodeFiles(pki, { name: "dev-control-plane-1", role: "control-plane", index: 1 }, registries, net).find(
      (f) => f.path === `${K3S_CA_STAGING_DIR}/server-ca.crt`,
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
    const f = k3sNodeFiles(pki, { name: "dev-worker-1", role: "worker", index: 1 }, registries, net).find(
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

// The fixes k3d applies to every k3s node before k3s starts (k3d-io/k3d pkg/types/fixes/fixes.go, on by default), and
// what k3s does without them (k3s-io/k3s pkg/agent/config/config.go, locateOrGenerateResolvConf).
describe("k3s entrypoint (k3d's fixes)", () => {
  const script = renderK3sEntrypoint({ gateway: "10.6.7.1", tlsDir: K3S_TLS_DIR });
  const lines = script.split("\n");
  test("k3d-io/k3d pkg/types/fixes/assets/k3d-entrypoint-mounts.sh: / becomes a recursively shared mount before k3s starts", () => {
    assert.ok(lines.includes("mount --make-rshared /"));
    assert.ok(lines.indexOf("mount --make-rshared /") < lines.indexOf('exec /bin/k3s "$@"'));
  });
  test("k3d-io/k3d pkg/types/fixes/assets/k3d-entrypoint-dns.sh: Docker's 127.0.0.11 NAT rules re-aimed at the gateway, also for pods (PREROUTING)", () => {
    assert.match(script, /s#-d 127\\\.0\\\.0\\\.11\/32#-d \$\{GATEWAY\}\/32#g/);
    assert.match(script, /--to-source \$\{GATEWAY\}:53/);
    assert.match(script, /-A PREROUTING \\1 -j DOCKER_OUTPUT/);
    assert.match(script, /iptables-restore/);
    assert.ok(lines.includes("GATEWAY=10.6.7.1"));
  });
  test("resolv.conf names the gateway (a global unicast address k3s accepts for the kubelet, not 8.8.8.8)", () => {
    assert.match(script, /s\/127\\\.0\\\.0\\\.11\/10\.6\.7\.1\/g/);
    assert.match(script, /> \/etc\/resolv\.conf/);
  });
  test("CA copied into server/tls only while the data volume has none; k3s is exec'd (PID 1)", () => {
    assert.ok(script.includes(`[ ! -e ${K3S_TLS_DIR}/server-ca.crt ]`));
    assert.ok(script.includes(`cp -R ${K3S_CA_STAGING_DIR}/. ${K3S_TLS_DIR}/`));
    assert.equal(lines.filter((l) => l.startsWith("exec ")).length, 1);
    assert.equal(lines.at(-2), 'exec /bin/k3s "$@"');
  });
  test("sh parses the script", () => {
    const r = spawnSync("sh", ["-n"], { input: script });
    assert.equal(r.status, 0, String(r.stderr));
  });
});
