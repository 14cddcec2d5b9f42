/**
 * The five processes of a KWOK cluster and their flags, as kwokctl v0.8.0 builds them for its docker runtime
 * (sigs.k8s.io/kwok pkg/kwokctl/components/{etcd,kube_apiserver,kube_controller_manager,kube_scheduler,kwok_controller}.go
 * in container mode, with kwokctl's defaults from pkg/config/vars.go and pkg/apis/config/v1alpha1: secure port,
 * authorization and admission on, etcd prefix `/registry`, an 8Gi etcd quota, node monitor period 5 s and grace
 * 40 s, node lease 40 s, info verbosity, no feature gates, no tracing, QPS limits kept). Containers are named as
 * kwokctl's compose runtime names them (pkg/kwokctl/runtime/compose/cluster_operation.go): `kwok-<cluster>-<component>`.
 */

/** Paths inside the containers (kwokctl's pkg/kwokctl/components/utils.go and kwok_controller.go). */
export const KWOK_PATHS = {
  caCert: "/etc/kubernetes/pki/ca.crt",
  adminCert: "/etc/kubernetes/pki/admin.crt",
  adminKey: "/etc/kubernetes/pki/admin.key",
  kubeconfig: "/root/.kube/config",
  kwokConfig: "/root/.kwok/kwok.yaml",
} as const;
export type KwokFile = keyof typeof KWOK_PATHS;

export const KWOK_COMPONENTS = ["etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok-controller"] as const;
export type KwokComponent = (typeof KWOK_COMPONENTS)[number];

/** kwokctl's name of the cluster, its network and its container-name prefix: `kwok-<name>`. */
export const kwokProjectName = (clusterName: string) => `kwok-${clusterName}`;
export const kwokContainerName = (clusterName: string, component: KwokComponent) => `${kwokProjectName(clusterName)}-${component}`;

/** The port each process serves inside its container (etcd's client port, the secure ports, kwok's node port). */
export const KWOK_PORTS: Readonly<Record<KwokComponent, number>> = {
  etcd: 2379,
  "kube-apiserver": 6443,
  "kube-controller-manager": 10257,
  "kube-scheduler": 10259,
  "kwok-controller": 10247,
};

export interface KwokProcess {
  readonly component: KwokComponent;
  /** The container's entrypoint (kwokctl's `--entrypoint`). */
  readonly entrypoint: string;
  readonly args: readonly string[];
  /** Files the process reads, bind-mounted read-only by kwokctl; uploaded here. */
  readonly files: readonly KwokFile[];
  /** Processes it needs running first (kwokctl's `--link`s). */
  readonly after: readonly KwokComponent[];
}

const ANY = "0.0.0.0";
const ALLOW_PATHS = "--authorization-always-allow-paths=/healthz,/readyz,/livez,/metrics";
const P = KWOK_PATHS;

/** The five processes of cluster `clusterName`, in kwokctl's creation order. */
export function kwokProcesses(clusterName: string): KwokProcess[] {
  const etcdHost = kwokContainerName(clusterName, "etcd");
  const pki: KwokFile[] = ["caCert", "adminCert", "adminKey"];
  return [
    {
      component: "etcd",
      entrypoint: "etcd",
      args: [
        "--name=node0",
        "--auto-compaction-retention=1",
        // kwokctl's default quota, 8Gi, in bytes.
        `--quota-backend-bytes=${8 * 1024 ** 3}`,
        "--data-dir=/etcd-data",
        `--initial-advertise-peer-urls=http://${ANY}:2380`,
        `--listen-peer-urls=http://${ANY}:2380`,
        `--advertise-client-urls=http://${ANY}:2379`,
        `--listen-client-urls=http://${ANY}:2379`,
        `--initial-cluster=node0=http://${ANY}:2380`,
      ],
      files: [],
      after: [],
    },
    {
      component: "kube-apiserver",
      entrypoint: "kube-apiserver",
      args: [
        "--etcd-prefix=/registry",
        "--allow-privileged=true",
        `--etcd-servers=http://${etcdHost}:2379`,
        "--authorization-mode=Node,RBAC",
        `--bind-address=${ANY}`,
        "--secure-port=6443",
        `--tls-cert-file=${P.adminCert}`,
        `--tls-private-key-file=${P.adminKey}`,
        `--client-ca-file=${P.caCert}`,
        // The admin key doubles as the service-account key pair.
        `--service-account-key-file=${P.adminKey}`,
        `--service-account-signing-key-file=${P.adminKey}`,
        "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
        `--proxy-client-key-file=${P.adminKey}`,
        `--proxy-client-cert-file=${P.adminCert}`,
      ],
      files: pki,
      after: ["etcd"],
    },
    {
      component: "kube-controller-manager",
      entrypoint: "kube-controller-manager",
      args: [
        "--node-monitor-period=5s",
        "--node-monitor-grace-period=40s",
        `--kubeconfig=${P.kubeconfig}`,
        ALLOW_PATHS,
        `--bind-address=${ANY}`,
        "--secure-port=10257",
        `--root-ca-file=${P.caCert}`,
        `--service-account-private-key-file=${P.adminKey}`,
      ],
      files: ["kubeconfig", ...pki],
      after: ["kube-apiserver"],
    },
    {
      component: "kube-scheduler",
      entrypoint: "kube-scheduler",
      args: [`--kubeconfig=${P.kubeconfig}`, ALLOW_PATHS, `--bind-address=${ANY}`, "--secure-port=10259"],
      files: ["kubeconfig", ...pki],
      after: ["kube-apiserver"],
    },
    {
      component: "kwok-controller",
      entrypoint: "kwok",
      args: [
        // The compose runtime passes no annotation selector, so the controller manages every node.
        "--manage-all-nodes=true",
        `--kubeconfig=${P.kubeconfig}`,
        `--config=${P.kwokConfig}`,
        `--tls-cert-file=${P.adminCert}`,
        `--tls-private-key-file=${P.adminKey}`,
        "--node-ip=",
        `--node-name=${kwokContainerName(clusterName, "kwok-controller")}`,
        "--node-port=10247",
        `--server-address=${ANY}:10247`,
        "--node-lease-duration-seconds=40",
      ],
      files: ["kubeconfig", ...pki, "kwokConfig"],
      after: ["kube-apiserver"],
    },
  ];
}

/**
 * The components' kubeconfig (kwokctl's in-cluster kubeconfig: the admin certificate against the API server's
 * container name on the cluster network). The identity's certificate names `kubernetes` rather than the
 * container, so the TLS server name is set to it (client-go's `tls-server-name`).
 */
export function kwokInClusterKubeconfig(
  clusterName: string,
  server = `https://${kwokContainerName(clusterName, "kube-apiserver")}:6443`,
): string {
  const project = kwokProjectName(clusterName);
  return [
    "apiVersion: v1",
    "kind: Config",
    "clusters:",
    `- name: ${project}`,
    "  cluster:",
    `    server: ${server}`,
    `    certificate-authority: ${P.caCert}`,
    "    tls-server-name: kubernetes",
    "users:",
    `- name: ${project}`,
    "  user:",
    `    client-certificate: ${P.adminCert}`,
    `    client-key: ${P.adminKey}`,
    "contexts:",
    `- name: ${project}`,
    "  context:",
    `    cluster: ${project}`,
    `    user: ${project}`,
    `current-context: ${project}`,
    "",
  ].join("\n");
}

/** The simulated node `kwokctl scale node --replicas 1` creates (KSail's one node): kwokctl's default name, `node-000000`. */
export const KWOK_NODE_NAME = "node-000000";

/**
 * The simulated node as kwokctl's node resource template makes it (sigs.k8s.io/kwok v0.8.0
 * kustomize/kwokctl/resource/node.yaml, index 0): its annotations and labels, and the first pod CIDR. The status
 * (conditions, addresses, capacity) is the node-initialize stage's to write, as for every node kwok manages.
 */
export function kwokNodeManifest(name: string = KWOK_NODE_NAME) {
  return {
    apiVersion: "v1",
    kind: "Node",
    metadata: {
      name,
      annotations: {
        "kwok.x-k8s.io/node": "fake",
        "node.alpha.kubernetes.io/ttl": "0",
        "metrics.k8s.io/resource-metrics-path": `/metrics/nodes/${name}/metrics/resource`,
      },
      labels: {
        "beta.kubernetes.io/arch": "amd64",
        "beta.kubernetes.io/os": "linux",
        "kubernetes.io/arch": "amd64",
        "kubernetes.io/hostname": name,
        "kubernetes.io/os": "linux",
        "kubernetes.io/role": "agent",
        "node-role.kubernetes.io/agent": "",
        type: "kwok",
      },
    },
    spec: { podCIDR: "10.0.0.0/24", podCIDRs: ["10.0.0.0/24"] },
  };
}
