/**
 * KSailCluster on a host cluster (provider Kubernetes). K3s runs through rancher/k3k (./k3k.ts), VCluster through
 * its chart (./vcluster.ts), KWOK as the host's own workloads (./kwok.ts), Vanilla in a Docker-in-Docker pod
 * (./dind.ts). The host
 * kubeconfig is read when the program runs — from `hostKubeconfig` when given, else from the file the variable
 * named by `kubeconfigEnvVar` points at, else `spec.provider.kubernetes.kubeconfig` — and is kept secret.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { KsailError } from "../../errors";
import type { ClusterInfra, InfraContext } from "../types";
import { k3kCluster } from "./k3k";
import { vclusterCluster, type VClusterInfraArgs } from "./vcluster";
import { kwokHostCluster } from "./kwok";
import { dindHostCluster, type DindHostArgs } from "./dind";

export interface KubernetesInfraOptions {
  /** Host cluster kubeconfig (secret); default: read from the file the spec names. */
  readonly hostKubeconfig?: pulumi.Input<string>;
  /** NodePort front: the node address clients dial. @default the host kubeconfig's API server host */
  readonly hostAddress?: pulumi.Input<string>;
  /** Install the k3k operator chart (one per host). @default true */
  readonly installOperator?: boolean;
  /** VCluster: where the chart comes from and whether to wait for its objects (tests without the internet). */
  readonly vcluster?: Pick<VClusterInfraArgs, "chartPath" | "awaitRelease" | "createTimeoutSeconds">;
  /** Vanilla (Docker-in-Docker): whether to wait for the engine's pod (tests without a kubelet). */
  readonly dind?: Pick<DindHostArgs, "awaitWorkloads" | "createTimeoutSeconds">;
  /** Environment to read `kubeconfigEnvVar` / `contextEnvVar` from. @default process.env */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

function expandHome(p: string, env: Readonly<Record<string, string | undefined>>): string {
  return p === "~" || p.startsWith("~/") ? path.join(env.HOME || os.homedir(), p.slice(1)) : p;
}

export function kubernetesCluster(ctx: InfraContext, options: KubernetesInfraOptions = {}): ClusterInfra {
  const { name, parent, plan, protect } = ctx;
  const h = plan.effective.provider.kubernetes;
  const env = options.env ?? process.env;
  let hostKubeconfig = options.hostKubeconfig;
  if (hostKubeconfig === undefined) {
    const fromEnv = h.kubeconfigEnvVar !== "" ? env[h.kubeconfigEnvVar] : undefined;
    const file = expandHome(fromEnv || h.kubeconfig, env);
    try {
      hostKubeconfig = pulumi.secret(fs.readFileSync(file, "utf8"));
    } catch (e) {
      throw new KsailError([
        {
          path: fromEnv ? `$${h.kubeconfigEnvVar}` : "spec.provider.kubernetes.kubeconfig",
          message: `cannot read the host cluster's kubeconfig ${file} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); point spec.provider.kubernetes.kubeconfig or $${h.kubeconfigEnvVar || "KSAIL_HOST_KUBECONFIG"} at it, or pass hostKubeconfig`,
        },
      ]);
    }
  }
  const hostContext = (h.contextEnvVar !== "" ? env[h.contextEnvVar] : undefined) || h.context || undefined;
  const host = { hostKubeconfig, hostContext, hostAddress: options.hostAddress };
  const recreateKey = plan.recreateTrigger.slice(0, 16);
  if (plan.kwokHost) return kwokHostCluster(ctx, { ...host, recreateKey });
  if (plan.dindHost) return dindHostCluster(ctx, { ...host, recreateKey, ...options.dind });
  const nested = plan.vcluster
    ? vclusterCluster(name, plan.vcluster, { ...host, recreateKey, ...options.vcluster }, { parent, protect })
    : k3kCluster(name, plan.k3k!, { ...host, installOperator: options.installOperator, recreateKey }, { parent, protect });
  return {
    secrets: { kubeconfig: nested.kubeconfig, talosconfig: pulumi.output(undefined) },
    endpoint: nested.endpoint,
    nodes: pulumi.output(plan.nodes.map((n) => ({ name: n.name, role: n.role, address: n.address }))),
    // The first stage waits for the k3k Cluster (Ready) or the vCluster release.
    ready: ["release" in nested ? nested.release : nested.cluster],
    resources: nested.resources,
    install: {},
  };
}
