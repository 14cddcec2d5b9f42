/** The server load balancers in front of the control planes: kind's envoy and k3d's nginx proxy containers. */
import type * as pulumi from "@pulumi/pulumi";
import type * as docker from "@pulumi/docker";
import { k3sLoadBalancerSpec, kindLoadBalancerSpec } from "../../plan/dockerContainers";
import type { DockerClusterPlan } from "../../plan/docker";
import { containerArgs } from "./nodes";

/** The envoy load balancer in front of several Kind control planes; publishes the API on 127.0.0.1. */
export function kindLoadBalancerArgs(plan: DockerClusterPlan, networkName: pulumi.Input<string>): docker.ContainerArgs {
  return containerArgs(kindLoadBalancerSpec(plan), networkName);
}

/** The server load balancer in front of several K3s servers, as k3d runs it (`<cluster>-serverlb`). */
export function k3sLoadBalancerArgs(plan: DockerClusterPlan, networkName: pulumi.Input<string>): docker.ContainerArgs {
  return containerArgs(k3sLoadBalancerSpec(plan), networkName);
}
