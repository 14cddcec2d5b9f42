import { isHa, type ComponentContext } from "../../plan/context";
import { Values } from "../merge";
import { defaultPodCidr } from "./cni";

/** HA pods spread over nodes (one topology constraint on the hostname, best effort). */
export function spread(labels: Record<string, string>): Values[] {
  return [
    {
      maxSkew: 1,
      topologyKey: "kubernetes.io/hostname",
      whenUnsatisfiable: "ScheduleAnyway",
      labelSelector: { matchLabels: labels },
    },
  ];
}

/** metrics-server values: prefer InternalIP, keep secure kubelet TLS (serving certs get approved). */
export function metricsServerValues(ctx: ComponentContext): Values {
  const v: Values = {
    args: ["--kubelet-preferred-address-types=InternalIP", "--authentication-tolerate-lookup-failure=true"],
  };
  if (isHa(ctx)) {
    Object.assign(v, {
      replicas: 2,
      podDisruptionBudget: { enabled: true, minAvailable: 1 },
      topologySpreadConstraints: spread({ "app.kubernetes.io/name": "metrics-server" }),
    });
  }
  return v;
}

/** postfinance kubelet-csr-approver values (Vanilla): approve every node's serving-cert CSR. */
export function kubeletCsrApproverValues(ctx: ComponentContext): Values {
  return { providerRegex: ".*", bypassDnsResolution: true, replicas: isHa(ctx) ? 2 : 1 };
}

/** What the hcloud CCM and CSI values need from a Hetzner plan (sdk/plan/hetznerComponents.ts). */
export interface HcloudValuesSettings {
  readonly loadBalancerLocation?: string;
  readonly loadBalancers?: boolean;
  readonly volumeLabels?: Readonly<Record<string, string>>;
}

/**
 * hcloud cloud-controller-manager values. With a private network: networking on (node addresses, the network's
 * load balancer attachment), but no routes for the pod CIDR: the CNI tunnels pod traffic (Cilium and Calico
 * VXLAN), and a route's destination must lie inside the network's range, which the pod CIDR 10.244.0.0/16 does not
 * (hcloud-ccm internal/config HCLOUD_NETWORK_ROUTES_ENABLED). Service load balancers go to the cluster's location
 * (without HCLOUD_LOAD_BALANCERS_LOCATION or _NETWORK_ZONE the CCM creates none) and target the nodes' private
 * addresses (HCLOUD_LOAD_BALANCERS_USE_PRIVATE_IP), which the firewalls admit; with `loadBalancer` not enabled the
 * load-balancer controller is off (HCLOUD_LOAD_BALANCERS_ENABLED) and the CCM only initialises nodes for the CSI.
 */
export function hcloudCcmValues(ctx: ComponentContext, opts: { networkEnabled: boolean; hcloud?: HcloudValuesSettings }): Values {
  const v: Values = {};
  const env: Values = {};
  if (opts.networkEnabled) {
    v.networking = { enabled: true, clusterCIDR: defaultPodCidr };
    env.HCLOUD_NETWORK_ROUTES_ENABLED = { value: "false" };
    env.HCLOUD_LOAD_BALANCERS_USE_PRIVATE_IP = { value: "true" };
  }
  if (opts.hcloud?.loadBalancers === false) env.HCLOUD_LOAD_BALANCERS_ENABLED = { value: "false" };
  else if (opts.hcloud?.loadBalancerLocation) env.HCLOUD_LOAD_BALANCERS_LOCATION = { value: opts.hcloud.loadBalancerLocation };
  if (Object.keys(env).length > 0) v.env = env;
  if (isHa(ctx)) v.replicaCount = 2;
  return v;
}

/** Hetzner CSI driver values: HA controller; every new volume labelled so that a destroy can remove it. */
export function hcloudCsiValues(ctx: ComponentContext, opts: { hcloud?: HcloudValuesSettings } = {}): Values {
  const controller: Values = {};
  if (isHa(ctx)) controller.replicaCount = 2;
  if (opts.hcloud?.volumeLabels) controller.volumeExtraLabels = { ...opts.hcloud.volumeLabels };
  return Object.keys(controller).length > 0 ? { controller } : {};
}

/** MetalLB chart values: chart defaults (the address pool is a separate resource). */
export function metallbValues(ctx: ComponentContext): Values {
  return isHa(ctx) ? {} : {};
}
