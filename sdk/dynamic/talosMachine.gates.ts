/**
 * The health gate TalosMachine runs before and after every disruptive step, equal to what Talos itself checks
 * before it lets the next node go down (siderolabs/talos pkg/cluster/check/default.go, the checks `talosctl health`
 * and terraform's `talos_cluster_health` run):
 * - the node answers, has finished booting (MachineStatus `running` and ready) and its services are healthy;
 * - on a control plane, etcd: the node's OWN member answers (`query_local`, so a member that has not rejoined yet
 *   is not hidden by the others answering for it), every member of the cluster answers its own `query_local` call
 *   with the same membership, nobody is a learner, and the membership equals the control planes;
 * - with a kubeconfig, every Kubernetes node is Ready.
 * One pass returns the problems it found; `waitHealthy` polls until there are none.
 */
import * as YAML from "yaml";
import { seconds } from "../errors";
import type { CallOptions, TalosClient } from "../clients/talos/client";
import type { NodeApi } from "../clients/talos/route";
import { Code } from "../clients/talos/retry";
import { describeResponse, type KubeClient } from "../clients/kubernetes";

export interface GateContext {
  /** Node name: its hostname, its etcd member name and its Kubernetes node name. */
  readonly name: string;
  readonly role: "controlplane" | "worker";
  /** How many etcd members there must be (the cluster's control planes). Unchecked when undefined. */
  readonly controlPlanes?: number;
  /** Kubernetes API (the admin kubeconfig): every node must be Ready. Skipped when undefined. */
  readonly kube?: KubeClient;
  readonly log: (m: string) => void;
}

export interface HealthReport {
  readonly problems: string[];
  /** The Talos version tag the node reported (when it answered). */
  readonly tag?: string;
}

const codeOf = (e: unknown) => (e as { code?: number }).code;
const msgOf = (e: unknown) => (e as { details?: string }).details ?? (e as Error).message;

/** Host of an etcd client URL (`https://10.0.1.3:2379` → `10.0.1.3`). */
export function urlHost(u: string): string {
  try {
    return new URL(u).hostname.replace(/^\[(.*)\]$/, "$1");
  } catch {
    return u;
  }
}

/** One pass of every check, through the node's route (each endpoint tried once). */
export async function healthProblems(api: NodeApi, g: GateContext): Promise<HealthReport> {
  const once = { maxAttempts: api.route.endpoints.length, initialDelayMs: 50, maxDelayMs: 200 };
  const call = <T>(fn: (c: TalosClient, o: CallOptions) => Promise<T>) => api.run(fn, once);
  const problems: string[] = [];
  let tag: string | undefined;
  try {
    tag = (await call((c, o) => c.version(o))).tag;
  } catch (e) {
    return { problems: [`the Talos API does not answer: ${msgOf(e)}`] };
  }
  try {
    const r = await call((c, o) => c.getResource("runtime", "MachineStatuses.runtime.talos.dev", "machine", o));
    const st = (YAML.parse(r.yamlSpec) ?? {}) as {
      stage?: string;
      status?: { ready?: boolean; unmetConditions?: { name?: string; reason?: string }[] };
    };
    if (st.stage !== "running") problems.push(`the machine is ${st.stage ?? "in an unknown stage"}, not running`);
    else if (st.status?.ready !== true) {
      const unmet = (st.status?.unmetConditions ?? []).map((u) => `${u.name}: ${u.reason}`).join(", ");
      problems.push(`the machine is not ready${unmet ? ` (${unmet})` : ""}`);
    }
  } catch (e) {
    if (codeOf(e) !== Code.UNIMPLEMENTED) problems.push(`machine status unavailable: ${msgOf(e)}`);
  }
  try {
    const services = await call((c, o) => c.serviceList(o));
    const wanted = g.role === "controlplane" ? ["etcd", "kubelet"] : ["kubelet"];
    for (const id of wanted) {
      const s = services.find((x) => x.id === id);
      if (!s) problems.push(`service ${id} is not running yet`);
      else if (!s.healthy) problems.push(`service ${id} is ${s.state}${s.lastMessage ? ` (${s.lastMessage})` : ""}, not healthy`);
    }
  } catch (e) {
    problems.push(`services unavailable: ${msgOf(e)}`);
  }
  if (g.role === "controlplane") problems.push(...(await etcdProblems(call, g)));
  if (g.kube) problems.push(...(await kubeProblems(g.kube)));
  return { problems, tag };
}

async function etcdProblems(
  call: <T>(fn: (c: TalosClient, o: CallOptions) => Promise<T>) => Promise<T>,
  g: GateContext,
): Promise<string[]> {
  let members;
  try {
    members = await call((c, o) => c.etcdMemberList({ queryLocal: true }, o));
  } catch (e) {
    return [`the local etcd member does not answer: ${msgOf(e)}`];
  }
  const problems: string[] = [];
  if (!members.some((m) => m.hostname === g.name)) problems.push(`etcd does not list ${g.name} as a member yet`);
  const learners = members.filter((m) => m.isLearner).map((m) => m.hostname || m.id);
  if (learners.length > 0) problems.push(`etcd members still joining (learners): ${learners.join(", ")}`);
  if (g.controlPlanes !== undefined && members.length !== g.controlPlanes) {
    problems.push(
      `etcd has ${members.length} member(s) (${members.map((m) => m.hostname || m.id).join(", ")}), expected ${g.controlPlanes} control planes`,
    );
  }
  const ids = members.map((m) => m.id).sort();
  for (const m of members.filter((x) => x.hostname !== g.name)) {
    const host = urlHost(m.clientUrls[0] ?? "");
    if (!host) {
      problems.push(`etcd member ${m.hostname || m.id} has no client URL (not started)`);
      continue;
    }
    try {
      const seen = await call((c, o) => c.etcdMemberList({ queryLocal: true }, { ...o, node: host }));
      const theirs = seen.map((x) => x.id).sort();
      if (JSON.stringify(theirs) !== JSON.stringify(ids)) {
        problems.push(`etcd member ${m.hostname} sees members [${seen.map((x) => x.hostname).join(", ")}], not the same cluster`);
      }
      const etcd = (await call((c, o) => c.serviceList({ ...o, node: host }))).find((s) => s.id === "etcd");
      if (!etcd?.healthy) problems.push(`etcd on ${m.hostname} is not healthy`);
    } catch (e) {
      problems.push(`etcd member ${m.hostname} (${host}) does not answer: ${msgOf(e)}`);
    }
  }
  return problems;
}

async function kubeProblems(kube: KubeClient): Promise<string[]> {
  try {
    const r = await kube.get("/api/v1/nodes");
    if (r.status !== 200) return [`the Kubernetes API answered the node list with ${describeResponse(r)}`];
    const out: string[] = [];
    for (const n of (r.body?.items ?? []) as {
      metadata?: { name?: string };
      status?: { conditions?: { type?: string; status?: string; reason?: string }[] };
    }[]) {
      const ready = (n.status?.conditions ?? []).find((c) => c.type === "Ready");
      if (ready?.status !== "True")
        out.push(`Kubernetes node ${n.metadata?.name} is not Ready${ready?.reason ? ` (${ready.reason})` : ""}`);
    }
    return out;
  } catch (e) {
    return [`the Kubernetes API does not answer: ${(e as Error).message}`];
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Poll the checks until none fails, reporting each new set of problems; throws after `budgetMs` with the last
 * problems. Returns the version tag the node reported.
 */
export async function waitHealthy(
  api: NodeApi,
  g: GateContext,
  budgetMs: number,
  what: string,
  pollMs = { first: 250, max: 5_000 },
): Promise<string> {
  const deadline = Date.now() + budgetMs;
  let delay = pollMs.first;
  let last = "";
  for (;;) {
    const r = await healthProblems(api, g);
    if (r.problems.length === 0) return r.tag ?? "";
    const now = r.problems.join("; ");
    if (now !== last) g.log(`waiting (${what}): ${now}`);
    last = now;
    if (Date.now() + delay > deadline) {
      throw new Error(`${g.name}: not healthy ${what} within ${seconds(budgetMs)}: ${now}`);
    }
    await sleep(delay);
    delay = Math.min(pollMs.max, delay * 2);
  }
}
