/** Removing a TalosMachine: leaving etcd (or removing a dead member by id), telling gone from refusing, the Kubernetes node. */
import { Code, hasCode, parseTalosconfig, type TalosApiError } from "../clients/talos";
import { NodeApi, describeRoute } from "../clients/talos/route";
import { probeTls } from "../clients/talos/probe";
import { KubeClient } from "../clients/kubernetes";
import { urlHost } from "./talosMachine.gates";
import { type TalosMachineInputs } from "./talosMachine.plan";

import { budgets, insecureApiOf, log, retryUnavailable } from "./talosMachine.node";

export async function leaveEtcd(api: NodeApi, i: TalosMachineInputs, what: string): Promise<"left" | "last"> {
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
export async function removeDeadMember(i: TalosMachineInputs): Promise<void> {
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
export async function reachability(api: NodeApi, i: TalosMachineInputs): Promise<"ok" | "gone" | "maintenance"> {
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
export async function deleteKubeNode(kube: KubeClient | undefined, name: string): Promise<void> {
  if (!kube) return;
  try {
    await kube.request("DELETE", `/api/v1/nodes/${encodeURIComponent(name)}`);
  } catch (e) {
    log(name, `could not delete the Kubernetes node object (continuing): ${(e as Error).message}`);
  }
}

/** The control-plane components first: the new config with the kubelet image of the old one. */
