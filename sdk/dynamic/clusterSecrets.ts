import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { trampoline } from "./trampoline";
import type { IdentityDistribution } from "../pki/identity";
import type { DockerTls, K3sPki, KubeadmPki, KwokPki, TalosSecretsBundle } from "../pki/types";

/** Where the derived admin credentials point. */
export interface ClusterSecretsEndpoints {
  /**
   * Kubernetes API URL written into the kubeconfig, e.g. `https://127.0.0.1:6443` (mapped port, floating IP
   * or load balancer). Applied in place: the credentials are re-derived, the CAs stay.
   */
  kubernetes: pulumi.Input<string>;
  /**
   * Talos API endpoints (`host` or `host:port`) of the talosconfig. Required for Talos, ignored otherwise.
   * Applied in place: the talosconfig is re-derived.
   */
  talos?: pulumi.Input<pulumi.Input<string>[]>;
  /**
   * Default target nodes of the talosconfig.
   * @default []
   * Applied in place.
   */
  talosNodes?: pulumi.Input<pulumi.Input<string>[]>;
  /**
   * Address (IP or DNS name, no port) at which a Docker Engine of the cluster is reached over TCP with mutual TLS
   * (the Docker-in-Docker pod of a nested cluster). When set, `dockerTls` holds its CA, the daemon's serving
   * certificate for this address and a client certificate. Applied in place: the certificates are re-issued, the CA
   * stays.
   */
  docker?: pulumi.Input<string>;
}

export interface ClusterSecretsArgs<D extends IdentityDistribution = IdentityDistribution> {
  /**
   * Cluster name: the kubeconfig's cluster entry, `admin@<name>` user/context, the talosconfig context.
   * Changing it replaces the identity (new CAs and tokens): Recreates the cluster.
   */
  clusterName: pulumi.Input<string>;
  /**
   * Which identity to generate: `Talos` (secrets bundle), `Vanilla` (kubeadm PKI for Kind node images) or
   * `K3s` (k3s custom CA set and K10 token) or `KWOK` (kwokctl's CA and admin certificate). Changing it replaces the identity: Recreates the cluster.
   */
  distribution: D;
  /** Endpoints the credentials point at. Applied in place. */
  endpoints: pulumi.Input<ClusterSecretsEndpoints>;
  /**
   * Talos only: the Talos version the cluster is created with. Its config contract is recorded at create
   * (`talosContract`) and kept for the life of the cluster. Applied in place: a later change changes nothing here.
   * @default undefined (no contract recorded: configs follow the spec's Talos version)
   */
  talosVersion?: pulumi.Input<string>;
  /**
   * Lifetime of the admin client certificates (kubeconfig, talosconfig), in hours. The CAs always live 10 years.
   * Applied in place: the credentials are re-derived.
   * @default 8760 (1 year)
   */
  certLifetimeHours?: pulumi.Input<number>;
  /**
   * Renewal window in hours: when the client certificates expire within it, the next `pulumi up` re-issues them
   * (the preview then shows `~ update` of this resource, with a diagnostic saying why). Applied in place.
   * @default 720 (30 days)
   */
  renewBeforeHours?: pulumi.Input<number>;
}

/** One provider object shared by every ClusterSecrets; the serialized text holds only the module path. */
const provider = trampoline(path.join(__dirname, "clusterSecrets.impl"), "handler", ["check", "diff", "read", "update", "delete"]);

/**
 * An output that only one distribution's identity has: typed as present for that distribution (the provider
 * always returns its distribution's identity), and absent for the others.
 */
type Only<D extends IdentityDistribution, Has extends IdentityDistribution, T> = D extends Has ? T : undefined;

/** Outputs holding key material; stored encrypted in state. */
export const CLUSTER_SECRETS_SECRET_OUTPUTS = ["talos", "kubeadm", "k3s", "kwok", "kubeconfig", "talosconfig", "dockerTls"];

/**
 * The cluster's identity, generated in Pulumi before any node exists (so configs can be rendered for nodes
 * that do not exist yet, and the identity survives a node's replacement): the Talos secrets
 * bundle, or the kubeadm / k3s CA material and join tokens, plus the admin kubeconfig (and talosconfig)
 * derived from it for the given endpoints. Every output with key material is a Pulumi secret.
 *
 * Only a changed `clusterName` or `distribution` replaces it. An endpoint or lifetime change, or client
 * certificates inside the renewal window, re-derive the credentials in place with the same CAs. Because the
 * renewal check runs in `diff`, a preview inside the window shows an update of this resource. `pulumi refresh`
 * reads state only: the identity exists nowhere else, so refresh keeps it unchanged.
 *
 * @example
 * ```ts
 * const secrets = new ClusterSecrets("dev-secrets", {
 *   clusterName: "dev",
 *   distribution: "Talos",
 *   endpoints: { kubernetes: "https://127.0.0.1:6443", talos: ["127.0.0.1:50000"] },
 * }, { parent: this });
 * export const kubeconfig = secrets.kubeconfig; // secret
 * ```
 */
export class ClusterSecrets<D extends IdentityDistribution = IdentityDistribution> extends pulumi.dynamic.Resource {
  declare readonly clusterName: pulumi.Output<string>;
  declare readonly distribution: pulumi.Output<D>;
  /** Talos secrets bundle (Talos only; secret). */
  declare readonly talos: pulumi.Output<Only<D, "Talos", TalosSecretsBundle>>;
  /** kubeadm CA material, bootstrap token and CA cert hash (Vanilla only; secret). */
  declare readonly kubeadm: pulumi.Output<Only<D, "Vanilla", KubeadmPki>>;
  /** k3s CA set, service key and K10 token (K3s only; secret). */
  declare readonly k3s: pulumi.Output<Only<D, "K3s", K3sPki>>;
  /** kwokctl's CA and admin certificate (KWOK only; secret). */
  declare readonly kwok: pulumi.Output<Only<D, "KWOK", KwokPki>>;
  /** Mutual TLS of the Docker Engine at `endpoints.docker`, when given (secret). */
  declare readonly dockerTls: pulumi.Output<DockerTls | undefined>;
  /** Admin kubeconfig (secret). */
  declare readonly kubeconfig: pulumi.Output<string>;
  /** Admin talosconfig (Talos only; secret). */
  declare readonly talosconfig: pulumi.Output<Only<D, "Talos", string>>;
  /** Earliest expiry of the admin client certificates (ISO 8601). */
  declare readonly notAfter: pulumi.Output<string>;
  /** When the admin credentials were last derived (ISO 8601). */
  declare readonly issuedAt: pulumi.Output<string>;
  /** SHA-256 fingerprints of the CA certificates (public), to review that the CAs did not change. */
  declare readonly caFingerprints: pulumi.Output<Record<string, string>>;
  /** Talos only: the config contract pinned when the cluster was created (`1.12`); undefined for stacks created before it was recorded. */
  declare readonly talosContract: pulumi.Output<string | undefined>;

  constructor(name: string, args: ClusterSecretsArgs<D>, opts?: pulumi.CustomResourceOptions) {
    super(
      provider,
      name,
      {
        ...args,
        talos: undefined,
        kubeadm: undefined,
        k3s: undefined,
        kwok: undefined,
        dockerTls: undefined,
        kubeconfig: undefined,
        talosconfig: undefined,
        notAfter: undefined,
        issuedAt: undefined,
        caFingerprints: undefined,
        talosContract: undefined,
      },
      pulumi.mergeOptions(opts, { additionalSecretOutputs: CLUSTER_SECRETS_SECRET_OUTPUTS }),
      "ksail",
      "ClusterSecrets",
    );
  }
}
