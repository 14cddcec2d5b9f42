/** The recreate trigger's salts: what besides the spec (Talos patches, distribution files) recreates a cluster. */
import * as crypto from "node:crypto";

/** A short, stable hash of a salt's text (16 hex digits). */
export const shortHash = (s: string) => crypto.createHash("sha256").update(s).digest("hex").slice(0, 16);

/**
 * The trigger with a salt: a Talos patch or a distribution file that changes what recreates a cluster recreates it
 * like the spec field would; without a salt the trigger stays the spec's own, so existing stacks see no change.
 */
export function withTalosPatchSalt(trigger: string, salt: string | undefined): string {
  return salt ? crypto.createHash("sha256").update(`${trigger}\n${salt}`).digest("hex") : trigger;
}
