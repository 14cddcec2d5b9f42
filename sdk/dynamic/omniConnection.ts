/**
 * How an Omni dynamic provider connects, resolved at operation time: the endpoint from the inputs, the
 * service-account key from the (secret) input or from the environment variable the spec names. Nothing
 * here is serialized: the trampolines only capture module paths.
 */
import type { OmniClient } from "../clients/omni/client";

export interface OmniConnection {
  /** Omni's https:// URL. */
  readonly endpoint: string;
  /** Environment variable holding the service-account key when no key input is given. */
  readonly serviceAccountKeyEnvVar: string;
  /** Extra PEM trust roots (a private Omni with its own CA). */
  readonly caPem?: string;
}

/** An Omni client for one operation (close it), plus the spec codec. The client module loads lazily. */
export async function omniClient(c: OmniConnection, key?: string) {
  const omni = await import("../clients/omni");
  const serviceAccountKey = key || process.env[c.serviceAccountKeyEnvVar] || "";
  if (serviceAccountKey === "") {
    throw new Error(
      `no Omni service-account key: export ${c.serviceAccountKeyEnvVar || "OMNI_SERVICE_ACCOUNT_KEY"} (spec.provider.omni.serviceAccountKeyEnvVar) or pass omniServiceAccountKey`,
    );
  }
  const client: OmniClient = new omni.OmniClient({ endpoint: c.endpoint, serviceAccountKey, caPem: c.caPem, timeoutMs: 30_000 });
  return { client, spec: { encodeSpec: omni.encodeSpec, decodeSpec: omni.decodeSpec, newMetadata: omni.newMetadata } };
}
