// Pure: VCluster on Docker (sdk/plan/vind.ts) against vCluster's Docker driver, loft-sh/vcluster v0.36.1 (the chart
// version KSail pins): pkg/constants/cli.go (prefixes `vcluster.`, `vcluster.cp.`, `vcluster.node.`), pkg/cli/create_docker.go
// (containerVolumes var/etc/bin/cni-bin; runControlPlaneContainer: -h, --tmpfs /run and /tmp, --privileged,
// --network-alias, VCLUSTER_NAME, -p …:8443, vm-container, the binaries under /var/lib/vcluster/bin, vcluster.yaml,
// vcluster-flags.env; loadUserValues: docker, standalone and private nodes on, konnectivity off; validateConfig: node
// names; installVClusterStandalone: systemd wait, install-standalone.sh --skip-download --skip-wait --vcluster-name
// --join-token, the node wait; joinDockerContainer: /node/join?token=…&type=worker, join.sh --bundle-path … --force-join;
// ensureK8sResolvConf: the kubelet's resolv.conf; pullKubernetesImage / pullVClusterImage: the image names),
// pkg/cli/connect_docker.go (kubeconfig at /var/lib/vcluster/kubeconfig.yaml, context vcluster-docker_<name>) and
// pkg/util/random (the token: 64 lowercase letters).
import { describe, test } from "node:test";
import * as assert from "node:assert/strict";
import * as YAML from "yaml";
import { validateClusterDocument } from "../../sdk/config";
import { isKsailError } from "../../sdk/errors";
import { parseSpec } from "../../sdk/config/parse";
import { planCluster } from "../../sdk/plan/cluster";
import { planVind, vindInstallScript, vindJoinScript, VIND, VIND_TOKEN_ALPHABET, VIND_TOKEN_LENGTH } from "../../sdk/plan/vind";

const plan = (userValues?: unknown, kubernetesVersion = "") =>
  planVind({ clusterName: "dev", userValues, apiHostPort: 30443, kubernetesVersion });
const doc = (cluster: Record<string, unknown>) => ({
  apiVersion: "ksail.io/v1alpha1",
  kind: "Cluster",
  metadata: { name: "dev" },
  spec: { cluster: { distribution: "VCluster", provider: "Docker", ...cluster } },
});

describe("VCluster on Docker (vCluster's Docker driver)", () => {
  test("names, images and the control-plane container as runControlPlaneContainer runs it", () => {
    const p = plan();
    assert.equal(p.network.name, "vcluster.dev");
    assert.deepEqual(p.binaries, {
      volume: "vcluster.cp.dev.binaries",
      kubernetesImage: "ghcr.io/loft-sh/kubernetes:v1.36.0-full",
      vclusterImage: "ghcr.io/loft-sh/vcluster-pro:0.36.1",
    });
    const cp = p.controlPlane.spec;
    assert.deepEqual(
      [cp.name, cp.hostname, cp.image, cp.privileged, cp.tmpfs],
      ["vcluster.cp.dev", "dev", "ghcr.io/loft-sh/vm-container", true, { "/run": "", "/tmp": "" }],
    );
    assert.deepEqual(
      cp.volumes!.map((v) => [v.volumeName, v.containerPath]),
      [
        ["vcluster.cp.dev.var", "/var"],
        ["vcluster.cp.dev.etc", "/etc"],
        ["vcluster.cp.dev.bin", "/usr/local/bin"],
        ["vcluster.cp.dev.cni-bin", "/opt/cni/bin"],
        ["vcluster.cp.dev.binaries", "/var/lib/vcluster/bin"],
      ],
    );
    assert.deepEqual(cp.envs, [{ name: "VCLUSTER_NAME", value: "dev", secret: false }]);
    assert.deepEqual(cp.network, { name: "vcluster.dev", aliases: ["dev"] }, "--network-alias: the join URL's host");
    assert.deepEqual(cp.ports, [{ internal: 8443, external: 30443, ip: "127.0.0.1", protocol: "tcp" }]);
    assert.deepEqual(
      cp.uploads!.map((u) => u.file),
      ["/etc/vcluster/vcluster.yaml", "/etc/vcluster/vcluster-flags.env"],
    );
    assert.equal(cp.uploads![1].content, "KUBELET_EXTRA_ARGS=--resolv-conf=/etc/k8s-resolv.conf");
    assert.equal(VIND.kubeconfig, "/var/lib/vcluster/kubeconfig.yaml");
    assert.deepEqual([VIND_TOKEN_LENGTH, VIND_TOKEN_ALPHABET], [64, "abcdefghijklmnopqrstuvwxyz"]);
  });

  test("vcluster.yaml: the project's values under the driver's own (docker, standalone, private nodes, no konnectivity)", () => {
    const p = plan(
      { sync: { toHost: { ingresses: { enabled: true } } }, controlPlane: { proxy: { extraSANs: ["my.example"] } } },
      "v1.35.2",
    );
    const v = YAML.parse(p.controlPlane.spec.uploads![0].content);
    assert.equal(v.experimental.docker.enabled, true);
    assert.equal(v.controlPlane.standalone.enabled, true);
    assert.equal(v.privateNodes.enabled, true);
    assert.deepEqual(v.controlPlane.advanced.konnectivity, { server: { enabled: false }, agent: { enabled: false } });
    assert.equal(v.sync.toHost.ingresses.enabled, true, "the project's own values stay");
    assert.deepEqual(v.controlPlane.proxy.extraSANs, ["127.0.0.1", "localhost"]);
    assert.equal(v.controlPlane.distro.k8s.image.tag, "v1.35.2");
    assert.equal(p.binaries.kubernetesImage, "ghcr.io/loft-sh/kubernetes:v1.35.2-full");
    assert.match(p.valuesSalt, /^[0-9a-f]{16}$/);
    assert.equal(plan().valuesSalt, "");
  });

  test("workers from experimental.docker.nodes (validateConfig's rules); what cannot go through the engine is refused", () => {
    const p = plan({
      experimental: { docker: { nodes: [{ name: "w1", image: "my/vm:1", env: ["A=b"], ports: ["127.0.0.1:8080:80/udp"] }] } },
    });
    const w = p.workers[0];
    assert.deepEqual([w.container, w.spec.hostname, w.spec.image], ["vcluster.node.dev.w1", "w1", "my/vm:1"]);
    assert.deepEqual(w.spec.ports, [{ ip: "127.0.0.1", external: 8080, internal: 80, protocol: "udp" }]);
    assert.deepEqual(
      w.spec.uploads!.map((u) => u.file),
      ["/etc/vcluster/vcluster-flags.env"],
      "only the control plane gets vcluster.yaml",
    );
    const refused = (values: unknown) => {
      try {
        plan(values);
        return [];
      } catch (e) {
        assert.ok(isKsailError(e));
        return (e as unknown as { issues: readonly { path: string }[] }).issues.map((i) => i.path);
      }
    };
    assert.deepEqual(refused({ experimental: { docker: { nodes: [{ name: "dev" }, { name: "a" }, { name: "a" }, {}] } } }), [
      "vcluster.yaml: experimental.docker.nodes[0].name",
      "vcluster.yaml: experimental.docker.nodes[2].name",
      "vcluster.yaml: experimental.docker.nodes[3].name",
    ]);
    assert.deepEqual(
      refused({ experimental: { docker: { network: "mine", volumes: ["/a:/b"], args: ["--x"], loadBalancer: { enabled: true } } } }),
      [
        "vcluster.yaml: experimental.docker.network",
        "vcluster.yaml: experimental.docker.args",
        "vcluster.yaml: experimental.docker.volumes",
        "vcluster.yaml: experimental.docker.loadBalancer",
      ],
    );
    assert.deepEqual(refused({ experimental: { docker: { nodes: [{ name: "w", volumes: ["/a:/b"] }] } } }), [
      "vcluster.yaml: experimental.docker.nodes[0].volumes",
    ]);
    assert.deepEqual(refused({ controlPlane: { distro: { k8s: { version: "v1.34.0" } } } }), [], "a version in the file alone is fine");
    assert.throws(() => plan({ controlPlane: { distro: { k8s: { version: "v1.34.0" } } } }, "v1.35.0"), /make them agree/);
  });

  test("the install and join steps: the driver's commands, the token only from the environment", () => {
    const p = plan();
    const install = vindInstallScript(p);
    assert.match(install, /systemctl is-system-running/);
    assert.match(
      install,
      /curl -sfLk "https:\/\/github\.com\/loft-sh\/vcluster\/releases\/download\/v0\.36\.1\/install-standalone\.sh" \| sh -s -- --skip-download --skip-wait --vcluster-name dev --join-token "\$KSAIL_TOKEN"/,
    );
    assert.match(install, /nameserver %s\\noptions ndots:0/);
    assert.match(install, /kubectl get nodes/);
    const join = vindJoinScript(p);
    assert.match(join, /https:\/\/dev:8443\/node\/join\?token=\$KSAIL_TOKEN&type=worker/);
    assert.match(
      join,
      /sh \/tmp\/join\.sh --bundle-path \/var\/lib\/vcluster\/bin\/kubernetes-v1\.36\.0-\$\(uname -m .*\)\.tar\.gz --force-join/,
    );
  });

  test("validation: what KSail's matrix makes N/A, several control planes, spec workers and a local registry are refused", () => {
    const paths = (cluster: Record<string, unknown>) => validateClusterDocument(doc(cluster), { env: {} }).issues.map((i) => i.path);
    assert.deepEqual(paths({}), []);
    assert.deepEqual(paths({ cni: "Cilium", csi: "Enabled", metricsServer: "Enabled", loadBalancer: "Enabled" }), [
      "spec.cluster.cni",
      "spec.cluster.csi",
      "spec.cluster.metricsServer",
      "spec.cluster.loadBalancer",
    ]);
    assert.deepEqual(paths({ workers: 2, controlPlanes: 3 }), ["spec.cluster.workers", "spec.cluster.controlPlanes"]);
    assert.deepEqual(paths({ localRegistry: { registry: "localhost:5050" } }), ["spec.cluster.localRegistry.registry"]);
    assert.deepEqual(paths({ gitOpsEngine: "Flux" }), ["spec.cluster.localRegistry.registry"]);
    assert.deepEqual(paths({ gitOpsEngine: "Flux", localRegistry: { registry: "ghcr.io/me/app" } }), []);
    assert.throws(
      () =>
        planCluster({
          name: "dev",
          spec: parseSpec({ cluster: { distribution: "VCluster", provider: "Docker" } }).spec,
          mirrors: ["docker.io"],
        }),
      /mirrors: pull-through mirrors are not wired into a vCluster's nodes/,
    );
  });
});
