// Re-exports only: the cluster identity — secrets bundles, certificate issuing, credentials.
export * from "./types";
export { TOKEN_ALPHABET, randomString, bootstrapToken, isBootstrapToken, randomBase64, randomBase64Url, randomHex } from "./random";
export { pemLabel, toTalosKeyPem, fromTalosKeyPem, pemToBase64, base64ToPem, splitPem } from "./pem";
export { type KeyAlgorithm, generateKey, privateKeyPem, publicKeyPem, loadPrivateKey } from "./keys";
export {
  CA_LIFETIME_MS,
  DEFAULT_CLIENT_CERT_LIFETIME_MS,
  NOT_BEFORE_SKEW_MS,
  type Subject,
  type CaTemplate,
  type IssueCaOptions,
  type IssueLeafOptions,
  type IssuedCert,
  type ServerCertOptions,
  type ClientCertOptions,
  issueCa,
  issueLeaf,
  issueServerCert,
  issueClientCert,
  KeyUsage,
  certFingerprint,
} from "./issue";
export * from "./talos";
export * from "./kubeadm";
export * from "./k3s";
export * from "./kubeconfig";
export * from "./talosconfig";
export * from "./renewal";
export * from "./identity";
export * from "./kwok";
export * from "./dockerTls";
