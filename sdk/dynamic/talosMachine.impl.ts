/**
 * TalosMachine provider logic (loaded by the trampoline in talosMachine.ts; never serialized).
 *
 * create: wait for the node's API and apply the config without a reboot (NO_REBOOT; when Talos < 1.14 refuses,
 *   STAGED and a reboot, on Docker a container restart). On the ISO route the first apply goes insecurely to the
 *   maintenance-mode API, unless an earlier attempt already configured the node: then it is adopted over mTLS.
 *   Creates run in parallel: etcd forms only at TalosBootstrap.
 * update and delete go through the cluster's one-at-a-time queue (control planes first, stopping at the first
 *   failure), each between two health gates equal to Talos's own pre-boot checks:
 *   - live change: NO_REBOOT;
 *   - reboot-required: STAGED, cordon and drain, reboot (Docker: container restart), uncordon;
 *   - upgrade: image pull, install, reboot (Talos 1.13+; older nodes get the legacy Upgrade call), never `preserve`;
 *   - wipe (disk encryption, volume provisioning): leave etcd explicitly, reset STATE and EPHEMERAL, configure the
 *     node again;
 *   - a Kubernetes version change moves the control-plane components of every control plane before any kubelet.
 *   delete: etcd membership handled explicitly (leave, or remove a dead member by id) and never the last member
 *   while others remain; an unreachable node is told apart from one that refuses our credentials.
 * read (refresh): the node's running config and version; a difference becomes `drift`, which the next update repairs.
 */
import * as YAML from "yaml";
import { classifyMachineConfigChange, unknownDocumentKinds } from "../distributions/talos/classify";
import { kubernetesRefusal, parseTalosVersion, upgradeRefusal } from "../distributions/talos/versions";
import { seconds } from "../errors";
import { Code, hasCode, parseTalosconfig, type ApplyMode, type TalosApiError } from "../clients/talos";
import { NodeApi, describeRoute, routeOf } from "../clients/talos/route";
import { probeTls } from "../clients/talos/probe";
import type { CallOptions, TalosClient } from "../clients/talos/client";
import { restartContainer, waitContainerRunning } from "../clients/dockerEngine";
import { KubeClient } from "../clients/kubernetes";
import { kubeconfigClientCert } from "../pki/kubeconfig";
import { containsUnknown } from "../impact/unknown";
import { urlHost, waitHealthy, type GateContext } from "./talosMachine.gates";
import { drain, setUnschedulable } from "./talosMachine.drain";
import { clusterQueueKey, queueFor, type QueueOp } from "./talosMachine.queue";
import {
  type MachineDrift,
  type TalosMachineInputs,
  classifyMachineChange,
  digestOf,
  groupInputs,
  kubernetesVersionOf,
  machineDiff,
  talosVersionOfImage,
  updateAction,
} from "./talosMachine.plan";

const log = (node: string, msg: string) => console.log(`[ksail] TalosMachine ${node}: ${msg}`);

function budgets(i: TalosMachineInputs) {
  return {
    apiMs: (i.timeouts?.apiSeconds ?? 600) * 1000,
    rebootMs: (i.timeouts?.rebootSeconds ?? 900) * 1000,
    drainMs: (i.timeouts?.drainSeconds ?? 600) * 1000,
  };
}

/** The node over mTLS, through its route (endpoint, then `via`). */
function apiOf(i: TalosMachineInputs): NodeApi {
  return new NodeApi(routeOf(i.node), { talosconfig: i.talosconfig, timeoutMs: 15_000 });
}

/** The node in maintenance mode: only directly (a node without identity cannot be proxied to), without a client certificate. */
function insecureApiOf(i: TalosMachineInputs): NodeApi {
  return new NodeApi({ endpoints: [i.node.endpoint] }, { insecure: true, timeoutMs: 15_000 });
}

function kubeOf(i: TalosMachineInputs): KubeClient | undefined {
  if (!i.kubeconfig) return undefined;
  return new KubeClient(kubeconfigClientCert(i.kubeconfig), 10_000);
}

function gateOf(i: TalosMachineInputs): GateContext {
  return { name: i.node.name, role: i.node.role, controlPlanes: i.controlPlanes, kube: kubeOf(i), log: (m) => log(i.node.name, m) };
}

/** One queue per cluster, keyed by the Talos API CA every machine of the cluster shares. */
function clusterKey(i: TalosMachineInputs): string {
  return clusterQueueKey(i.talosconfig, `node:${i.node?.name}`);
}

const op = (i: TalosMachineInputs, phase: number, what: string): QueueOp => ({ node: i.node.name, role: i.node.role, phase, what });

const retryUnavailable = (deadlineMs: number) => ({
  deadlineMs,
  initialDelayMs: 500,
  maxDelayMs: 5_000,
  retryOn: [Code.UNAVAILABLE, Code.DEADLINE_EXCEEDED],
});

/** Apply a config in `mode`; InvalidArgument (a rejected config) is never retried. */
async function apply(api: NodeApi, i: TalosMachineInputs, mode: ApplyMode): Promise<ApplyMode> {
  const r = await api.run((c, o) => c.applyConfiguration({ data: i.config, mode }, o), retryUnavailable(budgets(i).apiMs));
  for (const w of r.warnings) log(i.node.name, `warning from Talos: ${w}`);
  return r.mode;
}

/** Talos before 1.14 refuses a live apply of a change that needs a reboot with this message (CanApplyImmediate). */
const needsReboot = (e: unknown) => hasCode(e, Code.INVALID_ARGUMENT) && /immediate mode/.test((e as TalosApiError).details ?? "");

/** Wait (briefly) until the node stops answering after a reboot or reset was accepted. */
async function waitDown(api: NodeApi, i: TalosMachineInputs, what: string): Promise<void> {
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
async function rebootNode(api: NodeApi, i: TalosMachineInputs, what: string): Promise<void> {
  if (i.node.platform === "docker") {
    const name = i.node.containerName ?? i.node.name;
    log(i.node.name, `restarting container ${name} (Talos cannot reboot inside a container)`);
    await restartContainer(name, 30);
    await waitContainerRunning(name, budgets(i).rebootMs);
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
async function upgradeNode(api: NodeApi, i: TalosMachineInputs, image: string): Promise<void> {
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
async function healthyAfter(api: NodeApi, i: TalosMachineInputs, what: string, expectTag?: string): Promise<string> {
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
async function applyLiveOrReboot(api: NodeApi, i: TalosMachineInputs): Promise<{ mode: ApplyMode; rebooted: boolean }> {
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
async function waitConfiguredOrMaintenance(i: TalosMachineInputs, budgetMs: number): Promise<"configured" | "maintenance"> {
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
async function applyInMaintenance(i: TalosMachineInputs): Promise<ApplyMode> {
  const a = insecureApiOf(i);
  try {
    log(i.node.name, "applying the config insecurely (maintenance mode: the node has no identity yet)");
    return (await a.run((c, o) => c.applyConfiguration({ data: i.config, mode: "AUTO" }, o), retryUnavailable(budgets(i).apiMs))).mode;
  } finally {
    a.close();
  }
}

/** Configure a fresh (or freshly wiped) node, whichever way it came up. */
async function configureNode(i: TalosMachineInputs, budgetMs: number): Promise<{ mode: ApplyMode; tag: string }> {
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
async function wipeAndReconfigure(api: NodeApi, i: TalosMachineInputs): Promise<{ mode: ApplyMode; tag: string }> {
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
async function leaveEtcd(api: NodeApi, i: TalosMachineInputs, what: string): Promise<"left" | "last"> {
  const name = i.node.name;
  const members = await api.run((c, o) => c.etcdMemberList({ queryLocal: false }, o), retryUnavailable(budgets(i).apiMs));
  const self = members.find((m) => m.hostname === name);
  if (!self) return "left";
  const others = members.filter((m) => m !== self);
  if (others.length === 0) {
    log(name, `the last etcd member: not leaving (${what} takes the cluster's etcd with it)`);
    return "last";
  }
  let healthy = 0;
  for (const m of others) {
    const host = urlHost(m.clientUrls[0] ?? "");
    const ok = await api
      .run((c, o) => c.etcdMemberList({ queryLocal: true }, { ...o, node: host }), { maxAttempts: 2 })
      .then(
        () => true,
        () => false,
      );
    if (ok) healthy++;
  }
  const quorumAfter = Math.floor(others.length / 2) + 1;
  if (healthy < quorumAfter) {
    throw new Error(
      `${name}: removing it from etcd now would leave ${healthy} healthy of ${others.length} remaining members, below the quorum of ${quorumAfter}; bring the other control planes back first`,
    );
  }
  log(name, `leaving etcd (${others.length} member(s) remain)`);
  await api.run((c, o) => c.etcdLeaveCluster(o), retryUnavailable(budgets(i).apiMs));
  return "left";
}

/** Remove a control plane that no longer answers from etcd by its member id, through another member. */
async function removeDeadMember(i: TalosMachineInputs): Promise<void> {
  const name = i.node.name;
  // Ask through every endpoint we know (the node's own is gone; `via` names the other control planes).
  for (const endpoint of [...(i.node.via ?? []), i.node.endpoint]) {
    const other = new NodeApi({ endpoints: [endpoint] }, { talosconfig: i.talosconfig, timeoutMs: 10_000 });
    try {
      const members = await other.run((c, o) => c.etcdMemberList({ queryLocal: false }, o), { maxAttempts: 2 });
      const dead = members.find((m) => m.hostname === name);
      if (!dead) return;
      if (members.length === 1) return;
      log(name, `removing its etcd member ${dead.id} through ${endpoint} (the node is gone)`);
      await other.run((c, o) => c.etcdRemoveMemberById(dead.id, o), { maxAttempts: 3, initialDelayMs: 500 });
      return;
    } catch {
      // try the next endpoint
    } finally {
      other.close();
    }
  }
  log(
    name,
    "could not reach another control plane to remove its etcd member; remove it with `talosctl etcd remove-member` if it is listed",
  );
}

/** Is the node there, gone, or refusing our credentials? */
async function reachability(api: NodeApi, i: TalosMachineInputs): Promise<"ok" | "gone" | "maintenance"> {
  try {
    await api.run((c, o) => c.version(o), retryUnavailable(Math.min(30_000, budgets(i).apiMs)));
    return "ok";
  } catch (e) {
    if (hasCode(e, Code.PERMISSION_DENIED) || hasCode(e, Code.UNAUTHENTICATED)) {
      throw new Error(
        `${i.node.name}: the Talos API refuses our credentials (${(e as Error).message}); the node was not reset. Refresh the stack's talosconfig (ClusterSecrets) and run the delete again.`,
        { cause: e },
      );
    }
    if (!hasCode(e, Code.UNAVAILABLE) && !hasCode(e, Code.DEADLINE_EXCEEDED)) throw e;
    // Routed calls: the proxy answered, the node behind it did not.
    if (/dial tcp|connection refused|no route to host|i\/o timeout/i.test((e as TalosApiError).details ?? "") && i.node.address)
      return "gone";
    const probe = await probeTls(api.endpoint, parseTalosconfig(i.talosconfig), 5_000);
    if (probe.kind === "unreachable") return "gone";
    if (probe.kind === "untrusted") {
      const m = insecureApiOf(i);
      try {
        await m.run((c, o) => c.version(o), { maxAttempts: 1 });
        return "maintenance";
      } catch {
        // not in maintenance mode either: another cluster's node, or a CA rotation we do not know of
      } finally {
        m.close();
      }
    }
    throw new Error(
      `${i.node.name}: ${describeRoute(api.route)} answers but refuses our credentials (${probe.kind === "accepted" ? (e as Error).message : probe.detail}); the node was not reset and did not leave etcd. Check that the talosconfig belongs to this cluster (a rotated Talos CA?), then run the delete again.`,
      { cause: e },
    );
  }
}

/** Node objects of removed machines would stay NotReady and fail every later gate: delete them. */
async function deleteKubeNode(kube: KubeClient | undefined, name: string): Promise<void> {
  if (!kube) return;
  try {
    await kube.request("DELETE", `/api/v1/nodes/${encodeURIComponent(name)}`);
  } catch (e) {
    log(name, `could not delete the Kubernetes node object (continuing): ${(e as Error).message}`);
  }
}

/** The control-plane components first: the new config with the kubelet image of the old one. */
function controlPlaneOnly(oldConfig: string, newConfig: string): string | undefined {
  const oldK = kubernetesVersionOf(oldConfig);
  const newK = kubernetesVersionOf(newConfig);
  if (!oldK || !newK || oldK === newK) return undefined;
  return newConfig.replace(/(ghcr\.io\/siderolabs\/kubelet:v?)(\d+\.\d+\.\d+)/g, `$1${oldK}`);
}

function checkFailures(olds: Partial<TalosMachineInputs>, news: TalosMachineInputs): { property: string; reason: string }[] {
  const failures: { property: string; reason: string }[] = [];
  const n = news.node;
  if (n === undefined || n === null || (typeof n !== "object" && !containsUnknown(n))) {
    failures.push({ property: "node", reason: "node is required: {name, role, platform, endpoint}" });
    return failures;
  }
  if (!containsUnknown(n)) {
    if (!["controlplane", "worker"].includes(n.role))
      failures.push({ property: "node", reason: `node.role "${n.role}" must be "controlplane" or "worker"` });
    if (!["docker", "hcloud", "metal"].includes(n.platform))
      failures.push({ property: "node", reason: `node.platform "${n.platform}" must be "docker", "hcloud" or "metal"` });
    if (!n.endpoint) failures.push({ property: "node", reason: "node.endpoint is required: the apid host[:port] to dial" });
    if ((n.via?.length ?? 0) > 0 && !n.address)
      failures.push({
        property: "node",
        reason: "node.via routes through other control planes' apid, so node.address (the node's own address) is required",
      });
  }
  if (typeof news.config !== "string" || news.config === "") {
    failures.push({ property: "config", reason: "config (the machine config YAML) is required" });
    return failures;
  }
  if (containsUnknown(news.config) || containsUnknown(news.talosVersion)) return failures;
  try {
    const unknown = unknownDocumentKinds(news.config, news.talosVersion);
    for (const u of unknown) failures.push({ property: "config", reason: `${u.path}: ${u.message}` });
  } catch (e) {
    failures.push({ property: "config", reason: (e as Error).message });
  }
  if (olds.config === undefined || failures.length > 0) return failures;
  const oldK = kubernetesVersionOf(olds.config);
  const newK = kubernetesVersionOf(news.config);
  const oldT = talosVersionOfImage(olds.installImage);
  const newT = talosVersionOfImage(news.installImage);
  // `check` sees the old inputs: the Talos version last applied is what the node runs (a refresh records drift).
  const running = typeof olds.talosVersion === "string" && !containsUnknown(olds.talosVersion) ? olds.talosVersion : undefined;
  if (oldK && newK && oldK !== newK && oldT && newT && oldT !== newT && n.platform !== "docker") {
    failures.push({
      property: "config",
      reason: `Talos (${oldT} → ${newT}) and Kubernetes (${oldK} → ${newK}) change together; Talos checks Kubernetes against the version it runs, so upgrade one at a time: first Talos with spec.cluster.kubernetesVersion pinned to ${oldK}, then Kubernetes`,
    });
  } else if (oldK && newK && oldK !== newK && running) {
    const refusal = kubernetesRefusal(parseTalosVersion(running.replace(/^v/, "").replace(/-.*$/, "")), newK);
    if (refusal) failures.push({ property: "config", reason: `${n.name} runs Talos ${running}: ${refusal}` });
  }
  if (newT && running && newT !== running.replace(/^v/, "") && n.platform !== "docker") {
    const refusal = upgradeRefusal(running, parseTalosVersion(newT));
    if (refusal) failures.push({ property: "installImage", reason: `${n.name}: ${refusal}` });
  }
  try {
    const c = classifyMachineChange(olds, news, classifyMachineConfigChange);
    if (c.kind === "reinstall") {
      failures.push({
        property: "config",
        reason: `${c.reasons.filter((r) => r.includes("reinstall")).join("; ")}. Talos keeps the system where it was installed: replace the node (remove it, then add it back) to move it.`,
      });
    }
  } catch (e) {
    failures.push({ property: "config", reason: (e as Error).message });
  }
  return failures;
}

export const handler = {
  async check(olds: Partial<TalosMachineInputs>, news: TalosMachineInputs) {
    const failures = checkFailures(olds, news);
    if (failures.length > 0) return { inputs: news, failures };
    try {
      return { inputs: groupInputs(olds, news, classifyMachineConfigChange) };
    } catch (e) {
      return { inputs: news, failures: [{ property: "config", reason: (e as Error).message }] };
    }
  },

  async diff(id: string, olds: Record<string, unknown>, news: Record<string, unknown>) {
    const d = machineDiff(olds, news);
    if (d.changes) {
      const n = news as unknown as TalosMachineInputs;
      const c = classifyMachineChange(olds as Partial<TalosMachineInputs>, n, classifyMachineConfigChange);
      const cls =
        d.replaces.length > 0
          ? "recreate-required"
          : c.kind === "wipe"
            ? "rolling-recreate"
            : c.kind === "reboot" || c.kind === "unknown"
              ? "reboot-required"
              : "in-place";
      console.error(
        `KSAIL-IMPACT TalosMachine ${String((news.node as { name?: string })?.name ?? id)}: ${cls}${c.reasons.length ? `\n  ${c.reasons.join("\n  ")}` : ""}`,
      );
      // Announce the work so the queue holds workers back until the control planes announced before them are done.
      if (d.replaces.length === 0 && !containsUnknown(n.node) && typeof n.talosconfig === "string" && !containsUnknown(n.talosconfig)) {
        const q = queueFor(clusterKey(n));
        if (
          n.node.role === "controlplane" &&
          typeof olds.config === "string" &&
          typeof n.config === "string" &&
          controlPlaneOnly(olds.config, n.config)
        ) {
          q.intend(op(n, 0, "control-plane upgrade"));
        }
        q.intend(op(n, 1, "update"));
      }
    }
    return d;
  },

  async create(inputs: TalosMachineInputs) {
    const name = inputs.node.name;
    const { apiMs } = budgets(inputs);
    let mode: ApplyMode;
    let tag: string;
    if (inputs.maintenance) {
      log(name, `waiting for the Talos API at ${inputs.node.endpoint} (maintenance mode, or configured by an earlier attempt)`);
      const state = await waitConfiguredOrMaintenance(inputs, apiMs);
      if (state === "configured")
        log(name, "the node already runs a config with this cluster's identity (an earlier attempt applied it): adopting it over mTLS");
      ({ mode, tag } = await configureNode(inputs, apiMs));
    } else {
      log(name, `waiting for the Talos API at ${describeRoute(routeOf(inputs.node))}`);
      const a = apiOf(inputs);
      try {
        await a.run((c, o) => c.version(o), retryUnavailable(apiMs));
        const r = await applyLiveOrReboot(a, inputs);
        mode = r.mode;
        tag = (await a.run((c, o) => c.version(o), retryUnavailable(budgets(inputs).rebootMs))).tag;
      } finally {
        a.close();
      }
    }
    log(name, `config applied (${mode})`);
    return { id: name, outs: { ...inputs, appliedMode: mode, talosVersionReported: tag, lastChange: "create" } };
  },

  async update(_id: string, olds: TalosMachineInputs & Record<string, unknown>, news: TalosMachineInputs) {
    const name = news.node.name;
    const c = classifyMachineChange(olds, news, classifyMachineConfigChange);
    if (c.kind === "immutable")
      throw new Error(`${name}: an immutable change reached update (${c.reasons.join("; ")}); it must replace the machine`);
    if (c.kind === "reinstall") throw new Error(`${name}: ${c.reasons.join("; ")}; replace the node to move its installation`);
    const plan = updateAction(c.kind, olds, news);
    let appliedMode = String(olds.appliedMode ?? "");
    let tag = String(olds.talosVersionReported ?? "");
    // The update repairs any drift a refresh found: the outputs no longer carry it (no undefined values: they do not serialize).
    const outs = (lastChange: string) => {
      const { drift: _repaired, ...rest } = news as TalosMachineInputs & { drift?: unknown };
      return { ...rest, appliedMode, talosVersionReported: tag, lastChange };
    };
    if (plan.apply === "none" && !plan.upgrade) return { outs: outs("none") };
    for (const r of c.reasons) log(name, r);
    const q = queueFor(clusterKey(news));
    const { apiMs } = budgets(news);

    // A Kubernetes upgrade moves the control-plane components of every control plane before any kubelet.
    const cpOnly = news.node.role === "controlplane" && plan.apply === "NO_REBOOT" ? controlPlaneOnly(olds.config, news.config) : undefined;
    if (cpOnly) {
      await q.run(op(news, 0, "control-plane upgrade"), async () => {
        const a = apiOf(news);
        try {
          await waitHealthy(a, gateOf(news), apiMs, "before the control-plane upgrade");
          log(
            name,
            `Kubernetes ${kubernetesVersionOf(olds.config)} → ${kubernetesVersionOf(news.config)}: control-plane components first (the kubelet follows once every API server runs the new version)`,
          );
          await a.run((cl, o) => cl.applyConfiguration({ data: cpOnly, mode: "NO_REBOOT" }, o), retryUnavailable(apiMs));
          await waitHealthy(a, gateOf(news), budgets(news).rebootMs, "after the control-plane upgrade");
        } finally {
          a.close();
        }
      });
    }

    const what = plan.upgrade ? "upgrade" : plan.apply === "WIPE" ? "wipe" : plan.reboot || plan.apply === "STAGED" ? "reboot" : "update";
    return q.run(op(news, 1, what), async () => {
      const a = apiOf(news);
      const g = gateOf(news);
      try {
        await waitHealthy(a, g, apiMs, `before the ${what}`);
        if (plan.apply === "NO_REBOOT" && !plan.upgrade) {
          const r = await applyLiveOrReboot(a, news);
          appliedMode = r.mode;
          if (!r.rebooted) log(name, "applied in place (NO_REBOOT)");
          tag = await healthyAfter(a, news, "after the change");
          return { outs: outs(r.rebooted ? "reboot" : "in-place") };
        }
        const kube = g.kube;
        if (kube) {
          log(name, "cordoning and draining");
          await drain(kube, name, budgets(news).drainMs, (m) => log(name, m));
        }
        if (plan.apply === "WIPE") {
          const r = await wipeAndReconfigure(a, news);
          appliedMode = r.mode;
        } else {
          if (plan.apply === "STAGED") {
            appliedMode = await apply(a, news, "STAGED");
            log(name, "config staged for the next boot");
          }
          if (plan.upgrade) await upgradeNode(a, news, plan.upgrade);
          else await rebootNode(a, news, "a reboot-required change");
        }
        tag = await healthyAfter(a, news, `after the ${what}`, plan.upgrade ? talosVersionOfImage(plan.upgrade) : undefined);
        if (kube) await setUnschedulable(kube, name, false);
        return { outs: outs(plan.upgrade ? "upgrade" : plan.apply === "WIPE" ? "wipe" : "reboot") };
      } finally {
        a.close();
      }
    });
  },

  async delete(_id: string, props: TalosMachineInputs) {
    const name = props.node?.name ?? _id;
    const docker = props.node?.platform === "docker";
    const reset = props.resetOnDelete ?? !docker;
    const role = props.node?.role;
    if (docker && !reset && role !== "controlplane") {
      await deleteKubeNode(kubeOf(props), name);
      log(name, "nothing else to do on delete (the container is removed with the node)");
      return;
    }
    await queueFor(clusterKey(props)).run(op(props, 1, "removal"), async () => {
      const a = apiOf(props);
      const kube = kubeOf(props);
      try {
        const state = await reachability(a, props);
        if (state !== "ok") {
          log(
            name,
            state === "gone" ? "the node is gone (its Talos API does not answer)" : "the node is in maintenance mode (already reset)",
          );
          if (role === "controlplane") await removeDeadMember(props);
          await deleteKubeNode(kube, name);
          return;
        }
        const etcd = role === "controlplane" ? await leaveEtcd(a, props, "the delete") : "left";
        if (kube) {
          await drain(kube, name, budgets(props).drainMs, (m) => log(name, m)).catch((e: Error) =>
            log(name, `drain did not finish (continuing with the removal): ${e.message}`),
          );
        }
        if (reset) {
          log(name, "resetting the node");
          await a.run((c, o) => c.reset({ graceful: false, reboot: false }, o), retryUnavailable(Math.min(60_000, budgets(props).apiMs)));
        }
        if (etcd !== "last") await deleteKubeNode(kube, name);
      } finally {
        a.close();
      }
    });
  },

  /**
   * Refresh: the config and the Talos version the node runs. A difference from what was applied is recorded as
   * `drift` (digest, class and reasons; never the config itself), which the next preview shows as an update and the
   * next `pulumi up` repairs. A node that does not answer keeps its state (refresh does not delete machines).
   */
  async read(id: string, props: TalosMachineInputs & Record<string, unknown>) {
    if (!props?.node || typeof props.config !== "string" || typeof props.talosconfig !== "string") return { id, props };
    const a = new NodeApi(routeOf(props.node), { talosconfig: props.talosconfig, timeoutMs: 10_000 });
    try {
      const v = await a.run((c, o) => c.version(o), { maxAttempts: 2 * a.route.endpoints.length, initialDelayMs: 200 });
      const live = await a
        .run((c: TalosClient, o) => c.getResource("config", "MachineConfigs.config.talos.dev", "v1alpha1", o), {
          maxAttempts: a.route.endpoints.length,
        })
        .then((r) => YAML.parse(r.yamlSpec) as unknown);
      const drift: { -readonly [K in keyof MachineDrift]: MachineDrift[K] } = {};
      if (typeof live === "string") {
        const back = classifyMachineConfigChange(live, props.config, v.tag.replace(/^v/, "").replace(/-.*$/, ""));
        if (back.kind !== "none") Object.assign(drift, { configDigest: digestOf(live), kind: back.kind, reasons: back.reasons });
      }
      const want = talosVersionOfImage(props.installImage) ?? String(props.talosVersionReported ?? "").replace(/^v/, "");
      if (props.node.platform !== "docker" && want && v.tag.replace(/^v/, "") !== want) drift.version = v.tag;
      const found = Object.keys(drift).length > 0;
      if (found)
        log(
          props.node.name,
          `drift: ${[drift.kind && `config (${drift.kind})`, drift.version && `Talos ${drift.version}`].filter(Boolean).join(", ")}`,
        );
      const { drift: _old, ...rest } = props;
      return { id, props: { ...rest, talosVersionReported: v.tag, ...(found ? { drift } : {}) } };
    } catch (e) {
      log(props.node.name, `refresh could not read the node (state kept): ${(e as Error).message}`);
      return { id, props };
    } finally {
      a.close();
    }
  },
};
