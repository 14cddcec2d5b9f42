/**
 * KSailCluster on Docker, in one direction: identity (ClusterSecrets) → Talos machine configs → network, registries
 * and node containers → (Talos) machines and bootstrap.
 */
import * as pulumi from "@pulumi/pulumi";
import type * as docker from "@pulumi/docker";
import { ClusterSecrets } from "../../dynamic/clusterSecrets";
import { DockerClusterInfra } from "./infra";
import type { MirrorCredentials } from "./registry";
import { kindFacts } from "../../plan/dockerContainers";
import { programHostFacts } from "./hostFacts";
import { renderMachineConfigs } from "../../distributions/talos/render";
import { talosRenderInput } from "../../plan/talos";
import { talosMachines, type MachineTarget } from "../talos";
import type { ClusterInfra, InfraContext } from "../types";
import type { DockerEngineAccess } from "../../dynamic/talosMachine";

/** `protect` reaches only the network among the Docker resources (a worker can still be removed). */
const protectNetwork: pulumi.ResourceTransformation = (a) =>
  a.type === "docker:index/network:Network" ? { props: a.props, opts: { ...a.opts, protect: true } } : undefined;

/**
 * The Docker engine of a Docker-in-Docker pod on a host cluster (sdk/infra/kubernetes/dind.ts): the identity it created
 * with the fronts' endpoints (the engine's TLS must exist before the pod), the docker provider configured for the
 * engine, what that waits for, and where the fronts are.
 */
export interface PodEngine {
  readonly secrets: ClusterSecrets;
  readonly provider: docker.Provider;
  readonly dependsOn: pulumi.Resource[];
  /** The Kubernetes API at its front (`https://<address>:<port>`). */
  readonly endpoint: pulumi.Output<string>;
  /** Talos: the first control plane's apid at its front (`<address>:<port>`). */
  readonly talosEndpoint?: pulumi.Output<string>;
  /** Talos: the fronts' addresses, certificate SANs of the API server and of apid. */
  readonly certSANs?: pulumi.Output<string[]>;
  /** Vanilla: the kubeconfig checked as a name kubeadm's serving certificate holds (its SANs come from the pure plan). */
  readonly kubeconfig?: pulumi.Output<string>;
  /** Talos: the engine as TalosMachine reaches it to restart a node's container (a reboot) (secret). */
  readonly dockerEngine?: pulumi.Output<DockerEngineAccess>;
}

export function dockerCluster(
  ctx: InfraContext,
  opts: { mirrorCredentials?: Readonly<Record<string, MirrorCredentials>>; engine?: PodEngine } = {},
): ClusterInfra {
  const { name, parent, plan, protect } = ctx;
  const talos = plan.talos;
  const distribution = plan.docker!.distribution;
  const engine = opts.engine;
  const secrets =
    engine?.secrets ??
    new ClusterSecrets(
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
        .all([(secrets as ClusterSecrets<"Talos">).talos, secrets.talosContract, engine?.certSANs])
        .apply(([bundle, contract, certSANs]) =>
          renderMachineConfigs(talosRenderInput(plan, { secrets: bundle, contract, ...(certSANs ? { certSANs } : {}) })),
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
      kubeadmPki: distribution === "Vanilla" ? (secrets as ClusterSecrets<"Vanilla">).kubeadm : undefined,
      k3sPki: distribution === "K3s" ? (secrets as ClusterSecrets<"K3s">).k3s : undefined,
      mirrorCredentials: opts.mirrorCredentials,
      // Kind and K3s nodes take host-dependent flags (kind's rules); Talos containers do not use them. A pod's engine is
      // docker:dind's (overlay2, rootful, no userns-remap), where none of them applies.
      ...(distribution !== "Talos" && !engine ? { hostFacts: programHostFacts(parent) } : {}),
    },
    {
      parent,
      ...(protect ? { transformations: [protectNetwork] } : {}),
      ...(engine ? { providers: [engine.provider], dependsOn: engine.dependsOn } : {}),
    },
  );

  let ready: pulumi.Resource[] = [infra];
  if (talos && rendered) {
    // Every node's apid is reached through the first control plane's published port, routed by node address.
    const targets: MachineTarget[] = plan.nodes.map((n) => ({
      name: n.name,
      suffix: n.suffix,
      role: n.role,
      platform: "docker",
      endpoint: engine?.talosEndpoint ?? talos.apiEndpoint!,
      ...(engine?.dockerEngine ? { dockerEngine: engine.dockerEngine } : {}),
      address: n.address,
      dependsOn: [infra.nodeContainers[n.name]],
    }));
    ready = talosMachines(ctx, { targets, rendered, talosconfig: secrets.talosconfig, kubeconfig: secrets.kubeconfig }).ready;
  }
  return {
    secrets: engine?.kubeconfig ? { kubeconfig: engine.kubeconfig, talosconfig: pulumi.output(undefined) } : secrets,
    endpoint: engine?.endpoint ?? pulumi.output(plan.endpoint!),
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
