/**
 * Translate the standard PEMs of a {@link TalosSecretsBundle} (sdk/pki/types.ts) into what a Talos machine
 * config holds: base64 of the PEM text, with the key in Talos's own encoding — Ed25519 PKCS#8 under the
 * non-standard label `ED25519 PRIVATE KEY`, ECDSA as SEC1 `EC PRIVATE KEY`, RSA as PKCS#1
 * (what Talos writes and reads). Pure (node:crypto parses and re-exports; no randomness).
 */
import * as crypto from "node:crypto";
import { KsailError } from "../../errors";

const TALOS_ED25519_LABEL = "ED25519 PRIVATE KEY";

/** A private key PEM (any standard label, or Talos's Ed25519 label) in the encoding Talos expects. */
export function toTalosKeyPem(pem: string, field: string): string {
  const standard = pem.replace(/-----(BEGIN|END) ED25519 PRIVATE KEY-----/g, "-----$1 PRIVATE KEY-----");
  let key: crypto.KeyObject;
  try {
    key = crypto.createPrivateKey(standard);
  } catch (err) {
    throw new KsailError([{ path: field, message: `is not a readable private key PEM (${(err as Error).message})` }]);
  }
  switch (key.asymmetricKeyType) {
    case "ed25519":
      return (key.export({ type: "pkcs8", format: "pem" }) as string).replace(
        /-----(BEGIN|END) PRIVATE KEY-----/g,
        `-----$1 ${TALOS_ED25519_LABEL}-----`,
      );
    case "ec":
      return key.export({ type: "sec1", format: "pem" }) as string;
    case "rsa":
      return key.export({ type: "pkcs1", format: "pem" }) as string;
    default:
      throw new KsailError([{ path: field, message: `has key type ${key.asymmetricKeyType}; Talos needs Ed25519, ECDSA or RSA` }]);
  }
}

/** Talos's Ed25519 label back to the standard one node:crypto and OpenSSL read. */
export function fromTalosKeyPem(pem: string): string {
  return pem.replace(/-----(BEGIN|END) ED25519 PRIVATE KEY-----/g, "-----$1 PRIVATE KEY-----");
}

export function b64(text: string): string {
  return Buffer.from(text, "utf8").toString("base64");
}

/** `{crt, key}` as a machine config holds it; `withKey: false` gives the worker form (`key: ""`). */
export function talosCertAndKey(pair: { cert: string; key: string }, field: string, withKey = true): { crt: string; key: string } {
  if (!/-----BEGIN CERTIFICATE-----/.test(pair.cert)) {
    throw new KsailError([{ path: `${field}.cert`, message: "is not a PEM certificate (expected -----BEGIN CERTIFICATE-----)" }]);
  }
  return { crt: b64(pair.cert), key: withKey ? b64(toTalosKeyPem(pair.key, `${field}.key`)) : "" };
}
