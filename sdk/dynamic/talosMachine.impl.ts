/**
 * TalosMachine provider logic (loaded by the trampoline in talosMachine.ts; never serialized).
 * create: wait for the API, apply the config (insecurely in maintenance mode when the node has none).
 * update: NO_REBOOT for live changes; STAGED + reboot (Docker: container restart) for reboot-required
 * ones, with health gates before and after; Upgrade when the installer image changes (hcloud/metal).
 * delete: control planes leave etcd, hcloud/metal nodes are reset; nothing on Docker.
 */
import { classifyMachineConfigChange } from "../distributions/talos/classify";
import { Code, TalosApiError, TalosClient, hasCode, type ApplyMode } from "../clients/talos";
import { restartContainer, waitContainerRunning } from "../clients/dockerEngine";
import { containsUnknown } from "../impact/unknown";
import { type TalosMachineInputs, classifyMachineChange, groupInputs, machineDiff, updateAction } from "./talosMachine.plan";
import { seconds } from "../errors";

const log = (node: string, msg: string) => console.log(`[ksail] TalosMachine ${node}: ${msg}`);

function budgets(i: TalosMachineInputs) {
  return { apiMs: (i.timeouts?.apiSeconds ?? 600) * 1000, rebootMs: (i.timeouts?.rebootSeconds ?? 900) * 1000 };
}

function client(i: TalosMachineInputs, opts: { insecure?: boolean; deadlineMs?: number } = {}): TalosClient {
  return new TalosClient({
    endpoint: i.node.endpoint,
    talosconfig: opts.insecure ? undefined : i.talosconfig,
    insecure: opts.insecure,
    node: i.node.address,
    timeoutMs: 15_000,
    retry: { deadlineMs: opts.deadlineMs ?? 60_000, initialDelayMs: 500, maxDelayMs: 5_000 },
  });
}

/**
 * Wait until the node answers Version and, for a control plane with `etcd`, lists etcd members (the
 * health gate that keeps quorum when machines reboot one after the other).
 */
async function waitHealthy(
  i: TalosMachineInputs,
  what: string,
  budgetMs: number,
  o: { insecure?: boolean; etcd?: boolean } = {},
): Promise<string> {
  const insecure = o.insecure === true;
  const started = Date.now();
  const c = client(i, { insecure, deadlineMs: budgetMs });
  try {
    const v = await c.version().catch((e: Error) => {
      throw new Error(
        `${i.node.name}: the Talos API at ${i.node.endpoint} did not answer within ${seconds(budgetMs)} (${what}): ${e.message}`,
      );
    });
    if (i.node.role === "controlplane" && !insecure && o.etcd !== false) {
      const left = Math.max(5_000, budgetMs - (Date.now() - started));
      const members = await c
        .etcdMemberList(
          {},
          { retry: { deadlineMs: left, initialDelayMs: 500, maxDelayMs: 5_000, retryOn: [Code.UNAVAILABLE, Code.FAILED_PRECONDITION] } },
        )
        .catch((e: Error) => {
          throw new Error(`${i.node.name}: etcd is not healthy (${what}) within ${seconds(budgetMs)}: ${e.message}`);
        });
      if (members.some((m) => m.isLearner))
        log(
          i.node.name,
          `etcd has learner members: ${members
            .filter((m) => m.isLearner)
            .map((m) => m.hostname)
            .join(", ")}`,
        );
    }
    return v.tag;
  } finally {
    c.close();
  }
}

/** After a Reboot/Upgrade RPC: wait for the node to go down (briefly), then to come back healthy. */
async function waitReboot(i: TalosMachineInputs, what: string, etcd = true): Promise<string> {
  const { rebootMs } = budgets(i);
  const c = client(i, { deadlineMs: 1 });
  const downBy = Date.now() + Math.min(60_000, rebootMs / 4);
  let wentDown = false;
  try {
    while (Date.now() < downBy) {
      try {
        await c.version({ timeoutMs: 3_000, retry: { maxAttempts: 1 } });
        await new Promise((r) => setTimeout(r, 500));
      } catch {
        wentDown = true;
        break;
      }
    }
  } finally {
    c.close();
  }
  if (!wentDown) log(i.node.name, `did not observe the node going down after ${what}; continuing with the health check`);
  return waitHealthy(i, `after ${what}`, rebootMs, { etcd });
}

async function apply(i: TalosMachineInputs, mode: ApplyMode, insecure = false): Promise<ApplyMode> {
  const c = client(i, { insecure, deadlineMs: budgets(i).apiMs });
  try {
    const r = await c.applyConfiguration({ data: i.config, mode });
    for (const w of r.warnings) log(i.node.name, `warning from Talos: ${w}`);
    return r.mode;
  } finally {
    c.close();
  }
}

/**
 * One disruptive operation (reboot, upgrade) at a time per provider process: the engine runs every
 * dynamic resource of a `pulumi up` in one provider host, so machines updated in parallel queue here.
 * Inside the lock the node's own health gate runs again, after the previous node came back.
 */
let disruptiveQueue: Promise<unknown> = Promise.resolve();
function disruptive<T>(i: TalosMachineInputs, what: string, fn: () => Promise<T>): Promise<T> {
  const run = disruptiveQueue.then(async () => {
    log(i.node.name, `${what}: health gate`);
    await waitHealthy(i, `before the ${what}`, budgets(i).apiMs);
    return fn();
  });
  disruptiveQueue = run.catch(() => undefined);
  return run;
}

/** Reboot (Docker: restart the container) and wait until healthy; returns the reported version tag. */
function reboot(i: TalosMachineInputs): Promise<string> {
  return disruptive(i, "reboot", () => rebootNow(i));
}

async function rebootNow(i: TalosMachineInputs): Promise<string> {
  if (i.node.platform === "docker") {
    const name = i.node.containerName ?? i.node.name;
    log(i.node.name, `restarting container ${name} (Talos cannot reboot inside a container)`);
    await restartContainer(name, 30);
    await waitContainerRunning(name, budgets(i).rebootMs);
    return waitHealthy(i, "after the container restart", budgets(i).rebootMs);
  }
  const c = client(i);
  try {
    if (i.node.role === "controlplane") {
      await c
        .etcdForfeitLeadership()
        .catch((e: Error) => log(i.node.name, `could not hand over etcd leadership (continuing): ${e.message}`));
    }
    log(i.node.name, "rebooting");
    await c.reboot();
  } finally {
    c.close();
  }
  return waitReboot(i, "reboot");
}

export const handler = {
  async check(olds: Partial<TalosMachineInputs>, news: TalosMachineInputs) {
    const failures: { property: string; reason: string }[] = [];
    const n = news.node;
    if (n === undefined || n === null || (typeof n !== "object" && !containsUnknown(n)))
      failures.push({ property: "node", reason: "node is required: {name, role, platform, endpoint}" });
    else if (!containsUnknown(n)) {
      if (!["controlplane", "worker"].includes(n.role))
        failures.push({ property: "node", reason: `node.role "${n.role}" must be "controlplane" or "worker"` });
      if (!["docker", "hcloud", "metal"].includes(n.platform))
        failures.push({ property: "node", reason: `node.platform "${n.platform}" must be "docker", "hcloud" or "metal"` });
      if (!n.endpoint) failures.push({ property: "node", reason: "node.endpoint is required: the apid host[:port] to dial" });
    }
    if (typeof news.config !== "string" || news.config === "")
      failures.push({ property: "config", reason: "config (the machine config YAML) is required" });
    if (failures.length > 0) return { inputs: news, failures };
    try {
      return { inputs: groupInputs(olds, news, classifyMachineConfigChange) };
    } catch (e) {
      return { inputs: news, failures: [{ property: "config", reason: (e as Error).message }] };
    }
  },

  async diff(id: string, olds: Record<string, unknown>, news: Record<string, unknown>) {
    const d = machineDiff(olds, news);
    if (d.changes) {
      const c = classifyMachineChange(
        olds as Partial<TalosMachineInputs>,
        news as unknown as TalosMachineInputs,
        classifyMachineConfigChange,
      );
      const cls =
        d.replaces.length > 0 ? "recreate-required" : c.kind === "reboot" || c.kind === "unknown" ? "reboot-required" : "in-place";
      console.error(
        `KSAIL-IMPACT TalosMachine ${String((news.node as { name?: string })?.name ?? id)}: ${cls}${c.reasons.length ? `\n  ${c.reasons.join("\n  ")}` : ""}`,
      );
    }
    return d;
  },

  async create(inputs: TalosMachineInputs) {
    const name = inputs.node.name;
    const { apiMs } = budgets(inputs);
    let mode: ApplyMode;
    let tag: string;
    // No etcd gate on create: etcd starts only after TalosBootstrap, which depends on this machine.
    if (inputs.maintenance) {
      log(name, `waiting for the maintenance-mode API at ${inputs.node.endpoint}`);
      await waitHealthy(inputs, "maintenance mode", apiMs, { insecure: true });
      log(name, "applying the first config insecurely (maintenance mode); the node installs and reboots");
      mode = await apply(inputs, "AUTO", true);
      tag = await waitReboot(inputs, "the first apply (install)", false);
    } else {
      log(name, `waiting for the Talos API at ${inputs.node.endpoint}`);
      tag = await waitHealthy(inputs, "create", apiMs, { etcd: false });
      mode = await apply(inputs, "AUTO");
      log(name, `config applied (${mode})`);
      if (mode === "REBOOT") tag = await waitReboot(inputs, "the first apply", false);
    }
    return { id: name, outs: { ...inputs, appliedMode: mode, talosVersionReported: tag, lastChange: "create" } };
  },

  async update(_id: string, olds: TalosMachineInputs & Record<string, unknown>, news: TalosMachineInputs) {
    const name = news.node.name;
    const c = classifyMachineChange(olds, news, classifyMachineConfigChange);
    if (c.kind === "immutable")
      throw new Error(`${name}: an immutable change reached update (${c.reasons.join("; ")}); it must replace the machine`);
    const plan = updateAction(c.kind, olds, news);
    const { rebootMs } = budgets(news);
    let appliedMode = String(olds.appliedMode ?? "");
    let tag = String(olds.talosVersionReported ?? "");
    let rebooted = false;
    if (plan.apply !== "none" || plan.upgrade) {
      for (const r of c.reasons) log(name, r);
      // Health gate before touching a node: never start on a node (or an etcd) that is not healthy.
      await waitHealthy(news, "before the change", budgets(news).apiMs);
    }
    if (plan.apply === "NO_REBOOT") {
      try {
        appliedMode = await apply(news, "NO_REBOOT");
        log(name, "applied in place (NO_REBOOT)");
      } catch (e) {
        if (!hasCode(e, Code.INVALID_ARGUMENT)) throw e;
        log(name, `Talos refused the live apply (${(e as TalosApiError).details}); staging it and rebooting instead`);
        appliedMode = await apply(news, "STAGED");
        tag = await reboot(news);
        rebooted = true;
      }
    } else if (plan.apply === "STAGED") {
      appliedMode = await apply(news, "STAGED");
      log(name, "config staged for the next boot");
    }
    if (plan.reboot) {
      tag = await reboot(news);
      rebooted = true;
    }
    if (plan.upgrade) {
      const image = plan.upgrade;
      tag = await disruptive(news, "upgrade", async () => {
        const cl = client(news);
        try {
          log(name, `upgrading to ${image}`);
          await cl.upgrade({ image, preserve: true });
        } finally {
          cl.close();
        }
        let t = await waitReboot(news, "upgrade");
        const want = /:(v\d+\.\d+\.\d+[^@]*)/.exec(image)?.[1];
        const deadline = Date.now() + rebootMs;
        while (want && t !== want && Date.now() < deadline) {
          await new Promise((r) => setTimeout(r, 2_000));
          t = await waitHealthy(news, "upgrade", rebootMs);
        }
        if (want && t !== want) throw new Error(`${name}: after the upgrade the node reports ${t}, expected ${want}`);
        return t;
      });
    } else if (!rebooted && plan.apply !== "none") {
      tag = await waitHealthy(news, "after the change", rebootMs);
    }
    const lastChange = plan.upgrade ? "upgrade" : rebooted ? "reboot" : plan.apply === "NO_REBOOT" ? "in-place" : "none";
    return { outs: { ...news, appliedMode, talosVersionReported: tag, lastChange } };
  },

  async delete(_id: string, props: TalosMachineInputs) {
    const name = props.node?.name ?? _id;
    const reset = props.resetOnDelete ?? props.node?.platform !== "docker";
    if (props.node?.platform === "docker" && !reset) {
      log(name, "nothing to do on delete (the container is removed with the node)");
      return;
    }
    const c = new TalosClient({
      endpoint: props.node.endpoint,
      talosconfig: props.talosconfig,
      node: props.node.address,
      timeoutMs: 15_000,
      retry: { deadlineMs: Math.min(30_000, budgets(props).apiMs), initialDelayMs: 500, maxDelayMs: 5_000 },
    });
    const gone = (e: unknown) => hasCode(e, Code.UNAVAILABLE) || hasCode(e, Code.DEADLINE_EXCEEDED);
    try {
      if (reset) {
        log(name, "resetting the node (graceful: leaves etcd, cordons and drains)");
        try {
          await c.reset({ graceful: true, reboot: false });
        } catch (e) {
          if (gone(e)) return log(name, `node unreachable, treating it as already gone: ${(e as Error).message}`);
          if (!hasCode(e, Code.FAILED_PRECONDITION)) throw e;
          // e.g. the last etcd member cannot leave gracefully: the cluster is going away with it.
          log(name, `graceful reset refused (${(e as TalosApiError).details}); resetting without leaving etcd`);
          await c.reset({ graceful: false, reboot: false });
        }
      } else if (props.node.role === "controlplane") {
        log(name, "leaving etcd");
        await c.etcdLeaveCluster().catch((e: unknown) => {
          if (gone(e)) return log(name, `node unreachable, treating it as already gone: ${(e as Error).message}`);
          throw e;
        });
      }
    } finally {
      c.close();
    }
  },
};
