import { describe, test } from "node:test";
import * as assert from "node:assert/strict";
import { isKsailError } from "../../sdk/errors";
import { parseClusterDocument, validateClusterDocument } from "../../sdk/config";

/** A valid document to break: Talos on Hetzner (the richest combination) unless a case says otherwise. */
type Doc = { apiVersion?: unknown; kind?: unknown; metadata?: Record<string, unknown>; spec: Record<string, any> } & Record<
  string,
  unknown
>;
function base(distribution = "Talos", provider = "Hetzner"): Doc {
  return {
    apiVersion: "ksail.io/v1alpha1",
    kind: "Cluster",
    metadata: { name: "prod" },
    spec: { cluster: { distribution, provider, controlPlanes: 1, workers: 1 }, provider: { hetzner: {} }, workload: {} },
  };
}
const docker = (d = "Talos") => base(d, "Docker");
const pool = (over: Record<string, unknown> = {}) => ({ name: "general", serverType: "cx33", location: "fsn1", min: 0, max: 2, ...over });
const autoscale = (node: Record<string, unknown>, d: Doc = base()) => {
  d.spec.cluster.autoscaler = { node: { enabled: "Enabled", pools: [pool()], ...node } };
  return d;
};
const edit = (d: Doc, f: (d: Doc) => void): Doc => {
  f(d);
  return d;
};

interface Case {
  name: string;
  input: unknown;
  path: string;
  message: RegExp;
}

const cases: Case[] = [
  // top level
  {
    name: "missing apiVersion",
    input: edit(base(), (d) => delete d.apiVersion),
    path: "apiVersion",
    message: /is required; set it to "ksail\.io\/v1alpha1"/,
  },
  {
    name: "wrong apiVersion",
    input: edit(base(), (d) => (d.apiVersion = "ksail.io/v1")),
    path: "apiVersion",
    message: /"ksail\.io\/v1".*must be "ksail\.io\/v1alpha1"/,
  },
  { name: "missing kind", input: edit(base(), (d) => delete d.kind), path: "kind", message: /is required; set it to "Cluster"/ },
  { name: "wrong kind", input: edit(base(), (d) => (d.kind = "Config")), path: "kind", message: /must be "Cluster"/ },
  { name: "unknown top-level key", input: edit(base(), (d) => (d.status = {})), path: "status", message: /unknown field "status"/ },
  {
    name: "unknown metadata key",
    input: edit(base(), (d) => (d.metadata!.labels = {})),
    path: "metadata.labels",
    message: /unknown field "labels".*allowed here: name/,
  },
  {
    name: "name too long",
    input: edit(base(), (d) => (d.metadata!.name = "a".repeat(64))),
    path: "metadata.name",
    message: /too long.*64 characters/,
  },
  {
    name: "name upper case",
    input: edit(base(), (d) => (d.metadata!.name = "Prod")),
    path: "metadata.name",
    message: /"Prod" must be DNS-1123/,
  },
  { name: "name ends with dash", input: edit(base(), (d) => (d.metadata!.name = "prod-")), path: "metadata.name", message: /DNS-1123/ },
  { name: "name starts with digit", input: edit(base(), (d) => (d.metadata!.name = "1prod")), path: "metadata.name", message: /DNS-1123/ },
  { name: "name not a string", input: edit(base(), (d) => (d.metadata!.name = 7)), path: "metadata.name", message: /must be a string/ },
  { name: "spec not a map", input: edit(base(), (d) => (d.spec = [] as any)), path: "spec", message: /is a list.*must be a map/ },
  {
    name: "unknown spec section",
    input: edit(base(), (d) => (d.spec.clusters = {})),
    path: "spec.clusters",
    message: /unknown field "clusters".*allowed here: .*cluster/,
  },
  // enums
  {
    name: "distribution lower case",
    input: edit(base(), (d) => (d.spec.cluster.distribution = "talos")),
    path: "spec.cluster.distribution",
    message: /"talos".*case-sensitive: write Talos/,
  },
  {
    name: "distribution unknown",
    input: edit(base(), (d) => (d.spec.cluster.distribution = "Kubeadm")),
    path: "spec.cluster.distribution",
    message: /allowed: Vanilla, K3s, Talos/,
  },
  {
    name: "provider unknown",
    input: edit(base(), (d) => (d.spec.cluster.provider = "Podman")),
    path: "spec.cluster.provider",
    message: /"Podman".*allowed: Docker, Hetzner/,
  },
  {
    name: "cni unknown",
    input: edit(base(), (d) => (d.spec.cluster.cni = "Flannel")),
    path: "spec.cluster.cni",
    message: /"Flannel".*allowed: Default, Cilium, Calico/,
  },
  {
    name: "csi invalid",
    input: edit(base(), (d) => (d.spec.cluster.csi = "On")),
    path: "spec.cluster.csi",
    message: /allowed: Default, Enabled, Disabled \(or a YAML boolean/,
  },
  {
    name: "cdi number",
    input: edit(base(), (d) => (d.spec.cluster.cdi = 1)),
    path: "spec.cluster.cdi",
    message: /allowed: Default, Enabled, Disabled/,
  },
  {
    name: "metricsServer invalid",
    input: edit(base(), (d) => (d.spec.cluster.metricsServer = "yes")),
    path: "spec.cluster.metricsServer",
    message: /"yes"/,
  },
  {
    name: "loadBalancer invalid",
    input: edit(base(), (d) => (d.spec.cluster.loadBalancer = "MetalLB")),
    path: "spec.cluster.loadBalancer",
    message: /"MetalLB"/,
  },
  {
    name: "certManager Default not allowed",
    input: edit(base(), (d) => (d.spec.cluster.certManager = "Default")),
    path: "spec.cluster.certManager",
    message: /allowed: Enabled, Disabled/,
  },
  {
    name: "imageVerification invalid",
    input: edit(base(), (d) => (d.spec.cluster.imageVerification = "Strict")),
    path: "spec.cluster.imageVerification",
    message: /"Strict"/,
  },
  {
    name: "policyEngine invalid",
    input: edit(base(), (d) => (d.spec.cluster.policyEngine = "OPA")),
    path: "spec.cluster.policyEngine",
    message: /allowed: None, Kyverno, Gatekeeper/,
  },
  {
    name: "gitOpsEngine case",
    input: edit(base(), (d) => (d.spec.cluster.gitOpsEngine = "flux")),
    path: "spec.cluster.gitOpsEngine",
    message: /write Flux/,
  },
  {
    name: "sops.enabled invalid",
    input: edit(base(), (d) => (d.spec.cluster.sops = { enabled: "Auto" })),
    path: "spec.cluster.sops.enabled",
    message: /"Auto"/,
  },
  {
    name: "unknown cluster key",
    input: edit(base(), (d) => (d.spec.cluster.nodes = 3)),
    path: "spec.cluster.nodes",
    message: /unknown field "nodes".*controlPlanes/,
  },
  {
    name: "kind section is not a KSail field",
    input: edit(base(), (d) => (d.spec.cluster.kind = {})),
    path: "spec.cluster.kind",
    message: /unknown field "kind"/,
  },
  // distribution × provider
  {
    name: "Vanilla on Omni",
    input: base("Vanilla", "Omni"),
    path: "spec.cluster.provider",
    message: /distribution Vanilla does not support provider Omni \(supported providers: Docker, Hetzner, Kubernetes\)/,
  },
  {
    name: "EKS on Docker",
    input: base("EKS", "Docker"),
    path: "spec.cluster.provider",
    message: /distribution EKS does not support provider Docker/,
  },
  {
    name: "Vanilla on Hetzner unsupported here",
    input: base("Vanilla", "Hetzner"),
    path: "spec.cluster.provider",
    message:
      /Vanilla on Hetzner is a valid KSail combination, but @ksail\/pulumi does not support it yet; supported: Vanilla on Docker, K3s on Docker, Talos on Docker, Talos on Hetzner/,
  },
  {
    name: "K3s on Hetzner unsupported here",
    input: base("K3s", "Hetzner"),
    path: "spec.cluster.provider",
    message: /does not support it yet/,
  },
  {
    name: "Talos on Omni without a machine class or machines",
    input: base("Talos", "Omni"),
    path: "spec.provider.omni",
    message: /sets neither machineClass nor machines/,
  },
  {
    name: "Talos on Kubernetes unsupported here",
    input: base("Talos", "Kubernetes"),
    path: "spec.cluster.provider",
    message: /does not support it yet/,
  },
  {
    name: "VCluster unsupported here",
    input: docker("VCluster"),
    path: "spec.cluster.distribution",
    message: /VCluster on Docker.*does not support it yet/,
  },
  { name: "KWOK unsupported here", input: docker("KWOK"), path: "spec.cluster.distribution", message: /KWOK on Docker/ },
  {
    name: "EKS (default provider AWS) unsupported here",
    input: edit(base("EKS"), (d) => delete d.spec.cluster.provider),
    path: "spec.cluster.distribution",
    message: /EKS on AWS.*does not support it yet/,
  },
  // node counts and versions
  {
    name: "zero control planes",
    input: edit(base(), (d) => (d.spec.cluster.controlPlanes = 0)),
    path: "spec.cluster.controlPlanes",
    message: /is 0; a cluster needs at least 1 control plane/,
  },
  {
    name: "negative workers",
    input: edit(base(), (d) => (d.spec.cluster.workers = -1)),
    path: "spec.cluster.workers",
    message: /is -1; must be 0 or more/,
  },
  {
    name: "fractional workers",
    input: edit(base(), (d) => (d.spec.cluster.workers = 1.5)),
    path: "spec.cluster.workers",
    message: /1\.5.*whole number/,
  },
  {
    name: "controlPlanes as string",
    input: edit(base(), (d) => (d.spec.cluster.controlPlanes = "3")),
    path: "spec.cluster.controlPlanes",
    message: /is a string \("3"\)/,
  },
  {
    name: "kubernetesVersion garbage",
    input: edit(base(), (d) => (d.spec.cluster.kubernetesVersion = "latest")),
    path: "spec.cluster.kubernetesVersion",
    message: /"latest".*"1\.34\.1"/,
  },
  {
    name: "talos.version garbage",
    input: edit(base(), (d) => (d.spec.cluster.talos = { version: "one" })),
    path: "spec.cluster.talos.version",
    message: /"one"/,
  },
  {
    name: "talos.schematicId not hex",
    input: edit(base(), (d) => (d.spec.cluster.talos = { schematicId: "abc" })),
    path: "spec.cluster.talos.schematicId",
    message: /64 lower-case hex/,
  },
  {
    name: "talos.iso negative",
    input: edit(base(), (d) => (d.spec.cluster.talos = { iso: -1 })),
    path: "spec.cluster.talos.iso",
    message: /at least 0/,
  },
  {
    name: "talos extension empty",
    input: edit(base(), (d) => (d.spec.cluster.talos = { extensions: [""] })),
    path: "spec.cluster.talos.extensions[0]",
    message: /is empty/,
  },
  {
    name: "talos extension duplicate",
    input: edit(base(), (d) => (d.spec.cluster.talos = { extensions: ["a/b", "a/b"] })),
    path: "spec.cluster.talos.extensions[1]",
    message: /listed twice/,
  },
  {
    name: "port mapping out of range",
    input: edit(docker(), (d) => (d.spec.cluster.talos = { extraPortMappings: [{ containerPort: 70000 }] })),
    path: "spec.cluster.talos.extraPortMappings[0].containerPort",
    message: /70000; must be between 1 and 65535/,
  },
  {
    name: "port mapping missing containerPort",
    input: edit(docker(), (d) => (d.spec.cluster.talos = { extraPortMappings: [{ hostPort: 80 }] })),
    path: "spec.cluster.talos.extraPortMappings[0].containerPort",
    message: /required/,
  },
  {
    name: "port mapping protocol",
    input: edit(docker(), (d) => (d.spec.cluster.talos = { extraPortMappings: [{ containerPort: 80, protocol: "SCTP" }] })),
    path: "spec.cluster.talos.extraPortMappings[0].protocol",
    message: /allowed: TCP, UDP/,
  },
  {
    name: "port mapping host port twice",
    input: edit(
      docker(),
      (d) =>
        (d.spec.cluster.talos = {
          extraPortMappings: [
            { containerPort: 80, hostPort: 8080 },
            { containerPort: 81, hostPort: 8080 },
          ],
        }),
    ),
    path: "spec.cluster.talos.extraPortMappings[1].hostPort",
    message: /host port 8080\/TCP is already mapped by extraPortMappings\[0\]/,
  },
  {
    name: "drainTimeout not a duration",
    input: edit(base(), (d) => (d.spec.cluster.talos = { drainTimeout: "10 minutes" })),
    path: "spec.cluster.talos.drainTimeout",
    message: /Go duration/,
  },
  {
    name: "connection.timeout not a duration",
    input: edit(base(), (d) => (d.spec.cluster.connection = { timeout: "5" })),
    path: "spec.cluster.connection.timeout",
    message: /number followed by a unit/,
  },
  // deprecated fields
  {
    name: "talos.controlPlanes conflicts",
    input: edit(base(), (d) => {
      d.spec.cluster.controlPlanes = 1;
      d.spec.cluster.talos = { controlPlanes: 3 };
    }),
    path: "spec.cluster.talos.controlPlanes",
    message:
      /deprecated field conflicts with its replacement: spec\.cluster\.talos\.controlPlanes=3 conflicts with spec\.cluster\.controlPlanes=1 \(set only spec\.cluster\.controlPlanes\)/,
  },
  {
    name: "talos.workers conflicts",
    input: edit(base(), (d) => {
      d.spec.cluster.workers = 1;
      d.spec.cluster.talos = { workers: 2 };
    }),
    path: "spec.cluster.talos.workers",
    message: /conflicts with spec\.cluster\.workers=1/,
  },
  {
    name: "nodeAutoscaling conflicts",
    input: edit(base(), (d) => {
      d.spec.cluster.nodeAutoscaling = true;
      d.spec.cluster.autoscaler = { node: { enabled: "Disabled" } };
    }),
    path: "spec.cluster.nodeAutoscaling",
    message: /nodeAutoscaling=Enabled conflicts with spec\.cluster\.autoscaler\.node\.enabled=Disabled/,
  },
  {
    name: "talos.imageVerification conflicts",
    input: edit(base(), (d) => {
      d.spec.cluster.imageVerification = "Disabled";
      d.spec.cluster.talos = { imageVerification: "Enabled" };
    }),
    path: "spec.cluster.talos.imageVerification",
    message: /conflicts with spec\.cluster\.imageVerification=Disabled/,
  },
  // OIDC
  {
    name: "OIDC clientID without issuer",
    input: edit(base(), (d) => (d.spec.cluster.oidc = { clientID: "k8s" })),
    path: "spec.cluster.oidc.issuerURL",
    message: /clientID is set but issuerURL is empty/,
  },
  {
    name: "OIDC issuer without clientID",
    input: edit(base(), (d) => (d.spec.cluster.oidc = { issuerURL: "https://id.example.com" })),
    path: "spec.cluster.oidc.clientID",
    message: /issuerURL is set but clientID is empty/,
  },
  {
    name: "OIDC issuer not https",
    input: edit(base(), (d) => (d.spec.cluster.oidc = { issuerURL: "http://id.example.com", clientID: "k" })),
    path: "spec.cluster.oidc.issuerURL",
    message: /must be an https:\/\/ URL/,
  },
  {
    name: "OIDC empty scope",
    input: edit(base(), (d) => (d.spec.cluster.oidc = { issuerURL: "https://id.example.com", clientID: "k", extraScopes: [" "] })),
    path: "spec.cluster.oidc.extraScopes[0]",
    message: /extra scope is empty/,
  },
  {
    name: "OIDC unknown key",
    input: edit(base(), (d) => (d.spec.cluster.oidc = { issuer: "https://x" })),
    path: "spec.cluster.oidc.issuer",
    message: /unknown field "issuer".*issuerURL/,
  },
  // registry
  {
    name: "local registry port too big",
    input: edit(docker(), (d) => (d.spec.cluster.localRegistry = { registry: "localhost:70000" })),
    path: "spec.cluster.localRegistry.registry",
    message: /registry port must be between 1 and 65535: got 70000/,
  },
  {
    name: "registry without host",
    input: edit(docker(), (d) => (d.spec.cluster.localRegistry = { registry: "user:pw@/path" })),
    path: "spec.cluster.localRegistry.registry",
    message: /has no host/,
  },
  {
    name: "local registry on Hetzner",
    input: edit(base(), (d) => (d.spec.cluster.localRegistry = { registry: "localhost:5050" })),
    path: "spec.cluster.localRegistry.registry",
    message: /cloud provider requires an external registry/,
  },
  {
    name: "GitOps on Hetzner without registry",
    input: edit(base(), (d) => (d.spec.cluster.gitOpsEngine = "Flux")),
    path: "spec.cluster.localRegistry.registry",
    message: /Flux would pull from localhost:5050/,
  },
  {
    name: "registry unknown key",
    input: edit(docker(), (d) => (d.spec.cluster.localRegistry = { url: "x" })),
    path: "spec.cluster.localRegistry.url",
    message: /unknown field "url"/,
  },
  // Hetzner
  {
    name: "allowed CIDR empty",
    input: edit(base(), (d) => (d.spec.provider.hetzner.allowedCidrs = [""])),
    path: "spec.provider.hetzner.allowedCidrs[0]",
    message: /invalid allowed CIDR: entry\[0\] is empty/,
  },
  {
    name: "allowed CIDR no prefix",
    input: edit(base(), (d) => (d.spec.provider.hetzner.allowedCidrs = ["203.0.113.7"])),
    path: "spec.provider.hetzner.allowedCidrs[0]",
    message: /"203\.0\.113\.7" is not a CIDR/,
  },
  {
    name: "allowed CIDR bad address",
    input: edit(base(), (d) => (d.spec.provider.hetzner.allowedCidrs = ["10.0.0.0/8", "300.1.1.1/32"])),
    path: "spec.provider.hetzner.allowedCidrs[1]",
    message: /"300\.1\.1\.1" which is not an IPv4|not an IPv4 or IPv6 address/,
  },
  {
    name: "allowed CIDR IPv6 prefix too long",
    input: edit(base(), (d) => (d.spec.provider.hetzner.allowedCidrs = ["2001:db8::/129"])),
    path: "spec.provider.hetzner.allowedCidrs[0]",
    message: /allowed 0–128/,
  },
  {
    name: "networkCidr invalid",
    input: edit(base(), (d) => (d.spec.provider.hetzner.networkCidr = "10.0.0.0")),
    path: "spec.provider.hetzner.networkCidr",
    message: /not a CIDR/,
  },
  {
    name: "empty location",
    input: edit(base(), (d) => (d.spec.provider.hetzner.location = "")),
    path: "spec.provider.hetzner.location",
    message: /is empty; set a Hetzner location/,
  },
  {
    name: "empty server type",
    input: edit(base(), (d) => (d.spec.provider.hetzner.controlPlaneServerType = " ")),
    path: "spec.provider.hetzner.controlPlaneServerType",
    message: /server type/,
  },
  {
    name: "placement strategy invalid",
    input: edit(base(), (d) => (d.spec.provider.hetzner.placementGroupStrategy = "Pack")),
    path: "spec.provider.hetzner.placementGroupStrategy",
    message: /allowed: None, Spread/,
  },
  {
    name: "serverLimit negative",
    input: edit(base(), (d) => (d.spec.provider.hetzner.serverLimit = -1)),
    path: "spec.provider.hetzner.serverLimit",
    message: /at least 0/,
  },
  {
    name: "nodes exceed server limit",
    input: edit(base(), (d) => {
      d.spec.cluster.controlPlanes = 5;
      d.spec.cluster.workers = 5;
    }),
    path: "spec.provider.hetzner.serverLimit",
    message: /needs 10 servers plus 1 for the Talos snapshot build but serverLimit is 10/,
  },
  {
    name: "hetzner unknown key",
    input: edit(base(), (d) => (d.spec.provider.hetzner.token = "x")),
    path: "spec.provider.hetzner.token",
    message: /unknown field "token".*tokenEnvVar/,
  },
  {
    name: "public IP flag not boolean",
    input: edit(base(), (d) => (d.spec.provider.hetzner.workerPublicIPv4 = "no")),
    path: "spec.provider.hetzner.workerPublicIPv4",
    message: /must be a boolean/,
  },
  // autoscaler
  {
    name: "expander invalid",
    input: autoscale({ expander: ["Cheapest"] }),
    path: "spec.cluster.autoscaler.node.expander[0]",
    message: /invalid autoscaler expander: "Cheapest"/,
  },
  {
    name: "expander duplicate (scalar form)",
    input: autoscale({ expander: "LeastWaste, LeastWaste" }),
    path: "spec.cluster.autoscaler.node.expander[1]",
    message: /duplicate autoscaler expander: "LeastWaste"/,
  },
  {
    name: "Price expander on Hetzner",
    input: autoscale({ expander: "Price" }),
    path: "spec.cluster.autoscaler.node.expander[0]",
    message: /"Price" is not supported on Hetzner/,
  },
  {
    name: "enabled without pools",
    input: autoscale({ pools: [] }),
    path: "spec.cluster.autoscaler.node.pools",
    message: /enabled but no pools are configured/,
  },
  {
    name: "threshold above 1",
    input: autoscale({ scaleDownUtilizationThreshold: "2.0" }),
    path: "spec.cluster.autoscaler.node.scaleDownUtilizationThreshold",
    message: /between 0\.0 and 1\.0: "2\.0"/,
  },
  {
    name: "threshold not a number",
    input: autoscale({ scaleDownUtilizationThreshold: "half" }),
    path: "spec.cluster.autoscaler.node.scaleDownUtilizationThreshold",
    message: /"half"/,
  },
  {
    name: "pool name invalid",
    input: autoscale({ pools: [pool({ name: "General_Pool" })] }),
    path: "spec.cluster.autoscaler.node.pools[0].name",
    message: /invalid pool name: pool\[0\] "General_Pool" must be a DNS-1123 label/,
  },
  {
    name: "pool name too long",
    input: autoscale({ pools: [pool({ name: "p".repeat(64) })] }),
    path: "spec.cluster.autoscaler.node.pools[0].name",
    message: /at most 63/,
  },
  {
    name: "pool name duplicate",
    input: autoscale({ pools: [pool(), pool()] }),
    path: "spec.cluster.autoscaler.node.pools[1].name",
    message: /duplicate pool name "general"/,
  },
  {
    name: "pool empty serverType",
    input: autoscale({ pools: [pool({ serverType: "" })] }),
    path: "spec.cluster.autoscaler.node.pools[0].serverType",
    message: /empty serverType/,
  },
  {
    name: "pool empty location",
    input: autoscale({ pools: [pool({ location: "" })] }),
    path: "spec.cluster.autoscaler.node.pools[0].location",
    message: /empty location/,
  },
  {
    name: "pool negative min",
    input: autoscale({ pools: [pool({ min: -1 })] }),
    path: "spec.cluster.autoscaler.node.pools[0].min",
    message: /invalid pool capacity.*min=-1/,
  },
  {
    name: "pool min exceeds max",
    input: autoscale({ pools: [pool({ min: 5, max: 2 })] }),
    path: "spec.cluster.autoscaler.node.pools[0].min",
    message: /pool min exceeds max: pool "general" has min=5 > max=2/,
  },
  {
    name: "pool missing serverType",
    input: autoscale({ pools: [{ name: "p", location: "fsn1", max: 1 }] }),
    path: "spec.cluster.autoscaler.node.pools[0].serverType",
    message: /required/,
  },
  {
    name: "pool label key invalid",
    input: autoscale({ pools: [pool({ labels: { "bad key": "x" } })] }),
    path: "spec.cluster.autoscaler.node.pools[0].labels.bad key",
    message: /label key "bad key"/,
  },
  {
    name: "pool label value invalid",
    input: autoscale({ pools: [pool({ labels: { tier: "-x-" } })] }),
    path: "spec.cluster.autoscaler.node.pools[0].labels.tier",
    message: /label value "-x-"/,
  },
  {
    name: "taint effect invalid",
    input: autoscale({ pools: [pool({ taints: [{ key: "a", effect: "NoRun" }] })] }),
    path: "spec.cluster.autoscaler.node.pools[0].taints[0].effect",
    message: /allowed: NoSchedule, PreferNoSchedule, NoExecute/,
  },
  {
    name: "taint key invalid",
    input: autoscale({ pools: [pool({ taints: [{ key: "a/b/c", effect: "NoSchedule" }] })] }),
    path: "spec.cluster.autoscaler.node.pools[0].taints[0].key",
    message: /taint key "a\/b\/c"/,
  },
  {
    name: "autoscaler exceeds server limit",
    input: autoscale({ pools: [pool({ max: 9 })] }),
    path: "spec.cluster.autoscaler.node.pools",
    message: /reachableTotal\(11\) exceeds serverLimit\(10\)/,
  },
  {
    name: "autoscaler leaves no snapshot slot",
    input: autoscale({ pools: [pool({ max: 8 })] }),
    path: "spec.cluster.autoscaler.node.pools",
    message: /reachableTotal\(10\) leaves no Hetzner server slot for the Talos snapshot build/,
  },
  {
    name: "maxNodesTotal negative",
    input: autoscale({ maxNodesTotal: -2 }),
    path: "spec.cluster.autoscaler.node.maxNodesTotal",
    message: /at least 0/,
  },
  {
    name: "pod autoscaler invalid",
    input: edit(base(), (d) => (d.spec.cluster.autoscaler = { pod: { horizontal: "Auto" } })),
    path: "spec.cluster.autoscaler.pod.horizontal",
    message: /"Auto".*allowed: Enabled, Disabled/,
  },
  // workload
  {
    name: "workload unknown key",
    input: edit(base(), (d) => (d.spec.workload.path = "k8s")),
    path: "spec.workload.path",
    message: /unknown field "path".*sourceDirectory/,
  },
  {
    name: "flux verify provider invalid",
    input: edit(base(), (d) => (d.spec.workload.flux = { verify: { provider: "gpg" } })),
    path: "spec.workload.flux.verify.provider",
    message: /allowed: cosign, notation/,
  },
  {
    name: "validateOnPush not boolean",
    input: edit(base(), (d) => (d.spec.workload.validateOnPush = "yes")),
    path: "spec.workload.validateOnPush",
    message: /must be a boolean/,
  },
];

describe("invalid ksail.yaml documents are rejected with the offending field named", () => {
  test("the table holds at least 60 distinct cases", () => {
    assert.ok(cases.length >= 60, `only ${cases.length} cases`);
    assert.equal(new Set(cases.map((c) => c.name)).size, cases.length);
  });
  for (const c of cases) {
    test(c.name, () => {
      const r = validateClusterDocument(c.input, { env: {} });
      assert.equal(r.ok, false, `expected ${c.name} to be invalid`);
      const hit = r.issues.find((i) => i.path === c.path);
      assert.ok(hit, `no issue at ${c.path}; got ${JSON.stringify(r.issues)}`);
      assert.match(hit.message, c.message);
      // parseClusterDocument throws one KsailError listing the same issues.
      assert.throws(
        () => parseClusterDocument(c.input, { env: {} }),
        (e: unknown) => isKsailError(e) && e.issues.some((i) => i.path === c.path) && e.message.includes(c.path),
      );
    });
  }
});

describe("secrets in the registry spec", () => {
  test("problems with a registry that carries a password never print the password", () => {
    for (const registry of ["bob:hunter2@localhost:70000", "bob:hunter2@/x", "bob:${PW}@localhost:99999"]) {
      const d = docker();
      d.spec.cluster.localRegistry = { registry };
      const r = validateClusterDocument(d, { env: { PW: "hunter2" } });
      assert.equal(r.ok, false);
      const text = JSON.stringify(r.issues);
      assert.doesNotMatch(text, /hunter2/);
      assert.match(text, /bob:\*\*\*\*@/);
    }
  });
});

describe("YAML-level problems", () => {
  test("syntax errors are reported, not thrown", () => {
    const r = validateClusterDocument("apiVersion: ksail.io/v1alpha1\nkind: [Cluster\n", { env: {} });
    assert.equal(r.ok, false);
    assert.match(r.issues[0].message, /YAML syntax error/);
  });
  test("an empty file says what is expected", () => {
    const r = validateClusterDocument("", { env: {} });
    assert.match(r.issues[0].message, /empty; expected a KSail Cluster/);
  });
  test("several YAML documents in one file are refused", () => {
    const r = validateClusterDocument("apiVersion: ksail.io/v1alpha1\nkind: Cluster\n---\napiVersion: ksail.io/v1alpha1\nkind: Cluster\n", {
      env: {},
    });
    assert.match(r.issues[0].message, /2 YAML documents/);
  });
  test("every issue of a document is listed, not just the first", () => {
    const d = base();
    d.spec.cluster.cni = "Flannel";
    d.spec.cluster.csi = "On";
    d.spec.cluster.bogus = 1;
    const r = validateClusterDocument(d, { env: {} });
    assert.deepEqual(r.issues.map((i) => i.path).sort(), ["spec.cluster.bogus", "spec.cluster.cni", "spec.cluster.csi"]);
  });
  test("shape errors do not hide cross-field errors elsewhere in the document", () => {
    const d = base();
    d.metadata!.name = "Bad";
    d.spec.cluster.cni = "Flannel";
    d.spec.cluster.controlPlanes = 0;
    d.spec.cluster.autoscaler = { node: { enabled: true, expander: "Nope", pools: [pool({ effect: 1 }), { name: "x" }] } };
    const r = validateClusterDocument(d, { env: {} });
    assert.deepEqual(
      r.issues.map((i) => i.path),
      [
        "spec.cluster.cni",
        "spec.cluster.autoscaler.node.pools[0].effect",
        "spec.cluster.autoscaler.node.pools[1].serverType",
        "spec.cluster.autoscaler.node.pools[1].location",
        "metadata.name",
        "spec.cluster.controlPlanes",
        "spec.cluster.autoscaler.node.expander[0]",
      ],
    );
  });
  test("no cross-field guesses when distribution itself is wrong", () => {
    const d = base();
    d.spec.cluster.distribution = "Talso";
    d.spec.cluster.controlPlanes = 0;
    const r = validateClusterDocument(d, { env: {} });
    assert.deepEqual(
      r.issues.map((i) => i.path),
      ["spec.cluster.distribution"],
    );
  });
});
