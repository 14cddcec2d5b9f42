/**
 * TalosBootstrap provider logic (loaded by the trampoline in talosBootstrap.ts; never serialized).
 * Bootstrap etcd once on the first control plane, idempotently: `AlreadyExists` counts as success,
 * `FailedPrecondition` ("bootstrap is not available yet", "time is not in sync yet") and `Unavailable`
 * are retried; then wait until the node serves a kubeconfig (the Kubernetes control plane is up).
 */
import { Code, TalosClient, hasCode, type TalosApiError } from "../clients/talos";
import { UNKNOWN } from "../impact/unknown";
import { seconds } from "../errors";

export interface TalosBootstrapInputs {
  readonly node: { readonly name: string; readonly endpoint: string; readonly address?: string };
  readonly talosconfig: string;
  readonly timeouts?: { readonly bootstrapSeconds?: number; readonly readySeconds?: number };
}

const log = (node: string, msg: string) => console.log(`[ksail] TalosBootstrap ${node}: ${msg}`);

const KEYS = ["node", "talosconfig", "timeouts"] as const;

async function ensure(i: TalosBootstrapInputs): Promise<{ bootstrap: "fresh" | "already" }> {
  const name = i.node.name;
  const bootstrapMs = (i.timeouts?.bootstrapSeconds ?? 600) * 1000;
  const readyMs = (i.timeouts?.readySeconds ?? 900) * 1000;
  const c = new TalosClient({ endpoint: i.node.endpoint, talosconfig: i.talosconfig, node: i.node.address, timeoutMs: 30_000 });
  try {
    let bootstrap: "fresh" | "already" = "fresh";
    try {
      log(name, "bootstrapping etcd");
      await c.bootstrap(
        {},
        {
          retry: {
            deadlineMs: bootstrapMs,
            initialDelayMs: 1_000,
            maxDelayMs: 10_000,
            retryOn: [Code.UNAVAILABLE, Code.FAILED_PRECONDITION],
            // A worker answers FailedPrecondition too, and never will bootstrap: fail at once.
            shouldRetry: (e) => !/worker|not a control ?plane/i.test(e.message),
            onRetry: (e, n) => log(name, `not ready to bootstrap yet (attempt ${n}): ${(e as TalosApiError).details ?? e.message}`),
          },
        },
      );
      log(name, "etcd bootstrapped");
    } catch (e) {
      if (!hasCode(e, Code.ALREADY_EXISTS)) throw new Error(`${name}: bootstrap failed: ${(e as Error).message}`, { cause: e });
      bootstrap = "already";
      log(name, "already bootstrapped (etcd data directory is not empty)");
    }
    log(name, "waiting for the control plane to serve a kubeconfig");
    const kubeconfig = await c
      .kubeconfig({
        timeoutMs: 30_000,
        retry: {
          deadlineMs: readyMs,
          initialDelayMs: 1_000,
          maxDelayMs: 10_000,
          retryOn: [Code.UNAVAILABLE, Code.FAILED_PRECONDITION, Code.DEADLINE_EXCEEDED, Code.UNKNOWN],
        },
      })
      .catch((e: Error) => {
        throw new Error(`${name}: the control plane did not serve a kubeconfig within ${seconds(readyMs)}: ${e.message}`);
      });
    if (!/kind:\s*Config/.test(kubeconfig)) throw new Error(`${name}: the Kubeconfig API returned something that is not a kubeconfig`);
    log(name, "kubeconfig served: the control plane is up");
    return { bootstrap };
  } finally {
    c.close();
  }
}

export const handler = {
  async check(_olds: unknown, news: TalosBootstrapInputs) {
    const failures: { property: string; reason: string }[] = [];
    if (!news.node || (typeof news.node !== "object" && news.node !== UNKNOWN))
      failures.push({ property: "node", reason: "node is required: {name, endpoint, address?} of the first control plane" });
    if (typeof news.talosconfig !== "string" || news.talosconfig === "")
      failures.push({ property: "talosconfig", reason: "talosconfig is required" });
    return { inputs: news, failures };
  },

  async diff(_id: string, olds: Record<string, unknown>, news: Record<string, unknown>) {
    const changes = KEYS.some((k) => JSON.stringify(olds[k] ?? null) !== JSON.stringify(news[k] ?? null));
    return { changes, replaces: [] as string[], deleteBeforeReplace: false };
  },

  async create(inputs: TalosBootstrapInputs) {
    const r = await ensure(inputs);
    return { id: `${inputs.node.name}-bootstrap`, outs: { ...inputs, bootstrap: r.bootstrap } };
  },

  /** Re-ensure (idempotent): a changed endpoint or credential is verified against the running cluster. */
  async update(_id: string, _olds: unknown, news: TalosBootstrapInputs) {
    const r = await ensure(news);
    return { outs: { ...news, bootstrap: r.bootstrap } };
  },

  async delete(_id: string, props: TalosBootstrapInputs) {
    log(props.node?.name ?? _id, "nothing to undo (etcd goes away with the control plane)");
  },
};
