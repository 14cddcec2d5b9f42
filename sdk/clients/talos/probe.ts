/**
 * Why a Talos endpoint does not answer: is the node gone (nothing listens, the connection times out or is refused),
 * or does it refuse our credentials (a TLS alert, or a server certificate the cluster CA did not sign)? gRPC reports
 * both as Unavailable, and a delete must never skip its reset or etcd leave because of the second.
 */
import * as net from "node:net";
import * as tls from "node:tls";
import { normalizeCredentials, splitEndpoint, type TalosCredentials } from "./talosconfig";
import { seconds } from "../../errors";

export type ProbeResult =
  | { readonly kind: "accepted" }
  | { readonly kind: "unreachable"; readonly detail: string }
  | { readonly kind: "rejected"; readonly detail: string }
  | { readonly kind: "untrusted"; readonly detail: string };

/** One TLS handshake with the client certificate; `timeoutMs` bounds the connect and the wait for a late alert. */
export function probeTls(endpoint: string, creds: TalosCredentials, timeoutMs = 5_000): Promise<ProbeResult> {
  const { host, port } = splitEndpoint(endpoint);
  const c = normalizeCredentials(creds);
  return new Promise((resolve) => {
    let done = false;
    const finish = (r: ProbeResult) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(r);
    };
    const socket = tls.connect({
      host,
      port,
      ca: c.ca,
      cert: c.crt,
      key: c.key,
      ALPNProtocols: ["h2"],
      rejectUnauthorized: false,
      ...(net.isIP(host) === 0 ? { servername: host } : {}),
    });
    const timer = setTimeout(
      () =>
        finish(
          socket.encrypted && socket.authorized
            ? { kind: "accepted" }
            : { kind: "unreachable", detail: `no answer within ${seconds(timeoutMs)}` },
        ),
      timeoutMs,
    );
    socket.on("secureConnect", () => {
      if (!socket.authorized) {
        finish({
          kind: "untrusted",
          detail: `the server certificate does not chain to the cluster's Talos CA (${String(socket.authorizationError)})`,
        });
        return;
      }
      // TLS 1.3: a server that refuses the client certificate says so after the handshake, with an alert.
      socket.write(Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"));
      setTimeout(() => finish({ kind: "accepted" }), Math.min(500, timeoutMs));
    });
    socket.on("error", (e: NodeJS.ErrnoException) => {
      const msg = e.message ?? String(e);
      if (/alert|certificate|handshake|ssl|tls/i.test(msg) && !/ECONN|EHOST|ENET|ETIMEDOUT/.test(e.code ?? ""))
        finish({ kind: "rejected", detail: msg.trim() });
      else finish({ kind: "unreachable", detail: `${e.code ?? ""} ${msg}`.trim() });
    });
  });
}
