import * as net from "node:net";
import * as tls from "node:tls";
import * as grpc from "@grpc/grpc-js";
import { machineServiceClient } from "./proto";
import { Code, type GrpcLikeError, type RetryOptions, withRetry } from "./retry";
import { readTarGzEntry } from "./tar";
import { normalizeCredentials, parseTalosconfig, splitEndpoint, type TalosCredentials } from "./talosconfig";

export type ApplyMode = "REBOOT" | "AUTO" | "NO_REBOOT" | "STAGED" | "TRY";

export interface TalosClientOptions {
  /** apid endpoint, `host[:port]` (port defaults to 50000). Defaults to the talosconfig's first endpoint. */
  readonly endpoint?: string;
  /** mTLS credentials (PEM or base64 of PEM; the Talos key label is accepted). */
  readonly credentials?: TalosCredentials;
  /** A talosconfig YAML; used when `credentials` is not given. */
  readonly talosconfig?: string;
  /**
   * Maintenance mode: TLS without a client certificate and without server verification (the node
   * has no config yet, so it has no identity to verify). Only for the first apply on metal.
   */
  readonly insecure?: boolean;
  /** Default `node` routing metadata: apid on `endpoint` proxies the call to this node. */
  readonly node?: string;
  /** Per-call deadline, ms. @default 30000 */
  readonly timeoutMs?: number;
  /** Retry policy for every call. @default Unavailable retried for up to 60 s */
  readonly retry?: RetryOptions;
  /**
   * Require the server certificate to name the endpoint host. @default false: the chain is always
   * verified against the pinned OS CA, but apid certificates lack port-mapped addresses (127.0.0.1) and
   * VIPs (Talos issues apid's certificate for the node's own addresses and hostname), so the name check is
   * relaxed by default.
   */
  readonly strictServerName?: boolean;
}

export interface CallOptions {
  /** Route this call to another node through the endpoint (`node` metadata). */
  readonly node?: string;
  readonly timeoutMs?: number;
  readonly retry?: RetryOptions;
}

export interface VersionResult {
  readonly hostname: string;
  readonly tag: string;
  readonly sha: string;
  readonly arch: string;
  readonly platform: { readonly name: string; readonly mode: string };
}

export interface ApplyResult {
  readonly hostname: string;
  readonly mode: ApplyMode;
  readonly modeDetails: string;
  readonly warnings: readonly string[];
}

export interface EtcdMember {
  readonly id: string;
  readonly hostname: string;
  readonly peerUrls: readonly string[];
  readonly clientUrls: readonly string[];
  readonly isLearner: boolean;
}

/** A Talos API failure: the method, endpoint and node, with the gRPC status code kept in `code`. */
export class TalosApiError extends Error {
  readonly code: number;
  readonly details: string;
  constructor(method: string, target: string, code: number, details: string) {
    const codeName = Object.entries(Code).find(([, v]) => v === code)?.[0] ?? String(code);
    super(`Talos API ${method} on ${target} failed: ${codeName}: ${details}`);
    this.name = "TalosApiError";
    this.code = code;
    this.details = details;
  }
}

interface Envelope {
  metadata?: { hostname?: string; error?: string; status?: { code?: number; message?: string } | null } | null;
}

/**
 * A minimal Talos machine API client over @grpc/grpc-js: mTLS with the admin talosconfig (or insecure
 * maintenance mode), `node` routing, per-call deadlines and Unavailable retries. One channel per client;
 * call `close()` when done.
 */
export class TalosClient {
  readonly endpoint: string;
  private readonly client: grpc.Client & Record<string, any>;
  private readonly opts: TalosClientOptions;

  constructor(opts: TalosClientOptions) {
    this.opts = opts;
    let creds = opts.credentials;
    let endpoint = opts.endpoint;
    if (!creds && opts.talosconfig) {
      const ctx = parseTalosconfig(opts.talosconfig);
      creds = ctx;
      endpoint ??= ctx.endpoints[0];
    }
    if (!endpoint) throw new Error("TalosClient: no endpoint (set endpoint or a talosconfig with endpoints)");
    const { host, port } = splitEndpoint(endpoint);
    this.endpoint = `${host.includes(":") ? `[${host}]` : host}:${port}`;
    let channelCreds: grpc.ChannelCredentials;
    if (opts.insecure) {
      channelCreds = grpc.credentials.createSsl(null, null, null, {
        rejectUnauthorized: false,
        checkServerIdentity: () => undefined,
      });
    } else {
      if (!creds) throw new Error("TalosClient: mTLS needs credentials or a talosconfig (or insecure: true)");
      const c = normalizeCredentials(creds);
      const strict = opts.strictServerName === true;
      channelCreds = grpc.credentials.createSsl(Buffer.from(c.ca), Buffer.from(c.key), Buffer.from(c.crt), {
        // The chain is verified by TLS against the pinned CA before this runs; only the name is relaxed.
        // The strict check compares the certificate with the host dialled (an IP endpoint is checked
        // against the certificate's IP SANs), not with the DNS-style server name sent below.
        checkServerIdentity: (_serverName, cert) => (strict ? tls.checkServerIdentity(host, cert) : undefined),
      });
    }
    const Ctor = machineServiceClient();
    // An IP endpoint is never sent as the TLS server name: RFC 6066 allows only DNS names there (Node warns
    // DEP0123, and a later Node ignores it). apid does not use SNI; identity is checked above.
    const sni = net.isIP(host) !== 0 ? { "grpc.ssl_target_name_override": "talos-apid" } : {};
    this.client = new Ctor(this.endpoint, channelCreds, {
      ...sni,
      "grpc.initial_reconnect_backoff_ms": 250,
      "grpc.max_reconnect_backoff_ms": 2000,
      "grpc.max_receive_message_length": 32 * 1024 * 1024,
    }) as grpc.Client & Record<string, any>;
  }

  close(): void {
    this.client.close();
  }

  private target(node?: string): string {
    return node ? `${this.endpoint} (node ${node})` : this.endpoint;
  }

  private metadata(node?: string): grpc.Metadata {
    const md = new grpc.Metadata();
    if (node) md.set("node", node);
    return md;
  }

  private deadline(o?: CallOptions): Date {
    return new Date(Date.now() + (o?.timeoutMs ?? this.opts.timeoutMs ?? 30_000));
  }

  private async unary<T extends Envelope>(method: string, req: object, o?: CallOptions): Promise<T[]> {
    const node = o?.node ?? this.opts.node;
    const retry = o?.retry ?? this.opts.retry ?? {};
    return withRetry(async () => {
      const res = await new Promise<{ messages?: T[] }>((resolve, reject) => {
        this.client[method](
          req,
          this.metadata(node),
          { deadline: this.deadline(o) },
          (err: GrpcLikeError | null, r: { messages?: T[] }) => {
            if (err) reject(new TalosApiError(method, this.target(node), err.code ?? Code.UNKNOWN, err.details ?? err.message));
            else resolve(r);
          },
        );
      });
      const messages = res.messages ?? [];
      for (const m of messages) checkEnvelope(method, this.target(node), m);
      return messages;
    }, retry);
  }

  /** Version of the node (also the cheapest liveness probe). */
  async version(o?: CallOptions): Promise<VersionResult> {
    const [m] = await this.unary<Envelope & { version?: any; platform?: any }>("Version", {}, o);
    return {
      hostname: m?.metadata?.hostname ?? "",
      tag: m?.version?.tag ?? "",
      sha: m?.version?.sha ?? "",
      arch: m?.version?.arch ?? "",
      platform: { name: m?.platform?.name ?? "", mode: m?.platform?.mode ?? "" },
    };
  }

  /** Apply a whole machine config. InvalidArgument (rejected config) is never retried. */
  async applyConfiguration(
    req: { data: string | Buffer; mode: ApplyMode; dryRun?: boolean; tryModeTimeoutSeconds?: number },
    o?: CallOptions,
  ): Promise<ApplyResult> {
    const body: Record<string, unknown> = {
      data: Buffer.isBuffer(req.data) ? req.data : Buffer.from(req.data, "utf8"),
      mode: req.mode,
      dryRun: req.dryRun ?? false,
    };
    if (req.tryModeTimeoutSeconds !== undefined) body.tryModeTimeout = { seconds: String(req.tryModeTimeoutSeconds), nanos: 0 };
    const [m] = await this.unary<Envelope & { mode?: ApplyMode; modeDetails?: string; warnings?: string[] }>("ApplyConfiguration", body, o);
    return {
      hostname: m?.metadata?.hostname ?? "",
      mode: m?.mode ?? req.mode,
      modeDetails: m?.modeDetails ?? "",
      warnings: m?.warnings ?? [],
    };
  }

  /** Bootstrap etcd on this control plane. Errors keep their code (AlreadyExists, FailedPrecondition). */
  async bootstrap(req: { recoverEtcd?: boolean; recoverSkipHashCheck?: boolean } = {}, o?: CallOptions): Promise<void> {
    await this.unary("Bootstrap", { recoverEtcd: req.recoverEtcd ?? false, recoverSkipHashCheck: req.recoverSkipHashCheck ?? false }, o);
  }

  /** Admin kubeconfig from a control plane: the streamed tar.gz is collected and unpacked. */
  async kubeconfig(o?: CallOptions): Promise<string> {
    const node = o?.node ?? this.opts.node;
    const retry = o?.retry ?? this.opts.retry ?? {};
    return withRetry(async () => {
      const chunks = await new Promise<Buffer[]>((resolve, reject) => {
        const out: Buffer[] = [];
        const stream = this.client.Kubeconfig({}, this.metadata(node), { deadline: this.deadline(o) }) as grpc.ClientReadableStream<
          Envelope & { bytes?: Buffer }
        >;
        stream.on("data", (d) => {
          try {
            checkEnvelope("Kubeconfig", this.target(node), d);
            if (d.bytes && d.bytes.length > 0) out.push(Buffer.from(d.bytes));
          } catch (e) {
            stream.cancel();
            reject(e);
          }
        });
        stream.on("error", (err: GrpcLikeError) =>
          reject(new TalosApiError("Kubeconfig", this.target(node), err.code ?? Code.UNKNOWN, err.details ?? err.message)),
        );
        stream.on("end", () => resolve(out));
      });
      const archive = Buffer.concat(chunks);
      if (archive.length === 0) throw new TalosApiError("Kubeconfig", this.target(node), Code.UNAVAILABLE, "empty kubeconfig stream");
      const file = readTarGzEntry(archive, "kubeconfig");
      if (!file) throw new TalosApiError("Kubeconfig", this.target(node), Code.UNKNOWN, "archive has no kubeconfig entry");
      return file.toString("utf8");
    }, retry);
  }

  /** Reboot the node (FailedPrecondition in container mode: restart the container instead). */
  async reboot(req: { mode?: "DEFAULT" | "POWERCYCLE" } = {}, o?: CallOptions): Promise<void> {
    await this.unary("Reboot", { mode: req.mode ?? "DEFAULT" }, o);
  }

  /** Upgrade the node to an installer image (not in container mode). */
  async upgrade(req: { image: string; preserve?: boolean; stage?: boolean; force?: boolean }, o?: CallOptions): Promise<{ ack: string }> {
    const [m] = await this.unary<Envelope & { ack?: string }>(
      "Upgrade",
      { image: req.image, preserve: req.preserve ?? true, stage: req.stage ?? false, force: req.force ?? false },
      o,
    );
    return { ack: m?.ack ?? "" };
  }

  /** Reset (wipe) the node. */
  async reset(
    req: { graceful?: boolean; reboot?: boolean; mode?: "ALL" | "SYSTEM_DISK" | "USER_DISKS" } = {},
    o?: CallOptions,
  ): Promise<void> {
    await this.unary("Reset", { graceful: req.graceful ?? true, reboot: req.reboot ?? false, mode: req.mode ?? "ALL" }, o);
  }

  /** etcd members as seen by this node. */
  async etcdMemberList(req: { queryLocal?: boolean } = {}, o?: CallOptions): Promise<EtcdMember[]> {
    const [m] = await this.unary<Envelope & { members?: any[] }>("EtcdMemberList", { queryLocal: req.queryLocal ?? false }, o);
    return (m?.members ?? []).map((x) => ({
      id: String(x.id ?? "0"),
      hostname: x.hostname ?? "",
      peerUrls: x.peerUrls ?? [],
      clientUrls: x.clientUrls ?? [],
      isLearner: x.isLearner === true,
    }));
  }

  /** Make this control plane leave etcd (before removing it). */
  async etcdLeaveCluster(o?: CallOptions): Promise<void> {
    await this.unary("EtcdLeaveCluster", {}, o);
  }

  /** Move etcd leadership away from this node (before rebooting it). */
  async etcdForfeitLeadership(o?: CallOptions): Promise<{ member: string }> {
    const [m] = await this.unary<Envelope & { member?: string }>("EtcdForfeitLeadership", {}, o);
    return { member: m?.member ?? "" };
  }
}

/** apid reports per-node failures of proxied calls inside the message metadata, not as a call status. */
function checkEnvelope(method: string, target: string, m: Envelope): void {
  const md = m?.metadata;
  if (md?.error) throw new TalosApiError(method, `${target} [${md.hostname ?? "?"}]`, md.status?.code || Code.UNKNOWN, md.error);
}

/** True for a TalosApiError (or gRPC error) with the given status code. */
export function hasCode(err: unknown, code: number): boolean {
  return (err as { code?: unknown } | null)?.code === code;
}
