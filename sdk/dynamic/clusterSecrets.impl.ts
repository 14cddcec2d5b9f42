/**
 * Logic of the ClusterSecrets dynamic resource (see clusterSecrets.ts). Loaded by the trampoline inside the
 * dynamic-provider host; never serialized. The identity (CA material, tokens) is generated once in
 * `create` and carried over unchanged by every `update`; `update` only re-derives the admin credentials.
 */
import * as crypto from "node:crypto";
import { containsUnknown } from "../impact/unknown";
import { parseTalosVersion } from "../distributions/talos/versions";
import {
  deriveAdminCredentials,
  generateClusterIdentity,
  identityFingerprints,
  IDENTITY_DISTRIBUTIONS,
  needsRenewal,
  deriveDockerTls,
  generateDockerTlsCa,
  type CertAndKey,
  type ClusterIdentity,
  type DockerTls,
  type IdentityDistribution,
} from "../pki";
import { seconds } from "../errors";

const HOUR_MS = 3_600_000;
export const DEFAULT_CERT_LIFETIME_HOURS = 8760;
export const DEFAULT_RENEW_BEFORE_HOURS = 720;

interface Endpoints {
  kubernetes: string;
  talos?: string[];
  talosNodes?: string[];
  docker?: string;
}

export interface Inputs {
  clusterName: string;
  distribution: IdentityDistribution;
  /** Talos only: the version a new cluster is created with; its config contract is pinned at create. */
  talosVersion?: string;
  endpoints: Endpoints;
  certLifetimeHours: number;
  renewBeforeHours: number;
}

export interface Outputs extends Inputs {
  talos?: unknown;
  kubeadm?: unknown;
  k3s?: unknown;
  dockerTls?: DockerTls;
  kubeconfig: string;
  talosconfig?: string;
  notAfter: string;
  issuedAt: string;
  caFingerprints: Record<string, string>;
}

/** Output key holding each distribution's identity. */
const IDENTITY_KEY = { Talos: "talos", Vanilla: "kubeadm", K3s: "k3s", KWOK: "kwok" } as const;
/** Inputs whose change replaces the resource (and so regenerates the identity). */
const REPLACE_KEYS = ["clusterName", "distribution"] as const;
/** Inputs whose change re-derives the credentials in place. */
const REDERIVE_KEYS = ["endpoints", "certLifetimeHours", "renewBeforeHours"] as const;

type Failure = { property: string; reason: string };

const isUnknown = (v: unknown) => containsUnknown(v);
/** JSON with object keys sorted, so that key order (which the wire does not preserve) never shows as a change. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(",")}]`;
  if (v !== null && typeof v === "object") {
    const entries = Object.entries(v as Record<string, unknown>).filter(([, e]) => e !== undefined);
    return `{${entries
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([k, e]) => `${JSON.stringify(k)}:${canonical(e)}`)
      .join(",")}}`;
  }
  return JSON.stringify(v) ?? "undefined";
}
const same = (a: unknown, b: unknown) => canonical(a) === canonical(b);

function validate(n: Record<string, any>): Failure[] {
  const f: Failure[] = [];
  if (!isUnknown(n.clusterName) && (typeof n.clusterName !== "string" || n.clusterName.trim() === "" || /\s/.test(n.clusterName))) {
    f.push({
      property: "clusterName",
      reason: `clusterName is ${JSON.stringify(n.clusterName)}; give the cluster's name (non-empty, no spaces)`,
    });
  }
  if (!isUnknown(n.distribution) && !IDENTITY_DISTRIBUTIONS.includes(n.distribution)) {
    f.push({
      property: "distribution",
      reason: `distribution is ${JSON.stringify(n.distribution)}; allowed: ${IDENTITY_DISTRIBUTIONS.join(", ")}`,
    });
  }
  const ep = n.endpoints;
  if (!isUnknown(ep)) {
    let url: URL | undefined;
    try {
      url = new URL(ep?.kubernetes);
    } catch {
      url = undefined;
    }
    if (!url || url.protocol !== "https:") {
      f.push({
        property: "endpoints",
        reason: `endpoints.kubernetes is ${JSON.stringify(ep?.kubernetes)}; expected the Kubernetes API as an https URL, e.g. "https://127.0.0.1:6443"`,
      });
    }
    if (
      n.distribution === "Talos" &&
      (!Array.isArray(ep?.talos) || ep.talos.length === 0 || ep.talos.some((e: unknown) => typeof e !== "string" || e === ""))
    ) {
      f.push({
        property: "endpoints",
        reason: `endpoints.talos is ${JSON.stringify(ep?.talos)}; Talos needs at least one Talos API endpoint (host or host:port), e.g. ["127.0.0.1:50000"]`,
      });
    }
    if (
      ep?.docker !== undefined &&
      !(typeof ep.docker === "string" && /^[A-Za-z0-9.:-]+$/.test(ep.docker) && !/^[a-z]+:\/\//i.test(ep.docker) && ep.docker !== "")
    ) {
      f.push({
        property: "endpoints",
        reason: `endpoints.docker is ${JSON.stringify(ep.docker)}; expected the address the Docker Engine is dialled at (an IP or DNS name, without scheme or port), e.g. "203.0.113.7"`,
      });
    }
    if (ep?.talosNodes !== undefined && (!Array.isArray(ep.talosNodes) || ep.talosNodes.some((e: unknown) => typeof e !== "string"))) {
      f.push({
        property: "endpoints",
        reason: `endpoints.talosNodes is ${JSON.stringify(ep.talosNodes)}; expected a list of node addresses`,
      });
    }
  }
  const life = n.certLifetimeHours;
  const renew = n.renewBeforeHours;
  if (!isUnknown(life) && !(typeof life === "number" && Number.isFinite(life) && life > 0)) {
    f.push({
      property: "certLifetimeHours",
      reason: `certLifetimeHours is ${JSON.stringify(life)}; expected a positive number of hours (default ${DEFAULT_CERT_LIFETIME_HOURS})`,
    });
  }
  if (!isUnknown(renew) && !(typeof renew === "number" && Number.isFinite(renew) && renew >= 0)) {
    f.push({
      property: "renewBeforeHours",
      reason: `renewBeforeHours is ${JSON.stringify(renew)}; expected a number of hours ≥ 0 (default ${DEFAULT_RENEW_BEFORE_HOURS})`,
    });
  } else if (typeof life === "number" && typeof renew === "number" && renew >= life) {
    f.push({
      property: "renewBeforeHours",
      reason: `renewBeforeHours is ${renew}, not below certLifetimeHours ${life}; the certificates would be re-issued on every up. Use a window shorter than the lifetime`,
    });
  }
  return f;
}

function identityOf(o: Record<string, any>): ClusterIdentity {
  const d = o.distribution as IdentityDistribution;
  const key = IDENTITY_KEY[d];
  if (!key || !o[key]) {
    throw new Error(
      `ClusterSecrets: the stored state has no ${String(key ?? d)} identity for distribution ${JSON.stringify(d)}; replace the resource (pulumi up --replace <urn>) to generate a new one`,
    );
  }
  return { distribution: d, [key]: o[key] } as unknown as ClusterIdentity;
}

/**
 * The admin credentials, and the Docker Engine's TLS when `endpoints.docker` is set (its CA from `dockerCa`, else new:
 * a Docker endpoint added later gets its CA then).
 */
async function credentials(i: Inputs, identity: ClusterIdentity, now: Date, dockerCa?: CertAndKey) {
  const lifetime = i.certLifetimeHours * HOUR_MS;
  const { docker, ...endpoints } = i.endpoints;
  const creds = await deriveAdminCredentials(identity, { clusterName: i.clusterName, endpoints, lifetime, now });
  const tls = docker
    ? await deriveDockerTls(dockerCa ?? (await generateDockerTlsCa({ now })), { address: docker, clientLifetimeMs: lifetime, now })
    : undefined;
  const notAfter = tls && tls.clientNotAfter < creds.notAfter ? tls.clientNotAfter : creds.notAfter;
  return {
    kubeconfig: creds.kubeconfig,
    ...(creds.talosconfig === undefined ? {} : { talosconfig: creds.talosconfig }),
    ...(tls ? { dockerTls: { ca: tls.ca, server: tls.server, client: tls.client } } : {}),
    notAfter,
    issuedAt: now.toISOString(),
    caFingerprints: identityFingerprints(identity),
  };
}

/** Why the credentials must be re-derived now, or undefined. Exported for tests. */
export function renewalReason(olds: Record<string, any>, news: Record<string, any>, now: Date = new Date()): string | undefined {
  const window = (typeof news.renewBeforeHours === "number" ? news.renewBeforeHours : DEFAULT_RENEW_BEFORE_HOURS) * HOUR_MS;
  if (typeof olds.notAfter !== "string") return "no client certificate expiry is recorded";
  if (needsRenewal(olds.notAfter, now, window)) {
    return `the admin client certificates expire at ${olds.notAfter}, within the renewal window of ${window / HOUR_MS} h`;
  }
  return undefined;
}

/**
 * The Talos config contract of a new cluster: the minor it is created with (capped at the newest contract the renderer
 * emits). Kept in state: nodes only accept configs of their own or an older contract, so configs stay in the creation
 * contract across upgrades (siderolabs/terraform-provider-talos#381).
 */
function talosContractOf(i: Inputs): { talosContract?: string } {
  if (i.distribution !== "Talos" || typeof i.talosVersion !== "string" || i.talosVersion === "") return {};
  try {
    return { talosContract: parseTalosVersion(i.talosVersion).contract };
  } catch {
    return {};
  }
}

export const handler = {
  async check(_olds: Record<string, unknown>, news: Record<string, any>) {
    const inputs = {
      ...news,
      certLifetimeHours: news.certLifetimeHours ?? DEFAULT_CERT_LIFETIME_HOURS,
      renewBeforeHours: news.renewBeforeHours ?? DEFAULT_RENEW_BEFORE_HOURS,
    };
    return { inputs, failures: validate(inputs) };
  },

  async diff(_id: string, olds: Record<string, any>, news: Record<string, any>) {
    // An unknown name or distribution (preview) may change: treat it as a replacement, the conservative answer.
    const replaces = REPLACE_KEYS.filter((k) => isUnknown(news[k]) || !same(olds[k], news[k]));
    if (replaces.length > 0) return { changes: true, replaces: [...replaces], deleteBeforeReplace: false };
    const changed = REDERIVE_KEYS.filter((k) => isUnknown(news[k]) || !same(olds[k], news[k]));
    if (changed.length > 0) return { changes: true, replaces: [] };
    const reason = renewalReason(olds, news);
    if (reason) {
      console.log(
        `ClusterSecrets ${String(news.clusterName)}: ${reason}; up re-issues the kubeconfig/talosconfig client certificates (the CAs stay the same).`,
      );
      return { changes: true, replaces: [] };
    }
    return { changes: false, replaces: [] };
  },

  async create(inputs: Inputs) {
    const started = new Date();
    const identity = await generateClusterIdentity(inputs.distribution, { now: started });
    const key = IDENTITY_KEY[inputs.distribution];
    // Client certificates start from when they are issued (key generation can take seconds).
    const creds = await credentials(inputs, identity, new Date());
    console.log(
      `ClusterSecrets ${inputs.clusterName}: generated the ${inputs.distribution} cluster identity in ${seconds(Date.now() - started.getTime())}`,
    );
    const outs: Outputs = {
      ...inputs,
      [key]: (identity as unknown as Record<string, unknown>)[key],
      ...creds,
      ...talosContractOf(inputs),
    };
    return { id: `${inputs.clusterName}-${crypto.randomBytes(4).toString("hex")}`, outs };
  },

  async update(_id: string, olds: Record<string, any>, news: Inputs) {
    // Never regenerate the identity here: only replacement (a new clusterName or distribution) does that.
    const identity = identityOf({ ...olds, distribution: news.distribution });
    const key = IDENTITY_KEY[news.distribution];
    const creds = await credentials(news, identity, new Date(), (olds.dockerTls as DockerTls | undefined)?.ca);
    console.log(
      `ClusterSecrets ${news.clusterName}: re-issued the admin client certificates (valid until ${creds.notAfter}); CA material unchanged`,
    );
    // The config contract stays the one the cluster was created with (a later Talos version never changes it).
    const outs: Outputs = {
      ...news,
      [key]: olds[key],
      ...creds,
      ...(typeof olds.talosContract === "string" ? { talosContract: olds.talosContract } : {}),
    };
    return { outs };
  },

  /**
   * Refresh: state only. The identity lives nowhere but in Pulumi state (the nodes receive copies of it, but
   * hold no authority over it), so the stored outputs are the truth and come back unchanged. Certificate expiry
   * is not drift: `diff` compares the client certificates with the clock and renews them on the next update.
   */
  async read(id: string, props: Record<string, unknown>) {
    return { id, props };
  },

  async delete(_id: string, _props: Record<string, unknown>) {
    // Nothing outside Pulumi state holds the identity; dropping the state deletes it.
  },
};
