/**
 * `spec.cluster.localRegistry.registry`: `[user:pass@]host[:port][/path[:tag]]`, as KSail parses it.
 * Pure parsing and redaction; the impact engine compares redacted strings.
 */
export interface RegistrySpec {
  /** The original text (empty input → `localhost:5050`). */
  readonly raw: string;
  readonly username: string;
  readonly password: string;
  readonly host: string;
  /** Port; 5050 for localhost/127.0.0.1 without one; 0 (HTTPS default) for external hosts without one. */
  readonly port: number;
  readonly path: string;
  readonly tag: string;
  /** True when the host is not localhost/127.0.0.1 (an external registry reached over HTTPS). */
  readonly external: boolean;
}

export const DEFAULT_LOCAL_REGISTRY = "localhost:5050";

/** Container (and DNS) name of a Docker cluster's local registry: `<cluster>-local-registry`. */
export function localRegistryContainerName(clusterName: string): string {
  return `${clusterName}-local-registry`;
}
const LOCAL_HOSTS = new Set(["localhost", "127.0.0.1"]);

export function parseRegistrySpec(spec: string): RegistrySpec {
  const raw = spec.trim() === "" ? DEFAULT_LOCAL_REGISTRY : spec.trim();
  let rest = raw;
  let username = "";
  let password = "";
  const at = rest.indexOf("@");
  if (at >= 0) {
    const cred = rest.slice(0, at);
    rest = rest.slice(at + 1);
    const colon = cred.indexOf(":");
    username = colon >= 0 ? cred.slice(0, colon) : cred;
    password = colon >= 0 ? cred.slice(colon + 1) : "";
  }
  let path = "";
  let tag = "";
  const slash = rest.indexOf("/");
  if (slash >= 0) {
    path = rest.slice(slash + 1);
    rest = rest.slice(0, slash);
    const tagColon = path.lastIndexOf(":");
    if (tagColon >= 0) {
      tag = path.slice(tagColon + 1);
      path = path.slice(0, tagColon);
    }
  }
  let host = rest;
  let port = -1;
  const colon = rest.lastIndexOf(":");
  if (colon >= 0) {
    const p = Number(rest.slice(colon + 1));
    if (/^[0-9]+$/.test(rest.slice(colon + 1)) && p > 0) {
      host = rest.slice(0, colon);
      port = p;
    }
  }
  const external = !LOCAL_HOSTS.has(host);
  if (port < 0) port = external ? 0 : 5050;
  return { raw, username, password, host, port, path, tag, external };
}

/** `user:pass@host` → `user:****@host`; `user:@host`, `user@host` and credential-free specs are unchanged. */
export function redactRegistry(spec: string): string {
  const at = spec.indexOf("@");
  if (at < 0) return spec;
  const cred = spec.slice(0, at);
  const colon = cred.indexOf(":");
  if (colon < 0 || colon === cred.length - 1) return spec;
  return `${cred.slice(0, colon)}:****${spec.slice(at)}`;
}

/**
 * KSail's repository name for a source directory: lower-case, path separators kept, other runs → "-". An
 * absolute directory (the loader rebases relative ones on the project) contributes its last segment.
 */
export function sanitizeRepoName(dir: string): string {
  const rel = dir.startsWith("/") ? (dir.replace(/\/+$/, "").split("/").pop() ?? "") : dir;
  const s = rel
    .replace(/^\.\/+/, "")
    .replace(/\/+$/, "")
    .toLowerCase()
    .replace(/[^a-z0-9._/-]+/g, "-")
    .replace(/^[-./]+/, "");
  return s === "" ? "k8s" : s;
}
