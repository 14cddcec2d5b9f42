/**
 * OmniKubeconfig provider logic (loaded by the trampoline in omniKubeconfig.ts; never serialized): wait until
 * Omni reports the cluster ready with the requested machines, then fetch a service-account kubeconfig
 * (Management.Kubeconfig: a token for Omni's Kubernetes proxy) and report the cluster's machines.
 */
import * as YAML from "yaml";
import { seconds } from "../errors";
import { omniClient, type OmniConnection } from "./omniConnection";

export interface OmniKubeconfigInputs {
  readonly connection: OmniConnection;
  readonly serviceAccountKey?: string;
  readonly cluster: string;
  readonly user: string;
  readonly groups: readonly string[];
  readonly ttlSeconds: number;
  /** Machines the cluster should have (control planes + workers): the wait ends when Omni runs them all. */
  readonly machines: number;
  readonly waitSeconds?: number;
}

const log = (i: OmniKubeconfigInputs, msg: string) => console.log(`[ksail] Omni cluster ${i.cluster}: ${msg}`);

async function fetch(i: OmniKubeconfigInputs) {
  const { client, spec } = await omniClient(i.connection, i.serviceAccountKey);
  const waitMs = (i.waitSeconds ?? 1800) * 1000;
  try {
    log(i, `waiting until Omni runs ${i.machines} machine(s) and reports the cluster ready`);
    let last = "";
    const status = await client
      .waitFor(
        "ClusterStatuses.omni.sidero.dev",
        i.cluster,
        (r) => {
          if (!r) return false;
          const s = spec.decodeSpec<any>(r.metadata.type, r.spec);
          return s.phase === "RUNNING" && s.ready === true && (s.machines?.total ?? 0) >= i.machines;
        },
        {
          timeoutMs: waitMs,
          onUpdate: (r) => {
            if (!r) return;
            const s = spec.decodeSpec<any>(r.metadata.type, r.spec);
            const line = `${s.phase}: ${s.machines?.total ?? 0}/${s.machines?.requested ?? 0} machines, ready ${s.ready}`;
            if (line !== last) log(i, (last = line));
          },
        },
      )
      .catch((e: Error) => {
        throw new Error(`Omni cluster ${i.cluster} was not ready within ${seconds(waitMs)} (${last || "no status yet"}): ${e.message}`, {
          cause: e,
        });
      });
    void status;
    const kubeconfig = await client.kubeconfig(i.cluster, { ttlSeconds: i.ttlSeconds, user: i.user, groups: i.groups });
    const doc = YAML.parse(kubeconfig) as { clusters?: { cluster?: { server?: string } }[] };
    const server = doc?.clusters?.[0]?.cluster?.server ?? "";
    const nodes = (await client.list("MachineSetNodes.omni.sidero.dev", { labels: { "omni.sidero.dev/cluster": i.cluster } })).map((n) => ({
      name: n.metadata.id,
      role: "omni.sidero.dev/role-controlplane" in n.metadata.labels ? "control-plane" : "worker",
      address: "",
    }));
    log(i, `kubeconfig issued for ${i.user} (valid ${seconds(i.ttlSeconds * 1000)})`);
    return { kubeconfig, server, nodes, issuedAt: new Date().toISOString() };
  } finally {
    client.close();
  }
}

const KEYS = ["connection", "serviceAccountKey", "cluster", "user", "groups", "ttlSeconds", "machines", "waitSeconds"] as const;

export const handler = {
  async diff(_id: string, olds: OmniKubeconfigInputs & { issuedAt?: string }, news: OmniKubeconfigInputs) {
    const changed = KEYS.some((k) => JSON.stringify(olds[k] ?? null) !== JSON.stringify(news[k] ?? null));
    // renew the token once half of its lifetime has passed (a kubeconfig in state must keep working)
    const issued = olds.issuedAt ? Date.parse(olds.issuedAt) : 0;
    const stale = Date.now() - issued > (olds.ttlSeconds * 1000) / 2;
    const replaces = olds.cluster !== news.cluster || olds.connection?.endpoint !== news.connection?.endpoint ? ["cluster"] : [];
    return { changes: changed || stale, replaces, deleteBeforeReplace: false };
  },

  async create(inputs: OmniKubeconfigInputs) {
    return { id: `${inputs.cluster}-kubeconfig`, outs: { ...inputs, ...(await fetch(inputs)) } };
  },

  async update(_id: string, _olds: unknown, news: OmniKubeconfigInputs) {
    return { outs: { ...news, ...(await fetch(news)) } };
  },

  /** Nothing to undo: the token expires with its TTL, and the cluster goes with its OmniResource. */
  async delete() {},
};
