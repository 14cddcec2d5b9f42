import * as pulumi from "@pulumi/pulumi";
import type * as k8s from "@pulumi/kubernetes";
import { ClusterSpec } from "./dynamic/clusterSpec";
import { DestroyGuard } from "./dynamic/destroyGuard";
import { clusterProvider } from "./components/provider";
import { installComponents, readinessGate, type Installers } from "./components/phases";
import { afterReady, readyOutput } from "./readiness";
import type { ImpactSummary } from "./impact/types";
import { parseSpec } from "./config/parse";
import { parseMirrorSpecs } from "./config/mirrors";
import { planCluster, type ClusterPlan, type ClusterVersions } from "./plan/cluster";
import { API_GATE, type ComponentId } from "./plan/catalog";
import { dockerCluster } from "./infra/docker/cluster";
import { kwokCluster } from "./infra/docker/kwok";
import { hetznerCluster } from "./infra/hetzner/cluster";
import { omniCluster } from "./infra/omni/cluster";
import { kubernetesCluster } from "./infra/kubernetes/cluster";
import { vindCluster } from "./infra/docker/vind";
import type { KSailClusterNode } from "./infra/types";
import { WorkloadArtifact } from "./dynamic/workloadArtifact";
import { KsailError } from "./errors";
import type { KSailClusterArgs } from "./clusterArgs";
export type { ComponentOverride, KSailClusterArgs } from "./clusterArgs";

export type { KSailClusterNode } from "./infra/types";

/**
 * A Kubernetes cluster created the way KSail creates it — Vanilla (Kind node images), K3s or Talos on
 * Docker, or Talos on Hetzner Cloud — with its components, from a ksail.yaml spec. `pulumi preview` shows the impact class of every
 * change on the `<name>-spec` record (`[diff: ~inPlace]`, `~rebootRequired`, `+-replace`).
 *
 * For what the args do not cover, give Pulumi resource `transforms` in this component's options: they run on
 * every resource it creates (all of them descend from it), matched by type and name, e.g. a longer timeout on
 * one Helm release: `{ transforms: [({ type, name, props, opts }) => name === "dev-cilium-release" ?
 * { props: { ...props, timeout: 900 }, opts } : undefined] }`. A transform that changes a recreate-class input
 * (node images, the network) recreates what it touches, as the same change in the spec would.
 *
 * @example
 * ```ts
 * const cluster = new KSailCluster("dev", loadClusterConfig("ksail.yaml"));
 * export const kubeconfig = cluster.kubeconfig;
 * new k8s.core.v1.Namespace("apps", {}, { provider: cluster.kubernetesProvider });
 * ```
 */
export class KSailCluster extends pulumi.ComponentResource {
  /**
   * Admin kubeconfig (secret). Resolves once the cluster is ready (see `ready`): a resource that takes it as
   * an input waits for the readiness gates and every installer.
   */
  readonly kubeconfig: pulumi.Output<string>;
  /** Admin talosconfig (secret; undefined unless Talos). Resolves once the cluster is ready. */
  readonly talosconfig: pulumi.Output<string | undefined>;
  /** Kubernetes API URL. Resolves once the cluster is ready. */
  readonly endpoint: pulumi.Output<string>;
  readonly clusterName: pulumi.Output<string>;
  /** The nodes and their addresses. Resolves once the cluster is ready. */
  readonly nodes: pulumi.Output<KSailClusterNode[]>;
  /**
   * Provider for your Kubernetes resources in this cluster (`<name>-kubernetes`). It depends on the readiness
   * gates and every installer, so a resource created with it waits until the API server answers, the nodes and
   * the CNI are ready and the components are installed. The installers themselves use another provider
   * (`<name>-k8s`), which must reach the cluster before it is ready.
   */
  readonly kubernetesProvider: k8s.Provider;
  /**
   * `true` once the cluster is ready: the nodes are up, every readiness gate passed and every installer is
   * created. Pass it as an input (or use `kubernetesProvider`, which already waits for it) to order a resource
   * that does not go through this cluster's provider after the cluster, e.g. a Helm release on another provider
   * or a `command.local.Command`.
   */
  readonly ready: pulumi.Output<boolean>;
  /** Talos, Kubernetes and chart versions; feed `charts` back as `components` versions to pin them. */
  readonly versions: pulumi.Output<ClusterVersions>;
  /** Secret-free Talos machine configs per role (empty for Vanilla/K3s). */
  readonly renderedConfigs: pulumi.Output<Record<string, string>>;
  /** Impact of the last spec change (KSail JSON shape). */
  readonly impact: pulumi.Output<ImpactSummary>;
  /**
   * The installers this cluster created, by catalog id (`cilium`, `certManager`, `flux`, …); absent when the
   * spec does not install that component. Their Helm releases are children (`<installer>-release`).
   */
  readonly components: Readonly<Partial<Installers>>;
  /** The pushed workload artifact (see `pushWorkload`); undefined without a GitOps engine on an OCI source. */
  readonly workloadArtifact?: WorkloadArtifact;

  constructor(name: string, args: KSailClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ksail:index:KSailCluster", name, {}, opts);
    const { spec, warnings } = parseSpec(args.spec, { name: args.name });
    const plan = planCluster({
      name: args.name || name,
      spec,
      talosConfigPatches: args.talosConfigPatches,
      kindConfig: args.kindConfig,
      k3dConfig: args.k3dConfig,
      vclusterValues: args.vclusterValues,
      kwokObjects: args.kwokObjects,
      mirrors: args.mirrors,
      fileMirrors: args.fileMirrors,
      hetznerEndpoint: args.hetznerEndpoint,
      hetznerSpreadControlPlanes: args.hetznerSpreadControlPlanes,
      hostExposure: args.hostExposure,
      // A plain address is part of the plan (the Docker-in-Docker engine's certificate names it).
      ...(typeof args.hostAddress === "string" ? { hostAddress: args.hostAddress } : {}),
    });
    for (const w of [...(args.warnings ?? []), ...warnings]) pulumi.log.warn(w, this);
    const protect = args.protect ?? false;
    const trigger = plan.recreateTrigger;

    const record = new ClusterSpec(`${name}-spec`, { spec }, { parent: this, protect });
    const ctx = { name, parent: this, plan, protect };
    const infra =
      plan.provider === "Hetzner"
        ? hetznerCluster(ctx, { hcloudToken: args.hcloudToken })
        : plan.provider === "Omni"
          ? omniCluster(ctx, { serviceAccountKey: args.omniServiceAccountKey, caPem: args.omniCaPem })
          : plan.provider === "Kubernetes"
            ? kubernetesCluster(ctx, {
                hostKubeconfig: args.hostKubeconfig,
                installOperator: args.installK3kOperator,
                hostAddress: args.hostAddress,
              })
            : plan.kwok
              ? kwokCluster(ctx)
              : plan.vind
                ? vindCluster(ctx)
                : dockerCluster(ctx, { mirrorCredentials: mirrorCredentials(args.mirrors) });
    const secrets = infra.secrets;

    // A recreate gives a new cluster: the provider (and every Kubernetes resource) is replaced with it, while a
    // kubeconfig change alone (rotation, endpoint) only updates the provider.
    const clusterIdentifier = `${plan.clusterName}-${trigger.slice(0, 12)}`;
    // The Kubernetes provider probes the cluster when it is configured and, finding it unreachable, fails every later
    // create (pulumi-kubernetes provider.go: clusterUnreachable is set in Configure and checked in Create). It is
    // configured as soon as its inputs are known, long before a new cluster answers, so it waits for a gate on the API
    // server (the one the CNI stage had; the same resource on stacks that had it).
    const apiGate = readinessGate(
      `${name}-api-ready`,
      API_GATE,
      plan.components.context,
      { kubeconfig: secrets.kubeconfig, trigger },
      { parent: this, dependsOn: infra.ready },
    );
    const installProvider = clusterProvider(
      `${name}-k8s`,
      { kubeconfig: secrets.kubeconfig, clusterIdentifier },
      { parent: this, dependsOn: [apiGate] },
    );
    const wa = plan.components.workloadArtifact;
    const push = wa !== undefined && (args.pushWorkload ?? wa.local);
    if (push && wa.validateOnPush) validateBeforePush(wa.sourceDirectory, wa.skipKinds);
    const workload = push
      ? new WorkloadArtifact(
          `${name}-workload`,
          {
            registry: wa.registry,
            repository: wa.repository,
            tag: wa.tag,
            sourceDirectory: wa.sourceDirectory,
            emptyWhenMissing: wa.local,
            username: args.registryCredentials?.username ?? wa.username,
            password: args.registryCredentials?.password ?? wa.password,
          },
          // The local registry comes with the Docker layer; an external one is pushed to at once, beside the cluster.
          { parent: this, dependsOn: wa.local ? (infra.resources ?? infra.ready) : [] },
        )
      : undefined;
    this.workloadArtifact = workload;
    const installed = installComponents(this, name, plan.components, {
      ...infra.install,
      artifactDigest: workload?.digest,
      provider: installProvider,
      dependsOn: infra.ready,
      apiGate,
      readiness: { kubeconfig: secrets.kubeconfig, trigger },
      registryCredentials: args.registryCredentials,
      sopsAgeKey: args.sopsAgeKey,
      overrides: args.components,
    });
    this.components = installed.installers;

    // Readiness travels with the values users hand to other resources: an Output carries the resources it was
    // computed from as dependencies (a component stands for all its children), so anything built from `ready`
    // is created after the gates (which wait for the nodes) and the installers.
    const readyOn: pulumi.Resource[] = [apiGate, ...installed.gates, ...Object.values(this.components)];
    this.ready = readyOutput(readyOn);
    this.kubeconfig = pulumi.secret(afterReady(secrets.kubeconfig, this.ready));
    this.talosconfig = pulumi.secret(afterReady(secrets.talosconfig, this.ready));
    this.kubernetesProvider = clusterProvider(
      `${name}-kubernetes`,
      { kubeconfig: this.kubeconfig, clusterIdentifier },
      { parent: this, dependsOn: readyOn },
    );

    // `protect` all or nothing on destroy: this record depends on everything above and is deleted first.
    new DestroyGuard(
      `${name}-destroy-guard`,
      { clusterName: plan.clusterName },
      {
        parent: this,
        protect,
        dependsOn: [
          record,
          // Omni's credentials are outputs of the template's resources (already below through infra.ready).
          ...(secrets instanceof pulumi.Resource ? [secrets] : []),
          installProvider,
          this.kubernetesProvider,
          ...infra.ready,
          ...(infra.resources ?? []),
          ...Object.values(this.components),
          ...(workload ? [workload] : []),
        ],
      },
    );
    this.endpoint = afterReady(infra.endpoint, this.ready);
    this.clusterName = pulumi.output(plan.clusterName);
    this.nodes = afterReady(infra.nodes, this.ready);
    this.versions = pinnedVersions(plan, args.components);
    const rendered = infra.rendered;
    this.renderedConfigs = rendered
      ? pulumi.unsecret(rendered.apply((r): Record<string, string> => ({ controlplane: r.controlPlaneRedacted, worker: r.workerRedacted })))
      : (pulumi.output({}) as pulumi.Output<Record<string, string>>);
    this.impact = record.impact;
    this.registerOutputs({
      kubeconfig: this.kubeconfig,
      // Omni keeps the Talos API to itself (no talosconfig), and only Talos has one among nested clusters: not registered
      // there, so no undefined stack output.
      ...(plan.provider === "Omni" || (plan.provider === "Kubernetes" && !plan.talos) ? {} : { talosconfig: this.talosconfig }),
      endpoint: this.endpoint,
      clusterName: this.clusterName,
      nodes: this.nodes,
      versions: this.versions,
      renderedConfigs: this.renderedConfigs,
      impact: this.impact,
      ready: this.ready,
    });
  }
}

/**
 * `spec.workload.validateOnPush`: the manifests are checked as `ksail-pulumi workload validate` checks them, when
 * the program runs (so a preview fails too and nothing is pushed); every problem is listed.
 */
function validateBeforePush(sourceDirectory: string, skipKinds: readonly string[]): void {
  const fs = require("node:fs") as typeof import("node:fs");
  if (!fs.existsSync(sourceDirectory)) return;
  // Loaded only here: ajv and the schemas are not needed by a program that does not validate.
  const v = require("./workload/validate") as typeof import("./workload/validate");
  const result = v.validateManifests([sourceDirectory], { skipKinds });
  if (result.issues.length > 0)
    throw new KsailError(
      result.issues.map((i) => ({
        path: "spec.workload.sourceDirectory",
        message: `${i.file}:${i.line}: ${i.kind ? `${i.kind}${i.name ? ` ${i.name}` : ""} ` : ""}${i.path ? `${i.path}: ` : ""}${i.message}`,
      })),
      "the workload is not pushed: spec.workload.validateOnPush found invalid manifests",
    );
}

/** Upstream credentials of the mirror specs, as secrets (planCluster already validated the specs). */
function mirrorCredentials(
  specs: readonly string[] | undefined,
): Record<string, { username: pulumi.Input<string>; password: pulumi.Input<string> }> {
  const out: Record<string, { username: pulumi.Input<string>; password: pulumi.Input<string> }> = {};
  for (const m of parseMirrorSpecs(specs ?? [], "mirrors").mirrors)
    if (m.username !== undefined && m.password !== undefined)
      out[m.host] = { username: pulumi.secret(m.username), password: pulumi.secret(m.password) };
  return out;
}

/** The plan's versions with the caller's chart version overrides applied. */
function pinnedVersions(plan: ClusterPlan, overrides: KSailClusterArgs["components"]): pulumi.Output<ClusterVersions> {
  const ids = Object.keys(plan.versions.charts) as ComponentId[];
  return pulumi
    .all(ids.map((id) => pulumi.output(overrides?.[id]?.version ?? plan.versions.charts[id]!)))
    .apply((vs) => ({ ...plan.versions, charts: Object.fromEntries(ids.map((id, i) => [id, vs[i]])) }));
}
