/**
 * A local HTTP fake of the few Hetzner Cloud API endpoints the dynamic resources call (request and response
 * shapes from the API reference, https://docs.hetzner.cloud): `GET /v1/servers/{id}`,
 * `POST /v1/servers/{id}/actions/{shutdown,poweroff,poweron,reboot,change_type,detach_iso}` and
 * `GET /v1/actions/{id}`, and primary IPs (`POST /v1/primary_ips`, `GET`/`DELETE /v1/primary_ips/{id}`,
 * `POST /v1/primary_ips/{id}/actions/unassign`). Actions start `running` and finish on the next poll; power actions change the
 * server's status, `change_type` refuses a running server as Hetzner does. Checks the Bearer token,
 * records every request, and injects 429/5xx responses on demand. Listens on 127.0.0.1 only.
 */
import * as http from "node:http";
import type { AddressInfo } from "node:net";

export interface FakeServer {
  id: number;
  name: string;
  status: "running" | "off" | "starting" | "stopping";
  server_type: { name: string };
  iso: { id: number; name: string } | null;
  public_net: { ipv4: { id: number; ip: string } | null; ipv6: { id: number; ip: string } | null };
}

export interface FakePrimaryIp {
  id: number;
  name: string;
  type: "ipv4" | "ipv6";
  ip: string;
  auto_delete: boolean;
  assignee_id: number | null;
  assignee_type: "server";
}

export interface RecordedRequest {
  method: string;
  path: string;
  body: unknown;
  authorization: string | undefined;
  /** Status code the fake answered. */
  status: number;
}

interface Action {
  id: number;
  command: string;
  status: "running" | "success" | "error";
  progress: number;
  started: string;
  finished: string | null;
  resources: { id: number; type: string }[];
  error: { code: string; message: string } | null;
  polls: number;
  finish: () => void;
}

export class FakeHcloudApi {
  readonly servers = new Map<number, FakeServer>();
  readonly primaryIps = new Map<number, FakePrimaryIp>();
  private nextIp = 5000;
  readonly requests: RecordedRequest[] = [];
  private readonly actions = new Map<number, Action>();
  private nextAction = 1000;
  private faults: { status: number; headers: Record<string, string>; code: string }[] = [];
  private server!: http.Server;
  /** Polls an action stays `running` before it finishes. */
  actionPolls = 1;
  /** With true, an ACPI shutdown never stops the server (the OS ignores it), forcing a power-off. */
  ignoreShutdown = false;

  private constructor(readonly token: string) {}

  static async start(token: string): Promise<FakeHcloudApi> {
    const f = new FakeHcloudApi(token);
    f.server = http.createServer((req, res) => void f.handle(req, res));
    await new Promise<void>((resolve) => f.server.listen(0, "127.0.0.1", resolve));
    return f;
  }

  /** Base URL to configure as `hcloud:endpoint`. */
  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/v1`;
  }

  /** A server with the given fields; by default running, cx23, no ISO, with auto-deleted public IPv4 and IPv6. */
  addServer(s: Partial<FakeServer> & { id: number; name: string }, reserved: { ipv4?: boolean } = {}): FakeServer {
    const server: FakeServer = {
      status: "running",
      server_type: { name: "cx23" },
      iso: null,
      public_net: { ipv4: null, ipv6: null },
      ...s,
    };
    if (!s.public_net) {
      for (const type of ["ipv4", "ipv6"] as const) {
        const ip = this.newIp(`${s.name}-${type}`, type, !(type === "ipv4" && reserved.ipv4));
        ip.assignee_id = server.id;
        server.public_net[type] = { id: ip.id, ip: ip.ip };
      }
    }
    this.servers.set(server.id, server);
    return server;
  }

  private newIp(name: string, type: "ipv4" | "ipv6", autoDelete: boolean): FakePrimaryIp {
    const id = this.nextIp++;
    const ip: FakePrimaryIp = {
      id,
      name,
      type,
      ip: type === "ipv4" ? `198.51.100.${id % 250}` : `2001:db8:${id}::/64`,
      auto_delete: autoDelete,
      assignee_id: null,
      assignee_type: "server",
    };
    this.primaryIps.set(id, ip);
    return ip;
  }

  /** The next `count` requests are answered with `status` (e.g. 429 with `Retry-After`, or 503). */
  failNext(
    count: number,
    status: number,
    headers: Record<string, string> = {},
    code = status === 429 ? "rate_limit_exceeded" : "unavailable",
  ): void {
    for (let i = 0; i < count; i++) this.faults.push({ status, headers, code });
  }

  /** Requests other than GETs, as `METHOD path` (the mutations). */
  mutations(): string[] {
    return this.requests.filter((r) => r.method !== "GET" && r.status < 400).map((r) => `${r.method} ${r.path}`);
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private action(command: string, id: number, type: string, finish: () => void): Action {
    const a: Action = {
      id: this.nextAction++,
      command,
      status: "running",
      progress: 0,
      started: new Date().toISOString(),
      finished: null,
      resources: [{ id, type }],
      error: null,
      polls: 0,
      finish,
    };
    this.actions.set(a.id, a);
    return a;
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString("utf8");
    const body = parseBody(text);
    const path = (req.url ?? "").replace(/^\/v1/, "");
    const rec: RecordedRequest = { method: req.method ?? "", path, body, authorization: req.headers.authorization, status: 0 };
    this.requests.push(rec);
    const send = (status: number, payload: unknown, headers: Record<string, string> = {}) => {
      rec.status = status;
      res.writeHead(status, { "Content-Type": "application/json", ...headers });
      res.end(JSON.stringify(payload));
    };
    const error = (status: number, code: string, message: string, headers: Record<string, string> = {}) =>
      send(status, { error: { code, message, details: {} } }, headers);

    const fault = this.faults.shift();
    if (fault)
      return error(
        fault.status,
        fault.code,
        fault.status === 429 ? "limit of 3600 requests per hour reached" : "service unavailable",
        fault.headers,
      );
    if (req.headers.authorization !== `Bearer ${this.token}`) return error(401, "unauthorized", "unable to authenticate");

    let m: RegExpExecArray | null;
    if (req.method === "GET" && (m = /^\/servers\/(\d+)$/.exec(path))) {
      const s = this.servers.get(Number(m[1]));
      if (!s) return error(404, "not_found", `server with ID '${m[1]}' not found`);
      return send(200, { server: { ...s } });
    }
    if (req.method === "GET" && (m = /^\/actions\/(\d+)$/.exec(path))) {
      const a = this.actions.get(Number(m[1]));
      if (!a) return error(404, "not_found", "action not found");
      a.polls++;
      if (a.status === "running" && a.polls >= this.actionPolls) {
        a.finish();
        a.status = a.error ? "error" : "success";
        a.progress = 100;
        a.finished = new Date().toISOString();
      }
      return send(200, { action: view(a) });
    }
    if (req.method === "POST" && path === "/primary_ips") {
      const b = body as { name?: string; type?: "ipv4" | "ipv6"; assignee_id?: number; assignee_type?: string; auto_delete?: boolean };
      if (!b?.name || (b.type !== "ipv4" && b.type !== "ipv6") || b.assignee_type !== "server" || typeof b.assignee_id !== "number") {
        return error(400, "invalid_input", "invalid input in fields 'name', 'type', 'assignee_type', 'assignee_id'");
      }
      const s = this.servers.get(b.assignee_id);
      if (!s) return error(404, "not_found", "server not found");
      if (s.status !== "off") return error(409, "server_not_stopped", "server must be powered off to assign a primary IP");
      if (s.public_net[b.type]) return error(409, "server_has_ipv4", `server already has a primary ${b.type}`);
      const ip = this.newIp(b.name, b.type, b.auto_delete ?? false);
      const a = this.action("assign_primary_ip", ip.id, "primary_ip", () => {
        ip.assignee_id = s.id;
        s.public_net[ip.type] = { id: ip.id, ip: ip.ip };
      });
      return send(201, { primary_ip: { ...ip }, action: view(a) });
    }
    if ((m = /^\/primary_ips\/(\d+)$/.exec(path)) && (req.method === "GET" || req.method === "DELETE")) {
      const ip = this.primaryIps.get(Number(m[1]));
      if (!ip) return error(404, "not_found", "primary ip not found");
      if (req.method === "GET") return send(200, { primary_ip: { ...ip } });
      if (ip.assignee_id !== null) return error(409, "conflict", "primary ip is assigned");
      this.primaryIps.delete(ip.id);
      rec.status = 204;
      res.writeHead(204);
      return void res.end();
    }
    if (req.method === "POST" && (m = /^\/primary_ips\/(\d+)\/actions\/unassign$/.exec(path))) {
      const ip = this.primaryIps.get(Number(m[1]));
      if (!ip) return error(404, "not_found", "primary ip not found");
      const s = ip.assignee_id !== null ? this.servers.get(ip.assignee_id) : undefined;
      if (s && s.status !== "off") return error(409, "server_not_stopped", "server must be powered off to unassign a primary IP");
      const a = this.action("unassign_primary_ip", ip.id, "primary_ip", () => {
        if (s) s.public_net[ip.type] = null;
        ip.assignee_id = null;
      });
      return send(201, { action: view(a) });
    }
    if (req.method === "POST" && (m = /^\/servers\/(\d+)\/actions\/([a-z_]+)$/.exec(path))) {
      const s = this.servers.get(Number(m[1]));
      if (!s) return error(404, "not_found", `server with ID '${m[1]}' not found`);
      const kind = m[2];
      let command: string;
      let finish = () => {};
      switch (kind) {
        case "shutdown":
          command = "shutdown_server";
          finish = () => {
            if (!this.ignoreShutdown) s.status = "off";
          };
          break;
        case "poweroff":
          command = "stop_server";
          finish = () => (s.status = "off");
          break;
        case "poweron":
          command = "start_server";
          finish = () => (s.status = "running");
          break;
        case "reboot":
          command = "reboot_server";
          break;
        case "detach_iso":
          command = "detach_iso";
          finish = () => (s.iso = null);
          break;
        case "change_type": {
          const b = body as { server_type?: unknown; upgrade_disk?: unknown } | undefined;
          if (typeof b?.server_type !== "string" || typeof b.upgrade_disk !== "boolean") {
            return error(400, "invalid_input", "invalid input in fields 'server_type', 'upgrade_disk'");
          }
          if (s.status !== "off") return error(409, "server_not_stopped", "server must be stopped before changing its type");
          command = "change_server_type";
          const to = b.server_type;
          finish = () => (s.server_type = { name: to });
          break;
        }
        default:
          return error(404, "not_found", `unknown action ${kind}`);
      }
      return send(201, { action: view(this.action(command, s.id, "server", finish)) });
    }
    return error(404, "not_found", `no route for ${req.method} ${path}`);
  }
}

function parseBody(text: string): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function view(a: Action) {
  const { polls: _polls, finish: _finish, ...rest } = a;
  void _polls;
  void _finish;
  return rest;
}
