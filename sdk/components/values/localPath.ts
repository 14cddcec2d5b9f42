import { nodeAddons } from "../../versions";

/**
 * Rancher local-path-provisioner as Kubernetes objects (pure), in the flavour each distribution ships or documents:
 * - `kind`: kind's default storage (kubernetes-sigs/kind pkg/build/nodeimage/const_storage.go at v0.32.0): namespace
 *   `local-path-storage`, kind's own images (preloaded in the node image), default StorageClass `standard`, volumes
 *   under `/var/local-path-provisioner`, helper pods `system-node-critical` and tolerating disk pressure.
 * - `k3s`: k3s's packaged local-storage (k3s-io/k3s manifests/local-storage.yaml): namespace `kube-system`, StorageClass
 *   `local-path`, volumes under the k3s data dir (`/var/lib/rancher/k3s/storage`, so they live in the node's data
 *   volume), the busybox helper k3s uses.
 * - `talos`: Talos's documented setup (Kubernetes guides, local storage): a path under `/var` because `/opt` is
 *   read-only on Talos, and the namespace labelled `privileged` because Talos's PodSecurity admission enforces
 *   `baseline` everywhere but kube-system and the helper pods mount host paths.
 * - `generic`: the upstream release manifest's defaults (`/opt/local-path-provisioner`).
 */
export type LocalPathFlavour = "kind" | "k3s" | "talos" | "generic";

export interface LocalPathSettings {
  readonly namespace: string;
  readonly storageClass: string;
  /** Node directory volumes are created under. */
  readonly path: string;
  readonly image: string;
  readonly helperImage: string;
  /** Label the namespace `pod-security.kubernetes.io/enforce: privileged`. */
  readonly privilegedNamespace: boolean;
  /** Mark the StorageClass as the cluster default. */
  readonly defaultClass: boolean;
}

/** The settings of a flavour. */
export function localPathSettings(flavour: LocalPathFlavour): LocalPathSettings {
  switch (flavour) {
    case "kind":
      return {
        namespace: "local-path-storage",
        storageClass: "standard",
        path: "/var/local-path-provisioner",
        image: nodeAddons.kindLocalPathProvisioner,
        helperImage: nodeAddons.kindLocalPathHelper,
        privilegedNamespace: false,
        defaultClass: true,
      };
    case "k3s":
      return {
        namespace: "kube-system",
        storageClass: "local-path",
        path: "/var/lib/rancher/k3s/storage",
        image: nodeAddons.localPathProvisioner,
        helperImage: nodeAddons.k3sLocalPathHelper,
        privilegedNamespace: false,
        defaultClass: true,
      };
    case "talos":
      return {
        namespace: "local-path-storage",
        storageClass: "local-path",
        path: "/var/local-path-provisioner",
        image: nodeAddons.localPathProvisioner,
        helperImage: nodeAddons.localPathHelper,
        privilegedNamespace: true,
        defaultClass: true,
      };
    case "generic":
      return {
        namespace: "local-path-storage",
        storageClass: "local-path",
        path: "/opt/local-path-provisioner",
        image: nodeAddons.localPathProvisioner,
        helperImage: nodeAddons.localPathHelper,
        privilegedNamespace: false,
        defaultClass: true,
      };
  }
}

const SA = "local-path-provisioner-service-account";
const ROLE = "local-path-provisioner-role";
const BIND = "local-path-provisioner-bind";
const CONFIG = "local-path-config";

/** Every object of the provisioner, namespace first, in apply order. */
export function localPathObjects(s: LocalPathSettings): Record<string, unknown>[] {
  const ns = s.namespace;
  const objs: Record<string, unknown>[] = [];
  if (ns !== "kube-system") {
    objs.push({
      apiVersion: "v1",
      kind: "Namespace",
      metadata: {
        name: ns,
        ...(s.privilegedNamespace ? { labels: { "pod-security.kubernetes.io/enforce": "privileged" } } : {}),
      },
    });
  }
  const subject = [{ kind: "ServiceAccount", name: SA, namespace: ns }];
  objs.push(
    { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: SA, namespace: ns } },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "Role",
      metadata: { name: ROLE, namespace: ns },
      rules: [{ apiGroups: [""], resources: ["pods"], verbs: ["get", "list", "watch", "create", "patch", "update", "delete"] }],
    },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRole",
      metadata: { name: ROLE },
      rules: [
        {
          apiGroups: [""],
          resources: ["nodes", "persistentvolumeclaims", "configmaps", "pods", "pods/log"],
          verbs: ["get", "list", "watch"],
        },
        { apiGroups: [""], resources: ["persistentvolumes"], verbs: ["get", "list", "watch", "create", "patch", "update", "delete"] },
        { apiGroups: [""], resources: ["events"], verbs: ["create", "patch"] },
        { apiGroups: ["storage.k8s.io"], resources: ["storageclasses"], verbs: ["get", "list", "watch"] },
      ],
    },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "RoleBinding",
      metadata: { name: BIND, namespace: ns },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: ROLE },
      subjects: subject,
    },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRoleBinding",
      metadata: { name: BIND },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: ROLE },
      subjects: subject,
    },
    {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "local-path-provisioner", namespace: ns },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: "local-path-provisioner" } },
        template: {
          metadata: { labels: { app: "local-path-provisioner" } },
          spec: {
            nodeSelector: { "kubernetes.io/os": "linux" },
            priorityClassName: "system-node-critical",
            tolerations: [
              { key: "CriticalAddonsOnly", operator: "Exists" },
              { key: "node-role.kubernetes.io/control-plane", operator: "Exists", effect: "NoSchedule" },
            ],
            serviceAccountName: SA,
            containers: [
              {
                name: "local-path-provisioner",
                image: s.image,
                imagePullPolicy: "IfNotPresent",
                command: ["local-path-provisioner", "start", "--helper-image", s.helperImage, "--config", "/etc/config/config.json"],
                volumeMounts: [{ name: "config-volume", mountPath: "/etc/config/" }],
                env: [
                  { name: "POD_NAMESPACE", valueFrom: { fieldRef: { fieldPath: "metadata.namespace" } } },
                  { name: "CONFIG_MOUNT_PATH", value: "/etc/config/" },
                ],
              },
            ],
            volumes: [{ name: "config-volume", configMap: { name: CONFIG } }],
          },
        },
      },
    },
    {
      apiVersion: "storage.k8s.io/v1",
      kind: "StorageClass",
      metadata: {
        name: s.storageClass,
        ...(s.defaultClass ? { annotations: { "storageclass.kubernetes.io/is-default-class": "true" } } : {}),
      },
      provisioner: "rancher.io/local-path",
      volumeBindingMode: "WaitForFirstConsumer",
      reclaimPolicy: "Delete",
    },
    {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: CONFIG, namespace: ns },
      data: {
        "config.json": JSON.stringify({ nodePathMap: [{ node: "DEFAULT_PATH_FOR_NON_LISTED_NODES", paths: [s.path] }] }, null, 2),
        setup: ["#!/bin/sh", "set -eu", 'mkdir -m 0777 -p "$VOL_DIR"', ""].join("\n"),
        teardown: ["#!/bin/sh", "set -eu", 'rm -rf "$VOL_DIR"', ""].join("\n"),
        "helperPod.yaml": [
          "apiVersion: v1",
          "kind: Pod",
          "metadata:",
          "  name: helper-pod",
          "spec:",
          "  priorityClassName: system-node-critical",
          "  tolerations:",
          "    - key: node.kubernetes.io/disk-pressure",
          "      operator: Exists",
          "      effect: NoSchedule",
          "  containers:",
          "    - name: helper-pod",
          `      image: ${s.helperImage}`,
          "      imagePullPolicy: IfNotPresent",
          "",
        ].join("\n"),
      },
    },
  );
  return objs;
}
