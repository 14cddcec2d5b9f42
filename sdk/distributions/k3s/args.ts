/**
 * k3s server and agent command lines for nodes run as plain containers (no k3d). Flags per docs.k3s.io
 * (cli/server); add-on switches as KSail applies them to K3d: Cilium/Calico replace flannel and its network
 * policy controller, Cilium also drops traefik; disabled metrics-server, storage or LoadBalancer remove the
 * bundled metrics-server, local-storage and servicelb.
 */
import type { NodeRole } from "../roles";
export interface K3sClusterFacts {
  readonly cni: "Default" | "Cilium" | "Calico";
  readonly metricsServer: boolean;
  readonly csi: boolean;
  readonly loadBalancer: boolean;
  readonly podSubnet: string;
  readonly serviceSubnet: string;
  /** Number of servers; more than one turns on embedded etcd (`--cluster-init`) on the first. */
  readonly servers: number;
  /** Name of the first server (join URL host and a TLS SAN). */
  readonly firstServer: string;
  /** Extra TLS SANs beyond 127.0.0.1, localhost and the first server's name. */
  readonly tlsSans?: readonly string[];
}

/** Bundled add-ons to disable (`--disable=<name>`), sorted. */
export function k3sDisabledAddons(f: Pick<K3sClusterFacts, "cni" | "metricsServer" | "csi" | "loadBalancer">): string[] {
  const out: string[] = [];
  if (f.cni === "Cilium") out.push("traefik");
  if (!f.metricsServer) out.push("metrics-server");
  if (!f.csi) out.push("local-storage");
  if (!f.loadBalancer) out.push("servicelb");
  return out.sort();
}

/** Flags that must be identical on every server (docs: "must match on all servers"). */
export function k3sClusterWideFlags(f: K3sClusterFacts): string[] {
  const flags = [`--cluster-cidr=${f.podSubnet}`, `--service-cidr=${f.serviceSubnet}`];
  if (f.cni !== "Default") flags.push("--flannel-backend=none", "--disable-network-policy");
  for (const a of k3sDisabledAddons(f)) flags.push(`--disable=${a}`);
  return flags;
}

/** URL joining nodes register with. */
export function k3sServerUrl(f: Pick<K3sClusterFacts, "firstServer">): string {
  return `https://${f.firstServer}:6443`;
}

/** Command (after the image's `/bin/k3s` entrypoint) of one node. */
export function k3sCommand(f: K3sClusterFacts, node: { name: string; ip: string; role: NodeRole; index: number }): string[] {
  if (node.role === "worker") return ["agent", `--node-ip=${node.ip}`];
  const sans = [...new Set(["127.0.0.1", "localhost", f.firstServer, ...(f.tlsSans ?? [])])];
  const cmd = ["server", `--node-ip=${node.ip}`];
  if (node.index === 1) {
    if (f.servers > 1) cmd.push("--cluster-init");
  } else {
    cmd.push(`--server=${k3sServerUrl(f)}`);
  }
  for (const s of sans) cmd.push(`--tls-san=${s}`);
  cmd.push(...k3sClusterWideFlags(f));
  return cmd;
}
