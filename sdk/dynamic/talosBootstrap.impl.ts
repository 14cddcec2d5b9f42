/**
 * TalosBootstrap provider logic (loaded by the trampoline in talosBootstrap.ts; never serialized).
 *
 * Bootstrap etcd exactly once. Talos's Bootstrap RPC only checks that the node's etcd data directory is empty and
 * then starts a NEW single-member cluster (siderolabs/talos internal/app/machined/internal/server/v1alpha1
 * `Bootstrap`), so a second call on a reset, re-created or still-joining first control plane would split etcd in
 * two. Therefore:
 * - create asks every control plane it knows (the first one and `peers`) whether etcd already runs there; if one
 *   does, it does not bootstrap and says why (the first control plane joins that cluster by itself);
 * - update never bootstraps: it only verifies that etcd runs (a renewed talosconfig or a new endpoint must not
 *   start a second cluster).
 * Then it waits for the control plane: the first node's own etcd member healthy and, with a kubeconfig, the
 * Kubernetes API server ready (`/readyz`); without one, the node serving a kubeconfig (which only shows that the
 * control-plane config is there).
 */
import { seconds } from "../errors";
import { Code, hasCode, type TalosApiError } from "../clients/talos";
import { NodeApi, describeRoute, routeOf } from "../clients/talos/route";
import { KubeClient, describeResponse } from "../clients/kubernetes";
import { kubeconfigClientCert } from "../pki/kubeconfig";
import { UNKNOWN, containsUnknown } from "../impact/unknown";

export interface TalosBootstrapInputs {
  readonly node: { readonly name: string; readonly endpoint: string; readonly address?: string; readonly via?: readonly string[] };
  /** Addresses of the other control planes, routed through the first one's endpoint. */
  readonly peers?: readonly string[];
  readonly talosconfig: string;
  readonly kubeconfig?: string;
  readonly timeouts?: { readonly bootstrapSeconds?: number; readonly readySeconds?: number };
}

const log = (node: string, msg: string) => console.log(`[ksail] TalosBootstrap ${node}: ${msg}`);

const KEYS = ["node", "peers", "talosconfig", "kubeconfig", "timeouts", "drift"] as const;

const budgets = (i: TalosBootstrapInputs) => ({
  bootstrapMs: (i.timeouts?.bootstrapSeconds ?? 600) * 1000,
  readyMs: (i.timeouts?.readySeconds ?? 900) * 1000,
});

const apiOf = (i: TalosBootstrapInputs) => new NodeApi(routeOf(i.node), { talosconfig: i.talosconfig, timeoutMs: 30_000 });

/** Control planes (the first one, then the peers) whose etcd already has members, with what they report. */
async function runningEtcd(api: NodeApi, i: TalosBootstrapInputs): Promise<{ where: string; members: string[] }[]> {
  const found: { where: string; members: string[] }[] = [];
  const targets: (string | undefined)[] = [undefined, ...(i.peers ?? [])];
  for (const node of targets) {
    try {
      const members = await api.run((c, o) => c.etcdMemberList({ queryLocal: true }, node ? { ...o, node } : o), {
        maxAttempts: api.route.endpoints.length,
      });
      if (members.length > 0) found.push({ where: node ?? i.node.name, members: members.map((m) => m.hostname || m.id) });
    } catch {
      // no etcd there (not bootstrapped, not joined, or the node is not up yet)
    }
  }
  return found;
}

/** Wait until the first control plane's own etcd member answers and the Kubernetes API server is ready. */
async function waitControlPlane(api: NodeApi, i: TalosBootstrapInputs): Promise<void> {
  const name = i.node.name;
  const { readyMs } = budgets(i);
  const retry = {
    deadlineMs: readyMs,
    initialDelayMs: 1_000,
    maxDelayMs: 10_000,
    retryOn: [Code.UNAVAILABLE, Code.FAILED_PRECONDITION, Code.DEADLINE_EXCEEDED],
  };
  log(name, "waiting for etcd on the node");
  await api
    .run((c, o) => c.etcdMemberList({ queryLocal: true }, o), retry)
    .catch((e: Error) => {
      throw new Error(`${name}: etcd did not come up within ${seconds(readyMs)}: ${e.message}`);
    });
  if (i.kubeconfig) {
    log(name, "waiting for the Kubernetes API server (/readyz)");
    const kube = new KubeClient(kubeconfigClientCert(i.kubeconfig), 10_000);
    const deadline = Date.now() + readyMs;
    for (let delay = 1_000; ; delay = Math.min(10_000, delay * 2)) {
      let last: string;
      try {
        const r = await kube.get("/readyz");
        if (r.status === 200) break;
        last = describeResponse(r);
      } catch (e) {
        last = (e as Error).message;
      }
      if (Date.now() + delay > deadline)
        throw new Error(`${name}: the Kubernetes API server was not ready within ${seconds(readyMs)}: ${last}`);
      await new Promise((r) => setTimeout(r, delay));
    }
    log(name, "the Kubernetes API server is ready");
    return;
  }
  log(name, "waiting for the control plane to serve a kubeconfig (no kubeconfig given to check the API server itself)");
  const kubeconfig = await api
    .run((c, o) => c.kubeconfig({ ...o, timeoutMs: 30_000 }), { ...retry, retryOn: [...retry.retryOn, Code.UNKNOWN] })
    .catch((e: Error) => {
      throw new Error(`${name}: the control plane did not serve a kubeconfig within ${seconds(readyMs)}: ${e.message}`);
    });
  if (!/kind:\s*Config/.test(kubeconfig)) throw new Error(`${name}: the Kubeconfig API returned something that is not a kubeconfig`);
}

async function bootstrapOnce(i: TalosBootstrapInputs): Promise<{ bootstrap: "fresh" | "already" }> {
  const name = i.node.name;
  const api = apiOf(i);
  try {
    let bootstrap: "fresh" | "already" = "fresh";
    const running = await runningEtcd(api, i);
    if (running.length > 0) {
      bootstrap = "already";
      log(
        name,
        `not bootstrapping: etcd already runs on ${running.map((r) => `${r.where} (members ${r.members.join(", ")})`).join("; ")}. ` +
          `Bootstrapping ${name} again would start a second etcd cluster; it joins the existing one by itself.`,
      );
    } else {
      try {
        log(name, `bootstrapping etcd through ${describeRoute(api.route)}`);
        await api.run((c, o) => c.bootstrap({}, o), {
          deadlineMs: budgets(i).bootstrapMs,
          initialDelayMs: 1_000,
          maxDelayMs: 10_000,
          retryOn: [Code.UNAVAILABLE, Code.FAILED_PRECONDITION],
          onRetry: (e, n) => log(name, `not ready to bootstrap yet (attempt ${n}): ${(e as TalosApiError).details ?? e.message}`),
        });
        log(name, "etcd bootstrapped");
      } catch (e) {
        if (hasCode(e, Code.UNIMPLEMENTED))
          throw new Error(`${name}: bootstrap failed: ${(e as Error).message} (bootstrap a control plane)`, { cause: e });
        if (!hasCode(e, Code.ALREADY_EXISTS)) throw new Error(`${name}: bootstrap failed: ${(e as Error).message}`, { cause: e });
        bootstrap = "already";
        log(name, "already bootstrapped (etcd data directory is not empty)");
      }
    }
    await waitControlPlane(api, i);
    return { bootstrap };
  } finally {
    api.close();
  }
}

/** Update and refresh: etcd must run somewhere; never bootstrap again. */
async function verify(i: TalosBootstrapInputs): Promise<void> {
  const api = apiOf(i);
  try {
    const running = await runningEtcd(api, i);
    if (running.length === 0) {
      throw new Error(
        `${i.node.name}: etcd runs on none of the control planes (${[i.node.name, ...(i.peers ?? [])].join(", ")}). ` +
          "This resource never bootstraps a cluster that was bootstrapped before (a second bootstrap would split etcd); " +
          "restore etcd from a snapshot (talosctl bootstrap --recover-from) or recreate the cluster.",
      );
    }
    await waitControlPlane(api, i);
  } finally {
    api.close();
  }
}

export const handler = {
  async check(_olds: unknown, news: TalosBootstrapInputs) {
    const failures: { property: string; reason: string }[] = [];
    if (!news.node || (typeof news.node !== "object" && news.node !== UNKNOWN))
      failures.push({ property: "node", reason: "node is required: {name, endpoint, address?, via?} of the first control plane" });
    else if (!containsUnknown(news.node) && (news.node.via?.length ?? 0) > 0 && !news.node.address)
      failures.push({ property: "node", reason: "node.via routes through other control planes, so node.address is required" });
    if (typeof news.talosconfig !== "string" || news.talosconfig === "")
      failures.push({ property: "talosconfig", reason: "talosconfig is required" });
    return { inputs: news, failures };
  },

  async diff(_id: string, olds: Record<string, unknown>, news: Record<string, unknown>) {
    const changes = KEYS.some((k) => JSON.stringify(olds[k] ?? null) !== JSON.stringify(news[k] ?? null));
    return { changes, replaces: [] as string[], deleteBeforeReplace: false };
  },

  async create(inputs: TalosBootstrapInputs) {
    const r = await bootstrapOnce(inputs);
    return { id: `${inputs.node.name}-bootstrap`, outs: { ...inputs, bootstrap: r.bootstrap } };
  },

  /** Verify only: a changed endpoint or credential is checked against the running cluster; never a second bootstrap. */
  async update(_id: string, olds: Record<string, unknown>, news: TalosBootstrapInputs) {
    await verify(news);
    const { drift: _repaired, ...rest } = news as TalosBootstrapInputs & { drift?: unknown };
    return { outs: { ...rest, bootstrap: olds.bootstrap ?? "already" } };
  },

  /** Refresh: whether etcd still runs on any control plane; when not, `drift` makes the next update say what to do. */
  async read(id: string, props: TalosBootstrapInputs & Record<string, unknown>) {
    if (!props?.node || typeof props.talosconfig !== "string") return { id, props };
    const api = new NodeApi(routeOf(props.node), { talosconfig: props.talosconfig, timeoutMs: 10_000 });
    try {
      // Only when the first control plane itself answers: a node that is down proves nothing.
      await api.run((c, o) => c.version(o), { maxAttempts: 2 * api.route.endpoints.length, initialDelayMs: 200 });
      const running = await runningEtcd(api, props);
      const { drift: _old, ...rest } = props;
      if (running.length > 0) return { id, props: { ...rest, etcdMembers: running[0].members } };
      log(props.node.name, "drift: etcd runs on none of the known control planes");
      return { id, props: { ...rest, etcdMembers: [], drift: { etcd: "not running on any control plane" } } };
    } catch (e) {
      log(props.node.name, `refresh could not read the node (state kept): ${(e as Error).message}`);
      return { id, props };
    } finally {
      api.close();
    }
  },

  async delete(_id: string, props: TalosBootstrapInputs) {
    log(props.node?.name ?? _id, "nothing to undo (etcd goes away with the control plane)");
  },
};
