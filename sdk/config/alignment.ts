import * as YAML from "yaml";
import { yamlValue } from "./yamlValue";
import type { Issue } from "../errors";
import type { Cni } from "./enums";
import { isObject } from "./expand";

/**
 * CNI alignment between `spec.cluster.cni` and the distribution config files (a KSail validation rule):
 * a Kind or K3d cluster that gets Cilium/Calico must have its built-in CNI switched off, and one that
 * keeps the default CNI must not; on Talos only a user patch that contradicts the spec is an error.
 */
const P = "spec.cluster.cni";

export function kindCniIssues(cni: Cni, kindConfig: unknown, source: string): Issue[] {
  const networking = isObject(kindConfig) && isObject(kindConfig.networking) ? kindConfig.networking : {};
  const disabled = networking.disableDefaultCNI === true;
  if (cni !== "Default" && !disabled) {
    return [
      {
        path: P,
        message: `${cni} CNI requires disableDefaultCNI to be true in Kind configuration (${source}); add networking.disableDefaultCNI: true there, or set cni: Default`,
      },
    ];
  }
  if (cni === "Default" && disabled) {
    return [
      {
        path: P,
        message: `Default CNI requires disableDefaultCNI to be false in Kind configuration (${source}); remove networking.disableDefaultCNI, or set cni to Cilium or Calico`,
      },
    ];
  }
  return [];
}

function k3sArgs(k3dConfig: unknown): string[] {
  if (!isObject(k3dConfig) || !isObject(k3dConfig.options) || !isObject(k3dConfig.options.k3s)) return [];
  const extra = k3dConfig.options.k3s.extraArgs;
  if (!Array.isArray(extra)) return [];
  return extra.map((e) => (isObject(e) && typeof e.arg === "string" ? e.arg.trim() : typeof e === "string" ? e.trim() : ""));
}

export function k3dCniIssues(cni: Cni, k3dConfig: unknown, source: string): Issue[] {
  const args = k3sArgs(k3dConfig);
  const flannelOff = args.includes("--flannel-backend=none");
  const netpolOff = args.includes("--disable-network-policy");
  if (cni !== "Default" && !(flannelOff && netpolOff)) {
    return [
      {
        path: P,
        message: `${cni} CNI requires '--flannel-backend=none' and '--disable-network-policy' in K3d configuration (${source}); add them under options.k3s.extraArgs (nodeFilters: server:*), or set cni: Default`,
      },
    ];
  }
  if (cni === "Default" && (flannelOff || netpolOff)) {
    const found = [flannelOff ? "--flannel-backend=none" : "", netpolOff ? "--disable-network-policy" : ""].filter(Boolean).join(" and ");
    return [
      {
        path: P,
        message: `Default CNI requires Flannel to be enabled, but found ${found} in K3d configuration (${source}); remove it, or set cni to Cilium or Calico`,
      },
    ];
  }
  return [];
}

/** The CNI name set by Talos patches (`cluster.network.cni.name`), with the file that set it last. */
export function talosPatchCni(patches: readonly { source: string; content: string }[]): { name: string; source: string } | undefined {
  let found: { name: string; source: string } | undefined;
  for (const patch of patches) {
    for (const doc of YAML.parseAllDocuments(patch.content)) {
      if (!("toJS" in doc)) continue;
      const v = yamlValue(doc);
      if ("error" in v) continue; // reported by the loader
      const js = v.value;
      if (!isObject(js) || !isObject(js.cluster) || !isObject(js.cluster.network) || !isObject(js.cluster.network.cni)) continue;
      const name = js.cluster.network.cni.name;
      if (typeof name === "string") found = { name, source: patch.source };
    }
  }
  return found;
}

/**
 * Talos: like KSail when no Talos patch sets the CNI, the renderer itself sets `cluster.network.cni.name: none` for
 * Cilium and Calico (and what Cilium's kube-proxy replacement needs), so only a user patch that contradicts the spec
 * is an error.
 */
export function talosCniIssues(cni: Cni, patches: readonly { source: string; content: string }[]): Issue[] {
  const set = talosPatchCni(patches);
  if (cni !== "Default" && set !== undefined && set.name !== "none") {
    return [
      {
        path: P,
        message: `${cni} CNI needs the Talos CNI off, but ${set.source} sets cluster.network.cni.name: ${set.name}; remove that patch (KSailCluster sets "none" itself), or set cni: Default`,
      },
    ];
  }
  if (cni === "Default" && set?.name === "none") {
    return [
      {
        path: P,
        message: `Default CNI requires the Talos CNI (flannel) to be enabled, but ${set.source} sets cluster.network.cni.name: none; remove that patch, or set cni to Cilium or Calico`,
      },
    ];
  }
  return [];
}
