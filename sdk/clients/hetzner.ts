/**
 * A tiny Hetzner Cloud REST client (https://docs.hetzner.cloud, `https://api.hetzner.cloud/v1`, Bearer
 * token) for the few calls the dynamic resources make: read a server, run a server action, poll actions.
 * Built on `fetch`; retries 429 (waiting for `Retry-After` or `RateLimit-Reset`), 5xx and network errors
 * with capped exponential backoff; every request and every wait has a timeout. The token is passed in at
 * run time and never logged.
 */
import { seconds } from "../errors";

export const DEFAULT_HCLOUD_ENDPOINT = "https://api.hetzner.cloud/v1";

export interface HcloudClientOptions {
  readonly token: string;
  /** API base URL (tests point it at a local fake). @default https://api.hetzner.cloud/v1 */
  readonly baseUrl?: string;
  /** Per-request timeout. @default 30000 */
  readonly requestTimeoutMs?: number;
  /** Attempts per request for retryable failures. @default 6 */
  readonly maxAttempts?: number;
  /** First backoff delay (doubles per attempt, capped at 30 s). @default 1000 */
  readonly backoffMs?: number;
  /** Poll interval of action and status waits. @default 1000 */
  readonly pollMs?: number;
  /** Progress messages (retries); default console.log. */
  readonly log?: (msg: string) => void;
}

/** A Hetzner API error (`{"error": {"code", "message"}}`) or a failed action. */
export class HcloudApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "HcloudApiError";
  }
}

export interface HcloudAction {
  readonly id: number;
  readonly command: string;
  readonly status: "running" | "success" | "error";
  readonly progress?: number;
  readonly error?: { code: string; message: string } | null;
}

/** A server type (`GET /server_types`): what a type change must fit. */
export interface HcloudServerType {
  readonly id: number;
  readonly name: string;
  readonly architecture: "x86" | "arm";
  /** Disk size in GB. */
  readonly disk: number;
  readonly storage_type: "local" | "network";
  readonly deprecated?: boolean;
  /** Where the type can be ordered (`available`), with per-location deprecation. */
  readonly locations?: readonly { readonly name: string; readonly available: boolean; readonly deprecation?: unknown }[];
}

export interface HcloudServer {
  readonly id: number;
  readonly name: string;
  readonly status: string;
  readonly server_type: {
    readonly name: string;
    readonly architecture?: "x86" | "arm";
    readonly storage_type?: string;
    readonly disk?: number;
  };
  /** The disk size in GB (stays when a type change keeps the disk). */
  readonly primary_disk_size?: number;
  readonly datacenter?: { readonly location: { readonly name: string } };
  readonly labels?: Readonly<Record<string, string>>;
  readonly protection?: { readonly delete: boolean; readonly rebuild: boolean };
  readonly private_net?: readonly { readonly network: number; readonly ip: string }[];
  readonly iso: { readonly id: number; readonly name?: string | null } | null;
  /** Public addresses; `ipv4`/`ipv6` are the assigned primary IPs (null when the family is off). */
  readonly public_net?: {
    readonly ipv4: { readonly id: number; readonly ip: string } | null;
    readonly ipv6: { readonly id: number; readonly ip: string } | null;
  };
}

export interface HcloudPrimaryIp {
  readonly id: number;
  readonly name: string;
  readonly type: "ipv4" | "ipv6";
  readonly ip: string;
  readonly auto_delete: boolean;
  readonly assignee_id: number | null;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Milliseconds to wait before retrying a 429, from `Retry-After` (seconds) or `RateLimit-Reset` (epoch s). */
export function rateLimitDelayMs(headers: { get(name: string): string | null }, now = Date.now()): number | undefined {
  const after = headers.get("retry-after");
  if (after !== null && /^\d+$/.test(after.trim())) return Number(after) * 1000;
  const reset = headers.get("ratelimit-reset");
  if (reset !== null && /^\d+$/.test(reset.trim())) return Math.max(0, Number(reset) * 1000 - now);
  return undefined;
}

export class HcloudClient {
  private readonly baseUrl: string;
  private readonly log: (msg: string) => void;

  constructor(private readonly opts: HcloudClientOptions) {
    if (!opts.token) throw new Error("Hetzner Cloud API token is empty");
    this.baseUrl = (opts.baseUrl ?? DEFAULT_HCLOUD_ENDPOINT).replace(/\/+$/, "");
    this.log = opts.log ?? ((m) => console.log(m));
  }

  /** One API call with retries; resolves to the parsed JSON body (or {} for 204). */
  async request<T>(method: "GET" | "POST" | "PUT" | "DELETE", path: string, body?: unknown): Promise<T> {
    const attempts = this.opts.maxAttempts ?? 6;
    const base = this.opts.backoffMs ?? 1000;
    let lastError: Error | undefined;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      let res: Response;
      try {
        res = await fetch(`${this.baseUrl}${path}`, {
          method,
          headers: {
            Authorization: `Bearer ${this.opts.token}`,
            ...(body !== undefined ? { "Content-Type": "application/json" } : {}),
          },
          body: body !== undefined ? JSON.stringify(body) : undefined,
          signal: AbortSignal.timeout(this.opts.requestTimeoutMs ?? 30_000),
        });
      } catch (e) {
        lastError = new Error(`${method} ${path}: ${(e as Error).message}`, { cause: e });
        if (attempt < attempts) {
          const wait = Math.min(30_000, base * 2 ** (attempt - 1));
          this.log(
            `[ksail] hcloud ${method} ${path}: ${(e as Error).message}; retrying in ${seconds(wait)} (attempt ${attempt}/${attempts})`,
          );
          await sleep(wait);
        }
        continue;
      }
      const text = await res.text();
      if (res.ok) return (text ? JSON.parse(text) : {}) as T;
      const err = parseError(res.status, text, `${method} ${path}`);
      const retryable = res.status === 429 || res.status >= 500;
      if (!retryable || attempt === attempts) throw err;
      lastError = err;
      const wait =
        res.status === 429
          ? Math.min(60_000, rateLimitDelayMs(res.headers) ?? base * 2 ** (attempt - 1))
          : Math.min(30_000, base * 2 ** (attempt - 1));
      this.log(
        `[ksail] hcloud ${method} ${path}: HTTP ${res.status} (${err.code}); retrying in ${seconds(wait)} (attempt ${attempt}/${attempts})`,
      );
      await sleep(wait);
    }
    throw lastError ?? new Error(`${method} ${path} failed`);
  }

  /** The server, or undefined when it does not exist (404). */
  async getServer(id: number | string): Promise<HcloudServer | undefined> {
    try {
      return (await this.request<{ server: HcloudServer }>("GET", `/servers/${id}`)).server;
    } catch (e) {
      if (e instanceof HcloudApiError && e.status === 404) return undefined;
      throw e;
    }
  }

  /** The server type of that name, or undefined when Hetzner has none. */
  async getServerType(name: string): Promise<HcloudServerType | undefined> {
    const r = await this.request<{ server_types: HcloudServerType[] }>("GET", `/server_types?name=${encodeURIComponent(name)}`);
    return r.server_types.find((t) => t.name === name);
  }

  /** Every item of a list endpoint matching a label selector (`GET /<kind>?label_selector=`, all pages). */
  async list<T>(kind: "servers" | "load_balancers" | "volumes", labelSelector: string): Promise<T[]> {
    const out: T[] = [];
    for (let page = 1; ; page++) {
      const r = await this.request<Record<string, unknown> & { meta?: { pagination?: { next_page?: number | null } } }>(
        "GET",
        `/${kind}?label_selector=${encodeURIComponent(labelSelector)}&page=${page}&per_page=50`,
      );
      out.push(...((r[kind] as T[] | undefined) ?? []));
      if (!r.meta?.pagination?.next_page) return out;
    }
  }

  /** DELETE a resource; an already-gone one (404) counts as deleted. Waits for the returned action, if any. */
  async remove(path: string, timeoutMs = 600_000): Promise<void> {
    try {
      const r = await this.request<{ action?: HcloudAction }>("DELETE", path);
      if (r.action) await this.waitAction(r.action, timeoutMs);
    } catch (e) {
      if (e instanceof HcloudApiError && e.status === 404) return;
      throw e;
    }
  }

  /** POST /servers/{id}/actions/{action} and wait for the returned action to finish. */
  async serverAction(id: number | string, action: string, body: unknown = {}, timeoutMs = 600_000): Promise<HcloudAction> {
    const res = await this.request<{ action: HcloudAction }>("POST", `/servers/${id}/actions/${action}`, body);
    return this.waitAction(res.action, timeoutMs);
  }

  /** Creates a primary IP assigned to a (powered-off) server and waits for the assignment. */
  async createPrimaryIp(
    body: { name: string; type: "ipv4" | "ipv6"; assignee_id: number; auto_delete: boolean; labels?: Record<string, string> },
    timeoutMs = 600_000,
  ): Promise<HcloudPrimaryIp> {
    const res = await this.request<{ primary_ip: HcloudPrimaryIp; action?: HcloudAction | null }>("POST", "/primary_ips", {
      ...body,
      assignee_type: "server",
    });
    if (res.action) await this.waitAction(res.action, timeoutMs);
    return res.primary_ip;
  }

  async getPrimaryIp(id: number): Promise<HcloudPrimaryIp | undefined> {
    try {
      return (await this.request<{ primary_ip: HcloudPrimaryIp }>("GET", `/primary_ips/${id}`)).primary_ip;
    } catch (e) {
      if (e instanceof HcloudApiError && e.status === 404) return undefined;
      throw e;
    }
  }

  /** Unassigns a primary IP from its (powered-off) server; deletes it when `remove`. */
  async releasePrimaryIp(id: number, remove: boolean, timeoutMs = 600_000): Promise<void> {
    const res = await this.request<{ action: HcloudAction }>("POST", `/primary_ips/${id}/actions/unassign`, {});
    await this.waitAction(res.action, timeoutMs);
    if (remove) await this.request("DELETE", `/primary_ips/${id}`);
  }

  /** Polls GET /actions/{id} until success (returned) or error (thrown), within `timeoutMs`. */
  async waitAction(action: HcloudAction, timeoutMs = 600_000, pollMs = this.opts.pollMs ?? 1000): Promise<HcloudAction> {
    const deadline = Date.now() + timeoutMs;
    let current = action;
    for (;;) {
      if (current.status === "success") return current;
      if (current.status === "error") {
        throw new HcloudApiError(
          0,
          current.error?.code ?? "action_failed",
          `action ${current.id} (${current.command}) failed: ${current.error?.message ?? "unknown error"}`,
        );
      }
      if (Date.now() > deadline) throw new Error(`action ${current.id} (${current.command}) did not finish within ${seconds(timeoutMs)}`);
      await sleep(pollMs);
      current = (await this.request<{ action: HcloudAction }>("GET", `/actions/${current.id}`)).action;
    }
  }

  /** Polls the server until its status is `status`, within `timeoutMs`. */
  async waitServerStatus(id: number | string, status: string, timeoutMs: number, pollMs = this.opts.pollMs ?? 2000): Promise<HcloudServer> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const s = await this.getServer(id);
      if (!s) throw new HcloudApiError(404, "not_found", `server ${id} no longer exists`);
      if (s.status === status) return s;
      if (Date.now() > deadline) throw new Error(`server ${s.name} is "${s.status}", not "${status}", after ${seconds(timeoutMs)}`);
      await sleep(pollMs);
    }
  }
}

function parseError(status: number, text: string, what: string): HcloudApiError {
  try {
    const body = JSON.parse(text) as { error?: { code?: string; message?: string } };
    if (body.error)
      return new HcloudApiError(
        status,
        body.error.code ?? String(status),
        `${what}: HTTP ${status} ${body.error.code}: ${body.error.message}`,
      );
  } catch {
    // not JSON: fall through to the raw text
  }
  return new HcloudApiError(status, String(status), `${what}: HTTP ${status}: ${text.slice(0, 200)}`);
}

/**
 * Token and endpoint for a dynamic provider at run time: the `hcloud:token` / `hcloud:endpoint` stack config
 * (handed to `configure`), else the environment (`tokenEnvVar`, `HCLOUD_TOKEN`, `HCLOUD_ENDPOINT`).
 */
export function resolveHcloudCredentials(
  config: { get(key: string): string | undefined } | undefined,
  tokenEnvVar: string | undefined,
): { token: string; baseUrl: string } {
  const token = config?.get("hcloud:token") ?? (tokenEnvVar ? process.env[tokenEnvVar] : undefined) ?? process.env.HCLOUD_TOKEN;
  if (!token) {
    throw new Error(
      `no Hetzner Cloud API token: set it with "pulumi config set --secret hcloud:token <token>" or export ${tokenEnvVar || "HCLOUD_TOKEN"}`,
    );
  }
  const baseUrl = config?.get("hcloud:endpoint") ?? process.env.HCLOUD_ENDPOINT ?? DEFAULT_HCLOUD_ENDPOINT;
  return { token, baseUrl };
}
