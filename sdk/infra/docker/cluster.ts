/** KSailCluster on Docker: identity, network and node containers, and (Talos) the machines and bootstrap. */
import * as pulumi from "@pulumi/pulumi";
import { ClusterSecrets } from "../../dynamic/clusterSecrets";
import { DockerClusterInfra } from "./infra";
import { renderMachineConfigs } from "../../distributions/talos/render";
import { required, talosBootstrap, type ClusterInfra, type InfraContext } from "../parts";

/** `protect` reaches only the network among the Docker resources (a worker can still be removed). */
const protectNetwork: pulumi.ResourceTransformation = (a) =>
  a.type === "docker:index/network:Network" ? { props: a.props, opts: { ...a.opts, protect: true } } : undefined;

export function dockerCluster(ctx: InfraContext): ClusterInfra {
  const { name, parent, plan, protect } = ctx;
  const talos = plan.talos;
  const secrets = new ClusterSecrets(
    `${name}-secrets`,
    {
      clusterName: plan.clusterName,
      distribution: plan.distribution,
      endpoints: {
        kubernetes: plan.endpoint!,
        ...(talos ? { talos: [talos.apiEndpoint!], talosNodes: [plan.nodes[0].address] } : {}),
      },
    },
    { parent, protect },
  );
  const rendered = talos
    ? secrets.talos.apply((bundle) =>
        renderMachineConfigs({
          ...talos.render,
          endpoint: talos.endpoint!,
          secrets: required(bundle, "Talos secrets bundle", plan.clusterName),
        }),
      )
    : undefined;
  const infra = new DockerClusterInfra(
    `${name}-infra`,
    {
      plan: plan.docker!,
      recreateTrigger: plan.recreateTrigger,
      talosMachineConfigs: rendered
        ? Object.fromEntries(plan.nodes.map((n) => [n.name, pulumi.secret(rendered.apply((r) => r.perNode[n.name]))]))
        : undefined,
      kubeadmPki:
        plan.distribution === "Vanilla" ? secrets.kubeadm.apply((k) => required(k, "kubeadm CA set", plan.clusterName)) : undefined,
      k3sPki: plan.distribution === "K3s" ? secrets.k3s.apply((k) => required(k, "k3s CA set", plan.clusterName)) : undefined,
    },
    { parent, ...(protect ? { transformations: [protectNetwork] } : {}) },
  );

  let ready: pulumi.Resource[] = [infra];
  if (talos && rendered) {
    const { machines, bootstrap } = talosBootstrap(ctx, {
      rendered,
      talosconfig: secrets.talosconfig,
      node: (nodeName) => {
        const n = plan.nodes.find((x) => x.name === nodeName)!;
        return {
          name: n.name,
          role: n.role === "control-plane" ? "controlplane" : "worker",
          platform: "docker",
          endpoint: talos.apiEndpoint!,
          address: n.address,
        };
      },
      after: (nodeName) => [infra.nodeContainers[nodeName]],
    });
    ready = [bootstrap, ...Object.values(machines)];
  }
  return {
    secrets,
    endpoint: pulumi.output(plan.endpoint!),
    nodes: pulumi.output(plan.nodes.map((n) => ({ name: n.name, role: n.role, address: n.address }))),
    rendered,
    ready,
    install: { dockerNetworkCidr: plan.docker!.network.cidr, kindNetwork: infra.networkName },
  };
}
