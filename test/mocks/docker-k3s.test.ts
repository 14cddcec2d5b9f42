// L1: K3s nodes on Docker (k3s images, no k3d) under mocks — server/agent containers, CA files on the first
// server only, the secure token as secret env, named data volumes, node passwords, join order; 1+0, 1+2, 3+2.
import { describe, test } from "node:test";
import * as assert from "node:assert/strict";
import * as crypto from "node:crypto";
import * as YAML from "yaml";
import { CONTAINER, VOLUME, k3sPki, recordLayout, upload } from "../fixtures/docker/record";
import { allocateHostPort } from "../../sdk/plan/docker";
import { k3sNodePassword, k3sTokenMatchesCa } from "../../sdk/distributions/k3s";

const API = allocateHostPort("dev", "api");
const MIRRORS = ["dev-mirror-docker.io", "dev-mirror-ghcr.io", "dev-mirror-quay.io", "dev-mirror-registry.k8s.io", "dev-local-registry"];
const TLS = "/etc/ksail/k3s-ca";
const CA_FILES = [
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
].map((f) => `${TLS}/${f}`);

function nodes(r: Awaited<ReturnType<typeof recordLayout>>) {
  return r.byType(CONTAINER).filter((c) => /-(control-plane|worker)-\d+$/.test(c.name));
}

for (const [cps, ws] of [
  [1, 0],
  [1, 2],
  [3, 2],
] as const) {
  describe(`K3s ${cps}+${ws}`, () => {
    test("servers and agents: exact container spec, secrets marked, named data volume per node", async () => {
      const pki = await k3sPki();
      const r = await recordLayout({ distribution: "K3s", controlPlanes: cps, workers: ws });
      const ns = nodes(r);
      assert.equal(ns.length, cps + ws);
      for (const n of ns) {
        const server = n.name.includes("control-plane");
        const first = n.name === "dev-control-plane-1";
        const ip = n.inputs.networksAdvanced[0].ipv4Address;
        const { uploads, command, ...rest } = n.inputs;
        assert.deepEqual(rest, {
          name: n.name,
          hostname: n.name,
          image: "rancher/k3s:v1.36.2-k3s1",
          entrypoints: ["/bin/ksail-entrypoint.sh"],
          privileged: true,
          tmpfs: { "/run": "", "/var/run": "" },
          init: false,
          restart: "unless-stopped",
          // HA agents join through the server load balancer (k3d's serverlb); servers through the first server.
          envs: [
            `K3S_TOKEN=${pki.token}`,
            ...(first ? [] : [`K3S_URL=https://${!server && cps > 1 ? "dev-serverlb" : "dev-control-plane-1"}:6443`]),
          ],
          volumes: [{ volumeName: `${n.name}-k3s-data`, containerPath: "/var/lib/rancher/k3s" }],
          labels: [
            { label: "ksail.io/cluster", value: "dev" },
            { label: "ksail.io/distribution", value: "K3s" },
            { label: "ksail.io/role", value: server ? "control-plane" : "worker" },
          ],
          networksAdvanced: [{ name: "dev-network", ipv4Address: ip }],
          // With several servers the API is published on the load balancer instead.
          ports: first && cps === 1 ? [{ internal: 6443, external: API, ip: "127.0.0.1", protocol: "tcp" }] : [],
          ...(server
            ? {
                healthcheck: {
                  tests: ["CMD", "k3s", "kubectl", "get", "--raw", "/readyz"],
                  interval: "10s",
                  timeout: "5s",
                  retries: 3,
                  startPeriod: "10m",
                  startInterval: "3s",
                },
                wait: true,
                waitTimeout: 1200,
              }
            : {}),
          removeVolumes: true,
          mustRun: true,
        });
        assert.equal(command[0], server ? "server" : "agent");
        assert.ok(command.includes(`--node-ip=${ip}`));
        assert.equal(command.includes("--cluster-init"), first && cps > 1, "embedded etcd only for HA");
        assert.equal(command.includes("--server=https://dev-control-plane-1:6443"), server && !first);
        assert.deepEqual(
          (uploads as any[]).map((u) => u.file),
          ["/bin/ksail-entrypoint.sh", ...(first ? CA_FILES : []), "/etc/rancher/k3s/registries.yaml", "/etc/rancher/node/password"],
        );
        const secret = n.secretInputs.map((p) =>
          p === "envs[0]" ? "K3S_TOKEN" : (uploads as any[])[Number(/^uploads\[(\d+)\]/.exec(p)![1])].file,
        );
        assert.deepEqual(
          secret.sort(),
          ["K3S_TOKEN", "/etc/rancher/node/password", ...(first ? CA_FILES.filter((f) => f.endsWith(".key")) : [])].sort(),
        );
        assert.equal(upload(n.inputs, "/etc/rancher/node/password").content.trim(), k3sNodePassword(pki.token, n.name));
        assert.deepEqual(YAML.parse(upload(n.inputs, "/etc/rancher/k3s/registries.yaml").content).mirrors["docker.io"], {
          endpoint: ["http://dev-docker.io:5000", "https://registry-1.docker.io"],
        });
        assert.equal(n.options.deleteBeforeReplace, true);
        assert.equal(n.options.replacementTrigger, "trigger-a");
        const v = r.byName(`${n.name}-data`);
        assert.equal(v.type, VOLUME);
        assert.equal(v.inputs.name, `${n.name}-k3s-data`);
        assert.equal(v.options.replacementTrigger, "trigger-a");
      }
    });

    test("order: servers one at a time, agents after the first server", async () => {
      const r = await recordLayout({ distribution: "K3s", controlPlanes: cps, workers: ws });
      for (const n of nodes(r)) {
        const m = /-(control-plane|worker)-(\d+)$/.exec(n.name)!;
        const idx = Number(m[2]);
        const after =
          m[1] === "worker"
            ? ["dev-control-plane-1", ...(cps > 1 ? ["dev-serverlb"] : [])]
            : idx === 1
              ? []
              : [`dev-control-plane-${idx - 1}`];
        assert.deepEqual(n.options.dependsOn, [...MIRRORS, ...after], n.name);
      }
      // k3d's serverlb exists only in front of several servers and publishes the API.
      const lb = r.resources.find((x) => x.name === "dev-serverlb");
      assert.equal(lb !== undefined, cps > 1);
      if (lb) {
        assert.deepEqual(lb.inputs.ports, [{ internal: 6443, external: API, ip: "127.0.0.1", protocol: "tcp" }]);
        // After the first server: on an upgrade the API host port must be free (the old server replaced) before it binds.
        assert.deepEqual(lb.options.dependsOn, [...MIRRORS, "dev-control-plane-1"]);
      }
    });
  });
}

describe("K3s CA material and add-ons", () => {
  test("uploaded CA files are ClusterSecrets' CAs and the token pins the exact server-ca.crt bytes", async () => {
    const pki = await k3sPki();
    const r = await recordLayout({ distribution: "K3s", controlPlanes: 3, workers: 1 });
    const i = r.byName("dev-control-plane-1").inputs;
    // Staged for the entrypoint, which copies them into server/tls only while the data volume has none.
    const serverCa = upload(i, `${TLS}/server-ca.crt`).content;
    assert.equal(serverCa, pki.serverCa.cert);
    assert.ok(k3sTokenMatchesCa(i.envs[0].slice("K3S_TOKEN=".length), serverCa));
    assert.ok(!(i.uploads as any[]).some((u) => u.file.startsWith("/var/lib/rancher/k3s/")), "nothing uploaded into the data volume");
    const entry = upload(i, "/bin/ksail-entrypoint.sh");
    assert.equal(entry.permissions, "0755");
    assert.match(entry.content, /GATEWAY=10\.6\.\d+\.1\n/);
    for (const base of ["server-ca", "client-ca", "request-header-ca", "etcd/server-ca", "etcd/peer-ca"]) {
      const cert = new crypto.X509Certificate(upload(i, `${TLS}/${base}.crt`).content);
      assert.ok(cert.ca && cert.verify(cert.publicKey), `${base} is a self-signed CA`);
      assert.ok(cert.checkPrivateKey(crypto.createPrivateKey(upload(i, `${TLS}/${base}.key`).content)), base);
      assert.equal(upload(i, `${TLS}/${base}.key`).permissions, "0600");
    }
    assert.equal(crypto.createPrivateKey(upload(i, `${TLS}/service.key`).content).asymmetricKeyType, "rsa");
  });

  test("Calico with the LB off: flannel, network policy, servicelb and the packaged add-ons disabled on every server", async () => {
    const r = await recordLayout({
      distribution: "K3s",
      controlPlanes: 3,
      workers: 0,
      plan: { addons: { cni: "Calico", loadBalancer: false } },
    });
    for (const n of nodes(r)) {
      const flags = (n.inputs.command as string[]).filter((a) => /^--(flannel|disable)/.test(a));
      assert.deepEqual(flags, [
        "--flannel-backend=none",
        "--disable-network-policy",
        "--disable=local-storage",
        "--disable=metrics-server",
        "--disable=servicelb",
      ]);
    }
  });
});
