/**
 * One error class for user mistakes. Every problem names the field path, shows the value,
 * says what is allowed and how to fix it. Commands print `KsailError`s without a stack trace.
 */
export interface Issue {
  /** Dotted field path, e.g. `spec.cluster.controlPlanes` (or a file name for file-level problems). */
  readonly path: string;
  /** What is wrong, the value, what is allowed, and how to fix it. */
  readonly message: string;
}

export class KsailError extends Error {
  readonly issues: readonly Issue[];

  constructor(issues: Issue[] | string, prefix?: string) {
    const list = typeof issues === "string" ? [{ path: "", message: issues }] : issues;
    const body = list.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join("\n");
    super(prefix ? `${prefix}\n${body}` : body);
    this.name = "KsailError";
    this.issues = list;
  }
}

/** True for errors caused by user input (print the message only, no stack). */
export function isKsailError(err: unknown): err is KsailError {
  return err instanceof Error && (err as Error).name === "KsailError" && Array.isArray((err as KsailError).issues);
}

/**
 * A duration for messages, logs and docs, which all speak seconds: `seconds(40)` → "0.04 s",
 * `seconds(1500)` → "1.5 s", `seconds(600_000)` → "600 s". Resource arguments take seconds too (`*Seconds`);
 * only the protocol clients' options and the dynamic providers' stored inputs are milliseconds (`*Ms`), as
 * Node's timers are.
 */
export function seconds(ms: number): string {
  const s = ms / 1000;
  return `${s >= 10 ? Math.round(s) : s >= 1 ? Math.round(s * 10) / 10 : Math.round(s * 1000) / 1000} s`;
}
