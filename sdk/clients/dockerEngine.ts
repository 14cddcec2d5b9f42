/**
 * A small Docker Engine API client (node:http / node:https, no dependency) for what the Docker provider cannot do:
 * restarting a Talos container (a reboot-required change is a STAGED apply followed by a container restart),
 * reading the host's facts (`docker info`: storage driver, rootless, userns-remap) that decide node container flags
 * the way kind does (kubernetes-sigs/kind pkg/cluster/internal/providers/docker/util.go), and running a command in
 * a container (`docker exec`, its output read from the multiplexed stream).
 *
 * The Engine is the one the docker provider talks to: `docker:host` from its configuration when given, else
 * `DOCKER_HOST`, else the local socket; `unix://` sockets and `tcp://` hosts (TLS with `DOCKER_CERT_PATH` /
 * `DOCKER_TLS_VERIFY`, as the docker CLI reads them) are supported, `ssh://` is refused with how to fix it. Every
 * request names API version 1.41 (cgroupns, the oldest version the node containers need). New calls go through
 * `engineRequest`.
 */
import * as fs from "node:fs";
import * as http from "node:http";
import * as https from "node:https";
import * as path from "node:path";
import { seconds } from "../errors";

/** The Engine API version every request names (`/v1.41/...`). */
export const DOCKER_API_VERSION = "1.41";

export interface DockerEngineOptions {
  /** Unix socket path (wins over `host`). @default from `host`, DOCKER_HOST or /var/run/docker.sock */
  readonly socketPath?: string;
  /** Docker host URL as the docker provider's `docker:host` gives it (`unix://…`, `tcp://host:port`). @default DOCKER_HOST */
  readonly host?: string;
  /** Directory with ca.pem, cert.pem, key.pem for a TLS `tcp://` host. @default DOCKER_CERT_PATH when DOCKER_TLS_VERIFY is set */
  readonly certPath?: string;
  /** The same three PEMs in memory (wins over `certPath`): a `tcp://` host with mutual TLS. */
  readonly tls?: { readonly ca: string; readonly cert: string; readonly key: string };
  /** Per-request timeout, ms. @default 30000 */
  readonly timeoutMs?: number;
  /** Environment to read DOCKER_* from. @default process.env */
  readonly env?: Record<string, string | undefined>;
}

/** Where the Engine listens. */
export type DockerEndpoint =
  | { readonly socketPath: string }
  | { readonly hostname: string; readonly port: number; readonly tls?: { ca: Buffer; cert: Buffer; key: Buffer } };

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

/** Resolve the Engine endpoint: explicit socket, else `host` (docker:host), else DOCKER_HOST, else the local socket. */
export function resolveDockerEndpoint(opts: DockerEngineOptions = {}): DockerEndpoint {
  if (opts.socketPath) return { socketPath: opts.socketPath };
  const env = opts.env ?? process.env;
  const host = opts.host || env.DOCKER_HOST;
  if (!host) return { socketPath: "/var/run/docker.sock" };
  if (host.startsWith("unix://")) return { socketPath: host.slice("unix://".length) };
  const m = /^tcp:\/\/([^:/]+|\[[^\]]+\])(?::(\d+))?\/?$/.exec(host);
  if (m && opts.tls) {
    const t = opts.tls;
    return {
      hostname: m[1].replace(/^\[|\]$/g, ""),
      port: m[2] ? Number(m[2]) : 2376,
      tls: { ca: Buffer.from(t.ca), cert: Buffer.from(t.cert), key: Buffer.from(t.key) },
    };
  }
  if (m) {
    const certPath = opts.certPath ?? (env.DOCKER_TLS_VERIFY || env.DOCKER_CERT_PATH ? env.DOCKER_CERT_PATH : undefined);
    const tls = certPath !== undefined || !!env.DOCKER_TLS_VERIFY;
    const dir = certPath ?? path.join(env.HOME ?? "", ".docker");
    return {
      hostname: m[1].replace(/^\[|\]$/g, ""),
      port: m[2] ? Number(m[2]) : tls ? 2376 : 2375,
      ...(tls
        ? {
            tls: {
              ca: fs.readFileSync(path.join(dir, "ca.pem")),
              cert: fs.readFileSync(path.join(dir, "cert.pem")),
              key: fs.readFileSync(path.join(dir, "key.pem")),
            },
          }
        : {}),
    };
  }
  throw new Error(
    `Docker host ${host} is not supported here (unix:// sockets and tcp:// hosts are); forward the remote socket (e.g. ssh -L /tmp/docker.sock:/var/run/docker.sock host) and set docker:host or DOCKER_HOST to unix:///tmp/docker.sock`,
  );
}

/** Resolve the Docker socket path from DOCKER_HOST (unix sockets only). */
export function dockerSocketPath(env: Record<string, string | undefined> = process.env): string {
  const host = env.DOCKER_HOST;
  if (!host) return "/var/run/docker.sock";
  if (host.startsWith("unix://")) return host.slice("unix://".length);
  throw new Error(
    `DOCKER_HOST=${host} is not a unix socket; this needs the local Docker Engine socket (unix:///var/run/docker.sock). Unset DOCKER_HOST or point it at a unix:// socket.`,
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

/** One Engine API call: `path` is unversioned (`/containers/x/json`); the API version is prefixed here. */
export async function engineRequest(
  method: string,
  apiPath: string,
  opts: DockerEngineOptions = {},
): Promise<{ status: number; body: string }> {
  const r = await engineCall(method, apiPath, undefined, opts);
  return { status: r.status, body: r.body.toString("utf8") };
}

/** One Engine API call with an optional JSON body; the answer's body as bytes (an exec's multiplexed stream). */
export function engineCall(
  method: string,
  apiPath: string,
  json: unknown,
  opts: DockerEngineOptions = {},
): Promise<{ status: number; body: Buffer }> {
  const endpoint = resolveDockerEndpoint(opts);
  const where = "socketPath" in endpoint ? endpoint.socketPath : `${endpoint.hostname}:${endpoint.port}`;
  const timeout = opts.timeoutMs ?? 30_000;
  const fullPath = `/v${DOCKER_API_VERSION}${apiPath}`;
  const payload = json === undefined ? Buffer.alloc(0) : Buffer.from(JSON.stringify(json), "utf8");
  return new Promise((resolve, reject) => {
    const headers = {
      // The address for a TCP host: Node takes the TLS server name from this header, so the engine's certificate is
      // checked against the host it is reached at (as the docker CLI checks it); a unix socket has no host name.
      Host:
        "socketPath" in endpoint
          ? "docker"
          : `${endpoint.hostname.includes(":") ? `[${endpoint.hostname}]` : endpoint.hostname}:${endpoint.port}`,
      "Content-Length": payload.length,
      ...(json === undefined ? {} : { "Content-Type": "application/json" }),
    };
    const common = { path: fullPath, method, headers, timeout };
    const onResponse = (res: http.IncomingMessage) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
      res.on("error", reject);
    };
    const req =
      "socketPath" in endpoint
        ? http.request({ ...common, socketPath: endpoint.socketPath }, onResponse)
        : endpoint.tls
          ? https.request({ ...common, hostname: endpoint.hostname, port: endpoint.port, ...endpoint.tls }, onResponse)
          : http.request({ ...common, hostname: endpoint.hostname, port: endpoint.port }, onResponse);
    req.on("timeout", () => req.destroy(new Error(`Docker Engine ${method} ${fullPath} timed out after ${seconds(timeout)} (${where})`)));
    req.on("error", (e: NodeJS.ErrnoException) =>
      reject(
        e.code === "ENOENT" || e.code === "ECONNREFUSED"
          ? new Error(`Docker Engine is not reachable on ${where} (${e.code}); is the daemon running?`)
          : e,
      ),
    );
    req.end(payload);
  });
}

const request = engineRequest;

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

/** What `GET /info` tells about the host, as far as node containers depend on it. */
export interface DockerHostInfo {
  /** Storage driver (`overlay2`, `btrfs`, `zfs`, `devicemapper`, …), lower case. */
  readonly driver: string;
  /** `Backing Filesystem` from the driver status, lower case, when the driver reports one. */
  readonly backingFilesystem?: string;
  /** The daemon runs rootless (`name=rootless` security option). */
  readonly rootless: boolean;
  /** The daemon remaps user namespaces (`name=userns` security option). */
  readonly usernsRemap: boolean;
}

/** `GET /info` (docker info). */
export async function dockerInfo(opts: DockerEngineOptions = {}): Promise<DockerHostInfo> {
  const r = await request("GET", "/info", opts);
  if (r.status !== 200) throw new DockerEngineError(r.status, `Docker Engine: info failed (HTTP ${r.status}): ${engineMessage(r.body)}`);
  const j = JSON.parse(r.body) as { Driver?: string; DriverStatus?: [string, string][] | null; SecurityOptions?: string[] | null };
  const sec = j.SecurityOptions ?? [];
  const has = (name: string) => sec.some((o) => o.split(",").includes(`name=${name}`));
  const backing = (j.DriverStatus ?? []).find((p) => p[0] === "Backing Filesystem")?.[1];
  return {
    driver: (j.Driver ?? "").toLowerCase(),
    ...(backing ? { backingFilesystem: backing.toLowerCase() } : {}),
    rootless: has("rootless"),
    usernsRemap: has("userns"),
  };
}

/** The host-dependent node container settings kind derives from `docker info`. */
export interface DockerHostFacts {
  /** Mount `/dev/mapper` (btrfs/zfs/devicemapper storage, or a btrfs/zfs/xfs backing filesystem: kind#1416). */
  readonly devMapper: boolean;
  /** `--userns=host`: Docker refuses privileged containers in a remapped user namespace. */
  readonly usernsHost: boolean;
  /** `--device /dev/fuse`: rootless Docker does not add it with --privileged (fuse-overlayfs). */
  readonly fuse: boolean;
}

/** kind's rules (kubernetes-sigs/kind pkg/cluster/internal/providers/docker/util.go and provision.go). */
export function hostFacts(info: DockerHostInfo): DockerHostFacts {
  return {
    devMapper: ["btrfs", "zfs", "devicemapper"].includes(info.driver) || ["btrfs", "zfs", "xfs"].includes(info.backingFilesystem ?? ""),
    usernsHost: info.usernsRemap,
    fuse: info.rootless,
  };
}

/**
 * Splits the multiplexed stream of an exec or attach without a TTY into stdout and stderr, as moby's stdcopy reads it
 * (moby/moby api pkg/stdcopy/stdcopy.go): frames of an 8-byte header — byte 0 the stream (0 stdin and 1 stdout go to
 * stdout, 2 to stderr, 3 is an error from the daemon), bytes 4–7 the payload size, big-endian — then the payload. A
 * truncated last frame ends the stream, as it does there; an unknown stream type or a daemon error is an Error.
 */
export function demuxDockerStream(stream: Buffer): { stdout: string; stderr: string } {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  let at = 0;
  while (at + 8 <= stream.length) {
    const type = stream[at];
    const size = stream.readUInt32BE(at + 4);
    if (type > 3) throw new Error(`Docker Engine stream: unrecognized stream ${type}`);
    if (at + 8 + size > stream.length) break;
    const payload = stream.subarray(at + 8, at + 8 + size);
    if (type === 3) throw new Error(`Docker Engine stream: error from daemon in stream: ${payload.toString("utf8")}`);
    (type === 2 ? err : out).push(payload);
    at += 8 + size;
  }
  return { stdout: Buffer.concat(out).toString("utf8"), stderr: Buffer.concat(err).toString("utf8") };
}

export interface ExecResult {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs a command in a running container and waits for it (`docker exec`: `POST /containers/{name}/exec`, then
 * `POST /exec/{id}/start` without a TTY, whose answer is the multiplexed stream until the command ends, then
 * `GET /exec/{id}/json` for the exit code; moby/moby api swagger.yaml ContainerExec, ExecStart, ExecInspect).
 */
export async function execInContainer(
  container: string,
  cmd: readonly string[],
  opts: DockerEngineOptions & { readonly execEnv?: readonly string[]; readonly user?: string; readonly workingDir?: string } = {},
): Promise<ExecResult> {
  const what = `exec ${JSON.stringify(cmd.join(" "))} in container ${container}`;
  const created = await engineCall(
    "POST",
    `/containers/${encodeURIComponent(container)}/exec`,
    {
      AttachStdin: false,
      AttachStdout: true,
      AttachStderr: true,
      Tty: false,
      Cmd: [...cmd],
      ...(opts.execEnv ? { Env: [...opts.execEnv] } : {}),
      ...(opts.user ? { User: opts.user } : {}),
      ...(opts.workingDir ? { WorkingDir: opts.workingDir } : {}),
    },
    opts,
  );
  if (created.status !== 201)
    throw new DockerEngineError(
      created.status,
      `Docker Engine: ${what} failed (HTTP ${created.status}): ${engineMessage(created.body.toString("utf8"))}`,
    );
  const id = (JSON.parse(created.body.toString("utf8")) as { Id: string }).Id;
  const started = await engineCall("POST", `/exec/${encodeURIComponent(id)}/start`, { Detach: false, Tty: false }, opts);
  if (started.status !== 200)
    throw new DockerEngineError(
      started.status,
      `Docker Engine: ${what} did not start (HTTP ${started.status}): ${engineMessage(started.body.toString("utf8"))}`,
    );
  const output = demuxDockerStream(started.body);
  // The stream ends with the command; the exit code is on the exec instance (briefly Running while the daemon records it).
  for (let i = 0; ; i++) {
    const r = await request("GET", `/exec/${encodeURIComponent(id)}/json`, opts);
    if (r.status !== 200)
      throw new DockerEngineError(r.status, `Docker Engine: inspect of ${what} failed (HTTP ${r.status}): ${engineMessage(r.body)}`);
    const j = JSON.parse(r.body) as { Running: boolean; ExitCode: number | null };
    if (!j.Running && j.ExitCode !== null) return { exitCode: j.ExitCode, ...output };
    if (i >= 50) throw new Error(`Docker Engine: ${what} still runs after its output ended`);
    await new Promise((res) => setTimeout(res, 100));
  }
}
