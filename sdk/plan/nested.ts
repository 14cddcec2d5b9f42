/**
 * The plans of clusters nested in a host cluster (provider Kubernetes): K3s through rancher/k3k (./k3k.ts),
 * vCluster through its chart (./vcluster.ts), KWOK as the host's workloads (./kwokHost.ts) and Vanilla in a
 * Docker-in-Docker pod (./dindHost.ts), from the spec and the KSailCluster arguments that shape their API front.
 */
import { KsailError } from "../errors";
import { chartVersions } from "./catalog";
import { planK3kCluster } from "./k3k";
import { planVCluster } from "./vcluster";
import { withTalosPatchSalt } from "./salt";
import { planKwokCluster } from "./kwok";
import { planKwokHost } from "./kwokHost";
import { planDockerNodes } from "./dockerCluster";
import { DIND_API_PORT, DIND_MTU, DIND_TALOS_PORT, planDindHost } from "./dindHost";
import { DEFAULT_TALOS_VERSION, parseTalosVersion } from "../distributions/talos/versions";
import type { ClusterPlan, ClusterPlanInput, PlanBase, PlannedNode } from "./cluster";

/** The plan of a nested cluster; refuses a `hostExposure` beside a gateway class. */
export function planNested(input: ClusterPlanInput, base: PlanBase): ClusterPlan {
  const eff = base.effective;
  if (input.hostExposure !== undefined && eff.provider.kubernetes.gatewayClassName !== "")
    throw new KsailError([
      {
        path: "hostExposure",
        message: `is ${input.hostExposure}, but spec.provider.kubernetes.gatewayClassName (${eff.provider.kubernetes.gatewayClassName}) makes the API front a Gateway; remove one of the two`,
      },
    ]);
  if (base.distribution === "KWOK") return planKwokOnHost(input, base);
  if (base.distribution === "Vanilla" || base.distribution === "Talos") return planDindOnHost(input, base);
  return base.distribution === "VCluster" ? planVClusterOnHost(input, base) : planK3k(input, base);
}

/** K3s on a host cluster (k3k): servers and agents are pods k3k names `k3k-<name>-server-<i>` / `-agent-<i>`. */
function planK3k(input: ClusterPlanInput, base: PlanBase): ClusterPlan {
  const eff = base.effective;
  const c = eff.cluster;
  const h = eff.provider.kubernetes;
  const k3k = planK3kCluster({
    clusterName: base.clusterName,
    servers: c.controlPlanes,
    agents: c.workers,
    kubernetesVersion:
      c.kubernetesVersion === "" ? "" : c.kubernetesVersion.startsWith("v") ? c.kubernetesVersion : `v${c.kubernetesVersion}`,
    podCidr: h.podCidr,
    serviceCidr: h.serviceCidr,
    persistence: h.persistence,
    gatewayClassName: h.gatewayClassName,
    loadBalancer: c.loadBalancer === "Enabled",
    ...(input.hostExposure ? { hostExposure: input.hostExposure } : {}),
  });
  const nodes: PlannedNode[] = [
    ...Array.from({ length: c.controlPlanes }, (_, i) => ({
      name: `k3k-${base.clusterName}-server-${i}`,
      role: "control-plane" as const,
      address: "",
      suffix: `server-${i}`,
    })),
    ...Array.from({ length: c.workers }, (_, i) => ({
      name: `k3k-${base.clusterName}-agent-${i}`,
      role: "worker" as const,
      address: "",
      suffix: `agent-${i}`,
    })),
  ];
  return {
    ...base,
    provider: "Kubernetes",
    nodes,
    k3k,
    versions: { kubernetes: k3k.k3sVersion.replace(/-k3s\d+$/, ""), charts: chartVersions(base.components) },
  };
}

/** A vCluster on a host cluster: its control plane is the chart's pods; it has no nodes of its own. */
function planVClusterOnHost(input: ClusterPlanInput, base: PlanBase): ClusterPlan {
  const eff = base.effective;
  const c = eff.cluster;
  const h = eff.provider.kubernetes;
  const version = c.kubernetesVersion === "" ? "" : c.kubernetesVersion.startsWith("v") ? c.kubernetesVersion : `v${c.kubernetesVersion}`;
  const vcluster = planVCluster({
    clusterName: base.clusterName,
    controlPlanes: c.controlPlanes,
    kubernetesVersion: version,
    persistence: h.persistence,
    gatewayClassName: h.gatewayClassName,
    userValues: input.vclusterValues,
    valuesSource: c.distributionConfig,
    ...(input.hostExposure ? { hostExposure: input.hostExposure } : {}),
  });
  return {
    ...base,
    // What vcluster.yaml sets is applied at create like the spec fields it stands beside, and so is a NodePort front
    // (a new SAN restarts the control plane): a change recreates.
    recreateTrigger: withTalosPatchSalt(
      base.recreateTrigger,
      [vcluster.valuesSalt ? `vcluster.yaml ${vcluster.valuesSalt}` : "", vcluster.exposure.kind === "NodePort" ? "front NodePort" : ""]
        .filter(Boolean)
        .join("\n") || undefined,
    ),
    ...(vcluster.valuesSalt ? { fileRecreateKey: vcluster.valuesSalt } : {}),
    provider: "Kubernetes",
    nodes:
      vcluster.controlPlaneWorkload === "StatefulSet"
        ? Array.from({ length: c.controlPlanes }, (_, i) => ({
            name: `${base.clusterName}-${i}`,
            role: "control-plane" as const,
            address: "",
            suffix: `control-plane-${i}`,
          }))
        : [{ name: base.clusterName, role: "control-plane" as const, address: "", suffix: "control-plane" }],
    vcluster,
    versions: { kubernetes: vcluster.kubernetesVersion, charts: chartVersions(base.components) },
  };
}

/**
 * KWOK on a host cluster: kwokctl's processes as the host's workloads (./kwokHost.ts), one simulated node; the
 * endpoint is the API front's address, known once the front exists.
 */
function planKwokOnHost(input: ClusterPlanInput, base: PlanBase): ClusterPlan {
  const eff = base.effective;
  const h = eff.provider.kubernetes;
  const kwok = planKwokCluster({
    clusterName: base.clusterName,
    kubernetesVersion: eff.cluster.kubernetesVersion,
    objects: input.kwokObjects,
  });
  const kwokHost = planKwokHost({
    clusterName: base.clusterName,
    kwok,
    gatewayClassName: h.gatewayClassName,
    persistence: h.persistence,
    ...(input.hostExposure ? { hostExposure: input.hostExposure } : {}),
  });
  return {
    ...base,
    provider: "Kubernetes",
    nodes: [{ name: kwok.node.metadata.name, role: "worker", address: "", suffix: "node" }],
    kwok,
    kwokHost,
    versions: { kubernetes: kwok.kubernetesVersion, charts: chartVersions(base.components) },
  };
}

/**
 * Vanilla and Talos on a host cluster: their node containers on the Docker Engine of a Docker-in-Docker pod
 * (./dindHost.ts), planned as on provider Docker except for the ports and address they are published on in the pod,
 * the MTU and the mirrors (none).
 */
function planDindOnHost(input: ClusterPlanInput, base: PlanBase): ClusterPlan {
  const h = base.effective.provider.kubernetes;
  const talos = base.distribution === "Talos";
  const talosVersion = talos ? parseTalosVersion(base.effective.cluster.talos.version || DEFAULT_TALOS_VERSION) : undefined;
  const nodes = planDockerNodes(input, base, talosVersion, {
    apiPort: DIND_API_PORT,
    mtu: DIND_MTU,
    ...(talos ? { talosPort: DIND_TALOS_PORT } : {}),
  });
  const dindHost = planDindHost({
    clusterName: base.clusterName,
    talos,
    gatewayClassName: h.gatewayClassName,
    persistence: h.persistence,
    ...(input.hostExposure ? { hostExposure: input.hostExposure } : {}),
  });
  // The engine's serving certificate names its front's address: a switch between a LoadBalancer and a NodePort front
  // (like a new gateway class, a recreate row), or another NodePort address, needs a new engine.
  const front =
    dindHost.dockerExposure.kind === "NodePort" ? `front NodePort${input.hostAddress ? ` ${input.hostAddress}` : ""}` : undefined;
  return { ...nodes, recreateTrigger: withTalosPatchSalt(nodes.recreateTrigger, front), dindHost };
}
