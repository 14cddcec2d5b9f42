/**
 * KSailCluster for Talos on Sidero Omni, in the order Omni's template sync writes a cluster template:
 * Cluster → ConfigPatches → MachineSets → MachineSetNodes, then the wait for the running cluster (again on
 * every scaling) and its service-account kubeconfig (issued once, renewed by age). Pulumi deletes in the reverse order, which is template sync's teardown order
 * (nodes and machine sets first, then the patches and the cluster). Omni builds the machine configs and owns
 * the cluster's PKI, so there is no ClusterSecrets and no talosconfig.
 */
import * as pulumi from "@pulumi/pulumi";
import { KsailError } from "../../errors";
import { OmniResource } from "../../dynamic/omniResource";
import { OmniKubeconfig } from "../../dynamic/omniKubeconfig";
import { OmniClusterReady } from "../../dynamic/omniClusterReady";
import type { OmniConnection } from "../../dynamic/omniConnection";
import type { ClusterInfra, InfraContext } from "../types";

export interface OmniInfraOptions {
  /** Service-account key (secret); default: read from `spec.provider.omni.serviceAccountKeyEnvVar` at operation time. */
  readonly serviceAccountKey?: pulumi.Input<string>;
  /** Extra PEM trust roots for a private Omni. */
  readonly caPem?: string;
  /** Environment to read `endpointEnvVar` from. @default process.env */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

export function omniCluster(ctx: InfraContext, options: OmniInfraOptions = {}): ClusterInfra {
  const { name, parent, plan, protect } = ctx;
  const omni = plan.omni!;
  const env = options.env ?? process.env;
  // KSail: the variable named by endpointEnvVar, when set, overrides endpoint.
  const endpoint = (omni.endpointEnvVar !== "" ? env[omni.endpointEnvVar] : undefined) || omni.endpoint;
  if (endpoint === "") {
    throw new KsailError([
      {
        path: "spec.provider.omni.endpoint",
        message: `is empty and ${omni.endpointEnvVar || "no endpointEnvVar"} is not set; set the Omni URL (https://<account>.omni.siderolabs.io) or export ${omni.endpointEnvVar || "OMNI_ENDPOINT"}`,
      },
    ]);
  }
  const connection: OmniConnection = {
    endpoint,
    serviceAccountKeyEnvVar: omni.serviceAccountKeyEnvVar,
    ...(options.caPem ? { caPem: options.caPem } : {}),
  };
  const common = { connection, serviceAccountKey: options.serviceAccountKey };
  const child = { parent };

  const cluster = new OmniResource(
    `${name}-omni-cluster`,
    {
      ...common,
      kind: "Cluster",
      resourceId: omni.cluster.id,
      annotations: { ...omni.cluster.annotations },
      spec: { ...omni.cluster.spec },
    },
    { ...child, protect },
  );
  const patches = omni.patches.map(
    (p) =>
      new OmniResource(
        `${name}-omni-patch-${p.id}`,
        {
          ...common,
          kind: "ConfigPatch",
          resourceId: p.id,
          labels: { ...p.labels },
          annotations: { name: p.name },
          data: p.data,
          patchScope: p.scope,
          talosVersion: omni.talosVersion,
        },
        { ...child, dependsOn: [cluster] },
      ),
  );
  const nodes: OmniResource[] = [];
  const sets = omni.machineSets.map((s) => {
    const set = new OmniResource(
      `${name}-omni-${s.role === "controlplane" ? "control-planes" : "workers"}`,
      { ...common, kind: "MachineSet", resourceId: s.id, labels: { ...s.labels }, spec: JSON.parse(JSON.stringify(s.spec)) },
      { ...child, dependsOn: [cluster, ...patches] },
    );
    for (const m of s.machines) {
      nodes.push(
        new OmniResource(
          `${name}-omni-node-${m}`,
          { ...common, kind: "MachineSetNode", resourceId: m, labels: { ...s.nodeLabels } },
          { ...child, dependsOn: [set] },
        ),
      );
    }
    return set;
  });
  const c = plan.effective.cluster;
  // Two resources, so that scaling waits again without re-issuing the kubeconfig: the gate's update would leave
  // the kubeconfig unknown in preview, and with it the Kubernetes provider and every resource on it.
  const running = new OmniClusterReady(
    `${name}-omni-ready`,
    { ...common, cluster: omni.cluster.id, machines: c.controlPlanes + c.workers },
    { ...child, dependsOn: [cluster, ...patches, ...sets, ...nodes] },
  );
  const access = new OmniKubeconfig(
    `${name}-omni-kubeconfig`,
    {
      ...common,
      cluster: omni.cluster.id,
      user: omni.kubeconfig.user,
      groups: [...omni.kubeconfig.groups],
      ttlSeconds: omni.kubeconfig.ttlSeconds,
    },
    { ...child, dependsOn: [running] },
  );
  return {
    secrets: { kubeconfig: access.kubeconfig, talosconfig: pulumi.output(undefined) },
    endpoint: access.server,
    // Unset until the gate has read them back (mocks): an empty list, never undefined.
    nodes: running.nodes.apply((n) => n ?? []),
    ready: [running, access],
    install: {},
  };
}
