/**
 * The kubelet serving-certificate approver that Talos clusters get as an inline manifest when
 * metrics-server is on (KSail behaviour): kubelets rotate their
 * serving certificates (`rotate-server-certificates`), and this controller approves the resulting
 * `kubernetes.io/kubelet-serving` CSRs so metrics-server can keep verifying kubelet TLS. Written from the
 * controller's documented needs (RBAC on CSRs and the signer, events), not copied from upstream.
 */
import * as YAML from "yaml";
import { KUBELET_SERVING_CERT_APPROVER_IMAGE } from "./versions";

export const APPROVER_NAME = "kubelet-serving-cert-approver";

/** Multi-document Kubernetes manifest (namespace, RBAC, deployment). */
export function kubeletServingCertApproverManifest(image = KUBELET_SERVING_CERT_APPROVER_IMAGE): string {
  const ns = APPROVER_NAME;
  const labels = { "app.kubernetes.io/name": APPROVER_NAME };
  const docs: object[] = [
    {
      apiVersion: "v1",
      kind: "Namespace",
      metadata: { name: ns, labels: { "pod-security.kubernetes.io/enforce": "restricted" } },
    },
    { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: APPROVER_NAME, namespace: ns, labels } },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRole",
      metadata: { name: `certificates:${APPROVER_NAME}`, labels },
      rules: [
        { apiGroups: ["certificates.k8s.io"], resources: ["certificatesigningrequests"], verbs: ["get", "list", "watch"] },
        { apiGroups: ["certificates.k8s.io"], resources: ["certificatesigningrequests/approval"], verbs: ["update"] },
        {
          apiGroups: ["certificates.k8s.io"],
          resources: ["signers"],
          resourceNames: ["kubernetes.io/kubelet-serving"],
          verbs: ["approve"],
        },
        { apiGroups: ["authorization.k8s.io"], resources: ["subjectaccessreviews"], verbs: ["create"] },
      ],
    },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRole",
      metadata: { name: `events:${APPROVER_NAME}`, labels },
      rules: [{ apiGroups: [""], resources: ["events"], verbs: ["create", "patch"] }],
    },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRoleBinding",
      metadata: { name: APPROVER_NAME, labels },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: `certificates:${APPROVER_NAME}` },
      subjects: [{ kind: "ServiceAccount", name: APPROVER_NAME, namespace: ns }],
    },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "RoleBinding",
      metadata: { name: `events:${APPROVER_NAME}`, namespace: "default", labels },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: `events:${APPROVER_NAME}` },
      subjects: [{ kind: "ServiceAccount", name: APPROVER_NAME, namespace: ns }],
    },
    {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: APPROVER_NAME, namespace: ns, labels },
      spec: {
        replicas: 1,
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: {
            serviceAccountName: APPROVER_NAME,
            priorityClassName: "system-cluster-critical",
            securityContext: { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } },
            tolerations: [
              { key: "node-role.kubernetes.io/control-plane", operator: "Exists", effect: "NoSchedule" },
              { key: "node.cloudprovider.kubernetes.io/uninitialized", operator: "Exists", effect: "NoSchedule" },
            ],
            containers: [
              {
                name: APPROVER_NAME,
                image,
                imagePullPolicy: "IfNotPresent",
                args: ["serve"],
                env: [{ name: "NAMESPACE", valueFrom: { fieldRef: { fieldPath: "metadata.namespace" } } }],
                ports: [
                  { name: "health", containerPort: 8080 },
                  { name: "metrics", containerPort: 9090 },
                ],
                livenessProbe: { httpGet: { path: "/healthz", port: "health" }, initialDelaySeconds: 5 },
                readinessProbe: { httpGet: { path: "/readyz", port: "health" }, initialDelaySeconds: 5 },
                resources: { requests: { cpu: "10m", memory: "32Mi" }, limits: { memory: "64Mi" } },
                securityContext: {
                  allowPrivilegeEscalation: false,
                  readOnlyRootFilesystem: true,
                  capabilities: { drop: ["ALL"] },
                },
              },
            ],
          },
        },
      },
    },
  ];
  return docs.map((d) => YAML.stringify(d, { lineWidth: 0 })).join("---\n");
}
