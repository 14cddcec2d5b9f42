/**
 * Shapes of the cluster identity that `ClusterSecrets` generates (sdk/pki). Every PEM here uses the
 * standard labels that node:crypto and OpenSSL read (`PRIVATE KEY` for Ed25519 PKCS#8,
 * `EC PRIVATE KEY` for SEC1 P-256, `RSA PRIVATE KEY` for PKCS#1); renderers translate to a
 * distribution's own format where it differs (Talos: `ED25519 PRIVATE KEY`, base64 of the PEM text).
 */
export interface CertAndKey {
  /** Certificate, PEM. */
  readonly cert: string;
  /** Private key, PEM. */
  readonly key: string;
}

/** The Talos secrets bundle, as `talosctl gen secrets` writes it for Talos ≥ 1.7 (siderolabs/talos pkg/machinery/config/generate/secrets). */
export interface TalosSecretsBundle {
  // 32 random bytes each; id URL-safe base64 with padding (Go base64.URLEncoding), secret std base64
  readonly cluster: { readonly id: string; readonly secret: string };
  readonly secrets: {
    readonly bootstrapToken: string; // [a-z0-9]{6}.[a-z0-9]{16}
    readonly secretboxEncryptionSecret: string; // 32 random bytes, std base64
  };
  readonly trustdInfo: { readonly token: string }; // [a-z0-9]{6}.[a-z0-9]{16}
  readonly certs: {
    readonly etcd: CertAndKey; // ECDSA P-256, O=etcd
    readonly k8s: CertAndKey; // ECDSA P-256, O=kubernetes
    readonly k8sAggregator: CertAndKey; // ECDSA P-256, empty subject
    readonly k8sServiceAccount: { readonly key: string }; // RSA-4096, PKCS#1
    readonly os: CertAndKey; // Ed25519, O=talos
  };
}

/** CA material kubeadm accepts pre-placed under /etc/kubernetes/pki (Vanilla / Kind node images). */
export interface KubeadmPki {
  readonly ca: CertAndKey; // pki/ca.{crt,key}, CN=kubernetes
  readonly frontProxyCa: CertAndKey; // pki/front-proxy-ca.{crt,key}
  readonly etcdCa: CertAndKey; // pki/etcd/ca.{crt,key}
  readonly serviceAccount: { readonly key: string; readonly pub: string }; // pki/sa.{key,pub}
  readonly bootstrapToken: string; // [a-z0-9]{6}.[a-z0-9]{16}
  readonly caCertHash: string; // "sha256:<hex of SHA-256 of the CA's DER SubjectPublicKeyInfo>"
}

/** CA material k3s accepts pre-placed under /var/lib/rancher/k3s/server/tls (custom CA certificates). */
export interface K3sPki {
  readonly serverCa: CertAndKey; // server-ca.{crt,key}
  readonly clientCa: CertAndKey; // client-ca.{crt,key}
  readonly requestHeaderCa: CertAndKey; // request-header-ca.{crt,key}
  readonly etcdServerCa: CertAndKey; // etcd/server-ca.{crt,key}
  readonly etcdPeerCa: CertAndKey; // etcd/peer-ca.{crt,key}
  readonly serviceKey: string; // service.key
  /** Secure join token `K10<sha256 hex of the exact server-ca.crt bytes>::server:<password>`. */
  readonly token: string;
}

/** kwokctl's PKI (sigs.k8s.io/kwok pkg/kwokctl/pki): a CA and the one certificate every component uses. */
export interface KwokPki {
  readonly ca: CertAndKey; // pki/ca.{crt,key}, CN=kwok-ca, RSA-2048
  /** pki/admin.{crt,key}: serving and client certificate (CN=kwok-admin, O=system:masters); its key signs service-account tokens. */
  readonly admin: CertAndKey;
}

/** Admin credentials derived from the bundle for one endpoint. */
export interface AdminCredentials {
  /** kubeconfig YAML (CN=admin, O=system:masters client certificate). */
  readonly kubeconfig: string;
  /** talosconfig YAML (Ed25519 client certificate, O=os:admin, EKU clientAuth only); Talos only. */
  readonly talosconfig?: string;
  /** Client certificate expiry (ISO 8601), for the renewal window. */
  readonly notAfter: string;
}

/**
 * Mutual TLS of a Docker Engine reached over TCP (the Docker-in-Docker pod of a nested cluster): a CA, the
 * daemon's serving certificate for the address clients dial, and one client certificate.
 */
export interface DockerTls {
  readonly ca: CertAndKey;
  readonly server: CertAndKey;
  readonly client: CertAndKey;
}
