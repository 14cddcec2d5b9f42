/**
 * KWOK on a host cluster (provider Kubernetes) as plain data. KSail runs kwokctl's docker runtime inside a
 * Docker-in-Docker pod and drives it through an exec tunnel, which `pulumi destroy` and `refresh` could not reopen
 * (they do not run the program). Here the same five processes — kwokctl's images, flags and files
 * (sdk/distributions/kwok) — run as the host's own workloads instead, so every object is a plain Kubernetes
 * resource the host provider creates, previews, refreshes and deletes: a StatefulSet `kwok-control-plane` with
 * etcd, kube-apiserver, kube-controller-manager and kube-scheduler in one pod (they reach each other on
 * 127.0.0.1, as the containers reach each other by name on kwokctl's network), a Deployment `kwok-controller` that
 * reaches the API server through the ClusterIP Service `kwok-apiserver` (so a change of the kwok/ folder restarts it
 * alone), the files in the Secret `kwok`, and the API front. The serving certificate names `kubernetes`, which
 * every kubeconfig sets as its TLS server name, so the front's address needs no certificate of its own.
 */
import { shortHash } from "./salt";
import * as path from "node:path";
import { KWOK_PATHS, KWOK_PORTS, kwokInClusterKubeconfig, kwokProcesses, type KwokComponent, type KwokFile } from "../distributions/kwok";
import type { KwokPki } from "../pki/types";
import { kwokImage, type KwokClusterPlan } from "./kwok";
import { hostFront, type HostExposure, type HostFront } from "./k3k";

export type KwokHostExposure = HostFront;

/** The Secret's keys: the files, under the names the pods mount them by. */
export const KWOK_SECRET_KEYS = {
  caCert: "ca.crt",
  adminCert: "admin.crt",
  adminKey: "admin.key",
  localKubeconfig: "kubeconfig-local",
  serviceKubeconfig: "kubeconfig-service",
  kwokConfig: "kwok.yaml",
} as const;

export interface KwokHostPlan {
  /** `ksail-<name>` (KSail's namespace for a nested cluster run from Docker-in-Docker). */
  readonly namespace: string;
  readonly secretName: "kwok";
  /** The ClusterIP Service (443 → 6443) the kwok controller, and a Gateway, reach the API server through. */
  readonly apiService: "kwok-apiserver";
  readonly exposure: KwokHostExposure;
  /** Labels of the control-plane pod (the Services select it). */
  readonly controlPlaneLabels: Readonly<Record<string, string>>;
  readonly controllerLabels: Readonly<Record<string, string>>;
  /** The StatefulSet's and the Deployment's `spec`. */
  readonly controlPlane: Record<string, unknown>;
  readonly controller: Record<string, unknown>;
  /** Secret keys that are not key material (the admin key is added from the identity). */
  readonly plainFiles: Readonly<Record<string, string>>;
}

export interface KwokHostInput {
  readonly clusterName: string;
  readonly kwok: KwokClusterPlan;
  readonly gatewayClassName: string;
  readonly hostExposure?: HostExposure;
  readonly persistence: { readonly enabled: boolean; readonly storageClassName: string; readonly size: string };
}

/** The Secret volume each file is mounted from: one per directory of kwokctl's paths, mounted at that directory. */
const VOLUME_OF: Readonly<Record<KwokFile, string>> = {
  caCert: "pki",
  adminCert: "pki",
  adminKey: "pki",
  kubeconfig: "kubeconfig",
  kwokConfig: "kwok",
};

function container(image: string, p: ReturnType<typeof kwokProcesses>[number], args: string[]) {
  const mounts = new Map(p.files.map((f) => [VOLUME_OF[f], path.posix.dirname(KWOK_PATHS[f])]));
  return {
    name: p.component,
    image,
    command: [p.entrypoint],
    args,
    volumeMounts: [
      ...[...mounts].map(([name, mountPath]) => ({ name, mountPath, readOnly: true })),
      ...(p.component === "etcd" ? [{ name: "etcd-data", mountPath: "/etcd-data" }] : []),
    ],
    ...(p.component === "kube-apiserver"
      ? {
          ports: [{ name: "https", containerPort: KWOK_PORTS["kube-apiserver"] }],
          // /readyz is open to anonymous requests (system:public-info-viewer), so the kubelet can probe it.
          readinessProbe: { httpGet: { path: "/readyz", port: KWOK_PORTS["kube-apiserver"], scheme: "HTTPS" }, periodSeconds: 5 },
        }
      : {}),
  };
}

/** A Secret volume whose items are files at kwokctl's paths (`key` in the Secret → the file's name in its directory). */
const secretVolume = (name: string, secret: string, items: [string, KwokFile, number?][]) => ({
  name,
  secret: {
    secretName: secret,
    items: items.map(([key, file, mode]) => ({ key, path: path.posix.basename(KWOK_PATHS[file]), ...(mode ? { mode } : {}) })),
  },
});

export function planKwokHost(i: KwokHostInput): KwokHostPlan {
  const name = i.clusterName;
  const base = { "app.kubernetes.io/name": "kwok", "ksail.io/cluster": name };
  const controlPlaneLabels = { ...base, "app.kubernetes.io/component": "control-plane" };
  const controllerLabels = { ...base, "app.kubernetes.io/component": "kwok-controller" };
  const exposure = hostFront(i, "api", 6443, controlPlaneLabels, { service: "kwok-apiserver", port: 443 });
  const procs = kwokProcesses(name);
  const image = (c: KwokComponent) => kwokImage(i.kwok, c);
  // In one pod the processes reach each other on 127.0.0.1; every other flag is kwokctl's.
  const podArgs = (p: (typeof procs)[number]) =>
    p.args.map((a) => (a.startsWith("--etcd-servers=") ? "--etcd-servers=http://127.0.0.1:2379" : a));
  const K = KWOK_SECRET_KEYS;
  const pki = secretVolume("pki", "kwok", [
    [K.caCert, "caCert"],
    [K.adminCert, "adminCert"],
    [K.adminKey, "adminKey", 0o400],
  ]);
  const controlPlane = {
    serviceName: "kwok-apiserver",
    replicas: 1,
    selector: { matchLabels: controlPlaneLabels },
    template: {
      metadata: { labels: controlPlaneLabels },
      spec: {
        containers: procs.filter((p) => p.component !== "kwok-controller").map((p) => container(image(p.component), p, podArgs(p))),
        volumes: [
          pki,
          secretVolume("kubeconfig", "kwok", [[K.localKubeconfig, "kubeconfig"]]),
          ...(i.persistence.enabled ? [] : [{ name: "etcd-data", emptyDir: {} }]),
        ],
      },
    },
    ...(i.persistence.enabled
      ? {
          volumeClaimTemplates: [
            {
              metadata: { name: "etcd-data" },
              spec: {
                accessModes: ["ReadWriteOnce"],
                resources: { requests: { storage: i.persistence.size || "20Gi" } },
                ...(i.persistence.storageClassName ? { storageClassName: i.persistence.storageClassName } : {}),
              },
            },
          ],
        }
      : {}),
  };
  const kwokProc = procs.find((p) => p.component === "kwok-controller")!;
  const controller = {
    replicas: 1,
    selector: { matchLabels: controllerLabels },
    template: {
      // A new kwok.yaml rolls the controller (it reads its configuration at start).
      metadata: { labels: controllerLabels, annotations: { "ksail.io/kwok-config": shortHash(i.kwok.kwokConfig) } },
      spec: {
        containers: [container(image("kwok-controller"), kwokProc, [...kwokProc.args])],
        volumes: [
          pki,
          secretVolume("kubeconfig", "kwok", [[K.serviceKubeconfig, "kubeconfig"]]),
          secretVolume("kwok", "kwok", [[K.kwokConfig, "kwokConfig"]]),
        ],
      },
    },
  };
  return {
    namespace: `ksail-${name}`,
    secretName: "kwok",
    apiService: "kwok-apiserver",
    exposure,
    controlPlaneLabels,
    controllerLabels,
    controlPlane,
    controller,
    plainFiles: {
      [K.localKubeconfig]: kwokInClusterKubeconfig(name, "https://127.0.0.1:6443"),
      [K.serviceKubeconfig]: kwokInClusterKubeconfig(name, "https://kwok-apiserver:443"),
      [K.kwokConfig]: i.kwok.kwokConfig,
    },
  };
}

/**
 * The host objects of a KWOK cluster as they are applied (the infrastructure sets the namespace from the namespace
 * resource, for ordering): the ClusterIP Service, the control-plane StatefulSet and the kwok controller's Deployment.
 * The Secret is built from `plainFiles` and the identity.
 */
export function kwokHostManifests(k: KwokHostPlan) {
  const meta = (name: string, labels: Readonly<Record<string, string>>) => ({ name, namespace: k.namespace, labels: { ...labels } });
  return {
    apiService: {
      apiVersion: "v1",
      kind: "Service",
      // Not awaited: the plugin's Service readiness waits for endpoints, i.e. for the control plane's pods, which the
      // StatefulSet brings and the API gate waits for anyway.
      metadata: { name: k.apiService, namespace: k.namespace, annotations: { "pulumi.com/skipAwait": "true" } },
      spec: { selector: { ...k.controlPlaneLabels }, ports: [{ name: "https", port: 443, targetPort: 6443, protocol: "TCP" }] },
    },
    controlPlane: {
      apiVersion: "apps/v1",
      kind: "StatefulSet",
      metadata: meta("kwok-control-plane", k.controlPlaneLabels),
      spec: k.controlPlane,
    },
    controller: { apiVersion: "apps/v1", kind: "Deployment", metadata: meta("kwok-controller", k.controllerLabels), spec: k.controller },
  };
}

/** The Secret's data: the plan's files and the KWOK identity's certificates and key, under the keys the pods mount. */
export function kwokHostSecretData(k: KwokHostPlan, pki: KwokPki): Record<string, string> {
  const K = KWOK_SECRET_KEYS;
  return { ...k.plainFiles, [K.caCert]: pki.ca.cert, [K.adminCert]: pki.admin.cert, [K.adminKey]: pki.admin.key };
}
