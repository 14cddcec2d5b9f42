import "reflect-metadata";
import * as crypto from "node:crypto";
import * as x509 from "@peculiar/x509";
import type { CertAndKey } from "./types";
import { generateKey, loadPrivateKey, privateKeyPem, signingAlgorithm, toWebPrivateKey, toWebPublicKey, type KeyAlgorithm } from "./keys";

x509.cryptoProvider.set(crypto.webcrypto as never);

export const HOUR_MS = 3_600_000;
export const DAY_MS = 24 * HOUR_MS;
/** CA lifetime: 87 600 h (10 years), as Talos, kubeadm and k3s use. */
export const CA_LIFETIME_MS = 87_600 * HOUR_MS;
/** Default client certificate lifetime: 1 year (Talos `adminKubeconfig.certLifetime`, talosconfig). */
export const DEFAULT_CLIENT_CERT_LIFETIME_MS = 365 * DAY_MS;
/** Client certificates start this long before "now" to tolerate clock skew (Talos uses 10 s). */
export const NOT_BEFORE_SKEW_MS = 10_000;

/** Distinguished name of a certificate. An empty object is an empty subject. */
export interface Subject {
  readonly commonName?: string;
  readonly organizations?: readonly string[];
}

/**
 * Which CA template to use: `talos` mirrors Talos's CAs (KeyUsage certSign+digitalSignature, EKU
 * serverAuth+clientAuth); `kubernetes` mirrors kubeadm/k3s CAs (KeyUsage digitalSignature+keyEncipherment+
 * certSign, no EKU). Both: CA:TRUE critical, KeyUsage critical, random 128-bit serial, SubjectKeyId =
 * SHA-1 of the public key.
 */
export type CaTemplate = "talos" | "kubernetes";

export interface IssueCaOptions {
  readonly subject: Subject;
  readonly algorithm: KeyAlgorithm;
  readonly template: CaTemplate;
  /** @default 10 years */
  readonly lifetime?: number;
  /** @default the current time */
  readonly now?: Date;
}

function jsonName(s: Subject): x509.JsonName {
  const name: x509.JsonName = [];
  for (const o of s.organizations ?? []) name.push({ O: [o] });
  if (s.commonName !== undefined) name.push({ CN: [s.commonName] });
  return name;
}

function randomSerial(): string {
  const b = crypto.randomBytes(16);
  b[0] = b[0] & 0x7f || 0x01; // positive, 16 bytes, minimal DER
  return b.toString("hex");
}

function certPem(cert: x509.X509Certificate): string {
  return `${cert.toString("pem").replace(/\r\n/g, "\n").trim()}\n`;
}

/** A self-signed CA certificate and its private key (PEM, standard labels). */
export async function issueCa(opts: IssueCaOptions): Promise<CertAndKey> {
  const now = opts.now ?? new Date();
  const { publicKey, privateKey } = await generateKey(opts.algorithm);
  const ku =
    opts.template === "talos"
      ? x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.digitalSignature
      : x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment;
  const extensions: x509.Extension[] = [new x509.KeyUsagesExtension(ku, true), new x509.BasicConstraintsExtension(true, undefined, true)];
  if (opts.template === "talos") {
    extensions.splice(1, 0, new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]));
  }
  const webPublic = await toWebPublicKey(publicKey);
  // SubjectKeyId = SHA-1 of the public key (RFC 5280 §4.2.1.2 method 1, what Go fills in for CAs).
  extensions.push(await x509.SubjectKeyIdentifierExtension.create(webPublic));
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name: jsonName(opts.subject),
    notBefore: now,
    notAfter: new Date(now.getTime() + (opts.lifetime ?? CA_LIFETIME_MS)),
    signingAlgorithm: signingAlgorithm(privateKey) as never,
    keys: { privateKey: await toWebPrivateKey(privateKey), publicKey: webPublic },
    extensions,
  });
  return { cert: certPem(cert), key: privateKeyPem(privateKey) };
}

export interface IssueLeafOptions {
  /** The issuing CA (PEM; a Talos-labelled Ed25519 key is accepted). */
  readonly ca: CertAndKey;
  readonly subject: Subject;
  /** @default the CA's key type (Ed25519 CA → Ed25519 leaf; otherwise ECDSA P-256) */
  readonly algorithm?: KeyAlgorithm;
  /** @default 1 year */
  readonly lifetime?: number;
  /** @default the current time */
  readonly now?: Date;
  /** How long before `now` the certificate becomes valid. @default 10 s */
  readonly notBeforeSkew?: number;
  readonly keyUsage: number;
  readonly extKeyUsages: readonly string[];
  readonly ips?: readonly string[];
  readonly dnsNames?: readonly string[];
}

/** A leaf certificate plus its key and validity. */
export interface IssuedCert extends CertAndKey {
  readonly notBefore: string;
  readonly notAfter: string;
}

/** The key type of a leaf: as asked, else Ed25519 under an Ed25519 CA and ECDSA P-256 otherwise. */
function leafAlgorithm(ca: CertAndKey, algorithm?: KeyAlgorithm): KeyAlgorithm {
  return algorithm ?? (loadPrivateKey(ca.key).asymmetricKeyType === "ed25519" ? "ed25519" : "ecdsa-p256");
}

/** Default KeyUsage of a leaf: Ed25519 keys only sign; ECDSA/RSA leaves also carry keyEncipherment (Go's habit). */
function defaultLeafKeyUsage(algorithm: KeyAlgorithm): number {
  return algorithm === "ed25519"
    ? x509.KeyUsageFlags.digitalSignature
    : x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment;
}

/** A CA-signed leaf certificate (CA:FALSE) with a fresh key. */
export async function issueLeaf(opts: IssueLeafOptions): Promise<IssuedCert> {
  const now = opts.now ?? new Date();
  const caKey = loadPrivateKey(opts.ca.key);
  const caCert = new x509.X509Certificate(opts.ca.cert);
  const { publicKey, privateKey } = await generateKey(leafAlgorithm(opts.ca, opts.algorithm));
  const notBefore = new Date(now.getTime() - (opts.notBeforeSkew ?? NOT_BEFORE_SKEW_MS));
  const notAfter = new Date(now.getTime() + (opts.lifetime ?? DEFAULT_CLIENT_CERT_LIFETIME_MS));
  const extensions: x509.Extension[] = [
    new x509.KeyUsagesExtension(opts.keyUsage, true),
    new x509.ExtendedKeyUsageExtension([...opts.extKeyUsages]),
    new x509.BasicConstraintsExtension(false, undefined, true),
  ];
  const caSki = caCert.getExtension(x509.SubjectKeyIdentifierExtension);
  if (caSki) extensions.push(new x509.AuthorityKeyIdentifierExtension(caSki.keyId));
  const sans: x509.JsonGeneralNames = [
    ...(opts.dnsNames ?? []).map((value) => ({ type: "dns" as const, value })),
    ...(opts.ips ?? []).map((value) => ({ type: "ip" as const, value })),
  ];
  if (sans.length > 0) extensions.push(new x509.SubjectAlternativeNameExtension(sans));
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject: jsonName(opts.subject),
    issuer: caCert.subjectName,
    notBefore,
    notAfter,
    signingAlgorithm: signingAlgorithm(caKey) as never,
    publicKey: await toWebPublicKey(publicKey),
    signingKey: await toWebPrivateKey(caKey),
    extensions,
  });
  return { cert: certPem(cert), key: privateKeyPem(privateKey), notBefore: notBefore.toISOString(), notAfter: notAfter.toISOString() };
}

export interface ServerCertOptions {
  readonly ca: CertAndKey;
  readonly commonName?: string;
  readonly ips?: readonly string[];
  readonly dnsNames?: readonly string[];
  /** @default 1 year */
  readonly lifetime?: number;
  readonly now?: Date;
  /** @default the CA's key type */
  readonly algorithm?: KeyAlgorithm;
}

/** A TLS server certificate (EKU serverAuth, SANs for IPs and DNS names), for local fakes and tests. */
export async function issueServerCert(opts: ServerCertOptions): Promise<IssuedCert> {
  const algorithm = leafAlgorithm(opts.ca, opts.algorithm);
  return issueLeaf({
    ca: opts.ca,
    // A leaf with an empty subject under an empty-subject CA would look self-issued to OpenSSL.
    subject: { commonName: opts.commonName ?? opts.dnsNames?.[0] ?? opts.ips?.[0] ?? "server" },
    algorithm,
    lifetime: opts.lifetime,
    now: opts.now,
    keyUsage: defaultLeafKeyUsage(algorithm),
    extKeyUsages: [x509.ExtendedKeyUsage.serverAuth],
    ips: opts.ips,
    dnsNames: opts.dnsNames,
  });
}

export interface ClientCertOptions {
  readonly ca: CertAndKey;
  readonly subject: Subject;
  readonly algorithm?: KeyAlgorithm;
  /** @default 1 year */
  readonly lifetime?: number;
  readonly now?: Date;
  /** @default digitalSignature (Ed25519 keys), digitalSignature + keyEncipherment (others) */
  readonly keyUsage?: number;
}

/** A TLS client certificate (EKU exactly [clientAuth]). */
export async function issueClientCert(opts: ClientCertOptions): Promise<IssuedCert> {
  const algorithm = leafAlgorithm(opts.ca, opts.algorithm);
  return issueLeaf({
    ca: opts.ca,
    subject: opts.subject,
    algorithm,
    lifetime: opts.lifetime,
    now: opts.now,
    keyUsage: opts.keyUsage ?? defaultLeafKeyUsage(algorithm),
    extKeyUsages: [x509.ExtendedKeyUsage.clientAuth],
  });
}

/** Key usage flags, re-exported for callers choosing a client certificate's KeyUsage. */
export const KeyUsage = x509.KeyUsageFlags;

/** SHA-256 fingerprint of a certificate PEM (lower-case hex, no separators). */
export function certFingerprint(pem: string): string {
  return new crypto.X509Certificate(pem).fingerprint256.replace(/:/g, "").toLowerCase();
}
