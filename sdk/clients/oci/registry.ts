/** The OCI Distribution vocabulary the client speaks: media types, options, the registry error and its text. */
import { createHash } from "node:crypto";
import { type HttpResponse } from "./http";

export const MEDIA_TYPES = {
  ociManifest: "application/vnd.oci.image.manifest.v1+json",
  ociIndex: "application/vnd.oci.image.index.v1+json",
  ociConfig: "application/vnd.oci.image.config.v1+json",
  ociLayerGzip: "application/vnd.oci.image.layer.v1.tar+gzip",
  dockerManifest: "application/vnd.docker.distribution.manifest.v2+json",
  dockerManifestList: "application/vnd.docker.distribution.manifest.list.v2+json",
  dockerConfig: "application/vnd.docker.container.image.v1+json",
} as const;

export const MANIFEST_ACCEPT = [
  MEDIA_TYPES.ociManifest,
  MEDIA_TYPES.dockerManifest,
  MEDIA_TYPES.ociIndex,
  MEDIA_TYPES.dockerManifestList,
].join(", ");

export interface OciClientOptions {
  /** `host[:port]` of the registry (no scheme, no path). */
  readonly registry: string;
  readonly username?: string;
  readonly password?: string;
  /**
   * `http` or `https`. @default `http` for loopback hosts (localhost, 127.0.0.0/8, ::1: local registries
   * speak plain HTTP, as Docker and go-containerregistry assume), `https` for every other host.
   */
  readonly scheme?: "http" | "https";
  /** PEM CA bundle trusted for HTTPS instead of the system roots (a registry with a private CA). */
  readonly ca?: string;
  /** Skip TLS verification (tests, explicitly insecure registries). @default false */
  readonly insecureSkipVerify?: boolean;
  /** Per-request timeout. @default 60000 */
  readonly timeoutMs?: number;
  /** Attempts for retryable failures (network, 429, 5xx). @default 4 */
  readonly maxAttempts?: number;
  /** First backoff (doubles per attempt, capped at 10 s). @default 500 */
  readonly backoffMs?: number;
  /** Blob upload chunk size in bytes; 0 uploads each blob in one PUT. @default 0 */
  readonly chunkSize?: number;
  /** Progress messages (retries, uploads). @default none */
  readonly log?: (msg: string) => void;
}

/** A registry answer that is not success, with the Distribution error codes from its body. */
export class OciRegistryError extends Error {
  constructor(
    readonly method: string,
    readonly url: string,
    readonly status: number,
    /** `errors[].code` of the response body, e.g. `BLOB_UNKNOWN`, `MANIFEST_INVALID`, `DENIED`. */
    readonly codes: readonly string[],
    message: string,
  ) {
    super(message);
    this.name = "OciRegistryError";
  }
}

export interface ManifestInfo {
  readonly digest: string;
  readonly mediaType: string;
  readonly size: number;
}

export const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|\[::1\]|::1)$/i;

/** `sha256:<hex>` of bytes. */
export function sha256Digest(data: Buffer | string): string {
  return `sha256:${createHash("sha256").update(data).digest("hex")}`;
}

export function hostOf(registry: string): string {
  return registry.startsWith("[") ? registry.slice(0, registry.indexOf("]") + 1) : registry.replace(/:\d+$/, "");
}

export const RETRYABLE_STATUS = (s: number) => s === 429 || s >= 500;
/** Certificate problems do not go away by retrying. */
export const TLS_ERROR = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS|ERR_SSL/;

export function registryErrorText(res: HttpResponse): { codes: string[]; text: string } {
  const raw = res.body.toString("utf8");
  try {
    const j = JSON.parse(raw) as { errors?: { code?: string; message?: string; detail?: unknown }[] };
    if (Array.isArray(j.errors) && j.errors.length > 0) {
      const codes = j.errors.map((e) => String(e.code ?? "UNKNOWN"));
      const text = j.errors
        .map((e) => `${e.code ?? "UNKNOWN"}: ${e.message ?? ""}${e.detail !== undefined ? ` (${JSON.stringify(e.detail)})` : ""}`)
        .join("; ");
      return { codes, text };
    }
  } catch {
    // not JSON: fall through to the raw text
  }
  return { codes: [], text: raw.trim().slice(0, 300) || "(empty body)" };
}
