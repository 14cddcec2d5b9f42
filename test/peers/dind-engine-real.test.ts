// L3 with a real peer: the Docker-in-Docker engine of Vanilla on a host cluster (sdk/plan/dindHost.ts), run by a real
// dockerd (Debian's docker.io 20.10 with containerd and runc; scripts/tools/build.sh docker-engine).
// The pod's dockerd command line is what the image's entrypoint builds from the pod spec (docker-library/docker
// dockerd-entrypoint.sh: with DOCKER_TLS_CERTDIR set and `server/{ca,cert,key}.pem` present but no `ca/key.pem`, it
// generates nothing, runs `openssl verify` on the files, and prepends `dockerd --host=unix:///var/run/docker.sock
// --host=tcp://0.0.0.0:2376 --tlsverify --tlscacert <dir>/server/ca.pem --tlscert <dir>/server/cert.pem --tlskey
// <dir>/server/key.pem` to the container's args). The test reads the env, the mount, the Secret's items and the args
// from the plan's pod spec, writes the Secret's data (the TLS ClusterSecrets derives) where the mount puts it, and runs
// that command line. Translated, as the pod would provide it: the TCP address (127.0.0.1 and a free port instead of
// 0.0.0.0:2376), the paths (a temporary directory) and iptables (this machine has none; the image brings its own).
// Then the real docker CLI and this package's Engine client connect over mutual TLS as the docker provider does; a
// client without the cluster's certificate is refused; the engine takes the plan's network and publishes the API
// where the host's front reaches it; a Talos reboot (TalosMachine's container restart) reaches this engine.
// What only a real host can confirm: the kubelet running docker:28-dind privileged, /lib/modules from the node, and
// Kind's node image booting inside (test/e2e/nested-host.test.ts runs Vanilla there when a host is given).
import { after, before, describe, test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { parseSpec } from "../../sdk/config/parse";
import { planCluster, type ClusterPlan } from "../../sdk/plan/cluster";
import { DIND_DOCKER_PORT, dindTlsSecretData } from "../../sdk/plan/dindHost";
import { deriveDockerTls, generateDockerTlsCa, generateKubeadmPki, type DockerTls } from "../../sdk/pki";
import { dockerInfo, execInContainer, hostFacts, inspectContainer } from "../../sdk/clients/dockerEngine";
import { rebootNode } from "../../sdk/dynamic/talosMachine.ops";
import type { TalosMachineInputs } from "../../sdk/dynamic/talosMachine.plan";
import { kindFacts, kindNodeSpec } from "../../sdk/plan/dockerContainers";
import { networkArgs } from "../../sdk/infra/docker/nodes";
import { opensslVerify } from "../harness/openssl";
import { freePort } from "./tools";
import { busyboxRootfsTar, skipDockerEngine, startDockerd, type RunningDockerd } from "./dockerEngine";

const plan: ClusterPlan = planCluster({
  name: "pr-9",
  spec: parseSpec({ cluster: { distribution: "Vanilla", provider: "Kubernetes", workers: 1 } }).spec,
});
const pod = (plan.dindHost!.spec as any).template.spec;
const container = pod.containers[0];

/** The client side of a TLS identity as the docker CLI reads it (DOCKER_CERT_PATH: ca.pem, cert.pem, key.pem). */
function certDir(ca: string, client: { cert: string; key: string }): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dc-"));
  fs.writeFileSync(path.join(dir, "ca.pem"), ca);
  fs.writeFileSync(path.join(dir, "cert.pem"), client.cert);
  fs.writeFileSync(path.join(dir, "key.pem"), client.key, { mode: 0o600 });
  return dir;
}

/** Reads what a TCP server sends first (a line), or the error. */
function greet(host: string, port: number): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    s.setTimeout(3000, () => {
      s.destroy();
      resolve("timeout");
    });
    s.once("data", (d) => {
      s.destroy();
      resolve(String(d).trim());
    });
    s.once("error", (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
  });
}

describe("Docker-in-Docker: the pod's engine, run by a real dockerd with the plan's TLS (L3)", { skip: skipDockerEngine }, () => {
  let engine: RunningDockerd;
  let tls: DockerTls;
  let port: number;
  let host: string;
  let client: string;
  const dirs: string[] = [];

  before(async () => {
    // The entrypoint's inputs, from the pod spec.
    const certEnv = container.env.find((e: any) => e.name === "DOCKER_TLS_CERTDIR")?.value;
    assert.equal(certEnv, "/certs");
    const mount = container.volumeMounts.find((m: any) => m.name === "tls");
    assert.deepEqual([mount.mountPath, mount.readOnly], [`${certEnv}/server`, true]);
    assert.ok(
      !container.volumeMounts.some((m: any) => m.mountPath === `${certEnv}/ca`),
      "no CA directory: the entrypoint must not generate",
    );
    const items: { key: string; path: string }[] = pod.volumes.find((v: any) => v.name === "tls").secret.items;
    assert.deepEqual(items.map((i) => i.path).sort(), ["ca.pem", "cert.pem", "key.pem"]);

    tls = (({ clientNotAfter: _, ...t }) => t)(
      await deriveDockerTls(await generateDockerTlsCa(), { address: "127.0.0.1", clientLifetimeMs: 3_600_000 }),
    );
    const certs = fs.mkdtempSync(path.join(os.tmpdir(), "dcerts-"));
    dirs.push(certs);
    const server = path.join(certs, "server");
    fs.mkdirSync(server);
    const data = dindTlsSecretData(tls);
    for (const i of items) fs.writeFileSync(path.join(server, i.path), data[i.key]);
    // The entrypoint's check before it starts dockerd.
    const v = opensslVerify(fs.readFileSync(path.join(server, "ca.pem"), "utf8"), fs.readFileSync(path.join(server, "cert.pem"), "utf8"));
    assert.ok(v.ok, v.output);

    port = await freePort();
    host = `tcp://127.0.0.1:${port}`;
    engine = await startDockerd([
      `--host=${host}`,
      "--tlsverify",
      `--tlscacert=${path.join(server, "ca.pem")}`,
      `--tlscert=${path.join(server, "cert.pem")}`,
      `--tlskey=${path.join(server, "key.pem")}`,
      ...container.args,
    ]);
    client = certDir(tls.ca.cert, tls.client);
    dirs.push(client);
  });
  after(async () => {
    await engine?.stop();
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });

  const tlsEnv = () => ({ DOCKER_HOST: host, DOCKER_TLS_VERIFY: "1", DOCKER_CERT_PATH: client });

  test("the docker CLI with the cluster's client certificate reaches the engine over mutual TLS", () => {
    const r = engine.cli(["version", "--format", "{{.Server.Version}}"], tlsEnv());
    assert.equal(r.status, 0, r.out);
    assert.match(r.out, /^20\.10\.24/);
  });

  test("this package's Engine client (facts, exec) reaches it the same way; no host-dependent kind flags apply", async () => {
    const info = await dockerInfo({ host, certPath: client });
    const facts = hostFacts(info);
    assert.deepEqual(facts, { devMapper: false, usernsHost: false, fuse: false }, JSON.stringify(info));
  });

  test("clients without the cluster's certificate are refused; a client that does not trust the cluster's CA refuses the engine", async () => {
    const noCert = fs.mkdtempSync(path.join(os.tmpdir(), "dn-"));
    dirs.push(noCert);
    fs.writeFileSync(path.join(noCert, "ca.pem"), tls.ca.cert);
    const a = engine.cli(["--tlsverify", `--tlscacert=${path.join(noCert, "ca.pem")}`, "-H", host, "version"]);
    assert.notEqual(a.status, 0);
    assert.match(a.out, /certificate|tls/i);

    const other = await deriveDockerTls(await generateDockerTlsCa(), { address: "127.0.0.1", clientLifetimeMs: 3_600_000 });
    const stranger = certDir(tls.ca.cert, other.client);
    dirs.push(stranger);
    const b = engine.cli(["version"], { ...tlsEnv(), DOCKER_CERT_PATH: stranger });
    assert.notEqual(b.status, 0, "a client certificate of another CA");
    assert.match(b.out, /bad certificate|certificate/i);

    const distrust = certDir(other.ca.cert, tls.client);
    dirs.push(distrust);
    const c = engine.cli(["version"], { ...tlsEnv(), DOCKER_CERT_PATH: distrust });
    assert.notEqual(c.status, 0);
    assert.match(c.out, /unknown authority/);
    await assert.rejects(dockerInfo({ host, certPath: distrust, timeoutMs: 5000 }));
  });

  test("--mtu from the pod's args sets the engine's bridge MTU; the plan's network is created as planned", () => {
    const bridge = engine.cli(["network", "inspect", "bridge", "--format", '{{index .Options "com.docker.network.driver.mtu"}}'], tlsEnv());
    assert.equal(bridge.out.trim(), "1400", bridge.out);
    const n = networkArgs(plan.docker!) as any;
    const opts = Object.entries(n.options as Record<string, string>).flatMap(([k, v]) => ["-o", `${k}=${v}`]);
    const labels = (n.labels as { label: string; value: string }[]).flatMap((l) => ["--label", `${l.label}=${l.value}`]);
    const created = engine.cli(
      [
        "network",
        "create",
        "--driver",
        n.driver,
        "--subnet",
        n.ipamConfigs[0].subnet,
        "--gateway",
        n.ipamConfigs[0].gateway,
        ...opts,
        ...labels,
        n.name,
      ],
      tlsEnv(),
    );
    assert.equal(created.status, 0, created.out);
    const mtu = engine.cli(["network", "inspect", n.name, "--format", '{{index .Options "com.docker.network.driver.mtu"}}'], tlsEnv());
    assert.equal(mtu.out.trim(), "1400", "the node network takes the pod's MTU too");
  });

  test("the API is published on the pod's addresses (what the front reaches), not only its loopback; exec over TLS", async () => {
    const imported = engine.cli(["import", "-", "ksail-test/busybox:1"], tlsEnv(), busyboxRootfsTar());
    assert.equal(imported.status, 0, imported.out);
    const pki = await generateKubeadmPki();
    const cp = plan.docker!.nodes[0];
    const spec = kindNodeSpec(plan.docker!, kindFacts(plan.docker!), cp, pki);
    const api = spec.ports!.find((p) => p.internal === 6443)!;
    assert.deepEqual([api.ip, api.external], ["0.0.0.0", 6443], "published on every address of the pod, at KSail's port");
    // A stand-in for the node (the kind image cannot be pulled here) answering on 6443, published as the spec says
    // (at a free port of this machine instead of 6443), and a control published on 127.0.0.1 as on provider Docker.
    const [open, loopback] = [await freePort(), await freePort()];
    const run = (name: string, publish: string) =>
      engine.cli(
        [
          "run",
          "-d",
          "--name",
          name,
          "--network",
          plan.docker!.network.name,
          "--ip",
          cp.ip,
          "-p",
          publish,
          "ksail-test/busybox:1",
          "sh",
          "-c",
          "trap 'exit 0' TERM; while true; do echo kube-api | nc -l -p 6443 & wait $!; done",
        ],
        tlsEnv(),
      );
    const a = run(cp.name, `${api.ip}:${open}:${api.internal}`);
    assert.equal(a.status, 0, a.out);
    // The address a Service reaches a pod at is not its loopback: here, this machine's own address on the plan's
    // network (its gateway, the bridge's address on the engine's host).
    const bridgeIp = plan.docker!.network.gateway;
    let got = "";
    for (let i = 0; i < 40 && got !== "kube-api"; i++) {
      got = await greet(bridgeIp, open);
      if (got !== "kube-api") await new Promise((r) => setTimeout(r, 250));
    }
    assert.equal(got, "kube-api", "reached at a non-loopback address of the engine's host");
    assert.equal(engine.cli(["rm", "-f", cp.name], tlsEnv()).status, 0);
    const b = run(cp.name, `127.0.0.1:${loopback}:${api.internal}`);
    assert.equal(b.status, 0, b.out);
    await new Promise((r) => setTimeout(r, 500));
    assert.notEqual(await greet(bridgeIp, loopback), "kube-api", "a 127.0.0.1 publish (provider Docker's) is out of the front's reach");

    const x = await execInContainer(cp.name, ["sh", "-c", "echo out; echo err >&2; exit 3"], { host, certPath: client });
    assert.deepEqual(x, { exitCode: 3, stdout: "out\n", stderr: "err\n" });

    // Talos in the pod: a reboot is a restart of the node's container, on this engine (TalosMachine's dockerEngine input),
    // not on whatever engine the provider process would find locally.
    const engineTls = { ca: tls.ca.cert, cert: tls.client.cert, key: tls.client.key };
    const before = await inspectContainer(cp.name, { host, tls: engineTls });
    assert.ok(before?.running);
    await rebootNode(
      undefined as never,
      {
        node: { name: cp.name, role: "controlplane", platform: "docker", endpoint: "192.0.2.32:50000" },
        talosVersion: "1.14.1",
        config: "",
        talosconfig: "",
        dockerEngine: { host, ...engineTls },
        timeouts: { rebootSeconds: 60 },
      } as TalosMachineInputs,
      "a test",
    );
    const after = await inspectContainer(cp.name, { host, tls: engineTls });
    assert.ok(after?.running && after.startedAt !== before!.startedAt, `${before?.startedAt} → ${after?.startedAt}`);
    assert.equal(DIND_DOCKER_PORT, 2376);
  });
});
