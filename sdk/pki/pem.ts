/**
 * PEM text helpers. Talos writes Ed25519 PKCS#8 keys under the non-standard label `ED25519 PRIVATE KEY`,
 * which node:crypto and OpenSSL reject; everything in this package keeps the standard `PRIVATE KEY` label
 * and translates only at the Talos boundary (bundle YAML, talosconfig, machine configs).
 */

const TALOS_ED25519 = "ED25519 PRIVATE KEY";
const STANDARD_PKCS8 = "PRIVATE KEY";

/** The label of the first PEM block in `pem` (e.g. `CERTIFICATE`, `EC PRIVATE KEY`), or undefined. */
export function pemLabel(pem: string): string | undefined {
  return /-----BEGIN ([A-Z0-9 ]+)-----/.exec(pem)?.[1];
}

function relabel(pem: string, from: string, to: string): string {
  return pem.replace(new RegExp(`-----(BEGIN|END) ${from}-----`, "g"), `-----$1 ${to}-----`);
}

/**
 * Talos label for an Ed25519 key: `PRIVATE KEY` → `ED25519 PRIVATE KEY`. Only Ed25519 PKCS#8 keys are
 * relabelled (the caller states the key type); other PEM text is returned unchanged.
 */
export function toTalosKeyPem(pem: string, keyType: string): string {
  return keyType === "ed25519" ? relabel(pem, STANDARD_PKCS8, TALOS_ED25519) : pem;
}

/** Standard label for a key read from Talos: `ED25519 PRIVATE KEY` → `PRIVATE KEY`; other text unchanged. */
export function fromTalosKeyPem(pem: string): string {
  return relabel(pem, TALOS_ED25519, STANDARD_PKCS8);
}

/** Base64 of the PEM text (how Talos and kubeconfig files embed certificates and keys). */
export function pemToBase64(pem: string): string {
  return Buffer.from(pem, "utf8").toString("base64");
}

/** PEM text from its base64 embedding (inverse of {@link pemToBase64}). */
export function base64ToPem(b64: string): string {
  return Buffer.from(b64, "base64").toString("utf8");
}

/** Every PEM block in `text`, in order, each ending with a newline. */
export function splitPem(text: string): string[] {
  return [...text.matchAll(/-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/g)].map((m) => `${m[0]}\n`);
}
