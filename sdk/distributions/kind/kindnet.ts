/**
 * kindnet, Kind's default CNI, as Kubernetes objects (pure). Kind ships it as a templated manifest in the node image
 * (kubernetes-sigs/kind pkg/build/nodeimage/const_cni.go) and its installcni action fills in the pod subnet and adds
 * `CONTROL_PLANE_ENDPOINT` to the DaemonSet's first container (pkg/cluster/internal/create/actions/installcni/cni.go).
 * Here the same objects are rendered up front and applied from Pulumi, so turning the built-in CNI on or off is a
 * change of Kubernetes objects only: no node is touched.
 */
export interface KindnetInput {
  /** kindnetd image (the one the node image preloads). */
  readonly image: string;
  /** Pod subnet (`POD_SUBNET`), e.g. 10.244.0.0/16. */
  readonly podSubnet: string;
  /** `<host>:6443` the nodes reach the API server at (`CONTROL_PLANE_ENDPOINT`). */
  readonly controlPlaneEndpoint: string;
}

const LABELS = { tier: "node", app: "kindnet", "k8s-app": "kindnet" };

export function kindnetObjects(input: KindnetInput): Record<string, unknown>[] {
  const fieldEnv = (name: string, fieldPath: string) => ({ name, valueFrom: { fieldRef: { fieldPath } } });
  const hostPath = (name: string, path: string, type?: string) => ({ name, hostPath: { path, ...(type ? { type } : {}) } });
  return [
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRole",
      metadata: { name: "kindnet" },
      rules: [
        { apiGroups: [""], resources: ["nodes", "pods", "namespaces"], verbs: ["list", "watch"] },
        { apiGroups: ["networking.k8s.io"], resources: ["networkpolicies"], verbs: ["list", "watch"] },
      ],
    },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRoleBinding",
      metadata: { name: "kindnet" },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "kindnet" },
      subjects: [{ kind: "ServiceAccount", name: "kindnet", namespace: "kube-system" }],
    },
    { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "kindnet", namespace: "kube-system" } },
    {
      apiVersion: "apps/v1",
      kind: "DaemonSet",
      metadata: { name: "kindnet", namespace: "kube-system", labels: LABELS },
      spec: {
        selector: { matchLabels: { app: "kindnet" } },
        template: {
          metadata: { labels: LABELS },
          spec: {
            hostNetwork: true,
            nodeSelector: { "kubernetes.io/os": "linux" },
            tolerations: [{ operator: "Exists" }],
            priorityClassName: "system-node-critical",
            serviceAccountName: "kindnet",
            containers: [
              {
                name: "kindnet-cni",
                image: input.image,
                env: [
                  fieldEnv("HOST_IP", "status.hostIP"),
                  fieldEnv("POD_IP", "status.podIP"),
                  { name: "POD_SUBNET", value: input.podSubnet },
                  { name: "CONTROL_PLANE_ENDPOINT", value: input.controlPlaneEndpoint },
                ],
                volumeMounts: [
                  { name: "cni-cfg", mountPath: "/etc/cni/net.d" },
                  { name: "xtables-lock", mountPath: "/run/xtables.lock", readOnly: false },
                  { name: "lib-modules", mountPath: "/lib/modules", readOnly: true },
                  { name: "nri-plugin", mountPath: "/var/run/nri" },
                ],
                resources: { requests: { cpu: "100m", memory: "50Mi" } },
                securityContext: { privileged: false, capabilities: { add: ["NET_RAW", "NET_ADMIN"] } },
              },
            ],
            volumes: [
              hostPath("cni-cfg", "/etc/cni/net.d"),
              hostPath("xtables-lock", "/run/xtables.lock", "FileOrCreate"),
              hostPath("lib-modules", "/lib/modules"),
              hostPath("nri-plugin", "/var/run/nri"),
            ],
          },
        },
      },
    },
  ];
}
