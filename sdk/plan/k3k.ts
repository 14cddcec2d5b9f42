/**
 * K3s nested in a host cluster through rancher/k3k (pure): the operator chart, the namespace and the
 * `k3k.io/v1beta1` Cluster object, the names k3k gives what it creates (the kubeconfig Secret, the server
 * Service), and how the nested API server is exposed. Field names and defaults follow k3k v1.1.0's API
 * (pkg/apis/k3k.io/v1beta1/types.go) and controller (pkg/controller: SafeConcatName, the kubeconfig Secret's
 * `kubeconfig.yaml` key, ServiceName; pkg/controller/cluster/server/endpoint.go for the server URL it writes).
 */
import * as crypto from "node:crypto";
import { k3sDisabledAddons } from "../distributions/k3s/args";
import { k3sNodeImage } from "../versions";

/** The k3k operator chart (rancher.github.io/k3k) KSail installs into `k3k-system`. */
export const K3K_CHART = {
  chart: "k3k",
  repo: "https://rancher.github.io/k3k",
  version: "1.1.0",
  namespace: "k3k-system",
  release: "k3k",
} as const;

/**
 * A Kubernetes object name the way k3k's controller builds one: the non-empty parts joined by `-`; a name of 64
 * characters or more is cut and ends in `-` plus the first hex digits of its SHA-256 (5 digits when the cut ends in
 * a lowercase letter or digit, else 6 and one character less).
 */
export function k3kSafeName(...parts: string[]): string {
  const full = parts.filter((p) => p !== "").join("-");
  if (full.length < 64) return full;
  const digest = crypto.createHash("sha256").update(full).digest("hex");
  const c = full[56]!;
  return /[a-z0-9]/.test(c) ? `${full.slice(0, 57)}-${digest.slice(0, 5)}` : `${full.slice(0, 56)}-${digest.slice(0, 6)}`;
}

/**
 * How the nested API server is reached from outside the host cluster, as KSail exposes it: a Gateway of
 * `gatewayClassName` with a TCPRoute to k3k's server Service when a class is given, else a LoadBalancer Service
 * of its own in front of the server pods. k3k's own `expose` stays unset: its LoadBalancer address would not be in
 * the server certificate (k3k puts only `tlsSANs`, the Service's cluster IP and names there), so this package
 * creates the front first and passes its address as a TLS SAN.
 */
/** A Gateway of `gatewayClassName` with a TCP listener on 6443 and a TCPRoute to the nested API server's Service (port 443). */
export interface GatewayExposure {
  readonly kind: "Gateway";
  readonly gatewayClassName: string;
  readonly gateway: string;
  readonly route: string;
  readonly port: 6443;
  /** The nested API server's Service and its port (443). */
  readonly backend: { readonly service: string; readonly port: 443 };
}

/**
 * A front of this package's own in front of a nested cluster's pods (KWOK's workloads, the Docker-in-Docker engine):
 * a Gateway `ksail-<name>-<role>` with a TCPRoute to `backend` when a gateway class is given, else a LoadBalancer
 * Service of that name over `selector`, or a NodePort one (`hostExposure`).
 */
export type HostFront =
  | {
      readonly kind: "LoadBalancer" | "NodePort";
      readonly service: string;
      readonly port: number;
      readonly selector: Readonly<Record<string, string>>;
    }
  | {
      readonly kind: "Gateway";
      readonly gatewayClassName: string;
      readonly gateway: string;
      readonly route: string;
      readonly port: number;
      readonly backend: { readonly service: string; readonly port: number };
    };

export function hostFront(
  i: { readonly clusterName: string; readonly gatewayClassName: string; readonly hostExposure?: HostExposure },
  role: string,
  port: number,
  selector: Readonly<Record<string, string>>,
  backend: { readonly service: string; readonly port: number },
): HostFront {
  const name = `ksail-${i.clusterName}-${role}`;
  if (i.gatewayClassName !== "")
    return { kind: "Gateway", gatewayClassName: i.gatewayClassName, gateway: name, route: name, port, backend };
  return { kind: i.hostExposure === "NodePort" ? "NodePort" : "LoadBalancer", service: name, port, selector };
}

/** The Gateway front of a nested cluster named `name` whose API server's Service is `service` (port 443). */
export function gatewayExposure(name: string, gatewayClassName: string, service: string): GatewayExposure {
  return {
    kind: "Gateway",
    gatewayClassName,
    gateway: `ksail-${name}-api`,
    route: `ksail-${name}-api`,
    port: 6443,
    backend: { service, port: 443 },
  };
}

export type K3kExposure =
  | { readonly kind: "LoadBalancer"; readonly service: string; readonly port: 6443; readonly selector: Readonly<Record<string, string>> }
  /** A NodePort Service over the server pods, reached at a host address (the host API server's by default). */
  | { readonly kind: "NodePort"; readonly service: string; readonly port: 6443; readonly selector: Readonly<Record<string, string>> }
  /** To k3k's server Service (443 → the servers' 6443). */
  | GatewayExposure;

export interface K3kPlanInput {
  readonly clusterName: string;
  readonly servers: number;
  readonly agents: number;
  /** `v1.34.1`; empty = the pinned K3s default. */
  readonly kubernetesVersion?: string;
  readonly podCidr: string;
  readonly serviceCidr: string;
  readonly persistence: { readonly enabled: boolean; readonly storageClassName: string; readonly size: string };
  readonly gatewayClassName: string;
  /** Effective LoadBalancer component: k3s's servicelb stays on inside the nested cluster when true. */
  readonly loadBalancer: boolean;
  /** Without a gateway class: a LoadBalancer Service, or a NodePort Service for hosts without a load balancer. @default "LoadBalancer" */
  readonly hostExposure?: HostExposure;
}

/** How a nested API server is exposed when no gateway class is given. */
export type HostExposure = "LoadBalancer" | "NodePort";

export interface K3kClusterPlan {
  readonly chart: typeof K3K_CHART;
  /** Namespace of the Cluster object and everything k3k creates for it: `k3k-<name>`. */
  readonly namespace: string;
  /** The `k3k.io/v1beta1` Cluster as applied (apiVersion, kind, metadata, spec); `spec.tlsSANs` is the exposure's address, added at create. */
  readonly object: {
    readonly apiVersion: "k3k.io/v1beta1";
    readonly kind: "Cluster";
    readonly metadata: { readonly name: string; readonly namespace: string };
    readonly spec: Record<string, unknown>;
  };
  /** The Secret k3k's controller writes the admin kubeconfig into, and its key. */
  readonly kubeconfigSecret: { readonly name: string; readonly key: "kubeconfig.yaml" };
  /** k3k's Service in front of the servers (port 443 → 6443). */
  readonly serverService: string;
  readonly exposure: K3kExposure;
  /**
   * Hash of the Cluster fields k3k's CRD refuses to change (CEL `self == oldSelf`: mode, clusterCIDR,
   * serviceCIDR, clusterDNS, persistence.storageRequestSize; the persistence type with it): a new value recreates
   * the nested cluster.
   */
  readonly recreateKey: string;
  /** rancher/k3s image tag the servers and agents run. */
  readonly k3sVersion: string;
}

export function planK3kCluster(i: K3kPlanInput): K3kClusterPlan {
  const name = i.clusterName;
  const namespace = `k3k-${name}`;
  const image = k3sNodeImage(i.kubernetesVersion === "" ? undefined : i.kubernetesVersion);
  const k3sVersion = image.slice(image.lastIndexOf(":") + 1);
  const serverService = k3kSafeName("k3k", name, "service");
  const exposure: K3kExposure =
    i.gatewayClassName !== ""
      ? {
          kind: "Gateway",
          gatewayClassName: i.gatewayClassName,
          gateway: k3kSafeName("ksail", name, "api"),
          route: k3kSafeName("ksail", name, "api"),
          port: 6443,
          backend: { service: serverService, port: 443 },
        }
      : i.hostExposure === "NodePort"
        ? { kind: "NodePort", service: k3kSafeName("ksail", name, "api"), port: 6443, selector: { cluster: name, role: "server" } }
        : { kind: "LoadBalancer", service: k3kSafeName("ksail", name, "api"), port: 6443, selector: { cluster: name, role: "server" } };
  const spec: Record<string, unknown> = {
    mode: "virtual",
    servers: i.servers,
    agents: i.agents,
    version: k3sVersion,
    clusterCIDR: i.podCidr,
    serviceCIDR: i.serviceCidr,
    persistence: i.persistence.enabled
      ? {
          type: "dynamic",
          ...(i.persistence.storageClassName !== "" ? { storageClassName: i.persistence.storageClassName } : {}),
          storageRequestSize: i.persistence.size,
        }
      : { type: "ephemeral" },
    // The bundled add-ons KSailCluster installs itself (as on K3s in Docker); flannel stays the CNI.
    serverArgs: k3sDisabledAddons({ cni: "Default", loadBalancer: i.loadBalancer }).map((a) => `--disable=${a}`),
  };
  return {
    chart: K3K_CHART,
    namespace,
    object: { apiVersion: "k3k.io/v1beta1", kind: "Cluster", metadata: { name, namespace }, spec },
    kubeconfigSecret: { name: k3kSafeName("k3k", name, "kubeconfig"), key: "kubeconfig.yaml" },
    serverService,
    exposure,
    recreateKey: crypto
      .createHash("sha256")
      .update(JSON.stringify([spec.mode, spec.clusterCIDR, spec.serviceCIDR, spec.clusterDNS ?? "", spec.persistence]))
      .digest("hex")
      .slice(0, 16),
    k3sVersion,
  };
}
