// L1: KSailCluster for VCluster on Docker (vCluster's Docker driver, sdk/plan/vind.ts, sdk/infra/docker/vind.ts) under
// mocks, 1+0 and 1+2: the network, the binaries staged in a volume (Kubernetes image created with the volume on
// /kubernetes, then the vcluster binary copied), the control-plane container as the driver runs it, the install run
// inside it with a generated join token, the kubeconfig read back (secret) and pointed at 127.0.0.1, the workers of
// vcluster.yaml's experimental.docker.nodes each joined with the token. The steps themselves run against a real
// Docker engine in test/peers/vind-engine-real.test.ts.
import { describe, test } from "node:test";
import * as assert from "node:assert/strict";
import { allPlainStrings } from "../harness/mocks";
import { CONTAINER, NETWORK, VOLUME, recordCluster } from "./cluster-record";

const DOCKER_EXEC = "pulumi-nodejs:dynamic/ksail:DockerExec";
const KUBECONFIG =
  "apiVersion: v1\nkind: Config\nclusters:\n- name: vc\n  cluster:\n    server: https://vcluster:8443\n    certificate-authority-data: Q0E=\ncontexts:\n- name: vc\n  context:\n    cluster: vc\n    user: vc\ncurrent-context: vc\nusers:\n- name: vc\n  user:\n    client-key-data: VIND-SECRET-MARKER\n";
const outputs = (type: string, _name: string, inputs: Record<string, unknown>) =>
  type === DOCKER_EXEC
    ? {
        ...inputs,
        ...((inputs as any).generateToken ? { token: "t".repeat(64) } : {}),
        ...((inputs as any).keepStdout ? { stdout: KUBECONFIG } : {}),
      }
    : undefined;
const record = (vclusterValues?: unknown, cluster: Record<string, unknown> = {}) =>
  recordCluster({ cluster: { distribution: "VCluster", provider: "Docker", ...cluster }, args: { vclusterValues } as never, outputs });

describe("KSailCluster: VCluster on Docker (vCluster's Docker driver)", () => {
  test("1 control plane: network, staged binaries, the control plane as the driver runs it, install, kubeconfig", async () => {
    const r = await record();
    assert.equal(r.byType(NETWORK)[0].inputs.name, "vcluster.dev");
    const stageK = r.byName("dev-stage-kubernetes");
    assert.deepEqual(
      [stageK.inputs.image, stageK.inputs.start, stageK.inputs.volumes[0].containerPath],
      ["ghcr.io/loft-sh/kubernetes:v1.36.0-full", false, "/kubernetes"],
    );
    const stageV = r.byName("dev-stage-vcluster");
    assert.equal(stageV.inputs.image, "ghcr.io/loft-sh/vcluster-pro:0.36.1");
    assert.deepEqual(stageV.options.dependsOn, ["dev-stage-kubernetes"], "the volume is filled from the image while empty");
    const cp = r.byName("dev-control-plane");
    assert.deepEqual(
      [cp.inputs.name, cp.inputs.hostname, cp.inputs.image, cp.inputs.privileged],
      ["vcluster.cp.dev", "dev", "ghcr.io/loft-sh/vm-container", true],
    );
    assert.deepEqual(cp.inputs.tmpfs, { "/run": "", "/tmp": "" });
    assert.deepEqual(
      cp.inputs.volumes.map((x: any) => [x.volumeName, x.containerPath, x.readOnly ?? false]),
      [
        ["vcluster.cp.dev.var", "/var", false],
        ["vcluster.cp.dev.etc", "/etc", false],
        ["vcluster.cp.dev.bin", "/usr/local/bin", false],
        ["vcluster.cp.dev.cni-bin", "/opt/cni/bin", false],
        ["vcluster.cp.dev.binaries", "/var/lib/vcluster/bin", true],
      ],
    );
    assert.deepEqual(cp.inputs.envs, ["VCLUSTER_NAME=dev"]);
    assert.deepEqual(cp.inputs.networksAdvanced[0].aliases, ["dev"], "workers reach it as https://dev:8443");
    assert.equal(cp.inputs.ports[0].internal, 8443);
    assert.equal(cp.inputs.ports[0].ip, "127.0.0.1");
    const files = Object.fromEntries(cp.inputs.uploads.map((u: any) => [u.file, u.content]));
    assert.match(files["/etc/vcluster/vcluster.yaml"], /standalone:\n\s+enabled: true/);
    assert.match(files["/etc/vcluster/vcluster.yaml"], /privateNodes:\n\s+enabled: true/);
    assert.equal(files["/etc/vcluster/vcluster-flags.env"], "KUBELET_EXTRA_ARGS=--resolv-conf=/etc/k8s-resolv.conf");
    const install = r.byName("dev-vind-install");
    assert.equal(install.type, DOCKER_EXEC);
    assert.deepEqual([install.inputs.container, install.inputs.generateToken, install.inputs.attempts], ["vcluster.cp.dev", 64, 5]);
    assert.match(
      install.inputs.script,
      /install-standalone\.sh" \| sh -s -- --skip-download --skip-wait --vcluster-name dev --join-token "\$KSAIL_TOKEN"/,
    );
    assert.ok(!install.inputs.script.includes("t".repeat(64)), "the token is never part of the script");
    assert.deepEqual(r.byName("dev-vind-kubeconfig").options.dependsOn, ["dev-vind-install"]);
    const kc = String(r.stackOutputs.kubeconfig);
    assert.match(kc, /server: https:\/\/127\.0\.0\.1:\d+/);
    assert.match(kc, /certificate-authority-data: Q0E=/, "vCluster's CA is kept (127.0.0.1 is a SAN)");
    assert.match(kc, /current-context: vcluster-docker_dev/);
    assert.deepEqual(r.byName("dev-api-ready").options.dependsOn, ["dev-vind-kubeconfig"]);
  });

  test("1+2: the workers vcluster.yaml lists, each joined with the install's token; no secret in plain state", async () => {
    const r = await record({ experimental: { docker: { nodes: [{ name: "w1" }, { name: "w2", env: ["A=b"], ports: ["8080:80"] }] } } });
    assert.deepEqual(
      r
        .byType(CONTAINER)
        .map((c) => c.inputs.name)
        .filter((n: string) => !n.includes("stage")),
      ["vcluster.cp.dev", "vcluster.node.dev.w1", "vcluster.node.dev.w2"],
    );
    const w2 = r.byName("dev-node-w2");
    assert.deepEqual([w2.inputs.hostname, w2.inputs.envs], ["w2", ["A=b"]]);
    assert.deepEqual(w2.inputs.ports, [{ internal: 80, external: 8080, ip: "0.0.0.0", protocol: "tcp" }]);
    assert.ok(w2.options.dependsOn.includes("dev-vind-install"));
    const join = r.byName("dev-vind-join-w2");
    assert.equal(join.inputs.container, "vcluster.node.dev.w2");
    assert.ok(join.secretInputs.includes("token"), join.secretInputs.join(", "));
    assert.match(join.inputs.script, /node\/join\?token=\$KSAIL_TOKEN&type=worker/);
    assert.match(join.inputs.script, /kubernetes-v1\.36\.0-\$\(uname -m/);
    assert.equal(r.byType(VOLUME).filter((x) => String(x.inputs.name).startsWith("vcluster.node.dev.w1.")).length, 4);
    const plain = allPlainStrings(r).join("\n");
    assert.ok(!plain.includes("VIND-SECRET-MARKER") && !plain.includes("t".repeat(64)));
  });

  test("a changed vcluster.yaml recreates (its values are applied at create); a Kubernetes version follows the spec", async () => {
    const a = await record({ controlPlane: { distro: { k8s: { image: { tag: "v1.35.0" } } } } });
    const b = await record({ controlPlane: { distro: { k8s: { image: { tag: "v1.35.0" } } } }, sync: { toHost: {} } });
    assert.notEqual(a.byName("dev-control-plane").options.replacementTrigger, b.byName("dev-control-plane").options.replacementTrigger);
    assert.equal(a.byName("dev-stage-kubernetes").inputs.image, "ghcr.io/loft-sh/kubernetes:v1.35.0-full");
    const s = await record(undefined, { kubernetesVersion: "1.34.1" });
    assert.equal(s.byName("dev-stage-kubernetes").inputs.image, "ghcr.io/loft-sh/kubernetes:v1.34.1-full");
  });
});
