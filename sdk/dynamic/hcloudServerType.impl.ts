/**
 * HcloudServerType provider logic (loaded by the trampoline in hcloudServerType.ts; never serialized).
 * create/update: make the server's type and public network the planned ones (no API mutation when they
 * already are), powering the server off once for both; delete: nothing (the hcloud.Server owns the server).
 */
import type { HcloudClient } from "../clients/hetzner";
import { type DynamicConfig, type TalosHealthGate, hcloudClient, talosHealthy } from "./hcloudCommon";
import { containsUnknown } from "../impact/unknown";
import type { NodeRole } from "../distributions/roles";

export interface HcloudServerTypeInputs {
  readonly serverId: string;
  readonly serverName: string;
  readonly role: NodeRole;
  readonly serverType: string;
  /** Planned public IPv4/IPv6 (undefined = not managed here). */
  readonly publicIPv4?: boolean;
  readonly publicIPv6?: boolean;
  readonly tokenEnvVar?: string;
  readonly health?: TalosHealthGate;
  readonly timeouts?: { shutdownSeconds?: number; actionSeconds?: number; healthSeconds?: number };
}

let config: DynamicConfig | undefined;
const log = (server: string, msg: string) => console.log(`[ksail] HcloudServerType ${server}: ${msg.replace(/^\[ksail\] /, "")}`);

async function ensure(i: HcloudServerTypeInputs): Promise<string> {
  const api = hcloudClient(config, i.tokenEnvVar, (m) => log(i.serverName, m));
  const actionMs = (i.timeouts?.actionSeconds ?? 900) * 1000;
  const healthMs = (i.timeouts?.healthSeconds ?? 900) * 1000;
  const server = await api.getServer(i.serverId);
  if (!server) throw new Error(`${i.serverName}: server ${i.serverId} does not exist (deleted outside Pulumi?); run "pulumi refresh"`);
  const from = server.server_type.name;
  const families = (["ipv4", "ipv6"] as const).filter((f) => {
    const want = f === "ipv4" ? i.publicIPv4 : i.publicIPv6;
    return want !== undefined && want !== (server.public_net?.[f] != null);
  });
  const what = [
    ...(from !== i.serverType ? [`type ${from} → ${i.serverType}`] : []),
    ...families.map((f) => `public ${f} ${server.public_net?.[f] != null ? "off" : "on"}`),
  ];
  if (what.length === 0) return from;
  const change = what.join(", ");
  const gate = (when: string) =>
    i.health ? talosHealthy({ ...i.health, etcd: i.health.etcd ?? i.role === "control-plane" }, healthMs, when) : Promise.resolve();
  await gate("before the change").catch((e: Error) => {
    throw new Error(`${i.serverName}: not changing ${change}, the node is not healthy: ${e.message}`);
  });
  log(i.serverName, `${change}: shutting down`);
  if (server.status !== "off") await shutdown(api, i, actionMs);
  if (from !== i.serverType) {
    await api.serverAction(i.serverId, "change_type", { server_type: i.serverType, upgrade_disk: false }, actionMs);
    log(i.serverName, `type is now ${i.serverType} (disk kept)`);
  }
  for (const f of families) {
    const current = server.public_net?.[f];
    if (current) {
      // Addresses Hetzner created with the server are deleted with it (auto_delete); reserved ones (Pulumi's
      // PrimaryIp of control plane 1) are only unassigned and left to their own resource.
      const ip = await api.getPrimaryIp(current.id);
      await api.releasePrimaryIp(current.id, ip?.auto_delete ?? false, actionMs);
      log(i.serverName, `public ${f} ${current.ip} removed`);
    } else {
      const ip = await api.createPrimaryIp(
        { name: `${i.serverName}-${f}`, type: f, assignee_id: Number(i.serverId), auto_delete: true },
        actionMs,
      );
      log(i.serverName, `public ${f} ${ip.ip} added`);
    }
  }
  log(i.serverName, "powering on");
  await api.serverAction(i.serverId, "poweron", {}, actionMs);
  await api.waitServerStatus(i.serverId, "running", actionMs);
  if (i.health) {
    log(i.serverName, "waiting for the node to be healthy");
    await gate("after the change").catch((e: Error) => {
      throw new Error(`${i.serverName}: changed ${change}, but the node did not come back healthy: ${e.message}`);
    });
  }
  log(i.serverName, `done: ${change}`);
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
  for (const key of ["publicIPv4", "publicIPv6"]) {
    if (news[key] !== undefined && typeof news[key] !== "boolean") failures.push({ property: key, reason: `${key} must be true or false` });
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
    const keys = ["serverName", "role", "serverType", "publicIPv4", "publicIPv6", "tokenEnvVar", "health", "timeouts"];
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
