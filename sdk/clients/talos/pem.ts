/**
 * Talos writes Ed25519 private keys as PKCS#8 bodies under the non-standard PEM label
 * `ED25519 PRIVATE KEY`, which OpenSSL (and so node:crypto and grpc-js) rejects. These helpers translate
 * the label in both directions; the base64 body is unchanged.
 */
const TALOS_LABEL = "ED25519 PRIVATE KEY";
const STANDARD_LABEL = "PRIVATE KEY";

/** Relabel a Talos `ED25519 PRIVATE KEY` PEM as standard PKCS#8 `PRIVATE KEY`; other PEMs pass through. */
export function toStandardKeyPem(pem: string): string {
  return pem
    .replace(`-----BEGIN ${TALOS_LABEL}-----`, `-----BEGIN ${STANDARD_LABEL}-----`)
    .replace(`-----END ${TALOS_LABEL}-----`, `-----END ${STANDARD_LABEL}-----`);
}

/** Relabel a PKCS#8 Ed25519 `PRIVATE KEY` PEM the way Talos writes it (talosconfig, machine config). */
export function toTalosKeyPem(pem: string): string {
  return pem
    .replace(`-----BEGIN ${STANDARD_LABEL}-----`, `-----BEGIN ${TALOS_LABEL}-----`)
    .replace(`-----END ${STANDARD_LABEL}-----`, `-----END ${TALOS_LABEL}-----`);
}

/** Accept either PEM text or base64 of PEM text (the talosconfig encoding) and return PEM text. */
export function pemFromMaybeBase64(value: string): string {
  const trimmed = value.trim();
  if (trimmed.startsWith("-----BEGIN ")) return trimmed + "\n";
  const decoded = Buffer.from(trimmed, "base64").toString("utf8");
  if (!decoded.includes("-----BEGIN ")) throw new Error("value is neither PEM text nor base64 of PEM text");
  return decoded.endsWith("\n") ? decoded : decoded + "\n";
}
