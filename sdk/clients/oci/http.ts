/**
 * The one HTTP(S) request primitive of the OCI client, on `node:http`/`node:https` (not `fetch`): a
 * registry with a private CA needs `ca`, loopback registries speak plain HTTP, and uploads must send an
 * exact `Content-Length`. Bodies are small (a manifest tree's layer), so they are buffered.
 */
import * as http from "node:http";
import * as https from "node:https";
import { seconds } from "../../errors";

export interface HttpRequest {
  readonly method: string;
  readonly url: string;
  readonly headers?: Record<string, string>;
  readonly body?: Buffer;
  /** Per-request timeout (connect to last byte). */
  readonly timeoutMs: number;
  /** PEM bundle trusted for HTTPS (added to nothing: it replaces the system roots, like `curl --cacert`). */
  readonly ca?: string;
  /** Skip TLS verification. Only for tests and explicitly insecure registries. */
  readonly insecureSkipVerify?: boolean;
}

export interface HttpResponse {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: Buffer;
}

/** A transport failure (no HTTP status): connection refused, reset, TLS, timeout. */
export class TransportError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
    this.name = "TransportError";
  }
}

export function httpRequest(req: HttpRequest): Promise<HttpResponse> {
  const url = new URL(req.url);
  const isHttps = url.protocol === "https:";
  const mod = isHttps ? https : http;
  const headers: Record<string, string> = { ...(req.headers ?? {}) };
  if (req.body !== undefined) headers["Content-Length"] = String(req.body.length);
  return new Promise((resolve, reject) => {
    const r = mod.request(
      url,
      {
        method: req.method,
        headers,
        ...(isHttps ? { ca: req.ca, rejectUnauthorized: req.insecureSkipVerify !== true } : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on("error", (e) =>
          reject(new TransportError(`${req.method} ${req.url}: ${e.message}`, (e as NodeJS.ErrnoException).code ?? "EIO")),
        );
      },
    );
    r.setTimeout(req.timeoutMs, () => {
      r.destroy(new TransportError(`${req.method} ${req.url}: no answer within ${seconds(req.timeoutMs)}`, "ETIMEDOUT"));
    });
    r.on("error", (e) => {
      if (e instanceof TransportError) reject(e);
      else reject(new TransportError(`${req.method} ${req.url}: ${e.message}`, (e as NodeJS.ErrnoException).code ?? "EIO"));
    });
    r.end(req.body);
  });
}
