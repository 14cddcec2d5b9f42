/**
 * OmniClusterReady provider logic (loaded by the trampoline in omniClusterReady.ts; never serialized): wait until
 * Omni reports the cluster running and ready with the requested machines, then list the cluster's machines.
 */
import { seconds } from "../errors";
import { omniClient, type OmniConnection } from "./omniConnection";

export interface OmniClusterReadyInputs {
  readonly connection: OmniConnection;
  readonly serviceAccountKey?: string;
  readonly cluster: string;
  /** Machines the cluster should have (control planes + workers): the wait ends when Omni runs them all. */
  readonly machines: number;
  readonly waitSeconds?: number;
}

const log = (i: OmniClusterReadyInputs, msg: string) => console.log(`[ksail] Omni cluster ${i.cluster}: ${msg}`);

async function waitReady(i: OmniClusterReadyInputs) {
  const { client, spec } = await omniClient(i.connection, i.serviceAccountKey);
  const waitMs = (i.waitSeconds ?? 1800) * 1000;
  try {
    log(i, `waiting until Omni runs ${i.machines} machine(s) and reports the cluster ready`);
    let last = "";
    await client
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
    const nodes = (await client.list("MachineSetNodes.omni.sidero.dev", { labels: { "omni.sidero.dev/cluster": i.cluster } })).map((n) => ({
      name: n.metadata.id,
      role: "omni.sidero.dev/role-controlplane" in n.metadata.labels ? "control-plane" : "worker",
      address: "",
    }));
    return { nodes };
  } finally {
    client.close();
  }
}

const KEYS = ["connection", "serviceAccountKey", "cluster", "machines", "waitSeconds"] as const;

export const handler = {
  async diff(_id: string, olds: OmniClusterReadyInputs, news: OmniClusterReadyInputs) {
    const changed = KEYS.some((k) => JSON.stringify(olds[k] ?? null) !== JSON.stringify(news[k] ?? null));
    const replaces = olds.cluster !== news.cluster || olds.connection?.endpoint !== news.connection?.endpoint ? ["cluster"] : [];
    return { changes: changed, replaces, deleteBeforeReplace: false };
  },

  async create(inputs: OmniClusterReadyInputs) {
    return { id: `${inputs.cluster}-ready`, outs: { ...inputs, ...(await waitReady(inputs)) } };
  },

  async update(_id: string, _olds: unknown, news: OmniClusterReadyInputs) {
    return { outs: { ...news, ...(await waitReady(news)) } };
  },

  /** Nothing to undo: a wait. */
  async delete() {},
};
