/** Shared pieces of the TalosMachine provider: logging, budgets, the node's API and Kubernetes clients, the queue key. */
import { Code, hasCode, type ApplyMode, type TalosApiError } from "../clients/talos";
import { NodeApi, routeOf } from "../clients/talos/route";
import { KubeClient } from "../clients/kubernetes";
import { kubeconfigClientCert } from "../pki/kubeconfig";
import { type GateContext } from "./talosMachine.gates";
import { clusterQueueKey, type QueueOp } from "./talosMachine.queue";
import { type TalosMachineInputs } from "./talosMachine.plan";

export const log = (node: string, msg: string) => console.log(`[ksail] TalosMachine ${node}: ${msg}`);

export function budgets(i: TalosMachineInputs) {
  return {
    apiMs: (i.timeouts?.apiSeconds ?? 600) * 1000,
    rebootMs: (i.timeouts?.rebootSeconds ?? 900) * 1000,
    drainMs: (i.timeouts?.drainSeconds ?? 600) * 1000,
  };
}

/** The node over mTLS, through its route (endpoint, then `via`). */
export function apiOf(i: TalosMachineInputs): NodeApi {
  return new NodeApi(routeOf(i.node), { talosconfig: i.talosconfig, timeoutMs: 15_000 });
}

/** The node in maintenance mode: only directly (a node without identity cannot be proxied to), without a client certificate. */
export function insecureApiOf(i: TalosMachineInputs): NodeApi {
  return new NodeApi({ endpoints: [i.node.endpoint] }, { insecure: true, timeoutMs: 15_000 });
}

export function kubeOf(i: TalosMachineInputs): KubeClient | undefined {
  if (!i.kubeconfig) return undefined;
  return new KubeClient(kubeconfigClientCert(i.kubeconfig), 10_000);
}

export function gateOf(i: TalosMachineInputs): GateContext {
  return { name: i.node.name, role: i.node.role, controlPlanes: i.controlPlanes, kube: kubeOf(i), log: (m) => log(i.node.name, m) };
}

/** One queue per cluster, keyed by the Talos API CA every machine of the cluster shares. */
export function clusterKey(i: TalosMachineInputs): string {
  return clusterQueueKey(i.talosconfig, `node:${i.node?.name}`);
}

export const op = (i: TalosMachineInputs, phase: number, what: string): QueueOp => ({ node: i.node.name, role: i.node.role, phase, what });

export const retryUnavailable = (deadlineMs: number) => ({
  deadlineMs,
  initialDelayMs: 500,
  maxDelayMs: 5_000,
  retryOn: [Code.UNAVAILABLE, Code.DEADLINE_EXCEEDED],
});

/** Apply a config in `mode`; InvalidArgument (a rejected config) is never retried. */
export async function apply(api: NodeApi, i: TalosMachineInputs, mode: ApplyMode): Promise<ApplyMode> {
  const r = await api.run((c, o) => c.applyConfiguration({ data: i.config, mode }, o), retryUnavailable(budgets(i).apiMs));
  for (const w of r.warnings) log(i.node.name, `warning from Talos: ${w}`);
  return r.mode;
}

/** Talos before 1.14 refuses a live apply of a change that needs a reboot with this message (CanApplyImmediate). */
export const needsReboot = (e: unknown) => hasCode(e, Code.INVALID_ARGUMENT) && /immediate mode/.test((e as TalosApiError).details ?? "");

/** Wait (briefly) until the node stops answering after a reboot or reset was accepted. */
