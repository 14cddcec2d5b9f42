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

/** hcloud cloud-controller-manager values: private networking on the pod CIDR when a network is known. */
export function hcloudCcmValues(ctx: ComponentContext, opts: { networkEnabled: boolean }): Values {
  const v: Values = {};
  if (opts.networkEnabled) v.networking = { enabled: true, clusterCIDR: defaultPodCidr };
  if (isHa(ctx)) v.replicaCount = 2;
  return v;
}

/** Hetzner CSI driver values. */
export function hcloudCsiValues(ctx: ComponentContext): Values {
  return isHa(ctx) ? { controller: { replicaCount: 2 } } : {};
}

/** MetalLB chart values: chart defaults (the address pool is a separate resource). */
export function metallbValues(ctx: ComponentContext): Values {
  return isHa(ctx) ? {} : {};
}
