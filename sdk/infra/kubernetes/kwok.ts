/**
 * KWOK on a host cluster (sdk/plan/kwokHost.ts): on the host provider, the namespace (carrying the recreate key), the
 * API front, the KWOK identity from ClusterSecrets pointed at the front, the Secret with kwokctl's files, the
 * ClusterIP Service, the control-plane StatefulSet and the kwok controller's Deployment; then, on the nested
 * cluster, a gate on its API server and the simulated node. Every object is the host provider's: `pulumi destroy`
 * and `refresh` reach them without the program, and deleting the namespace is the backstop.
 */
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { ClusterSecrets } from "../../dynamic/clusterSecrets";
import { readinessGate } from "../../components/phases";
import { API_GATE } from "../../plan/catalog";
import { clusterProvider } from "../../components/provider";
import { kwokHostManifests, kwokHostSecretData } from "../../plan/kwokHost";
import type { ClusterInfra, InfraContext } from "../types";
import { apiFront, workloadHost, type WorkloadHostArgs } from "./host";

export type KwokHostArgs = WorkloadHostArgs;

export function kwokHostCluster(ctx: InfraContext, host: KwokHostArgs): ClusterInfra {
  const { name, parent, plan, protect } = ctx;
  const k = plan.kwokHost!;
  const kwok = plan.kwok!;
  const { hostProvider, onHost, timeouts, namespace, inNs, noAwait } = workloadHost(name, k.namespace, host, { parent, protect });
  const ns = inNs.output;
  const x = k.exposure;
  const front = apiFront(name, x.kind === "Gateway" ? x : { ...x }, 6443, { namespace: inNs, host, opts: onHost, wait: timeouts });
  const endpoint = pulumi.interpolate`https://${front.address}:${front.port}`;
  const secrets = new ClusterSecrets(
    `${name}-secrets`,
    { clusterName: plan.clusterName, distribution: "KWOK", endpoints: { kubernetes: endpoint } },
    { parent, protect },
  );
  const pki = (secrets as ClusterSecrets<"KWOK">).kwok;
  const secret = new k8s.core.v1.Secret(
    `${name}-kwok-files`,
    {
      metadata: { name: k.secretName, namespace: ns },
      type: "Opaque",
      stringData: pulumi.secret(pki.apply((p) => kwokHostSecretData(k, p))),
    },
    { ...onHost, dependsOn: [namespace] },
  );
  const m = kwokHostManifests(k);
  const apiService = new k8s.core.v1.Service(
    `${name}-kwok-apiserver`,
    { metadata: { ...m.apiService.metadata, namespace: ns }, spec: m.apiService.spec },
    { ...onHost, dependsOn: [namespace] },
  );
  const controlPlane = new k8s.apps.v1.StatefulSet(
    `${name}-kwok-control-plane`,
    { metadata: { ...m.controlPlane.metadata, namespace: ns, ...noAwait }, spec: m.controlPlane.spec as never },
    { ...onHost, ...timeouts, dependsOn: [secret] },
  );
  const controller = new k8s.apps.v1.Deployment(
    `${name}-kwok-controller`,
    { metadata: { ...m.controller.metadata, namespace: ns, ...noAwait }, spec: m.controller.spec as never },
    { ...onHost, ...timeouts, dependsOn: [secret, apiService, controlPlane] },
  );
  const onHostResources = [hostProvider, namespace, ...front.resources, secret, apiService, controlPlane, controller];
  const apiReady = readinessGate(
    `${name}-kwok-api-ready`,
    API_GATE,
    { distribution: "KWOK", provider: "Kubernetes" },
    { kubeconfig: secrets.kubeconfig, trigger: plan.recreateTrigger },
    { parent, dependsOn: onHostResources },
  );
  const nested = clusterProvider(
    `${name}-kwok-k8s`,
    { kubeconfig: secrets.kubeconfig, clusterIdentifier: `${plan.clusterName}-${plan.recreateTrigger.slice(0, 12)}` },
    // Configured only once the API server answers: the plugin marks an unreachable cluster at configure time and
    // then fails every create (see KSailCluster's API gate).
    { parent, dependsOn: [apiReady] },
  );
  const node = new k8s.core.v1.Node(
    `${name}-${plan.nodes[0].suffix}`,
    { metadata: kwok.node.metadata, spec: kwok.node.spec },
    { parent, provider: nested, dependsOn: [apiReady] },
  );
  return {
    secrets,
    endpoint,
    nodes: pulumi.output(plan.nodes.map((n) => ({ name: n.name, role: n.role, address: n.address }))),
    ready: [node],
    resources: [...onHostResources, apiReady, nested],
    install: {},
  };
}
