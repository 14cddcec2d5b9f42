// L1: Vanilla (Kind node image) nodes on Docker under mocks — kind v0.32.0's container flags, the uploaded
// bootstrap, the CA material, the join order and the envoy LB, for 1+0, 1+2 and 3+2 layouts.
import { describe, test } from "node:test";
import * as assert from "node:assert/strict";
import * as crypto from "node:crypto";
import * as YAML from "yaml";
import { CONTAINER, kubeadmPki, recordLayout, upload } from "../fixtures/docker/record";
import { allocateHostPort } from "../../sdk/plan/docker";
import { caCertHash } from "../../sdk/pki";

const API = allocateHostPort("dev", "api");
const MIRRORS = ["dev-mirror-docker.io", "dev-mirror-ghcr.io", "dev-mirror-quay.io", "dev-mirror-registry.k8s.io", "dev-local-registry"];
const PKI_FILES = ["ca.crt", "ca.key", "front-proxy-ca.crt", "front-proxy-ca.key", "etcd/ca.crt", "etcd/ca.key", "sa.key", "sa.pub"].map(
  (f) => `/etc/kubernetes/pki/${f}`,
);
const COMMON_FILES = [
  "/kind/kubeadm.conf",
  "/usr/local/bin/ksail-bootstrap",
  "/etc/systemd/system/ksail-bootstrap.service",
  "/etc/systemd/system/multi-user.target.d/ksail-bootstrap.conf",
  "/etc/containerd/certs.d/docker.io/hosts.toml",
  "/etc/containerd/certs.d/ghcr.io/hosts.toml",
  "/etc/containerd/certs.d/quay.io/hosts.toml",
  "/etc/containerd/certs.d/registry.k8s.io/hosts.toml",
  "/etc/containerd/certs.d/localhost:5050/hosts.toml",
  "/etc/containerd/certs.d/dev-local-registry:5000/hosts.toml",
];

function nodes(r: Awaited<ReturnType<typeof recordLayout>>) {
  return r.byType(CONTAINER).filter((c) => /-(control-plane|worker)-\d+$/.test(c.name));
}

function kubeadmDocs(inputs: Record<string, any>): any[] {
  return YAML.parseAllDocuments(upload(inputs, "/kind/kubeadm.conf").content).map((d) => d.toJS());
}

for (const [cps, ws] of [
  [1, 0],
  [1, 2],
  [3, 2],
] as const) {
  describe(`Kind ${cps}+${ws}`, () => {
    test("node containers carry kind's flags, static IPs, labels and the uploads; secrets marked", async () => {
      const r = await recordLayout({ distribution: "Vanilla", controlPlanes: cps, workers: ws });
      const ns = nodes(r);
      assert.deepEqual(
        ns.map((n) => n.name),
        [
          ...Array.from({ length: cps }, (_, i) => `dev-control-plane-${i + 1}`),
          ...Array.from({ length: ws }, (_, j) => `dev-worker-${j + 1}`),
        ],
      );
      for (const n of ns) {
        const cp = n.name.includes("control-plane");
        const { uploads, ...rest } = n.inputs;
        const ip = n.inputs.networksAdvanced[0].ipv4Address;
        assert.deepEqual(rest, {
          name: n.name,
          hostname: n.name,
          image: "kindest/node:v1.36.1",
          privileged: true,
          securityOpts: ["seccomp=unconfined", "apparmor=unconfined"],
          tmpfs: { "/tmp": "", "/run": "" },
          volumes: [{ containerPath: "/var" }, { hostPath: "/lib/modules", containerPath: "/lib/modules", readOnly: true }],
          cgroupnsMode: "private",
          init: false,
          tty: true,
          restart: "on-failure",
          maxRetryCount: 1,
          envs: cp ? ["KUBECONFIG=/etc/kubernetes/admin.conf"] : [],
          labels: [
            { label: "ksail.io/cluster", value: "dev" },
            { label: "ksail.io/distribution", value: "Vanilla" },
            { label: "ksail.io/role", value: cp ? "control-plane" : "worker" },
            { label: "io.x-k8s.kind.cluster", value: "dev" },
            { label: "io.x-k8s.kind.role", value: cp ? "control-plane" : "worker" },
          ],
          networksAdvanced: [{ name: "dev-network", ipv4Address: ip }],
          ports: n.name === "dev-control-plane-1" && cps === 1 ? [{ internal: 6443, external: API, ip: "127.0.0.1", protocol: "tcp" }] : [],
          healthcheck: {
            tests: ["CMD", "test", "-f", "/kind/ksail-bootstrap.done"],
            interval: "10s",
            timeout: "5s",
            retries: 3,
            startPeriod: "20m",
            startInterval: "3s",
          },
          wait: true,
          waitTimeout: 1200,
          removeVolumes: true,
          mustRun: true,
        });
        assert.deepEqual(
          (uploads as any[]).map((u) => u.file),
          cp ? [...COMMON_FILES, ...PKI_FILES] : COMMON_FILES,
        );
        for (const u of uploads as any[]) assert.ok(!/^\/(run|tmp)\//.test(u.file), `${u.file} would be masked by tmpfs`);
        const secretFiles = n.secretInputs.map((p) => (uploads as any[])[Number(/^uploads\[(\d+)\]\.content$/.exec(p)![1])].file);
        assert.deepEqual(
          secretFiles.sort(),
          ["/kind/kubeadm.conf", ...(cp ? PKI_FILES.filter((f) => f.endsWith(".key")) : [])].sort(),
          "token and keys secret, certificates and scripts reviewable",
        );
        assert.equal(upload(n.inputs, "/usr/local/bin/ksail-bootstrap").executable, true);
        for (const u of uploads as any[])
          assert.equal(
            u.permissions,
            u.file.endsWith(".key") || u.file === "/kind/kubeadm.conf" ? "0600" : u.executable ? "0755" : "0644",
            u.file,
          );
        assert.equal(n.options.deleteBeforeReplace, true);
        assert.equal(n.options.replacementTrigger, "trigger-a");
        assert.deepEqual(n.options.ignoreChanges, []);
        assert.deepEqual(n.options.replaceOnChanges, ["tmpfs", "healthcheck", "init", "cpuPeriod", "cpuQuota"]);
      }
    });

    test("join order: control planes one at a time after the LB, workers after the last control plane", async () => {
      const r = await recordLayout({ distribution: "Vanilla", controlPlanes: cps, workers: ws });
      const lastCp = `dev-control-plane-${cps}`;
      for (const n of nodes(r)) {
        const m = /-(control-plane|worker)-(\d+)$/.exec(n.name)!;
        const idx = Number(m[2]);
        const after =
          m[1] === "worker" ? [lastCp] : idx === 1 ? (cps > 1 ? ["dev-external-load-balancer"] : []) : [`dev-control-plane-${idx - 1}`];
        assert.deepEqual(n.options.dependsOn, [...MIRRORS, ...after], n.name);
      }
    });

    test("kubeadm config per node: init on the first control plane, joins pin the CA hash of the uploaded CA", async () => {
      const pki = await kubeadmPki();
      const r = await recordLayout({ distribution: "Vanilla", controlPlanes: cps, workers: ws });
      const endpoint = cps > 1 ? "dev-external-load-balancer:6443" : "dev-control-plane-1:6443";
      for (const n of nodes(r)) {
        const docs = kubeadmDocs(n.inputs);
        const cluster = docs.find((d) => d.kind === "ClusterConfiguration");
        assert.equal(cluster.controlPlaneEndpoint, endpoint);
        assert.equal(cluster.apiVersion, "kubeadm.k8s.io/v1beta4");
        const ip = n.inputs.networksAdvanced[0].ipv4Address;
        if (n.name === "dev-control-plane-1") {
          const init = docs.find((d) => d.kind === "InitConfiguration");
          assert.equal(init.bootstrapTokens[0].token, pki.bootstrapToken);
          assert.equal(init.bootstrapTokens[0].ttl, "0s");
          assert.equal(init.localAPIEndpoint.advertiseAddress, ip);
          assert.deepEqual(init.nodeRegistration.taints, ws === 0 ? [] : undefined);
          assert.match(upload(n.inputs, "/usr/local/bin/ksail-bootstrap").content, /kubeadm init/);
        } else {
          const join = docs.find((d) => d.kind === "JoinConfiguration");
          assert.equal(join.discovery.bootstrapToken.token, pki.bootstrapToken);
          assert.equal(join.discovery.bootstrapToken.apiServerEndpoint, endpoint);
          assert.deepEqual(join.discovery.bootstrapToken.caCertHashes, [pki.caCertHash]);
          assert.equal(join.controlPlane !== undefined, n.name.includes("control-plane"));
          assert.match(upload(n.inputs, "/usr/local/bin/ksail-bootstrap").content, /kubeadm join/);
        }
      }
    });
  });
}

describe("Kind CA material", () => {
  test("uploaded CA files are the ClusterSecrets CA: same bytes, keys match certs, hash matches the join pin", async () => {
    const pki = await kubeadmPki();
    const r = await recordLayout({ distribution: "Vanilla", controlPlanes: 3, workers: 1 });
    for (const name of ["dev-control-plane-1", "dev-control-plane-2", "dev-control-plane-3"]) {
      const i = r.byName(name).inputs;
      const ca = upload(i, "/etc/kubernetes/pki/ca.crt").content;
      assert.equal(ca, pki.ca.cert);
      for (const [crt, key] of [
        ["ca.crt", "ca.key"],
        ["front-proxy-ca.crt", "front-proxy-ca.key"],
        ["etcd/ca.crt", "etcd/ca.key"],
      ]) {
        const cert = new crypto.X509Certificate(upload(i, `/etc/kubernetes/pki/${crt}`).content);
        assert.ok(cert.checkPrivateKey(crypto.createPrivateKey(upload(i, `/etc/kubernetes/pki/${key}`).content)), `${name} ${key}`);
        assert.ok(cert.ca, `${crt} is a CA`);
        assert.ok(cert.verify(cert.publicKey), `${crt} is self-signed`);
      }
      const sa = crypto.createPrivateKey(upload(i, "/etc/kubernetes/pki/sa.key").content);
      assert.equal(
        crypto.createPublicKey(sa).export({ type: "spki", format: "pem" }),
        crypto.createPublicKey(upload(i, "/etc/kubernetes/pki/sa.pub").content).export({ type: "spki", format: "pem" }),
      );
      assert.equal(caCertHash(ca), pki.caCertHash, "the hash joins pin is over the uploaded CA");
      assert.equal(upload(i, "/etc/kubernetes/pki/ca.key").permissions, "0600");
    }
    assert.ok(
      !r.byName("dev-worker-1").inputs.uploads.some((u: any) => u.file.startsWith("/etc/kubernetes/pki")),
      "workers get no CA keys",
    );
  });
});

describe("Kind load balancer and add-ons", () => {
  test("3 control planes: envoy LB publishes the API and proxies to every control plane", async () => {
    const r = await recordLayout({ distribution: "Vanilla", controlPlanes: 3, workers: 0 });
    const lb = r.byName("dev-external-load-balancer");
    const { uploads, ...rest } = lb.inputs;
    assert.deepEqual(rest, {
      name: "dev-external-load-balancer",
      hostname: "dev-external-load-balancer",
      image: "docker.io/envoyproxy/envoy:v1.36.2",
      command: ["envoy", "-c", "/etc/envoy/ksail-envoy.yaml"],
      restart: "on-failure",
      maxRetryCount: 1,
      labels: [
        { label: "ksail.io/cluster", value: "dev" },
        { label: "ksail.io/distribution", value: "Vanilla" },
        { label: "ksail.io/role", value: "external-load-balancer" },
        { label: "io.x-k8s.kind.cluster", value: "dev" },
        { label: "io.x-k8s.kind.role", value: "external-load-balancer" },
      ],
      networksAdvanced: [{ name: "dev-network", ipv4Address: lb.inputs.networksAdvanced[0].ipv4Address }],
      ports: [{ internal: 6443, external: API, ip: "127.0.0.1", protocol: "tcp" }],
      mustRun: true,
    });
    assert.match(lb.inputs.networksAdvanced[0].ipv4Address, /\.252$/);
    const cfg = YAML.parse(uploads[0].content);
    assert.deepEqual(
      cfg.static_resources.clusters[0].load_assignment.endpoints[0].lb_endpoints.map((e: any) => e.endpoint.address.socket_address.address),
      ["dev-control-plane-1", "dev-control-plane-2", "dev-control-plane-3"],
    );
    assert.equal(lb.options.replacementTrigger, "trigger-a");
    assert.equal(lb.options.deleteBeforeReplace, true);
    const sans = kubeadmDocs(r.byName("dev-control-plane-1").inputs).find((d) => d.kind === "ClusterConfiguration").apiServer.certSANs;
    assert.ok(sans.includes("dev-external-load-balancer") && sans.includes("127.0.0.1"));
  });

  test("nodes install no add-on (kindnet, storage are Pulumi objects); kubelet serving certs always on; mirrors in hosts.toml", async () => {
    const r = await recordLayout({
      distribution: "Vanilla",
      controlPlanes: 1,
      workers: 1,
      plan: { addons: { cni: "Cilium", metricsServer: true } },
    });
    const i = r.byName("dev-control-plane-1").inputs;
    assert.doesNotMatch(upload(i, "/usr/local/bin/ksail-bootstrap").content, /default-cni|default-storage/);
    assert.equal(kubeadmDocs(i).find((d) => d.kind === "KubeletConfiguration").serverTLSBootstrap, true);
    assert.equal(
      upload(i, "/etc/containerd/certs.d/docker.io/hosts.toml").content,
      'server = "https://registry-1.docker.io"\n\n[host."http://dev-docker.io:5000"]\n  capabilities = ["pull", "resolve"]\n  skip_verify = true\n',
    );
    // The node is the same whatever the CNI and metrics-server switches say: those are Kubernetes objects now.
    const plain = await recordLayout({ distribution: "Vanilla", controlPlanes: 1, workers: 1 });
    assert.deepEqual(plain.byName("dev-control-plane-1").inputs, i);
  });
});
