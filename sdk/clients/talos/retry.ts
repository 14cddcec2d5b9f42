/**
 * Retry policy for Talos API calls: `Unavailable` (node rebooting,
 * installing, apid not up yet) is retried with capped exponential backoff until a deadline;
 * `InvalidArgument` (a config the node rejects) and everything else fail at once. Callers widen the
 * retryable set per operation (Bootstrap adds `FailedPrecondition`).
 */

/** gRPC status codes used here (numeric values from the gRPC spec). */
export const Code = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  FAILED_PRECONDITION: 9,
  UNIMPLEMENTED: 12,
  UNAVAILABLE: 14,
  UNAUTHENTICATED: 16,
} as const;

export interface RetryOptions {
  /** Total time budget across attempts, ms. @default 60000 */
  readonly deadlineMs?: number;
  /** First backoff, ms (doubles each attempt). @default 250 */
  readonly initialDelayMs?: number;
  /** Backoff cap, ms. @default 5000 */
  readonly maxDelayMs?: number;
  /** Maximum attempts (including the first). @default Infinity (bounded by deadlineMs) */
  readonly maxAttempts?: number;
  /** Status codes that are retried. @default [UNAVAILABLE] */
  readonly retryOn?: readonly number[];
  /** Extra predicate: return false to stop retrying an error whose code is in retryOn. */
  readonly shouldRetry?: (err: GrpcLikeError) => boolean;
  /** Called before each wait with the error and the attempt number (1-based). */
  readonly onRetry?: (err: GrpcLikeError, attempt: number, delayMs: number) => void;
}

export interface GrpcLikeError extends Error {
  code?: number;
  details?: string;
}

/** Backoff before attempt `attempt + 1` (attempt is 1-based), capped. */
export function backoffDelay(attempt: number, initialDelayMs = 250, maxDelayMs = 5000): number {
  return Math.min(maxDelayMs, initialDelayMs * 2 ** (attempt - 1));
}

/** True when the error's status code is one the policy retries. */
export function isRetryable(err: unknown, retryOn: readonly number[] = [Code.UNAVAILABLE]): boolean {
  const code = (err as GrpcLikeError | undefined)?.code;
  return typeof code === "number" && retryOn.includes(code);
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Run `fn` until it succeeds, a non-retryable error occurs, or the budget is spent (last error rethrown). */
export async function withRetry<T>(fn: (attempt: number) => Promise<T>, opts: RetryOptions = {}): Promise<T> {
  const deadline = Date.now() + (opts.deadlineMs ?? 60_000);
  const maxAttempts = opts.maxAttempts ?? Number.POSITIVE_INFINITY;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (err) {
      const e = err as GrpcLikeError;
      if (!isRetryable(e, opts.retryOn) || (opts.shouldRetry && !opts.shouldRetry(e))) throw e;
      const delay = backoffDelay(attempt, opts.initialDelayMs, opts.maxDelayMs);
      if (attempt >= maxAttempts || Date.now() + delay > deadline) throw e;
      opts.onRetry?.(e, attempt, delay);
      await sleep(delay);
    }
  }
}
