import * as YAML from "yaml";
import { planCluster, type ClusterPlan } from "../plan/cluster";
import { planInputOf } from "../plan/check";
import { installedCharts } from "../plan/catalog";
import { talosRenderInput } from "../plan/talos";
import { omniClusterTemplate } from "../plan/omni";
import { endpointValues, type EndpointAddress } from "../plan/hetznerEndpoint";
import type { LoadedClusterConfig } from "../config";
import type { K3sPki, KubeadmPki, KwokPki, TalosSecretsBundle } from "../pki/types";
import { generateK3sPki, generateKubeadmPki, generateKwokPki, generateTalosBundle } from "../pki";
import { KWOK_PKI_PLACEHOLDER, kwokContainerSpecs } from "../plan/kwok";
import { dindHostFiles, frontText, kwokHostFiles } from "./renderNested";
import { vindInstallScript, vindJoinScript } from "../plan/vind";
import { renderMachineConfigs } from "../distributions/talos/render";
import { redactMachineConfig } from "../distributions/talos/redact";
import type { NodeFile } from "../distributions/kind";
import {
  K3S_PLACEHOLDER,
  KUBEADM_PLACEHOLDER,
  k3sFacts,
  k3sLoadBalancerSpec,
  k3sNodeSpec,
  kindFacts,
  kindLoadBalancerSpec,
  kindNodeSpec,
  talosNodeSpec,
  type ContainerSpec,
} from "../plan/dockerContainers";
import { localRegistryHostingConfigMap } from "../components/values/localRegistryHosting";
import { metadataGuardPolicy } from "../components/values/metadataGuard";
import { chartValues, fluxInstanceSpec, argoApplicationSpec } from "../components/values";
import { hcloudComponentSettings } from "../plan/hetznerComponents";
import { charts } from "../versions";
import type { Values } from "../components/merge";

/**
 * `render`: everything a cluster would get, as files — Talos machine configs per node, Kind (kubeadm) or k3s node
 * files and commands, Helm values per component, GitOps objects and the node list. Pure apart from key
 * generation; no Pulumi runtime. Secret-free by default: Talos configs are rendered with a throwaway identity and
 * then redacted, and Kind/K3s secret files are rendered from shape-only placeholders and redacted (key files are
 * listed, not written). With `withSecrets`, a throwaway identity is generated and every file is complete.
 */

/** Stand-ins for the Hetzner addresses assigned at create (RFC 5737 / RFC 3849 documentation addresses). */
export const PLACEHOLDER_ADDRESSES: Readonly<Record<EndpointAddress, string>> = {
  primaryIp: "203.0.113.10",
  floatingIp: "203.0.113.11",
  loadBalancerIpv4: "203.0.113.12",
  loadBalancerIpv6: "2001:db8::12",
};
/** The Kubernetes endpoint of the first-control-plane mode with the stand-in address. */
export const PLACEHOLDER_ENDPOINT = `https://${PLACEHOLDER_ADDRESSES.primaryIp}:6443`;
/** The floating IP (Talos VIP) stand-in. */
export const PLACEHOLDER_VIP = PLACEHOLDER_ADDRESSES.floatingIp;
export const PLACEHOLDER_HCLOUD_TOKEN = "<hcloud API token: the hcloudToken argument, at create>";

/** Marks a value that is secret in the real cluster. */
export const REDACTED_MARK = "<redacted: secret; ksail-pulumi render --with-secrets writes a complete throwaway version>";

export interface RenderedFile {
  /** Path relative to the output directory (POSIX separators). */
  readonly path: string;
  readonly content: string;
  /** True when the file holds key material or tokens (only with `withSecrets`). */
  readonly secret: boolean;
}

/** A secret file that was not written (secret-free rendering). */
export interface OmittedFile {
  readonly path: string;
  readonly reason: string;
}

export interface Rendering {
  readonly plan: ClusterPlan;
  readonly files: RenderedFile[];
  readonly omitted: OmittedFile[];
}

export interface RenderOptions {
  /** Cluster name when ksail.yaml has no metadata.name. @default "ksail" */
  readonly name?: string;
  /** Write complete configs from a throwaway identity. @default false */
  readonly withSecrets?: boolean;
  /** Identity to use (tests); generated when absent. */
  readonly identity?: { talos?: TalosSecretsBundle; kubeadm?: KubeadmPki; k3s?: K3sPki; kwok?: KwokPki };
}

const yaml = (v: unknown) => YAML.stringify(v, { lineWidth: 0 });
/** `/etc/kubernetes/kubeadm.yaml` → `etc/kubernetes/kubeadm.yaml`. */
const rel = (p: string) => p.replace(/^\/+/, "");

/** Helm values and GitOps objects, as the installers compute them (before per-component overrides). */
function componentFiles(plan: ClusterPlan): RenderedFile[] {
  const c = plan.components;
  const files: RenderedFile[] = installedCharts(c).map((key) => {
    const pin = charts[key] as { chart?: string; version?: string; repo?: string };
    const values: Values = chartValues(key, c.context, {
      networkEnabled: plan.provider === "Hetzner",
      autoscaler: c.autoscaler,
      hcloud: hcloudComponentSettings(plan),
    });
    const head = `# ${key}: chart ${pin.chart ?? key} ${pin.version ?? ""}${pin.repo ? ` from ${pin.repo}` : ""}\n`;
    return { path: `helm/${key}.values.yaml`, content: head + yaml(values), secret: false };
  });
  if (c.gitOpsEngine === "Flux" && c.gitOpsSource) {
    const spec = fluxInstanceSpec(c.gitOpsSource, { pullSecret: false });
    files.push({
      path: "gitops/flux-instance.yaml",
      content: yaml({
        apiVersion: "fluxcd.controlplane.io/v1",
        kind: "FluxInstance",
        metadata: { name: "flux", namespace: "flux-system" },
        spec,
      }),
      secret: false,
    });
  }
  if (c.gitOpsEngine === "ArgoCD" && c.gitOpsSource) {
    const spec = argoApplicationSpec(c.gitOpsSource, { sops: false });
    files.push({
      path: "gitops/argocd-application.yaml",
      content: yaml({ apiVersion: "argoproj.io/v1alpha1", kind: "Application", metadata: { name: "ksail", namespace: "argocd" }, spec }),
      secret: false,
    });
  }
  if (c.localRegistryHosting)
    files.push({
      path: "manifests/local-registry-hosting.yaml",
      content: yaml(localRegistryHostingConfigMap(c.localRegistryHosting)),
      secret: false,
    });
  if (c.metadataGuard) files.push({ path: "manifests/metadata-guard.yaml", content: yaml(metadataGuardPolicy()), secret: false });
  return files;
}

/** Talos: one machine config per node plus the two role configs. */
async function talosFiles(plan: ClusterPlan, opts: RenderOptions): Promise<RenderedFile[]> {
  const bundle = opts.identity?.talos ?? (await generateTalosBundle());
  // On Hetzner the endpoint addresses (and the floating IP) are assigned at create; documentation addresses stand in.
  const r = renderMachineConfigs(
    talosRenderInput(plan, { secrets: bundle, addresses: PLACEHOLDER_ADDRESSES, apiToken: PLACEHOLDER_HCLOUD_TOKEN }),
  );
  const secret = opts.withSecrets === true;
  const out = (c: string) => (secret ? c : redactMachineConfig(c));
  return [
    { path: "talos/controlplane.yaml", content: secret ? r.controlPlane : r.controlPlaneRedacted, secret },
    { path: "talos/worker.yaml", content: secret ? r.worker : r.workerRedacted, secret },
    ...plan.nodes.map((n) => ({ path: `talos/nodes/${n.name}.yaml`, content: out(r.perNode[n.name]), secret })),
    // On Docker the node containers (talosctl's shape), the machine config as USERDATA.
    ...(plan.docker?.nodes ?? []).map((n) => containerFile(talosNodeSpec(plan.docker!, n, r.perNode[n.name]), secret)),
  ];
}

/** Replaces the placeholder identity's values in a rendered file by the redaction mark. */
function redactPlaceholders(content: string, values: readonly string[]): string {
  let s = content;
  for (const v of values) if (v.length >= 8) s = s.split(v).join(REDACTED_MARK);
  return s;
}

function nodeFile(
  node: string,
  f: NodeFile,
  withSecrets: boolean,
  placeholders: readonly string[],
  omitted: OmittedFile[],
): RenderedFile[] {
  const path = `nodes/${node}/files/${rel(f.path)}`;
  if (!withSecrets && f.content === "") {
    // A certificate of the shape-only placeholder identity: issued by ClusterSecrets at create.
    omitted.push({
      path,
      reason: `${f.secret ? "key" : "certificate"} issued by ClusterSecrets at create; written (throwaway) with --with-secrets`,
    });
    return [];
  }
  if (!f.secret || withSecrets) return [{ path, content: f.content, secret: f.secret && withSecrets }];
  const redacted = redactPlaceholders(f.content, placeholders);
  if (redacted !== f.content) return [{ path, content: redacted, secret: false }];
  omitted.push({ path, reason: `key material or token (${f.permissions}); written with --with-secrets` });
  return [];
}

/**
 * What the Docker engine is asked to create for a container, as `nodes/<name>/container.json`: the same spec the
 * infrastructure turns into the Docker provider's arguments (sdk/plan/dockerContainers.ts). Uploaded files are
 * listed by path and mode (their contents are under `files/`); secret env values are redacted unless `withSecrets`.
 */
function containerFile(spec: ContainerSpec, withSecrets: boolean): RenderedFile {
  const { uploads, envs, hostDependent, ...rest } = spec;
  const secret = withSecrets && (envs ?? []).some((e) => e.secret);
  const shown = {
    ...rest,
    ...(envs ? { envs: envs.map((e) => `${e.name}=${e.secret && !withSecrets ? REDACTED_MARK : e.value}`) } : {}),
    ...(uploads ? { uploads: uploads.map((u) => ({ file: u.file, permissions: u.permissions, secret: u.secret })) } : {}),
    ...(hostDependent
      ? {
          hostDependent:
            "added when the program runs, from docker info as kind does: /dev/mapper on btrfs, zfs or devicemapper storage; --userns=host under userns-remap; /dev/fuse on rootless Docker",
        }
      : {}),
  };
  return { path: `nodes/${spec.name}/container.json`, content: `${JSON.stringify(shown, null, 2)}\n`, secret };
}

/** A container's container.json and each file uploaded into it. */
function containerFiles(
  spec: ContainerSpec,
  withSecrets: boolean,
  placeholders: readonly string[],
  omitted: OmittedFile[],
): RenderedFile[] {
  return [
    containerFile(spec, withSecrets),
    ...(spec.uploads ?? []).flatMap((u) =>
      nodeFile(
        spec.name,
        { path: u.file, content: u.content, permissions: u.permissions, secret: u.secret },
        withSecrets,
        placeholders,
        omitted,
      ),
    ),
  ];
}

/** KWOK: the five containers (the kwok controller's kwok.yaml among its files) and the simulated node. */
async function kwokFiles(plan: ClusterPlan, opts: RenderOptions, omitted: OmittedFile[]): Promise<RenderedFile[]> {
  const withSecrets = opts.withSecrets === true;
  const pki = withSecrets ? (opts.identity?.kwok ?? (await generateKwokPki())) : KWOK_PKI_PLACEHOLDER;
  return [
    ...kwokContainerSpecs(plan.kwok!, pki).flatMap((spec) => containerFiles(spec, withSecrets, [], omitted)),
    { path: "kwok/node.yaml", content: yaml(plan.kwok!.node), secret: false },
  ];
}

/** Kind/K3s: each container's spec, every uploaded file per node (the CA set on control planes) and, for k3s, the command line. */
async function dockerNodeFiles(plan: ClusterPlan, opts: RenderOptions, omitted: OmittedFile[]): Promise<RenderedFile[]> {
  const docker = plan.docker!;
  const withSecrets = opts.withSecrets === true;
  const files: RenderedFile[] = [];
  const emit = (spec: ContainerSpec, placeholders: readonly string[]) =>
    files.push(...containerFiles(spec, withSecrets, placeholders, omitted));
  if (plan.distribution === "Vanilla") {
    const pki = withSecrets ? (opts.identity?.kubeadm ?? (await generateKubeadmPki())) : KUBEADM_PLACEHOLDER;
    const placeholders = [KUBEADM_PLACEHOLDER.bootstrapToken, KUBEADM_PLACEHOLDER.caCertHash];
    const facts = kindFacts(docker);
    if (docker.loadBalancer) emit(kindLoadBalancerSpec(docker), []);
    for (const n of docker.nodes) emit(kindNodeSpec(docker, facts, n, pki), placeholders);
  } else {
    const pki = withSecrets ? (opts.identity?.k3s ?? (await generateK3sPki())) : K3S_PLACEHOLDER;
    const facts = k3sFacts(docker);
    // HA: the server load balancer (k3d's proxy) publishes the API.
    if (docker.loadBalancer) emit(k3sLoadBalancerSpec(docker), []);
    for (const n of docker.nodes) {
      const spec = k3sNodeSpec(docker, facts, n, pki);
      files.push({
        path: `nodes/${n.name}/command.txt`,
        content: `${[...(spec.entrypoints ?? []), ...(spec.command ?? [])].join(" \\\n  ")}\n`,
        secret: false,
      });
      emit(spec, []);
      // The same environment the container gets (K3S_URL on every node but the first server).
      for (const e of spec.envs ?? []) {
        const path = `nodes/${n.name}/env/${e.name}`;
        if (!e.secret || withSecrets) files.push({ path, content: `${e.value}\n`, secret: e.secret });
        else omitted.push({ path, reason: "cluster join token; written with --with-secrets" });
      }
    }
  }
  return files;
}

/** The stand-ins a Hetzner rendering used: the endpoint they make, and the floating IP and token of a VIP. */
function hetznerPlaceholders(plan: ClusterPlan): Record<string, string> {
  const e = endpointValues(plan.hetzner!.endpoint, PLACEHOLDER_ADDRESSES);
  return { endpoint: e.apiEndpoint, ...(e.vip ? { floatingIp: e.vip, hcloudToken: PLACEHOLDER_HCLOUD_TOKEN } : {}) };
}

/** Renders the cluster of a loaded ksail.yaml. */
export async function renderCluster(config: LoadedClusterConfig, opts: RenderOptions = {}): Promise<Rendering> {
  const plan = planCluster(planInputOf(config, opts.name));
  const omitted: OmittedFile[] = [];
  const files: RenderedFile[] = [];
  if (plan.talos) files.push(...(await talosFiles(plan, opts)));
  else if (plan.docker) files.push(...(await dockerNodeFiles(plan, opts, omitted)));
  else if (plan.kwokHost) files.push(...kwokHostFiles(plan));
  else if (plan.kwok) files.push(...(await kwokFiles(plan, opts, omitted)));
  else if (plan.vind) {
    // VCluster on Docker: each container as the engine gets it (vcluster.yaml among the control plane's files) and the
    // steps run inside (the join token comes from the install step at create).
    const v = plan.vind;
    for (const n of [v.controlPlane, ...v.workers]) files.push(...containerFiles(n.spec, false, [], omitted));
    files.push({ path: "vind/install.sh", content: `${vindInstallScript(v)}\n`, secret: false });
    if (v.workers.length > 0) files.push({ path: "vind/join.sh", content: `${vindJoinScript(v)}\n`, secret: false });
  } else if (plan.omni) {
    const withSecrets = opts.withSecrets === true;
    files.push({
      path: "omni/cluster-template.yaml",
      content: omniClusterTemplate(plan.omni, { withPatchContents: withSecrets }),
      secret: withSecrets,
    });
  } else if (plan.vcluster) {
    // What KSailCluster installs on the host: the vcluster chart with these values (the front's address joins extraSANs at create).
    const v = plan.vcluster;
    files.push({
      path: "vcluster/values.yaml",
      content:
        `# Release ${v.release} of chart ${v.chart.chart} ${v.chart.version} (${v.chart.repo}) in namespace ${v.namespace}.\n` +
        `# API front: ${frontText(v.exposure)}; its address is added to controlPlane.proxy.extraSANs.\n` +
        `# Kubeconfig: Secret ${v.namespace}/${v.kubeconfigSecret.name}, key ${v.kubeconfigSecret.key}.\n` +
        yaml(v.values),
      secret: false,
    });
  } else if (plan.k3k) {
    // What KSailCluster applies on the host: the k3k Cluster (its TLS SAN, the front's address, is known at create).
    const k = plan.k3k;
    files.push({
      path: "k3k/cluster.yaml",
      content:
        `# Namespace ${k.namespace}; k3k operator chart ${k.chart.chart} ${k.chart.version} (${k.chart.repo}) in ${k.chart.namespace}.\n` +
        `# API front: ${frontText(k.exposure)}; its address is added as spec.tlsSANs.\n` +
        `# Kubeconfig: Secret ${k.namespace}/${k.kubeconfigSecret.name}, key ${k.kubeconfigSecret.key}.\n` +
        yaml(k.object),
      secret: false,
    });
  }
  // Vanilla and Talos on a host: the Docker-in-Docker objects beside the node containers.
  if (plan.dindHost) files.push(...dindHostFiles(plan));
  files.push(...componentFiles(plan));
  const summary = {
    clusterName: plan.clusterName,
    distribution: plan.distribution,
    provider: plan.provider,
    endpoint: plan.endpoint ?? null,
    ...(plan.hetzner ? { placeholders: hetznerPlaceholders(plan) } : {}),
    versions: plan.versions,
    recreateTrigger: plan.recreateTrigger,
    secrets: opts.withSecrets ? "complete configs from a throwaway identity (not your cluster's)" : "redacted",
    nodes: plan.nodes.map((n) => ({ name: n.name, role: n.role, address: n.address })),
    charts: installedCharts(plan.components),
    files: files.map((f) => f.path),
    omitted,
  };
  files.unshift({ path: "cluster.json", content: `${JSON.stringify(summary, null, 2)}\n`, secret: false });
  return { plan, files, omitted };
}
