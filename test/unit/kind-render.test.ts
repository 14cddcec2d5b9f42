import { describe, test } from "node:test";
import * as assert from "node:assert/strict";
import * as YAML from "yaml";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import {
  KIND_PATHS,
  kubeadmApiVersion,
  kubeadmConfigDocuments,
  renderBootstrapScript,
  renderBootstrapUnit,
  renderBootstrapDropIn,
  renderEnvoyConfig,
  renderHostsToml,
  renderKubeadmConfig,
  type KubeadmConfigInput,
} from "../../sdk/distributions/kind";
import { isKsailError } from "../../sdk/errors";

const base: KubeadmConfigInput = {
  clusterName: "dev",
  kubernetesVersion: "v1.36.1",
  controlPlaneEndpoint: "dev-control-plane-1:6443",
  certSANs: ["dev-control-plane-1"],
  podSubnet: "10.244.0.0/16",
  serviceSubnet: "10.96.0.0/16",
  bootstrapToken: "abcdef.0123456789abcdef",
  caCertHash: "sha256:" + "ab".repeat(32),
  schedulableControlPlanes: false,
  node: { name: "dev-control-plane-1", ip: "10.6.1.2", role: "control-plane", init: true },
};

function byKind(docs: Record<string, unknown>[], kind: string): any {
  const d = docs.find((x) => x.kind === kind);
  assert.ok(d, `missing ${kind}`);
  return d;
}

describe("kubeadm API version by Kubernetes version", () => {
  test("v1beta4 from 1.36, v1beta3 for 1.23–1.35, older rejected with a KsailError", () => {
    assert.equal(kubeadmApiVersion("v1.36.1"), "kubeadm.k8s.io/v1beta4");
    assert.equal(kubeadmApiVersion("1.37.0"), "kubeadm.k8s.io/v1beta4");
    assert.equal(kubeadmApiVersion("v1.35.4"), "kubeadm.k8s.io/v1beta3");
    assert.equal(kubeadmApiVersion("v1.23.0"), "kubeadm.k8s.io/v1beta3");
    assert.throws(
      () => kubeadmApiVersion("v1.22.9"),
      (e) => isKsailError(e) && /v1\.23/.test(e.message),
    );
    assert.throws(
      () => kubeadmApiVersion("latest"),
      (e) => isKsailError(e) && /kubernetesVersion/.test(e.message),
    );
  });
});

describe("kubeadm config for the first control plane (v1beta4)", () => {
  const text = renderKubeadmConfig(base);
  const docs = YAML.parseAllDocuments(text).map((d) => d.toJS());

  test("documents: ClusterConfiguration, InitConfiguration, KubeletConfiguration, KubeProxyConfiguration", () => {
    assert.deepEqual(
      docs.map((d) => `${d.apiVersion}/${d.kind}`),
      [
        "kubeadm.k8s.io/v1beta4/ClusterConfiguration",
        "kubeadm.k8s.io/v1beta4/InitConfiguration",
        "kubelet.config.k8s.io/v1beta1/KubeletConfiguration",
        "kubeproxy.config.k8s.io/v1alpha1/KubeProxyConfiguration",
      ],
    );
  });

  test("ClusterConfiguration carries the endpoint, SANs, subnets and version", () => {
    const c = byKind(docs, "ClusterConfiguration");
    assert.equal(c.clusterName, "dev");
    assert.equal(c.kubernetesVersion, "v1.36.1");
    assert.equal(c.controlPlaneEndpoint, "dev-control-plane-1:6443");
    assert.deepEqual(c.apiServer.certSANs, ["localhost", "127.0.0.1", "dev-control-plane-1"]);
    assert.deepEqual(c.networking, { podSubnet: "10.244.0.0/16", serviceSubnet: "10.96.0.0/16" });
    // v1beta4: argument maps are lists of {name, value}
    assert.deepEqual(c.controllerManager.extraArgs, [{ name: "enable-hostpath-provisioner", value: "true" }]);
  });

  test("InitConfiguration: pre-shared token with explicit TTL, advertise address, node registration, no preflight", () => {
    const i = byKind(docs, "InitConfiguration");
    assert.equal(i.bootstrapTokens.length, 1);
    assert.equal(i.bootstrapTokens[0].token, "abcdef.0123456789abcdef");
    assert.equal(i.bootstrapTokens[0].ttl, "0s");
    assert.deepEqual(i.localAPIEndpoint, { advertiseAddress: "10.6.1.2", bindPort: 6443 });
    assert.equal(i.nodeRegistration.name, "dev-control-plane-1");
    assert.equal(i.nodeRegistration.criSocket, "unix:///run/containerd/containerd.sock");
    assert.deepEqual(i.nodeRegistration.kubeletExtraArgs, [
      { name: "node-ip", value: "10.6.1.2" },
      { name: "provider-id", value: "kind://docker/dev/dev-control-plane-1" },
    ]);
    assert.equal(i.nodeRegistration.taints, undefined, "control-plane taint kept when workers exist");
    assert.deepEqual(i.skipPhases, ["preflight"]);
  });

  test("KubeletConfiguration as kind writes it, plus serving certs for metrics-server", () => {
    const k = byKind(docs, "KubeletConfiguration");
    assert.equal(k.cgroupDriver, "systemd");
    assert.equal(k.cgroupRoot, "/kubelet");
    assert.equal(k.failSwapOn, false);
    assert.equal(k.serverTLSBootstrap, true);
    assert.deepEqual(k.evictionHard, {
      "nodefs.available": "0%",
      "nodefs.inodesFree": "0%",
      "imagefs.available": "0%",
    });
    const p = byKind(docs, "KubeProxyConfiguration");
    assert.equal(p.mode, "iptables");
  });
});

describe("kubeadm config for joining nodes", () => {
  test("control plane join pins the CA hash and names its local endpoint (v1beta3 maps)", () => {
    const docs = kubeadmConfigDocuments({
      ...base,
      kubernetesVersion: "v1.35.0",
      node: { name: "dev-control-plane-2", ip: "10.6.1.3", role: "control-plane", init: false },
    });
    assert.equal(
      docs.find((d) => d.kind === "InitConfiguration"),
      undefined,
    );
    const j = byKind(docs, "JoinConfiguration");
    assert.equal(j.apiVersion, "kubeadm.k8s.io/v1beta3");
    assert.deepEqual(j.controlPlane, { localAPIEndpoint: { advertiseAddress: "10.6.1.3", bindPort: 6443 } });
    assert.deepEqual(j.discovery.bootstrapToken, {
      apiServerEndpoint: "dev-control-plane-1:6443",
      token: "abcdef.0123456789abcdef",
      caCertHashes: ["sha256:" + "ab".repeat(32)],
    });
    assert.equal(j.discovery.bootstrapToken.unsafeSkipCAVerification, undefined);
    assert.deepEqual(j.nodeRegistration.kubeletExtraArgs, {
      "node-ip": "10.6.1.3",
      "provider-id": "kind://docker/dev/dev-control-plane-2",
    });
  });

  test("worker join has no controlPlane section; schedulable control planes drop the taint", () => {
    const w = byKind(
      kubeadmConfigDocuments({
        ...base,
        node: { name: "dev-worker-1", ip: "10.6.1.4", role: "worker", init: false },
      }),
      "JoinConfiguration",
    );
    assert.equal(w.controlPlane, undefined);
    const i = byKind(kubeadmConfigDocuments({ ...base, schedulableControlPlanes: true }), "InitConfiguration");
    assert.deepEqual(i.nodeRegistration.taints, []);
  });

  test("malformed token or hash is a KsailError", () => {
    assert.throws(() => kubeadmConfigDocuments({ ...base, bootstrapToken: "nope" }), isKsailError);
    assert.throws(() => kubeadmConfigDocuments({ ...base, caCertHash: "md5:00" }), isKsailError);
  });
});

describe("bootstrap script, unit and drop-in", () => {
  const common = { nodeName: "dev-control-plane-1", controlPlane: true, schedulableControlPlanes: true };
  const at = (s: string, needle: string) => {
    const i = s.indexOf(needle);
    assert.ok(i >= 0, `script lacks ${needle}`);
    return i;
  };
  test("init script: resumable init (reset unless a finished run is on record), bounded API wait, label removal, marker", () => {
    const s = renderBootstrapScript({ ...common, mode: "init" });
    const order = [
      `if [ -f ${KIND_PATHS.marker} ]`,
      `if [ ! -f ${KIND_PATHS.kubeadmMarker} ]; then`,
      "an earlier attempt stopped half-way; resetting",
      "kubeadm init --config=/kind/kubeadm.conf --skip-token-print",
      `touch ${KIND_PATHS.kubeadmMarker}`,
      "kubectl get --raw /readyz",
      "kubectl label node dev-control-plane-1 node.kubernetes.io/exclude-from-external-load-balancers-",
      `touch ${KIND_PATHS.marker}`,
    ].map((n) => at(s, n));
    assert.deepEqual(
      order,
      [...order].sort((a, b) => a - b),
      "steps in kind's order",
    );
    assert.ok(s.startsWith("#!/usr/bin/env bash\n"));
    assert.match(s, /kind v0\.32\.0/);
    assert.doesNotMatch(s, /kubeadm join/);
    // The guard is the finished-kubeadm marker, not admin.conf (written half-way through init): an init that failed
    // after its kubeconfig phase used to be skipped and then wait on /readyz until the unit timed out.
    assert.doesNotMatch(s, /if \[ ! -f \/etc\/kubernetes\/admin\.conf \]/);
    assert.match(s, /API server not ready after 300s; the unit retries"; exit 1/);
  });
  test("kindnet and the default storage are no longer applied by the node (Kubernetes objects managed from Pulumi)", () => {
    for (const mode of ["init", "join"] as const) {
      const s = renderBootstrapScript({ ...common, mode });
      assert.doesNotMatch(s, /default-cni|default-storage|kubectl apply/);
    }
  });
  test("every control plane of a worker-less cluster removes the exclude-from-external-load-balancers label from itself", () => {
    const second = renderBootstrapScript({ ...common, nodeName: "dev-control-plane-2", mode: "join" });
    assert.match(second, /kubectl label node dev-control-plane-2 node\.kubernetes\.io\/exclude-from-external-load-balancers-/);
    const withWorkers = renderBootstrapScript({
      ...common,
      nodeName: "dev-control-plane-2",
      mode: "join",
      schedulableControlPlanes: false,
    });
    assert.doesNotMatch(withWorkers, /exclude-from-external-load-balancers/);
    const worker = renderBootstrapScript({ nodeName: "dev-worker-1", mode: "join", controlPlane: false, schedulableControlPlanes: false });
    assert.doesNotMatch(worker, /kubectl/);
  });
  test("both scripts are valid bash (bash -n)", () => {
    for (const mode of ["init", "join"] as const)
      for (const imageVerification of [false, true]) {
        const r = spawnSync("bash", ["-n"], { input: renderBootstrapScript({ ...common, mode, imageVerification }) });
        assert.equal(r.status, 0, `${mode}: ${r.stderr}`);
      }
  });
  test("image verification: containerd's image-verifier table is added once, before kubeadm, and containerd restarted (as kind applies containerdConfigPatches)", () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "ksail-verifier-"));
    try {
      const bin = path.join(root, "bin");
      fs.mkdirSync(bin);
      const stub = (name: string, body = "") =>
        fs.writeFileSync(path.join(bin, name), `#!/usr/bin/env bash\necho "${name} $*" >> ${root}/calls\n${body}`, { mode: 0o755 });
      for (const name of ["kubeadm", "kubectl", "sleep", "systemctl"]) stub(name);
      stub("pgrep", "exit 0\n"); // containerd is running
      // A containerd config of kind's shape: version 2, CRI settings; the verifier table is new to it.
      const config = path.join(root, "etc/containerd/config.toml");
      fs.mkdirSync(path.dirname(config), { recursive: true });
      fs.writeFileSync(
        config,
        'version = 2\n\n[plugins."io.containerd.grpc.v1.cri".containerd]\n  snapshotter = "overlayfs"\n  default_runtime_name = "runc"\n',
      );
      const script = renderBootstrapScript({ ...common, mode: "init", imageVerification: true })
        .split("/kind/")
        .join(`${root}/kind/`)
        .split("/etc/")
        .join(`${root}/etc/`);
      fs.mkdirSync(path.join(root, "kind"));
      const run = () => spawnSync("bash", ["-c", script], { env: { PATH: `${bin}:/usr/bin:/bin` }, encoding: "utf8" });
      assert.equal(run().status, 0);
      const calls = fs.readFileSync(path.join(root, "calls"), "utf8").trim().split("\n");
      assert.deepEqual(
        calls.slice(0, 3).map((c) => c.split(" ").slice(0, 2).join(" ")),
        ["pgrep --exact", "systemctl restart", "kubeadm init"],
      );
      // Run again (the unit restarts after a failure): the table is not added twice.
      fs.rmSync(path.join(root, "kind/ksail-bootstrap.done"));
      assert.equal(run().status, 0);
      const text = fs.readFileSync(config, "utf8");
      assert.equal(text.split("io.containerd.image-verifier.v1.bindir").length - 1, 1);
      // The result is TOML containerd reads: parsed by a real TOML parser (Python's tomllib) when there is one.
      const py = spawnSync("python3", ["-c", "import sys,tomllib,json;print(json.dumps(tomllib.load(open(sys.argv[1],'rb'))))", config], {
        encoding: "utf8",
      });
      if (py.status === 0) {
        const parsed = JSON.parse(py.stdout);
        assert.deepEqual(parsed.plugins["io.containerd.image-verifier.v1.bindir"], {
          bin_dir: "/opt/image-verifier/bin",
          max_verifiers: 10,
          per_verifier_timeout: "10s",
        });
        assert.equal(parsed.plugins["io.containerd.grpc.v1.cri"].containerd.snapshotter, "overlayfs");
      }
      assert.doesNotMatch(renderBootstrapScript({ ...common, mode: "init" }), /image-verifier/);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
  test("resume: a half-finished init (admin.conf written, no kubeadm marker) is reset and run again; a finished one is not", () => {
    // Run the script in a sandbox where kubeadm/kubectl are stubs that log their calls.
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "ksail-boot-"));
    try {
      const bin = path.join(root, "bin");
      fs.mkdirSync(bin);
      const stub = (name: string) =>
        fs.writeFileSync(path.join(bin, name), `#!/usr/bin/env bash\necho "${name} $*" >> ${root}/calls\n`, { mode: 0o755 });
      stub("kubeadm");
      stub("kubectl");
      stub("sleep");
      const script = renderBootstrapScript({ ...common, mode: "init" })
        .split("/kind/")
        .join(`${root}/kind/`)
        .split("/etc/kubernetes")
        .join(`${root}/etc/kubernetes`);
      fs.mkdirSync(path.join(root, "kind"));
      fs.mkdirSync(path.join(root, "etc/kubernetes"), { recursive: true });
      fs.writeFileSync(path.join(root, "etc/kubernetes/admin.conf"), "half-written");
      const run = () => spawnSync("bash", ["-c", script], { env: { PATH: `${bin}:/usr/bin:/bin` }, encoding: "utf8" });
      const r1 = run();
      assert.equal(r1.status, 0, r1.stderr);
      const calls1 = fs.readFileSync(path.join(root, "calls"), "utf8").trim().split("\n");
      assert.deepEqual(
        calls1.map((c) => c.split(" ").slice(0, 2).join(" ")),
        ["kubeadm reset", "kubeadm init", "kubectl get", "kubectl label"],
      );
      fs.rmSync(path.join(root, "calls"));
      fs.rmSync(path.join(root, "kind/ksail-bootstrap.done"));
      const r2 = run(); // kubeadm finished before: only the steps after it run again
      assert.equal(r2.status, 0, r2.stderr);
      assert.deepEqual(
        fs
          .readFileSync(path.join(root, "calls"), "utf8")
          .trim()
          .split("\n")
          .map((c) => c.split(" ").slice(0, 2).join(" ")),
        ["kubectl get", "kubectl label"],
      );
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
  // Generous timeouts: they only bound a hang; a probe timing out on a loaded machine would silently skip the check.
  const analyze = spawnSync("systemd-analyze", ["--version"], { timeout: 120_000 });
  const systemUnits = ["/lib/systemd/system", "/usr/lib/systemd/system"].find((d) => fs.existsSync(path.join(d, "multi-user.target")));
  test(
    "systemd accepts the unit and the multi-user.target drop-in (systemd-analyze verify)",
    {
      skip: analyze.status !== 0 ? "systemd-analyze not installed" : !systemUnits ? "no systemd unit directory to verify against" : false,
    },
    () => {
      const root = fs.mkdtempSync(path.join(os.tmpdir(), "ksail-unit-"));
      try {
        const put = (p: string, content: string, mode = 0o644) => {
          fs.mkdirSync(path.dirname(path.join(root, p)), { recursive: true });
          fs.writeFileSync(path.join(root, p), content, { mode });
        };
        put(KIND_PATHS.unit, renderBootstrapUnit());
        put(KIND_PATHS.dropIn, renderBootstrapDropIn());
        put(KIND_PATHS.script, renderBootstrapScript({ ...common, mode: "init" }), 0o755);
        fs.mkdirSync(path.join(root, "usr/lib/systemd"), { recursive: true });
        fs.symlinkSync(systemUnits!, path.join(root, "usr/lib/systemd/system"));
        for (const unit of [KIND_PATHS.unit, "multi-user.target"]) {
          const r = spawnSync("systemd-analyze", ["verify", "--man=no", `--root=${root}`, unit], {
            encoding: "utf8",
            timeout: 120_000,
          });
          assert.equal(r.status, 0, `${unit}: ${r.stderr}`);
          assert.equal(r.stderr.trim(), "", `${unit}: systemd reported problems`);
        }
        // and it does complain about a broken unit, so the check above is meaningful
        put(KIND_PATHS.unit, renderBootstrapUnit().replace("Type=oneshot", "Type=bogus"));
        const bad = spawnSync("systemd-analyze", ["verify", "--man=no", `--root=${root}`, KIND_PATHS.unit], {
          encoding: "utf8",
          timeout: 120_000,
        });
        assert.match(bad.stderr, /Failed to parse service type/);
      } finally {
        fs.rmSync(root, { recursive: true, force: true });
      }
    },
  );
  test("join script retries join with the CA material restored, never runs init", () => {
    const s = renderBootstrapScript({ ...common, nodeName: "dev-worker-1", controlPlane: false, mode: "join" });
    assert.match(s, /until kubeadm join --config \/kind\/kubeadm\.conf/);
    assert.match(s, /reset_node/);
    assert.doesNotMatch(s, /kubeadm init/);
  });
  test("unit is a guarded oneshot, restarted on failure without a start limit, not ordered before kubelet; the drop-in wants it", () => {
    const u = renderBootstrapUnit();
    assert.match(u, /^Type=oneshot$/m);
    assert.match(u, /^RemainAfterExit=yes$/m);
    // Before: no Restart=, so a transient failure left the unit failed until someone re-ran it by hand.
    assert.match(u, /^Restart=on-failure$/m);
    assert.match(u, /^StartLimitIntervalSec=0$/m);
    assert.match(u, new RegExp(`^ConditionPathExists=!${KIND_PATHS.marker}$`, "m"));
    assert.match(u, new RegExp(`^ExecStart=${KIND_PATHS.script}$`, "m"));
    assert.doesNotMatch(u, /Before=kubelet/);
    assert.equal(renderBootstrapDropIn(), "[Unit]\nWants=ksail-bootstrap.service\n");
    for (const p of Object.values(KIND_PATHS)) assert.ok(!/^\/(run|tmp)\//.test(p), `${p} would be masked by tmpfs`);
  });
});

describe("containerd hosts.toml and envoy LB", () => {
  test("hosts.toml: upstream server and the mirror host with pull/resolve", () => {
    assert.equal(
      renderHostsToml({ server: "https://registry-1.docker.io", mirrors: ["http://dev-docker.io:5000"] }),
      'server = "https://registry-1.docker.io"\n\n[host."http://dev-docker.io:5000"]\n  capabilities = ["pull", "resolve"]\n  skip_verify = true\n',
    );
  });
  const tomllib = spawnSync("python3", ["-c", "import tomllib"], { timeout: 120_000 });
  test(
    "hosts.toml parses as TOML with containerd's structure (python tomllib)",
    { skip: tomllib.status !== 0 ? "python3 with tomllib (3.11+) not available" : false },
    () => {
      const text = renderHostsToml({
        server: "https://registry-1.docker.io",
        mirrors: ["http://dev-docker.io:5000", "https://mirror.example:5443"],
      });
      const r = spawnSync("python3", ["-c", "import sys, json, tomllib; print(json.dumps(tomllib.loads(sys.stdin.read())))"], {
        input: text,
        encoding: "utf8",
        timeout: 120_000,
      });
      assert.equal(r.status, 0, r.stderr);
      assert.deepEqual(JSON.parse(r.stdout), {
        server: "https://registry-1.docker.io",
        host: {
          "http://dev-docker.io:5000": { capabilities: ["pull", "resolve"], skip_verify: true },
          "https://mirror.example:5443": { capabilities: ["pull", "resolve"] },
        },
      });
    },
  );
  test("envoy: one TCP listener on 6443 proxying to every control plane", () => {
    const cfg = YAML.parse(
      renderEnvoyConfig({
        clusterName: "dev",
        name: "dev-external-load-balancer",
        controlPlanes: ["a", "b", "c"],
      }),
    );
    const l = cfg.static_resources.listeners[0];
    assert.equal(l.address.socket_address.port_value, 6443);
    assert.equal(l.filter_chains[0].filters[0].typed_config.cluster, "kube_apiservers");
    const c = cfg.static_resources.clusters[0];
    assert.equal(c.type, "STRICT_DNS");
    assert.deepEqual(
      c.load_assignment.endpoints[0].lb_endpoints.map(
        (e: any) => `${e.endpoint.address.socket_address.address}:${e.endpoint.address.socket_address.port_value}`,
      ),
      ["a:6443", "b:6443", "c:6443"],
    );
    assert.equal(cfg.node.id, "dev-external-load-balancer");
  });
});
