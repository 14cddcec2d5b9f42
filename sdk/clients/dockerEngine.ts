/**
 * A tiny Docker Engine API client over the local unix socket (node:http, no dependency), for the one
 * thing Talos cannot do inside a container: reboot. A reboot-required change on Talos-on-Docker is a
 * STAGED apply followed by a container restart (the container is the node: restarting it is the reboot).
 *
 * The socket is `DOCKER_HOST` when it is a `unix://` URL, else /var/run/docker.sock. TCP/SSH Docker
 * hosts are rejected with a clear error (the restart would need TLS client settings we do not carry).
 */
import * as http from "node:http";
import { seconds } from "../errors";

export interface DockerEngineOptions {
  /** Unix socket path. @default from DOCKER_HOST (unix://) or /var/run/docker.sock */
  readonly socketPath?: string;
  /** Per-request timeout, ms. @default 30000 */
  readonly timeoutMs?: number;
}

export interface ContainerState {
  readonly id: string;
  readonly name: string;
  readonly running: boolean;
  readonly status: string;
  readonly startedAt: string;
  readonly restartCount: number;
  /** Health status when the image defines a health check. */
  readonly health?: string;
}

/** Resolve the Docker socket path from DOCKER_HOST. */
export function dockerSocketPath(env: Record<string, string | undefined> = process.env): string {
  const host = env.DOCKER_HOST;
  if (!host) return "/var/run/docker.sock";
  if (host.startsWith("unix://")) return host.slice("unix://".length);
  throw new Error(
    `DOCKER_HOST=${host} is not a unix socket; restarting Talos containers needs the local Docker Engine socket (unix:///var/run/docker.sock). Unset DOCKER_HOST or point it at a unix:// socket.`,
  );
}

/** An HTTP error answered by the Docker Engine. */
export class DockerEngineError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
    this.name = "DockerEngineError";
  }
}

function request(method: string, path: string, opts: DockerEngineOptions): Promise<{ status: number; body: string }> {
  const socketPath = opts.socketPath ?? dockerSocketPath();
  const timeout = opts.timeoutMs ?? 30_000;
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath, path, method, headers: { Host: "docker", "Content-Length": 0 }, timeout }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }));
      res.on("error", reject);
    });
    req.on("timeout", () =>
      req.destroy(new Error(`Docker Engine ${method} ${path} timed out after ${seconds(timeout)} (socket ${socketPath})`)),
    );
    req.on("error", (e: NodeJS.ErrnoException) =>
      reject(
        e.code === "ENOENT" || e.code === "ECONNREFUSED"
          ? new Error(`Docker Engine is not reachable on ${socketPath} (${e.code}); is the daemon running?`)
          : e,
      ),
    );
    req.end();
  });
}

function engineMessage(body: string): string {
  try {
    return (JSON.parse(body) as { message?: string }).message ?? body;
  } catch {
    return body;
  }
}

/** Restart a container (`POST /containers/{name}/restart?t=`); waits for the daemon to finish the restart. */
export async function restartContainer(name: string, stopTimeoutSeconds = 30, opts: DockerEngineOptions = {}): Promise<void> {
  const r = await request("POST", `/containers/${encodeURIComponent(name)}/restart?t=${stopTimeoutSeconds}`, {
    ...opts,
    timeoutMs: opts.timeoutMs ?? (stopTimeoutSeconds + 60) * 1000,
  });
  if (r.status !== 204)
    throw new DockerEngineError(
      r.status,
      `Docker Engine: restart of container ${name} failed (HTTP ${r.status}): ${engineMessage(r.body)}`,
    );
}

/** Inspect a container (`GET /containers/{name}/json`); undefined when it does not exist. */
export async function inspectContainer(name: string, opts: DockerEngineOptions = {}): Promise<ContainerState | undefined> {
  const r = await request("GET", `/containers/${encodeURIComponent(name)}/json`, opts);
  if (r.status === 404) return undefined;
  if (r.status !== 200)
    throw new DockerEngineError(
      r.status,
      `Docker Engine: inspect of container ${name} failed (HTTP ${r.status}): ${engineMessage(r.body)}`,
    );
  const j = JSON.parse(r.body) as {
    Id: string;
    Name: string;
    RestartCount?: number;
    State: { Running: boolean; Status: string; StartedAt: string; Health?: { Status: string } };
  };
  return {
    id: j.Id,
    name: j.Name.replace(/^\//, ""),
    running: j.State.Running,
    status: j.State.Status,
    startedAt: j.State.StartedAt,
    restartCount: j.RestartCount ?? 0,
    health: j.State.Health?.Status,
  };
}

/** Poll until the container runs (and is healthy, when it has a health check), or time out. */
export async function waitContainerRunning(
  name: string,
  timeoutMs = 120_000,
  opts: DockerEngineOptions = {},
  pollMs = 500,
): Promise<ContainerState> {
  const deadline = Date.now() + timeoutMs;
  let last: ContainerState | undefined;
  for (;;) {
    last = await inspectContainer(name, opts);
    if (last?.running && (last.health === undefined || last.health === "healthy")) return last;
    if (Date.now() + pollMs > deadline) {
      throw new Error(
        `container ${name} is not running after ${seconds(timeoutMs)} (status: ${last ? `${last.status}${last.health ? `, health ${last.health}` : ""}` : "missing"})`,
      );
    }
    await new Promise((r) => setTimeout(r, pollMs));
  }
}
