/** Cross-field rules of the provider sections (Omni, Hetzner) and the node autoscaler; validate.ts runs them. */
import { EXPANDERS, type Expander } from "./enums";
import { cidrProblem, dnsLabelProblem, labelValueProblem, qualifiedNameProblem } from "./k8sNames";
import type { ClusterDocument } from "./model";
import { parseRegistrySpec } from "./registry";

/** A Kubernetes or Talos version as the spec may write it (`1.36`, `v1.36.1`, `1.36.1-rc.1`). */
export const VERSION = /^v?[0-9]+\.[0-9]+(\.[0-9]+)?([-+][0-9A-Za-z.-]+)?$/;

/** Records one problem at a field path. */
export type Report = (path: string, message: string) => void;

/** Omni: where to connect, which machines, and the spec fields Omni does not take from this package. */
export function validateOmni(doc: ClusterDocument, err: Report, warn: Report): void {
  const c = doc.spec.cluster;
  const o = doc.spec.provider.omni;
  const P = "spec.provider.omni";
  if (o.endpoint !== "" && !/^https:\/\/[^/\s]+/.test(o.endpoint)) {
    err(`${P}.endpoint`, `is "${o.endpoint}"; expected Omni's https:// URL such as https://<account>.omni.siderolabs.io`);
  }
  if (o.endpoint === "" && o.endpointEnvVar === "") {
    err(
      `${P}.endpoint`,
      `is empty and so is endpointEnvVar; set the Omni URL (https://<account>.omni.siderolabs.io) or the variable that holds it`,
    );
  }
  if (o.serviceAccountKeyEnvVar === "") {
    err(
      `${P}.serviceAccountKeyEnvVar`,
      `is empty; name the environment variable holding the Omni service-account key (OMNI_SERVICE_ACCOUNT_KEY)`,
    );
  }
  for (const f of ["talosVersion", "kubernetesVersion"] as const) {
    if (o[f] !== "" && !VERSION.test(o[f]))
      err(`${P}.${f}`, `is "${o[f]}"; expected a version such as "1.12.0" or "v1.12.0" (or leave it empty)`);
  }
  if (o.machineClass !== "" && o.machines.length > 0) {
    err(
      `${P}.machines`,
      `and machineClass "${o.machineClass}" are both set; they are mutually exclusive: keep the machine class or the machine list`,
    );
  } else if (o.machineClass === "" && o.machines.length === 0) {
    err(
      P,
      "sets neither machineClass nor machines; name a machine class, or list machine UUIDs (KSail's pick of any available machine at create time is not supported: the nodes would differ on every run)",
    );
  }
  const need = c.controlPlanes + c.workers;
  if (o.machines.length > 0 && o.machines.length < need) {
    err(
      `${P}.machines`,
      `lists ${o.machines.length} machine(s) but the cluster needs ${need} (controlPlanes=${c.controlPlanes} + workers=${c.workers}); add machine UUIDs or lower the counts`,
    );
  }
  const seen = new Map<string, number>();
  o.machines.forEach((m, i) => {
    if (m.trim() === "") err(`${P}.machines[${i}]`, "is empty; list Omni machine UUIDs");
    else if (seen.has(m)) err(`${P}.machines[${i}]`, `"${m}" is also machines[${seen.get(m)}]; a machine can hold one role`);
    seen.set(m, i);
  });
  if (o.talosVersion !== "" && c.talos.version !== "" && o.talosVersion.replace(/^v/, "") !== c.talos.version.replace(/^v/, "")) {
    warn("spec.cluster.talos.version", `is ignored on Omni: provider.omni.talosVersion ("${o.talosVersion}") decides`);
  }
  if (
    o.kubernetesVersion !== "" &&
    c.kubernetesVersion !== "" &&
    o.kubernetesVersion.replace(/^v/, "") !== c.kubernetesVersion.replace(/^v/, "")
  ) {
    warn("spec.cluster.kubernetesVersion", `is ignored on Omni: provider.omni.kubernetesVersion ("${o.kubernetesVersion}") decides`);
  }
  const ignored: [string, boolean][] = [
    ["spec.cluster.talos.schematicId", c.talos.schematicId !== ""],
    ["spec.cluster.talos.extensions", c.talos.extensions.length > 0],
    ["spec.cluster.imageVerification", c.imageVerification === "Enabled"],
    ["spec.cluster.oidc", c.oidc.issuerURL !== ""],
  ];
  for (const [path, set] of ignored)
    if (set) warn(path, "is not applied on Omni (Omni builds the machine configs); use a Talos patch or Omni's own settings");
}

export function validateHetzner(doc: ClusterDocument, clusterName: string, err: Report, warn: Report): void {
  const h = doc.spec.provider.hetzner;
  const c = doc.spec.cluster;
  const P = "spec.provider.hetzner";
  for (const f of ["controlPlaneServerType", "workerServerType", "location"] as const) {
    if (h[f].trim() === "")
      err(`${P}.${f}`, `is empty; set a Hetzner ${f === "location" ? "location such as fsn1" : "server type such as cx23"}`);
  }
  const netProblem = cidrProblem(h.networkCidr);
  if (netProblem) err(`${P}.networkCidr`, `"${h.networkCidr}" ${netProblem}`);
  h.allowedCidrs.forEach((cidr, i) => {
    if (cidr.trim() === "")
      err(`${P}.allowedCidrs[${i}]`, `invalid allowed CIDR: entry[${i}] is empty; remove it or write a CIDR such as 203.0.113.0/24`);
    else {
      const prob = cidrProblem(cidr.trim());
      if (prob) err(`${P}.allowedCidrs[${i}]`, `invalid allowed CIDR: entry[${i}] "${cidr}" ${prob}`);
    }
  });
  if (c.distribution === "Talos" && c.talos.schematicId === "" && h.allowedCidrs.length === 0)
    warn(
      `${P}.allowedCidrs`,
      "is empty and the nodes boot the Talos ISO: while a node waits in maintenance mode (minutes, at create and when a node is replaced) its Talos API takes an unauthenticated machine config, which carries the cluster's keys, from any address; set allowedCidrs to the addresses that run Pulumi (it also limits who reaches the Kubernetes API in first-control-plane and floating-ip modes), or use the snapshot route (spec.cluster.talos.schematicId)",
    );
  if (!h.controlPlanePublicIPv4 && !h.controlPlanePublicIPv6)
    warn(
      `${P}.controlPlanePublicIPv4`,
      "control planes have no public IP; they need a NAT gateway on the private network to reach the internet",
    );
  if (c.workers > 0 && !h.workerPublicIPv4 && !h.workerPublicIPv6)
    warn(`${P}.workerPublicIPv4`, "workers have no public IP; they need a NAT gateway on the private network to reach the internet");
  const limit = h.serverLimit === 0 ? 10 : h.serverLimit;
  const reserve = c.distribution === "Talos" ? 1 : 0;
  if (c.controlPlanes + c.workers + reserve > limit) {
    err(
      `${P}.serverLimit`,
      `the cluster needs ${c.controlPlanes + c.workers} servers${reserve ? " plus 1 for the Talos snapshot build" : ""} but serverLimit is ${limit}; lower the node counts or raise serverLimit to your Hetzner project's quota`,
    );
  }
  void clusterName;
}

export function validateAutoscaler(doc: ClusterDocument, err: Report, warn: Report): void {
  const c = doc.spec.cluster;
  const n = c.autoscaler.node;
  const P = "spec.cluster.autoscaler.node";
  const enabled = n.enabled === "Enabled";
  const seen = new Set<string>();
  n.expander.forEach((e, i) => {
    if (!EXPANDERS.includes(e as Expander))
      err(`${P}.expander[${i}]`, `invalid autoscaler configuration: invalid autoscaler expander: "${e}"; allowed: ${EXPANDERS.join(", ")}`);
    else if (seen.has(e))
      err(`${P}.expander[${i}]`, `invalid autoscaler configuration: duplicate autoscaler expander: "${e}"; list each expander once`);
    seen.add(e);
    if (e === "Price" && enabled && c.provider === "Hetzner") {
      err(
        `${P}.expander[${i}]`,
        `invalid autoscaler configuration: autoscaler expander not supported for provider: "Price" is not supported on Hetzner; use LeastWaste, LeastNodes or Random`,
      );
    }
  });
  const t = n.scaleDownUtilizationThreshold;
  if (t !== "") {
    const v = Number(t);
    if (!/^[0-9]*\.?[0-9]+$/.test(t.trim()) || Number.isNaN(v) || v < 0 || v > 1) {
      err(
        `${P}.scaleDownUtilizationThreshold`,
        `invalid autoscaler configuration: invalid scaleDownUtilizationThreshold: must be a decimal ratio between 0.0 and 1.0: "${t}"`,
      );
    }
  }
  if (enabled && n.pools.length === 0)
    err(
      `${P}.pools`,
      "invalid autoscaler configuration: node autoscaler is enabled but no pools are configured; add a pool or set enabled: Disabled",
    );
  if (enabled && !(c.distribution === "Talos" && c.provider === "Hetzner")) {
    warn(`${P}.enabled`, `the node autoscaler only runs for Talos on Hetzner; ignored for ${c.distribution} on ${c.provider}`);
  }
  const names = new Set<string>();
  n.pools.forEach((pool, i) => {
    const pp = `${P}.pools[${i}]`;
    const np = dnsLabelProblem(pool.name);
    if (np) err(`${pp}.name`, `invalid autoscaler configuration: invalid pool name: pool[${i}] "${pool.name}" ${np}`);
    else if (names.has(pool.name))
      err(`${pp}.name`, `invalid autoscaler configuration: duplicate pool name "${pool.name}"; pool names must be unique`);
    names.add(pool.name);
    if (pool.serverType.trim() === "")
      err(
        `${pp}.serverType`,
        `invalid autoscaler configuration: pool "${pool.name}" has an empty serverType; set a Hetzner server type such as cx33`,
      );
    if (pool.location.trim() === "")
      err(
        `${pp}.location`,
        `invalid autoscaler configuration: pool "${pool.name}" has an empty location; set a Hetzner location such as fsn1`,
      );
    if (pool.min < 0)
      err(
        `${pp}.min`,
        `invalid autoscaler configuration: invalid pool capacity: pool "${pool.name}" has min=${pool.min}; must be 0 or more`,
      );
    if (pool.max < 0)
      err(
        `${pp}.max`,
        `invalid autoscaler configuration: invalid pool capacity: pool "${pool.name}" has max=${pool.max}; must be 0 or more`,
      );
    if (pool.min > pool.max)
      err(
        `${pp}.min`,
        `invalid autoscaler configuration: pool min exceeds max: pool "${pool.name}" has min=${pool.min} > max=${pool.max}; raise max or lower min`,
      );
    for (const [k, v] of Object.entries(pool.labels)) {
      const kp = qualifiedNameProblem(k);
      if (kp) err(`${pp}.labels.${k}`, `invalid autoscaler configuration: label key "${k}" ${kp}`);
      const vp = labelValueProblem(v);
      if (vp) err(`${pp}.labels.${k}`, `invalid autoscaler configuration: label value "${v}" ${vp}`);
    }
    pool.taints.forEach((taint, j) => {
      const kp = qualifiedNameProblem(taint.key);
      if (kp) err(`${pp}.taints[${j}].key`, `invalid autoscaler configuration: taint key "${taint.key}" ${kp}`);
      const vp = taint.value === undefined ? undefined : labelValueProblem(taint.value);
      if (vp) err(`${pp}.taints[${j}].value`, `invalid autoscaler configuration: taint value "${taint.value}" ${vp}`);
    });
  });
  if (enabled && c.provider === "Hetzner") {
    const h = doc.spec.provider.hetzner;
    const base = c.controlPlanes + c.workers;
    let reachable = base + n.pools.reduce((s, pl) => s + Math.max(pl.max, 0), 0);
    if (n.maxNodesTotal > 0 && n.maxNodesTotal < reachable) reachable = Math.max(n.maxNodesTotal, base);
    const limit = h.serverLimit === 0 ? 10 : h.serverLimit;
    if (reachable > limit) {
      err(
        `${P}.pools`,
        `invalid autoscaler configuration: autoscaler configuration exceeds Hetzner server limit: reachableTotal(${reachable}) exceeds serverLimit(${limit}); lower pool max values, set maxNodesTotal, or raise spec.provider.hetzner.serverLimit`,
      );
    } else if (c.distribution === "Talos" && reachable + 1 > limit) {
      err(
        `${P}.pools`,
        `invalid autoscaler configuration: autoscaler configuration exceeds Hetzner server limit: reachableTotal(${reachable}) leaves no Hetzner server slot for the Talos snapshot build (serverLimit ${limit}); lower pool max values or raise spec.provider.hetzner.serverLimit`,
      );
    }
  }
}

/**
 * KWOK (on Docker or a host cluster): one etcd and one API server, nodes and pods simulated (KSail's matrix: workers N/A; CNI, CSI,
 * cert-manager, Flux, Kyverno and Gatekeeper skipped with a warning, because webhooks served from simulated pods
 * never answer and break later installs). Here such settings are refused by field instead of silently skipped, so
 * the spec says what the cluster has.
 */
export function validateKwok(doc: ClusterDocument, err: Report): void {
  const c = doc.spec.cluster;
  const sim = "a KWOK cluster's nodes and pods are simulated";
  if (c.controlPlanes !== 1)
    err(
      "spec.cluster.controlPlanes",
      `is ${c.controlPlanes}; a KWOK cluster runs one etcd and one API server (kwokctl's docker runtime): set 1`,
    );
  if (c.workers !== 0)
    err(
      "spec.cluster.workers",
      `is ${c.workers}; ${sim}: it gets one simulated node, as KSail's (add more as Node objects with the annotation kwok.x-k8s.io/node: fake): set 0`,
    );
  if (c.cni !== "Default") err("spec.cluster.cni", `is ${c.cni}; ${sim} and need no CNI (KSail skips it): set Default`);
  for (const f of ["csi", "metricsServer", "loadBalancer", "certManager"] as const)
    if (c[f] === "Enabled")
      err(
        `spec.cluster.${f}`,
        `is Enabled; ${sim}, so nothing would serve it${f === "certManager" ? " (its webhook never answers)" : ""}: set Default or Disabled`,
      );
  if (c.policyEngine !== "None")
    err(
      "spec.cluster.policyEngine",
      `is ${c.policyEngine}; ${sim}, so its admission webhook never answers and later installs fail (KSail skips it): set None`,
    );
  if (c.gitOpsEngine === "Flux")
    err(
      "spec.cluster.gitOpsEngine",
      `is Flux; ${sim}, so Flux's controllers never reconcile (KSail skips Flux on KWOK): set None, or ArgoCD for its API objects`,
    );
  // On a host cluster the rules of every nested cluster apply already (OIDC, image verification, an external registry).
  if (c.provider !== "Docker") return;
  if (c.imageVerification === "Enabled") err("spec.cluster.imageVerification", `is Enabled; ${sim} and pull no images: set Disabled`);
  if (c.oidc.issuerURL !== "") err("spec.cluster.oidc", "is not applied to KWOK's API server by this package; remove it");
  if (c.localRegistry.registry !== "" && !parseRegistrySpec(c.localRegistry.registry).external)
    err(
      "spec.cluster.localRegistry.registry",
      `is a local registry; ${sim} and pull nothing, so KSailCluster runs no registry beside a KWOK cluster: use an external registry (e.g. ghcr.io/<org>/<repo>) or leave it empty`,
    );
  if (c.gitOpsEngine === "ArgoCD" && c.localRegistry.registry === "")
    err(
      "spec.cluster.localRegistry.registry",
      "is empty, so Argo CD would read from a local registry, which KSailCluster does not run beside a KWOK cluster: set an external registry such as ghcr.io/<org>/<repo>",
    );
}
