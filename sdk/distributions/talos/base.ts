/**
 * The generated machine config per role before user patches: what `talosctl gen config` emits for the
 * version contract plus KSail's built-in patches (CNI none, kubelet serving-cert rotation + approver, registry mirrors, allow scheduling on
 * control planes, Hetzner external cloud provider and VIP). Pure.
 */
import { TalosSecretsBundle } from "../../pki/types";
import { APPROVER_NAME, kubeletServingCertApproverManifest } from "./approver";
import { ConfigDocument, JsonObject } from "./documents";
import { b64, talosCertAndKey, toTalosKeyPem } from "./keys";
import { TalosRole } from "./patches";
import { KUBELET_IMAGE_REPOSITORY, KUBERNETES_IMAGE_REGISTRY, TalosContract } from "./versions";

/** A pull-through mirror of one registry host. */
export interface TalosMirror {
  /** Registry host the nodes pull from, e.g. `docker.io`. */
  readonly host: string;
  /** Mirror endpoints in order, e.g. `["http://talos-default-docker.io:5000"]`. */
  readonly endpoints: readonly string[];
  /** Credentials for that host (secret: redacted in the secret-free rendering). */
  readonly auth?: { readonly username: string; readonly password: string };
}

/** How to find the Hetzner NIC that carries the VIP; default: PCI bus path `0000:01:00.0` (the public NIC). */
export interface NicSelector {
  readonly busPath?: string;
  readonly hardwareAddr?: string;
  readonly driver?: string;
}

export interface HetznerOptions {
  /** Floating IP announced by the control planes through the Hetzner API (Talos VIP). */
  readonly vip?: string;
  /** Hetzner API token the VIP controller uses (required with `vip`; secret, redacted). */
  readonly apiToken?: string;
  readonly nicSelector?: NicSelector;
  /** `cluster.externalCloudProvider` + kubelet `cloud-provider: external` (for the hcloud CCM). Default true. */
  readonly externalCloudProvider?: boolean;
  /**
   * CIDR of the Hetzner private network. When set, etcd advertises and kubelets register addresses from it
   * only (`cluster.etcd.advertisedSubnets`, `machine.kubelet.nodeIP.validSubnets`), so cluster traffic stays
   * on the private network (what the firewall below expects). Absent = Talos picks addresses itself.
   */
  readonly privateNetworkCidr?: string;
  /**
   * Talos host firewall: ingress blocked by default (`NetworkDefaultActionConfig`), then one `NetworkRuleConfig`
   * per rule of the node's role. On Hetzner the rules come from the plan's network reachability model, the same
   * model the Hetzner firewall is rendered from. Absent = no firewall.
   */
  readonly firewall?: Readonly<Record<TalosRole, readonly TalosIngressRule[]>>;
}

/** One ingress rule of the Talos host firewall: the ports of one protocol, open to these source subnets. */
export interface TalosIngressRule {
  /** The `NetworkRuleConfig` document name (unique per node). */
  readonly name: string;
  readonly protocol: "tcp" | "udp";
  /** Ports or ranges such as `2379-2380`. */
  readonly ports: readonly (number | string)[];
  /** Source subnets allowed in (CIDRs). */
  readonly sources: readonly string[];
}

/** Everything the base builder needs, already validated and defaulted by render.ts. */
export interface BaseOptions {
  readonly contract: TalosContract;
  readonly clusterName: string;
  readonly endpoint: string;
  readonly endpointHost: string;
  readonly kubernetesVersion: string;
  readonly secrets: TalosSecretsBundle;
  readonly platform: "docker" | "hetzner" | "metal";
  readonly certSANs: readonly string[];
  readonly podSubnets: readonly string[];
  readonly serviceSubnets: readonly string[];
  readonly dnsDomain: string;
  readonly cni: "Default" | "Cilium" | "Calico";
  readonly metricsServer: boolean;
  /** Render an ImageVerificationConfig document (render.ts checks the Talos version has the kind). */
  readonly imageVerification?: boolean;
  readonly workers: number;
  readonly mirrors: readonly TalosMirror[];
  readonly hetzner?: HetznerOptions;
  readonly install?: { readonly disk: string; readonly image: string; readonly wipe: boolean };
  /** Extra kube-apiserver arguments, e.g. OIDC (`cluster.apiServer.extraArgs`). */
  readonly apiServerExtraArgs?: Readonly<Record<string, string>>;
}

export const DEFAULT_NIC_BUS_PATH = "0000:01:00.0";
export const VIP_LINK_ALIAS = "public";

/** All documents of one role (v1alpha1 first). */
export function baseDocuments(role: TalosRole, o: BaseOptions): ConfigDocument[] {
  const docs: ConfigDocument[] = [{ version: "v1alpha1", debug: false, machine: machine(role, o), cluster: cluster(role, o) }];
  if (o.contract.hostnameDocument) docs.push({ apiVersion: "v1alpha1", kind: "HostnameConfig", auto: "stable" });
  if (o.contract.registryDocuments) {
    for (const m of o.mirrors) {
      docs.push({ apiVersion: "v1alpha1", kind: "RegistryMirrorConfig", name: m.host, endpoints: m.endpoints.map((url) => ({ url })) });
    }
    for (const m of o.mirrors.filter((x) => x.auth)) {
      docs.push({
        apiVersion: "v1alpha1",
        kind: "RegistryAuthConfig",
        name: m.host,
        username: m.auth!.username,
        password: m.auth!.password,
      });
    }
  }
  if (role === "controlplane" && o.hetzner?.vip && o.contract.networkDocuments) {
    docs.push({
      apiVersion: "v1alpha1",
      kind: "LinkAliasConfig",
      name: VIP_LINK_ALIAS,
      selector: { match: celSelector(o.hetzner.nicSelector) },
    });
    docs.push({ apiVersion: "v1alpha1", kind: "DHCPv4Config", name: VIP_LINK_ALIAS });
    docs.push({
      apiVersion: "v1alpha1",
      kind: "HCloudVIPConfig",
      name: o.hetzner.vip,
      link: VIP_LINK_ALIAS,
      apiToken: o.hetzner.apiToken ?? "",
    });
  }
  // Talos pulls an image no rule matches as before (siderolabs/talos internal/pkg/containers/image/verify), so the
  // document starts without rules and Talos patches add them (its rules merge by image pattern).
  if (o.imageVerification) docs.push({ apiVersion: "v1alpha1", kind: "ImageVerificationConfig" });
  if (o.hetzner?.firewall) docs.push(...firewallDocuments(o.hetzner.firewall[role]));
  return docs;
}

/** NetworkDefaultActionConfig (block) + one NetworkRuleConfig per rule (documents exist since Talos 1.11). */
export function firewallDocuments(rules: readonly TalosIngressRule[]): ConfigDocument[] {
  return [
    { apiVersion: "v1alpha1", kind: "NetworkDefaultActionConfig", ingress: "block" },
    ...rules.map((r): ConfigDocument => ({
      apiVersion: "v1alpha1",
      kind: "NetworkRuleConfig",
      name: r.name,
      portSelector: { ports: [...r.ports], protocol: r.protocol },
      ingress: r.sources.map((subnet) => ({ subnet })),
    })),
  ];
}

/** CEL expression for a LinkAliasConfig selector (≥ 1.12). */
export function celSelector(sel?: NicSelector): string {
  const s = sel && (sel.busPath || sel.hardwareAddr || sel.driver) ? sel : { busPath: DEFAULT_NIC_BUS_PATH };
  const parts: string[] = [];
  if (s.busPath) parts.push(`link.bus_path == ${JSON.stringify(s.busPath)}`);
  if (s.hardwareAddr) parts.push(`mac(link.hardware_addr) == ${JSON.stringify(s.hardwareAddr.toLowerCase())}`);
  if (s.driver) parts.push(`link.driver == ${JSON.stringify(s.driver)}`);
  return parts.join(" && ");
}

function deviceSelector(sel?: NicSelector): JsonObject {
  const s = sel && (sel.busPath || sel.hardwareAddr || sel.driver) ? sel : { busPath: DEFAULT_NIC_BUS_PATH };
  const out: JsonObject = {};
  if (s.busPath) out.busPath = s.busPath;
  if (s.hardwareAddr) out.hardwareAddr = s.hardwareAddr;
  if (s.driver) out.driver = s.driver;
  return out;
}

function machine(role: TalosRole, o: BaseOptions): JsonObject {
  const cp = role === "controlplane";
  const { contract: c, secrets: s } = o;
  const extraArgs: JsonObject = {};
  if (o.metricsServer) extraArgs["rotate-server-certificates"] = "true";
  if (o.platform === "hetzner" && o.hetzner?.externalCloudProvider !== false) extraArgs["cloud-provider"] = "external";
  const kubelet: JsonObject = {
    image: `${KUBELET_IMAGE_REPOSITORY}:v${o.kubernetesVersion}`,
    defaultRuntimeSeccompProfileEnabled: true,
    disableManifestsDirectory: true,
  };
  if (Object.keys(extraArgs).length > 0) kubelet.extraArgs = extraArgs;
  if (o.platform === "hetzner" && o.hetzner?.privateNetworkCidr) kubelet.nodeIP = { validSubnets: [o.hetzner.privateNetworkCidr] };

  const m: JsonObject = {
    type: role,
    token: s.trustdInfo.token,
    ca: talosCertAndKey(s.certs.os, "secrets.certs.os", cp),
    certSANs: [...o.certSANs],
    kubelet,
  };
  const interfaces: JsonObject[] = [];
  if (o.platform === "docker" && c.containerIgnoresEth0) interfaces.push({ interface: "eth0", ignore: true });
  if (cp && o.hetzner?.vip && !c.networkDocuments) {
    interfaces.push({
      deviceSelector: deviceSelector(o.hetzner.nicSelector),
      dhcp: true,
      vip: { ip: o.hetzner.vip, hcloud: { apiToken: o.hetzner.apiToken ?? "" } },
    });
  }
  if (interfaces.length > 0) m.network = { interfaces };

  const install: JsonObject = { wipe: o.install?.wipe ?? false };
  if (o.install) {
    install.disk = o.install.disk;
    install.image = o.install.image;
  }
  if (c.grubUseUKICmdline) install.grubUseUKICmdline = true;
  m.install = install;

  if (!c.registryDocuments && o.mirrors.length > 0) {
    const mirrors: JsonObject = {};
    const config: JsonObject = {};
    for (const x of o.mirrors) {
      mirrors[x.host] = { endpoints: [...x.endpoints] };
      if (x.auth) config[x.host] = { auth: { username: x.auth.username, password: x.auth.password } };
    }
    m.registries = Object.keys(config).length > 0 ? { mirrors, config } : { mirrors };
  }

  const features: JsonObject = {};
  if (!c.hideRbacAndKeyUsage) {
    features.rbac = true;
    features.stableHostname = true;
    features.apidCheckExtKeyUsage = true;
  }
  features.diskQuotaSupport = true;
  features.kubePrism = { enabled: true, port: 7445 };
  // Container mode requires both (v1alpha1_validation); Talos generates them on every platform anyway.
  features.hostDNS = { enabled: true, forwardKubeDNSToHost: true };
  m.features = features;
  // Talos's generator labels control planes to keep them out of external load balancers (pkg/machinery/config/
  // generate/init.go). Without workers that leaves no node to balance to: MetalLB announces from no node carrying
  // the label (its troubleshooting docs; speaker --ignore-exclude-lb) and hcloud's CCM adds no such target. So, as kind
  // does for worker-less clusters, the label is set only when there are workers; Talos removes a label it set
  // before (its node-label controller tracks the labels it owns), so adding the first worker or removing the last
  // applies in place.
  if (cp && o.workers > 0) m.nodeLabels = { "node.kubernetes.io/exclude-from-external-load-balancers": "" };
  return m;
}

function cluster(role: TalosRole, o: BaseOptions): JsonObject {
  const cp = role === "controlplane";
  const { contract: c, secrets: s } = o;
  const network: JsonObject = { dnsDomain: o.dnsDomain, podSubnets: [...o.podSubnets], serviceSubnets: [...o.serviceSubnets] };
  if (o.cni !== "Default") network.cni = { name: "none" };
  const k: JsonObject = {
    id: s.cluster.id,
    secret: s.cluster.secret,
    controlPlane: { endpoint: o.endpoint },
    clusterName: o.clusterName,
    network,
    token: s.secrets.bootstrapToken,
    ca: talosCertAndKey(s.certs.k8s, "secrets.certs.k8s", cp),
    discovery: { enabled: true, registries: { kubernetes: { disabled: true }, service: {} } },
  };
  if (o.platform === "hetzner" && o.hetzner?.externalCloudProvider !== false) k.externalCloudProvider = { enabled: true };
  if (!cp) return k;

  const image = (name: string) => `${KUBERNETES_IMAGE_REGISTRY}/${name}:v${o.kubernetesVersion}`;
  const apiServer: JsonObject = { image: image("kube-apiserver"), certSANs: [...o.certSANs] };
  if (!c.hideDisablePSP) apiServer.disablePodSecurityPolicy = true;
  if (o.cni === "Calico") {
    // KSail's "ksail-apiserver-feature-gates": Calico ≥ 3.30 needs MutatingAdmissionPolicy.
    apiServer.extraArgs = {
      "feature-gates": "MutatingAdmissionPolicy=true",
      "runtime-config": "admissionregistration.k8s.io/v1beta1=true",
    };
  }
  if (o.apiServerExtraArgs && Object.keys(o.apiServerExtraArgs).length > 0)
    apiServer.extraArgs = { ...((apiServer.extraArgs as JsonObject | undefined) ?? {}), ...o.apiServerExtraArgs };
  apiServer.admissionControl = [
    {
      name: "PodSecurity",
      configuration: {
        apiVersion: "pod-security.admission.config.k8s.io/v1alpha1",
        kind: "PodSecurityConfiguration",
        defaults: {
          enforce: "baseline",
          "enforce-version": "latest",
          audit: "restricted",
          "audit-version": "latest",
          warn: "restricted",
          "warn-version": "latest",
        },
        exemptions: { namespaces: ["kube-system"], runtimeClasses: [], usernames: [] },
      },
    },
  ];
  apiServer.auditPolicy = { apiVersion: "audit.k8s.io/v1", kind: "Policy", rules: [{ level: "Metadata" }] };

  Object.assign(k, {
    secretboxEncryptionSecret: s.secrets.secretboxEncryptionSecret,
    aggregatorCA: talosCertAndKey(s.certs.k8sAggregator, "secrets.certs.k8sAggregator"),
    serviceAccount: { key: b64(toTalosKeyPem(s.certs.k8sServiceAccount.key, "secrets.certs.k8sServiceAccount.key")) },
    apiServer,
    controllerManager: { image: image("kube-controller-manager") },
    // Cilium replaces kube-proxy (kubeProxyReplacement): Talos must not run it too (Talos's Cilium guide).
    proxy: o.cni === "Cilium" ? { disabled: true, image: image("kube-proxy") } : { image: image("kube-proxy") },
    scheduler: { image: image("kube-scheduler") },
    etcd: { ca: talosCertAndKey(s.certs.etcd, "secrets.certs.etcd") },
  });
  if (o.platform === "hetzner" && o.hetzner?.privateNetworkCidr) (k.etcd as JsonObject).advertisedSubnets = [o.hetzner.privateNetworkCidr];
  if (o.workers === 0) k.allowSchedulingOnControlPlanes = true;
  if (o.metricsServer) k.inlineManifests = [{ name: APPROVER_NAME, contents: kubeletServingCertApproverManifest() }];
  return k;
}
