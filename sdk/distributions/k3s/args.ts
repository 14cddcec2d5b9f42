/**
 * k3s server and agent command lines for nodes run as plain containers (no k3d). Flags per docs.k3s.io
 * (cli/server); add-on switches as KSail applies them to K3d: Cilium/Calico replace flannel and its network
 * policy controller, Cilium also drops traefik; a disabled LoadBalancer removes servicelb. The packaged
 * metrics-server and local-storage are always off (installed from Pulumi instead).
 */
import type { NodeRole } from "../roles";
export interface K3sClusterFacts {
  readonly cni: "Default" | "Cilium" | "Calico";
  readonly loadBalancer: boolean;
  readonly podSubnet: string;
  readonly serviceSubnet: string;
  /** Number of servers; more than one turns on embedded etcd (`--cluster-init`) on the first. */
  readonly servers: number;
  /** Name of the first server (join URL host and a TLS SAN). */
  readonly firstServer: string;
  /** Name of the server load balancer (HA): agents join through it, and it is a TLS SAN. */
  readonly serverLoadBalancer?: string;
  /** Extra TLS SANs beyond 127.0.0.1, localhost and the first server's name. */
  readonly tlsSans?: readonly string[];
  /** kube-apiserver arguments (name → value), e.g. OIDC: `--kube-apiserver-arg=<name>=<value>` on every server. */
  readonly apiServerArgs?: Readonly<Record<string, string>>;
  /** Extra arguments after KSail's own, per role (a k3d.yaml's `options.k3s.extraArgs` / `nodeLabels`). */
  readonly extraArgs?: { readonly server: readonly string[]; readonly agent: readonly string[] };
}

/**
 * Bundled add-ons to disable (`--disable=<name>`), sorted. metrics-server and local-storage are always disabled:
 * KSailCluster installs both as Kubernetes resources, so switching them never changes a server flag (a flag change
 * replaces the server containers). servicelb stays a flag: it is k3s's own LoadBalancer controller.
 */
export function k3sDisabledAddons(f: Pick<K3sClusterFacts, "cni" | "loadBalancer">): string[] {
  const out: string[] = ["local-storage", "metrics-server"];
  if (f.cni === "Cilium") out.push("traefik");
  if (!f.loadBalancer) out.push("servicelb");
  return out.sort();
}

/** Flags that must be identical on every server (docs: "must match on all servers"). */
export function k3sClusterWideFlags(f: K3sClusterFacts): string[] {
  const flags = [`--cluster-cidr=${f.podSubnet}`, `--service-cidr=${f.serviceSubnet}`];
  if (f.cni !== "Default") flags.push("--flannel-backend=none", "--disable-network-policy");
  for (const a of k3sDisabledAddons(f)) flags.push(`--disable=${a}`);
  for (const [k, v] of Object.entries(f.apiServerArgs ?? {})) flags.push(`--kube-apiserver-arg=${k}=${v}`);
  return flags;
}

/** URL joining nodes register with. */
export function k3sServerUrl(f: Pick<K3sClusterFacts, "firstServer">): string {
  return `https://${f.firstServer}:6443`;
}

/** Command (after the image's `/bin/k3s` entrypoint) of one node. */
export function k3sCommand(f: K3sClusterFacts, node: { name: string; ip: string; role: NodeRole; index: number }): string[] {
  if (node.role === "worker") return ["agent", `--node-ip=${node.ip}`, ...(f.extraArgs?.agent ?? [])];
  const sans = [
    ...new Set(["127.0.0.1", "localhost", f.firstServer, ...(f.tlsSans ?? []), ...(f.serverLoadBalancer ? [f.serverLoadBalancer] : [])]),
  ];
  const cmd = ["server", `--node-ip=${node.ip}`];
  if (node.index === 1) {
    if (f.servers > 1) cmd.push("--cluster-init");
  } else {
    cmd.push(`--server=${k3sServerUrl(f)}`);
  }
  for (const s of sans) cmd.push(`--tls-san=${s}`);
  cmd.push(...k3sClusterWideFlags(f));
  for (const a of f.extraArgs?.server ?? []) if (!cmd.includes(a)) cmd.push(a);
  return cmd;
}

/** One environment variable of a node container; `secret` ones hold the join token. */
export interface K3sEnv {
  readonly name: string;
  readonly value: string;
  readonly secret: boolean;
}

/**
 * The environment of one node container: the secure join token on every node, and the URL to join on every node
 * but the first server (k3s's `K3S_TOKEN` / `K3S_URL`, docs.k3s.io cli/agent). Servers join through the first
 * server (as k3d creates them); agents of an HA cluster join through the server load balancer, so they can
 * re-register while any server is up. Read by the Docker infrastructure and by `render`, so both show the same.
 */
export function k3sEnv(
  f: Pick<K3sClusterFacts, "firstServer" | "serverLoadBalancer"> & { joinUrl?: string },
  node: { role: string; index: number },
  token: string,
): K3sEnv[] {
  const env: K3sEnv[] = [{ name: "K3S_TOKEN", value: token, secret: true }];
  if (!(node.role === "control-plane" && node.index === 1))
    env.push({
      name: "K3S_URL",
      value: f.joinUrl ?? (node.role === "worker" && f.serverLoadBalancer ? `https://${f.serverLoadBalancer}:6443` : k3sServerUrl(f)),
      secret: false,
    });
  return env;
}
