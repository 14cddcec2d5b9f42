import * as YAML from "yaml";
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
