import * as YAML from "yaml";
import { KsailError } from "../../errors";
import { pemFromMaybeBase64, toStandardKeyPem } from "./pem";

/** Client credentials for the Talos API: PEM text with standard labels (ready for TLS). */
export interface TalosCredentials {
  /** The OS (machine) CA certificate the server chains to. */
  readonly ca: string;
  /** The client certificate (Ed25519, EKU clientAuth only, O=os:admin). */
  readonly crt: string;
  /** The client private key (PKCS#8 `PRIVATE KEY`; a Talos `ED25519 PRIVATE KEY` is translated). */
  readonly key: string;
}

/** One talosconfig context, decoded. */
export interface TalosContext extends TalosCredentials {
  readonly name: string;
  /** `host[:port]` entries; the port defaults to 50000. */
  readonly endpoints: readonly string[];
  readonly nodes: readonly string[];
}

/**
 * Parse a talosconfig YAML (`context`, `contexts.<name>.{endpoints, nodes, ca, crt, key}`, each of
 * ca/crt/key base64 of PEM) into PEM credentials. The Talos key label is translated so that node:crypto
 * and grpc-js accept it. `contextName` defaults to the file's `context`.
 */
export function parseTalosconfig(text: string, contextName?: string): TalosContext {
  const doc = YAML.parse(text) as {
    context?: string;
    contexts?: Record<string, { endpoints?: string[]; nodes?: string[]; ca?: string; crt?: string; key?: string }>;
  } | null;
  const name = contextName ?? doc?.context;
  const contexts = doc?.contexts ?? {};
  if (!name || !contexts[name]) {
    throw new KsailError([
      {
        path: "talosconfig.context",
        message: `context ${JSON.stringify(name ?? "")} is not defined; defined contexts: ${JSON.stringify(Object.keys(contexts))}. Pass a talosconfig derived from the cluster secrets.`,
      },
    ]);
  }
  const c = contexts[name];
  const missing = (["ca", "crt", "key"] as const).filter((k) => typeof c[k] !== "string" || c[k] === "");
  if (missing.length > 0) {
    throw new KsailError(
      missing.map((k) => ({
        path: `talosconfig.contexts.${name}.${k}`,
        message: `is missing or empty; the Talos API needs the OS CA (ca), an admin client certificate (crt) and its key (key), each base64 of PEM.`,
      })),
    );
  }
  return {
    name,
    endpoints: c.endpoints ?? [],
    nodes: c.nodes ?? [],
    ca: pemFromMaybeBase64(c.ca as string),
    crt: pemFromMaybeBase64(c.crt as string),
    key: toStandardKeyPem(pemFromMaybeBase64(c.key as string)),
  };
}

/** Normalize credentials given as PEM or base64 of PEM (with either key label). */
export function normalizeCredentials(c: TalosCredentials): TalosCredentials {
  return { ca: pemFromMaybeBase64(c.ca), crt: pemFromMaybeBase64(c.crt), key: toStandardKeyPem(pemFromMaybeBase64(c.key)) };
}

/** Split `host[:port]` (IPv6 in brackets) into host and port, defaulting the port to apid's 50000. */
export function splitEndpoint(endpoint: string, defaultPort = 50000): { host: string; port: number } {
  const e = endpoint.replace(/^[a-z]+:\/\//, "");
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(e);
  if (v6) return { host: v6[1], port: v6[2] ? Number(v6[2]) : defaultPort };
  const parts = e.split(":");
  if (parts.length === 2) return { host: parts[0], port: Number(parts[1]) };
  if (parts.length > 2) return { host: e, port: defaultPort };
  return { host: e, port: defaultPort };
}
