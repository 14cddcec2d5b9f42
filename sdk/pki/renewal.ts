import { DAY_MS } from "./issue";

/** Default renewal window: client certificates are re-issued when they expire within 30 days. */
export const DEFAULT_RENEWAL_WINDOW_MS = 30 * DAY_MS;

/**
 * True when a certificate expiring at `notAfter` must be re-issued at `now`: it expires within `window`
 * milliseconds, has already expired, or `notAfter` is not a valid date.
 */
export function needsRenewal(notAfter: string | Date, now: Date = new Date(), window: number = DEFAULT_RENEWAL_WINDOW_MS): boolean {
  const end = typeof notAfter === "string" ? Date.parse(notAfter) : notAfter.getTime();
  if (!Number.isFinite(end)) return true;
  return end - now.getTime() <= window;
}
