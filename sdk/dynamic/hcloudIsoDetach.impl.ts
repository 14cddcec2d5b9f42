/**
 * HcloudIsoDetach provider logic (loaded by the trampoline in hcloudIsoDetach.ts; never serialized).
 * create: detach the ISO when one is attached, reboot, optional health gate. update/delete: nothing.
 */
import { type DynamicConfig, type TalosHealthGate, hcloudClient, talosHealthy } from "./hcloudCommon";
import { containsUnknown } from "../impact/unknown";

export interface HcloudIsoDetachInputs {
  readonly serverId: string;
  readonly serverName: string;
  readonly reboot?: boolean;
  readonly health?: TalosHealthGate;
  readonly tokenEnvVar?: string;
  readonly timeouts?: { actionSeconds?: number; healthSeconds?: number };
}

let config: DynamicConfig | undefined;
const log = (server: string, msg: string) => console.log(`[ksail] HcloudIsoDetach ${server}: ${msg.replace(/^\[ksail\] /, "")}`);

async function detach(i: HcloudIsoDetachInputs): Promise<string> {
  const api = hcloudClient(config, i.tokenEnvVar, (m) => log(i.serverName, m));
  const actionMs = (i.timeouts?.actionSeconds ?? 600) * 1000;
  const server = await api.getServer(i.serverId);
  if (!server) throw new Error(`${i.serverName}: server ${i.serverId} does not exist (deleted outside Pulumi?); run "pulumi refresh"`);
  if (!server.iso) {
    log(i.serverName, "no ISO attached; nothing to detach");
    return "";
  }
  const iso = server.iso.name || String(server.iso.id);
  log(i.serverName, `detaching ISO ${iso}`);
  await api.serverAction(i.serverId, "detach_iso", {}, actionMs);
  if (i.reboot !== false && server.status === "running") {
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
  return iso;
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
    const keys = ["serverName", "reboot", "health", "tokenEnvVar", "timeouts"];
    return { changes: keys.some((k) => JSON.stringify(olds[k] ?? null) !== JSON.stringify(news[k] ?? null)) };
  },
  async create(inputs: HcloudIsoDetachInputs) {
    const detachedIso = await detach(inputs);
    return { id: `${inputs.serverId}-iso-detach`, outs: { ...inputs, detachedIso } };
  },
  async update(_id: string, olds: HcloudIsoDetachInputs & { detachedIso?: string }, news: HcloudIsoDetachInputs) {
    // Create-only: the detach happened once; later changes only update the record.
    return { outs: { ...news, detachedIso: olds.detachedIso ?? "" } };
  },
  async delete() {
    // Nothing to undo: the server (or its replacement) owns its ISO state.
  },
};
