/**
 * Every pinned chart, manifest and image version the component installers use, in one place, so a
 * bump is one reviewed diff. Bump deliberately: `test/unit/components-versions.test.ts` prints what moved,
 * and checks each pin against the chart data the values tests validate against (test/fixtures/charts,
 * copied from each chart's upstream release; test/fixtures/README.md names the sources).
 *
 * Release names and namespaces are KSail's, so Helm and KSail tooling recognise the releases.
 */

/** A pinned Helm chart and how KSail installs it. */
export interface ChartPin {
  /** Chart name in `repo`, or a full `oci://` reference (then `repo` is undefined). */
  readonly chart: string;
  /** Helm repository URL; undefined for OCI charts. */
  readonly repo?: string;
  /** Chart version (Helm `--version`). */
  readonly version: string;
  /** Helm release name (KSail's). */
  readonly release: string;
  /** Release namespace (KSail's). */
  readonly namespace: string;
  /** Whether the installer creates the namespace (KSail's `CreateNamespace`). */
  readonly createNamespace: boolean;
  /** Whether Helm waits for the release's resources (KSail's `Wait`); false for Calico. */
  readonly wait: boolean;
  /** Minimum install timeout in seconds; the effective timeout is max(base, floor). */
  readonly timeoutFloorSeconds: number;
  /** Directory under test/fixtures/charts holding Chart.yaml, values.yaml (and values.schema.json) for this version. */
  readonly dataDir?: string;
}

const MIN = 60;

export const charts = {
  cilium: {
    chart: "cilium",
    repo: "https://helm.cilium.io",
    version: "1.20.0",
    release: "cilium",
    namespace: "kube-system",
    createNamespace: false,
    wait: true,
    timeoutFloorSeconds: 0,
    dataDir: "cilium-1.20.0",
  },
  calicoCrds: {
    chart: "projectcalico.org.v3",
    repo: "https://docs.tigera.io/calico/charts",
    version: "v3.32.0",
    release: "calico-crds",
    namespace: "tigera-operator",
    createNamespace: true,
    wait: false,
    timeoutFloorSeconds: 10 * MIN,
  },
  calico: {
    chart: "tigera-operator",
    repo: "https://docs.tigera.io/calico/charts",
    version: "v3.32.0",
    release: "calico",
    namespace: "tigera-operator",
    createNamespace: true,
    wait: false,
    timeoutFloorSeconds: 10 * MIN,
    dataDir: "tigera-operator-v3.32.0",
  },
  hcloudCsi: {
    chart: "hcloud-csi",
    repo: "https://charts.hetzner.cloud",
    version: "2.22.1",
    release: "hcloud-csi",
    namespace: "kube-system",
    createNamespace: false,
    wait: true,
    timeoutFloorSeconds: 0,
    dataDir: "hcloud-csi-2.22.1",
  },
  hcloudCcm: {
    chart: "hcloud-cloud-controller-manager",
    repo: "https://charts.hetzner.cloud",
    version: "1.35.0",
    release: "hcloud-cloud-controller-manager",
    namespace: "kube-system",
    createNamespace: false,
    wait: true,
    timeoutFloorSeconds: 0,
    dataDir: "hcloud-cloud-controller-manager-1.35.0",
  },
  metricsServer: {
    chart: "metrics-server",
    repo: "https://kubernetes-sigs.github.io/metrics-server/",
    version: "3.13.1",
    release: "metrics-server",
    namespace: "kube-system",
    createNamespace: false,
    wait: true,
    timeoutFloorSeconds: 0,
    dataDir: "metrics-server-3.13.1",
  },
  kubeletCsrApprover: {
    chart: "kubelet-csr-approver",
    repo: "https://postfinance.github.io/kubelet-csr-approver",
    version: "1.2.14",
    release: "kubelet-csr-approver",
    namespace: "kube-system",
    createNamespace: false,
    wait: true,
    timeoutFloorSeconds: 0,
    dataDir: "kubelet-csr-approver-1.2.14",
  },
  metallb: {
    chart: "metallb",
    repo: "https://metallb.github.io/metallb",
    version: "0.16.1",
    release: "metallb",
    namespace: "metallb-system",
    // The namespace is created by the installer itself (labelled PSS privileged), not by Helm.
    createNamespace: false,
    wait: true,
    timeoutFloorSeconds: 0,
    dataDir: "metallb-0.16.1",
  },
  certManager: {
    chart: "cert-manager",
    repo: "https://charts.jetstack.io",
    version: "v1.21.1",
    release: "cert-manager",
    namespace: "cert-manager",
    createNamespace: true,
    wait: true,
    timeoutFloorSeconds: 10 * MIN,
    dataDir: "cert-manager-v1.21.1",
  },
  kyverno: {
    chart: "kyverno",
    repo: "https://kyverno.github.io/kyverno/",
    version: "3.9.0",
    release: "kyverno",
    namespace: "kyverno",
    createNamespace: true,
    wait: true,
    timeoutFloorSeconds: 20 * MIN,
    dataDir: "kyverno-3.9.0",
  },
  gatekeeper: {
    chart: "gatekeeper",
    repo: "https://open-policy-agent.github.io/gatekeeper/charts",
    version: "3.23.0",
    release: "gatekeeper",
    namespace: "gatekeeper-system",
    createNamespace: true,
    wait: true,
    timeoutFloorSeconds: 7 * MIN,
    dataDir: "gatekeeper-3.23.0",
  },
  // KSail pins 0.58.1; we pin 0.49.0 because that is the newest chart whose values.yaml and
  // values.schema.json we could obtain from upstream (test/fixtures/charts; what the values tests validate against).
  // The FluxInstance distribution artifact below is bumped together with it (they are a matched pair).
  fluxOperator: {
    chart: "oci://ghcr.io/controlplaneio-fluxcd/charts/flux-operator",
    version: "0.49.0",
    release: "flux-operator",
    namespace: "flux-system",
    createNamespace: true,
    wait: true,
    timeoutFloorSeconds: 12 * MIN,
    dataDir: "flux-operator-0.49.0",
  },
  // KSail pins 10.4.0; we pin 10.1.1, the newest chart whose values.yaml we could obtain from upstream (test/fixtures/charts).
  argoCd: {
    chart: "oci://ghcr.io/argoproj/argo-helm/argo-cd",
    version: "10.1.1",
    release: "argocd",
    namespace: "argocd",
    createNamespace: true,
    wait: true,
    timeoutFloorSeconds: 25 * MIN,
    dataDir: "argo-cd-10.1.1",
  },
  clusterAutoscaler: {
    chart: "cluster-autoscaler",
    repo: "https://kubernetes.github.io/autoscaler",
    version: "9.59.0",
    release: "cluster-autoscaler",
    namespace: "kube-system",
    createNamespace: false,
    wait: true,
    timeoutFloorSeconds: 0,
    dataDir: "cluster-autoscaler-9.59.0",
  },
} as const satisfies Record<string, ChartPin>;

/**
 * cluster-autoscaler image per Kubernetes minor: the autoscaler supports the minor it is released with, and the
 * pinned chart (9.59.0) still ships v1.35.0. Releases: kubernetes/autoscaler cluster-autoscaler-1.35.1 and
 * cluster-autoscaler-1.36.1 (registry.k8s.io/autoscaling/cluster-autoscaler).
 */
export const clusterAutoscalerImageTags = {
  "1.35": "v1.35.1",
  "1.36": "v1.36.1",
} as const;

/** Chart keys, e.g. `"certManager"`. */
export type ChartKey = keyof typeof charts;

/** Raw manifests applied without Helm. */
export const manifests = {
  /** Experimental channel: Cilium needs TLSRoute. Applied before the Cilium chart. */
  gatewayApiCrds: {
    version: "v1.5.1",
    url: "https://github.com/kubernetes-sigs/gateway-api/releases/download/v1.5.1/experimental-install.yaml",
  },
} as const;

/**
 * The add-ons a Docker cluster's nodes used to install themselves, now Kubernetes objects managed from Pulumi (so
 * switching them is applied in place). Kind's own are the images its node image (kind v0.32.0, kindest/node v1.36.1)
 * preloads (kubernetes-sigs/kind pkg/build/nodeimage/const_cni.go and const_storage.go at v0.32.0), so a Kind node
 * starts them without pulling; K3s's helper is the one k3s's packaged local-storage uses (k3s-io/k3s
 * manifests/local-storage.yaml).
 */
export const nodeAddons = {
  kindnetd: "docker.io/kindest/kindnetd:v20260528-9350166c",
  kindLocalPathProvisioner: "docker.io/kindest/local-path-provisioner:v20260521-9fb22683",
  kindLocalPathHelper: "docker.io/kindest/local-path-helper:v20260131-7181c60a",
  localPathProvisioner: "docker.io/rancher/local-path-provisioner:v0.0.37",
  localPathHelper: "docker.io/library/busybox:1.36.1",
  k3sLocalPathHelper: "docker.io/rancher/mirrored-library-busybox:1.36.1",
} as const;

/**
 * Node images of the Docker provider for Kind (Vanilla) and K3s: the repository, and the tag used when the spec
 * pins no Kubernetes version. A pinned version `v1.x.y` selects `kindest/node:v1.x.y` / `rancher/k3s:v1.x.y-k3s1`.
 * (Talos's node image follows the Talos version: distributions/talos/versions.ts.)
 */
export const nodeImages = {
  kind: { repository: "kindest/node", defaultTag: "v1.36.1" },
  k3s: { repository: "rancher/k3s", defaultTag: "v1.36.2-k3s1" },
} as const;

/** The Kind node image of a Kubernetes version (`v1.36.1`), or the pinned default. */
export function kindNodeImage(kubernetesVersion?: string): string {
  return `${nodeImages.kind.repository}:${kubernetesVersion ?? nodeImages.kind.defaultTag}`;
}

/** The K3s node image of a Kubernetes version (`v1.36.2`), or the pinned default. */
export function k3sNodeImage(kubernetesVersion?: string): string {
  return `${nodeImages.k3s.repository}:${kubernetesVersion ? `${kubernetesVersion}-k3s1` : nodeImages.k3s.defaultTag}`;
}

/** Images used outside Helm charts. */
export const images = {
  /** The local registry and the pull-through mirrors. */
  registry: "registry:3",
  /** The API load balancer in front of several Kind control planes (kind v0.32.0 switched from haproxy to envoy). */
  kindLoadBalancer: "docker.io/envoyproxy/envoy:v1.36.2",
  /** The server load balancer in front of several K3s servers: k3d's proxy image of the k3d release (v5.9.0) it follows. */
  k3dProxy: "ghcr.io/k3d-io/k3d-proxy:5.9.0",
  cloudProviderKind: "registry.k8s.io/cloud-provider-kind/cloud-controller-manager:v0.11.1",
  /** In-cluster connectivity probe (ClusterReadiness, Cilium only). */
  connectivityProbe: "busybox:1.36.1",
  /** Argo CD SOPS plugin sidecar; matches the appVersion of the pinned argo-cd chart (10.1.1 → v3.4.4). */
  argoCd: "quay.io/argoproj/argocd:v3.4.4",
  sops: "ghcr.io/getsops/sops:v3.13.3-alpine",
} as const;

/** The Flux distribution the FluxInstance installs; the artifact tag matches the flux-operator chart. */
export const fluxDistribution = {
  version: "2.x",
  registry: "ghcr.io/fluxcd",
  artifact: `oci://ghcr.io/controlplaneio-fluxcd/flux-operator-manifests:v${charts.fluxOperator.version}`,
} as const;

/** Install timeout base in seconds when `connection.timeout` is unset: 480 on Talos, 300 elsewhere. */
export function baseInstallTimeoutSeconds(distribution: string): number {
  return distribution === "Talos" ? 8 * MIN : 5 * MIN;
}

/** Effective Helm timeout for a chart: max(base, the chart's floor). */
export function installTimeoutSeconds(key: ChartKey, baseSeconds: number): number {
  return Math.max(baseSeconds, charts[key].timeoutFloorSeconds);
}
