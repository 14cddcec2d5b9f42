// A virtual clock for code that takes a `Clock` (sdk/dynamic/clusterReadiness.checks.ts): time moves only
// when the code under test sleeps, so a deadline counts polls and a test's outcome does not depend on how
// loaded the machine is. Requests still go over the real network; only deadlines and pauses are virtual.
import type { Clock } from "../../sdk/dynamic/clusterReadiness.checks";

export class VirtualClock implements Clock {
  private t: number;
  private readonly timers: { at: number; fn: () => void }[] = [];
  /** Every sleep requested, in order (milliseconds). */
  readonly sleeps: number[] = [];

  constructor(start = 1_000_000) {
    this.t = start;
  }

  now(): number {
    return this.t;
  }

  /** Advance virtual time by `ms`, run the callbacks that became due, then yield one event-loop turn. */
  async sleep(ms: number): Promise<void> {
    this.sleeps.push(ms);
    this.t += ms;
    const due = this.timers.filter((x) => x.at <= this.t).sort((a, b) => a.at - b.at);
    for (const x of due) {
      this.timers.splice(this.timers.indexOf(x), 1);
      x.fn();
    }
    await new Promise((r) => setImmediate(r));
  }

  /** Run `fn` once virtual time has advanced by `afterMs` from now (during the sleep that crosses it). */
  at(afterMs: number, fn: () => void): void {
    this.timers.push({ at: this.t + afterMs, fn });
  }

  /** Virtual milliseconds slept so far. */
  get elapsed(): number {
    return this.sleeps.reduce((a, b) => a + b, 0);
  }
}
