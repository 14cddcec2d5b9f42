import * as net from "node:net";
import * as tls from "node:tls";
import * as grpc from "@grpc/grpc-js";
import { seconds } from "../../errors";
import { Code, type GrpcLikeError, type RetryOptions, withRetry } from "../talos/retry";
import { managementServiceClient, stateServiceClient } from "./proto";
import { DEFAULT_NAMESPACE, type Phase, type RawResource } from "./resources";
import { fromWire, labelQuery, parseEndpoint, toWire, type LabelSelector } from "./wire";
import { decodeServiceAccountKey, parseServiceAccountEnvelope, type ServiceAccount, signCall } from "./signature";

export interface OmniClientOptions {
  /** Omni's API endpoint, `https://<account>.omni.siderolabs.io[:443]` (port defaults to 443). */
  readonly endpoint: string;
  /** The service-account key, base64 of `{"name", "pgp_key"}` as Omni issues it. Never logged. */
  readonly serviceAccountKey: string;
  /** Extra PEM trust roots (a private Omni or a test fake). Default: the system roots. */
  readonly caPem?: string;
  /** Per-call deadline, ms. @default 30000 */
  readonly timeoutMs?: number;
  /** Retry policy for every call (each attempt is signed afresh). @default Unavailable retried for up to 60 s */
  readonly retry?: RetryOptions;
  /** The signing clock in ms (tests skew it). @default Date.now */
  readonly clock?: () => number;
}

/** An Omni API failure with the gRPC status code kept in `code` and a hint for the codes a user can fix. */
export class OmniApiError extends Error {
  readonly code: number;
  readonly details: string;
  constructor(method: string, endpoint: string, code: number, details: string) {
    const codeName = Object.entries(Code).find(([, v]) => v === code)?.[0] ?? String(code);
    super(`Omni API ${method} on ${endpoint} failed: ${codeName}: ${details}${hint(code)}`);
    this.name = "OmniApiError";
    this.code = code;
    this.details = details;
  }
}

function hint(code: number): string {
  if (code === Code.UNAUTHENTICATED) {
    return (
      " (Omni did not accept the request signature: check that the service account key is current and not expired," +
      " that the account still exists, and that this machine's clock is within 5 minutes of Omni's)"
    );
  }
  if (code === Code.PERMISSION_DENIED) return " (the service account's role is too low for this call: creating clusters needs Operator)";
  return "";
}

export interface WatchEvent {
  readonly type: "CREATED" | "UPDATED" | "DESTROYED" | "BOOTSTRAPPED" | "ERRORED" | "NOOP";
  readonly resource?: RawResource;
  readonly error?: string;
}

const UPDATE_ANY_PHASE = null;

/**
 * A minimal client of Omni's gRPC API over TLS, for cluster-template sync: COSI resource state
 * (`cosi.resource.State`) and the service-account kubeconfig (`management.ManagementService/Kubeconfig`).
 * Every call is signed with the service account's key (see ./signature). One channel per client; call
 * `close()` when done.
 */
export class OmniClient {
  readonly endpoint: string;
  private readonly state: grpc.Client & Record<string, any>;
  private readonly management: grpc.Client & Record<string, any>;
  private readonly opts: OmniClientOptions;
  private sa: Promise<ServiceAccount> | undefined;
  private teardownUnimplemented = false;

  constructor(opts: OmniClientOptions) {
    this.opts = opts;
    this.endpoint = parseEndpoint(opts.endpoint);
    parseServiceAccountEnvelope(opts.serviceAccountKey); // fail fast on a malformed key, before any call
    // An IP-literal endpoint (a private Omni, the test fake): verify the certificate against that IP, but send a
    // DNS-style SNI (Node refuses IP SNI, RFC 6066); a hostname endpoint is verified and sent as is.
    const host = this.endpoint.slice(0, this.endpoint.lastIndexOf(":")).replace(/^\[|\]$/g, "");
    const ipHost = net.isIP(host) !== 0;
    const creds = grpc.credentials.createSsl(
      opts.caPem ? Buffer.from(opts.caPem) : null,
      null,
      null,
      ipHost ? { checkServerIdentity: (_name, cert) => tls.checkServerIdentity(host, cert) } : {},
    );
    const channelOptions = {
      ...(ipHost ? { "grpc.ssl_target_name_override": "omni.invalid" } : {}),
      "grpc.initial_reconnect_backoff_ms": 250,
      "grpc.max_reconnect_backoff_ms": 2000,
      "grpc.max_receive_message_length": 32 * 1024 * 1024,
      "grpc.keepalive_time_ms": 60_000,
    };
    const State = stateServiceClient();
    this.state = new State(this.endpoint, creds, channelOptions) as grpc.Client & Record<string, any>;
    const Management = managementServiceClient();
    this.management = new Management(this.endpoint, creds, { ...channelOptions, channelOverride: this.state.getChannel() }) as grpc.Client &
      Record<string, any>;
  }

  close(): void {
    this.state.close();
  }

  private serviceAccount(): Promise<ServiceAccount> {
    this.sa ??= decodeServiceAccountKey(this.opts.serviceAccountKey);
    return this.sa;
  }

  /** Build the signed metadata for one attempt of `method` ("/cosi.resource.State/Get"). */
  private async metadata(method: string, extra: Record<string, string> = {}): Promise<grpc.Metadata> {
    const sa = await this.serviceAccount();
    const plain: Record<string, string[]> = {};
    for (const [k, v] of Object.entries(extra)) plain[k.toLowerCase()] = [v];
    const signed = await signCall(sa, method, plain, (this.opts.clock ?? Date.now)());
    const md = new grpc.Metadata();
    for (const [k, v] of Object.entries(extra)) md.set(k, v);
    for (const [k, v] of Object.entries(signed)) md.set(k, v);
    return md;
  }

  private deadline(timeoutMs?: number): Date {
    return new Date(Date.now() + (timeoutMs ?? this.opts.timeoutMs ?? 30_000));
  }

  private unary<T>(
    service: "state" | "management",
    method: string,
    req: object,
    o: { extra?: Record<string, string>; retry?: RetryOptions; timeoutMs?: number } = {},
  ): Promise<T> {
    const full = service === "state" ? `/cosi.resource.State/${method}` : `/management.ManagementService/${method}`;
    const client = service === "state" ? this.state : this.management;
    return withRetry(
      async () => {
        const md = await this.metadata(full, o.extra);
        return new Promise<T>((resolve, reject) => {
          client[method](req, md, { deadline: this.deadline(o.timeoutMs) }, (err: GrpcLikeError | null, res: T) => {
            if (err) reject(new OmniApiError(method, this.endpoint, err.code ?? Code.UNKNOWN, err.details ?? err.message));
            else resolve(res);
          });
        });
      },
      o.retry ?? this.opts.retry ?? {},
    );
  }

  /** Get one resource; undefined when it does not exist. */
  async get(type: string, id: string, namespace = DEFAULT_NAMESPACE): Promise<RawResource | undefined> {
    try {
      const res = await this.unary<{ resource?: any }>("state", "Get", { namespace, type, id });
      return fromWire(res.resource);
    } catch (e) {
      if ((e as OmniApiError).code === Code.NOT_FOUND) return undefined;
      throw e;
    }
  }

  /** List resources of a type, optionally filtered by labels (one label query, all terms must match). */
  async list(type: string, o: { labels?: LabelSelector; namespace?: string } = {}): Promise<RawResource[]> {
    const method = "/cosi.resource.State/List";
    const req = { namespace: o.namespace ?? DEFAULT_NAMESPACE, type, options: { labelQuery: labelQuery(o.labels) } };
    return withRetry(async () => {
      const md = await this.metadata(method);
      return new Promise<RawResource[]>((resolve, reject) => {
        const out: RawResource[] = [];
        const stream = this.state.List(req, md, { deadline: this.deadline() }) as grpc.ClientReadableStream<{ resource?: any }>;
        stream.on("data", (d) => {
          if (d.resource) out.push(fromWire(d.resource)!);
        });
        stream.on("error", (err: GrpcLikeError) =>
          reject(new OmniApiError("List", this.endpoint, err.code ?? Code.UNKNOWN, err.details ?? err.message)),
        );
        stream.on("end", () => resolve(out));
      });
    }, this.opts.retry ?? {});
  }

  /** Create a resource (AlreadyExists keeps its code). Returns it as stored (version 1). */
  async create(r: RawResource, o: { owner?: string } = {}): Promise<RawResource> {
    const res = await this.unary<{ resource?: any }>("state", "Create", { resource: toWire(r), options: { owner: o.owner ?? "" } });
    return fromWire(res.resource) ?? r;
  }

  /**
   * Update a resource. Its metadata.version must be the stored one (else FailedPrecondition: a conflict).
   * `expectedPhase` defaults to "running", as COSI's own client does; pass null to accept any phase.
   */
  async update(r: RawResource, o: { owner?: string; expectedPhase?: Phase | null } = {}): Promise<RawResource> {
    const expected = o.expectedPhase === undefined ? "running" : o.expectedPhase;
    const options: Record<string, unknown> = { owner: o.owner ?? "" };
    if (expected !== UPDATE_ANY_PHASE) options.expectedPhase = expected;
    const res = await this.unary<{ resource?: any }>("state", "Update", { newResource: toWire(r), options });
    return fromWire(res.resource) ?? r;
  }

  /** Destroy a resource whose finalizers are empty (else FailedPrecondition). */
  async destroy(type: string, id: string, o: { owner?: string; namespace?: string } = {}): Promise<void> {
    await this.unary("state", "Destroy", { namespace: o.namespace ?? DEFAULT_NAMESPACE, type, id, options: { owner: o.owner ?? "" } });
  }

  /**
   * Mark a resource as tearing down; true when its finalizers are already empty. Older servers without the
   * Teardown RPC get COSI's fallback: Get, then Update with phase tearingDown.
   */
  async teardown(type: string, id: string, o: { owner?: string; namespace?: string } = {}): Promise<boolean> {
    const namespace = o.namespace ?? DEFAULT_NAMESPACE;
    if (!this.teardownUnimplemented) {
      try {
        const res = await this.unary<{ destroyReady?: boolean }>("state", "Teardown", {
          namespace,
          type,
          id,
          options: { owner: o.owner ?? "" },
        });
        return res.destroyReady === true;
      } catch (e) {
        if ((e as OmniApiError).code !== Code.UNIMPLEMENTED) throw e;
        this.teardownUnimplemented = true;
      }
    }
    for (;;) {
      const cur = await this.get(type, id, namespace);
      if (!cur) throw new OmniApiError("Teardown", this.endpoint, Code.NOT_FOUND, `resource ${type}/${id} doesn't exist`);
      if (cur.metadata.phase === "tearingDown") return cur.metadata.finalizers.length === 0;
      try {
        const upd = await this.update(
          { ...cur, metadata: { ...cur.metadata, phase: "tearingDown" } },
          { owner: o.owner, expectedPhase: "running" },
        );
        return upd.metadata.finalizers.length === 0;
      } catch (e) {
        // a version conflict (a controller wrote in between): read again and retry, as COSI's UpdateWithConflicts does
        if ((e as OmniApiError).code !== Code.FAILED_PRECONDITION) throw e;
      }
    }
  }

  /**
   * Tear a resource down and destroy it once its finalizers are gone, blocking until then (Omni's
   * controllers release machines before they drop their finalizers). Already gone counts as done.
   * Servers without the TeardownAndDestroy RPC get COSI's fallback: Teardown, watch, Destroy.
   */
  async teardownAndDestroy(
    type: string,
    id: string,
    o: { owner?: string; namespace?: string; timeoutMs?: number; onProgress?: (message: string) => void } = {},
  ): Promise<void> {
    const namespace = o.namespace ?? DEFAULT_NAMESPACE;
    const timeoutMs = o.timeoutMs ?? 15 * 60_000;
    if (!this.teardownUnimplemented) {
      try {
        await this.unary("state", "TeardownAndDestroy", { namespace, type, id, options: { owner: o.owner ?? "" } }, { timeoutMs });
        return;
      } catch (e) {
        const code = (e as OmniApiError).code;
        if (code === Code.NOT_FOUND) return;
        if (code !== Code.UNIMPLEMENTED) throw e;
        this.teardownUnimplemented = true;
      }
    }
    let ready: boolean;
    try {
      ready = await this.teardown(type, id, o);
    } catch (e) {
      if ((e as OmniApiError).code === Code.NOT_FOUND) return;
      throw e;
    }
    if (!ready) {
      o.onProgress?.(`waiting for Omni to release ${type} ${id} (finalizers pending)`);
      const gone = await this.waitFor(type, id, (r) => r === undefined || r.metadata.finalizers.length === 0, { timeoutMs, namespace });
      if (gone === undefined) return;
    }
    try {
      await this.destroy(type, id, o);
    } catch (e) {
      if ((e as OmniApiError).code !== Code.NOT_FOUND) throw e;
    }
  }

  /**
   * Watch one resource until `done(resource | undefined)` holds (undefined = destroyed or absent); returns
   * that resource. After an empty opening message the server sends the current state (Created, or
   * Destroyed with a tombstone when absent), then every change. Fails after `timeoutMs` with the last state.
   */
  async waitFor(
    type: string,
    id: string,
    done: (r: RawResource | undefined) => boolean,
    o: { timeoutMs?: number; namespace?: string; onUpdate?: (r: RawResource | undefined) => void } = {},
  ): Promise<RawResource | undefined> {
    const method = "/cosi.resource.State/Watch";
    const timeoutMs = o.timeoutMs ?? 10 * 60_000;
    const req = { namespace: o.namespace ?? DEFAULT_NAMESPACE, type, id, options: {}, apiVersion: 1 };
    const md = await this.metadata(method);
    return new Promise<RawResource | undefined>((resolve, reject) => {
      let last: RawResource | undefined;
      let first = true;
      let settled = false;
      const stream = this.state.Watch(req, md) as grpc.ClientReadableStream<{ event?: any[] }>;
      const finish = (fn: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        stream.cancel();
        fn();
      };
      const timer = setTimeout(
        () =>
          finish(() =>
            reject(
              new OmniApiError(
                "Watch",
                this.endpoint,
                Code.DEADLINE_EXCEEDED,
                `${type} ${id} did not reach the expected state within ${seconds(timeoutMs)} (last phase: ${last?.metadata.phase ?? "absent"}, finalizers: ${last?.metadata.finalizers.join(", ") || "none"})`,
              ),
            ),
          ),
        timeoutMs,
      );
      stream.on("data", (msg) => {
        if (first && (msg.event ?? []).length === 0) {
          first = false; // the server opens every watch with an empty message
          return;
        }
        first = false;
        for (const ev of msg.event ?? []) {
          if (ev.eventType === "ERRORED")
            return finish(() => reject(new OmniApiError("Watch", this.endpoint, Code.UNKNOWN, ev.error ?? "watch error")));
          if (ev.eventType === "BOOTSTRAPPED" || ev.eventType === "NOOP") continue;
          last = ev.eventType === "DESTROYED" ? undefined : fromWire(ev.resource);
          o.onUpdate?.(last);
          if (done(last)) return finish(() => resolve(last));
        }
      });
      stream.on("error", (err: GrpcLikeError) => {
        if (err.code === Code.CANCELLED && settled) return;
        finish(() => reject(new OmniApiError("Watch", this.endpoint, err.code ?? Code.UNKNOWN, err.details ?? err.message)));
      });
      stream.on("end", () => finish(() => reject(new OmniApiError("Watch", this.endpoint, Code.UNAVAILABLE, "watch stream ended"))));
    });
  }

  /**
   * A kubeconfig for the cluster as an Omni service account (a JWT for Omni's Kubernetes proxy, not the
   * cluster's admin certificate). The cluster is named by the signed `context` header.
   */
  async kubeconfig(cluster: string, o: { ttlSeconds: number; user: string; groups: readonly string[] }): Promise<string> {
    const res = await this.unary<{ kubeconfig?: Buffer }>(
      "management",
      "Kubeconfig",
      {
        serviceAccount: true,
        serviceAccountTtl: { seconds: String(o.ttlSeconds), nanos: 0 },
        serviceAccountUser: o.user,
        serviceAccountGroups: [...o.groups],
      },
      { extra: { context: cluster } },
    );
    return Buffer.from(res.kubeconfig ?? Buffer.alloc(0)).toString("utf8");
  }
}

export { fromWire, parseEndpoint, toWire, type LabelSelector } from "./wire";
