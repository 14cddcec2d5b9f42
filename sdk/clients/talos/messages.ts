/** The Talos machine API's messages as the client returns them, its error type and the per-node envelope check. */
import { Code, type RetryOptions } from "./retry";
import type { TalosCredentials } from "./talosconfig";

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
   * Require the server certificate to name the host dialled (or `serverName`). @default true. Talos issues
   * apid's certificate for the node's addresses, its hostname and `machine.certSANs`; the rendered configs add
   * 127.0.0.1 and the cluster endpoint there, so port-mapped and VIP endpoints verify. `false` keeps only the
   * chain check against the pinned OS CA (any node of the cluster is then accepted for any endpoint).
   */
  readonly strictServerName?: boolean;
  /** The name the server certificate must carry when it is not the host dialled (a DNS SAN or an address). */
  readonly serverName?: string;
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

export interface ServiceStatus {
  readonly id: string;
  /** `Running`, `Waiting`, `Preparing`, `Finished`, `Failed`... */
  readonly state: string;
  readonly healthy: boolean;
  /** No health check result yet. */
  readonly healthUnknown: boolean;
  readonly lastMessage: string;
}

/** A COSI resource as Talos serves it: metadata and the YAML spec. */
export interface TalosResource {
  readonly namespace: string;
  readonly type: string;
  readonly id: string;
  readonly version: string;
  readonly phase: string;
  readonly yamlSpec: string;
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

export interface Envelope {
  metadata?: { hostname?: string; error?: string; status?: { code?: number; message?: string } | null } | null;
}

/** apid reports per-node failures of proxied calls inside the message metadata, not as a call status. */
export function checkEnvelope(method: string, target: string, m: Envelope): void {
  const md = m?.metadata;
  if (md?.error) throw new TalosApiError(method, `${target} [${md.hostname ?? "?"}]`, md.status?.code || Code.UNKNOWN, md.error);
}

/** True for a TalosApiError (or gRPC error) with the given status code. */
export function hasCode(err: unknown, code: number): boolean {
  return (err as { code?: unknown } | null)?.code === code;
}
