/**
 * What a `kind.yaml` (Vanilla) or `k3d.yaml` (K3s) named by `spec.cluster.distributionConfig` asks of the node
 * containers (pure). Every field is either honoured — it becomes a Docker plan input — or rejected by name with
 * what is supported and how to fix it; nothing is silently ignored. Fields follow kind's v1alpha4 `Cluster`
 * (kubernetes-sigs/kind pkg/apis/config/v1alpha4/types.go) and k3d's v1alpha5 `Simple` config (k3d-io/k3d
 * pkg/config/v1alpha5/types.go). Part of the config model (`ksail-pulumi validate` runs it; so does planCluster),
 * so it reads nothing but the files and the spec.
 */
import * as YAML from "yaml";
import type { Issue } from "../errors";
import { isObject } from "./expand";

/** The plan inputs a distribution config file sets; absent = the spec's or the plan's default. */
export interface DistributionConfigOverrides {
  /** Node image (kind `nodes[].image`, the same on every node; k3d `image`). */
  readonly image?: string;
  /** Pod CIDR (kind `networking.podSubnet`, k3s `--cluster-cidr`). */
  readonly podSubnet?: string;
  /** Service CIDR (kind `networking.serviceSubnet`, k3s `--service-cidr`). */
  readonly serviceSubnet?: string;
  /** Host port of the Kubernetes API (kind `networking.apiServerPort`, k3d `kubeAPI.hostPort`). */
  readonly apiHostPort?: number;
  /** Docker network CIDR (k3d `subnet`). */
  readonly networkCidr?: string;
  /** `hostPort:containerPort/proto` on the first control plane (kind `extraPortMappings`, k3d `ports`). */
  readonly extraPortMappings?: readonly string[];
  /** Extra k3s arguments per role (k3d `options.k3s.extraArgs` and `options.k3s.nodeLabels`). */
  readonly k3sExtraArgs?: { readonly server: readonly string[]; readonly agent: readonly string[] };
}

export interface DistributionConfigResult {
  readonly overrides: DistributionConfigOverrides;
  readonly issues: Issue[];
}

/** What the interpreters compare the files with. */
export interface DistributionConfigContext {
  /** `spec.cluster.kubernetesVersion` as written (`""` = the pinned default). */
  readonly kubernetesVersion: string;
  /** Source name for messages, e.g. `kind.yaml`. */
  readonly source: string;
  /** Effective `spec.cluster.cni` (K3s: the flags it sets need not be repeated). @default "Default" */
  readonly cni?: "Default" | "Cilium" | "Calico";
  /** Effective `spec.cluster.loadBalancer` is Enabled (K3s ServiceLB). @default true */
  readonly loadBalancer?: boolean;
}

const NO_OVERRIDES: DistributionConfigResult = { overrides: {}, issues: [] };

/** The overrides of the file that belongs to `distribution` (none for Talos or when no file was read). */
export function distributionConfigOverrides(
  distribution: string,
  files: { kindConfig?: unknown; k3dConfig?: unknown },
  ctx: DistributionConfigContext,
): DistributionConfigResult {
  if (distribution === "Vanilla" && files.kindConfig !== undefined) return kindConfigOverrides(files.kindConfig, ctx);
  if (distribution === "K3s" && files.k3dConfig !== undefined) return k3dConfigOverrides(files.k3dConfig, ctx);
  return NO_OVERRIDES;
}

/** True when the file changes nothing about the plan (its content is the spec's or the defaults). */
export function isEmptyOverrides(o: DistributionConfigOverrides): boolean {
  return Object.keys(o).length === 0;
}

// ------------------------------------------------------------------------------------------------ kind.yaml

/**
 * kind.yaml (kind.x-k8s.io/v1alpha4 `Cluster`). Honoured: `networking.podSubnet`, `serviceSubnet`,
 * `apiServerPort`, `apiServerAddress: 127.0.0.1`, `ipFamily: ipv4`, `kubeProxyMode: iptables`,
 * `disableDefaultCNI` (checked against `spec.cluster.cni` by the alignment rule), `nodes[].role` (counts are
 * spec.cluster.controlPlanes/workers), `nodes[].image` (one image for every node, agreeing with
 * spec.cluster.kubernetesVersion when that is set), `extraPortMappings` of the first control-plane entry, and the kubelet serving-certificate patch
 * every node already gets. Everything else is rejected by name.
 */
export function kindConfigOverrides(kind: unknown, ctx: DistributionConfigContext): DistributionConfigResult {
  const issues: Issue[] = [];
  if (!isObject(kind)) return NO_OVERRIDES;
  const reject: Reject = (field, value, why) => issues.push({ path: `${ctx.source}:${field}`, message: `is ${show(value)}; ${why}` });
  const overrides: MutableOverrides = {};
  for (const [key, value] of Object.entries(kind)) {
    switch (key) {
      case "kind":
      case "apiVersion":
      case "name":
        break; // checked by the loader (kind/apiVersion, and name against metadata.name)
      case "networking":
        kindNetworking(value, reject, overrides);
        break;
      case "nodes":
        kindNodes(value, ctx, reject, overrides);
        break;
      case "kubeadmConfigPatches":
        kindKubeadmPatches(value, "kubeadmConfigPatches", reject);
        break;
      case "featureGates":
      case "runtimeConfig":
        reject(
          key,
          value,
          `KSailCluster does not pass kind's ${key} to the Kubernetes components; set kube-apiserver flags through spec.cluster.oidc or use K3s/Talos for custom ${key === "featureGates" ? "feature gates" : "API groups"}, and remove ${key}`,
        );
        break;
      case "kubeadmConfigPatchesJSON6902":
      case "containerdConfigPatches":
      case "containerdConfigPatchesJSON6902":
        reject(
          key,
          value,
          `KSailCluster renders the kubeadm and containerd configuration itself and applies no ${key}; registry mirrors, the kubelet serving certificates and the API server flags come from the spec — remove ${key}`,
        );
        break;
      default:
        reject(
          key,
          value,
          `is not a field KSailCluster reads from a kind v1alpha4 Cluster (supported: kind, apiVersion, name, nodes, networking, kubeadmConfigPatches); remove it`,
        );
    }
  }
  return { overrides, issues };
}

type Reject = (field: string, value: unknown, why: string) => void;
type MutableOverrides = { -readonly [K in keyof DistributionConfigOverrides]: DistributionConfigOverrides[K] };

function kindNetworking(value: unknown, reject: Reject, o: MutableOverrides): void {
  if (!isObject(value)) return reject("networking", value, "must be a mapping; fix the YAML");
  for (const [key, v] of Object.entries(value)) {
    const field = `networking.${key}`;
    switch (key) {
      case "podSubnet":
      case "serviceSubnet":
        if (typeof v !== "string" || ipv4CidrPrefix(v) === undefined)
          reject(field, v, "must be an IPv4 CIDR such as 10.244.0.0/16; fix it or remove it");
        else o[key] = v;
        break;
      case "apiServerPort":
        if (v === 0) break; // kind's "unset"
        if (typeof v !== "number" || !Number.isInteger(v) || v < 1 || v > 65535)
          reject(
            field,
            v,
            "KSailCluster publishes the API on a fixed host port between 1 and 65535 (-1, Docker's random port, would change on every restart); set a port or remove it",
          );
        else o.apiHostPort = v;
        break;
      case "apiServerAddress":
        if (v !== "127.0.0.1") reject(field, v, "KSailCluster publishes the API on 127.0.0.1 only; remove it or set 127.0.0.1");
        break;
      case "ipFamily":
        if (v !== "ipv4") reject(field, v, "KSailCluster builds IPv4 clusters only; remove it or set ipv4");
        break;
      case "kubeProxyMode":
        if (v !== "iptables")
          reject(
            field,
            v,
            "KSailCluster runs kube-proxy in iptables mode (the CNIs it installs on Vanilla do not replace kube-proxy); remove it or set iptables",
          );
        break;
      case "disableDefaultCNI":
        break; // checked against spec.cluster.cni (the CNI alignment rule)
      case "dnsSearch":
        reject(field, v, "KSailCluster keeps the node containers' DNS settings from Docker; remove it");
        break;
      default:
        reject(
          field,
          v,
          "is not a kind v1alpha4 networking field KSailCluster reads (supported: podSubnet, serviceSubnet, apiServerPort, apiServerAddress, ipFamily, kubeProxyMode, disableDefaultCNI); remove it",
        );
    }
  }
}

function kindNodes(value: unknown, ctx: DistributionConfigContext, reject: Reject, o: MutableOverrides): void {
  if (!Array.isArray(value)) return reject("nodes", value, "must be a list; fix the YAML");
  let firstControlPlane = true;
  value.forEach((node, i) => {
    if (!isObject(node)) return reject(`nodes[${i}]`, node, "must be a mapping with a role; fix the YAML");
    const role = node.role ?? "control-plane";
    const isFirstCp = role === "control-plane" && firstControlPlane;
    if (role === "control-plane") firstControlPlane = false;
    for (const [key, v] of Object.entries(node)) {
      const field = `nodes[${i}].${key}`;
      switch (key) {
        case "role":
          if (v !== "control-plane" && v !== "worker") reject(field, v, "must be control-plane or worker");
          break;
        case "image":
          nodeImage(v, field, ctx, reject, o, "every node entry");
          break;
        case "extraPortMappings": {
          if (!isFirstCp) {
            reject(
              field,
              v,
              "KSailCluster publishes extra ports on the first control plane only; move the mappings to the first control-plane entry of nodes",
            );
            break;
          }
          const ports = kindPortMappings(v, field, reject);
          if (ports.length > 0) o.extraPortMappings = [...(o.extraPortMappings ?? []), ...ports];
          break;
        }
        case "labels":
        case "extraMounts":
        case "gpus":
        case "kubeadmConfigPatches":
        case "kubeadmConfigPatchesJSON6902":
          reject(
            field,
            v,
            `KSailCluster builds every node from spec.cluster.controlPlanes/workers and applies no per-node ${key}; remove it (registry mirrors and the API server flags come from the spec)`,
          );
          break;
        default:
          reject(
            field,
            v,
            "is not a kind v1alpha4 node field KSailCluster reads (supported: role, image, extraPortMappings on the first control plane); remove it",
          );
      }
    }
  });
}

function kindPortMappings(value: unknown, field: string, reject: Reject): string[] {
  if (!Array.isArray(value)) {
    reject(field, value, "must be a list of {containerPort, hostPort, protocol}; fix the YAML");
    return [];
  }
  const out: string[] = [];
  value.forEach((m, j) => {
    const f = `${field}[${j}]`;
    if (!isObject(m)) return reject(f, m, "must be a mapping {containerPort, hostPort, protocol}");
    const unknown = Object.keys(m).filter((k) => !["containerPort", "hostPort", "listenAddress", "protocol"].includes(k));
    for (const k of unknown)
      reject(`${f}.${k}`, m[k], "is not a kind port-mapping field (containerPort, hostPort, listenAddress, protocol); remove it");
    const { containerPort, hostPort, listenAddress, protocol } = m;
    const port = (p: unknown) => typeof p === "number" && Number.isInteger(p) && p >= 1 && p <= 65535;
    if (!port(containerPort)) return reject(`${f}.containerPort`, containerPort, "must be a port between 1 and 65535");
    if (!port(hostPort))
      return reject(
        `${f}.hostPort`,
        hostPort,
        "KSailCluster needs a fixed host port between 1 and 65535 (a random one would change on every container replacement); set it",
      );
    if (listenAddress !== undefined && listenAddress !== "0.0.0.0")
      return reject(`${f}.listenAddress`, listenAddress, "KSailCluster publishes extra ports on 0.0.0.0 (kind's default); remove it");
    const proto = protocol === undefined ? "TCP" : protocol;
    if (proto !== "TCP" && proto !== "UDP") return reject(`${f}.protocol`, protocol, "must be TCP or UDP (Docker publishes no SCTP here)");
    if (unknown.length === 0) out.push(`${String(hostPort)}:${String(containerPort)}/${proto.toLowerCase()}`);
  });
  return out;
}

/** The only kubeadm patch accepted is the one every node already gets: kubelet serving certificates (KSail's own). */
function kindKubeadmPatches(value: unknown, field: string, reject: Reject): void {
  if (!Array.isArray(value)) return reject(field, value, "must be a list of YAML strings");
  value.forEach((p, i) => {
    let doc: unknown;
    try {
      doc = typeof p === "string" ? YAML.parse(p) : undefined;
    } catch {
      doc = undefined;
    }
    const keys = isObject(doc) ? Object.keys(doc).filter((k) => k !== "apiVersion") : [];
    const servingCerts =
      isObject(doc) &&
      doc.kind === "KubeletConfiguration" &&
      doc.serverTLSBootstrap === true &&
      keys.every((k) => k === "kind" || k === "serverTLSBootstrap");
    if (!servingCerts)
      reject(
        `${field}[${i}]`,
        typeof p === "string" ? p.trim().split("\n")[0] + (p.trim().includes("\n") ? " …" : "") : p,
        "KSailCluster renders kubeadm's configuration itself; the only patch it accepts is `kind: KubeletConfiguration` with `serverTLSBootstrap: true`, which every node already gets; remove this patch (API server flags come from spec.cluster.oidc)",
      );
  });
}

// ------------------------------------------------------------------------------------------------ k3d.yaml

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

// ------------------------------------------------------------------------------------------------ helpers

/** A node image is honoured as the cluster's; it must agree with spec.cluster.kubernetesVersion and be one image. */
function nodeImage(v: unknown, field: string, ctx: DistributionConfigContext, reject: Reject, o: MutableOverrides, scope: string): void {
  if (typeof v !== "string" || !/^[^\s:@]+(:[^\s:@]+)?(@sha256:[0-9a-f]{64})?$/.test(v.replace(/^[^/]+:\d+\//, "")))
    return reject(field, v, "must be an image reference such as kindest/node:v1.36.1 or rancher/k3s:v1.36.2-k3s1");
  if (o.image !== undefined && o.image !== v)
    return reject(field, v, `KSailCluster runs one node image; ${scope} must name ${o.image} (or none)`);
  const tag = /:v?(\d+\.\d+\.\d+)[^:/@]*(@|$)/.exec(v)?.[1];
  const want = ctx.kubernetesVersion.replace(/^v/, "");
  if (want !== "" && tag !== want)
    return reject(
      field,
      v,
      `runs Kubernetes ${tag ?? "(no version tag)"} but spec.cluster.kubernetesVersion is ${ctx.kubernetesVersion}; make them agree (or remove one)`,
    );
  o.image = v;
}

/** Prefix of an IPv4 CIDR (`a.b.c.d/p`, 8 ≤ p ≤ 30), or undefined when it is not one. */
function ipv4CidrPrefix(s: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(s.trim());
  if (!m || m.slice(1, 5).some((p) => Number(p) > 255)) return undefined;
  const prefix = Number(m[5]);
  return prefix >= 8 && prefix <= 30 ? prefix : undefined;
}

function show(value: unknown): string {
  const s = JSON.stringify(value);
  return s === undefined ? String(value) : s.length > 80 ? `${s.slice(0, 77)}...` : s;
}
