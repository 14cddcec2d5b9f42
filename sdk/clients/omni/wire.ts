/** Omni's COSI resources on the wire (google.protobuf timestamps, label queries) and its endpoint form. */
import { type RawResource, type ResourceMetadata } from "./resources";

/** Label selector for List/Watch: `{key: value}` is equality, `{key: true}` is existence. */
export type LabelSelector = Readonly<Record<string, string | true>>;

/** `https://host[:port]` → `host:port` (443 by default); anything but https is refused (the key signs, it does not encrypt). */
export function parseEndpoint(endpoint: string): string {
  let u: URL;
  try {
    u = new URL(endpoint);
  } catch {
    throw new Error(`Omni endpoint ${JSON.stringify(endpoint)} is not a URL; expected https://<account>.omni.siderolabs.io`);
  }
  if (u.protocol !== "https:") throw new Error(`Omni endpoint ${JSON.stringify(endpoint)} must use https:// (got ${u.protocol})`);
  return `${u.hostname}:${u.port || "443"}`; // an IPv6 hostname keeps its brackets
}

export function labelQuery(labels?: LabelSelector): object[] {
  if (!labels || Object.keys(labels).length === 0) return [];
  const terms = Object.entries(labels).map(([key, v]) =>
    v === true ? { key, op: "EXISTS", value: [] } : { key, op: "EQUAL", value: [v] },
  );
  return [{ terms }];
}

export function ts(d?: Date): object | undefined {
  if (!d) return undefined;
  const ms = d.getTime();
  return { seconds: String(Math.floor(ms / 1000)), nanos: (ms % 1000) * 1e6 };
}

export function fromTs(t: any): Date | undefined {
  if (!t || (t.seconds === undefined && t.nanos === undefined)) return undefined;
  return new Date(Number(t.seconds ?? 0) * 1000 + Math.floor(Number(t.nanos ?? 0) / 1e6));
}

export function toWire(r: RawResource): object {
  const m = r.metadata;
  return {
    metadata: {
      namespace: m.namespace,
      type: m.type,
      id: m.id,
      version: m.version,
      owner: m.owner,
      phase: m.phase,
      created: ts(m.created),
      updated: ts(m.updated),
      finalizers: [...m.finalizers],
      labels: { ...m.labels },
      annotations: { ...m.annotations },
    },
    spec: { protoSpec: r.spec, yamlSpec: "" },
  };
}

export function fromWire(w: any): RawResource | undefined {
  if (!w?.metadata) return undefined;
  const m = w.metadata;
  const metadata: ResourceMetadata = {
    namespace: m.namespace ?? "",
    type: m.type ?? "",
    id: m.id ?? "",
    version: m.version || "undefined",
    owner: m.owner ?? "",
    phase: m.phase === "tearingDown" ? "tearingDown" : "running",
    finalizers: [...(m.finalizers ?? [])],
    labels: { ...(m.labels ?? {}) },
    annotations: { ...(m.annotations ?? {}) },
    created: fromTs(m.created),
    updated: fromTs(m.updated),
  };
  return { metadata, spec: Buffer.from(w.spec?.protoSpec ?? Buffer.alloc(0)) };
}
