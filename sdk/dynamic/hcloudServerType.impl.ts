/**
 * HcloudServerType provider logic (loaded by the trampoline in hcloudServerType.ts; never serialized).
 * create/update: make the server's type, public network and power state the planned ones (no API mutation when
 * they already are): the new type is checked against the server-types API first (exists, not deprecated,
 * available in the server's location, same architecture and storage, a disk at least as large as the server's),
 * then the server is powered off once for everything, and powered on again whatever happened in between.
 * read (refresh): what the server really runs (type, power state, public addresses); a difference is recorded as
 * `drift` and repaired by the next update. delete: nothing (the hcloud.Server owns the server).
 */
import type { HcloudClient, HcloudServer } from "../clients/hetzner";
import { type DynamicConfig, type TalosHealthGate, hcloudClient, talosHealthy } from "./hcloudCommon";
import { containsUnknown } from "../impact/unknown";
import { clusterQueueKey, queueFor, type QueueOp } from "./talosMachine.queue";
import type { NodeRole } from "../distributions/roles";

/** What `read` found on the server when it differs from what was applied. */
export interface ServerDrift {
  /** The type the server runs, when it is not the applied one. */
  readonly serverType?: string;
  /** The server's status, when it is not `running`. */
  readonly status?: string;
  readonly publicIPv4?: boolean;
  readonly publicIPv6?: boolean;
}

export interface HcloudServerTypeInputs {
  readonly serverId: string;
  readonly serverName: string;
  /** The cluster's name: its servers share one queue even without a Talos health gate. */
  readonly cluster?: string;
  readonly role: NodeRole;
  readonly serverType: string;
  /** Planned public IPv4/IPv6 (undefined = not managed here). */
  readonly publicIPv4?: boolean;
  readonly publicIPv6?: boolean;
  readonly tokenEnvVar?: string;
  readonly health?: TalosHealthGate;
  readonly timeouts?: { shutdownSeconds?: number; actionSeconds?: number; healthSeconds?: number };
  /** Set by `read` when the server differs from what was applied; the next update repairs it. */
  readonly drift?: ServerDrift;
}

let config: DynamicConfig | undefined;
const log = (server: string, msg: string) => console.log(`[ksail] HcloudServerType ${server}: ${msg.replace(/^\[ksail\] /, "")}`);

/**
 * Why the server cannot take the type (Hetzner's change_type rules: same architecture and storage type, a disk at
 * least as large as the server's current one, not deprecated, orderable in the server's location), or undefined.
 */
export async function typeProblem(api: HcloudClient, server: HcloudServer, want: string): Promise<string | undefined> {
  const t = await api.getServerType(want);
  if (!t) return `Hetzner has no server type "${want}" (hcloud server-type list shows the types)`;
  const location = server.datacenter?.location.name;
  const here = location ? t.locations?.find((l) => l.name === location) : undefined;
  if (t.deprecated || here?.deprecation) return `${want} is deprecated${here?.deprecation ? ` in ${location}` : ""}; pick a current type`;
  const arch = server.server_type.architecture;
  if (arch && t.architecture !== arch) {
    return `${want} is ${t.architecture === "arm" ? "an Arm" : "an x86"} type and the server is ${arch}: a server cannot change architecture (its disk holds a ${arch} Talos); add nodes of the new type and remove the old ones instead`;
  }
  const storage = server.server_type.storage_type;
  if (storage && t.storage_type !== storage)
    return `${want} has ${t.storage_type} storage and the server ${storage}; Hetzner cannot move a server between them`;
  const disk = server.primary_disk_size ?? server.server_type.disk;
  if (disk !== undefined && t.disk < disk) {
    return `${want} has a ${t.disk} GB disk and the server's disk is ${disk} GB; Hetzner cannot shrink a disk, so pick a type with at least ${disk} GB`;
  }
  if (location && t.locations && !here?.available) {
    const where = t.locations.filter((l) => l.available).map((l) => l.name);
    return `${want} is not available in ${location}${where.length ? ` (available in ${where.join(", ")})` : ""}; pick another type`;
  }
  return undefined;
}

function publicFamilies(i: HcloudServerTypeInputs, server: HcloudServer): ("ipv4" | "ipv6")[] {
  return (["ipv4", "ipv6"] as const).filter((f) => {
    const want = f === "ipv4" ? i.publicIPv4 : i.publicIPv6;
    return want !== undefined && want !== (server.public_net?.[f] != null);
  });
}

/**
 * The cluster's one-at-a-time queue (shared with TalosMachine through the Talos API CA of the health gate): a resize
 * or public-network change of one server never runs beside another, or beside a Talos reboot of the same cluster;
 * control planes go first and the first failure stops the rest. Steps with nothing to do skip it, so creates (one
 * GET each) run side by side.
 */
function queueKey(i: { health?: { talosconfig?: unknown }; cluster?: unknown; serverId?: unknown }): string {
  const talosconfig = i.health?.talosconfig;
  const fallback = typeof i.cluster === "string" ? `hcloud:${i.cluster}` : `server:${String(i.serverId)}`;
  return clusterQueueKey(typeof talosconfig === "string" && !containsUnknown(talosconfig) ? talosconfig : undefined, fallback);
}
const queueOp = (i: Pick<HcloudServerTypeInputs, "serverName" | "role">): QueueOp => ({
  node: i.serverName,
  role: i.role === "control-plane" ? "controlplane" : "worker",
  phase: 1,
  what: "server change (type or public network)",
});

async function ensure(i: HcloudServerTypeInputs): Promise<string> {
  const api = hcloudClient(config, i.tokenEnvVar, (m) => log(i.serverName, m));
  const server = await api.getServer(i.serverId);
  if (server && server.status === "running" && server.server_type.name === i.serverType && publicFamilies(i, server).length === 0)
    return i.serverType;
  return queueFor(queueKey(i)).run(queueOp(i), () => ensureNow(i, api));
}

async function ensureNow(i: HcloudServerTypeInputs, api: HcloudClient): Promise<string> {
  const actionMs = (i.timeouts?.actionSeconds ?? 900) * 1000;
  const healthMs = (i.timeouts?.healthSeconds ?? 900) * 1000;
  const server = await api.getServer(i.serverId);
  if (!server) throw new Error(`${i.serverName}: server ${i.serverId} does not exist (deleted outside Pulumi?); run "pulumi refresh"`);
  const from = server.server_type.name;
  const families = publicFamilies(i, server);
  const what = [
    ...(from !== i.serverType ? [`type ${from} → ${i.serverType}`] : []),
    ...families.map((f) => `public ${f} ${server.public_net?.[f] != null ? "off" : "on"}`),
  ];
  const gate = (when: string) =>
    i.health ? talosHealthy({ ...i.health, etcd: i.health.etcd ?? i.role === "control-plane" }, healthMs, when) : Promise.resolve();
  const running = server.status === "running";
  if (what.length === 0) {
    if (running) return from;
    // Nothing to change, but the server is not running: an earlier change failed after the power-off (or someone
    // stopped it). A retry must not report success for a node that is down.
    log(i.serverName, `the server is ${server.status}, not running (an earlier change stopped?): powering it on`);
    await powerOn(api, i, actionMs);
    await gate("after powering it on").catch((e: Error) => {
      throw new Error(`${i.serverName}: powered on again, but the node did not come back healthy: ${e.message}`);
    });
    return from;
  }
  const change = what.join(", ");
  if (from !== i.serverType) {
    const problem = await typeProblem(api, server, i.serverType);
    if (problem) throw new Error(`${i.serverName}: not changing type ${from} → ${i.serverType}: ${problem}. Nothing was changed.`);
  }
  // A stopped node cannot pass a health gate; it is started again below either way.
  if (running) {
    await gate("before the change").catch((e: Error) => {
      throw new Error(`${i.serverName}: not changing ${change}, the node is not healthy: ${e.message}`);
    });
  }
  log(i.serverName, `${change}: shutting down`);
  if (server.status !== "off") await shutdown(api, i, actionMs);
  let failure: Error | undefined;
  try {
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
  } catch (e) {
    failure = e as Error;
  }
  // Whatever failed above, the node must not stay off.
  try {
    await powerOn(api, i, actionMs);
  } catch (e) {
    const why = failure ? `${change} failed (${failure.message}) and ` : "";
    throw new Error(
      `${i.serverName}: ${why}powering the server on again failed: ${(e as Error).message}; start it in the Hetzner console`,
      {
        cause: e,
      },
    );
  }
  if (failure) {
    await gate("after the failed change").catch((e: Error) =>
      log(i.serverName, `after the failed change the node is not healthy yet: ${e.message}`),
    );
    throw new Error(
      `${i.serverName}: ${change} failed: ${failure.message}. The server was powered on again; fix the cause and run pulumi up again`,
    );
  }
  if (i.health) {
    log(i.serverName, "waiting for the node to be healthy");
    await gate("after the change").catch((e: Error) => {
      throw new Error(`${i.serverName}: changed ${change}, but the node did not come back healthy: ${e.message}`);
    });
  }
  log(i.serverName, `done: ${change}`);
  return i.serverType;
}

async function powerOn(api: HcloudClient, i: HcloudServerTypeInputs, actionMs: number): Promise<void> {
  log(i.serverName, "powering on");
  await api.serverAction(i.serverId, "poweron", {}, actionMs);
  await api.waitServerStatus(i.serverId, "running", actionMs);
}

/** What the server runs that differs from what the step applied (refresh), or undefined. */
async function observe(i: HcloudServerTypeInputs & { appliedType?: string }): Promise<{ server?: HcloudServer; drift?: ServerDrift }> {
  const api = hcloudClient(config, i.tokenEnvVar, (m) => log(i.serverName, m));
  const server = await api.getServer(i.serverId);
  if (!server) return {};
  const drift: { -readonly [K in keyof ServerDrift]: ServerDrift[K] } = {};
  if (server.server_type.name !== (i.appliedType ?? i.serverType)) drift.serverType = server.server_type.name;
  if (server.status !== "running") drift.status = server.status;
  for (const f of publicFamilies(i, server)) drift[f === "ipv4" ? "publicIPv4" : "publicIPv6"] = server.public_net?.[f] != null;
  return { server, drift: Object.keys(drift).length > 0 ? drift : undefined };
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
    return { inputs: news, failures: checkInputs(news) };
  },
  async diff(_id: string, olds: Record<string, unknown>, news: Record<string, unknown>) {
    if (containsUnknown(news.serverId) || olds.serverId !== news.serverId) {
      return { changes: true, replaces: ["serverId"], deleteBeforeReplace: true };
    }
    // `drift` is only ever in the old state (set by a refresh): its presence asks the update to repair the server.
    const keys = ["serverName", "role", "serverType", "publicIPv4", "publicIPv6", "tokenEnvVar", "health", "timeouts", "drift"];
    const changed = keys.filter((k) => JSON.stringify(olds[k] ?? null) !== JSON.stringify(news[k] ?? null));
    // Announce the update, so the queue holds a worker's change back until the control planes announced are done.
    const disruptive = ["serverType", "publicIPv4", "publicIPv6", "drift"].some((k) => changed.includes(k));
    if (disruptive && typeof news.serverName === "string" && (news.role === "control-plane" || news.role === "worker")) {
      const health = (news.health ?? olds.health) as { talosconfig?: unknown } | undefined;
      queueFor(queueKey({ ...news, health })).intend(queueOp({ serverName: news.serverName, role: news.role }));
    }
    return { changes: changed.length > 0 };
  },
  async create(inputs: HcloudServerTypeInputs) {
    const appliedType = await ensure(inputs);
    return { id: `${inputs.serverId}-type`, outs: { ...withoutDrift(inputs), appliedType } };
  },
  async read(id: string, props: HcloudServerTypeInputs & { appliedType?: string }) {
    const { server, drift } = await observe(props);
    // A server deleted outside Pulumi takes this step with it (the next up creates both again).
    if (!server) return { id: "", props: {} };
    for (const [k, v] of Object.entries(drift ?? {}))
      log(props.serverName, `refresh: ${k} is ${v}, not what was applied; the next update repairs it`);
    const outs = { ...withoutDrift(props), appliedType: server.server_type.name, ...(drift ? { drift } : {}) };
    const { appliedType: _a, ...inputs } = outs;
    void _a;
    return { id, props: outs, inputs };
  },
  async update(_id: string, _olds: HcloudServerTypeInputs, news: HcloudServerTypeInputs) {
    const appliedType = await ensure(news);
    return { outs: { ...withoutDrift(news), appliedType } };
  },
  async delete() {
    // The hcloud.Server owns the server; nothing to undo.
  },
};
