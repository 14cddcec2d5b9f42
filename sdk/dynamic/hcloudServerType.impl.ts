/**
 * HcloudServerType provider logic (loaded by the trampoline in hcloudServerType.ts; never serialized).
 * create/update: make the server's type the planned one (no API mutation when it already is); delete:
 * nothing (the hcloud.Server owns the server).
 */
import type { HcloudClient } from "../providers/hetzner-api";
import { type DynamicConfig, type TalosHealthGate, hcloudClient, talosHealthy } from "./hcloudCommon";
import { containsUnknown } from "./unknown";

export interface HcloudServerTypeInputs {
  readonly serverId: string;
  readonly serverName: string;
  readonly role: "control-plane" | "worker";
  readonly serverType: string;
  readonly tokenEnvVar?: string;
  readonly health?: TalosHealthGate;
  readonly timeouts?: { shutdownSeconds?: number; actionSeconds?: number; healthSeconds?: number };
}

let config: DynamicConfig | undefined;
const log = (server: string, msg: string) => console.log(`[ksail] HcloudServerType ${server}: ${msg}`);

async function ensure(i: HcloudServerTypeInputs): Promise<string> {
  const api = hcloudClient(config, i.tokenEnvVar, (m) => log(i.serverName, m));
  const actionMs = (i.timeouts?.actionSeconds ?? 900) * 1000;
  const healthMs = (i.timeouts?.healthSeconds ?? 900) * 1000;
  const server = await api.getServer(i.serverId);
  if (!server) throw new Error(`${i.serverName}: server ${i.serverId} does not exist (deleted outside Pulumi?); run "pulumi refresh"`);
  const from = server.server_type.name;
  if (from === i.serverType) return from;
  const gate = (what: string) => (i.health ? talosHealthy({ ...i.health, etcd: i.health.etcd ?? i.role === "control-plane" }, healthMs, what) : Promise.resolve());
  await gate("before the resize").catch((e: Error) => {
    throw new Error(`${i.serverName}: not resizing ${from} → ${i.serverType}, the node is not healthy: ${e.message}`);
  });
  log(i.serverName, `resizing ${from} → ${i.serverType} (disk kept): shutting down`);
  if (server.status !== "off") await shutdown(api, i, actionMs);
  await api.serverAction(i.serverId, "change_type", { server_type: i.serverType, upgrade_disk: false }, actionMs);
  log(i.serverName, `type is now ${i.serverType}; powering on`);
  await api.serverAction(i.serverId, "poweron", {}, actionMs);
  await api.waitServerStatus(i.serverId, "running", actionMs);
  if (i.health) {
    log(i.serverName, "waiting for the node to be healthy");
    await gate("after the resize").catch((e: Error) => {
      throw new Error(`${i.serverName}: resized to ${i.serverType}, but the node did not come back healthy: ${e.message}`);
    });
  }
  log(i.serverName, `resized to ${i.serverType}`);
  return i.serverType;
}

/** ACPI shutdown (Talos cordons and drains); a hard power-off when the OS does not stop in time. */
async function shutdown(api: HcloudClient, i: HcloudServerTypeInputs, actionMs: number): Promise<void> {
  const shutdownMs = (i.timeouts?.shutdownSeconds ?? 300) * 1000;
  await api.serverAction(i.serverId, "shutdown", {}, actionMs);
  try {
    await api.waitServerStatus(i.serverId, "off", shutdownMs);
  } catch (e) {
    log(i.serverName, `${(e as Error).message}; powering off`);
    await api.serverAction(i.serverId, "poweroff", {}, actionMs);
    await api.waitServerStatus(i.serverId, "off", actionMs);
  }
}

function checkInputs(news: Record<string, unknown>): { property: string; reason: string }[] {
  const failures: { property: string; reason: string }[] = [];
  for (const key of ["serverId", "serverName", "serverType"]) {
    if (containsUnknown(news[key])) continue;
    if (typeof news[key] !== "string" || news[key] === "") failures.push({ property: key, reason: `${key} must be a non-empty string` });
  }
  if (!containsUnknown(news.role) && news.role !== "control-plane" && news.role !== "worker") {
    failures.push({ property: "role", reason: `role is ${JSON.stringify(news.role)}; allowed: control-plane, worker` });
  }
  return failures;
}

export const handler = {
  async configure(req: { config: DynamicConfig }) {
    config = req.config;
  },
  async check(_olds: Record<string, unknown>, news: Record<string, unknown>) {
    return { inputs: news, failures: checkInputs(news) };
  },
  async diff(_id: string, olds: Record<string, unknown>, news: Record<string, unknown>) {
    if (containsUnknown(news.serverId) || olds.serverId !== news.serverId) {
      return { changes: true, replaces: ["serverId"], deleteBeforeReplace: true };
    }
    const keys = ["serverName", "role", "serverType", "tokenEnvVar", "health", "timeouts"];
    const changed = keys.filter((k) => JSON.stringify(olds[k] ?? null) !== JSON.stringify(news[k] ?? null));
    return { changes: changed.length > 0 };
  },
  async create(inputs: HcloudServerTypeInputs) {
    const appliedType = await ensure(inputs);
    return { id: `${inputs.serverId}-type`, outs: { ...inputs, appliedType } };
  },
  async update(_id: string, _olds: HcloudServerTypeInputs, news: HcloudServerTypeInputs) {
    const appliedType = await ensure(news);
    return { outs: { ...news, appliedType } };
  },
  async delete() {
    // The hcloud.Server owns the server; nothing to undo.
  },
};
