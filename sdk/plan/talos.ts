/**
 * The Talos part of a cluster plan, and the one function that turns a plan into the renderer's input:
 * KSailCluster on Docker, KSailCluster on Hetzner and the `render` command all call `talosRenderInput`, so the
 * configs `render` shows are the configs `up` applies.
 */
import type { TalosSecretsBundle } from "../pki/types";
import type { EffectiveSpec } from "../config/effective";
import type { TalosPatchSet } from "../config/load";
import type { HetznerOptions } from "../distributions/talos/base";
import type { TalosRenderInput } from "../distributions/talos/render";
import { resolveKubernetesVersion, talosInstallerImage, type TalosMinor, type TalosVersion } from "../distributions/talos/versions";
import { talosRole, type NodeRole } from "../distributions/roles";
import { talosRegistryInputs, type DockerClusterPlan } from "./docker";
import { endpointValues, type EndpointAddresses } from "./hetznerEndpoint";
import type { HetznerClusterPlan } from "./hetzner";
import type { ComponentPlan } from "./components";
import { oidcApiServerArgs, type OidcSettings } from "../distributions/oidc";

/** The API server's OIDC arguments for the render input; nothing when OIDC is off. */
function oidcArgs(o: OidcSettings): { apiServerExtraArgs?: Record<string, string> } {
  const args = oidcApiServerArgs(o);
  return Object.keys(args).length > 0 ? { apiServerExtraArgs: args } : {};
}

/** Talos specifics: everything the renderer needs except the secrets bundle (and, on Hetzner, the endpoint addresses). */
export interface TalosPlan {
  readonly version: string;
  /** Node image (Docker) or installer image (Hetzner: Image Factory installer when a schematic is set). */
  readonly image: string;
  /** Docker: Talos API endpoint (`127.0.0.1:port`) the talosconfig and the machines dial. */
  readonly apiEndpoint?: string;
  /** Docker: the in-network Kubernetes endpoint of the machine configs. Hetzner: known once the endpoint address exists. */
  readonly endpoint?: string;
  /** Hetzner ISO route: the first apply goes to the maintenance-mode API. */
  readonly maintenance: boolean;
  readonly render: Omit<TalosRenderInput, "secrets" | "endpoint">;
}

interface TalosPlanInput {
  readonly spec: EffectiveSpec;
  readonly version: TalosVersion;
  readonly components: ComponentPlan;
  readonly nodes: readonly { readonly name: string; readonly role: NodeRole; readonly address: string }[];
  readonly patches?: TalosPatchSet;
}

/** Kubernetes version of a Talos cluster: the spec's, else the Talos minor's default. */
export function talosKubernetesVersion(spec: EffectiveSpec, version: TalosVersion): string {
  return resolveKubernetesVersion(version, spec.cluster.kubernetesVersion || undefined);
}

/** The renderer input both providers share (no secrets, no endpoint, no provider specifics). */
function commonRender(i: TalosPlanInput): Omit<TalosRenderInput, "secrets" | "endpoint" | "platform"> {
  const c = i.spec.cluster;
  return {
    clusterName: i.spec.name,
    talosVersion: i.version.version,
    kubernetesVersion: talosKubernetesVersion(i.spec, i.version),
    cni: c.cni as "Default" | "Cilium" | "Calico",
    metricsServer: i.components.metricsServer,
    imageVerification: c.imageVerification === "Enabled",
    workers: c.workers,
    patches: i.patches,
    nodes: i.nodes.map((n) => ({ hostname: n.name, role: talosRole(n.role) })),
    ...oidcArgs(c.oidc),
  };
}

/** Talos on Docker: the node image, the published apid port, the in-network endpoint, mirrors and the local registry. */
export function dockerTalosPlan(i: TalosPlanInput, docker: DockerClusterPlan): TalosPlan {
  return {
    version: i.version.version,
    image: docker.image,
    apiEndpoint: `127.0.0.1:${docker.talosApiHostPort}`,
    endpoint: `https://${i.nodes[0].address}:6443`,
    maintenance: false,
    render: { ...commonRender(i), platform: "docker", ...talosRegistryInputs(docker) },
  };
}

/** Talos on Hetzner: the installer image (Image Factory with a schematic), and the ISO route's maintenance-mode apply. */
export function hetznerTalosPlan(i: TalosPlanInput, hetzner: HetznerClusterPlan): TalosPlan {
  const schematicId = i.spec.cluster.talos.schematicId || undefined;
  // Snapshot nodes run the hcloud platform; upgrading them with the metal installer would make them boot as metal.
  const platform = hetzner.image.kind === "snapshot" ? "hcloud" : "metal";
  return {
    version: i.version.version,
    image: talosInstallerImage(i.version, schematicId, platform),
    maintenance: hetzner.image.kind === "iso",
    render: { ...commonRender(i), platform: "hetzner", install: { schematicId, platform } },
  };
}

/**
 * The renderer's Hetzner options for this plan (`TalosRenderInput.hetzner`): external cloud provider (hcloud
 * CCM), etcd/kubelet addresses pinned to the private network, and the Talos host firewall of the plan's
 * reachability model unless `ingressFirewall: Disabled`. In floating-ip mode, the floating IP and the API token the Talos VIP controller
 * moves it with.
 */
export function talosHetznerOptions(plan: HetznerClusterPlan, vip?: { ip: string; apiToken: string }): HetznerOptions {
  return {
    externalCloudProvider: true,
    privateNetworkCidr: plan.network.cidr,
    ...(plan.talosFirewall ? { firewall: { controlplane: plan.talosFirewall["control-plane"], worker: plan.talosFirewall.worker } } : {}),
    ...(vip ? { vip: vip.ip, apiToken: vip.apiToken } : {}),
  };
}

/** What only exists once the cluster's resources do. */
export interface TalosRenderFacts {
  /** The cluster identity (ClusterSecrets' Talos bundle). */
  readonly secrets: TalosSecretsBundle;
  /** Hetzner: the endpoint addresses Hetzner assigned (or stand-ins). */
  readonly addresses?: EndpointAddresses;
  /** Hetzner floating-ip mode: the API token the Talos VIP controller uses. */
  readonly apiToken?: string;
  /** The config contract pinned when the cluster was created (ClusterSecrets `talosContract`); default the version's own. */
  readonly contract?: string;
  /** Docker-in-Docker: the fronts' addresses, added to the API server's and apid's certificate SANs. */
  readonly certSANs?: readonly string[];
}

/** The renderer input of a Talos plan: Docker's endpoint from the plan, Hetzner's from the assigned addresses. */
export function talosRenderInput(
  plan: { readonly talos?: TalosPlan; readonly hetzner?: HetznerClusterPlan },
  facts: TalosRenderFacts,
): TalosRenderInput {
  const talos = plan.talos;
  if (!talos) throw new Error("talosRenderInput: the plan is not a Talos cluster");
  const contract = facts.contract ? { contract: facts.contract as TalosMinor } : {};
  if (!plan.hetzner)
    return {
      ...talos.render,
      ...contract,
      endpoint: talos.endpoint!,
      ...(facts.certSANs ? { certSANs: [...facts.certSANs] } : {}),
      secrets: facts.secrets,
    };
  const e = endpointValues(plan.hetzner.endpoint, facts.addresses ?? {});
  return {
    ...talos.render,
    ...contract,
    endpoint: e.apiEndpoint,
    certSANs: e.certSANs,
    secrets: facts.secrets,
    hetzner: talosHetznerOptions(plan.hetzner, e.vip ? { ip: e.vip, apiToken: facts.apiToken ?? "" } : undefined),
  };
}
