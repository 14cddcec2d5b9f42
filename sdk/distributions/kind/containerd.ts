/**
 * containerd registry host files (`/etc/containerd/certs.d/<host>/hosts.toml`). Kind node images since kind
 * v0.27 read `certs.d` by default, so mirrors need no `config.toml` patch: one file per registry host, written
 * before the node starts.
 */
export interface HostsTomlInput {
  /** The upstream the node falls back to (`server = …`). */
  readonly server: string;
  /** Mirrors tried first, in order (e.g. `http://dev-docker.io:5000`). */
  readonly mirrors: readonly string[];
}

function quote(s: string): string {
  return JSON.stringify(s); // TOML basic strings share JSON's escaping for the characters URLs contain
}

/** Render one `hosts.toml`. */
export function renderHostsToml(input: HostsTomlInput): string {
  const lines = [`server = ${quote(input.server)}`];
  for (const m of input.mirrors) {
    lines.push("", `[host.${quote(m)}]`, `  capabilities = ["pull", "resolve"]`);
    if (m.startsWith("http://")) lines.push("  skip_verify = true");
  }
  return lines.join("\n") + "\n";
}

/** Path of the hosts file for a registry host (`host[:port]`). */
export function hostsTomlPath(host: string): string {
  return `/etc/containerd/certs.d/${host}/hosts.toml`;
}

/** Upstream `server` containerd uses for a registry host (`docker.io` is served by registry-1.docker.io). */
export function containerdServer(host: string, upstream: string): string {
  return host === "docker.io" ? "https://registry-1.docker.io" : upstream;
}
