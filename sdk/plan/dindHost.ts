/**
 * Vanilla and Talos on a host cluster (provider Kubernetes) as plain data: KSail's Docker-in-Docker tier. A
 * privileged `docker:28-dind` pod in `ksail-<name>` runs a Docker Engine, and the Docker plan of the cluster (the same
 * node containers as on provider Docker, sdk/plan/dockerContainers.ts) runs on that engine.
 *
 * KSail reaches the engine through an exec tunnel opened by the CLI for the length of one command. A Pulumi program
 * cannot keep one open for `pulumi destroy` and `refresh`, which do not run the program. Here the engine is served
 * on TCP with mutual TLS instead (the image's own TLS mode: docker-library/docker dockerd-entrypoint.sh starts
 * `dockerd --host=tcp://0.0.0.0:2376 --tlsverify` with `$DOCKER_TLS_CERTDIR/server/{ca,cert,key}.pem`) behind the
 * host's front, like the nested API server. The docker provider's configuration — the front's address and the
 * client certificate — is then data in the state, so every operation reaches the engine without the program, and
 * only a client holding a certificate of the cluster's own CA (ClusterSecrets) is accepted.
 */
import type { DockerTls } from "../pki/types";
import { hostFront, type HostExposure, type HostFront } from "./k3k";

/** KSail's pod (devantler-tech/ksail pkg/svc/provider/kubernetes/dind.go): image, container name, MTU, API port. */
export const DIND_IMAGE = "docker:28-dind";
export const DIND_CONTAINER = "dind";
/** Bridge MTU of the inner engine: below the host network's, whose pod network may encapsulate (KSail: 1400). */
export const DIND_MTU = 1400;
/** The port the nested API server is published on inside the pod (KSail: `DinDAPIServerPort`). */
export const DIND_API_PORT = 6443;
/** Talos only: the port the first control plane's apid is published on inside the pod (Talos's own port). */
export const DIND_TALOS_PORT = 50000;
/** The engine's TLS port (the image's entrypoint with `DOCKER_TLS_CERTDIR` set). */
export const DIND_DOCKER_PORT = 2376;
/** `DOCKER_TLS_CERTDIR`; the entrypoint reads `server/{ca,cert,key}.pem` below it. */
export const DIND_CERT_DIR = "/certs";

/** The TLS Secret's keys: the entrypoint's file names in `$DOCKER_TLS_CERTDIR/server`. */
export const DIND_TLS_KEYS = { ca: "ca.pem", cert: "cert.pem", key: "key.pem" } as const;

/** A front of the pod: a Service of its own (LoadBalancer or NodePort), or a Gateway with a TCPRoute to `dind`. */
export type DindExposure = HostFront;

export interface DindHostPlan {
  /** `ksail-<name>` (KSail's namespace of a Docker-in-Docker cluster). */
  readonly namespace: string;
  readonly statefulSet: "dind";
  /** ClusterIP Service over the pod (the StatefulSet's service; a Gateway's backend), KSail's `dind`. */
  readonly service: "dind";
  readonly tlsSecret: "dind-tls";
  readonly labels: Readonly<Record<string, string>>;
  /** The nested API server's front (6443 in the pod) and the engine's (2376 in the pod). */
  readonly apiExposure: DindExposure;
  readonly dockerExposure: DindExposure;
  /** Talos only: the front of the first control plane's apid (50000 in the pod). */
  readonly talosExposure?: DindExposure;
  /** The StatefulSet's `spec`. */
  readonly spec: Record<string, unknown>;
}

export interface DindHostInput {
  readonly clusterName: string;
  /** Talos nodes: apid is published and fronted too. */
  readonly talos?: boolean;
  readonly gatewayClassName: string;
  readonly hostExposure?: HostExposure;
  readonly persistence: { readonly enabled: boolean; readonly storageClassName: string; readonly size: string };
}

const exposure = (i: DindHostInput, role: "api" | "docker" | "talos", port: number, labels: Readonly<Record<string, string>>) =>
  hostFront(i, role, port, labels, { service: "dind", port });

export function planDindHost(i: DindHostInput): DindHostPlan {
  const labels = { "app.kubernetes.io/name": "dind", "ksail.io/cluster": i.clusterName };
  const dataVolume = "docker-data";
  const container = {
    name: DIND_CONTAINER,
    image: DIND_IMAGE,
    // With DOCKER_TLS_CERTDIR set and the server files present (but no CA key), the entrypoint generates nothing,
    // verifies the files and prepends `dockerd --host=unix:///var/run/docker.sock --host=tcp://0.0.0.0:2376
    // --tlsverify --tlscacert … --tlscert … --tlskey …` to these arguments.
    args: [`--mtu=${DIND_MTU}`],
    env: [{ name: "DOCKER_TLS_CERTDIR", value: DIND_CERT_DIR }],
    securityContext: { privileged: true },
    ports: [
      { name: "docker", containerPort: DIND_DOCKER_PORT },
      { name: "kube-api", containerPort: DIND_API_PORT },
      ...(i.talos ? [{ name: "talos-api", containerPort: DIND_TALOS_PORT }] : []),
    ],
    // KSail's probe: the engine's port answers (here its TLS port).
    readinessProbe: { tcpSocket: { port: DIND_DOCKER_PORT }, initialDelaySeconds: 5, periodSeconds: 2, failureThreshold: 30 },
    // KSail's requests and limits.
    resources: { requests: { cpu: "1", memory: "2Gi" }, limits: { cpu: "4", memory: "8Gi" } },
    volumeMounts: [
      { name: dataVolume, mountPath: "/var/lib/docker" },
      // Kind's node containers mount /lib/modules from their Docker host, which here is this pod.
      { name: "modules", mountPath: "/lib/modules", readOnly: true },
      { name: "tls", mountPath: `${DIND_CERT_DIR}/server`, readOnly: true },
    ],
  };
  const spec = {
    serviceName: "dind",
    replicas: 1,
    selector: { matchLabels: labels },
    template: {
      metadata: { labels },
      spec: {
        // The engine never calls the host's API.
        automountServiceAccountToken: false,
        containers: [container],
        volumes: [
          { name: "modules", hostPath: { path: "/lib/modules" } },
          {
            name: "tls",
            secret: {
              secretName: "dind-tls",
              items: Object.values(DIND_TLS_KEYS).map((k) => ({ key: k, path: k, ...(k === DIND_TLS_KEYS.key ? { mode: 0o400 } : {}) })),
            },
          },
          ...(i.persistence.enabled ? [] : [{ name: dataVolume, emptyDir: {} }]),
        ],
      },
    },
    ...(i.persistence.enabled
      ? {
          volumeClaimTemplates: [
            {
              metadata: { name: dataVolume },
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
  return {
    namespace: `ksail-${i.clusterName}`,
    statefulSet: "dind",
    service: "dind",
    tlsSecret: "dind-tls",
    labels,
    apiExposure: exposure(i, "api", DIND_API_PORT, labels),
    dockerExposure: exposure(i, "docker", DIND_DOCKER_PORT, labels),
    ...(i.talos ? { talosExposure: exposure(i, "talos", DIND_TALOS_PORT, labels) } : {}),
    spec,
  };
}

/** The host objects as applied (the infrastructure sets the namespace from its resource, for ordering). */
export function dindHostManifests(d: DindHostPlan) {
  const metadata = (name: string) => ({ name, namespace: d.namespace, labels: { ...d.labels } });
  return {
    service: {
      apiVersion: "v1",
      kind: "Service",
      // Not awaited: its endpoints exist only once the pod is ready, and nothing waits on the Service itself.
      metadata: { ...metadata(d.service), annotations: { "pulumi.com/skipAwait": "true" } },
      spec: {
        type: "ClusterIP",
        selector: { ...d.labels },
        ports: [
          { name: "kube-api", port: DIND_API_PORT, targetPort: DIND_API_PORT, protocol: "TCP" },
          { name: "docker", port: DIND_DOCKER_PORT, targetPort: DIND_DOCKER_PORT, protocol: "TCP" },
          ...(d.talosExposure ? [{ name: "talos-api", port: DIND_TALOS_PORT, targetPort: DIND_TALOS_PORT, protocol: "TCP" }] : []),
        ],
      },
    },
    statefulSet: { apiVersion: "apps/v1", kind: "StatefulSet", metadata: metadata(d.statefulSet), spec: d.spec },
  };
}

/** The TLS Secret's data: the engine's serving certificate and key, and the CA it checks clients against. */
export function dindTlsSecretData(tls: DockerTls): Record<string, string> {
  return { [DIND_TLS_KEYS.ca]: tls.ca.cert, [DIND_TLS_KEYS.cert]: tls.server.cert, [DIND_TLS_KEYS.key]: tls.server.key };
}
