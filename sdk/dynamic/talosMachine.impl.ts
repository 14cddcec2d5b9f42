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
import { classifyMachineConfigChange } from "../distributions/talos/classify";
import { type ApplyMode } from "../clients/talos";
import { NodeApi, describeRoute, routeOf } from "../clients/talos/route";
import type { TalosClient } from "../clients/talos/client";
import { containsUnknown } from "../impact/unknown";
import { waitHealthy } from "./talosMachine.gates";
import { drain, setUnschedulable } from "./talosMachine.drain";
import { queueFor } from "./talosMachine.queue";
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

import { apiOf, apply, budgets, clusterKey, gateOf, kubeOf, log, op, retryUnavailable } from "./talosMachine.node";
import {
  applyLiveOrReboot,
  configureNode,
  healthyAfter,
  rebootNode,
  upgradeNode,
  waitConfiguredOrMaintenance,
  wipeAndReconfigure,
} from "./talosMachine.ops";
import { deleteKubeNode, leaveEtcd, reachability, removeDeadMember } from "./talosMachine.removal";
import { checkFailures, controlPlaneOnly } from "./talosMachine.check";
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
