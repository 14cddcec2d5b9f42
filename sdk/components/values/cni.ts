import { isHa, type ComponentContext } from "../../plan/context";
import { Values } from "../merge";

/** Pod CIDR used by KSail for Calico's default pool and the hcloud CCM (Talos' default pod subnet). */
export const defaultPodCidr = "10.244.0.0/16";

/**
 * Cilium values, as KSail sets them. Talos gets the Siderolabs recipe (KubePrism on localhost:7445,
 * kube-proxy replacement, no cgroup automount, no SYS_MODULE); Docker clusters without a LoadBalancer
 * expose the Gateway API on the host network.
 */
export function ciliumValues(ctx: ComponentContext): Values {
  const v: Values = {
    operator: { replicas: isHa(ctx) ? 2 : 1 },
    gatewayAPI: { enabled: true },
  };
  if (ctx.distribution === "Talos") {
    Object.assign(v, {
      ipam: { mode: "kubernetes" },
      kubeProxyReplacement: true,
      k8sServiceHost: "localhost",
      k8sServicePort: 7445,
      cgroup: { autoMount: { enabled: false }, hostRoot: "/sys/fs/cgroup" },
      securityContext: {
        capabilities: {
          ciliumAgent: [
            "CHOWN",
            "KILL",
            "NET_ADMIN",
            "NET_RAW",
            "IPC_LOCK",
            "SYS_ADMIN",
            "SYS_RESOURCE",
            "DAC_OVERRIDE",
            "FOWNER",
            "SETGID",
            "SETUID",
          ],
          cleanCiliumState: ["NET_ADMIN", "SYS_ADMIN", "SYS_RESOURCE"],
        },
      },
    });
  }
  if (ctx.provider === "Docker" && !ctx.loadBalancerEnabled) {
    v.gatewayAPI = { enabled: true, hostNetwork: { enabled: true } };
    v.envoy = {
      securityContext: {
        capabilities: { keepCapNetBindService: true, envoy: ["NET_ADMIN", "NET_BIND_SERVICE", "SYS_ADMIN"] },
      },
    };
  }
  return v;
}

/** Values of the Calico CRD chart (`projectcalico.org.v3`): chart defaults. */
export function calicoCrdsValues(): Values {
  return {};
}

/**
 * tigera-operator values. Goldmane and Whisker are off (their v3.32 CRDs deadlock the install); Talos gets
 * nftables, no BGP, a VXLAN pool on the pod CIDR and no kubelet volume plugin.
 */
export function calicoValues(ctx: ComponentContext): Values {
  const installation: Values = {};
  if (isHa(ctx)) installation.controlPlaneReplicas = 2;
  if (ctx.distribution === "Talos") {
    installation.kubeletVolumePluginPath = "None";
    installation.calicoNetwork = {
      linuxDataplane: "Nftables",
      bgp: "Disabled",
      ipPools: [
        {
          name: "default-ipv4-ippool",
          blockSize: 26,
          cidr: defaultPodCidr,
          encapsulation: "VXLAN",
          natOutgoing: "Enabled",
          nodeSelector: "all()",
        },
      ],
    };
  }
  const v: Values = { goldmane: { enabled: false }, whisker: { enabled: false } };
  if (Object.keys(installation).length > 0) v.installation = installation;
  return v;
}
