/**
 * Vanilla and Talos on a host cluster (sdk/plan/dindHost.ts). On the host provider: the namespace (carrying the
 * recreate key), the fronts of the nested API server, of the pod's Docker engine and (Talos) of apid, the identity
 * from ClusterSecrets (kubeadm PKI or Talos bundle pointed at the fronts, and the engine's mutual TLS for the engine
 * front's address), the TLS Secret, the ClusterIP Service and the Docker-in-Docker StatefulSet. Then a docker provider
 * configured with the engine front's address and the client certificate runs the cluster's Docker layer
 * (sdk/infra/docker/cluster.ts, Talos machines included) on that engine. The provider's configuration is data
 * in the state: `pulumi refresh` and `destroy` reach the engine without the program. Deleting the namespace remains
 * the backstop (it takes the engine and every container in it).
 */
import * as pulumi from "@pulumi/pulumi";
import * as docker from "@pulumi/docker";
import * as k8s from "@pulumi/kubernetes";
import { ClusterSecrets } from "../../dynamic/clusterSecrets";
import { dockerCluster } from "../docker/cluster";
import { DIND_API_PORT, DIND_DOCKER_PORT, DIND_TALOS_PORT, dindHostManifests, dindTlsSecretData } from "../../plan/dindHost";
import type { ClusterInfra, InfraContext } from "../types";
import { apiFront, PRIVILEGED_NAMESPACE, withTlsServerName, workloadHost, type WorkloadHostArgs } from "./host";

/** A name in every serving certificate kubeadm issues, whatever address the API server is reached at. */
const API_SERVER_NAME = "kubernetes";

export type DindHostArgs = WorkloadHostArgs;

export function dindHostCluster(ctx: InfraContext, host: DindHostArgs): ClusterInfra {
  const { name, parent, plan, protect } = ctx;
  const d = plan.dindHost!;
  const { hostProvider, onHost, timeouts, namespace, inNs, noAwait } = workloadHost(
    name,
    d.namespace,
    host,
    { parent, protect },
    PRIVILEGED_NAMESPACE,
  );
  const ns = inNs.output;
  const front = (x: typeof d.apiExposure, port: number, role: string) =>
    apiFront(name, x.kind === "Gateway" ? x : { ...x }, port, { namespace: inNs, host, opts: onHost, wait: timeouts, role });
  const apiFrontOf = front(d.apiExposure, DIND_API_PORT, "api");
  const dockerFront = front(d.dockerExposure, DIND_DOCKER_PORT, "docker");
  const talosFront = d.talosExposure ? front(d.talosExposure, DIND_TALOS_PORT, "talos") : undefined;
  const endpoint = pulumi.interpolate`https://${apiFrontOf.address}:${apiFrontOf.port}`;
  const talosEndpoint = talosFront ? pulumi.interpolate`${talosFront.address}:${talosFront.port}` : undefined;
  const talos = plan.talos;
  const secrets = new ClusterSecrets(
    `${name}-secrets`,
    {
      clusterName: plan.clusterName,
      distribution: talos ? "Talos" : "Vanilla",
      endpoints: {
        kubernetes: endpoint,
        docker: dockerFront.address,
        ...(talosEndpoint ? { talos: [talosEndpoint], talosNodes: [plan.nodes[0].address] } : {}),
      },
      ...(talos ? { talosVersion: talos.version } : {}),
    },
    { parent, protect },
  );
  const tls = secrets.dockerTls.apply((t) => {
    if (!t) throw new Error(`ClusterSecrets ${plan.clusterName} has no Docker engine TLS; is endpoints.docker set?`);
    return t;
  });
  const tlsSecret = new k8s.core.v1.Secret(
    `${name}-dind-tls`,
    {
      metadata: { name: d.tlsSecret, namespace: ns, labels: { ...d.labels } },
      type: "Opaque",
      stringData: pulumi.secret(tls.apply(dindTlsSecretData)),
    },
    { ...onHost, dependsOn: [namespace] },
  );
  const m = dindHostManifests(d);
  const service = new k8s.core.v1.Service(
    `${name}-dind`,
    { metadata: { ...m.service.metadata, namespace: ns }, spec: m.service.spec },
    { ...onHost, dependsOn: [namespace] },
  );
  const statefulSet = new k8s.apps.v1.StatefulSet(
    `${name}-dind-engine`,
    { metadata: { ...m.statefulSet.metadata, namespace: ns, ...noAwait }, spec: m.statefulSet.spec as never },
    { ...onHost, ...timeouts, dependsOn: [tlsSecret, service] },
  );
  const engineHost = pulumi.interpolate`tcp://${dockerFront.address}:${dockerFront.port}`;
  const engine = new docker.Provider(
    `${name}-dind-docker`,
    {
      host: engineHost,
      caMaterial: tls.ca.cert,
      certMaterial: tls.client.cert,
      keyMaterial: pulumi.secret(tls.client.key),
    },
    { parent, dependsOn: [statefulSet] },
  );
  const inner = dockerCluster(ctx, {
    engine: {
      secrets,
      provider: engine,
      dependsOn: [statefulSet],
      endpoint,
      ...(talosFront
        ? {
            talosEndpoint,
            certSANs: pulumi.all([apiFrontOf.address, talosFront.address]).apply((a) => [...new Set(a)]),
            // A Talos reboot restarts the node's container, on this engine.
            dockerEngine: pulumi.secret(
              pulumi.all([engineHost, tls]).apply(([host, t]) => ({ host, ca: t.ca.cert, cert: t.client.cert, key: t.client.key })),
            ),
          }
        : // kubeadm's serving certificate names `kubernetes`, not the front's address: clients check it against that name.
          { kubeconfig: pulumi.secret(secrets.kubeconfig.apply((k) => withTlsServerName(k, API_SERVER_NAME))) }),
    },
  });
  const onHostResources = [
    hostProvider,
    namespace,
    secrets,
    ...apiFrontOf.resources,
    ...dockerFront.resources,
    ...(talosFront?.resources ?? []),
    tlsSecret,
    service,
    statefulSet,
    engine,
  ];
  return { ...inner, resources: [...onHostResources, ...(inner.resources ?? [])] };
}
