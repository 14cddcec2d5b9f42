import { describeResponse, KubeClient } from "../clients/kubernetes";
import { seconds as secs } from "../errors";

/** What the readiness gate checks and for how long (all durations in milliseconds). */
export interface ReadinessSettings {
  /** Consecutive successful `GET /version` answers required. */
  readonly apiServerSuccesses: number;
  readonly apiServerTimeoutMs: number;
  /** All nodes Ready and at least one schedulable. */
  readonly checkNodes: boolean;
  readonly nodesTimeoutMs: number;
  /** A label every node must carry (e.g. the hcloud CCM's `instance.hetzner.cloud/provided-by`). */
  readonly requireNodeLabel?: string;
  /** Taint keys that do not make a node unschedulable (e.g. the cloud provider's `uninitialized`). */
  readonly ignoreTaints: readonly string[];
  /** Every kube-system DaemonSet rolled out and available. */
  readonly checkDaemonSets: boolean;
  readonly daemonSetsTimeoutMs: number;
  /** Run the in-cluster connectivity probe pod (Cilium). */
  readonly connectivityProbe: boolean;
  readonly probeTimeoutMs: number;
  readonly probeAttemptTimeoutMs: number;
  readonly probeImage: string;
  readonly pollIntervalMs: number;
  /** Namespaces whose failing pods are reported when a check times out. */
  readonly podNamespaces: readonly string[];
  /** Deployments (`namespace/name`) that must be Available; an absent one is skipped (KSail's rule). */
  readonly deployments?: readonly string[];
  /** Admission webhook configurations whose every webhook must carry a CA bundle. */
  readonly webhookConfigurations?: readonly { readonly kind: "Validating" | "Mutating"; readonly name: string }[];
  /** Budget for the deployment and webhook checks. */
  readonly workloadsTimeoutMs?: number;
}

export const probePodName = "ksail-api-connectivity-check";

/**
 * The time source of the checks: deadlines and pauses go through it. Real time by default; tests pass a
 * virtual clock so that a deadline counts polls instead of depending on how loaded the machine is.
 */
export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

/** Wall-clock time and real timers. */
export const realClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
};

/** Thrown when the cluster is not ready in time; the message names what is not ready and why. */
export class NotReadyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "NotReadyError";
  }
}

/** The API server answers `/version` N times in a row. */
export async function waitApiServerStable(
  c: KubeClient,
  s: ReadinessSettings,
  log: (m: string) => void,
  clock: Clock = realClock,
): Promise<string> {
  const deadline = clock.now() + s.apiServerTimeoutMs;
  let streak = 0;
  let best = 0;
  let last = "no answer yet";
  let version = "";
  for (;;) {
    try {
      const r = await c.get("/version");
      if (r.status === 200) {
        streak++;
        version = String(r.body?.gitVersion ?? "");
      } else {
        streak = 0;
        last = describeResponse(r);
      }
    } catch (e) {
      streak = 0;
      last = (e as Error).message;
    }
    best = Math.max(best, streak);
    if (streak >= s.apiServerSuccesses) {
      log(`API server ${c.server} stable (${streak} consecutive /version successes, ${version || "version unknown"})`);
      return version;
    }
    if (clock.now() >= deadline) {
      throw new NotReadyError(
        `API server ${c.server} is not stable: needed ${s.apiServerSuccesses} consecutive /version successes within ${secs(s.apiServerTimeoutMs)}, ` +
          `best streak ${best}; last failure: ${last}.`,
      );
    }
    await clock.sleep(s.pollIntervalMs);
  }
}

interface NodeView {
  name: string;
  ready: boolean;
  readyReason: string;
  schedulable: boolean;
  blockers: string[];
  hasLabel: boolean;
}

function viewNode(n: any, s: ReadinessSettings): NodeView {
  const conds: any[] = n?.status?.conditions ?? [];
  const ready = conds.find((x) => x?.type === "Ready");
  const blockers: string[] = [];
  if (n?.spec?.unschedulable) blockers.push("cordoned");
  for (const t of n?.spec?.taints ?? []) {
    if ((t.effect === "NoSchedule" || t.effect === "NoExecute") && !s.ignoreTaints.includes(t.key))
      blockers.push(`taint ${t.key}:${t.effect}`);
  }
  return {
    name: String(n?.metadata?.name ?? "?"),
    ready: ready?.status === "True",
    readyReason: ready ? `${ready.reason ?? ready.status}${ready.message ? `: ${ready.message}` : ""}` : "no Ready condition",
    schedulable: blockers.length === 0,
    blockers,
    hasLabel: s.requireNodeLabel === undefined || (n?.metadata?.labels ?? {})[s.requireNodeLabel] !== undefined,
  };
}

/** Pods in `namespaces` that are not Running/Succeeded or have a waiting/crashing container, with reasons. */
export async function failingPods(c: KubeClient, namespaces: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (const ns of namespaces) {
    let r;
    try {
      r = await c.get(`/api/v1/namespaces/${ns}/pods`);
    } catch {
      continue;
    }
    if (r.status !== 200) continue;
    for (const p of r.body?.items ?? []) {
      const phase = String(p?.status?.phase ?? "Unknown");
      const reasons: string[] = [];
      for (const cs of [...(p?.status?.initContainerStatuses ?? []), ...(p?.status?.containerStatuses ?? [])]) {
        const w = cs?.state?.waiting;
        const t = cs?.state?.terminated;
        if (w?.reason) reasons.push(`${cs.name}: ${w.reason}${w.message ? ` (${w.message})` : ""}`);
        else if (t && t.exitCode !== 0) reasons.push(`${cs.name}: ${t.reason ?? "terminated"} exit ${t.exitCode}`);
      }
      if ((phase !== "Running" && phase !== "Succeeded") || reasons.length > 0) {
        const why = reasons.length > 0 ? reasons.join("; ") : (p?.status?.reason ?? p?.status?.message ?? "");
        out.push(`${ns}/${p?.metadata?.name} ${phase}${why ? ` — ${why}` : ""}`);
      }
    }
  }
  return out;
}

async function withPods(c: KubeClient, s: ReadinessSettings, message: string): Promise<never> {
  const pods = await failingPods(c, s.podNamespaces);
  throw new NotReadyError(pods.length > 0 ? `${message}\nFailing pods:\n  ${pods.join("\n  ")}` : message);
}

/** Every node Ready, at least one schedulable, and (optionally) every node labelled. */
export async function waitNodes(c: KubeClient, s: ReadinessSettings, log: (m: string) => void, clock: Clock = realClock): Promise<number> {
  const deadline = clock.now() + s.nodesTimeoutMs;
  let last: string;
  for (;;) {
    try {
      const r = await c.get("/api/v1/nodes");
      if (r.status === 200) {
        const nodes = ((r.body?.items ?? []) as any[]).map((n) => viewNode(n, s));
        const notReady = nodes.filter((n) => !n.ready);
        const unlabelled = nodes.filter((n) => !n.hasLabel);
        const schedulable = nodes.filter((n) => n.ready && n.schedulable);
        if (nodes.length > 0 && notReady.length === 0 && unlabelled.length === 0 && schedulable.length > 0) {
          log(`${nodes.length} node(s) Ready, ${schedulable.length} schedulable`);
          return nodes.length;
        }
        const parts: string[] = [];
        if (nodes.length === 0) parts.push("no nodes registered");
        if (notReady.length > 0) parts.push(`not Ready: ${notReady.map((n) => `${n.name} (${n.readyReason})`).join(", ")}`);
        if (unlabelled.length > 0) parts.push(`missing label ${s.requireNodeLabel}: ${unlabelled.map((n) => n.name).join(", ")}`);
        if (nodes.length > 0 && schedulable.length === 0)
          parts.push(`no schedulable node: ${nodes.map((n) => `${n.name} (${n.ready ? n.blockers.join(", ") : "not Ready"})`).join(", ")}`);
        last = parts.join("; ");
      } else {
        last = `listing nodes failed: ${describeResponse(r)}`;
      }
    } catch (e) {
      last = `listing nodes failed: ${(e as Error).message}`;
    }
    if (clock.now() >= deadline) return withPods(c, s, `Nodes not ready within ${secs(s.nodesTimeoutMs)}: ${last}.`);
    await clock.sleep(s.pollIntervalMs);
  }
}

/** Every kube-system DaemonSet with desired > 0 is fully updated and available. */
export async function waitDaemonSets(
  c: KubeClient,
  s: ReadinessSettings,
  log: (m: string) => void,
  clock: Clock = realClock,
): Promise<number> {
  const deadline = clock.now() + s.daemonSetsTimeoutMs;
  let last = "no answer yet";
  for (;;) {
    let r;
    try {
      r = await c.get("/apis/apps/v1/namespaces/kube-system/daemonsets");
    } catch (e) {
      r = undefined;
      last = `listing DaemonSets failed: ${(e as Error).message}`;
    }
    if (r && r.status === 200) {
      const pending: string[] = [];
      const items = (r.body?.items ?? []) as any[];
      for (const ds of items) {
        const st = ds?.status ?? {};
        // As `kubectl rollout status` judges a DaemonSet: nothing in its status counts until the DaemonSet
        // controller has observed the current spec (a just-created one has no status at all, so it reads as
        // "0 desired" before the controller has scheduled anything).
        const generation = Number(ds?.metadata?.generation ?? 0);
        const observed = Number(st.observedGeneration ?? 0);
        if (generation > observed) {
          pending.push(`${ds?.metadata?.name} (spec generation ${generation} not observed by the DaemonSet controller yet)`);
          continue;
        }
        const desired = Number(st.desiredNumberScheduled ?? 0);
        if (desired === 0) continue;
        const unavailable = Number(st.numberUnavailable ?? 0);
        const updated = Number(st.updatedNumberScheduled ?? 0);
        if (unavailable !== 0 || updated !== desired)
          pending.push(`${ds?.metadata?.name} (desired ${desired}, updated ${updated}, unavailable ${unavailable})`);
      }
      if (pending.length === 0) {
        log(`${items.length} kube-system DaemonSet(s) ready`);
        return items.length;
      }
      last = `DaemonSets not ready: ${pending.join(", ")}`;
    } else if (r) {
      // Throttling and server-side timeouts are retried; any other error is fatal.
      if (r.status !== 429 && r.status !== 504 && r.status !== 503) {
        throw new NotReadyError(`Listing kube-system DaemonSets failed: ${describeResponse(r)}.`);
      }
      last = `listing DaemonSets: ${describeResponse(r)}`;
    }
    if (clock.now() >= deadline) return withPods(c, s, `kube-system DaemonSets not ready within ${secs(s.daemonSetsTimeoutMs)}: ${last}.`);
    await clock.sleep(s.pollIntervalMs);
  }
}

async function deleteProbe(c: KubeClient, timeoutMs: number, pollMs: number, clock: Clock): Promise<void> {
  const path = `/api/v1/namespaces/default/pods/${probePodName}`;
  const deadline = clock.now() + timeoutMs;
  await c
    .request("DELETE", `${path}?gracePeriodSeconds=0`, { kind: "DeleteOptions", apiVersion: "v1", gracePeriodSeconds: 0 })
    .catch(() => undefined);
  while (clock.now() < deadline) {
    const r = await c.get(path).catch(() => undefined);
    if (r && r.status === 404) return;
    await clock.sleep(pollMs);
  }
}

function podReason(p: any): string {
  const cs = (p?.status?.containerStatuses ?? [])[0];
  const w = cs?.state?.waiting;
  const t = cs?.state?.terminated;
  if (w?.reason) return `${w.reason}${w.message ? ` (${w.message})` : ""}`;
  if (t) return `${t.reason ?? "terminated"} exit ${t.exitCode}`;
  const sched = (p?.status?.conditions ?? []).find((x: any) => x?.type === "PodScheduled" && x?.status !== "True");
  if (sched) return `unschedulable: ${sched.message ?? sched.reason}`;
  return String(p?.status?.phase ?? "no status");
}

/** A pod reaches the `kubernetes` Service's ClusterIP on 443 from inside the cluster (Cilium datapath). */
export async function runConnectivityProbe(
  c: KubeClient,
  s: ReadinessSettings,
  log: (m: string) => void,
  clock: Clock = realClock,
): Promise<void> {
  const svc = await c.get("/api/v1/namespaces/default/services/kubernetes");
  if (svc.status !== 200) throw new NotReadyError(`Reading Service default/kubernetes failed: ${describeResponse(svc)}.`);
  const clusterIP = String(svc.body?.spec?.clusterIP ?? "");
  const deadline = clock.now() + s.probeTimeoutMs;
  let attempt = 0;
  let last = "not run";
  const pod = {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: probePodName, namespace: "default", labels: { "app.kubernetes.io/managed-by": "ksail" } },
    spec: {
      restartPolicy: "Never",
      terminationGracePeriodSeconds: 0,
      tolerations: [{ operator: "Exists" }],
      containers: [{ name: "probe", image: s.probeImage, command: ["sh", "-c", `nc -w 5 ${clusterIP} 443 </dev/null`] }],
    },
  };
  try {
    while (clock.now() < deadline) {
      attempt++;
      await deleteProbe(c, 10_000, s.pollIntervalMs, clock);
      const created = await c.request("POST", "/api/v1/namespaces/default/pods", pod);
      if (created.status !== 201 && created.status !== 200) {
        last = `creating the probe pod failed: ${describeResponse(created)}`;
        await clock.sleep(s.pollIntervalMs);
        continue;
      }
      const attemptEnd = Math.min(deadline, clock.now() + s.probeAttemptTimeoutMs);
      let outcome: "ok" | "failed" | "timeout" = "timeout";
      while (clock.now() < attemptEnd) {
        const r = await c.get(`/api/v1/namespaces/default/pods/${probePodName}`);
        if (r.status === 200) {
          const phase = r.body?.status?.phase;
          last = `attempt ${attempt}: ${podReason(r.body)}`;
          if (phase === "Succeeded") {
            outcome = "ok";
            break;
          }
          if (phase === "Failed") {
            outcome = "failed";
            break;
          }
        }
        await clock.sleep(s.pollIntervalMs);
      }
      if (outcome === "ok") {
        log(`in-cluster connectivity to ${clusterIP}:443 ok (attempt ${attempt})`);
        return;
      }
      log(`connectivity probe ${outcome} (${last}); retrying`);
      // Pause before the next attempt: a pod that fails at once must not turn this into a busy loop.
      await clock.sleep(s.pollIntervalMs);
    }
  } finally {
    await deleteProbe(c, 10_000, s.pollIntervalMs, clock).catch(() => undefined);
  }
  throw new NotReadyError(
    `In-cluster connectivity probe (pod default/${probePodName}, ${s.probeImage}, nc ${clusterIP}:443) did not succeed within ${secs(s.probeTimeoutMs)} after ${attempt} attempt(s); last: ${last}.`,
  );
}

/** Listed Deployments Available (absent ones skipped) and webhook configurations with CA bundles injected. */
export async function waitWorkloads(
  c: KubeClient,
  s: ReadinessSettings,
  log: (m: string) => void,
  clock: Clock = realClock,
): Promise<void> {
  const deadline = clock.now() + (s.workloadsTimeoutMs ?? 300_000);
  for (;;) {
    const pending: string[] = [];
    for (const ref of s.deployments ?? []) {
      const [ns, name] = ref.split("/");
      let r;
      try {
        r = await c.get(`/apis/apps/v1/namespaces/${ns}/deployments/${name}`);
      } catch (e) {
        pending.push(`Deployment ${ref}: ${(e as Error).message}`);
        continue;
      }
      if (r.status === 404) continue;
      if (r.status !== 200) {
        pending.push(`Deployment ${ref}: ${describeResponse(r)}`);
        continue;
      }
      const available = (r.body?.status?.conditions ?? []).find((x: any) => x?.type === "Available");
      if (available?.status !== "True")
        pending.push(
          `Deployment ${ref} not Available (${available ? `${available.reason ?? ""} ${available.message ?? ""}`.trim() : "no Available condition"})`,
        );
    }
    for (const w of s.webhookConfigurations ?? []) {
      const kind = w.kind === "Validating" ? "validatingwebhookconfigurations" : "mutatingwebhookconfigurations";
      let r;
      try {
        r = await c.get(`/apis/admissionregistration.k8s.io/v1/${kind}/${w.name}`);
      } catch (e) {
        pending.push(`${w.kind}WebhookConfiguration ${w.name}: ${(e as Error).message}`);
        continue;
      }
      if (r.status !== 200) {
        pending.push(`${w.kind}WebhookConfiguration ${w.name}: ${r.status === 404 ? "not found" : describeResponse(r)}`);
        continue;
      }
      const missing = ((r.body?.webhooks ?? []) as any[]).filter((h) => !h?.clientConfig?.caBundle).map((h) => h?.name);
      if ((r.body?.webhooks ?? []).length === 0) pending.push(`${w.kind}WebhookConfiguration ${w.name} has no webhooks yet`);
      else if (missing.length > 0) pending.push(`${w.kind}WebhookConfiguration ${w.name}: no CA bundle yet on ${missing.join(", ")}`);
    }
    if (pending.length === 0) {
      if ((s.deployments ?? []).length + (s.webhookConfigurations ?? []).length > 0) log("deployments and admission webhooks ready");
      return;
    }
    if (clock.now() >= deadline)
      return withPods(c, s, `Workloads not ready within ${secs(s.workloadsTimeoutMs ?? 300_000)}: ${pending.join("; ")}.`);
    await clock.sleep(s.pollIntervalMs);
  }
}
