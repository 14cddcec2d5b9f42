/**
 * A local HTTP fake of the Hetzner Cloud API endpoints this library calls, with the rules of the real API that
 * matter here (request and response shapes, error codes and their HTTP statuses from the API reference,
 * https://docs.hetzner.cloud and its OpenAPI document cloud.spec.json; error codes as hetznercloud/hcloud-go names
 * them in hcloud/error.go; server-type fields from hcloud-go hcloud/schema/server_type.go):
 *
 * - servers: `GET /servers/{id}`, `GET /servers?label_selector=`, `DELETE /servers/{id}` (refused with
 *   `protected` while delete protection is on), actions `shutdown`, `poweroff`, `poweron`, `reboot`,
 *   `detach_iso`, `change_type`, `change_protection`. `change_type` follows the documented rules: the server must
 *   be off (`server_not_stopped`), the new type must have the same `storage_type` and architecture, a disk at least
 *   as large as the server's current disk (`upgrade_disk: false` keeps the disk, so the type can go back down), not
 *   be deprecated and be available in the server's location — else `invalid_server_type` (422).
 * - server types: `GET /server_types?name=`, `GET /server_types/{id}` with `architecture`, `disk`, `storage_type`
 *   and per-location availability (`locations[].available`).
 * - primary IPs: `POST /primary_ips` (assign to a powered-off server), `GET`/`DELETE /primary_ips/{id}`,
 *   `POST /primary_ips/{id}/actions/unassign`.
 * - load balancers: `POST /load_balancers` (a location or a network zone is required, as the hcloud CCM finds out
 *   without `HCLOUD_LOAD_BALANCERS_LOCATION`), `GET /load_balancers?label_selector=`, `DELETE /load_balancers/{id}`.
 * - volumes: `GET /volumes?label_selector=`, `POST /volumes/{id}/actions/detach`, `DELETE /volumes/{id}` (refused
 *   while attached).
 * - networks: `GET /networks/{id}`, `POST /networks/{id}/actions/add_route` (the destination must be a subnet of
 *   the network's ip_range and must not overlap a subnet; the gateway must not be the network's first address or
 *   172.31.1.1: terraform-provider-hcloud docs/resources/network_route.md).
 * - `GET /actions/{id}`: actions start `running` and finish on the next poll (or fail when told to).
 *
 * Checks the Bearer token, records every request, and injects 429/5xx responses or failing actions on demand.
 * Listens on 127.0.0.1 only.
 */
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { cidrContains, cidrWithin, cidrsOverlap, parsePrefix, addressIn } from "../../sdk/plan/hetznerCidr";

export interface FakeServerType {
  id: number;
  name: string;
  architecture: "x86" | "arm";
  /** Disk size in GB. */
  disk: number;
  storage_type: "local" | "network";
  cores: number;
  memory: number;
  deprecated: boolean;
  locations: { id: number; name: string; available: boolean; recommended: boolean }[];
}

export interface FakeServer {
  id: number;
  name: string;
  status: "running" | "off" | "starting" | "stopping" | "initializing";
  server_type: FakeServerType;
  /** Current disk size in GB (stays when a type change keeps the disk). */
  primary_disk_size: number;
  datacenter: { name: string; location: { name: string; network_zone: string } };
  iso: { id: number; name: string } | null;
  labels: Record<string, string>;
  protection: { delete: boolean; rebuild: boolean };
  public_net: { ipv4: { id: number; ip: string } | null; ipv6: { id: number; ip: string } | null };
  private_net: { network: number; ip: string }[];
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

export interface FakeLoadBalancer {
  id: number;
  name: string;
  labels: Record<string, string>;
  location: { name: string; network_zone: string };
  private_net: { network: number; ip: string }[];
  protection: { delete: boolean };
}

export interface FakeVolume {
  id: number;
  name: string;
  size: number;
  labels: Record<string, string>;
  location: { name: string };
  server: number | null;
  protection: { delete: boolean };
}

export interface FakeNetwork {
  id: number;
  name: string;
  ip_range: string;
  subnets: { type: string; ip_range: string; network_zone: string; gateway: string }[];
  routes: { destination: string; gateway: string }[];
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

const ZONES: Record<string, string> = {
  fsn1: "eu-central",
  nbg1: "eu-central",
  hel1: "eu-central",
  ash: "us-east",
  hil: "us-west",
  sin: "ap-southeast",
};
const EU = ["fsn1", "nbg1", "hel1"];
const ALL = Object.keys(ZONES);

/**
 * A server-type catalog shaped like Hetzner's (names, architectures, disks; CX and CAX only in the EU locations,
 * CPX and CCX everywhere). Availability can be changed per test with `setAvailability`.
 */
function catalog(): Map<string, FakeServerType> {
  const rows: [string, "x86" | "arm", number, number, number, string[], boolean?][] = [
    ["cx22", "x86", 40, 2, 4, EU, true],
    ["cx23", "x86", 40, 2, 4, EU],
    ["cx33", "x86", 80, 4, 8, EU],
    ["cx43", "x86", 160, 8, 16, EU],
    ["cx53", "x86", 320, 16, 32, EU],
    ["cpx22", "x86", 80, 2, 4, ALL],
    ["cpx32", "x86", 160, 4, 8, ALL],
    ["ccx13", "x86", 80, 2, 8, ALL],
    ["cax11", "arm", 40, 2, 4, EU],
    ["cax21", "arm", 80, 4, 8, EU],
    ["cax31", "arm", 160, 8, 16, EU],
  ];
  const m = new Map<string, FakeServerType>();
  rows.forEach(([name, architecture, disk, cores, memory, where, deprecated], i) =>
    m.set(name, {
      id: 100 + i,
      name,
      architecture,
      disk,
      storage_type: "local",
      cores,
      memory,
      deprecated: deprecated ?? false,
      locations: ALL.map((l, j) => ({ id: j + 1, name: l, available: where.includes(l), recommended: where.includes(l) })),
    }),
  );
  return m;
}

/** Hetzner's label selector (`k=v`, `k==v`, `k!=v`, `k`, `!k`, comma = and). */
export function matchesSelector(labels: Record<string, string>, selector: string | null): boolean {
  if (!selector) return true;
  return selector
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)
    .every((term) => {
      let m: RegExpExecArray | null;
      if ((m = /^!([^=!]+)$/.exec(term))) return !(m[1] in labels);
      if ((m = /^([^=!]+)!=(.*)$/.exec(term))) return labels[m[1]] !== m[2];
      if ((m = /^([^=!]+)==?(.*)$/.exec(term))) return labels[m[1]] === m[2];
      return term in labels;
    });
}

export class FakeHcloudApi {
  readonly servers = new Map<number, FakeServer>();
  readonly serverTypes = catalog();
  readonly primaryIps = new Map<number, FakePrimaryIp>();
  readonly loadBalancers = new Map<number, FakeLoadBalancer>();
  readonly volumes = new Map<number, FakeVolume>();
  readonly networks = new Map<number, FakeNetwork>();
  private nextIp = 5000;
  private nextId = 70000;
  readonly requests: RecordedRequest[] = [];
  private readonly actions = new Map<number, Action>();
  private nextAction = 1000;
  private faults: { status: number; headers: Record<string, string>; code: string }[] = [];
  private failingActions = new Map<string, { code: string; message: string }>();
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

  /** The catalog row of a type name (throws on an unknown one: a test mistake). */
  serverType(name: string): FakeServerType {
    const t = this.serverTypes.get(name);
    if (!t) throw new Error(`fake: no server type ${name}`);
    return t;
  }

  /** Marks a server type available or not in a location. */
  setAvailability(type: string, location: string, available: boolean): void {
    const row = this.serverType(type).locations.find((l) => l.name === location)!;
    row.available = available;
  }

  /**
   * A server with the given fields; by default running, cx23 in fsn1 (disk 40 GB), no ISO, with auto-deleted public
   * IPv4 and IPv6. `server_type` may name the type only.
   */
  addServer(
    s: Omit<Partial<FakeServer>, "server_type"> & { id: number; name: string; server_type?: { name: string }; location?: string },
    reserved: { ipv4?: boolean } = {},
  ): FakeServer {
    const type = this.serverType(s.server_type?.name ?? "cx23");
    const location = s.location ?? "fsn1";
    const { location: _l, server_type: _t, ...rest } = s;
    void _l;
    void _t;
    const server: FakeServer = {
      status: "running",
      iso: null,
      labels: {},
      protection: { delete: false, rebuild: false },
      public_net: { ipv4: null, ipv6: null },
      private_net: [],
      primary_disk_size: type.disk,
      datacenter: { name: `${location}-dc14`, location: { name: location, network_zone: ZONES[location] } },
      ...rest,
      server_type: type,
    };
    if (!s.public_net) {
      for (const family of ["ipv4", "ipv6"] as const) {
        const ip = this.newIp(`${s.name}-${family}`, family, !(family === "ipv4" && reserved.ipv4));
        ip.assignee_id = server.id;
        server.public_net[family] = { id: ip.id, ip: ip.ip };
      }
    }
    this.servers.set(server.id, server);
    return server;
  }

  addNetwork(n: { name: string; ip_range: string; subnet?: string; zone?: string }): FakeNetwork {
    const net: FakeNetwork = {
      id: this.nextId++,
      name: n.name,
      ip_range: n.ip_range,
      subnets: n.subnet
        ? [{ type: "cloud", ip_range: n.subnet, network_zone: n.zone ?? "eu-central", gateway: addressIn(n.ip_range, 1) }]
        : [],
      routes: [],
    };
    this.networks.set(net.id, net);
    return net;
  }

  addLoadBalancer(lb: { name: string; labels?: Record<string, string>; location?: string; network?: number }): FakeLoadBalancer {
    const location = lb.location ?? "fsn1";
    const created: FakeLoadBalancer = {
      id: this.nextId++,
      name: lb.name,
      labels: lb.labels ?? {},
      location: { name: location, network_zone: ZONES[location] },
      private_net: lb.network !== undefined ? [{ network: lb.network, ip: "10.0.1.250" }] : [],
      protection: { delete: false },
    };
    this.loadBalancers.set(created.id, created);
    return created;
  }

  addVolume(v: { name: string; labels?: Record<string, string>; server?: number; size?: number }): FakeVolume {
    const created: FakeVolume = {
      id: this.nextId++,
      name: v.name,
      size: v.size ?? 10,
      labels: v.labels ?? {},
      location: { name: "fsn1" },
      server: v.server ?? null,
      protection: { delete: false },
    };
    this.volumes.set(created.id, created);
    return created;
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

  /** The next action with this command (e.g. `change_server_type`) ends in status `error` without its effect. */
  failNextAction(command: string, code = "action_failed", message = "the action failed"): void {
    this.failingActions.set(command, { code, message });
  }

  /** Requests other than GETs, as `METHOD path` (the mutations). */
  mutations(): string[] {
    return this.requests.filter((r) => r.method !== "GET" && r.status < 400).map((r) => `${r.method} ${r.path}`);
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private action(command: string, id: number, type: string, finish: () => void): Action {
    const failure = this.failingActions.get(command);
    if (failure) this.failingActions.delete(command);
    const a: Action = {
      id: this.nextAction++,
      command,
      status: "running",
      progress: 0,
      started: new Date().toISOString(),
      finished: null,
      resources: [{ id, type }],
      error: failure ?? null,
      polls: 0,
      finish: failure ? () => {} : finish,
    };
    this.actions.set(a.id, a);
    return a;
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString("utf8");
    const body = parseBody(text);
    const url = new URL(req.url ?? "/", "http://fake");
    const path = url.pathname.replace(/^\/v1/, "");
    const query = url.searchParams;
    const rec: RecordedRequest = {
      method: req.method ?? "",
      path: `${path}${url.search}`,
      body,
      authorization: req.headers.authorization,
      status: 0,
    };
    this.requests.push(rec);
    const send = (status: number, payload: unknown, headers: Record<string, string> = {}) => {
      rec.status = status;
      res.writeHead(status, { "Content-Type": "application/json", ...headers });
      res.end(JSON.stringify(payload));
    };
    const noContent = () => {
      rec.status = 204;
      res.writeHead(204);
      res.end();
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
    const list = <T extends { labels: Record<string, string> }>(key: string, items: Iterable<T>) =>
      send(200, { [key]: [...items].filter((x) => matchesSelector(x.labels, query.get("label_selector"))), meta: { pagination: {} } });

    if (req.method === "GET" && path === "/servers") return list("servers", this.servers.values());
    if ((m = /^\/servers\/(\d+)$/.exec(path)) && (req.method === "GET" || req.method === "DELETE")) {
      const s = this.servers.get(Number(m[1]));
      if (!s) return error(404, "not_found", `server with ID '${m[1]}' not found`);
      if (req.method === "GET") return send(200, { server: structuredClone(s) });
      if (s.protection.delete) return error(403, "protected", "server is delete protected");
      const a = this.action("delete_server", s.id, "server", () => {
        this.servers.delete(s.id);
        for (const ip of this.primaryIps.values()) {
          if (ip.assignee_id !== s.id) continue;
          if (ip.auto_delete) this.primaryIps.delete(ip.id);
          else ip.assignee_id = null;
        }
        for (const v of this.volumes.values()) if (v.server === s.id) v.server = null;
      });
      return send(200, { action: view(a) });
    }
    if (req.method === "GET" && path === "/server_types") {
      const name = query.get("name");
      return send(200, { server_types: [...this.serverTypes.values()].filter((t) => !name || t.name === name), meta: { pagination: {} } });
    }
    if (req.method === "GET" && (m = /^\/server_types\/(\d+)$/.exec(path))) {
      const t = [...this.serverTypes.values()].find((x) => x.id === Number(m![1]));
      return t ? send(200, { server_type: t }) : error(404, "not_found", "server type not found");
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
      if (s.status !== "off") return error(422, "server_not_stopped", "server must be powered off to assign a primary IP");
      if (s.public_net[b.type])
        return error(422, b.type === "ipv4" ? "server_has_ipv4" : "server_has_ipv6", `server already has a primary ${b.type}`);
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
      if (ip.assignee_id !== null) return error(422, "primary_ip_assigned", "primary ip is assigned");
      this.primaryIps.delete(ip.id);
      return noContent();
    }
    if (req.method === "POST" && (m = /^\/primary_ips\/(\d+)\/actions\/unassign$/.exec(path))) {
      const ip = this.primaryIps.get(Number(m[1]));
      if (!ip) return error(404, "not_found", "primary ip not found");
      const s = ip.assignee_id !== null ? this.servers.get(ip.assignee_id) : undefined;
      if (s && s.status !== "off") return error(422, "server_not_stopped", "server must be powered off to unassign a primary IP");
      const a = this.action("unassign_primary_ip", ip.id, "primary_ip", () => {
        if (s) s.public_net[ip.type] = null;
        ip.assignee_id = null;
      });
      return send(201, { action: view(a) });
    }
    if (req.method === "POST" && path === "/load_balancers") {
      const b = (body ?? {}) as {
        name?: string;
        load_balancer_type?: string;
        location?: string;
        network_zone?: string;
        labels?: Record<string, string>;
      };
      if (!b.name || !b.load_balancer_type) return error(400, "invalid_input", "invalid input in fields 'name', 'load_balancer_type'");
      if (!b.location && !b.network_zone)
        return error(400, "invalid_input", "invalid input: one of 'location' or 'network_zone' is required");
      if (b.location && !ZONES[b.location]) return error(400, "invalid_input", `unknown location '${b.location}'`);
      const lb = this.addLoadBalancer({ name: b.name, labels: b.labels, location: b.location ?? EU[0] });
      return send(201, { load_balancer: lb, action: view(this.action("create_load_balancer", lb.id, "load_balancer", () => {})) });
    }
    if (req.method === "GET" && path === "/load_balancers") return list("load_balancers", this.loadBalancers.values());
    if (req.method === "DELETE" && (m = /^\/load_balancers\/(\d+)$/.exec(path))) {
      const lb = this.loadBalancers.get(Number(m[1]));
      if (!lb) return error(404, "not_found", "load balancer not found");
      if (lb.protection.delete) return error(403, "protected", "load balancer is delete protected");
      this.loadBalancers.delete(lb.id);
      return noContent();
    }
    if (req.method === "GET" && path === "/volumes") return list("volumes", this.volumes.values());
    if (req.method === "POST" && (m = /^\/volumes\/(\d+)\/actions\/detach$/.exec(path))) {
      const v = this.volumes.get(Number(m[1]));
      if (!v) return error(404, "not_found", "volume not found");
      return send(201, { action: view(this.action("detach_volume", v.id, "volume", () => (v.server = null))) });
    }
    if (req.method === "DELETE" && (m = /^\/volumes\/(\d+)$/.exec(path))) {
      const v = this.volumes.get(Number(m[1]));
      if (!v) return error(404, "not_found", "volume not found");
      if (v.protection.delete) return error(403, "protected", "volume is delete protected");
      if (v.server !== null) return error(422, "volume_already_attached", "volume is attached to a server, detach it first");
      this.volumes.delete(v.id);
      return noContent();
    }
    if (req.method === "GET" && (m = /^\/networks\/(\d+)$/.exec(path))) {
      const n = this.networks.get(Number(m[1]));
      return n ? send(200, { network: n }) : error(404, "not_found", "network not found");
    }
    if (req.method === "POST" && (m = /^\/networks\/(\d+)\/actions\/add_route$/.exec(path))) {
      const n = this.networks.get(Number(m[1]));
      if (!n) return error(404, "not_found", "network not found");
      const b = (body ?? {}) as { destination?: string; gateway?: string };
      const problem = routeProblem(n, b.destination, b.gateway);
      if (problem) return error(400, "invalid_input", problem);
      return send(201, {
        action: view(this.action("add_route", n.id, "network", () => n.routes.push({ destination: b.destination!, gateway: b.gateway! }))),
      });
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
        case "change_protection": {
          const b = (body ?? {}) as { delete?: boolean; rebuild?: boolean };
          command = "change_protection";
          finish = () => {
            if (typeof b.delete === "boolean") s.protection.delete = b.delete;
            if (typeof b.rebuild === "boolean") s.protection.rebuild = b.rebuild;
          };
          break;
        }
        case "change_type": {
          const b = body as { server_type?: unknown; upgrade_disk?: unknown } | undefined;
          if (typeof b?.server_type !== "string" || typeof b.upgrade_disk !== "boolean") {
            return error(400, "invalid_input", "invalid input in fields 'server_type', 'upgrade_disk'");
          }
          const to = this.serverTypes.get(b.server_type);
          if (!to) return error(404, "not_found", `server type '${b.server_type}' not found`);
          if (s.status !== "off") return error(422, "server_not_stopped", "server must be stopped before changing its type");
          const misfit = typeMisfit(s, to);
          if (misfit) return error(422, "invalid_server_type", misfit);
          command = "change_server_type";
          const upgrade = b.upgrade_disk;
          finish = () => {
            s.server_type = to;
            if (upgrade) s.primary_disk_size = to.disk;
          };
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

/** Why a server cannot change to a type (the documented change_type rules), or undefined. */
function typeMisfit(s: FakeServer, to: FakeServerType): string | undefined {
  const location = s.datacenter.location.name;
  if (to.deprecated) return `server type ${to.name} is deprecated`;
  if (to.architecture !== s.server_type.architecture)
    return `server type ${to.name} (${to.architecture}) does not fit a ${s.server_type.architecture} server`;
  if (to.storage_type !== s.server_type.storage_type)
    return `server type ${to.name} has ${to.storage_type} storage, the server ${s.server_type.storage_type}`;
  if (to.disk < s.primary_disk_size)
    return `server type ${to.name} has a ${to.disk} GB disk, smaller than the server's ${s.primary_disk_size} GB`;
  if (!to.locations.some((l) => l.name === location && l.available)) return `server type ${to.name} is not available in ${location}`;
  return undefined;
}

/** Why a route cannot be added to a network, or undefined. */
function routeProblem(n: FakeNetwork, destination: string | undefined, gateway: string | undefined): string | undefined {
  if (!destination || !parsePrefix(destination)) return "invalid input in field 'destination'";
  if (!gateway) return "invalid input in field 'gateway'";
  if (!cidrWithin(destination, n.ip_range)) return `destination ${destination} is not a subnet of the network's ip_range ${n.ip_range}`;
  if (n.subnets.some((s) => cidrsOverlap(destination, s.ip_range))) return `destination ${destination} overlaps a subnet`;
  if (n.routes.some((r) => cidrsOverlap(destination, r.destination))) return `destination ${destination} overlaps another route`;
  if (cidrContains(destination, addressIn(n.ip_range, 1))) return "destination contains the network's first address";
  if (gateway === addressIn(n.ip_range, 1) || gateway === "172.31.1.1") return `gateway ${gateway} is reserved`;
  if (!cidrContains(n.ip_range, gateway)) return `gateway ${gateway} is outside the network`;
  return undefined;
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
