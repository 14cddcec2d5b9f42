// L2/L3 with a real peer: the parts of VCluster on Docker (sdk/plan/vind.ts, sdk/infra/docker/vind.ts) that run against
// the Docker engine, on a real dockerd 20.10 (scripts/tools/build.sh docker-engine). vCluster's images cannot be pulled
// here, so stand-ins built with `docker import` carry the same paths (`/kubernetes/…` in the Kubernetes image,
// `/vcluster` in vcluster-pro, bash in the node image).
// - Staging: the empty binaries volume on /kubernetes of a container created (never started) from the Kubernetes image
//   gets the image's files copied in (Docker's rule for an empty named volume); the vcluster binary is copied beside
//   them afterwards; the control plane sees both read-only at /var/lib/vcluster/bin, as the driver's bind mounts put
//   them (loft-sh/vcluster v0.36.1 pkg/cli/create_docker.go runControlPlaneContainer).
// - DockerExec through the dynamic-provider host: the generated join token reaches the script as KSAIL_TOKEN and never
//   its text or the error; a failing step is retried and fails naming its exit code and output; the kubeconfig read
//   waits for the file and keeps it as a secret output, which vindKubeconfig points at 127.0.0.1 keeping the CA.
// What only Docker with vCluster's images and the internet can confirm: vm-container's systemd, install-standalone.sh
// (downloaded from GitHub at create), the join script and the kubelet (test/e2e/vind-docker.test.ts).
import { after, before, describe, test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import { parseSpec } from "../../sdk/config/parse";
import { planCluster } from "../../sdk/plan/cluster";
import { VIND, vindKubeconfigScript } from "../../sdk/plan/vind";
import { vindKubeconfig } from "../../sdk/infra/docker/vind";
import { DockerExec } from "../../sdk/dynamic/dockerExec";
import { captureProvider, startProviderHost, type ProviderHost } from "../harness/engine";
import { dockerEngineRoot, skipDockerEngine, startDockerd, type RunningDockerd } from "./dockerEngine";

const plan = planCluster({ name: "vind", spec: parseSpec({ cluster: { distribution: "VCluster", provider: "Docker" } }).spec });
const v = plan.vind!;

/** An image from a busybox root filesystem plus `files` (path → content), with `bash` running busybox's sh. */
function standIn(engine: RunningDockerd, tag: string, files: Record<string, string>): void {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "img-"));
  try {
    fs.mkdirSync(path.join(dir, "bin"));
    fs.copyFileSync(path.join(dockerEngineRoot()!, "bin/busybox"), path.join(dir, "bin/busybox"));
    fs.chmodSync(path.join(dir, "bin/busybox"), 0o755);
    for (const a of ["sh", "cat", "cp", "ls", "seq", "sleep", "printf", "true", "echo"])
      fs.symlinkSync("busybox", path.join(dir, "bin", a));
    fs.writeFileSync(path.join(dir, "bin/bash"), '#!/bin/sh\nexec /bin/sh "$@"\n', { mode: 0o755 });
    for (const [p, content] of Object.entries(files)) {
      fs.mkdirSync(path.join(dir, path.dirname(p)), { recursive: true });
      fs.writeFileSync(path.join(dir, p), content, { mode: 0o755 });
    }
    const tar = spawnSync("tar", ["-C", dir, "-c", "."], { maxBuffer: 64 << 20 }).stdout;
    const r = engine.cli(["import", "-", tag], {}, tar);
    assert.equal(r.status, 0, r.out);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe("VCluster on Docker: staging and the steps, on a real Docker engine (L2/L3)", { skip: skipDockerEngine }, () => {
  let engine: RunningDockerd;
  let host: ProviderHost;
  before(async () => {
    // No default bridge: test/peers/dind-engine-real.test.ts, which may run at the same time, owns docker0.
    engine = await startDockerd(["--bridge=none"]);
    standIn(engine, v.binaries.kubernetesImage, {
      "kubernetes/kube-apiserver": "apiserver",
      [`kubernetes/kubernetes-${v.kubernetesVersion}-amd64.tar.gz`]: "bundle",
    });
    standIn(engine, v.binaries.vclusterImage, { vcluster: "vcluster-binary" });
    standIn(engine, VIND.image, {});
    host = await startProviderHost({ config: {}, timeoutMs: 120_000 });
  });
  after(async () => {
    await host?.close();
    await engine?.stop();
  });

  test("the binaries are staged in a volume by the engine itself and reach the control plane read-only", () => {
    const vol = v.binaries.volume;
    assert.equal(engine.cli(["volume", "create", vol]).status, 0);
    // The infrastructure's two staging containers (sdk/infra/docker/vind.ts), in their order.
    const a = engine.cli([
      "create",
      "--network",
      "none",
      "--name",
      "stage-k",
      "-v",
      `${vol}:/kubernetes`,
      v.binaries.kubernetesImage,
      "true",
    ]);
    assert.equal(a.status, 0, a.out);
    const b = engine.cli([
      "run",
      "--network",
      "none",
      "--name",
      "stage-v",
      "--entrypoint",
      "/bin/sh",
      "-v",
      `${vol}:/staging`,
      v.binaries.vclusterImage,
      "-c",
      "cp /vcluster /staging/vcluster",
    ]);
    assert.equal(b.status, 0, b.out);
    const ls = engine.cli([
      "run",
      "--network",
      "none",
      "--rm",
      "-v",
      `${vol}:${VIND.binDir}:ro`,
      VIND.image,
      "sh",
      "-c",
      `ls ${VIND.binDir}; cat ${VIND.binDir}/vcluster; touch ${VIND.binDir}/x 2>&1 || true`,
    ]);
    assert.equal(ls.status, 0, ls.out);
    assert.match(
      ls.out,
      new RegExp(`kube-apiserver\\nkubernetes-${v.kubernetesVersion.replace(/\./g, "\\.")}-amd64\\.tar\\.gz\\nvcluster\\nvcluster-binary`),
    );
    assert.match(ls.out, /Read-only file system/);
  });

  test("DockerExec: the generated token reaches the step as KSAIL_TOKEN, never its text; settings update in place", async () => {
    assert.equal(engine.cli(["run", "-d", "--network", "none", "--name", "cp", VIND.image, "sleep", "600"]).status, 0);
    const cap = await captureProvider(
      () =>
        new DockerExec("install", {
          container: "cp",
          script: 'printf %s "$KSAIL_TOKEN" > /token; echo installed',
          engine: { host: engine.socket },
          generateToken: 64,
        }),
    );
    assert.doesNotMatch(cap.provider, /KSAIL_TOKEN=|BEGIN/);
    assert.ok(cap.provider.length < 4096);
    const s = await host.up(cap.urn, { ...cap.inputs, __provider: cap.provider });
    const token = s.outputs.token as string;
    assert.match(token, /^[a-z]{64}$/);
    assert.equal(engine.cli(["exec", "cp", "cat", "/token"]).out, token);
    assert.equal(s.outputs.stdout, undefined, "no output kept unless asked");
    const again = await host.preview(cap.urn, { ...cap.inputs, __provider: cap.provider, attempts: 3 }, s);
    assert.equal(again.op, "update", "retries are a setting: nothing runs again");
    const rerun = await host.preview(cap.urn, { ...cap.inputs, __provider: cap.provider, script: "echo other" }, s);
    assert.equal(rerun.op, "replace");
  });

  test("DockerExec: a failing step is retried, then fails with its exit code and output, the token redacted", async () => {
    const cap = await captureProvider(
      () =>
        new DockerExec("fail", {
          container: "cp",
          script: 'echo "boom $KSAIL_TOKEN" >&2; exit 3',
          engine: { host: engine.socket },
          token: "secrettokenvalue",
          attempts: 2,
          retryDelaySeconds: 1,
        }),
    );
    await assert.rejects(host.up(cap.urn, { ...cap.inputs, __provider: cap.provider }), (e: Error) => {
      assert.match(e.message, /failed after 2 attempt\(s\): exit code 3: .*boom \[token\]/s);
      assert.doesNotMatch(e.message, /secrettokenvalue/);
      return true;
    });
  });

  test("the kubeconfig read waits for vCluster's file, is kept secret and is pointed at 127.0.0.1 with its CA", async () => {
    const kc =
      "apiVersion: v1\nkind: Config\nclusters:\n- name: vind\n  cluster:\n    server: https://vind:8443\n    certificate-authority-data: Q0E=\ncontexts:\n- name: vind\n  context: {cluster: vind, user: vind}\ncurrent-context: vind\nusers:\n- name: vind\n  user: {client-key-data: S0VZ}\n";
    // vCluster writes the file a few seconds after the read starts.
    engine.cli([
      "exec",
      "-d",
      "cp",
      "sh",
      "-c",
      `sleep 3; mkdir -p ${path.dirname(VIND.kubeconfig)}; printf '%s' '${kc}' > ${VIND.kubeconfig}`,
    ]);
    const cap = await captureProvider(
      () => new DockerExec("read", { container: "cp", script: vindKubeconfigScript(), engine: { host: engine.socket }, keepStdout: true }),
    );
    assert.ok(cap.resource.options.additionalSecretOutputs?.includes("stdout"));
    const s = await host.up(cap.urn, { ...cap.inputs, __provider: cap.provider });
    assert.equal(s.outputs.stdout, kc);
    const out = vindKubeconfig(s.outputs.stdout as string, plan.endpoint!, "vcluster-docker_vind");
    assert.match(out, new RegExp(`server: ${plan.endpoint!.replace(/\./g, "\\.")}\\n\\s+certificate-authority-data: Q0E=`));
    assert.match(out, /current-context: vcluster-docker_vind/);
  });
});
