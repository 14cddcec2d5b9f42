/**
 * Decoder of Pulumi's wire format for property values: the JSON form of the protobuf `Struct` a language
 * SDK sends in `RegisterResourceRequest.object`, `RegisterResourceOutputsRequest.outputs`, invoke arguments,
 * and receives back as resource state. Values the JSON data model cannot express are objects marked by the
 * signature key `4dabf18193072939515e22adb298388d`: secrets (`{sig, value}`), resource references
 * (`{sig, urn, id?, packageVersion?}`), output values (`{sig, value?, secret?, dependencies?}`; no `value`
 * means unknown), assets and archives. A value unknown during preview is the plain string
 * `04da6b54-80e4-46f7-96ec-b56ff0331ba9` (the same sentinel dynamic providers see; sdk/impact/unknown.ts).
 * The signatures are those of `@pulumi/pulumi`'s `runtime/rpc.ts` (`specialSigKey` and friends).
 *
 * One decoder serves the mock runner behind `ksail-pulumi plan` (secrets redacted, unknowns shown as
 * `[computed]`) and the test recorder (test/harness/mocks.ts: secrets unwrapped and their paths listed).
 * Pure: no Pulumi import, so the CLI can load it without the runtime.
 */
import { UNKNOWN } from "../impact/unknown";

/** The key that marks a special value in the wire format. */
export const SIG_KEY = "4dabf18193072939515e22adb298388d";

/** Signature values of the special objects. */
export const SIG = {
  secret: "1b47061264138c4ac30d75fd1eb44270",
  resource: "5cf8f73096256a8f31e491e813e4eb8e",
  output: "d0e6a833031e9bbcd3f4e8bde6ca49a4",
  asset: "c44067f5952c0a294b673a41bacd8c17",
  archive: "0def7320c3a5731c473e5ecbe6d01bc7",
} as const;

/** A decoded reference to another resource. */
export interface WireRef {
  urn: string;
  /** The resource name (the URN's last part). */
  name: string;
  /** The id of a custom resource; `UNKNOWN` when the reference carries an empty id (preview of a create). */
  id?: unknown;
}

export interface WireDecodeOptions {
  /** What a value unknown during preview becomes. @default the sentinel `UNKNOWN` itself */
  unknown?: unknown;
  /**
   * Replace every secret value by this (its path is still listed in `secrets`); undefined unwraps secrets.
   * @default undefined
   */
  redactSecrets?: unknown;
  /** What a resource reference becomes. @default the `WireRef` */
  resource?: (ref: WireRef) => unknown;
}

/** A decoded value and the paths that were secret (`"a"`, `"a.b"`, `"a[0].b"`; `""` for the value itself). */
export interface Decoded {
  value: any;
  secrets: string[];
}

/** Name of the resource a URN identifies (the part after the type). */
export function nameOfUrn(urn: string): string {
  return urn.split("::").slice(3).join("::");
}

/** Type token a URN identifies (the last segment of the qualified type). */
export function typeOfUrn(urn: string): string {
  return (urn.split("::")[2] ?? "").split("$").pop() ?? "";
}

function join(path: string, key: string | number): string {
  if (typeof key === "number") return `${path}[${key}]`;
  return path ? `${path}.${key}` : key;
}

/** Decode a wire property value into plain JSON, collecting the paths that were secret. */
export function decodeWire(v: unknown, opts: WireDecodeOptions = {}, path = ""): Decoded {
  const secrets: string[] = [];
  const unknown = "unknown" in opts ? opts.unknown : UNKNOWN;
  const redact = opts.redactSecrets !== undefined;
  const walk = (x: unknown, p: string): any => {
    if (x === UNKNOWN) return unknown;
    if (x === null || x === undefined || typeof x !== "object") return x;
    if (Array.isArray(x)) return x.map((e, i) => walk(e, join(p, i)));
    const o = x as Record<string, unknown>;
    switch (o[SIG_KEY]) {
      case SIG.secret:
        secrets.push(p);
        return redact ? opts.redactSecrets : walk(o.value, p);
      case SIG.resource: {
        const urn = String(o.urn);
        const ref: WireRef = { urn, name: nameOfUrn(urn) };
        if (o.id !== undefined) ref.id = o.id === "" ? unknown : walk(o.id, p);
        return opts.resource ? opts.resource(ref) : ref;
      }
      case SIG.output:
        if (o.secret === true) {
          secrets.push(p);
          if (redact) return opts.redactSecrets;
        }
        return o.value === undefined ? unknown : walk(o.value, p);
      case SIG.asset:
        return { asset: { path: o.path, text: o.text, uri: o.uri } };
      case SIG.archive:
        return { archive: { path: o.path, uri: o.uri, assets: walk(o.assets, join(p, "assets")) } };
      default: {
        const out: Record<string, unknown> = {};
        for (const [k, e] of Object.entries(o)) out[k] = walk(e, join(p, k));
        return out;
      }
    }
  };
  return { value: walk(v, path), secrets };
}

/** Wrap a wire value as a secret (a value that already is one is returned as it is). */
export function wireSecret(v: unknown): unknown {
  if (v !== null && typeof v === "object" && (v as Record<string, unknown>)[SIG_KEY] === SIG.secret) return v;
  return { [SIG_KEY]: SIG.secret, value: v };
}
