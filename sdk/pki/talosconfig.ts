import * as YAML from "yaml";
import { KsailError } from "../errors";
import { issueClientCert, KeyUsage } from "./issue";
import { base64ToPem, fromTalosKeyPem, pemToBase64, toTalosKeyPem } from "./pem";
import type { CertAndKey } from "./types";
import type { DerivedCredential } from "./kubeconfig";

export interface DeriveTalosconfigOptions {
  /** Context name (usually the cluster name). */
  readonly contextName: string;
  /** Talos API endpoints, `host` or `host:port` (port 50000 when omitted). */
  readonly endpoints: readonly string[];
  /** Default target nodes. @default [] */
  readonly nodes?: readonly string[];
  /** The OS CA of the Talos bundle (`certs.os`). */
  readonly osCa: CertAndKey;
  /** Client certificate lifetime in milliseconds. @default 1 year */
  readonly lifetime?: number;
  /** @default the current time */
  readonly now?: Date;
  /** Talos role in the certificate's Organization. @default "os:admin" */
  readonly role?: string;
}

/**
 * An admin talosconfig: a fresh Ed25519 client certificate (O=os:admin, KeyUsage digitalSignature, EKU
 * exactly [clientAuth] — apid rejects anything else) signed by the OS CA; YAML `context` plus
 * `contexts.<name>.{endpoints, nodes, ca, crt, key}`, each of ca/crt/key base64 of PEM, the key under
 * Talos's `ED25519 PRIVATE KEY` label.
 */
export async function deriveTalosconfig(opts: DeriveTalosconfigOptions): Promise<DerivedCredential> {
  if (!opts.contextName) throw new KsailError([{ path: "contextName", message: "is empty; give the cluster's name" }]);
  if (opts.endpoints.length === 0) {
    throw new KsailError([{ path: "endpoints", message: "is empty; give at least one Talos API endpoint (host or host:port)" }]);
  }
  const leaf = await issueClientCert({
    ca: opts.osCa,
    subject: { organizations: [opts.role ?? "os:admin"] },
    algorithm: "ed25519",
    keyUsage: KeyUsage.digitalSignature,
    lifetime: opts.lifetime,
    now: opts.now,
  });
  const doc = {
    context: opts.contextName,
    contexts: {
      [opts.contextName]: {
        endpoints: [...opts.endpoints],
        nodes: [...(opts.nodes ?? [])],
        ca: pemToBase64(opts.osCa.cert),
        crt: pemToBase64(leaf.cert),
        key: pemToBase64(toTalosKeyPem(leaf.key, "ed25519")),
      },
    },
  };
  return {
    text: YAML.stringify(doc, { indent: 4, lineWidth: 0 }),
    clientCert: leaf.cert,
    notBefore: leaf.notBefore,
    notAfter: leaf.notAfter,
  };
}

/** What a Talos API client needs from a talosconfig context (key with the standard PEM label). */
export interface TalosconfigClient {
  readonly context: string;
  readonly endpoints: string[];
  readonly nodes: string[];
  readonly caPem: string;
  readonly certPem: string;
  readonly keyPem: string;
}

/** Read the current (or named) context of a talosconfig. Throws a KsailError naming what is missing. */
export function talosconfigClientCert(talosconfigYaml: string, context?: string): TalosconfigClient {
  const d = YAML.parse(talosconfigYaml) as any;
  const name: unknown = context ?? d?.context;
  const c = typeof name === "string" ? d?.contexts?.[name] : undefined;
  if (!c) throw new KsailError([{ path: "talosconfig.context", message: `names ${JSON.stringify(name)}, which is not in contexts` }]);
  const data = (key: string): string => {
    if (typeof c[key] !== "string" || c[key] === "") {
      throw new KsailError([{ path: `talosconfig.contexts.${String(name)}.${key}`, message: "is missing; embed the PEM as base64" }]);
    }
    return base64ToPem(c[key]);
  };
  const list = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : []);
  return {
    context: name as string,
    endpoints: list(c.endpoints),
    nodes: list(c.nodes),
    caPem: data("ca"),
    certPem: data("crt"),
    keyPem: fromTalosKeyPem(data("key")),
  };
}
