/**
 * The policy that keeps pods away from Hetzner's metadata service (169.254.169.254). On the snapshot route a
 * server's user_data is its whole Talos machine config (the cluster's CA keys, and the hcloud token of the Talos
 * VIP), and the metadata service hands user_data to anything on the server that asks, pods included. Pure: the
 * object only.
 *
 * A CiliumClusterwideNetworkPolicy (cilium.io/v2) that denies egress to the address for every pod except the
 * hcloud CSI driver's, which reads its server id and location there (hetznercloud/csi-driver cmd/main.go; its pods
 * carry `app.kubernetes.io/name: hcloud-csi`, chart/templates/_common_labels.tpl). `enableDefaultDeny: false` for
 * both directions keeps the selected pods out of default deny, so the policy denies only this address: Cilium puts
 * an endpoint into default deny as soon as a policy selects it unless that policy opts out, which needs the agent's
 * non-default-deny policies (the Cilium 1.20 chart's `enableNonDefaultDenyPolicies: true`, its default). Pods on the
 * host network (the hcloud CCM, Cilium itself) are not endpoints a policy selects and keep their access.
 */

export const METADATA_GUARD_NAME = "ksail-deny-hetzner-metadata";
/** Hetzner Cloud's metadata service (docs.hetzner.cloud, Server Metadata). */
export const HETZNER_METADATA_CIDR = "169.254.169.254/32";

export function metadataGuardPolicy(): {
  apiVersion: "cilium.io/v2";
  kind: "CiliumClusterwideNetworkPolicy";
  metadata: { name: string };
  spec: Record<string, unknown>;
} {
  return {
    apiVersion: "cilium.io/v2",
    kind: "CiliumClusterwideNetworkPolicy",
    metadata: { name: METADATA_GUARD_NAME },
    spec: {
      description:
        "KSail: pods may not read the Hetzner metadata service (user_data holds the Talos machine config); the hcloud CSI driver may",
      endpointSelector: { matchExpressions: [{ key: "app.kubernetes.io/name", operator: "NotIn", values: ["hcloud-csi"] }] },
      enableDefaultDeny: { egress: false, ingress: false },
      egressDeny: [{ toCIDR: [HETZNER_METADATA_CIDR] }],
    },
  };
}
