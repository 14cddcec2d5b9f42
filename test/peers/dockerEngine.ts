// A real Docker Engine as a test peer: dockerd 20.10 with its containerd and runc from Debian's packages, unpacked by
// scripts/tools/build.sh (docker-engine) into the tools cache. Each run gets its own data root, exec root and socket,
// and is stopped (SIGTERM, then SIGKILL) and removed afterwards. It runs containers here (root in a VM); images come
// from `docker import` (busybox-static is unpacked beside it), since no registry is reachable.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { builtTool, missingReason, pinnedVersion, stopProcesses } from "./tools";
import { engineRequest } from "../../sdk/clients/dockerEngine";

/** The unpacked packages' root (`usr/sbin/dockerd`, `usr/bin/docker`, …), or undefined. */
export function dockerEngineRoot(): string | undefined {
  const dir = builtTool("docker-engine", pinnedVersion("DOCKER_ENGINE_VERSION"));
  return dir ? path.join(dir, "root") : undefined;
}

/**
 * Whether this machine can run the engine at all: a plain dockerd (no settings of ours) starts, answers and runs a
 * container from a local image. Only what the machine lacks makes the tier skip; the tests' own settings are tested.
 */
function probeEngine(root: string): string | false {
  const script = `
set -u
dir=$(mktemp -d /tmp/kp-XXXXXX); export PATH="${root}/usr/sbin:${root}/usr/bin:$PATH"
dockerd --iptables=false --ip6tables=false --bridge=none --data-root "$dir/root" --exec-root "$dir/exec" --pidfile "$dir/pid" --host "unix://$dir/d.sock" >"$dir/log" 2>&1 &
pid=$!; ok=1
for i in $(seq 1 120); do docker -H "unix://$dir/d.sock" version >/dev/null 2>&1 && { ok=0; break; }; kill -0 $pid 2>/dev/null || break; sleep 0.25; done
if [ $ok = 0 ]; then
  mkdir -p "$dir/img/bin" && cp "${root}/bin/busybox" "$dir/img/bin/" && ln -s busybox "$dir/img/bin/true"
  tar -C "$dir/img" -c . | docker -H "unix://$dir/d.sock" import - probe:1 >/dev/null 2>&1 &&
    docker -H "unix://$dir/d.sock" run --rm --network none probe:1 /bin/true >"$dir/run" 2>&1 || { ok=2; cat "$dir/run" >>"$dir/log"; }
fi
kill $pid 2>/dev/null; wait $pid 2>/dev/null
[ $ok = 0 ] || tail -3 "$dir/log"
awk '{print $2}' /proc/self/mounts | grep "^$dir/" | sort -r | while read -r m; do umount -l "$m"; done
rm -rf "$dir"; exit $ok`;
  const r = spawnSync("bash", ["-c", script], { encoding: "utf8", timeout: 90_000 });
  if (r.status === 0) return false;
  return `dockerd cannot run here (${r.status === 2 ? "it starts but cannot run a container" : "it does not start"}): ${`${r.stdout}${r.stderr}`.trim().split("\n").pop() ?? ""}`;
}

/** Why the real Docker Engine tier cannot run here, or false. */
export const skipDockerEngine: string | false = (() => {
  if (process.platform !== "linux") return "the Docker Engine peer runs on Linux only";
  if (process.getuid?.() !== 0) return "dockerd needs root (mounts, namespaces, bridges); run the tests as root";
  const root = dockerEngineRoot();
  return root ? probeEngine(root) : missingReason("docker-engine (Debian's docker.io, containerd, runc)", "docker-engine");
})();

export interface RunningDockerd {
  /** `unix://…` of its private socket. */
  readonly socket: string;
  /** The docker CLI of the same packages, run against `host` (default: the private socket); never throws. */
  readonly cli: (args: readonly string[], env?: Record<string, string>, input?: Buffer) => { status: number; out: string };
  readonly log: () => string;
  readonly stop: () => Promise<void>;
}

/** Starts dockerd with `args` (besides its private roots and socket) and waits until it answers on the socket. */
export async function startDockerd(args: readonly string[]): Promise<RunningDockerd> {
  const root = dockerEngineRoot()!;
  // Short: unix socket paths are limited to 108 bytes.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kd-"));
  const socketPath = path.join(dir, "d.sock");
  const env = { ...process.env, PATH: `${root}/usr/sbin:${root}/usr/bin:${process.env.PATH ?? ""}` };
  const logFile = path.join(dir, "dockerd.log");
  const out = fs.openSync(logFile, "a");
  const proc: ChildProcess = spawn(
    path.join(root, "usr/sbin/dockerd"),
    [
      `--data-root=${dir}/root`,
      `--exec-root=${dir}/exec`,
      `--pidfile=${dir}/dockerd.pid`,
      `--host=unix://${socketPath}`,
      // This machine has no iptables; the docker:dind image brings its own (its entrypoint picks nft or legacy).
      "--iptables=false",
      "--ip6tables=false",
      ...args,
    ],
    { env, stdio: ["ignore", out, out] },
  );
  const log = () => (fs.existsSync(logFile) ? fs.readFileSync(logFile, "utf8") : "");
  const stop = async () => {
    // Containers first, so that dockerd leaves no network namespace or overlay mounted behind.
    const ids = spawnSync(path.join(root, "usr/bin/docker"), ["ps", "-aq"], { env: { ...env, DOCKER_HOST: `unix://${socketPath}` } });
    const list = ids.stdout?.toString().split(/\s+/).filter(Boolean) ?? [];
    if (list.length > 0)
      spawnSync(path.join(root, "usr/bin/docker"), ["rm", "-f", ...list], { env: { ...env, DOCKER_HOST: `unix://${socketPath}` } });
    // Networks too: their bridges outlive the daemon otherwise, and a later run's network of the same subnet clashes.
    spawnSync(path.join(root, "usr/bin/docker"), ["network", "prune", "-f"], { env: { ...env, DOCKER_HOST: `unix://${socketPath}` } });
    await stopProcesses([proc]);
    fs.closeSync(out);
    const mounts = fs
      .readFileSync("/proc/self/mounts", "utf8")
      .split("\n")
      .map((l) => l.split(" ")[1])
      .filter((m) => m?.startsWith(`${dir}/`))
      .reverse();
    for (const m of mounts) spawnSync("umount", ["-l", m]);
    try {
      fs.rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
    } catch (e) {
      console.warn(`could not remove ${dir}: ${(e as Error).message}`);
    }
  };
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (proc.exitCode !== null) {
      const l = log();
      await stop();
      throw new Error(`dockerd exited (${proc.exitCode}):\n${l.slice(-3000)}`);
    }
    try {
      const r = await engineRequest("GET", "/_ping", { socketPath, timeoutMs: 2000 });
      if (r.status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      const l = log();
      await stop();
      throw new Error(`dockerd did not answer within 60 s:\n${l.slice(-3000)}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  const cli = (cliArgs: readonly string[], extraEnv: Record<string, string> = {}, input?: Buffer) => {
    const r = spawnSync(path.join(root, "usr/bin/docker"), [...cliArgs], {
      env: { ...env, DOCKER_HOST: `unix://${socketPath}`, DOCKER_CONFIG: dir, ...extraEnv },
      input,
      encoding: "buffer",
      timeout: 60_000,
    });
    return { status: r.status ?? -1, out: `${r.stdout?.toString() ?? ""}${r.stderr?.toString() ?? ""}` };
  };
  return { socket: `unix://${socketPath}`, cli, log, stop };
}

/** A tar stream of a root filesystem with busybox-static (`/bin/sh`, `nc`, …), for `docker import`. */
export function busyboxRootfsTar(): Buffer {
  const root = dockerEngineRoot()!;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bb-"));
  try {
    fs.mkdirSync(path.join(dir, "bin"));
    fs.copyFileSync(path.join(root, "bin/busybox"), path.join(dir, "bin/busybox"));
    fs.chmodSync(path.join(dir, "bin/busybox"), 0o755);
    for (const applet of ["sh", "nc", "echo", "cat", "sleep"]) fs.symlinkSync("busybox", path.join(dir, "bin", applet));
    const r = spawnSync("tar", ["-C", dir, "-c", "."], { maxBuffer: 64 << 20 });
    if (r.status !== 0) throw new Error(`tar failed: ${r.stderr?.toString()}`);
    return r.stdout;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
