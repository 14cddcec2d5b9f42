import * as https from "node:https";
import { URL } from "node:url";
import { seconds } from "../errors";

/** Connection details taken from a kubeconfig's current context. */
export interface KubeConnection {
  readonly server: string;
  readonly caPem: string;
  readonly certPem: string;
  readonly keyPem: string;
  /** The kubeconfig's `tls-server-name`. */
  readonly serverName?: string;
}

/** One HTTP answer. `body` is parsed JSON when the response was JSON, else the text. */
export interface KubeResponse {
  readonly status: number;
  readonly body: any;
}

/**
 * A tiny Kubernetes API client over node:https that authenticates with the kubeconfig's client
 * certificate and verifies the server against the kubeconfig's CA. One request per call, no keep-alive, a
 * deadline on every request. Network errors reject; HTTP errors resolve with their status.
 */
export class KubeClient {
  constructor(
    private readonly conn: KubeConnection,
    private readonly requestTimeoutMs = 10_000,
  ) {}

  get server(): string {
    return this.conn.server;
  }

  /** One request; `contentType` for PATCH bodies (`application/merge-patch+json`). */
  request(method: string, path: string, body?: unknown, contentType = "application/json"): Promise<KubeResponse> {
    const url = new URL(path, this.conn.server.endsWith("/") ? this.conn.server : `${this.conn.server}/`);
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body), "utf8");
    return new Promise((resolve, reject) => {
      const req = https.request(
        url,
        {
          method,
          ca: this.conn.caPem,
          cert: this.conn.certPem,
          key: this.conn.keyPem,
          // The kubeconfig's `tls-server-name`: the name the server's certificate is checked against instead of the host dialled.
          ...(this.conn.serverName ? { servername: this.conn.serverName } : {}),
          agent: false,
          timeout: this.requestTimeoutMs,
          headers: {
            accept: "application/json",
            ...(payload ? { "content-type": contentType, "content-length": payload.length } : {}),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () => {
            const text = Buffer.concat(chunks).toString("utf8");
            let parsed: unknown = text;
            if (String(res.headers["content-type"] ?? "").includes("json")) {
              try {
                parsed = JSON.parse(text);
              } catch {
                parsed = text;
              }
            }
            resolve({ status: res.statusCode ?? 0, body: parsed });
          });
          res.on("error", reject);
        },
      );
      req.on("timeout", () => req.destroy(new Error(`${method} ${url.pathname} timed out after ${seconds(this.requestTimeoutMs)}`)));
      req.on("error", reject);
      if (payload) req.write(payload);
      req.end();
    });
  }

  get(path: string): Promise<KubeResponse> {
    return this.request("GET", path);
  }
}

/** A short text for a failed response (the Status message when the server sent one). */
export function describeResponse(r: KubeResponse): string {
  const msg = r.body && typeof r.body === "object" && typeof r.body.message === "string" ? r.body.message : String(r.body).slice(0, 200);
  return `HTTP ${r.status}${msg ? `: ${msg}` : ""}`;
}
