/**
 * HcloudCleanup provider logic (loaded by the trampoline in hcloudCleanup.ts; never serialized).
 * create/update: nothing (a record of what to clean up). delete: removes what the cluster created in Hetzner Cloud
 * outside Pulumi, so that `pulumi destroy` leaves nothing billed and the network can be deleted: servers the
 * cluster-autoscaler created (label `hcloud/node-group`, attached to the cluster network, as KSail's delete finds
 * them), load balancers the hcloud CCM created (attached to the cluster network, not labelled as this cluster's
 * own), and the CSI driver's volumes (labelled with the cluster name through the driver's extra volume labels),
 * detached first. Already-gone resources count as deleted.
 */
import type { HcloudClient } from "../clients/hetzner";
import { type DynamicConfig, hcloudClient } from "./hcloudCommon";
import { containsUnknown } from "../impact/unknown";

export interface HcloudCleanupInputs {
  readonly clusterName: string;
  /** Id of the cluster's hcloud.Network. */
  readonly networkId: string;
  /** Label selector of the CSI volumes to delete; empty = keep volumes. */
  readonly volumeSelector?: string;
  /** Label selector of the load balancers Pulumi manages itself (never deleted here). */
  readonly ownSelector?: string;
  readonly tokenEnvVar?: string;
  readonly timeouts?: { actionSeconds?: number };
}

interface Listed {
  readonly id: number;
  readonly name: string;
  readonly labels?: Record<string, string>;
  readonly private_net?: readonly { readonly network: number }[];
  readonly server?: number | null;
}

let config: DynamicConfig | undefined;
const log = (cluster: string, msg: string) => console.log(`[ksail] HcloudCleanup ${cluster}: ${msg.replace(/^\[ksail\] /, "")}`);

const onNetwork = (x: Listed, networkId: number) => (x.private_net ?? []).some((n) => Number(n.network) === networkId);

function matches(labels: Record<string, string> | undefined, selector: string): boolean {
  return selector
    .split(",")
    .map((t) => t.trim())
    .filter(Boolean)
    .every((t) => {
      const [k, v] = t.split("=");
      return v === undefined ? k in (labels ?? {}) : labels?.[k] === v;
    });
}

/** What delete removes (and removes, unless `dryRun`). */
export async function cleanup(api: HcloudClient, i: HcloudCleanupInputs, dryRun = false): Promise<string[]> {
  const networkId = Number(i.networkId);
  const actionMs = (i.timeouts?.actionSeconds ?? 600) * 1000;
  const done: string[] = [];
  const servers = (await api.list<Listed>("servers", "hcloud/node-group")).filter((s) => onNetwork(s, networkId));
  const lbs = (await api.list<Listed>("load_balancers", "")).filter(
    (lb) => onNetwork(lb, networkId) && !(i.ownSelector && matches(lb.labels, i.ownSelector)),
  );
  const volumes = i.volumeSelector ? await api.list<Listed>("volumes", i.volumeSelector) : [];
  for (const s of servers) {
    done.push(`server ${s.name} (autoscaler, node group ${s.labels?.["hcloud/node-group"]})`);
    if (!dryRun) await api.remove(`/servers/${s.id}`, actionMs);
  }
  for (const lb of lbs) {
    done.push(`load balancer ${lb.name} (hcloud CCM)`);
    if (!dryRun) await api.remove(`/load_balancers/${lb.id}`, actionMs);
  }
  for (const v of volumes) {
    done.push(`volume ${v.name} (CSI)`);
    if (dryRun) continue;
    if (v.server) {
      const r = await api.request<{ action: Parameters<HcloudClient["waitAction"]>[0] }>("POST", `/volumes/${v.id}/actions/detach`, {});
      await api.waitAction(r.action, actionMs);
    }
    await api.remove(`/volumes/${v.id}`, actionMs);
  }
  return done;
}

export const handler = {
  async configure(req: { config: DynamicConfig }) {
    config = req.config;
  },
  async check(_olds: Record<string, unknown>, news: Record<string, unknown>) {
    const failures = ["clusterName", "networkId"]
      .filter((k) => !containsUnknown(news[k]) && (typeof news[k] !== "string" || news[k] === ""))
      .map((k) => ({ property: k, reason: `${k} must be a non-empty string` }));
    return { inputs: news, failures };
  },
  async diff(_id: string, olds: Record<string, unknown>, news: Record<string, unknown>) {
    // Only another network (a recreated cluster) replaces the record, and only then does its delete run.
    if (containsUnknown(news.networkId) || olds.networkId !== news.networkId)
      return { changes: true, replaces: ["networkId"], deleteBeforeReplace: true };
    const keys = ["clusterName", "volumeSelector", "ownSelector", "tokenEnvVar", "timeouts"];
    return { changes: keys.some((k) => JSON.stringify(olds[k] ?? null) !== JSON.stringify(news[k] ?? null)) };
  },
  async create(inputs: HcloudCleanupInputs) {
    return { id: `${inputs.clusterName}-cleanup`, outs: { ...inputs } };
  },
  async update(_id: string, _olds: HcloudCleanupInputs, news: HcloudCleanupInputs) {
    return { outs: { ...news } };
  },
  async delete(_id: string, props: HcloudCleanupInputs) {
    const api = hcloudClient(config, props.tokenEnvVar, (m) => log(props.clusterName, m));
    const removed = await cleanup(api, props);
    log(props.clusterName, removed.length > 0 ? `deleted ${removed.join(", ")}` : "nothing left behind outside Pulumi");
  },
};
