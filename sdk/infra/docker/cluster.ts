/**
 * KSailCluster on Docker, in one direction: identity (ClusterSecrets) → Talos machine configs → network, registries
 * and node containers → (Talos) machines and bootstrap.
 */
import * as pulumi from "@pulumi/pulumi";
import { ClusterSecrets } from "../../dynamic/clusterSecrets";
import { DockerClusterInfra } from "./infra";
import type { MirrorCredentials } from "./registry";
import { kindFacts } from "../../plan/dockerContainers";
import { programHostFacts } from "./hostFacts";
import { renderMachineConfigs } from "../../distributions/talos/render";
import { talosRenderInput } from "../../plan/talos";
import { talosMachines, type MachineTarget } from "../talos";
import type { ClusterInfra, InfraContext } from "../types";

/** `protect` reaches only the network among the Docker resources (a worker can still be removed). */
const protectNetwork: pulumi.ResourceTransformation = (a) =>
  a.type === "docker:index/network:Network" ? { props: a.props, opts: { ...a.opts, protect: true } } : undefined;

export function dockerCluster(
  ctx: InfraContext,
  opts: { mirrorCredentials?: Readonly<Record<string, MirrorCredentials>> } = {},
): ClusterInfra {
  const { name, parent, plan, protect } = ctx;
  const talos = plan.talos;
  const distribution = plan.docker!.distribution;
  const secrets = new ClusterSecrets(
    `${name}-secrets`,
    {
      clusterName: plan.clusterName,
      distribution,
      endpoints: {
        kubernetes: plan.endpoint!,
        ...(talos ? { talos: [talos.apiEndpoint!], talosNodes: [plan.nodes[0].address] } : {}),
      },
      ...(talos ? { talosVersion: talos.version } : {}),
    },
    { parent, protect },
  );
  const rendered = talos
    ? pulumi
        .all([(secrets as ClusterSecrets<"Talos">).talos, secrets.talosContract])
        .apply(([bundle, contract]) => renderMachineConfigs(talosRenderInput(plan, { secrets: bundle, contract })))
    : undefined;
  const infra = new DockerClusterInfra(
    `${name}-infra`,
    {
      plan: plan.docker!,
      recreateTrigger: plan.recreateTrigger,
      talosMachineConfigs: rendered
        ? Object.fromEntries(plan.nodes.map((n) => [n.name, pulumi.secret(rendered.apply((r) => r.perNode[n.name]))]))
        : undefined,
      kubeadmPki: distribution === "Vanilla" ? (secrets as ClusterSecrets<"Vanilla">).kubeadm : undefined,
      k3sPki: distribution === "K3s" ? (secrets as ClusterSecrets<"K3s">).k3s : undefined,
      mirrorCredentials: opts.mirrorCredentials,
      // Kind and K3s nodes take host-dependent flags (kind's rules); Talos containers do not use them.
      ...(distribution !== "Talos" ? { hostFacts: programHostFacts(parent) } : {}),
    },
    { parent, ...(protect ? { transformations: [protectNetwork] } : {}) },
  );

  let ready: pulumi.Resource[] = [infra];
  if (talos && rendered) {
    // Every node's apid is reached through the first control plane's published port, routed by node address.
    const targets: MachineTarget[] = plan.nodes.map((n) => ({
      name: n.name,
      suffix: n.suffix,
      role: n.role,
      platform: "docker",
      endpoint: talos.apiEndpoint!,
      address: n.address,
      dependsOn: [infra.nodeContainers[n.name]],
    }));
    ready = talosMachines(ctx, { targets, rendered, talosconfig: secrets.talosconfig, kubeconfig: secrets.kubeconfig }).ready;
  }
  return {
    secrets,
    endpoint: pulumi.output(plan.endpoint!),
    nodes: pulumi.output(plan.nodes.map((n) => ({ name: n.name, role: n.role, address: n.address }))),
    rendered,
    ready,
    // The registry containers and everything else of the Docker layer (the workload push needs the local registry).
    resources: [infra],
    install: {
      dockerNetworkCidr: plan.docker!.network.cidr,
      kindNetwork: infra.networkName,
      ...(distribution === "Vanilla"
        ? { kindnet: { podSubnet: plan.docker!.podSubnet, controlPlaneEndpoint: kindFacts(plan.docker!).controlPlaneEndpoint } }
        : {}),
    },
  };
}
