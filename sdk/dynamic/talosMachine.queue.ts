/**
 * The one-at-a-time queue of TalosMachine operations that touch a running cluster (updates, reboots, upgrades,
 * wipes, deletes). Every dynamic resource of one `pulumi up` runs in one provider process, so the engine's parallel
 * updates of several machines arrive here concurrently; the queue runs them one at a time per cluster, control
 * planes first, and in phases (a Kubernetes upgrade moves every API server before any kubelet).
 *
 * `diff` announces what each machine will do (`intend`), so a worker's operation that arrives early still waits
 * for the control planes announced before it. An announced operation that never arrives (the engine skipped it)
 * stops holding others back after `graceMs` without activity.
 *
 * The queue stops at the first failure: the operation that failed reports its own error, and every queued or later
 * operation of that cluster fails at once with the reason, so a config that breaks one node never rolls on to the
 * next. No state outlives the provider process: the next `pulumi up` starts with an empty queue.
 */
import * as crypto from "node:crypto";
import { parseTalosconfig } from "../clients/talos/talosconfig";

export type QueueRole = "controlplane" | "worker";

export interface QueueOp {
  /** Machine (node) name. */
  readonly node: string;
  readonly role: QueueRole;
  /** Lower phases run first across the cluster: 0 = control-plane components, 1 = everything else. */
  readonly phase: number;
  /** What the operation is, for messages ("reboot", "upgrade", "delete"...). */
  readonly what: string;
}

interface Waiter {
  readonly op: QueueOp;
  readonly seq: number;
  readonly start: () => void;
  readonly fail: (e: Error) => void;
}

/** Thrown to every operation queued behind a failed one. */
export class QueueStoppedError extends Error {
  constructor(op: QueueOp, failed: { node: string; what: string; reason: string }) {
    super(
      `${op.node}: ${op.what} not started: the ${failed.what} of ${failed.node} failed before it (${failed.reason}). ` +
        `Nodes change one at a time and the rollout stops at the first failure; fix ${failed.node} and run pulumi up again.`,
    );
    this.name = "QueueStoppedError";
  }
}

const order = (a: { op: QueueOp; seq: number }, b: { op: QueueOp; seq: number }) =>
  a.op.phase - b.op.phase || (a.op.role === b.op.role ? 0 : a.op.role === "controlplane" ? -1 : 1) || a.seq - b.seq;

export class DisruptionQueue {
  private readonly intents = new Map<string, { op: QueueOp; at: number }>();
  private readonly waiting: Waiter[] = [];
  private running: QueueOp | undefined;
  private failure: { node: string; what: string; reason: string } | undefined;
  private seq = 0;
  private lastActivity = Date.now();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly graceMs = 30_000) {}

  /** `diff` announces an operation (one per phase) that `update`/`delete` will run. */
  intend(op: QueueOp): void {
    this.intents.set(`${op.node}#${op.phase}`, { op, at: Date.now() });
    this.lastActivity = Date.now();
  }

  /** The failure that stopped the queue, if any. */
  get stopped(): { node: string; what: string; reason: string } | undefined {
    return this.failure;
  }

  /** Run `fn` when it is this operation's turn; rejects at once when the queue has stopped. */
  run<T>(op: QueueOp, fn: () => Promise<T>): Promise<T> {
    if (this.failure) return Promise.reject(new QueueStoppedError(op, this.failure));
    this.intents.delete(`${op.node}#${op.phase}`);
    return new Promise<T>((resolve, reject) => {
      const w: Waiter = {
        op,
        seq: this.seq++,
        start: () => {
          this.running = op;
          this.lastActivity = Date.now();
          fn().then(
            (v) => {
              this.finish();
              resolve(v);
            },
            (e: Error) => {
              const failure = { node: op.node, what: op.what, reason: (e?.message ?? String(e)).split("\n")[0] };
              this.failure = failure;
              for (const other of this.waiting.splice(0)) other.fail(new QueueStoppedError(other.op, failure));
              this.finish();
              reject(e);
            },
          );
        },
        fail: reject,
      };
      this.waiting.push(w);
      this.lastActivity = Date.now();
      this.pump();
    });
  }

  private finish(): void {
    this.running = undefined;
    this.lastActivity = Date.now();
    this.pump();
  }

  /** Start the next operation whose turn it is, or arm a timer for when stale announcements stop holding it. */
  private pump(): void {
    if (this.running || this.waiting.length === 0 || this.failure) return;
    const next = [...this.waiting].sort(order)[0];
    const now = Date.now();
    const stale = now - this.lastActivity >= this.graceMs;
    // Announced operations that must run before `next` but have not arrived yet.
    const ahead = [...this.intents.values()].filter(
      (i) => i.op.phase < next.op.phase || (i.op.phase === next.op.phase && i.op.role === "controlplane" && next.op.role === "worker"),
    );
    if (ahead.length > 0 && !stale) {
      if (this.timer === undefined) {
        this.timer = setTimeout(
          () => {
            this.timer = undefined;
            this.pump();
          },
          Math.max(10, this.graceMs - (now - this.lastActivity)),
        );
        this.timer.unref?.();
      }
      return;
    }
    if (ahead.length > 0) for (const i of ahead) this.intents.delete(`${i.op.node}#${i.op.phase}`);
    this.waiting.splice(this.waiting.indexOf(next), 1);
    next.start();
  }
}

const queues = new Map<string, DisruptionQueue>();

/**
 * The queue key of a cluster: a digest of the Talos API CA every machine of it shares (TalosMachine, and the
 * HcloudServerType steps whose health gate carries the talosconfig), so that a Talos reboot and a server resize of
 * one cluster never run at the same time; `fallback` when there is no readable talosconfig.
 */
export function clusterQueueKey(talosconfig: string | undefined, fallback: string): string {
  try {
    if (talosconfig === undefined) return fallback;
    return crypto.createHash("sha256").update(parseTalosconfig(talosconfig).ca).digest("hex").slice(0, 16);
  } catch {
    return fallback;
  }
}

/** The queue of one cluster (keyed by its Talos API CA) in this provider process. */
export function queueFor(cluster: string): DisruptionQueue {
  let q = queues.get(cluster);
  if (!q) {
    const grace = Number(process.env.KSAIL_TALOS_QUEUE_GRACE_MS ?? "");
    q = new DisruptionQueue(Number.isFinite(grace) && grace > 0 ? grace : 30_000);
    queues.set(cluster, q);
  }
  return q;
}
