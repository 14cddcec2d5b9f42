/**
 * Shared run-time pieces of the dynamic resources that call the Hetzner Cloud API (HcloudServerType,
 * HcloudIsoDetach): the client built from credentials read at run time (never captured), and the Talos
 * health gate. Loaded by their impl modules only; never serialized.
 */
import { HcloudClient, resolveHcloudCredentials } from "../clients/hetzner";
import { seconds } from "../errors";

/** The stack config the engine hands to a dynamic provider's `configure` (every key, secrets decrypted). */
export interface DynamicConfig {
  get(key: string): string | undefined;
}

/** A Talos health gate: the node's apid and the admin talosconfig (secret). */
export interface TalosHealthGate {
  /** apid to dial, `host:50000`. */
  readonly endpoint: string;
  /** Route through the endpoint to this node (`node` metadata); empty = the endpoint itself. */
  readonly node?: string;
  readonly talosconfig: string;
  /** Also require etcd to list its members (control planes). */
  readonly etcd?: boolean;
}

export function hcloudClient(config: DynamicConfig | undefined, tokenEnvVar: string | undefined, log: (m: string) => void): HcloudClient {
  const { token, baseUrl } = resolveHcloudCredentials(config, tokenEnvVar);
  // KSAIL_HCLOUD_BACKOFF_MS / KSAIL_HCLOUD_POLL_MS shorten the waits (tests against a local fake).
  const ms = (v: string | undefined) => (v !== undefined && /^\d+$/.test(v) ? Number(v) : undefined);
  return new HcloudClient({
    token,
    baseUrl,
    log,
    backoffMs: ms(process.env.KSAIL_HCLOUD_BACKOFF_MS),
    pollMs: ms(process.env.KSAIL_HCLOUD_POLL_MS),
  });
}

/** Waits until the node answers Version over mTLS and, with `etcd`, lists etcd members. */
export async function talosHealthy(gate: TalosHealthGate, budgetMs: number, what: string): Promise<void> {
  // Loaded lazily: gRPC is only needed when a gate is configured.
  const { Code, TalosClient } = require("../clients/talos") as typeof import("../clients/talos");
  const retry = { deadlineMs: budgetMs, initialDelayMs: 1_000, maxDelayMs: 10_000, retryOn: [Code.UNAVAILABLE, Code.DEADLINE_EXCEEDED] };
  const c = new TalosClient({
    endpoint: gate.endpoint,
    talosconfig: gate.talosconfig,
    node: gate.node || undefined,
    timeoutMs: 15_000,
    retry,
  });
  try {
    await c.version().catch((e: Error) => {
      throw new Error(`the Talos API at ${gate.endpoint} did not answer within ${seconds(budgetMs)} (${what}): ${e.message}`);
    });
    if (gate.etcd) {
      await c
        .etcdMemberList({}, { retry: { ...retry, retryOn: [Code.UNAVAILABLE, Code.FAILED_PRECONDITION, Code.DEADLINE_EXCEEDED] } })
        .catch((e: Error) => {
          throw new Error(`etcd is not healthy (${what}) within ${seconds(budgetMs)}: ${e.message}`);
        });
    }
  } finally {
    c.close();
  }
}
