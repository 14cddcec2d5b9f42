/**
 * Independent certificate checks with the OpenSSL command line (present on every machine of this project).
 * Used by PKI tests to confirm what node:crypto says, with a second implementation.
 */
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

/** Run `fn` with a fresh temporary directory, removed afterwards. */
export function withTempDir<T>(fn: (dir: string) => T): T {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ksail-pki-"));
  try {
    return fn(dir);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** `openssl <args>` with `input` on stdin; returns stdout (throws with stderr on failure). */
export function openssl(args: string[], input?: string | Buffer): Buffer {
  return execFileSync("openssl", args, { input, stdio: ["pipe", "pipe", "pipe"] });
}

/**
 * `openssl verify -CAfile ca.pem [-purpose p] cert.pem` with temporary files. `ok` is true only when OpenSSL
 * prints "<file>: OK" and exits 0.
 */
export function opensslVerify(caPem: string, certPem: string, purpose?: "sslclient" | "sslserver"): { ok: boolean; output: string } {
  return withTempDir((dir) => {
    const ca = path.join(dir, "ca.pem");
    const cert = path.join(dir, "cert.pem");
    fs.writeFileSync(ca, caPem);
    fs.writeFileSync(cert, certPem);
    const args = ["verify", "-CAfile", ca, ...(purpose ? ["-purpose", purpose] : []), cert];
    const r = spawnSync("openssl", args, { encoding: "utf8" });
    const output = `${r.stdout}${r.stderr}`;
    return { ok: r.status === 0 && output.includes(`${cert}: OK`), output };
  });
}

/** Fields of a certificate as OpenSSL prints them. */
export interface OpensslCertInfo {
  /** RFC 2253 subject, e.g. `O=system:masters,CN=admin` (empty string for an empty subject). */
  readonly subject: string;
  readonly issuer: string;
  /** e.g. `["Digital Signature", "Certificate Sign"]`. */
  readonly keyUsage: string[];
  readonly keyUsageCritical: boolean;
  /** e.g. `["TLS Web Client Authentication"]`; empty when absent. */
  readonly extKeyUsage: string[];
  /** `CA:TRUE` / `CA:FALSE` / `` when absent. */
  readonly basicConstraints: string;
  /** e.g. `["DNS:localhost", "IP Address:127.0.0.1"]`. */
  readonly subjectAltNames: string[];
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** OpenSSL's public key algorithm line, e.g. `ED25519`, `id-ecPublicKey`, `rsaEncryption`. */
  readonly publicKeyAlgorithm: string;
  /** e.g. `ED25519`, `ecdsa-with-SHA256`. */
  readonly signatureAlgorithm: string;
}

function extLines(text: string, name: string): { critical: boolean; values: string[] } {
  const lines = text.split("\n");
  const i = lines.findIndex((l) => l.trim().startsWith(`${name}:`));
  if (i < 0) return { critical: false, values: [] };
  const critical = lines[i].includes("critical");
  const values = (lines[i + 1] ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
  return { critical, values };
}

/** Parse a certificate with `openssl x509 -text`. */
export function opensslCertInfo(certPem: string): OpensslCertInfo {
  const text = openssl(["x509", "-noout", "-text", "-nameopt", "RFC2253"], certPem).toString("utf8");
  const line = (re: RegExp): string => re.exec(text)?.[1]?.trim() ?? "";
  const dates = openssl(["x509", "-noout", "-startdate", "-enddate"], certPem).toString("utf8");
  const date = (k: string): Date => new Date(new RegExp(`${k}=(.*)`).exec(dates)?.[1] ?? "invalid");
  const ku = extLines(text, "X509v3 Key Usage");
  return {
    subject: line(/^\s*Subject:(.*)$/m),
    issuer: line(/^\s*Issuer:(.*)$/m),
    keyUsage: ku.values,
    keyUsageCritical: ku.critical,
    extKeyUsage: extLines(text, "X509v3 Extended Key Usage").values,
    basicConstraints: extLines(text, "X509v3 Basic Constraints").values.join(","),
    subjectAltNames: extLines(text, "X509v3 Subject Alternative Name").values,
    notBefore: date("notBefore"),
    notAfter: date("notAfter"),
    publicKeyAlgorithm: line(/Public Key Algorithm:(.*)$/m),
    signatureAlgorithm: line(/Signature Algorithm:(.*)$/m),
  };
}

/** kubeadm's documented discovery-hash pipeline: SubjectPublicKeyInfo DER of the certificate, SHA-256. */
export function opensslSpkiSha256(certPem: string): string {
  const pub = openssl(["x509", "-pubkey", "-noout"], certPem);
  const der = openssl(["pkey", "-pubin", "-outform", "der"], pub);
  return openssl(["dgst", "-sha256", "-r"], der).toString("utf8").split(" ")[0];
}

/** SHA-256 of the exact bytes of `text`, by OpenSSL. */
export function opensslSha256(text: string): string {
  return openssl(["dgst", "-sha256", "-r"], Buffer.from(text, "utf8")).toString("utf8").split(" ")[0];
}

/** The key type OpenSSL reports for a private key PEM (`ED25519`, `EC`, `RSA`), or throws if it cannot read it. */
export function opensslKeyType(keyPem: string): string {
  const text = openssl(["pkey", "-noout", "-text"], keyPem).toString("utf8");
  if (/ED25519 Private-Key/i.test(text)) return "ED25519";
  if (/Private-Key: \(\d+ bit/.test(text) && /ASN1 OID|NIST CURVE|pub:/.test(text) && !/modulus/i.test(text)) return "EC";
  if (/modulus/i.test(text)) return "RSA";
  return text.split("\n")[0];
}
