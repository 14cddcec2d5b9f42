/**
 * Pull-through registry mirrors of a Docker cluster, as KSail takes them: `--mirror-registry` specs
 * `[user:pass@]host[=upstream]` (a list replaces the defaults; an empty list means none), plus the mirrors a Kind
 * project already declares in its containerd hosts directory (`spec.cluster.vanilla.mirrorsDir`, default
 * `kind/mirrors`: one `<host>/hosts.toml` per mirrored registry, its `server` the upstream; containerd's
 * hosts.toml format, containerd/containerd docs/hosts.md). Pure parsing; reading the directory is the loader's.
 */
import * as YAML from "yaml";
import type { Issue } from "../errors";
import { isObject } from "./expand";
import { yamlValue } from "./yamlValue";

/** One mirror: the registry host it stands in for, its upstream URL, optional upstream credentials. */
export interface MirrorSpec {
  readonly host: string;
  /** @default the well-known upstream of the four default hosts, else `https://<host>` */
  readonly upstream?: string;
  readonly username?: string;
  readonly password?: string;
}

/** Parses `[user:pass@]host[=upstream]`; issues name `path[i]`. Credentials are returned apart, never in messages. */
export function parseMirrorSpecs(specs: readonly string[], path: string): { mirrors: MirrorSpec[]; issues: Issue[] } {
  const issues: Issue[] = [];
  const mirrors: MirrorSpec[] = [];
  const seen = new Set<string>();
  specs.forEach((raw, i) => {
    const where = `${path}[${i}]`;
    let rest = raw.trim();
    let username: string | undefined;
    let password: string | undefined;
    const eq = rest.indexOf("=");
    const at = rest.lastIndexOf("@", eq >= 0 ? eq : rest.length);
    if (at >= 0) {
      const cred = rest.slice(0, at);
      rest = rest.slice(at + 1);
      const colon = cred.indexOf(":");
      username = colon >= 0 ? cred.slice(0, colon) : cred;
      password = colon >= 0 ? cred.slice(colon + 1) : "";
      if (username === "" || password === "") {
        issues.push({ path: where, message: "has credentials without a user name or password; write user:password@host[=upstream]" });
        return;
      }
    }
    const [host, upstream] = rest.includes("=") ? [rest.slice(0, rest.indexOf("=")), rest.slice(rest.indexOf("=") + 1)] : [rest, undefined];
    const shown = at >= 0 ? `(credentials hidden)@${rest}` : rest;
    if (!/^[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:\d+)?$/i.test(host)) {
      issues.push({
        path: where,
        message: `"${shown}" does not start with a registry host such as docker.io or my.registry:5000; write host[=upstream]`,
      });
      return;
    }
    if (upstream !== undefined && !/^https?:\/\/[^\s/]+/.test(upstream)) {
      issues.push({
        path: where,
        message: `upstream "${upstream}" is not an http(s):// URL; write e.g. docker.io=https://registry-1.docker.io`,
      });
      return;
    }
    if (seen.has(host)) {
      issues.push({ path: where, message: `mirrors ${host} twice; keep one entry per registry host` });
      return;
    }
    seen.add(host);
    mirrors.push({ host, ...(upstream ? { upstream } : {}), ...(username !== undefined ? { username, password } : {}) });
  });
  return { mirrors, issues };
}

/**
 * The upstream a Kind hosts.toml names (`server = "<url>"`, containerd's hosts.toml), or undefined when it names none.
 * Only the top-level `server` is read: the `[host."…"]` sections point at mirrors KSailCluster creates itself.
 */
export function hostsTomlServer(text: string): string | undefined {
  for (const line of text.split("\n")) {
    const t = line.trim();
    if (t.startsWith("[")) return undefined;
    const m = /^server\s*=\s*"([^"]+)"\s*(#.*)?$/.exec(t);
    if (m) return m[1];
  }
  return undefined;
}

/** The spec string of a mirror found in a file (no credentials there). */
export function mirrorSpecText(m: { host: string; upstream?: string }): string {
  return m.upstream ? `${m.host}=${m.upstream}` : m.host;
}

/**
 * The upstream KSail gives a mirror it finds in a project's files without one: Docker Hub's registry for
 * `docker.io`, else `https://<host>` (devantler-tech/ksail pkg/svc/provisioner/registry/naming.go, GenerateUpstreamURL).
 */
export function defaultUpstream(host: string): string {
  return host === "docker.io" ? "https://registry-1.docker.io" : `https://${host}`;
}

/**
 * The registry hosts a Talos project's patches mirror — `machine.registries.mirrors.<host>` in a v1alpha1 document
 * and the `name` of each `RegistryMirrorConfig` document (Talos 1.12+) — as `host=upstream` specs. KSail merges
 * these into a Docker cluster's pull-through mirrors (devantler-tech/ksail pkg/cli/setup/mirrorregistry/runner.go,
 * collectExistingMirrorSpecs: the control planes' config, so cluster-wide and control-plane patches). Talos's
 * catch-all `*` names no registry a mirror container could stand in for and is left to the user's own endpoints.
 * Unreadable documents are skipped here: the loader reports them.
 */
export function talosPatchMirrorSpecs(patches: readonly { content: string }[]): string[] {
  const hosts = new Set<string>();
  for (const patch of patches) {
    for (const doc of YAML.parseAllDocuments(patch.content)) {
      if (!("toJS" in doc) || doc.errors.length > 0) continue;
      const v = yamlValue(doc);
      if ("error" in v || !isObject(v.value)) continue;
      const js = v.value;
      if (js.kind === "RegistryMirrorConfig" && typeof js.name === "string") hosts.add(js.name);
      const registries = isObject(js.machine) ? js.machine.registries : undefined;
      if (isObject(registries) && isObject(registries.mirrors)) for (const h of Object.keys(registries.mirrors)) hosts.add(h);
    }
  }
  return [...hosts]
    .filter((h) => h !== "*")
    .sort()
    .map((host) => mirrorSpecText({ host, upstream: defaultUpstream(host) }));
}
