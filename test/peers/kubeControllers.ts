// Stand-ins for the controllers a real cluster runs and the real kube-apiserver peer does not (no
// kube-controller-manager, no cloud controller, no operators): each does the one thing the tests rely on, through
// the API server's own endpoints, so the API server still applies its rules (admission, CRD schemas and CEL rules,
// status subresources, finalizers). What each stands for is named on it.
import type { RealKubeApiServer } from "./kubeApiserver";

export interface ControllerLoop {
  /** Stops the loop (waits for the current pass). */
  stop(): Promise<void>;
  /** Errors a pass hit (a stand-in must not fail silently). */
  readonly errors: string[];
}

export interface StandIns {
  /** Cloud controller / LoadBalancer implementation: gives LoadBalancer Services of these namespaces this ingress IP. */
  readonly loadBalancerIp?: string;
  /** An operator step: called with every object of `list` (a collection URL) until it returns true once per object. */
  readonly operators?: readonly { list: string; reconcile: (obj: any) => Promise<boolean> }[];
  /** Namespaces whose objects the garbage collector and the namespace controller look after. */
  readonly namespaces: readonly string[];
  /** Collections (relative to /api/v1/namespaces/<ns>/ or a full group path with `{ns}`) the collectors look at. */
  readonly collections: readonly string[];
}

/**
 * Runs the stand-ins every 150 ms:
 * - the cloud controller's LoadBalancer: `status.loadBalancer.ingress[0].ip` on LoadBalancer Services;
 * - operators (test-provided reconcile steps, e.g. k3k's controller writing its kubeconfig Secret and status);
 * - kube-controller-manager's garbage collector for an object deleted with foreground propagation (how the
 *   Kubernetes provider deletes): with no dependents, the `foregroundDeletion` finalizer is removed;
 * - its namespace controller: a Terminating namespace's remaining objects are deleted, then the `kubernetes`
 *   finalizer is removed through `/finalize` (and, once it is empty, the namespace's own `foregroundDeletion`).
 */
export function runStandIns(api: RealKubeApiServer, s: StandIns): ControllerLoop {
  const errors: string[] = [];
  const done = new Set<string>();
  let on = true;
  const json = async (method: string, p: string, body?: unknown, type?: string) => {
    const r = await api.request(method, p, body, type);
    // 404/409: raced with the API server or the program; 429: the API server is still warming up (retried next pass).
    if (r.status >= 400 && r.status !== 404 && r.status !== 409 && r.status !== 429)
      errors.push(`${method} ${p}: ${r.status} ${r.body.slice(0, 300)}`);
    try {
      return { status: r.status, body: JSON.parse(r.body) };
    } catch {
      return { status: r.status, body: {} as any };
    }
  };
  const url = (collection: string, ns: string) =>
    collection.includes("{ns}") ? collection.replace("{ns}", ns) : `/api/v1/namespaces/${ns}/${collection}`;

  const pass = async () => {
    for (const ns of s.namespaces) {
      if (s.loadBalancerIp) {
        const services = await json("GET", `/api/v1/namespaces/${ns}/services`);
        for (const svc of services.body.items ?? []) {
          if (svc.spec?.type === "LoadBalancer" && !svc.status?.loadBalancer?.ingress?.length && !svc.metadata.deletionTimestamp) {
            await json("PATCH", `/api/v1/namespaces/${ns}/services/${svc.metadata.name}/status`, {
              status: { loadBalancer: { ingress: [{ ip: s.loadBalancerIp, ipMode: "VIP" }] } },
            });
          }
        }
      }
      for (const c of s.collections) {
        const list = await json("GET", url(c, ns));
        for (const o of list.body.items ?? []) {
          const m = o.metadata;
          if (m.deletionTimestamp && (m.finalizers ?? []).includes("foregroundDeletion")) {
            await json("PATCH", `${url(c, ns)}/${m.name}`, { metadata: { finalizers: null } }, "application/merge-patch+json");
          }
        }
      }
      const n = await json("GET", `/api/v1/namespaces/${ns}`);
      if (n.status === 200 && n.body.metadata?.deletionTimestamp) {
        let left = 0;
        for (const c of s.collections) {
          const list = await json("GET", url(c, ns));
          for (const o of list.body.items ?? []) {
            left++;
            await json("DELETE", `${url(c, ns)}/${o.metadata.name}`);
          }
        }
        if (n.body.spec?.finalizers?.length)
          await json("PUT", `/api/v1/namespaces/${ns}/finalize`, { ...n.body, spec: { finalizers: [] } });
        // The garbage collector's part for the namespace itself (deleted with foreground propagation): once empty.
        if (left === 0 && (n.body.metadata.finalizers ?? []).includes("foregroundDeletion")) {
          await json("PATCH", `/api/v1/namespaces/${ns}`, { metadata: { finalizers: null } }, "application/merge-patch+json");
        }
      }
    }
    for (const op of s.operators ?? []) {
      const list = await json("GET", op.list);
      for (const o of list.body.items ?? []) {
        const key = `${op.list}|${o.metadata.namespace}/${o.metadata.name}|${o.metadata.uid}`;
        if (done.has(key) || o.metadata.deletionTimestamp) continue;
        if (await op.reconcile(o)) done.add(key);
      }
    }
  };

  const loop = (async () => {
    while (on) {
      await pass().catch((e: Error) => errors.push(e.message));
      await new Promise((r) => setTimeout(r, 150));
    }
  })();
  return {
    errors,
    stop: async () => {
      on = false;
      await loop;
    },
  };
}
