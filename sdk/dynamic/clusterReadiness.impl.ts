import * as crypto from "node:crypto";
import { kubeconfigClientCert } from "../pki/kubeconfig";
import { KubeClient } from "../clients/kubernetes";
import {
  Clock,
  ReadinessSettings,
  realClock,
  runConnectivityProbe,
  waitApiServerStable,
  waitDaemonSets,
  waitNodes,
  waitWorkloads,
} from "./clusterReadiness.checks";
import { containsUnknown, UNKNOWN } from "../impact/unknown";

/** The wire inputs of a ClusterReadiness resource (plain, after the engine resolved them). */
export interface ReadinessInputs extends ReadinessSettings {
  readonly kubeconfig: string;
  readonly requestTimeoutMs: number;
  /** Any value whose change should re-run the gate. */
  readonly trigger?: string;
}

type Inputs = Record<string, unknown>;

const numberKeys = [
  "apiServerSuccesses",
  "apiServerTimeoutMs",
  "nodesTimeoutMs",
  "daemonSetsTimeoutMs",
  "probeTimeoutMs",
  "probeAttemptTimeoutMs",
  "pollIntervalMs",
  "requestTimeoutMs",
  "workloadsTimeoutMs",
] as const;
const boolKeys = ["checkNodes", "checkDaemonSets", "connectivityProbe"] as const;

function log(m: string): void {
  console.log(`[ClusterReadiness] ${m}`);
}

/**
 * Run every configured check in order; throws a NotReadyError naming what is not ready. `clock` decides
 * deadlines and pauses (real time unless a test passes a virtual one).
 */
export async function runReadiness(
  inputs: ReadinessInputs,
  clock: Clock = realClock,
): Promise<{ version: string; nodes: number; daemonSets: number }> {
  const client = new KubeClient(kubeconfigClientCert(inputs.kubeconfig), inputs.requestTimeoutMs);
  const version = await waitApiServerStable(client, inputs, log, clock);
  const nodes = inputs.checkNodes ? await waitNodes(client, inputs, log, clock) : 0;
  const daemonSets = inputs.checkDaemonSets ? await waitDaemonSets(client, inputs, log, clock) : 0;
  await waitWorkloads(client, inputs, log, clock);
  if (inputs.connectivityProbe) await runConnectivityProbe(client, inputs, log, clock);
  return { version, nodes, daemonSets };
}

async function gate(inputs: Inputs): Promise<Inputs> {
  const r = await runReadiness(inputs as unknown as ReadinessInputs);
  return { ...inputs, kubernetesVersion: r.version, nodeCount: r.nodes };
}

/** The dynamic provider behind ClusterReadiness: checks run in create and update only. */
export const handler = {
  async check(_olds: Inputs, news: Inputs) {
    const failures: { property: string; reason: string }[] = [];
    const kc = news.kubeconfig;
    if (kc !== UNKNOWN) {
      if (typeof kc !== "string" || kc === "") failures.push({ property: "kubeconfig", reason: "must be the kubeconfig YAML text" });
      else {
        try {
          kubeconfigClientCert(kc);
        } catch (e) {
          failures.push({ property: "kubeconfig", reason: (e as Error).message });
        }
      }
    }
    for (const k of numberKeys) {
      const v = news[k];
      if (v !== UNKNOWN && (typeof v !== "number" || !Number.isFinite(v) || v <= 0))
        failures.push({ property: k, reason: `must be a positive number, got ${JSON.stringify(v)}` });
    }
    for (const k of boolKeys) {
      const v = news[k];
      if (v !== UNKNOWN && typeof v !== "boolean") failures.push({ property: k, reason: `must be a boolean, got ${JSON.stringify(v)}` });
    }
    return { inputs: news, failures };
  },

  async diff(_id: string, olds: Inputs, news: Inputs) {
    if (containsUnknown(news)) return { changes: true };
    const keys = new Set([...Object.keys(news), ...Object.keys(olds)]);
    keys.delete("__provider");
    keys.delete("kubernetesVersion");
    keys.delete("nodeCount");
    const changed = [...keys].filter((k) => JSON.stringify(olds[k]) !== JSON.stringify(news[k]));
    return { changes: changed.length > 0 };
  },

  async create(inputs: Inputs) {
    const outs = await gate(inputs);
    return { id: `readiness-${crypto.randomBytes(6).toString("hex")}`, outs };
  },

  async update(_id: string, _olds: Inputs, news: Inputs) {
    return { outs: await gate(news) };
  },

  /**
   * Refresh: nothing to read. The gate is a record that the checks passed at its last create or update; no
   * object in the cluster corresponds to it, and a refresh must neither wait for the cluster nor fail when it
   * is down. The stored state is returned unchanged (the cluster is contacted by create and update only).
   */
  async read(id: string, props: Inputs) {
    return { id, props };
  },

  async delete() {
    // Nothing to remove: the probe pod is deleted at the end of every run.
  },
};
