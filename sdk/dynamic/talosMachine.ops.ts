/** TalosMachine operations on one node: apply, reboot, upgrade, configure from maintenance mode, wipe and reconfigure. */
import { parseTalosVersion, upgradeRefusal } from "../distributions/talos/versions";
import { seconds } from "../errors";
import { type ApplyMode, type TalosApiError } from "../clients/talos";
import { NodeApi } from "../clients/talos/route";
import type { CallOptions } from "../clients/talos/client";
import { restartContainer, waitContainerRunning } from "../clients/dockerEngine";
import { waitHealthy } from "./talosMachine.gates";
import { type TalosMachineInputs, talosVersionOfImage } from "./talosMachine.plan";

import { apiOf, apply, budgets, gateOf, insecureApiOf, log, needsReboot, retryUnavailable } from "./talosMachine.node";
import { leaveEtcd } from "./talosMachine.removal";

export async function waitDown(api: NodeApi, i: TalosMachineInputs, what: string): Promise<void> {
  const until = Date.now() + Math.min(60_000, budgets(i).rebootMs / 4);
  while (Date.now() < until) {
    try {
      await api.run((c, o) => c.version({ ...o, timeoutMs: 3_000 }), { maxAttempts: 1 });
      await new Promise((r) => setTimeout(r, 250));
    } catch {
      return;
    }
  }
  log(i.node.name, `did not observe the node going down after ${what}; continuing with the health check`);
}

/** Reboot the node (Docker: restart its container) and wait until it answers again. */
export async function rebootNode(api: NodeApi, i: TalosMachineInputs, what: string): Promise<void> {
  if (i.node.platform === "docker") {
    const name = i.node.containerName ?? i.node.name;
    log(i.node.name, `restarting container ${name} (Talos cannot reboot inside a container)`);
    const e = i.dockerEngine;
    const engine = e ? { host: e.host, tls: { ca: e.ca, cert: e.cert, key: e.key } } : {};
    await restartContainer(name, 30, engine);
    await waitContainerRunning(name, budgets(i).rebootMs, engine);
    return;
  }
  if (i.node.role === "controlplane") {
    await api
      .run((c, o) => c.etcdForfeitLeadership(o), { maxAttempts: 2 })
      .catch((e: Error) => log(i.node.name, `could not hand over etcd leadership (continuing): ${e.message}`));
  }
  log(i.node.name, `rebooting (${what})`);
  await api.run((c, o) => c.reboot({}, o), retryUnavailable(budgets(i).apiMs));
  await waitDown(api, i, what);
}

/**
 * Upgrade the node to `image`: since Talos 1.13 the way talosctl does it (ImageService.Pull, LifecycleService.Upgrade
 * installs without rebooting, then Reboot); older nodes get the legacy Upgrade call, with `preserve` off so that Talos
 * runs its own etcd check on a control plane first.
 */
export async function upgradeNode(api: NodeApi, i: TalosMachineInputs, image: string): Promise<void> {
  const name = i.node.name;
  const running = (await api.run((c, o) => c.version(o), retryUnavailable(budgets(i).apiMs))).tag;
  const target = talosVersionOfImage(image);
  if (target) {
    const refusal = upgradeRefusal(running, parseTalosVersion(target));
    if (refusal) throw new Error(`${name}: ${refusal}`);
  }
  const long: (o: CallOptions) => CallOptions = (o) => ({ ...o, timeoutMs: budgets(i).rebootMs });
  if (parseTalosVersion(running.replace(/^v/, "").replace(/-.*$/, "")).minor >= 13) {
    log(name, `pulling ${image}`);
    await api.run((c, o) => c.imagePull(image, long(o)), retryUnavailable(budgets(i).apiMs));
    log(name, `installing ${image} (no reboot yet)`);
    await api.run((c, o) => c.lifecycleUpgrade(image, long(o)), { maxAttempts: 1 });
    await rebootNode(api, i, `the upgrade to ${target ?? image}`);
  } else {
    log(name, `upgrading to ${image} (legacy upgrade call: Talos ${running} predates the image and lifecycle services)`);
    await api.run((c, o) => c.upgrade({ image, preserve: false, stage: false }, o), retryUnavailable(budgets(i).apiMs));
    await waitDown(api, i, "the upgrade");
  }
}

/** After a reboot or upgrade: healthy, and running the version the installer carries. */
export async function healthyAfter(api: NodeApi, i: TalosMachineInputs, what: string, expectTag?: string): Promise<string> {
  const g = gateOf(i);
  const deadline = Date.now() + budgets(i).rebootMs;
  for (;;) {
    const tag = await waitHealthy(api, g, Math.max(5_000, deadline - Date.now()), what);
    if (!expectTag || tag.replace(/^v/, "") === expectTag) return tag;
    if (Date.now() > deadline)
      throw new Error(
        `${i.node.name}: after the upgrade the node reports ${tag}, expected v${expectTag} (did the install fail and Talos boot the previous version?)`,
      );
    await new Promise((r) => setTimeout(r, 1_000));
  }
}

/** Apply without a reboot when Talos allows it; else stage it and reboot (Talos < 1.14 tells which). */
export async function applyLiveOrReboot(api: NodeApi, i: TalosMachineInputs): Promise<{ mode: ApplyMode; rebooted: boolean }> {
  try {
    return { mode: await apply(api, i, "NO_REBOOT"), rebooted: false };
  } catch (e) {
    if (!needsReboot(e)) throw e;
    log(i.node.name, `Talos refused the live apply (${(e as TalosApiError).details.split("\n")[0]}); staging it and rebooting instead`);
    const mode = await apply(api, i, "STAGED");
    await rebootNode(api, i, "the staged config");
    return { mode, rebooted: true };
  }
}

/** Wait until the node answers over mTLS (configured) or insecurely (maintenance mode). */
export async function waitConfiguredOrMaintenance(i: TalosMachineInputs, budgetMs: number): Promise<"configured" | "maintenance"> {
  const deadline = Date.now() + budgetMs;
  let delay = 250;
  for (;;) {
    const secure = apiOf(i);
    const insecure = insecureApiOf(i);
    try {
      const ok = async (a: NodeApi) =>
        a
          .run((c, o) => c.version({ ...o, timeoutMs: 5_000 }), { maxAttempts: 1 })
          .then(
            () => true,
            () => false,
          );
      if (await ok(secure)) return "configured";
      if (await ok(insecure)) return "maintenance";
    } finally {
      secure.close();
      insecure.close();
    }
    if (Date.now() + delay > deadline) {
      throw new Error(
        `${i.node.name}: the Talos API at ${i.node.endpoint} did not answer within ${seconds(budgetMs)}, neither configured nor in maintenance mode`,
      );
    }
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(5_000, delay * 2);
  }
}

/** Maintenance mode: the first config goes insecurely (AUTO); the node then restarts its API with its identity. */
export async function applyInMaintenance(i: TalosMachineInputs): Promise<ApplyMode> {
  const a = insecureApiOf(i);
  try {
    log(i.node.name, "applying the config insecurely (maintenance mode: the node has no identity yet)");
    return (await a.run((c, o) => c.applyConfiguration({ data: i.config, mode: "AUTO" }, o), retryUnavailable(budgets(i).apiMs))).mode;
  } finally {
    a.close();
  }
}

/** Configure a fresh (or freshly wiped) node, whichever way it came up. */
export async function configureNode(i: TalosMachineInputs, budgetMs: number): Promise<{ mode: ApplyMode; tag: string }> {
  const state = await waitConfiguredOrMaintenance(i, budgetMs);
  let mode: ApplyMode;
  if (state === "maintenance") {
    mode = await applyInMaintenance(i);
  } else {
    const a = apiOf(i);
    try {
      mode = (await applyLiveOrReboot(a, i)).mode;
    } finally {
      a.close();
    }
  }
  const a = apiOf(i);
  try {
    // The node answers over mTLS with the new config (after an install reboot on metal).
    const tag = (await a.run((c, o) => c.version(o), retryUnavailable(budgets(i).rebootMs))).tag;
    return { mode, tag };
  } finally {
    a.close();
  }
}

/**
 * Wipe STATE and EPHEMERAL and configure the node again (a change Talos applies only when it formats them). A
 * control plane leaves etcd first and rejoins as a new member; it is never the last member.
 */
export async function wipeAndReconfigure(api: NodeApi, i: TalosMachineInputs): Promise<{ mode: ApplyMode; tag: string }> {
  const name = i.node.name;
  if (i.node.platform === "docker") {
    throw new Error(
      `${name}: this change needs the node's STATE and EPHEMERAL wiped, which a Talos container cannot do; recreate the cluster's containers instead`,
    );
  }
  if (i.node.role === "controlplane") await leaveEtcd(api, i, "the wipe");
  log(name, "resetting STATE and EPHEMERAL; the node comes back without its config");
  await api.run(
    (c, o) => c.reset({ graceful: false, reboot: true, partitions: ["STATE", "EPHEMERAL"] }, o),
    retryUnavailable(budgets(i).apiMs),
  );
  await waitDown(api, i, "the reset");
  return configureNode(i, budgets(i).rebootMs);
}

/**
 * Leave etcd before a control plane goes away (delete, wipe). Refused while another member is unhealthy or when the
 * removal would cost quorum; the last member of a cluster stays (the cluster goes away with it).
 */
