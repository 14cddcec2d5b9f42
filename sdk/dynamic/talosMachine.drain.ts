/**
 * Cordon and drain a node through the Kubernetes API before Talos reboots, upgrades or resets it, and uncordon it
 * afterwards. Talos does not drain by itself on reboot; talosctl drains client-side the way `kubectl drain` does
 * (siderolabs/talos cmd/talosctl/pkg/talos/nodedrain): mark the node unschedulable, evict every pod except
 * DaemonSet-managed and mirror (static) pods through the Eviction API (which honours PodDisruptionBudgets: 429
 * means "not now", retried until the budget is spent), and wait until the evicted pods are gone.
 */
import { seconds } from "../errors";
import { describeResponse, type KubeClient } from "../clients/kubernetes";

interface PodRef {
  metadata?: { name?: string; namespace?: string; annotations?: Record<string, string>; ownerReferences?: { kind?: string }[] };
  status?: { phase?: string };
}

const MERGE_PATCH = "application/merge-patch+json";

/** Mark the node (un)schedulable. A node Kubernetes does not know (yet) is not an error. */
export async function setUnschedulable(kube: KubeClient, node: string, unschedulable: boolean): Promise<void> {
  const r = await kube.request("PATCH", `/api/v1/nodes/${encodeURIComponent(node)}`, { spec: { unschedulable } }, MERGE_PATCH);
  if (r.status === 404) return;
  if (r.status !== 200) throw new Error(`${unschedulable ? "cordon" : "uncordon"} of ${node} failed: ${describeResponse(r)}`);
}

/** Pods that a drain evicts: not DaemonSet-managed, not mirror pods, not finished. */
export function evictable(pods: readonly PodRef[]): PodRef[] {
  return pods.filter(
    (p) =>
      !(p.metadata?.ownerReferences ?? []).some((o) => o.kind === "DaemonSet") &&
      p.metadata?.annotations?.["kubernetes.io/config.mirror"] === undefined &&
      p.status?.phase !== "Succeeded" &&
      p.status?.phase !== "Failed",
  );
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Cordon the node and evict its pods; throws after `timeoutMs` naming the pods that stayed (and why). */
export async function drain(kube: KubeClient, node: string, timeoutMs: number, log: (m: string) => void, pollMs = 1_000): Promise<void> {
  await setUnschedulable(kube, node, true);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await kube.get(`/api/v1/pods?fieldSelector=${encodeURIComponent(`spec.nodeName=${node}`)}`);
    if (r.status !== 200) throw new Error(`listing the pods of ${node} failed: ${describeResponse(r)}`);
    const pods = evictable((r.body?.items ?? []) as PodRef[]);
    if (pods.length === 0) return;
    const blocked: string[] = [];
    for (const p of pods) {
      const ns = p.metadata?.namespace ?? "default";
      const name = p.metadata?.name ?? "";
      const e = await kube.request("POST", `/api/v1/namespaces/${encodeURIComponent(ns)}/pods/${encodeURIComponent(name)}/eviction`, {
        apiVersion: "policy/v1",
        kind: "Eviction",
        metadata: { name, namespace: ns },
      });
      if (e.status === 429) blocked.push(`${ns}/${name} (${describeResponse(e)})`);
      else if (e.status !== 201 && e.status !== 200 && e.status !== 404)
        throw new Error(`evicting ${ns}/${name} failed: ${describeResponse(e)}`);
    }
    if (Date.now() + pollMs > deadline) {
      const left = pods.map((p) => `${p.metadata?.namespace}/${p.metadata?.name}`);
      throw new Error(
        `draining ${node} did not finish within ${seconds(timeoutMs)}; still on the node: ${left.join(", ")}` +
          (blocked.length ? `; blocked by a PodDisruptionBudget: ${blocked.join(", ")}` : "") +
          ". Raise spec.cluster.talos.drainTimeout or relax the budget, then run pulumi up again (the node is left cordoned).",
      );
    }
    if (blocked.length > 0) log(`drain of ${node}: waiting for disruption budgets: ${blocked.join(", ")}`);
    await sleep(pollMs);
  }
}
