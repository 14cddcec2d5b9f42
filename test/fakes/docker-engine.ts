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
 *   `name=userns`, `name=cgroupns`).
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
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
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
