import * as net from "node:net";
import * as tls from "node:tls";
import * as grpc from "@grpc/grpc-js";
import { serviceClient } from "./proto";
import { Code, type GrpcLikeError, withRetry } from "./retry";
import { readTarGzEntry } from "./tar";
import {
  TalosApiError,
  checkEnvelope,
  type ApplyMode,
  type ApplyResult,
  type CallOptions,
  type EtcdMember,
  type Envelope,
  type ServiceStatus,
  type TalosClientOptions,
  type TalosResource,
  type VersionResult,
} from "./messages";
import { normalizeCredentials, parseTalosconfig, splitEndpoint } from "./talosconfig";

/**
 * A minimal Talos machine API client over @grpc/grpc-js: mTLS with the admin talosconfig (or insecure
 * maintenance mode), `node` routing, per-call deadlines and Unavailable retries. One channel per client;
 * call `close()` when done.
 */
export class TalosClient {
  readonly endpoint: string;
  private readonly client: grpc.Client & Record<string, any>;
  private readonly services: Partial<Record<"ImageService" | "LifecycleService" | "State", grpc.Client & Record<string, any>>> = {};
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
      const strict = opts.strictServerName !== false;
      const expected = opts.serverName ?? host;
      channelCreds = grpc.credentials.createSsl(Buffer.from(c.ca), Buffer.from(c.key), Buffer.from(c.crt), {
        // The chain is verified by TLS against the pinned CA before this runs. The name check compares the
        // certificate with the host dialled (an IP endpoint is checked against the certificate's IP SANs), not
        // with the DNS-style server name sent below.
        checkServerIdentity: (_serverName, cert) => (strict ? tls.checkServerIdentity(expected, cert) : undefined),
      });
    }
    const Ctor = serviceClient("MachineService");
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
    for (const c of Object.values(this.services)) c?.close();
    this.client.close();
  }

  /** Another service's client on the same channel (same credentials, same connection). */
  private service(name: "ImageService" | "LifecycleService" | "State"): grpc.Client & Record<string, any> {
    const Ctor = serviceClient(name);
    return (this.services[name] ??= new Ctor(this.endpoint, grpc.credentials.createInsecure(), {
      channelOverride: this.client.getChannel(),
    }) as grpc.Client & Record<string, any>);
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
    const res = await this.call<{ messages?: T[] }>(this.client, method, req, o, (r) => {
      const messages = r.messages ?? [];
      for (const m of messages) checkEnvelope(method, this.target(o?.node ?? this.opts.node), m);
    });
    return res.messages ?? [];
  }

  /** One unary call with routing metadata, deadline and the retry policy; `check` may reject a response. */
  private async call<R>(
    client: grpc.Client & Record<string, any>,
    method: string,
    req: object,
    o?: CallOptions,
    check?: (r: R) => void,
  ): Promise<R> {
    const node = o?.node ?? this.opts.node;
    const retry = o?.retry ?? this.opts.retry ?? {};
    return withRetry(async () => {
      const res = await new Promise<R>((resolve, reject) => {
        client[method](req, this.metadata(node), { deadline: this.deadline(o) }, (err: GrpcLikeError | null, r: R) => {
          if (err) reject(new TalosApiError(method, this.target(node), err.code ?? Code.UNKNOWN, err.details ?? err.message));
          else resolve(r);
        });
      });
      check?.(res);
      return res;
    }, retry);
  }

  /** A server-streaming call collected into its messages (each checked by `check`), with retries. */
  private async stream<M>(
    client: grpc.Client & Record<string, any>,
    method: string,
    req: object,
    o?: CallOptions,
    check?: (m: M) => void,
  ): Promise<M[]> {
    const node = o?.node ?? this.opts.node;
    const retry = o?.retry ?? this.opts.retry ?? {};
    return withRetry(
      () =>
        new Promise<M[]>((resolve, reject) => {
          const out: M[] = [];
          const s = client[method](req, this.metadata(node), { deadline: this.deadline(o) }) as grpc.ClientReadableStream<M>;
          s.on("data", (d: M) => {
            try {
              check?.(d);
              out.push(d);
            } catch (e) {
              s.cancel();
              reject(e);
            }
          });
          s.on("error", (err: GrpcLikeError) =>
            reject(new TalosApiError(method, this.target(node), err.code ?? Code.UNKNOWN, err.details ?? err.message)),
          );
          s.on("end", () => resolve(out));
        }),
      retry,
    );
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
      const chunks = await this.stream<Envelope & { bytes?: Buffer }>(
        this.client,
        "Kubeconfig",
        {},
        { ...o, retry: { maxAttempts: 1 } },
        (d) => checkEnvelope("Kubeconfig", this.target(node), d),
      );
      const archive = Buffer.concat(chunks.filter((d) => d.bytes && d.bytes.length > 0).map((d) => Buffer.from(d.bytes!)));
      if (archive.length === 0) throw new TalosApiError("Kubeconfig", this.target(node), Code.UNAVAILABLE, "empty kubeconfig stream");
      const file = readTarGzEntry(archive, "kubeconfig");
      if (!file) throw new TalosApiError("Kubeconfig", this.target(node), Code.UNKNOWN, "archive has no kubeconfig entry");
      return file.toString("utf8");
    }, retry);
  }

  /**
   * Reboot the node (FailedPrecondition in container mode: restart the container instead). `FORCE` skips the
   * graceful shutdown of services (Talos 1.11+); the default lets Talos stop services (and etcd) cleanly.
   */
  async reboot(req: { mode?: "DEFAULT" | "POWERCYCLE" | "FORCE" } = {}, o?: CallOptions): Promise<void> {
    await this.unary("Reboot", { mode: req.mode ?? "DEFAULT" }, o);
  }

  /**
   * The legacy upgrade (one call: pull, install and reboot; deprecated since Talos 1.13, to be removed in 1.18).
   * `preserve` defaults to false: on a control plane Talos then checks etcd before it starts
   * (`ValidateForUpgrade` runs only when neither force nor preserve is set), as talosctl does.
   */
  async upgrade(
    req: { image: string; preserve?: boolean; stage?: boolean; force?: boolean; rebootMode?: "DEFAULT" | "POWERCYCLE" },
    o?: CallOptions,
  ): Promise<{ ack: string }> {
    const [m] = await this.unary<Envelope & { ack?: string }>(
      "Upgrade",
      {
        image: req.image,
        preserve: req.preserve ?? false,
        stage: req.stage ?? false,
        force: req.force ?? false,
        rebootMode: req.rebootMode ?? "DEFAULT",
      },
      o,
    );
    return { ack: m?.ack ?? "" };
  }

  /** Pull an image into the node's system containerd (`ImageService.Pull`, Talos 1.13+); returns its name. */
  async imagePull(imageRef: string, o?: CallOptions): Promise<string> {
    const msgs = await this.stream<{ name?: string }>(
      this.service("ImageService"),
      "Pull",
      {
        containerd: { driver: "CONTAINERD", namespace: "NS_SYSTEM" },
        imageRef,
      },
      o,
    );
    return (
      msgs
        .map((m) => m.name ?? "")
        .filter((n) => n !== "")
        .at(-1) ?? imageRef
    );
  }

  /**
   * Install a Talos image without rebooting (`LifecycleService.Upgrade`, Talos 1.13+; the image must have been
   * pulled). Resolves with the installer's progress lines; a non-zero exit code is an error. A Reboot then
   * boots the new version.
   */
  async lifecycleUpgrade(imageRef: string, o?: CallOptions): Promise<string[]> {
    const msgs = await this.stream<{ progress?: { message?: string; exitCode?: number; response?: string } }>(
      this.service("LifecycleService"),
      "Upgrade",
      { containerd: { driver: "CONTAINERD", namespace: "NS_SYSTEM" }, source: { imageName: imageRef } },
      o,
    );
    const lines = msgs.map((m) => m.progress?.message ?? "").filter((l) => l !== "");
    const exit = msgs.map((m) => m.progress).find((p) => p?.response === "exitCode");
    if (exit === undefined)
      throw new TalosApiError(
        "LifecycleService.Upgrade",
        this.target(o?.node ?? this.opts.node),
        Code.UNKNOWN,
        "the installer did not report an exit code",
      );
    if (exit.exitCode !== 0) {
      throw new TalosApiError(
        "LifecycleService.Upgrade",
        this.target(o?.node ?? this.opts.node),
        Code.UNKNOWN,
        `the installer exited with code ${exit.exitCode}: ${lines.slice(-3).join(" | ")}`,
      );
    }
    return lines;
  }

  /**
   * Reset (wipe) the node. Talos answers at once and runs the reset in the background. `partitions` limits the
   * wipe to those system partitions (`STATE`, `EPHEMERAL`: the node comes back without config); without it the
   * whole system disk is wiped. `graceful` makes Talos cordon, drain and leave etcd inside the reset.
   */
  async reset(
    req: { graceful?: boolean; reboot?: boolean; mode?: "ALL" | "SYSTEM_DISK" | "USER_DISKS"; partitions?: readonly string[] } = {},
    o?: CallOptions,
  ): Promise<void> {
    await this.unary(
      "Reset",
      {
        graceful: req.graceful ?? true,
        reboot: req.reboot ?? false,
        mode: req.mode ?? "ALL",
        systemPartitionsToWipe: (req.partitions ?? []).map((label) => ({ label, wipe: true })),
      },
      o,
    );
  }

  /** The node's services and their health (`ServiceList`): etcd, kubelet, apid, trustd... */
  async serviceList(o?: CallOptions): Promise<ServiceStatus[]> {
    const [m] = await this.unary<Envelope & { services?: any[] }>("ServiceList", {}, o);
    return (m?.services ?? []).map((x) => ({
      id: x.id ?? "",
      state: x.state ?? "",
      healthy: x.health?.healthy === true,
      healthUnknown: x.health?.unknown === true,
      lastMessage: x.health?.lastMessage ?? "",
    }));
  }

  /** One resource from the node's COSI state (`talosctl get <type> <id> -n <node>`). NotFound keeps its code. */
  async getResource(namespace: string, type: string, id: string, o?: CallOptions): Promise<TalosResource> {
    const r = await this.call<{ resource?: { metadata?: any; spec?: { yamlSpec?: string } } }>(
      this.service("State"),
      "Get",
      { namespace, type, id },
      o,
    );
    const md = r.resource?.metadata ?? {};
    return {
      namespace: md.namespace ?? namespace,
      type: md.type ?? type,
      id: md.id ?? id,
      version: md.version ?? "",
      phase: md.phase ?? "",
      yamlSpec: r.resource?.spec?.yamlSpec ?? "",
    };
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

  /** Remove a member from etcd by its id (a member whose node is gone and cannot leave by itself). */
  async etcdRemoveMemberById(memberId: string, o?: CallOptions): Promise<void> {
    await this.unary("EtcdRemoveMemberByID", { memberId }, o);
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

export {
  TalosApiError,
  hasCode,
  type ApplyMode,
  type ApplyResult,
  type CallOptions,
  type EtcdMember,
  type ServiceStatus,
  type TalosClientOptions,
  type TalosResource,
  type VersionResult,
} from "./messages";
