/**
 * A fake Docker Engine API on a real unix socket (node:http), modelling the rules of moby's API that the client relies
 * on (moby/moby api/swagger.yaml and api/server/middleware/version.go):
 * - paths may carry an API version prefix `/v<major>.<minor>`; a version above the daemon's maximum or below its
 *   minimum (1.24) is refused with HTTP 400 and moby's message, an unversioned path means the daemon's version;
 * - an unknown container is HTTP 404 `{"message":"No such container: <name>"}`;
 * - `POST /containers/{id}/restart?t=` answers 204; the container is "restarting" for one inspect, then running (and
 *   `onRestart` is called: engine tests use it to simulate the Talos node rebooting into its staged config);
 * - `GET /info` answers the SystemInfo fields node containers depend on: `Driver`, `DriverStatus` (label/value pairs
 *   such as "Backing Filesystem") and `SecurityOptions` (`name=seccomp,profile=builtin`, `name=rootless`,
 *   `name=userns`, `name=cgroupns`);
 * - exec (moby/moby api swagger.yaml ContainerExec, ExecStart, ExecInspect; api/server/router/container/exec.go):
 *   `POST /containers/{id}/exec` with a JSON `ExecConfig` answers 201 `{"Id"}`, 404 for an unknown container, 409
 *   `container <id> is not running` for a stopped one, 400 `No exec command specified` without `Cmd`;
 *   `POST /exec/{id}/start` runs the command (the test's `exec` handler) and answers 200 with its output as the
 *   multiplexed stream of moby's stdcopy (8-byte headers: stream 1 stdout / 2 stderr, big-endian size), 404
 *   `No such exec instance: <id>` for an unknown id, 409 when it already ran; `GET /exec/{id}/json` answers
 *   `{"ID","Running","ExitCode"}` (ExitCode null until it ran).
 */
import * as http from "node:http";

export interface FakeDockerInfo {
  Driver: string;
  DriverStatus: [string, string][] | null;
  SecurityOptions: string[];
}

export interface FakeDockerEngine {
  readonly requests: { method: string; url: string }[];
  readonly state: Record<string, { running: boolean; restarts: number; pollsUntilRunning: number }>;
  /** What `GET /info` answers; tests change it. */
  info: FakeDockerInfo;
  /** Runs an exec'd command: the test decides its output and exit code (default: exit 127, command not found). */
  exec: (container: string, cmd: string[], env: string[]) => { stdout?: string; stderr?: string; exitCode: number };
  /** Every exec created: container, command, environment. */
  readonly execs: { container: string; cmd: string[]; env: string[] }[];
  close(): Promise<void>;
}

/** The daemon's API version range (Docker 28: 1.24 … 1.51). */
export const FAKE_MIN_API = "1.24";
export const FAKE_MAX_API = "1.51";

const ver = (v: string) => v.split(".").map(Number) as [number, number];
const below = (a: string, b: string) => ver(a)[0] < ver(b)[0] || (ver(a)[0] === ver(b)[0] && ver(a)[1] < ver(b)[1]);

export async function startFakeDockerEngine(
  socketPath: string,
  onRestart?: (name: string) => void,
  containers: string[] = ["dev-controlplane-1"],
): Promise<FakeDockerEngine> {
  const requests: { method: string; url: string }[] = [];
  const state: FakeDockerEngine["state"] = {};
  for (const c of containers) state[c] = { running: true, restarts: 0, pollsUntilRunning: 0 };
  const engine: FakeDockerEngine = {
    requests,
    state,
    info: {
      Driver: "overlay2",
      DriverStatus: [["Backing Filesystem", "extfs"]],
      SecurityOptions: ["name=seccomp,profile=builtin", "name=cgroupns"],
    },
    exec: (_c, cmd) => ({ stderr: `exec: "${cmd[0]}": executable file not found in $PATH`, exitCode: 127 }),
    execs: [],
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
  const instances = new Map<string, { container: string; cmd: string[]; env: string[]; exitCode: number | null }>();
  /** moby's stdcopy frame: stream byte, three zero bytes, the payload size big-endian, the payload. */
  const frame = (stream: 1 | 2, text: string): Buffer => {
    const payload = Buffer.from(text, "utf8");
    const header = Buffer.alloc(8);
    header[0] = stream;
    header.writeUInt32BE(payload.length, 4);
    return Buffer.concat([header, payload]);
  };
  const readBody = (req: http.IncomingMessage): Promise<string> =>
    new Promise((resolve) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    });
  const server = http.createServer((req, res) => {
    requests.push({ method: req.method ?? "", url: req.url ?? "" });
    res.setHeader("Content-Type", "application/json");
    const fail = (status: number, message: string) => {
      res.statusCode = status;
      res.end(JSON.stringify({ message }));
    };
    let url = req.url ?? "";
    const v = /^\/v(\d+\.\d+)(\/.*)$/.exec(url);
    if (v) {
      if (below(FAKE_MAX_API, v[1]))
        return fail(400, `client version ${v[1]} is too new. Maximum supported API version is ${FAKE_MAX_API}`);
      if (below(v[1], FAKE_MIN_API))
        return fail(
          400,
          `client version ${v[1]} is too old. Minimum supported API version is ${FAKE_MIN_API}, please upgrade your client to a newer version`,
        );
      url = v[2];
    }
    if (url === "/info" && req.method === "GET") return res.end(JSON.stringify({ ...engine.info, ServerVersion: "28.3.2" }));
    const ce = /^\/containers\/([^/]+)\/exec$/.exec(url);
    if (ce && req.method === "POST") {
      const cname = decodeURIComponent(ce[1]);
      void readBody(req).then((text) => {
        const cfg = JSON.parse(text || "{}") as { Cmd?: string[] | string; Env?: string[] };
        const cc = state[cname];
        if (!cc) return fail(404, `No such container: ${cname}`);
        if (!cc.running) return fail(409, `container ${cname} is not running`);
        const cmd = typeof cfg.Cmd === "string" ? [cfg.Cmd] : (cfg.Cmd ?? []);
        if (cmd.length === 0) return fail(400, "No exec command specified");
        const id = `exec${instances.size + 1}`.padEnd(64, "0");
        instances.set(id, { container: cname, cmd, env: cfg.Env ?? [], exitCode: null });
        engine.execs.push({ container: cname, cmd, env: cfg.Env ?? [] });
        res.statusCode = 201;
        res.end(JSON.stringify({ Id: id }));
      });
      return;
    }
    const ex = /^\/exec\/([^/]+)\/(start|json)$/.exec(url);
    if (ex) {
      const inst = instances.get(decodeURIComponent(ex[1]));
      if (!inst) return fail(404, `No such exec instance: ${decodeURIComponent(ex[1])}`);
      if (ex[2] === "json" && req.method === "GET") return res.end(JSON.stringify({ ID: ex[1], Running: false, ExitCode: inst.exitCode }));
      if (ex[2] === "start" && req.method === "POST") {
        void readBody(req).then(() => {
          if (inst.exitCode !== null) return fail(409, `exec ${ex[1]} has already run`);
          const r = engine.exec(inst.container, inst.cmd, inst.env);
          inst.exitCode = r.exitCode;
          res.setHeader("Content-Type", "application/vnd.docker.raw-stream");
          res.statusCode = 200;
          const parts: Buffer[] = [];
          // Output in several frames, as a process writes it, so the reader must join them.
          for (const chunk of (r.stdout ?? "").match(/[\s\S]{1,7}/g) ?? []) parts.push(frame(1, chunk));
          if (r.stderr) parts.push(frame(2, r.stderr));
          res.end(Buffer.concat(parts));
        });
        return;
      }
    }
    const m = /^\/containers\/([^/]+)\/(restart|json)/.exec(url);
    const name = m ? decodeURIComponent(m[1]) : "";
    const c = state[name];
    if (!m) return fail(404, "page not found");
    if (!c) return fail(404, `No such container: ${name}`);
    if (m[2] === "restart" && req.method === "POST") {
      c.restarts++;
      c.running = false;
      c.pollsUntilRunning = 1;
      onRestart?.(name);
      res.statusCode = 204;
      return res.end();
    }
    if (c.pollsUntilRunning > 0) c.pollsUntilRunning--;
    else c.running = true;
    res.end(
      JSON.stringify({
        Id: "abc123",
        Name: `/${name}`,
        RestartCount: 0,
        State: { Running: c.running, Status: c.running ? "running" : "restarting", StartedAt: "2026-01-01T00:00:00Z" },
      }),
    );
  });
  await new Promise<void>((r) => server.listen(socketPath, r));
  return engine;
}
