import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { trampoline } from "./trampoline";
import { images } from "../versions";
import type { SupportedDistribution, SupportedProvider } from "../config/support";

const provider = trampoline(path.join(__dirname, "clusterReadiness.impl.js"), "handler", [
  "check",
  "diff",
  "create",
  "read",
  "update",
  "delete",
]);

/** Timeouts of the readiness checks, in seconds (fractions allowed). */
export interface ReadinessTimeouts {
  /** API server `/version` streak. @default 120 */
  readonly apiServerSeconds?: number;
  /** Nodes Ready. @default the install timeout: 480 on Talos, 300 elsewhere */
  readonly nodesSeconds?: number;
  /** kube-system DaemonSets rolled out. @default 180 */
  readonly daemonSetsSeconds?: number;
  /** Connectivity probe, all attempts. @default 120 */
  readonly probeSeconds?: number;
  /** One probe attempt. @default 30 */
  readonly probeAttemptSeconds?: number;
  /** Deployments and webhook CA bundles. @default 600 (KSail's approver wait) */
  readonly workloadsSeconds?: number;
  /** One HTTP request. @default 10 */
  readonly requestSeconds?: number;
}

export interface ClusterReadinessArgs {
  /** Kubeconfig (YAML with embedded client certificate). Kept secret. Applied in place (gate re-runs). */
  readonly kubeconfig: pulumi.Input<string>;
  /** Distribution; decides the default API-server success count. Applied in place. */
  readonly distribution: SupportedDistribution;
  /** Provider; cloud clusters need 5 consecutive successes and ignore the `uninitialized` taint. Applied in place. */
  readonly provider: SupportedProvider;
  /** Consecutive `/version` successes required. Applied in place. @default 3 on Docker, 5 on cloud providers */
  readonly apiServerSuccesses?: number;
  /** Require all nodes Ready and one schedulable. Applied in place. @default true */
  readonly checkNodes?: boolean;
  /** A label every node must carry (e.g. `instance.hetzner.cloud/provided-by`). Applied in place. @default none */
  readonly requireNodeLabel?: string;
  /**
   * Treat the cloud provider's `node.cloudprovider.kubernetes.io/uninitialized` taint as schedulable (the gate
   * before the CCM runs). Applied in place.
   * @default true on cloud providers
   */
  readonly ignoreUninitializedTaint?: boolean;
  /** Require kube-system DaemonSets ready. Applied in place. @default true */
  readonly checkDaemonSets?: boolean;
  /** Run the in-cluster connectivity probe pod (use with Cilium). Applied in place. @default false */
  readonly connectivityProbe?: boolean;
  /**
   * Deployments (`namespace/name`) that must be Available; absent ones are skipped (e.g. Talos'
   * kubelet-serving-cert-approver from the machine config). Applied in place.
   * @default none
   */
  readonly deployments?: string[];
  /**
   * Admission webhook configurations whose webhooks must all have a CA bundle (e.g. Gatekeeper's). Applied in
   * place.
   * @default none
   */
  readonly webhookConfigurations?: { kind: "Validating" | "Mutating"; name: string }[];
  /** Namespaces whose failing pods are listed on timeout. Applied in place. @default ["kube-system"] */
  readonly podNamespaces?: string[];
  /** Timeouts in seconds. Applied in place. @default see ReadinessTimeouts */
  readonly timeouts?: ReadinessTimeouts;
  /** Poll interval in seconds. Applied in place. @default 2 */
  readonly pollIntervalSeconds?: number;
  /** Any value whose change should re-run the gate (e.g. the recreate trigger). Applied in place. @default none */
  readonly trigger?: pulumi.Input<string>;
}

/**
 * A readiness gate: on create and update it waits until the API server answers `/version` N times in a
 * row, all nodes are Ready with one schedulable, every kube-system DaemonSet is rolled out, and (with
 * Cilium) a probe pod reaches the `kubernetes` Service from inside the cluster. Fails with an error naming
 * what is not ready (with failing pods' reasons). Preview (check/diff) never contacts the cluster, and neither
 * does `pulumi refresh`: there is nothing to read (the gate records a past check, not an object), so refresh
 * keeps its state. Install phases `dependsOn` it.
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
    // Arguments are seconds; the provider's inputs stay in milliseconds (their names are in existing state).
    const ms = (seconds: number | undefined, fallback: number) => Math.round((seconds ?? fallback) * 1000);
    const props: Record<string, unknown> = {
      kubeconfig: pulumi.secret(args.kubeconfig),
      apiServerSuccesses: args.apiServerSuccesses ?? (cloud ? 5 : 3),
      apiServerTimeoutMs: ms(t.apiServerSeconds, 120),
      checkNodes: args.checkNodes ?? true,
      nodesTimeoutMs: ms(t.nodesSeconds, args.distribution === "Talos" ? 480 : 300),
      requireNodeLabel: args.requireNodeLabel,
      ignoreTaints: (args.ignoreUninitializedTaint ?? cloud) ? ["node.cloudprovider.kubernetes.io/uninitialized"] : [],
      checkDaemonSets: args.checkDaemonSets ?? true,
      daemonSetsTimeoutMs: ms(t.daemonSetsSeconds, 180),
      connectivityProbe: args.connectivityProbe ?? false,
      probeTimeoutMs: ms(t.probeSeconds, 120),
      probeAttemptTimeoutMs: ms(t.probeAttemptSeconds, 30),
      probeImage: images.connectivityProbe,
      pollIntervalMs: ms(args.pollIntervalSeconds, 2),
      requestTimeoutMs: ms(t.requestSeconds, 10),
      podNamespaces: args.podNamespaces ?? ["kube-system"],
      deployments: args.deployments ?? [],
      webhookConfigurations: args.webhookConfigurations ?? [],
      workloadsTimeoutMs: ms(t.workloadsSeconds, 600),
      trigger: args.trigger,
      kubernetesVersion: undefined,
      nodeCount: undefined,
    };
    super(provider, name, props, { ...opts, additionalSecretOutputs: ["kubeconfig"] }, "ksail", "ClusterReadiness");
  }
}
