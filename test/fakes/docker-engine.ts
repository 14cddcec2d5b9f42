/**
 * A fake Docker Engine API on a real unix socket (node:http): containers that can be inspected and
 * restarted. A restart leaves the container "restarting" for one inspect poll, then running, and calls
 * `onRestart` (engine tests use it to simulate the Talos node rebooting into its staged config).
 */
import * as http from "node:http";

export interface FakeDockerEngine {
  readonly requests: { method: string; url: string }[];
  readonly state: Record<string, { running: boolean; restarts: number; pollsUntilRunning: number }>;
  close(): Promise<void>;
}

export async function startFakeDockerEngine(
  socketPath: string,
  onRestart?: (name: string) => void,
  containers: string[] = ["dev-controlplane-1"],
): Promise<FakeDockerEngine> {
  const requests: { method: string; url: string }[] = [];
  const state: FakeDockerEngine["state"] = {};
  for (const c of containers) state[c] = { running: true, restarts: 0, pollsUntilRunning: 0 };
  const server = http.createServer((req, res) => {
    requests.push({ method: req.method ?? "", url: req.url ?? "" });
    const m = /^\/containers\/([^/]+)\/(restart|json)/.exec(req.url ?? "");
    const name = m ? decodeURIComponent(m[1]) : "";
    const c = state[name];
    res.setHeader("Content-Type", "application/json");
    if (!m || !c) {
      res.statusCode = 404;
      return res.end(JSON.stringify({ message: `No such container: ${name}` }));
    }
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
  return { requests, state, close: () => new Promise<void>((r) => server.close(() => r())) };
}
