// L4: one real Talos container on Docker, reached only through the Talos API client with the talosconfig
// sdk/pki derives (Ed25519 mTLS against a real apid), then TalosMachine through the real dynamic-provider
// host: create (AUTO apply) and a reboot-required change (STAGED + container restart over the Docker
// Engine socket). No Pulumi CLI needed. Skips with the reason when there is no Docker engine, no Talos
// image (pulled once if possible) or no privileged containers.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as crypto from "node:crypto";
import * as YAML from "yaml";
import { Code, TalosClient } from "../../sdk/clients/talos";
import { renderMachineConfigs } from "../../sdk/distributions/talos/render";
import { TalosMachine } from "../../sdk/dynamic/talosMachine";
import { deriveTalosconfig, generateTalosBundle } from "../../sdk/pki";
import { planDockerCluster } from "../../sdk/plan/docker";
import { captureProvider, startProviderHost } from "../harness/engine";

const IMAGE =
  process.env.KSAIL_E2E_TALOS_IMAGE ??
  planDockerCluster({ distribution: "Talos", clusterName: "x", controlPlanes: 1, workers: 0, mirrors: [] }).image;

function docker(args: string[], timeoutMs = 60_000): { ok: boolean; out: string } {
  const r = spawnSync("docker", args, { encoding: "utf8", timeout: timeoutMs });
  return { ok: r.status === 0, out: `${r.stdout ?? ""}${r.stderr ?? ""}${r.error ? String(r.error) : ""}`.trim() };
}

function skipReason(): string | undefined {
  if (process.env.KSAIL_E2E === "0") return "KSAIL_E2E=0";
  const info = docker(["info", "--format", "{{.ServerVersion}}"], 15_000);
  if (!info.ok) return `no Docker engine (docker info: ${info.out.split("\n").pop()})`;
  if (!docker(["image", "inspect", IMAGE], 15_000).ok) {
    const pull = docker(["pull", IMAGE], 600_000);
    if (!pull.ok) return `Talos image ${IMAGE} is not present and cannot be pulled: ${pull.out.split("\n").pop()}`;
  }
  const priv = docker(["run", "--rm", "--privileged", "--entrypoint", "/bin/true", IMAGE], 60_000);
  if (!priv.ok && /privileged|permission|operation not permitted/i.test(priv.out))
    return `the Docker engine cannot run privileged containers: ${priv.out.split("\n").pop()}`;
  return undefined;
}

const skip = skipReason();

test(
  "a real Talos container answers Version with the derived talosconfig; TalosMachine applies and restarts it",
  { skip, timeout: 20 * 60_000 },
  async () => {
    const id = crypto.randomBytes(3).toString("hex");
    const name = `ksail-e2e-talosapi-${id}`;
    const subnet = `10.${200 + (crypto.randomBytes(1)[0] % 50)}.${crypto.randomBytes(1)[0]}`;
    const ip = `${subnet}.2`;
    const secrets = await generateTalosBundle();
    const rendered = renderMachineConfigs({
      clusterName: name,
      endpoint: `https://${ip}:6443`,
      talosVersion: IMAGE.split(":").pop(),
      secrets,
      platform: "docker",
      workers: 0,
      nodes: [{ hostname: name, role: "controlplane" }],
    });
    const config = rendered.perNode[name];
    assert.ok(docker(["network", "create", "--subnet", `${subnet}.0/24`, name]).ok, "docker network create");
    try {
      const run = docker([
        "run",
        "-d",
        "--name",
        name,
        "--hostname",
        name,
        "--network",
        name,
        "--ip",
        ip,
        "--privileged",
        "--security-opt",
        "seccomp=unconfined",
        "--read-only",
        "--tmpfs",
        "/run",
        "--tmpfs",
        "/system",
        "--tmpfs",
        "/tmp",
        "-v",
        "/var",
        "-v",
        "/system/state",
        "-v",
        "/etc/cni",
        "-v",
        "/etc/kubernetes",
        "-v",
        "/usr/libexec/kubernetes",
        "-v",
        "/opt",
        "-p",
        "127.0.0.1::50000/tcp",
        "-e",
        "PLATFORM=container",
        "-e",
        `USERDATA=${Buffer.from(config).toString("base64")}`,
        IMAGE,
      ]);
      assert.ok(run.ok, `docker run: ${run.out}`);
      const port = docker(["port", name, "50000/tcp"]).out.split("\n")[0].split(":").pop();
      const endpoint = `127.0.0.1:${port}`;
      const tc = await deriveTalosconfig({ contextName: name, endpoints: [endpoint], osCa: secrets.certs.os });

      const client = new TalosClient({
        talosconfig: tc.text,
        timeoutMs: 15_000,
        retry: { deadlineMs: 300_000, initialDelayMs: 1_000, maxDelayMs: 5_000 },
      });
      try {
        const v = await client.version();
        assert.equal(v.tag, IMAGE.split(":").pop());
        assert.equal(v.platform.mode.toLowerCase(), "container");
      } finally {
        client.close();
      }

      const cap = await captureProvider(
        () =>
          new TalosMachine(name, {
            node: { name, role: "controlplane", platform: "docker", endpoint, containerName: name },
            talosVersion: IMAGE.split(":").pop()!,
            config,
            talosconfig: tc.text,
            timeouts: { apiSeconds: 300, rebootSeconds: 600 },
          }),
      );
      const host = await startProviderHost({ timeoutMs: 15 * 60_000 });
      try {
        const s1 = await host.up(cap.urn, { ...cap.inputs, __provider: cap.provider });
        assert.equal(s1.op, "create");
        // The reboot's health gate lists etcd members on a control plane: bootstrap etcd first (what
        // TalosBootstrap does in a cluster).
        const c2 = new TalosClient({
          talosconfig: tc.text,
          retry: { deadlineMs: 300_000, initialDelayMs: 2_000, retryOn: [Code.UNAVAILABLE, Code.FAILED_PRECONDITION] },
        });
        await c2.bootstrap().catch((e: { code?: number }) => {
          if (e.code !== Code.ALREADY_EXISTS) throw e;
        });
        c2.close();
        // machine.env is reboot-required: STAGED apply, then a container restart.
        const docs = YAML.parseAllDocuments(config);
        const v1 = docs.find((d) => d.get("version") === "v1alpha1")!;
        v1.setIn(["machine", "env", "KSAIL_E2E"], "1");
        const changed = docs.map((d) => d.toString()).join(""); // later documents keep their own "---"
        const s2 = await host.up(cap.urn, { ...cap.inputs, config: changed, __provider: cap.provider }, s1);
        assert.equal(s2.op, "update");
        assert.equal(s2.outputs.lastChange, "reboot");
        const c3 = new TalosClient({ talosconfig: tc.text, retry: { deadlineMs: 300_000 } });
        assert.equal((await c3.version()).tag, IMAGE.split(":").pop(), "the node answers again after the restart");
        c3.close();
      } finally {
        await host.close();
      }
    } finally {
      docker(["rm", "-f", "-v", name]);
      docker(["network", "rm", name]);
    }
  },
);
