/**
 * HcloudIsoDetach provider logic (loaded by the trampoline in hcloudIsoDetach.ts; never serialized).
 *
 * create: when an ISO is attached, wait until the server has booted it (Talos's API port answers at the node's own
 * address: maintenance mode runs from memory), or until the node answers over mTLS (already installed), then detach
 * it; optionally reboot (the order of old stacks, where the detach came after the install) and gate on health.
 * update: detach again when the ISO came back (refresh drift) or an earlier detach did not finish.
 * read (refresh): the server's ISO state; an attached ISO is recorded as drift. delete: nothing.
 */
import * as net from "node:net";
import type { HcloudClient } from "../clients/hetzner";
import { type DynamicConfig, type TalosHealthGate, hcloudClient, talosHealthy } from "./hcloudCommon";
import { containsUnknown } from "../impact/unknown";
import { seconds } from "../errors";

export interface HcloudIsoDetachInputs {
  readonly serverId: string;
  readonly serverName: string;
  /** Reboot after the detach (and on a retry that finds the ISO already gone). */
  readonly reboot?: boolean;
  readonly health?: TalosHealthGate;
  /** `host:50000` at the node's own public address: answers once the ISO has booted into maintenance mode. */
  readonly probe?: string;
  readonly tokenEnvVar?: string;
  readonly timeouts?: { actionSeconds?: number; healthSeconds?: number; bootSeconds?: number };
  /** Set by `read` when an ISO is attached again; the next update detaches it. */
  readonly drift?: { readonly iso?: string };
}

let config: DynamicConfig | undefined;
const log = (server: string, msg: string) => console.log(`[ksail] HcloudIsoDetach ${server}: ${msg.replace(/^\[ksail\] /, "")}`);

/** Whether a TCP connection to `host:port` (IPv6 in brackets) opens within `ms`. */
function tcpOpen(endpoint: string, ms: number): Promise<boolean> {
  const m = /^\[?([^\]]+?)\]?:(\d+)$/.exec(endpoint);
  if (!m) return Promise.resolve(false);
  return new Promise((resolve) => {
    const s = net.connect({ host: m[1], port: Number(m[2]) });
    const done = (ok: boolean) => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(ms, () => done(false));
    s.once("connect", () => done(true));
    s.once("error", () => done(false));
  });
}

/** Waits until Talos runs on the node: its API port at the node's own address, or an mTLS answer along the health route. */
async function waitBooted(i: HcloudIsoDetachInputs, budgetMs: number): Promise<void> {
  const deadline = Date.now() + budgetMs;
  let delay = 500;
  for (;;) {
    if (i.probe && (await tcpOpen(i.probe, 3_000))) return;
    if (i.health) {
      const ok = await talosHealthy({ ...i.health, etcd: false }, 1, "ISO boot").then(
        () => true,
        () => false,
      );
      if (ok) return;
    }
    if (!i.probe && !i.health) return;
    if (Date.now() + delay > deadline) {
      throw new Error(
        `${i.serverName}: Talos did not come up from the ISO within ${seconds(budgetMs)} (no answer at ${i.probe ?? i.health?.endpoint}); the ISO stays attached so that the node can boot it again; check the server's console`,
      );
    }
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(5_000, delay * 2);
  }
}

async function rebootAndGate(api: HcloudClient, i: HcloudIsoDetachInputs, actionMs: number): Promise<void> {
  log(i.serverName, "rebooting into the installed system");
  await api.serverAction(i.serverId, "reboot", {}, actionMs);
  await api.waitServerStatus(i.serverId, "running", actionMs);
  if (i.health) {
    const gate = { ...i.health, etcd: i.health.etcd ?? false };
    await talosHealthy(gate, (i.timeouts?.healthSeconds ?? 900) * 1000, "after the ISO detach").catch((e: Error) => {
      throw new Error(`${i.serverName}: ISO detached, but the node did not come back healthy: ${e.message}`);
    });
  }
}

/** Detaches an attached ISO (after Talos booted it); returns its name, or "" when none was attached. */
async function detach(i: HcloudIsoDetachInputs, first: boolean): Promise<string> {
  const api = hcloudClient(config, i.tokenEnvVar, (m) => log(i.serverName, m));
  const actionMs = (i.timeouts?.actionSeconds ?? 600) * 1000;
  const server = await api.getServer(i.serverId);
  if (!server) throw new Error(`${i.serverName}: server ${i.serverId} does not exist (deleted outside Pulumi?); run "pulumi refresh"`);
  if (!server.iso) {
    log(i.serverName, "no ISO attached; nothing to detach");
    // A retry after a detach whose reboot failed must still reboot: the node may still run what it booted then.
    if (first && i.reboot === true && server.status === "running") await rebootAndGate(api, i, actionMs);
    return "";
  }
  const iso = server.iso.name || String(server.iso.id);
  if (server.status !== "running") log(i.serverName, `the server is ${server.status}; waiting for it to boot ${iso}`);
  await waitBooted(i, (i.timeouts?.bootSeconds ?? 900) * 1000);
  log(i.serverName, `detaching ISO ${iso}`);
  await api.serverAction(i.serverId, "detach_iso", {}, actionMs);
  if (i.reboot === true && server.status === "running") await rebootAndGate(api, i, actionMs);
  return iso;
}

function withoutDrift<T extends { drift?: unknown }>(x: T): Omit<T, "drift"> {
  const { drift: _d, ...rest } = x;
  void _d;
  return rest;
}

export const handler = {
  async configure(req: { config: DynamicConfig }) {
    config = req.config;
  },
  async check(_olds: Record<string, unknown>, news: Record<string, unknown>) {
    const failures = ["serverId", "serverName"]
      .filter((k) => !containsUnknown(news[k]) && (typeof news[k] !== "string" || news[k] === ""))
      .map((k) => ({ property: k, reason: `${k} must be a non-empty string` }));
    return { inputs: news, failures };
  },
  async diff(_id: string, olds: Record<string, unknown>, news: Record<string, unknown>) {
    if (containsUnknown(news.serverId) || olds.serverId !== news.serverId)
      return { changes: true, replaces: ["serverId"], deleteBeforeReplace: true };
    const keys = ["serverName", "reboot", "health", "probe", "tokenEnvVar", "timeouts", "drift"];
    return { changes: keys.some((k) => JSON.stringify(olds[k] ?? null) !== JSON.stringify(news[k] ?? null)) };
  },
  async create(inputs: HcloudIsoDetachInputs) {
    const detachedIso = await detach(inputs, true);
    return { id: `${inputs.serverId}-iso-detach`, outs: { ...withoutDrift(inputs), detachedIso } };
  },
  async read(id: string, props: HcloudIsoDetachInputs & { detachedIso?: string }) {
    const api = hcloudClient(config, props.tokenEnvVar, (m) => log(props.serverName, m));
    const server = await api.getServer(props.serverId);
    if (!server) return { id: "", props: {} };
    const iso = server.iso ? server.iso.name || String(server.iso.id) : undefined;
    if (iso) log(props.serverName, `refresh: ISO ${iso} is attached; the next update detaches it`);
    const outs = { ...withoutDrift(props), ...(iso ? { drift: { iso } } : {}) };
    const { detachedIso: _d, ...inputs } = outs;
    void _d;
    return { id, props: outs, inputs };
  },
  async update(_id: string, olds: HcloudIsoDetachInputs & { detachedIso?: string }, news: HcloudIsoDetachInputs) {
    // The detach happened at create; an ISO attached again (refresh drift) is detached without a reboot.
    const again = olds.drift?.iso ? await detach({ ...news, reboot: false }, false) : "";
    return { outs: { ...withoutDrift(news), detachedIso: again || olds.detachedIso || "" } };
  },
  async delete() {
    // Nothing to undo: the server (or its replacement) owns its ISO state.
  },
};
