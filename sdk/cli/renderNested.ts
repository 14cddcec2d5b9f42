/**
 * `render` of the host objects of nested clusters whose workloads KSailCluster defines itself (KWOK's processes, the
 * Docker-in-Docker engine of Vanilla), and the words for a nested cluster's API front.
 */
import * as YAML from "yaml";
import type { ClusterPlan } from "../plan/cluster";
import type { K3kExposure } from "../plan/k3k";
import type { VClusterExposure } from "../plan/vcluster";
import { kwokHostManifests, kwokHostSecretData, type KwokHostExposure } from "../plan/kwokHost";
import { DIND_TLS_KEYS, dindHostManifests, type DindExposure } from "../plan/dindHost";
import type { RenderedFile } from "./render";

const yaml = (v: unknown) => YAML.stringify(v, { lineWidth: 0 });

const FROM_SECRETS = "(from ClusterSecrets)";

/** A Secret KSailCluster applies on the host, as `render` shows it (key material stands in as FROM_SECRETS). */
const hostSecret = (name: string, namespace: string, stringData: Record<string, string>) => ({
  apiVersion: "v1",
  kind: "Secret",
  metadata: { name, namespace },
  type: "Opaque",
  stringData,
});

/** KWOK on a host cluster: the host objects KSailCluster applies (the Secret's key material left out) and the node. */
export function kwokHostFiles(plan: ClusterPlan): RenderedFile[] {
  const k = plan.kwokHost!;
  const m = kwokHostManifests(k);
  const secret = hostSecret(
    k.secretName,
    k.namespace,
    kwokHostSecretData(k, { ca: { cert: FROM_SECRETS, key: "" }, admin: { cert: FROM_SECRETS, key: FROM_SECRETS } }),
  );
  return [
    {
      path: "kwok/host.yaml",
      content:
        `# Namespace ${k.namespace} on the host; API front: ${frontText(k.exposure)}. The kubeconfig checks the API server as \`kubernetes\`.\n` +
        [secret, m.apiService, m.controlPlane, m.controller].map((o) => yaml(o)).join("---\n"),
      secret: false,
    },
    { path: "kwok/node.yaml", content: yaml(plan.kwok!.node), secret: false },
  ];
}

/**
 * Vanilla and Talos on a host cluster: the Docker-in-Docker objects KSailCluster applies on the host (the TLS Secret's key
 * material left out); the node containers inside follow as on provider Docker.
 */
export function dindHostFiles(plan: ClusterPlan): RenderedFile[] {
  const d = plan.dindHost!;
  const m = dindHostManifests(d);
  const secret = hostSecret(d.tlsSecret, d.namespace, Object.fromEntries(Object.values(DIND_TLS_KEYS).map((k) => [k, FROM_SECRETS])));
  return [
    {
      path: "dind/host.yaml",
      content:
        `# Namespace ${d.namespace} on the host. API front: ${frontText(d.apiExposure)}${d.talosExposure ? "; its address is a certificate SAN" : "; the kubeconfig checks the API server as `kubernetes`"}.\n` +
        `# Docker engine front: ${frontText(d.dockerExposure)}; mutual TLS, the engine's certificate names the front's address.\n` +
        (d.talosExposure
          ? `# Talos API front: ${frontText(d.talosExposure)}; its address is a certificate SAN of apid and the API server.\n`
          : "") +
        [secret, m.service, m.statefulSet].map((o) => yaml(o)).join("---\n"),
      secret: false,
    },
  ];
}

/** A nested cluster's API front in words. */
export function frontText(x: K3kExposure | VClusterExposure | KwokHostExposure | DindExposure): string {
  if (x.kind === "Gateway")
    return `Gateway ${x.gateway} (class ${x.gatewayClassName}) + TCPRoute to ${x.backend.service}:${x.backend.port}`;
  if (x.kind === "NodePort") return `NodePort Service ${x.service} at the host address (hostAddress, else the host API server's)`;
  return `LoadBalancer Service ${x.service}:${x.port}`;
}
