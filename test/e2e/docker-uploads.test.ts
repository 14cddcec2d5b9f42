// L3/L4 against a real Docker daemon: the upload mechanics the Docker node design relies on (reference
// kind-k3s-bootstrap C0, items marked "verify"). Files are sent exactly as the Docker provider sends them
// (PUT /containers/{id}/archive?path=/ between create and start, tar entries named by absolute path) into a
// container shaped like a K3s first server and a Kind control plane (same tmpfs and volume layout), then read
// back after start. Skips with the reason when no daemon answers or no probe image can be built locally
// (busybox imported with `docker import`; nothing is pulled).
import { describe, test, after } from "node:test";
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import * as os from "node:os";
import * as path from "node:path";
import { tarFiles } from "../fixtures/docker/tar";
import { K3S_CA_STAGING_DIR, k3sNodeFiles, renderK3sEntrypoint, K3S_TLS_DIR } from "../../sdk/distributions/k3s";
import { kindNodeFiles } from "../../sdk/distributions/kind";
import { dockerSocketPath } from "../../sdk/clients/dockerEngine";
import { networkArgs } from "../../sdk/infra/docker/nodes";
import { kindFacts } from "../../sdk/plan/dockerContainers";
import { planDockerCluster } from "../../sdk/plan/docker";
import { k3sPki, kubeadmPki } from "../fixtures/docker/record";

const IMAGE = "ksail-upload-probe:4";
const docker = (args: string[], timeout = 60_000) => spawnSync("docker", args, { encoding: "utf8", timeout });

function skipReason(): string | undefined {
  let sock: string;
  try {
    sock = dockerSocketPath();
  } catch (e) {
    return (e as Error).message;
  }
  if (!fs.existsSync(sock)) return `no Docker daemon socket at ${sock}`;
  const info = docker(["info", "--format", "{{.ServerVersion}}"], 15_000);
  if (info.status !== 0) return `Docker daemon not answering: ${(info.stderr || String(info.error)).trim().split("\n").pop()}`;
  if (docker(["image", "inspect", IMAGE]).status === 0) return undefined;
  const busybox = ["/bin/busybox", "/usr/bin/busybox"].find((p) => fs.existsSync(p));
  if (!busybox) return "no busybox binary to build a local probe image (install busybox-static)";
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "ksail-probe-"));
  try {
    fs.mkdirSync(path.join(root, "bin"));
    fs.copyFileSync(busybox, path.join(root, "bin/busybox"));
    fs.chmodSync(path.join(root, "bin/busybox"), 0o755);
    for (const c of ["sh", "cat", "ls", "stat", "test", "sleep", "cp", "mkdir"]) fs.symlinkSync("busybox", path.join(root, "bin", c));
    // Image content under a path a volume will cover (kind's node image preloads its images under /var).
    fs.mkdirSync(path.join(root, "var/lib/containerd"), { recursive: true });
    fs.writeFileSync(path.join(root, "var/lib/containerd/preloaded"), "from the image\n");
    const tar = spawnSync("tar", ["-C", root, "-cf", "-", "."], { maxBuffer: 64 * 1024 * 1024 });
    const imp = spawnSync("docker", ["import", "-", IMAGE], {
      input: tar.stdout,
      encoding: "utf8",
      timeout: 60_000,
    });
    if (imp.status !== 0) return `cannot import a probe image: ${imp.stderr.trim()}`;
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
  return undefined;
}

function putArchive(id: string, body: Buffer): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        socketPath: dockerSocketPath(),
        method: "PUT",
        path: `/containers/${id}/archive?path=/`,
        headers: { "Content-Type": "application/x-tar", "Content-Length": body.length },
      },
      (res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode ?? 0));
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

/** Create (not start), upload, start, and return what each file reads back as (content + mode), or MISSING. */
async function roundTrip(name: string, createArgs: string[], files: { path: string; content: string; mode: number }[]) {
  docker(["rm", "-f", "-v", name]);
  const script = files
    .map(
      (f) =>
        `if [ -f '${f.path}' ]; then echo "@@${f.path} $(stat -c %a '${f.path}')"; cat '${f.path}'; else echo "@@${f.path} MISSING"; fi`,
    )
    .join("; ");
  const created = docker(["create", "--name", name, "--network", "none", ...createArgs, IMAGE, "/bin/sh", "-c", script]);
  assert.equal(created.status, 0, created.stderr);
  const id = created.stdout.trim();
  assert.equal(await putArchive(id, tarFiles(files)), 200);
  const run = docker(["start", "-a", name], 120_000);
  assert.equal(run.status, 0, run.stderr);
  const out: Record<string, { mode: string; content: string }> = {};
  for (const part of run.stdout.split("@@").slice(1)) {
    const nl = part.indexOf("\n");
    const [p, mode] = (nl < 0 ? part : part.slice(0, nl)).split(" ");
    out[p] = { mode, content: nl < 0 ? "" : part.slice(nl + 1) };
  }
  return out;
}

const skip = skipReason();
const cleanup: string[][] = [];
after(() => {
  for (const args of cleanup) docker(args);
});

describe("uploads into real containers", { skip }, () => {
  test("K3s first server: CA set, registries.yaml and node password land (named data volume), intact after re-creation", async () => {
    const pki = await k3sPki();
    const plan = planDockerCluster({
      distribution: "K3s",
      clusterName: "probe",
      controlPlanes: 1,
      workers: 0,
      localRegistryPort: 5050,
    });
    const node = plan.nodes[0];
    const files = k3sNodeFiles(pki, node, { mirrors: plan.mirrors, localRegistry: plan.localRegistry }, plan.network).map((f) => ({
      path: f.path,
      content: f.content,
      mode: parseInt(f.permissions, 8),
    }));
    const volume = "ksail-probe-k3s-data";
    docker(["volume", "rm", "-f", volume]);
    cleanup.push(["rm", "-f", "-v", "ksail-probe-k3s"], ["volume", "rm", "-f", volume]);
    // The k3s container layout: tmpfs /run and /var/run, named volume on the data dir.
    const got = await roundTrip(
      "ksail-probe-k3s",
      ["--tmpfs", "/run", "--tmpfs", "/var/run", "-v", `${volume}:/var/lib/rancher/k3s`],
      files,
    );
    for (const f of files) {
      assert.ok(got[f.path], `${f.path} not reported`);
      assert.notEqual(got[f.path].mode, "MISSING", `${f.path} did not reach the container`);
      assert.equal(got[f.path].content.replace(/\n$/, ""), f.content.replace(/\n$/, ""), f.path);
      assert.equal(got[f.path].mode, f.mode.toString(8), `${f.path} mode`);
    }
    // The entrypoint places the staged CA into the volume once; a replaced server container (same volume, same
    // uploads) leaves those files alone, so k3s never sees CA files newer than its datastore.
    const entry = renderK3sEntrypoint({ gateway: plan.network.gateway, tlsDir: K3S_TLS_DIR }).split("\n");
    const from = entry.findIndex((l) => l.startsWith(`if [ -d ${K3S_CA_STAGING_DIR} ]`));
    const placement = entry
      .slice(from, entry.indexOf("fi", from) + 1)
      .join("\n")
      .replace(/log '[^']*'/, "true");
    const place = async (name: string) => {
      docker(["rm", "-f", "-v", name]);
      cleanup.push(["rm", "-f", "-v", name]);
      const created = docker([
        "create",
        "--name",
        name,
        "--network",
        "none",
        "-v",
        `${volume}:/var/lib/rancher/k3s`,
        IMAGE,
        "/bin/sh",
        "-c",
        `${placement}\nstat -c %Y ${K3S_TLS_DIR}/server-ca.crt; cat ${K3S_TLS_DIR}/server-ca.crt`,
      ]);
      assert.equal(created.status, 0, created.stderr);
      assert.equal(await putArchive(created.stdout.trim(), tarFiles(files)), 200);
      const run = docker(["start", "-a", name], 120_000);
      assert.equal(run.status, 0, run.stderr);
      const nl = run.stdout.indexOf("\n");
      return { mtime: run.stdout.slice(0, nl), content: run.stdout.slice(nl + 1) };
    };
    docker(["volume", "rm", "-f", volume]);
    const first = await place("ksail-probe-k3s-a");
    assert.equal(first.content, pki.serverCa.cert);
    await new Promise((r) => setTimeout(r, 1100));
    const second = await place("ksail-probe-k3s-b");
    assert.deepEqual(second, first, "a replaced server re-writes no CA file");
  });

  test("Kind control plane: kubeadm config, unit, hosts.toml and CA land; a file under tmpfs /run would be lost", async () => {
    const pki = await kubeadmPki();
    const plan = planDockerCluster({
      distribution: "Vanilla",
      clusterName: "probe",
      controlPlanes: 1,
      workers: 1,
      localRegistryPort: 5050,
    });
    const node = plan.nodes[0];
    const files = kindNodeFiles(kindFacts(plan), { name: node.name, ip: node.ip, role: node.role, init: true }, pki).map((f) => ({
      path: f.path,
      content: f.content,
      mode: parseInt(f.permissions, 8),
    }));
    const canary = { path: "/run/ksail-canary", content: "lost\n", mode: 0o644 };
    cleanup.push(["rm", "-f", "-v", "ksail-probe-kind"]);
    // The kind node layout: tmpfs /tmp and /run, anonymous /var.
    const got = await roundTrip("ksail-probe-kind", ["--tmpfs", "/tmp", "--tmpfs", "/run", "-v", "/var"], [...files, canary]);
    for (const f of files) {
      assert.notEqual(got[f.path]?.mode, "MISSING", `${f.path} did not reach the container`);
      assert.equal(got[f.path].content.replace(/\n$/, ""), f.content.replace(/\n$/, ""), f.path);
      assert.equal(got[f.path].mode, f.mode.toString(8), `${f.path} mode`);
    }
    assert.equal(got[canary.path].mode, "MISSING", "tmpfs masks uploads: nothing of ours may live under /run or /tmp");
  });

  test("the cluster network as planned: subnet, gateway, MTU and options accepted; static IPs; names resolve", () => {
    const plan = planDockerCluster({
      distribution: "K3s",
      clusterName: "ksail-probe",
      controlPlanes: 1,
      workers: 1,
      mtu: 1400,
      mirrors: [{ host: "docker.io" }],
    });
    const n = networkArgs(plan) as any;
    const flags = ["-d", n.driver, "--subnet", n.ipamConfigs[0].subnet, "--gateway", n.ipamConfigs[0].gateway];
    for (const [k, v] of Object.entries(n.options as Record<string, string>)) flags.push("-o", `${k}=${v}`);
    for (const l of n.labels as { label: string; value: string }[]) flags.push("--label", `${l.label}=${l.value}`);
    docker(["network", "rm", n.name]);
    const created = docker(["network", "create", ...flags, n.name]);
    assert.equal(created.status, 0, created.stderr);
    cleanup.push(["network", "rm", n.name]);
    const mirror = plan.mirrors[0];
    cleanup.unshift(["rm", "-f", "-v", mirror.containerName]);
    const m = docker(["run", "-d", "--name", mirror.containerName, "--network", n.name, "--ip", mirror.ip, IMAGE, "sleep", "60"]);
    assert.equal(m.status, 0, m.stderr);
    const node = plan.nodes[1];
    const r = docker([
      "run",
      "--rm",
      "--network",
      n.name,
      "--ip",
      node.ip,
      "--hostname",
      node.name,
      IMAGE,
      "/bin/sh",
      "-c",
      `busybox ip -o addr show eth0; busybox ip link show eth0; busybox nslookup ${mirror.containerName} 127.0.0.11`,
    ]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`inet ${node.ip.replace(/\./g, "\\.")}/24`));
    assert.match(r.stdout, /mtu 1400/);
    assert.match(r.stdout, new RegExp(mirror.ip.replace(/\./g, "\\.")), "the mirror resolves by container name to its static IP");
    docker(["rm", "-f", "-v", mirror.containerName]);
  });

  test("an anonymous or named volume over an image directory starts with the image's content (kind's preloaded /var)", () => {
    for (const v of ["/var", "ksail-probe-var:/var"]) {
      const r = docker(["run", "--rm", "--network", "none", "-v", v, IMAGE, "cat", "/var/lib/containerd/preloaded"]);
      assert.equal(r.stdout, "from the image\n", v);
    }
    docker(["volume", "rm", "-f", "ksail-probe-var"]);
  });
});
