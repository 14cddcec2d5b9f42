import * as crypto from "node:crypto";
import { promisify } from "node:util";
import { fromTalosKeyPem } from "./pem";

/** Key algorithms the cluster identity uses. */
export type KeyAlgorithm = "ed25519" | "ecdsa-p256" | "rsa-2048" | "rsa-4096";

const generateKeyPairAsync = promisify(crypto.generateKeyPair) as (
  type: string,
  options: Record<string, unknown>,
) => Promise<{ publicKey: crypto.KeyObject; privateKey: crypto.KeyObject }>;

/**
 * A fresh key pair. Generation runs on libuv's thread pool (RSA-4096 takes seconds and must not block the
 * event loop of a dynamic-provider host).
 */
export async function generateKey(alg: KeyAlgorithm): Promise<{ publicKey: crypto.KeyObject; privateKey: crypto.KeyObject }> {
  switch (alg) {
    case "ed25519":
      return generateKeyPairAsync("ed25519", {});
    case "ecdsa-p256":
      return generateKeyPairAsync("ec", { namedCurve: "prime256v1" });
    case "rsa-2048":
      return generateKeyPairAsync("rsa", { modulusLength: 2048, publicExponent: 0x10001 });
    case "rsa-4096":
      return generateKeyPairAsync("rsa", { modulusLength: 4096, publicExponent: 0x10001 });
  }
}

/**
 * PEM of a private key in the encoding the Kubernetes ecosystem reads: Ed25519 as PKCS#8 (`PRIVATE KEY`),
 * ECDSA as SEC1 (`EC PRIVATE KEY`), RSA as PKCS#1 (`RSA PRIVATE KEY`).
 */
export function privateKeyPem(key: crypto.KeyObject): string {
  switch (key.asymmetricKeyType) {
    case "ed25519":
      return key.export({ type: "pkcs8", format: "pem" }) as string;
    case "ec":
      return key.export({ type: "sec1", format: "pem" }) as string;
    case "rsa":
      return key.export({ type: "pkcs1", format: "pem" }) as string;
    default:
      throw new Error(`unsupported private key type ${String(key.asymmetricKeyType)}`);
  }
}

/** PEM of a public key as SubjectPublicKeyInfo (`PUBLIC KEY`), e.g. kubeadm's `sa.pub`. */
export function publicKeyPem(key: crypto.KeyObject): string {
  return key.export({ type: "spki", format: "pem" }) as string;
}

/** Load a private key PEM (standard labels, or Talos's `ED25519 PRIVATE KEY`). */
export function loadPrivateKey(pem: string): crypto.KeyObject {
  return crypto.createPrivateKey(fromTalosKeyPem(pem));
}

/** WebCrypto algorithm parameters for importing and signing with a key of this node:crypto type. */
function webAlgorithm(key: crypto.KeyObject): { importAlg: Record<string, unknown>; signAlg: Record<string, unknown> } {
  switch (key.asymmetricKeyType) {
    case "ed25519":
      return { importAlg: { name: "Ed25519" }, signAlg: { name: "Ed25519" } };
    case "ec": {
      const curve = key.asymmetricKeyDetails?.namedCurve;
      if (curve !== "prime256v1") throw new Error(`unsupported EC curve ${String(curve)} (only P-256 is used)`);
      return { importAlg: { name: "ECDSA", namedCurve: "P-256" }, signAlg: { name: "ECDSA", hash: "SHA-256" } };
    }
    case "rsa":
      return {
        importAlg: { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" },
        signAlg: { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" },
      };
    default:
      throw new Error(`unsupported key type ${String(key.asymmetricKeyType)}`);
  }
}

/** The signature algorithm a certificate signed by this private key uses. */
export function signingAlgorithm(key: crypto.KeyObject): Record<string, unknown> {
  return webAlgorithm(key).signAlg;
}

/** WebCrypto private key (for signing) from a node:crypto private KeyObject. */
export async function toWebPrivateKey(key: crypto.KeyObject): Promise<crypto.webcrypto.CryptoKey> {
  const der = key.export({ type: "pkcs8", format: "der" });
  return crypto.webcrypto.subtle.importKey("pkcs8", der, webAlgorithm(key).importAlg as never, true, ["sign"]);
}

/** WebCrypto public key from a node:crypto public (or private) KeyObject. */
export async function toWebPublicKey(key: crypto.KeyObject): Promise<crypto.webcrypto.CryptoKey> {
  const pub = key.type === "private" ? crypto.createPublicKey(key) : key;
  const der = pub.export({ type: "spki", format: "der" });
  return crypto.webcrypto.subtle.importKey("spki", der, webAlgorithm(pub).importAlg as never, true, ["verify"]);
}
