import { isObject } from "./expand";
import type { Issue } from "../errors";
import {
  NO_OVERRIDES,
  ipv4CidrPrefix,
  nodeImage,
  show,
  type DistributionConfigContext,
  type DistributionConfigResult,
  type MutableOverrides,
  type Reject,
} from "./distributionFileParts";

/** k3s flags KSailCluster sets itself on every node; a k3d.yaml may not override them. */
const K3S_OWNED_FLAGS = [
  "--node-ip",
  "--node-name",
  "--server",
  "--token",
  "--agent-token",
  "--cluster-init",
  "--data-dir",
  "--https-listen-port",
];

/**
 * k3d.yaml (k3d.io/v1alpha5 `Simple`). Honoured: `metadata.name`, `servers`/`agents` (counts are
 * spec.cluster.controlPlanes/workers), `image` (agreeing with spec.cluster.kubernetesVersion when that is set),
 * `kubeAPI.hostPort` and `hostIP: 127.0.0.1`, `subnet`, `ports` on `loadbalancer` or `server:0` (published on the
 * first server), `options.k3s.extraArgs` and `options.k3s.nodeLabels` on `server:*`, `agent:*` or `all`
 * (`--cluster-cidr`/`--service-cidr` become the pod/service subnets), `options.k3d.wait: true`. Everything else
 * is rejected by name.
 */
export function k3dConfigOverrides(k3d: unknown, ctx: DistributionConfigContext): DistributionConfigResult {
  const issues: Issue[] = [];
  if (!isObject(k3d)) return NO_OVERRIDES;
  const reject: Reject = (field, value, why) => issues.push({ path: `${ctx.source}:${field}`, message: `is ${show(value)}; ${why}` });
  const o: MutableOverrides = {};
  const server: string[] = [];
  const agent: string[] = [];
  for (const [key, value] of Object.entries(k3d)) {
    switch (key) {
      case "kind":
      case "apiVersion":
      case "servers":
      case "agents":
        break; // kind/apiVersion checked by the loader; counts warned about against the spec
      case "metadata":
        if (!isObject(value)) reject(key, value, "must be a mapping with a name");
        else
          for (const k of Object.keys(value))
            if (k !== "name") reject(`metadata.${k}`, value[k], "k3d reads only metadata.name; remove it");
        break;
      case "image":
        nodeImage(value, key, ctx, reject, o, "");
        break;
      case "kubeAPI":
        k3dKubeApi(value, reject, o);
        break;
      case "subnet":
        if (value === "auto" || value === "") break;
        if (typeof value !== "string" || (ipv4CidrPrefix(value) ?? 99) > 24)
          reject(key, value, "must be an IPv4 CIDR of /24 or larger (e.g. 172.28.0.0/16), or auto; fix it or remove it");
        else o.networkCidr = value;
        break;
      case "ports":
        k3dPorts(value, reject, o);
        break;
      case "options":
        k3dOptions(value, reject, o, server, agent, specFlags(ctx));
        break;
      case "network":
        reject(key, value, "KSailCluster creates the cluster's own network (<cluster>-network) and joins no existing one; remove network");
        break;
      case "token":
      case "clusterToken":
        reject(key, "(hidden)", "KSailCluster generates the join token and keeps it a Pulumi secret; remove it");
        break;
      case "registries":
        reject(
          key,
          value,
          "KSailCluster creates the local registry from spec.cluster.localRegistry and the pull-through mirrors itself; remove registries",
        );
        break;
      case "volumes":
      case "env":
      case "hostAliases":
      case "manifests":
      case "files":
        reject(key, value, `KSailCluster builds every node container itself and applies no k3d ${key}; remove it`);
        break;
      default:
        reject(
          key,
          value,
          "is not a field KSailCluster reads from a k3d v1alpha5 Simple config (supported: metadata.name, servers, agents, image, kubeAPI, subnet, ports, options.k3s, options.k3d.wait); remove it",
        );
    }
  }
  if (server.length > 0 || agent.length > 0) o.k3sExtraArgs = { server, agent };
  return { overrides: o, issues };
}

function k3dKubeApi(value: unknown, reject: Reject, o: MutableOverrides): void {
  if (!isObject(value)) return reject("kubeAPI", value, "must be a mapping {hostIP, hostPort}");
  for (const [k, v] of Object.entries(value)) {
    const field = `kubeAPI.${k}`;
    if (k === "hostPort") {
      const n = typeof v === "string" && /^\d+$/.test(v) ? Number(v) : v;
      if (typeof n !== "number" || !Number.isInteger(n) || n < 1 || n > 65535)
        reject(field, v, "must be a port between 1 and 65535 (KSailCluster publishes the API on a fixed port); fix it or remove it");
      else o.apiHostPort = n;
    } else if (k === "hostIP") {
      if (v !== "127.0.0.1") reject(field, v, "KSailCluster publishes the API on 127.0.0.1 only; remove it or set 127.0.0.1");
    } else reject(field, v, "KSailCluster names the API 127.0.0.1 in the kubeconfig and reads only kubeAPI.hostIP and hostPort; remove it");
  }
}

/** `[hostIP:]hostPort:containerPort[/proto]` of a k3d port; k3d's `loadbalancer` and `server:0` land on the first server. */
function k3dPorts(value: unknown, reject: Reject, o: MutableOverrides): void {
  if (!Array.isArray(value)) return reject("ports", value, "must be a list of {port, nodeFilters}");
  const out: string[] = [];
  value.forEach((p, i) => {
    const field = `ports[${i}]`;
    if (!isObject(p) || typeof p.port !== "string") return reject(field, p, "must be {port: hostPort:containerPort[/proto], nodeFilters}");
    const filters = Array.isArray(p.nodeFilters) ? p.nodeFilters : [];
    const onFirst =
      filters.length === 1 && (filters[0] === "loadbalancer" || filters[0] === "server:0" || filters[0] === "server:0:direct");
    if (!onFirst)
      return reject(
        `${field}.nodeFilters`,
        p.nodeFilters,
        'KSailCluster publishes extra ports on the first server (reachable through every node by ServiceLB); use nodeFilters: ["loadbalancer"] or ["server:0"]',
      );
    const m = /^(?:(0\.0\.0\.0):)?(\d+):(\d+)(?:\/(tcp|udp))?$/.exec(p.port.trim());
    if (!m)
      return reject(
        `${field}.port`,
        p.port,
        "must be hostPort:containerPort[/tcp|udp] with a fixed host port (host IP 0.0.0.0 or none; no ranges); fix it",
      );
    out.push(`${m[2]}:${m[3]}/${m[4] ?? "tcp"}`);
  });
  if (out.length > 0) o.extraPortMappings = out;
}

/**
 * Flags the spec already puts on every server (the CNI switches, `--disable=<add-on>`): a k3d.yaml repeating them
 * changes nothing. The value says which spec field decides the flag, for the error when the file contradicts it.
 */
function specFlags(ctx: DistributionConfigContext): { present: Set<string>; owner: Map<string, string> } {
  const cni = ctx.cni ?? "Default";
  const loadBalancer = ctx.loadBalancer ?? true;
  const present = new Set(specDisabledK3sAddons(cni, loadBalancer).map((a) => `--disable=${a}`));
  if (cni !== "Default") for (const f of ["--flannel-backend=none", "--disable-network-policy"]) present.add(f);
  const owner = new Map([
    ["--disable=servicelb", "spec.cluster.loadBalancer"],
    ["--flannel-backend=none", "spec.cluster.cni"],
    ["--disable-network-policy", "spec.cluster.cni"],
  ]);
  return { present, owner };
}

function k3dOptions(
  value: unknown,
  reject: Reject,
  o: MutableOverrides,
  server: string[],
  agent: string[],
  spec: ReturnType<typeof specFlags>,
): void {
  if (!isObject(value)) return reject("options", value, "must be a mapping");
  for (const [k, v] of Object.entries(value)) {
    if (k === "k3s") k3sOptions(v, reject, o, server, agent, spec);
    else if (k === "k3d") {
      if (!isObject(v)) {
        reject("options.k3d", v, "must be a mapping");
        continue;
      }
      for (const [kk, vv] of Object.entries(v)) {
        if (kk === "wait" && vv === true) continue; // KSailCluster always waits for the nodes
        reject(
          `options.k3d.${kk}`,
          vv,
          kk === "wait"
            ? "KSailCluster always waits until the nodes are ready; remove it"
            : "KSailCluster builds the nodes, their load balancing and rollback itself (Pulumi keeps what was created); remove it",
        );
      }
    } else if (k === "kubeconfig")
      reject(
        "options.kubeconfig",
        v,
        "KSailCluster never writes your kubeconfig file; use its kubeconfig output (pulumi stack output kubeconfig --show-secrets) and remove options.kubeconfig",
      );
    else if (k === "runtime")
      reject("options.runtime", v, "KSailCluster sizes the node containers itself and applies no k3d runtime options; remove it");
    else reject(`options.${k}`, v, "is not a k3d v1alpha5 option KSailCluster reads (supported: k3s, k3d.wait); remove it");
  }
}

function k3sOptions(
  value: unknown,
  reject: Reject,
  o: MutableOverrides,
  server: string[],
  agent: string[],
  spec: ReturnType<typeof specFlags>,
): void {
  if (!isObject(value)) return reject("options.k3s", value, "must be a mapping {extraArgs, nodeLabels}");
  for (const [k, v] of Object.entries(value)) {
    if (k !== "extraArgs" && k !== "nodeLabels") {
      reject(`options.k3s.${k}`, v, "is not a k3d v1alpha5 k3s option (extraArgs, nodeLabels); remove it");
      continue;
    }
    if (!Array.isArray(v)) {
      reject(`options.k3s.${k}`, v, "must be a list");
      continue;
    }
    v.forEach((entry, i) => {
      const field = `options.k3s.${k}[${i}]`;
      const text = isObject(entry) ? (k === "extraArgs" ? entry.arg : entry.label) : undefined;
      if (typeof text !== "string" || text.trim() === "")
        return reject(field, entry, k === "extraArgs" ? "must be {arg, nodeFilters}" : "must be {label: key=value, nodeFilters}");
      const filters = isObject(entry) ? entry.nodeFilters : undefined;
      const roles = nodeFilterRoles(filters);
      const noRoles = () =>
        reject(
          `${field}.nodeFilters`,
          filters,
          'KSailCluster applies k3s options to every server or every agent (k3d itself refuses an option without a node filter when a cluster has more than one node); use nodeFilters ["server:*"], ["agent:*"] or ["all"]',
        );
      let flag: string;
      if (k === "nodeLabels") {
        if (!/^[^=\s]+=[^=\s]*$/.test(text.trim())) return reject(`${field}.label`, text, "must be key=value");
        if (!roles) return noRoles();
        flag = `--node-label=${text.trim()}`;
      } else {
        flag = text.trim();
        // Flags the spec decides are the spec's wherever they are written (KSail adds them to server:* itself).
        if (spec.present.has(flag)) return;
        const owner = spec.owner.get(flag);
        if (owner === "spec.cluster.loadBalancer")
          return reject(
            `${field}.arg`,
            flag,
            "contradicts spec.cluster.loadBalancer: Enabled; set loadBalancer: Disabled in ksail.yaml instead",
          );
        if (owner) return; // the CNI flags: checked against spec.cluster.cni by the alignment rule
        if (!roles) return noRoles();
        const name = flag.split(/[=\s]/, 1)[0];
        if (K3S_OWNED_FLAGS.includes(name))
          return reject(
            `${field}.arg`,
            flag,
            `KSailCluster sets ${name} itself (node addresses, join URL, token, data directory); remove it`,
          );
        const cidr = /^--(cluster|service)-cidr[=\s](.+)$/.exec(flag);
        if (cidr) {
          if (!roles.server || roles.agent)
            return reject(`${field}.nodeFilters`, entry, `${name} is a server flag; use nodeFilters ["server:*"]`);
          if (ipv4CidrPrefix(cidr[2].trim()) === undefined)
            return reject(`${field}.arg`, flag, "must name an IPv4 CIDR such as 10.42.0.0/16");
          if (cidr[1] === "cluster") o.podSubnet = cidr[2].trim();
          else o.serviceSubnet = cidr[2].trim();
          return;
        }
      }
      if (roles.server) server.push(flag);
      if (roles.agent) agent.push(flag);
    });
  }
}

/** k3d node filters KSailCluster can honour: every server, every agent, or all of them. */
function nodeFilterRoles(filters: unknown): { server: boolean; agent: boolean } | undefined {
  if (!Array.isArray(filters) || filters.length === 0) return undefined;
  const r = { server: false, agent: false };
  for (const f of filters) {
    if (f === "server:*") r.server = true;
    else if (f === "agent:*") r.agent = true;
    else if (f === "all") r.server = r.agent = true;
    else return undefined;
  }
  return r;
}

/**
 * The k3s add-ons KSailCluster disables on every server from the spec (the rule of the K3s renderer's
 * `k3sDisabledAddons`, which a unit test keeps equal): the packaged metrics-server and local-storage always,
 * traefik with Cilium, servicelb without a LoadBalancer.
 */
export function specDisabledK3sAddons(cni: "Default" | "Cilium" | "Calico", loadBalancer: boolean): string[] {
  const out = ["local-storage", "metrics-server"];
  if (cni === "Cilium") out.push("traefik");
  if (!loadBalancer) out.push("servicelb");
  return out.sort();
}
