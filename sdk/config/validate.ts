import type { Issue } from "../errors";
import type { ClusterDocument } from "./model";
import { parseRegistrySpec, redactRegistry } from "./registry";
import { DISTRIBUTION_META, KSAIL_PROVIDERS, SUPPORTED_COMBINATIONS, isSupportedCombination, supportedCombinationsText } from "./support";

import { VERSION, validateAutoscaler, validateHetzner, validateKwok, validateOmni, type Report } from "./validateProviders";
const CLUSTER_NAME = /^([a-z]|[a-z][a-z0-9-]*[a-z0-9])$/;
const SCHEMATIC = /^[0-9a-f]{64}$/;

interface Out {
  errors: Issue[];
  warnings: Issue[];
}

/**
 * Cross-field rules of KSail's validator (distribution × provider support, CNI alignment, registry ports,
 * node counts) plus this package's own limits. Every message
 * names the value, what is allowed and how to fix it; the path names the field.
 */
export function crossValidate(doc: ClusterDocument): Out {
  const out: Out = { errors: [], warnings: [] };
  const err = (path: string, message: string) => out.errors.push({ path, message });
  const warn = (path: string, message: string) => out.warnings.push({ path, message });
  const c = doc.spec.cluster;
  const h = doc.spec.provider.hetzner;
  const { distribution: d, provider: p } = c;

  // distribution × provider
  if (!KSAIL_PROVIDERS[d].includes(p)) {
    err(
      "spec.cluster.provider",
      `distribution ${d} does not support provider ${p} (supported providers: ${KSAIL_PROVIDERS[d].join(", ")}); pick one of those`,
    );
  } else if (!isSupportedCombination(d, p)) {
    const path = SUPPORTED_COMBINATIONS.some((s) => s.distribution === d) ? "spec.cluster.provider" : "spec.cluster.distribution";
    err(
      path,
      `${d} on ${p} is a valid KSail combination, but @ksail/pulumi does not support it yet; supported: ${supportedCombinationsText()}`,
    );
  }

  // cluster name
  const name = doc.metadata.name;
  if (name !== undefined && name !== "") {
    if (name.length > 63) err("metadata.name", `cluster name is too long: "${name}" has ${name.length} characters; at most 63 are allowed`);
    else if (!CLUSTER_NAME.test(name)) {
      err(
        "metadata.name",
        `cluster name is invalid: "${name}" must be DNS-1123 compliant (lower-case letters, digits and '-', starting with a letter and ending with a letter or digit)`,
      );
    }
  }
  const clusterName = name || DISTRIBUTION_META[d].defaultName;

  // node counts
  if (c.controlPlanes < 1)
    err(
      "spec.cluster.controlPlanes",
      `is ${c.controlPlanes}; a cluster needs at least 1 control plane. Set it to 1 (or 3 for high availability)`,
    );
  if (c.workers < 0) err("spec.cluster.workers", `is ${c.workers}; must be 0 or more (0 schedules workloads on the control planes)`);
  if (d === "Talos" && c.controlPlanes > 1 && c.controlPlanes % 2 === 0) {
    warn(
      "spec.cluster.controlPlanes",
      `is ${c.controlPlanes}; an even etcd member count tolerates no more failures than ${c.controlPlanes - 1}. Prefer an odd number`,
    );
  }

  // versions
  if (c.kubernetesVersion !== "" && !VERSION.test(c.kubernetesVersion)) {
    err(
      "spec.cluster.kubernetesVersion",
      `is "${c.kubernetesVersion}"; expected a version such as "1.34.1" or "v1.34.1" (or leave it empty to follow the default)`,
    );
  }
  if (c.talos.version !== "" && !VERSION.test(c.talos.version)) {
    err("spec.cluster.talos.version", `is "${c.talos.version}"; expected a Talos version such as "v1.12.4" (or leave it empty)`);
  }
  if (c.talos.schematicId !== "" && !SCHEMATIC.test(c.talos.schematicId)) {
    err("spec.cluster.talos.schematicId", `is "${c.talos.schematicId}"; an Image Factory schematic ID is 64 lower-case hex characters`);
  }
  const seenExt = new Set<string>();
  c.talos.extensions.forEach((e, i) => {
    if (e.trim() === "")
      err(
        `spec.cluster.talos.extensions[${i}]`,
        "is empty; name an official extension such as siderolabs/iscsi-tools, or remove the entry",
      );
    else if (seenExt.has(e)) err(`spec.cluster.talos.extensions[${i}]`, `"${e}" is listed twice; remove the duplicate`);
    seenExt.add(e);
  });
  c.talos.extraPortMappings.forEach((m, i) => {
    if (m.containerPort < 1 || m.containerPort > 65535)
      err(`spec.cluster.talos.extraPortMappings[${i}].containerPort`, `is ${m.containerPort}; must be between 1 and 65535`);
    if (m.hostPort < 0 || m.hostPort > 65535)
      err(`spec.cluster.talos.extraPortMappings[${i}].hostPort`, `is ${m.hostPort}; must be between 0 (random) and 65535`);
  });
  const hostPorts = new Map<string, number>();
  c.talos.extraPortMappings.forEach((m, i) => {
    if (m.hostPort === 0) return;
    const key = `${m.hostPort}/${m.protocol}`;
    const first = hostPorts.get(key);
    if (first !== undefined)
      err(
        `spec.cluster.talos.extraPortMappings[${i}].hostPort`,
        `host port ${key} is already mapped by extraPortMappings[${first}]; each host port can be published once (use 0 for a random port)`,
      );
    else hostPorts.set(key, i);
  });
  if (c.talos.extraPortMappings.length > 0 && p !== "Docker")
    warn("spec.cluster.talos.extraPortMappings", `only applies to the Docker provider; ignored on ${p}`);

  // Talos-only deprecations
  if (d === "Talos") {
    if (c.cdi !== "Default")
      warn("spec.cluster.cdi", `is ${c.cdi}; setting cdi is deprecated for Talos (Talos provides CDI itself). Remove it`);
    if (c.oidc.issuerURL !== "")
      warn("spec.cluster.oidc", "API-server OIDC on Talos is deprecated; configure it with a Talos patch instead");
    if (p === "Hetzner" && h.ingressFirewall === "Disabled")
      warn("spec.provider.hetzner.ingressFirewall", "Disabled is deprecated; the Talos ingress firewall protects the node APIs");
  }

  // connection.context (Omni names the context itself: <account>-<cluster>-<user>, so KSail does not check it there)
  if (p !== "Omni" && c.connection.context !== "" && c.connection.context !== DISTRIBUTION_META[d].context(clusterName)) {
    warn(
      "spec.cluster.connection.context",
      `context name does not match expected pattern for distribution: "${c.connection.context}" (expected "${DISTRIBUTION_META[d].context(clusterName)}")`,
    );
  }

  validateOidc(doc, err);
  validateRegistry(doc, err);
  if (p === "Hetzner") validateHetzner(doc, clusterName, err, warn);
  if (p === "Omni" && d === "Talos") validateOmni(doc, err, warn);
  if (p === "Kubernetes") validateKubernetesHost(doc, err);
  if (p === "Docker" && d === "VCluster") validateVindOnDocker(doc, err);
  if (d === "KWOK") validateKwok(doc, err);
  validateAutoscaler(doc, err, warn);
  return out;
}

function validateOidc(doc: ClusterDocument, err: Report): void {
  const o = doc.spec.cluster.oidc;
  const P = "spec.cluster.oidc";
  if (o.clientID !== "" && o.issuerURL === "")
    err(
      `${P}.issuerURL`,
      "invalid OIDC configuration: clientID is set but issuerURL is empty; set issuerURL (https://...) or remove clientID",
    );
  if (o.issuerURL !== "" && o.clientID === "")
    err(
      `${P}.clientID`,
      "invalid OIDC configuration: issuerURL is set but clientID is empty; set the client ID registered with the issuer",
    );
  if (o.issuerURL !== "" && !/^https:\/\/[^/\s]+/.test(o.issuerURL))
    err(`${P}.issuerURL`, `invalid OIDC configuration: "${o.issuerURL}" must be an https:// URL`);
  o.extraScopes.forEach((s, i) => {
    if (s.trim() === "") err(`${P}.extraScopes[${i}]`, "invalid OIDC configuration: extra scope is empty; remove the entry");
  });
}

function validateRegistry(doc: ClusterDocument, err: Report): void {
  const c = doc.spec.cluster;
  const P = "spec.cluster.localRegistry.registry";
  const gitOps = c.gitOpsEngine !== "None";
  if (c.localRegistry.registry === "") {
    if (gitOps && (c.provider === "Hetzner" || c.provider === "Omni" || c.provider === "Kubernetes")) {
      err(
        P,
        `is empty, so ${c.gitOpsEngine} would pull from localhost:5050, which ${c.provider === "Omni" ? "an Omni" : c.provider === "Kubernetes" ? "a nested" : "a Hetzner"} cluster cannot reach; set an external registry such as ghcr.io/<org>/<repo>`,
      );
    }
    return;
  }
  const r = parseRegistrySpec(c.localRegistry.registry);
  // The spec may carry a password (often from ${VAR}); messages show the redacted form only.
  const shown = redactRegistry(c.localRegistry.registry);
  if (r.host === "") err(P, `"${shown}" has no host; expected [user:pass@]host[:port][/path[:tag]]`);
  if (!r.external && (r.port < 1 || r.port > 65535)) err(P, `registry port must be between 1 and 65535: got ${r.port} in "${shown}"`);
  if (r.external && r.port > 65535) err(P, `registry port must be between 0 and 65535: got ${r.port} in "${shown}"`);
  // Hetzner servers and Omni's machines run elsewhere: a registry on this machine's Docker is out of their reach.
  if ((c.provider === "Hetzner" || c.provider === "Omni" || c.provider === "Kubernetes") && !r.external) {
    err(
      P,
      `cloud provider requires an external registry: "${r.host}:${r.port}" is local to your machine; use a registry the cluster can reach, e.g. ghcr.io/<org>/<repo>`,
    );
  }
}

/** Provider Kubernetes (K3s through k3k, VCluster through its chart): what a nested cluster can take from the spec, and the host settings. */
function validateKubernetesHost(doc: ClusterDocument, err: Report): void {
  const c = doc.spec.cluster;
  const h = doc.spec.provider.kubernetes;
  const P = "spec.provider.kubernetes";
  if (c.distribution === "VCluster") validateVClusterOnHost(doc, err);
  else if (c.cni !== "Default" && c.distribution === "K3s")
    err("spec.cluster.cni", `is ${c.cni}; a nested K3s cluster runs its built-in flannel inside k3k's pods: set Default`);
  if (c.distribution === "Vanilla" || c.distribution === "Talos") validateDindOnHost(doc, err);
  // Vanilla's and Talos's nodes are the Docker plan's containers, which apply both as on provider Docker.
  else {
    if (c.oidc.issuerURL !== "")
      err("spec.cluster.oidc", "is not applied to nested clusters by this package yet; remove it or use provider Docker");
    if (c.imageVerification === "Enabled")
      err("spec.cluster.imageVerification", "is not applied to nested clusters by this package yet; set Disabled or use provider Docker");
  }
  for (const [field, value] of [
    ["podCidr", h.podCidr],
    ["serviceCidr", h.serviceCidr],
  ] as const) {
    if (value !== "" && !/^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/.test(value))
      err(`${P}.${field}`, `is "${value}"; expected an IPv4 CIDR such as 10.64.0.0/16`);
  }
  if (h.persistence.enabled && h.persistence.size !== "" && !/^\d+(\.\d+)?(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?$/.test(h.persistence.size))
    err(`${P}.persistence.size`, `is "${h.persistence.size}"; expected a Kubernetes quantity such as 20Gi`);
}

/**
 * Vanilla and Talos on a host cluster (their node containers in a Docker-in-Docker pod): what would only exist inside
 * the pod's engine, out of reach from outside it, is refused (KSail leaves the load balancer out there too).
 */
function validateDindOnHost(doc: ClusterDocument, err: Report): void {
  const c = doc.spec.cluster;
  const inPod = "the node containers run on the Docker engine of a pod on the host cluster";
  if (c.loadBalancer === "Enabled")
    err(
      "spec.cluster.loadBalancer",
      `is Enabled; ${inPod}, where ${c.distribution === "Talos" ? "MetalLB's" : "cloud-provider-kind's"} LoadBalancer addresses would be on a Docker network nothing outside the pod reaches: set Default (expose workloads through the host, e.g. an Ingress or Gateway in front of a NodePort)`,
    );
  c.talos.extraPortMappings.forEach((p, i) =>
    err(
      `spec.cluster.talos.extraPortMappings[${i}]`,
      `is ${p.hostPort}:${p.containerPort}; ${inPod}, so a port published there is reachable only inside that pod: remove it`,
    ),
  );
  if (c.vanilla.mirrorsDir !== "")
    err(
      "spec.cluster.vanilla.mirrorsDir",
      `is "${c.vanilla.mirrorsDir}"; no pull-through mirrors run beside a nested cluster's nodes, which pull from the registries directly: remove it`,
    );
}

/**
 * VCluster on Docker (vCluster's Docker driver): KSail's matrix makes CNI, CSI, metrics-server, the load balancer and
 * the workers N/A (vCluster runs its own; workers come from vcluster.yaml's `experimental.docker.nodes`), so asking for
 * them is refused instead of silently ignored; the driver runs one control plane; no local registry is wired in.
 */
function validateVindOnDocker(doc: ClusterDocument, err: Report): void {
  const c = doc.spec.cluster;
  const own = "vCluster's Docker driver brings its own";
  if (c.cni !== "Default") err("spec.cluster.cni", `is ${c.cni}; ${own} (flannel): set Default`);
  for (const f of ["csi", "metricsServer", "loadBalancer"] as const)
    if (c[f] === "Enabled") err(`spec.cluster.${f}`, `is Enabled; ${own} and this package installs no ${f} into it: set Default`);
  if (c.workers !== 0)
    err(
      "spec.cluster.workers",
      `is ${c.workers}; a vCluster's Docker workers are listed in vcluster.yaml (experimental.docker.nodes): set 0 and list them there`,
    );
  if (c.controlPlanes !== 1)
    err("spec.cluster.controlPlanes", `is ${c.controlPlanes}; vCluster's Docker driver runs one control-plane container: set 1`);
  if (c.oidc.issuerURL !== "") err("spec.cluster.oidc", "is not applied to a vCluster by this package yet; remove it");
  if (c.imageVerification === "Enabled") err("spec.cluster.imageVerification", "is not available on vCluster; set Disabled");
  if (c.localRegistry.registry !== "" && !parseRegistrySpec(c.localRegistry.registry).external)
    err(
      "spec.cluster.localRegistry.registry",
      `"${redactRegistry(c.localRegistry.registry)}" is a local registry, which this package does not wire into a vCluster's nodes; use an external registry such as ghcr.io/<org>/<repo>`,
    );
  else if (c.localRegistry.registry === "" && c.gitOpsEngine !== "None")
    err(
      "spec.cluster.localRegistry.registry",
      `is empty, so ${c.gitOpsEngine} would pull from a local registry this package does not wire into a vCluster's nodes; set an external registry such as ghcr.io/<org>/<repo>`,
    );
}

/**
 * VCluster on a host cluster: its pods run on the host's nodes, network and storage (KSail's matrix: CNI, CSI,
 * metrics-server, load balancer and workers are N/A), so asking for them is refused instead of silently ignored;
 * several control planes need an etcd quorum.
 */
function validateVClusterOnHost(doc: ClusterDocument, err: Report): void {
  const c = doc.spec.cluster;
  const host = "a vCluster's pods run on the host cluster's nodes, network and storage";
  if (c.cni !== "Default") err("spec.cluster.cni", `is ${c.cni}; ${host}, so it has no CNI of its own: set Default`);
  for (const f of ["csi", "metricsServer", "loadBalancer"] as const)
    if (c[f] === "Enabled") err(`spec.cluster.${f}`, `is Enabled; ${host} and this package installs no ${f} into it: set Default`);
  if (c.workers !== 0) err("spec.cluster.workers", `is ${c.workers}; ${host}, it has no nodes of its own: set 0`);
  if (c.controlPlanes > 1 && c.controlPlanes % 2 === 0)
    err(
      "spec.cluster.controlPlanes",
      `is ${c.controlPlanes}; several vCluster control planes share an embedded etcd, which needs an odd count for a quorum: use 1, 3 or 5`,
    );
}
