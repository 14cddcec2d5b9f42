import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { trampoline } from "./trampoline";
import { images } from "../versions";
import type { SupportedDistribution, SupportedProvider } from "../config/support";

const provider = trampoline(path.join(__dirname, "clusterReadiness.impl.js"), "handler", ["check", "diff", "create", "update", "delete"]);

/** Timeouts of the readiness checks, in milliseconds. */
export interface ReadinessTimeouts {
  /** @default 120000 (2 min) */
  readonly apiServerMs?: number;
  /** @default the install timeout: 480000 on Talos, 300000 elsewhere */
  readonly nodesMs?: number;
  /** @default 180000 (3 min) */
  readonly daemonSetsMs?: number;
  /** @default 120000 (2 min) */
  readonly probeMs?: number;
  /** One probe attempt. @default 30000 */
  readonly probeAttemptMs?: number;
  /** Deployments and webhook CA bundles. @default 600000 (10 min, KSail's approver wait) */
  readonly workloadsMs?: number;
  /** One HTTP request. @default 10000 */
  readonly requestMs?: number;
}

export interface ClusterReadinessArgs {
  /** Kubeconfig (YAML with embedded client certificate). Kept secret. Applied in place (gate re-runs). */
  readonly kubeconfig: pulumi.Input<string>;
  /** Distribution; decides the default API-server success count. Applied in place. */
  readonly distribution: SupportedDistribution;
  /** Provider; cloud clusters need 5 consecutive successes and ignore the `uninitialized` taint. Applied in place. */
  readonly provider: SupportedProvider;
  /** Consecutive `/version` successes required. @default 3 on Docker, 5 on cloud providers. Applied in place. */
  readonly apiServerSuccesses?: number;
  /** Require all nodes Ready and one schedulable. @default true. Applied in place. */
  readonly checkNodes?: boolean;
  /** A label every node must carry (e.g. `instance.hetzner.cloud/provided-by`). @default none. Applied in place. */
  readonly requireNodeLabel?: string;
  /**
   * Treat the cloud provider's `node.cloudprovider.kubernetes.io/uninitialized` taint as schedulable (the
   * gate before the CCM runs). @default true on cloud providers. Applied in place.
   */
  readonly ignoreUninitializedTaint?: boolean;
  /** Require kube-system DaemonSets ready. @default true. Applied in place. */
  readonly checkDaemonSets?: boolean;
  /** Run the in-cluster connectivity probe pod (use with Cilium). @default false. Applied in place. */
  readonly connectivityProbe?: boolean;
  /**
   * Deployments (`namespace/name`) that must be Available; absent ones are skipped (e.g. Talos'
   * kubelet-serving-cert-approver from the machine config). @default none. Applied in place.
   */
  readonly deployments?: string[];
  /**
   * Admission webhook configurations whose webhooks must all have a CA bundle (e.g. Gatekeeper's).
   * @default none. Applied in place.
   */
  readonly webhookConfigurations?: { kind: "Validating" | "Mutating"; name: string }[];
  /** Namespaces whose failing pods are listed on timeout. @default ["kube-system"]. Applied in place. */
  readonly podNamespaces?: string[];
  /** Timeouts. Applied in place. */
  readonly timeouts?: ReadinessTimeouts;
  /** Poll interval in ms. @default 2000. Applied in place. */
  readonly pollIntervalMs?: number;
  /** Any value whose change should re-run the gate (e.g. the recreate trigger). Applied in place. */
  readonly trigger?: pulumi.Input<string>;
}

/**
 * A readiness gate: on create and update it waits until the API server answers `/version` N times in a
 * row, all nodes are Ready with one schedulable, every kube-system DaemonSet is rolled out, and (with
 * Cilium) a probe pod reaches the `kubernetes` Service from inside the cluster. Fails with an error naming
 * what is not ready (with failing pods' reasons). Preview (check/diff) never contacts the cluster.
 * Install phases `dependsOn` it.
 *
 * @example
 * ```ts
 * const ready = new ClusterReadiness("dev-ready", { kubeconfig, distribution: "Talos", provider: "Docker" });
 * new CertManager("cm", {}, { provider, dependsOn: [ready] });
 * ```
 */
export class ClusterReadiness extends pulumi.dynamic.Resource {
  /** The API server's `gitVersion` seen by the last run. */
  declare public readonly kubernetesVersion: pulumi.Output<string>;
  /** Nodes seen by the last run (0 when nodes were not checked). */
  declare public readonly nodeCount: pulumi.Output<number>;

  constructor(name: string, args: ClusterReadinessArgs, opts?: pulumi.CustomResourceOptions) {
    const cloud = args.provider !== "Docker";
    const t = args.timeouts ?? {};
    const props: Record<string, unknown> = {
      kubeconfig: pulumi.secret(args.kubeconfig),
      apiServerSuccesses: args.apiServerSuccesses ?? (cloud ? 5 : 3),
      apiServerTimeoutMs: t.apiServerMs ?? 120_000,
      checkNodes: args.checkNodes ?? true,
      nodesTimeoutMs: t.nodesMs ?? (args.distribution === "Talos" ? 480_000 : 300_000),
      requireNodeLabel: args.requireNodeLabel,
      ignoreTaints: (args.ignoreUninitializedTaint ?? cloud) ? ["node.cloudprovider.kubernetes.io/uninitialized"] : [],
      checkDaemonSets: args.checkDaemonSets ?? true,
      daemonSetsTimeoutMs: t.daemonSetsMs ?? 180_000,
      connectivityProbe: args.connectivityProbe ?? false,
      probeTimeoutMs: t.probeMs ?? 120_000,
      probeAttemptTimeoutMs: t.probeAttemptMs ?? 30_000,
      probeImage: images.connectivityProbe,
      pollIntervalMs: args.pollIntervalMs ?? 2_000,
      requestTimeoutMs: t.requestMs ?? 10_000,
      podNamespaces: args.podNamespaces ?? ["kube-system"],
      deployments: args.deployments ?? [],
      webhookConfigurations: args.webhookConfigurations ?? [],
      workloadsTimeoutMs: t.workloadsMs ?? 600_000,
      trigger: args.trigger,
      kubernetesVersion: undefined,
      nodeCount: undefined,
    };
    super(provider, name, props, { ...opts, additionalSecretOutputs: ["kubeconfig"] }, "ksail", "ClusterReadiness");
  }
}
