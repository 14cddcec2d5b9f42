/** The arguments of KSailCluster (cluster.ts), each with its impact line: what a change of it does to a running cluster. */
import * as pulumi from "@pulumi/pulumi";
import type { RegistryCredentials } from "./components/gitopsSecrets";
import type { Values } from "./components/merge";
import type { SpecInput } from "./config/model";
import type { TalosPatchSet } from "./config/load";
import type { ComponentId } from "./plan/catalog";
import type { HetznerEndpointMode } from "./plan/hetznerEndpoint";

/** Version and values override of one installer. */
export interface ComponentOverride {
  /** Chart version. @default the pin in versions.ts. Applied in place (Helm upgrade). */
  version?: pulumi.Input<string>;
  /** Values deep-merged over the computed ones. @default none. Applied in place (Helm upgrade). */
  values?: pulumi.Input<Values>;
}

export interface KSailClusterArgs {
  /**
   * The `spec` of a ksail.yaml (`cluster`, `provider`, `workload`), inline or from `loadClusterConfig()`.
   * Validated by the spec model; Default values resolve per distribution × provider. Decides the shape.
   * Each field's impact follows the impact table (docs/impact.md): Applied in place, Nodes reboot, Nodes are
   * replaced one at a time, or Recreates the cluster.
   * @example { cluster: { distribution: "Talos", provider: "Docker", workers: 1, gitOpsEngine: "Flux" } }
   */
  spec: SpecInput;
  /**
   * Cluster name (container/host names, kubeconfig context `admin@<name>`).
   * Recreates the cluster.
   * @default `metadata.name` of the ksail.yaml, else the resource name
   * @example "dev"
   */
  name?: string;
  /**
   * Talos machine-config patches (`talos/{cluster,control-planes,workers}/*.yaml`), as loadClusterConfig reads them.
   * Classified per change by the Talos classifier: Applied in place, Nodes reboot, or Recreates the machine.
   * @default none
   * @example loadClusterConfig("ksail.yaml").talosConfigPatches
   */
  talosConfigPatches?: TalosPatchSet;
  /**
   * The kind.yaml (Vanilla) named by `spec.cluster.distributionConfig`, parsed, as loadClusterConfig reads it. Its
   * node image, pod/service subnets, API port and first control plane's extraPortMappings are honoured; any field
   * KSailCluster cannot honour is rejected by name (a KsailError), never ignored.
   * Recreates the cluster.
   * @default none (the spec alone)
   * @example loadClusterConfig("ksail.yaml").kindConfig
   */
  kindConfig?: unknown;
  /**
   * The k3d.yaml (K3s) named by `spec.cluster.distributionConfig`, parsed, as loadClusterConfig reads it. Its
   * image, subnet, API port, ports, k3s extraArgs and nodeLabels (on `server:*`, `agent:*` or `all`) are honoured; any
   * field KSailCluster cannot honour is rejected by name (a KsailError), never ignored.
   * Recreates the cluster.
   * @default none (the spec alone)
   * @example loadClusterConfig("ksail.yaml").k3dConfig
   */
  k3dConfig?: unknown;
  /**
   * The vcluster.yaml (VCluster) named by `spec.cluster.distributionConfig`, parsed: vCluster's own Helm values, as
   * loadClusterConfig reads it. KSailCluster sets the exposure, persistence, replicas and Kubernetes version from the
   * spec over it; everything else is passed to the chart as written.
   * Recreates the cluster (the nested control plane starts again with the new values).
   * @default none (the spec alone)
   * @example loadClusterConfig("ksail.yaml").vclusterValues
   */
  vclusterValues?: unknown;
  /**
   * KWOK: the kwok controller's objects from the `kwok/` folder `spec.cluster.distributionConfig` names (its
   * kustomization's `resources`), as loadClusterConfig reads them: stages, and the Logs/Exec/Attach/PortForward
   * objects and their Cluster variants, written into the controller's configuration file as kwokctl does (a folder
   * without stages gets the default node and pod stages). Any other kind is rejected by name.
   * Applied in place: only the kwok controller's container is replaced (the cluster's state is in etcd and stays).
   * @default none (the default stages)
   * @example loadClusterConfig("ksail.yaml").kwokObjects
   */
  kwokObjects?: readonly { object: unknown; source: string }[];
  /**
   * Docker only: the pull-through registry mirrors, in KSail's `--mirror-registry` syntax `[user:pass@]host[=upstream]`
   * (credentials are kept secret: they reach only the mirror container, as REGISTRY_PROXY_USERNAME/PASSWORD). A list
   * replaces the four defaults; `[]` runs none.
   * Vanilla and K3s: Recreates the cluster (nodes get their mirror configuration at create). Talos: Applied in place.
   * @default docker.io, ghcr.io, quay.io and registry.k8s.io, plus any in fileMirrors
   * @example ["docker.io", "ghcr.io", "bot:${TOKEN}@registry.example.com=https://registry.example.com"]
   */
  mirrors?: readonly string[];
  /**
   * Mirror specs the project's files declare (Kind's `spec.cluster.vanilla.mirrorsDir`, `<host>/hosts.toml`; the
   * hosts a Talos project's patches mirror), as loadClusterConfig reads them; merged in for hosts `mirrors` does not name.
   * Vanilla and K3s: Recreates the cluster; Talos: Applied in place (as `mirrors`).
   * @default none
   * @example loadClusterConfig("ksail.yaml").fileMirrors
   */
  fileMirrors?: readonly string[];
  /**
   * Per-installer chart version and values overrides.
   * Applied in place (Helm upgrade of that release only).
   * @default none (pinned versions, computed values)
   * @example { cni: { version: "1.20.0" }, flux: { values: { logLevel: "debug" } } }
   */
  components?: Partial<Record<ComponentId, ComponentOverride>>;
  /**
   * Refuse recreate-class changes and destroys instead of destroying the cluster. Sets Pulumi's `protect` on the
   * ClusterSpec record, ClusterSecrets, the cluster network and a destroy guard that depends on every resource of
   * the cluster: a recreate-class change makes the engine refuse the replacement ("unable to replace protected
   * resource") before any node is touched, and `pulumi destroy` stops at the guard before anything is deleted,
   * until you set `protect: false` and run `pulumi up` (or `pulumi state unprotect`). On Hetzner it also turns on
   * delete protection of the network, the API load balancer and the endpoint addresses. Other changes (adding or
   * removing a worker, reboots, component upgrades) still apply.
   * Applied in place.
   * @default false
   * @example true  // production
   */
  protect?: boolean;
  /**
   * Credentials of an external OCI registry the GitOps engine pulls from (kept secret).
   * Applied in place.
   * @default none (the local registry, or anonymous)
   * @example { server: "ghcr.io", username: "bot", password: config.requireSecret("registryToken") }
   */
  registryCredentials?: RegistryCredentials;
  /**
   * Push `spec.workload.sourceDirectory` as the OCI artifact the GitOps engine syncs from (resource
   * `<name>-workload`, a `WorkloadArtifact`), and pin Flux's OCIRepository or Argo CD's Application to its
   * digest: a changed manifest shows in `pulumi preview` as an update of that artifact and of the sync object,
   * and `pulumi up` pushes it and the engine reconciles it. Only with a GitOps engine and an OCI source (the
   * local registry on Docker, or an external registry with a repository path). For the local registry a missing
   * directory pushes an empty kustomization, as KSail does at cluster creation; for an external registry it is an
   * error (an empty artifact would prune what another pipeline deployed from that tag).
   * Applied in place (false removes the resource and unpins the engine; the artifact stays in the registry).
   * @default true for the cluster's local registry; false for an external registry (other stacks or pipelines may
   * push to its tag: turn it on in the one stack that owns it)
   */
  pushWorkload?: boolean;
  /**
   * Age private key for SOPS decryption by the GitOps engine (kept secret).
   * Applied in place.
   * @default none
   */
  sopsAgeKey?: pulumi.Input<string>;
  /**
   * Hetzner Cloud API token (kept secret), for the hcloud resources, the CCM/CSI/autoscaler secret and the
   * Talos VIP of a floating-IP endpoint.
   * Applied in place.
   * @default `hcloud:token` stack config, else the variable named by `spec.provider.hetzner.tokenEnvVar`
   * @example new pulumi.Config("hcloud").requireSecret("token")
   */
  hcloudToken?: pulumi.Input<string>;
  /**
   * Hetzner only: how the Kubernetes and Talos APIs are reached — the first control plane's reserved IPv4, a
   * floating IP moved by the Talos VIP, or a load balancer over every control plane.
   * Applied in place: switching creates or removes the floating IP or the load balancer, re-derives the
   * kubeconfig and talosconfig for the new address (same CAs), and applies the new endpoint, certificate SANs
   * and VIP to the machine configs without a reboot. No server is touched: the first control plane keeps its
   * reserved IPv4 in every mode.
   * @default "floating-ip" when `spec.provider.hetzner.floatingIPEnabled`, else "first-control-plane"
   * @example "load-balancer"
   */
  hetznerEndpoint?: HetznerEndpointMode;
  /**
   * Hetzner only: place the control planes over `spec.provider.hetzner.location` and its `fallbackLocations`
   * (round robin, in that order; default fsn1, nbg1, hel1), as the Talos guide spreads them, so one location's
   * outage leaves an etcd quorum. The locations must share one network zone. Workers, the load balancer and the
   * first control plane's reserved IPv4 stay in `location`; control planes that share a location get a spread
   * placement group of their own.
   * Applied in place: only servers created afterwards follow the new placement; running servers keep their
   * location (none is moved or replaced). Recreate the cluster to move existing control planes.
   * @default false
   * @example true
   */
  hetznerSpreadControlPlanes?: boolean;
  /**
   * Omni only: the service-account key (kept secret), base64 of `{name, pgp_key}` as Omni issues it.
   * Applied in place.
   * @default read at operation time from the variable named by `spec.provider.omni.serviceAccountKeyEnvVar`
   * (`OMNI_SERVICE_ACCOUNT_KEY`); it is then never stored
   * @example new pulumi.Config("omni").requireSecret("serviceAccountKey")
   */
  omniServiceAccountKey?: pulumi.Input<string>;
  /**
   * Omni only: extra PEM trust roots, for a self-hosted Omni whose certificate a private CA issued.
   * Applied in place.
   * @default none (the system roots)
   */
  omniCaPem?: string;
  /**
   * Provider Kubernetes only: the host cluster's kubeconfig (kept secret).
   * Applied in place (the host provider is updated).
   * @default read when the program runs from the file `$KSAIL_HOST_KUBECONFIG` (the variable named by
   * `spec.provider.kubernetes.kubeconfigEnvVar`) points at, else `spec.provider.kubernetes.kubeconfig`
   * @example new pulumi.Config().requireSecret("hostKubeconfig")
   */
  hostKubeconfig?: pulumi.Input<string>;
  /**
   * Provider Kubernetes only: install the rancher/k3k operator chart into `k3k-system`. A host runs one
   * operator: set false in every stack but the one that installs it, or when the host already runs it.
   * Applied in place (the operator release is added or removed; removing it while nested clusters exist breaks them).
   * @default true
   */
  installK3kOperator?: boolean;
  /**
   * Provider Kubernetes only, without `spec.provider.kubernetes.gatewayClassName`: how the nested API server is
   * reached — a LoadBalancer Service, or a NodePort Service for hosts without a load balancer (KSail falls back to
   * one when no LoadBalancer address comes; this package takes the choice up front, so previews stay exact).
   * K3s: Rolling (k3k restarts its servers with the new address as TLS SAN). VCluster: Recreates the cluster (its
   * control plane starts again with the new SAN). Vanilla and Talos (Docker-in-Docker): Recreates the cluster (the pod's
   * Docker engine reads its certificate, which names the front's address, only when it starts).
   * @default "LoadBalancer"
   * @example "NodePort"
   */
  hostExposure?: "LoadBalancer" | "NodePort";
  /**
   * Provider Kubernetes with `hostExposure: "NodePort"`: the node address clients dial (and the nested API server's
   * certificate carries).
   * Applied in place: K3s, k3k restarts its servers with the new SAN; VCluster, a Helm upgrade restarts the control
   * plane with it (its state survives only with `spec.provider.kubernetes.persistence`). Vanilla and Talos
   * (Docker-in-Docker): Recreates the cluster when given as a plain string (the engine's certificate names the address
   * and the engine reads it only when it starts); given as an Output, the engine's certificate is re-issued but the
   * running engine keeps the one it started with, so change it only together with a recreate.
   * @default the host name of the host kubeconfig's API server (a node on single-node hosts such as kind or k3s)
   * @example "203.0.113.7"
   */
  hostAddress?: pulumi.Input<string>;
  /**
   * Warnings from `loadClusterConfig`, reported as Pulumi warnings on this resource.
   * Applied in place (informational).
   * @default none
   */
  warnings?: readonly string[];
}
