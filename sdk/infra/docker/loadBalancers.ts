/** The server load balancers in front of the control planes: kind's HAProxy-style and k3d's nginx proxy containers. */
import * as pulumi from "@pulumi/pulumi";
import type * as docker from "@pulumi/docker";
import { ENVOY_COMMAND, ENVOY_CONFIG_PATH, renderEnvoyConfig } from "../../distributions/kind";
import { K3D_PROXY_CONFIG_PATH, renderK3dProxyConfig } from "../../distributions/k3s";
import { controlPlanes, type DockerClusterPlan } from "../../plan/docker";
import { network, commonLabels } from "./nodes";

/** The envoy load balancer in front of several Kind control planes; publishes the API on 127.0.0.1. */
export function kindLoadBalancerArgs(plan: DockerClusterPlan, networkName: pulumi.Input<string>): docker.ContainerArgs {
  const lb = plan.loadBalancer;
  if (!lb) throw new Error("internal: kindLoadBalancerArgs without a load balancer in the plan");
  return {
    name: lb.name,
    hostname: lb.name,
    image: lb.image,
    command: [...ENVOY_COMMAND],
    restart: "on-failure",
    maxRetryCount: 1,
    labels: [
      ...commonLabels(plan, "external-load-balancer"),
      { label: "io.x-k8s.kind.cluster", value: plan.clusterName },
      { label: "io.x-k8s.kind.role", value: "external-load-balancer" },
    ],
    networksAdvanced: network(plan, networkName, lb.ip),
    ports: [{ internal: 6443, external: plan.apiHostPort, ip: "127.0.0.1", protocol: "tcp" }],
    uploads: [
      {
        file: ENVOY_CONFIG_PATH,
        content: renderEnvoyConfig({
          clusterName: plan.clusterName,
          name: lb.name,
          controlPlanes: controlPlanes(plan).map((c) => c.name),
        }),
        permissions: "0644",
      },
    ],
    mustRun: true,
  };
}

// ---------------------------------------------------------------------------------------------- K3s

/**
 * The server load balancer in front of several K3s servers, as k3d runs it (`<cluster>-serverlb`, k3d's proxy image,
 * its config uploaded before start, restarted with the daemon); publishes the API on 127.0.0.1.
 */
export function k3sLoadBalancerArgs(plan: DockerClusterPlan, networkName: pulumi.Input<string>): docker.ContainerArgs {
  const lb = plan.loadBalancer;
  if (!lb) throw new Error("internal: k3sLoadBalancerArgs without a load balancer in the plan");
  return {
    name: lb.name,
    hostname: lb.name,
    image: lb.image,
    restart: "unless-stopped",
    labels: [...commonLabels(plan, "loadbalancer"), { label: "k3d.role", value: "loadbalancer" }],
    networksAdvanced: network(plan, networkName, lb.ip),
    ports: [{ internal: 6443, external: plan.apiHostPort, ip: "127.0.0.1", protocol: "tcp" }],
    uploads: [
      {
        file: K3D_PROXY_CONFIG_PATH,
        content: renderK3dProxyConfig({ servers: controlPlanes(plan).map((c) => c.name) }),
        permissions: "0644",
      },
    ],
    mustRun: true,
  };
}
