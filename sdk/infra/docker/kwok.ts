/**
 * KSailCluster for KWOK on Docker: identity (ClusterSecrets, kwokctl's CA and admin certificate) → network and the
 * five component containers (sdk/plan/kwok.ts, as kwokctl's docker runtime creates them) → a gate on the API server
 * → the simulated node. Nodes and pods are simulated by the kwok controller; there is no kubelet to wait for.
 */
import * as pulumi from "@pulumi/pulumi";
import * as docker from "@pulumi/docker";
import * as k8s from "@pulumi/kubernetes";
import { ClusterSecrets } from "../../dynamic/clusterSecrets";
import { readinessGate } from "../../components/phases";
import { API_GATE } from "../../plan/catalog";
import { clusterProvider } from "../../components/provider";
import type { KwokPki } from "../../pki/types";
import { KWOK_PKI_PLACEHOLDER, kwokContainerSpecs } from "../../plan/kwok";
import { kwokProcesses, type KwokComponent } from "../../distributions/kwok";
import { containerArgs, NETWORK_IGNORE_CHANGES, NODE_REPLACE_ON_CHANGES } from "./nodes";
import type { ClusterInfra, InfraContext } from "../types";

export function kwokCluster(ctx: InfraContext): ClusterInfra {
  const { name, parent, plan, protect } = ctx;
  const kwok = plan.kwok!;
  const trigger = plan.recreateTrigger;
  const secrets = new ClusterSecrets(
    `${name}-secrets`,
    { clusterName: plan.clusterName, distribution: "KWOK", endpoints: { kubernetes: plan.endpoint! } },
    { parent, protect },
  );
  const network = new docker.Network(
    `${name}-network`,
    { name: kwok.network.name, driver: "bridge", labels: [...kwok.network.labels] },
    { parent, protect, replacementTrigger: trigger, deleteBeforeReplace: true, ignoreChanges: [...NETWORK_IGNORE_CHANGES] },
  );
  const shapes = kwokContainerSpecs(kwok, KWOK_PKI_PLACEHOLDER);
  const pki = (secrets as ClusterSecrets<"KWOK">).kwok;
  const containers: Partial<Record<KwokComponent, docker.Container>> = {};
  // The specs follow kwokctl's creation order; each container waits for the ones it links to.
  kwokProcesses(kwok.clusterName).forEach((p, i) => {
    containers[p.component] = new docker.Container(
      `${name}-${p.component}`,
      containerArgs(shapes[i], network.name, {
        material: { value: pki, spec: (m: KwokPki) => kwokContainerSpecs(kwok, m)[i] },
      }),
      {
        parent,
        replacementTrigger: trigger,
        deleteBeforeReplace: true,
        replaceOnChanges: [...NODE_REPLACE_ON_CHANGES],
        dependsOn: p.after.map((c) => containers[c]!),
      },
    );
  });
  const all = Object.values(containers) as docker.Container[];
  // The node is created once the API server answers (the controllers start beside it and retry on their own).
  const apiReady = readinessGate(
    `${name}-kwok-api-ready`,
    API_GATE,
    { distribution: "KWOK", provider: "Docker" },
    { kubeconfig: secrets.kubeconfig, trigger },
    { parent, dependsOn: all },
  );
  const provider = clusterProvider(
    `${name}-kwok-k8s`,
    { kubeconfig: secrets.kubeconfig, clusterIdentifier: `${plan.clusterName}-${trigger.slice(0, 12)}` },
    // Configured only once the API server answers: the plugin marks an unreachable cluster at configure time and
    // then fails every create (see KSailCluster's API gate).
    { parent, dependsOn: [apiReady] },
  );
  const node = new k8s.core.v1.Node(
    `${name}-${plan.nodes[0].suffix}`,
    { metadata: kwok.node.metadata, spec: kwok.node.spec },
    { parent, provider, dependsOn: [apiReady] },
  );
  return {
    secrets,
    endpoint: pulumi.output(plan.endpoint!),
    nodes: pulumi.output(plan.nodes.map((n) => ({ name: n.name, role: n.role, address: n.address }))),
    ready: [node],
    resources: [network, ...all, apiReady, provider],
    install: {},
  };
}
