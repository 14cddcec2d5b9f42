/**
 * OmniKubeconfig provider logic (loaded by the trampoline in omniKubeconfig.ts; never serialized): fetch a
 * service-account kubeconfig (Management.Kubeconfig: a token for Omni's Kubernetes proxy). The wait for the
 * running cluster is OmniClusterReady's, which this resource depends on.
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
}

const log = (i: OmniKubeconfigInputs, msg: string) => console.log(`[ksail] Omni cluster ${i.cluster}: ${msg}`);

async function fetch(i: OmniKubeconfigInputs) {
  const { client } = await omniClient(i.connection, i.serviceAccountKey);
  try {
    const kubeconfig = await client.kubeconfig(i.cluster, { ttlSeconds: i.ttlSeconds, user: i.user, groups: i.groups });
    const doc = YAML.parse(kubeconfig) as { clusters?: { cluster?: { server?: string } }[] };
    const server = doc?.clusters?.[0]?.cluster?.server ?? "";
    log(i, `kubeconfig issued for ${i.user} (valid ${seconds(i.ttlSeconds * 1000)})`);
    return { kubeconfig, server, issuedAt: new Date().toISOString() };
  } finally {
    client.close();
  }
}

const KEYS = ["connection", "serviceAccountKey", "cluster", "user", "groups", "ttlSeconds"] as const;

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
