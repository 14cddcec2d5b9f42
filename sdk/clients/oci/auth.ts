/**
 * Registry authentication as the Distribution spec and Docker's token spec describe it: a request without
 * credentials gets `401` with `WWW-Authenticate: Basic realm="…"` or
 * `Bearer realm="…",service="…",scope="…"`; Basic is answered with the credentials on every request, Bearer
 * with a token fetched from the realm (`GET realm?service=…&scope=…`, with the credentials as Basic auth
 * when there are any, anonymous otherwise) whose JSON answer carries `token` or `access_token`.
 */

export interface Challenge {
  /** Lower-case scheme: "basic" or "bearer" (others are reported as unsupported). */
  readonly scheme: string;
  readonly params: Readonly<Record<string, string>>;
}

/** Parses one `WWW-Authenticate` header value (one challenge; registries send one). */
export function parseChallenge(header: string): Challenge | undefined {
  const m = /^\s*([A-Za-z][A-Za-z0-9._~+/-]*)\s*(.*)$/.exec(header);
  if (!m) return undefined;
  const params: Record<string, string> = {};
  const re = /([A-Za-z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))\s*,?/g;
  let p: RegExpExecArray | null;
  while ((p = re.exec(m[2])) !== null) {
    if (p[0] === "") break;
    params[p[1].toLowerCase()] = p[2] !== undefined ? p[2].replace(/\\(.)/g, "$1") : (p[3] ?? "");
  }
  return { scheme: m[1].toLowerCase(), params };
}

export function basicHeader(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`, "utf8").toString("base64")}`;
}

/** The token in a token-server answer (`token`, or the OAuth2 `access_token`). */
export function tokenFromResponse(body: unknown): string | undefined {
  if (body === null || typeof body !== "object") return undefined;
  const o = body as Record<string, unknown>;
  const t = typeof o.token === "string" && o.token !== "" ? o.token : o.access_token;
  return typeof t === "string" && t !== "" ? t : undefined;
}
