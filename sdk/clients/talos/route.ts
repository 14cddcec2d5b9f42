/**
 * One node of a Talos cluster as the API reaches it: the apid endpoints to dial (the node's own, or control
 * planes' when the node is only reachable on a private network) and the node's address for `node` routing.
 * apid proxies a call carrying `node` metadata one-to-one to that address (siderolabs/talos
 * internal/app/apid/pkg/director/director.go), so a worker whose apid is firewalled to the private network is
 * reached through any control plane. When the endpoint in use stops answering (it is the control plane being
 * rebooted), the next one is tried.
 */
import { TalosClient, type CallOptions } from "./client";
import { Code, type RetryOptions, withRetry, isRetryable } from "./retry";

export interface NodeRoute {
  /** apid endpoints (`host[:port]`), in order of preference. At least one. */
  readonly endpoints: readonly string[];
  /** The node's address for `node` metadata; without it the endpoints must be the node's own apid. */
  readonly node?: string;
}

export interface NodeApiOptions {
  /** Admin talosconfig (mTLS); omit with `insecure` for a node in maintenance mode. */
  readonly talosconfig?: string;
  readonly insecure?: boolean;
  /** Per-call deadline, ms. @default 15000 */
  readonly timeoutMs?: number;
  /** Require the server certificate to name the dialled host. @default true */
  readonly strictServerName?: boolean;
}

/**
 * The route a machine's node description gives: its endpoint, then the `via` endpoints, routed to `address`.
 * Without an address the other endpoints would answer for themselves, so `via` is only used with one.
 */
export function routeOf(n: { readonly endpoint: string; readonly address?: string; readonly via?: readonly string[] }): NodeRoute {
  if (!n.address) return { endpoints: [n.endpoint] };
  return { endpoints: [n.endpoint, ...(n.via ?? []).filter((e) => e !== n.endpoint)], node: n.address };
}

/** A short label for messages: `10.0.1.3 via 1.2.3.4:50000`. */
export function describeRoute(r: NodeRoute): string {
  return r.node ? `${r.node} via ${r.endpoints.join(" or ")}` : r.endpoints.join(" or ");
}

/**
 * A routed handle on one node: every call goes through the current endpoint with the node's routing metadata;
 * a retryable failure moves to the next endpoint for the next attempt. Call `close()` when done.
 */
export class NodeApi {
  readonly route: NodeRoute;
  private readonly clients: TalosClient[];
  private current = 0;

  constructor(route: NodeRoute, opts: NodeApiOptions) {
    if (route.endpoints.length === 0) throw new Error("NodeApi: a route needs at least one endpoint");
    this.route = route;
    this.clients = route.endpoints.map(
      (endpoint) =>
        new TalosClient({
          endpoint,
          talosconfig: opts.insecure ? undefined : opts.talosconfig,
          insecure: opts.insecure,
          node: route.node,
          timeoutMs: opts.timeoutMs ?? 15_000,
          strictServerName: opts.strictServerName,
          retry: { maxAttempts: 1 },
        }),
    );
  }

  /** The endpoint the next call goes to. */
  get endpoint(): string {
    return this.route.endpoints[this.current];
  }

  /**
   * Run `fn` against the current endpoint until it succeeds, fails with a code the policy does not retry, or the
   * budget is spent. Each retryable failure rotates to the next endpoint.
   */
  run<T>(fn: (c: TalosClient, o: CallOptions) => Promise<T>, retry: RetryOptions = {}): Promise<T> {
    const retryOn = retry.retryOn ?? [Code.UNAVAILABLE];
    return withRetry(
      async () => {
        const c = this.clients[this.current];
        try {
          return await fn(c, { retry: { maxAttempts: 1 } });
        } catch (e) {
          if (isRetryable(e, retryOn) && this.clients.length > 1) this.current = (this.current + 1) % this.clients.length;
          throw e;
        }
      },
      { ...retry, retryOn },
    );
  }

  close(): void {
    for (const c of this.clients) c.close();
  }
}
