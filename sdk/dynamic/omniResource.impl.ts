/**
 * OmniResource provider logic (loaded by the trampoline in omniResource.ts; never serialized): one resource
 * of an Omni cluster template — Cluster, MachineSet, MachineSetNode or ConfigPatch — written through Omni's
 * COSI state API the way template sync writes it (create; update at the stored version; delete = teardown,
 * then destroy once Omni's controllers released it). The service-account key comes from the input (secret)
 * or from the named environment variable, read at operation time.
 */
import { applyPatches } from "../distributions/talos/patches";
import { stringifyDocuments } from "../distributions/talos/documents";
import { classifyMachineConfigChange, type ConfigChangeKind } from "../distributions/talos/classify";
import { UNKNOWN, containsUnknown } from "../impact/unknown";
import { seconds } from "../errors";
import type { OmniConnection } from "./omniConnection";
import { omniClient } from "./omniConnection";

export type OmniKind = "Cluster" | "MachineSet" | "MachineSetNode" | "ConfigPatch";

/** Where a ConfigPatch's data sits: the impact group of its last change (shows as `[diff: ~rebootRequired]`). */
export const PATCH_GROUPS = ["inPlace", "rebootRequired", "recreateRequired"] as const;
export type PatchGroup = (typeof PATCH_GROUPS)[number];

export interface OmniResourceInputs {
  readonly connection: OmniConnection;
  readonly serviceAccountKey?: string;
  readonly kind: OmniKind;
  readonly resourceId: string;
  readonly labels: Record<string, string>;
  readonly annotations: Record<string, string>;
  /** The spec (camelCase fields of the Omni spec message); ConfigPatch: none (the data is in a group). */
  readonly spec?: Record<string, unknown>;
  /** ConfigPatch, as the program passes it; `check` moves it into its group. */
  readonly data?: string;
  readonly inPlace?: string;
  readonly rebootRequired?: string;
  readonly recreateRequired?: string;
  /** ConfigPatch: which machine configs the patch reaches, for the classifier. */
  readonly patchScope?: "cluster" | "control-planes" | "workers";
  /** ConfigPatch: the cluster's Talos version, for the classifier's rules. */
  readonly talosVersion?: string;
  readonly timeouts?: { readonly teardownSeconds?: number };
}

const TYPE: Record<OmniKind, string> = {
  Cluster: "Clusters.omni.sidero.dev",
  MachineSet: "MachineSets.omni.sidero.dev",
  MachineSetNode: "MachineSetNodes.omni.sidero.dev",
  ConfigPatch: "ConfigPatches.omni.sidero.dev",
};

const log = (i: OmniResourceInputs, msg: string) => console.log(`[ksail] Omni ${i.kind} ${i.resourceId}: ${msg}`);

export function patchData(i: Partial<OmniResourceInputs>): string | undefined {
  for (const g of PATCH_GROUPS) if (typeof i[g] === "string") return i[g];
  return i.data;
}

function groupOf(i: Partial<OmniResourceInputs>): PatchGroup | undefined {
  return PATCH_GROUPS.find((g) => typeof i[g] === "string");
}

const KIND_GROUP: Record<Exclude<ConfigChangeKind, "none">, PatchGroup> = {
  live: "inPlace",
  reboot: "rebootRequired",
  // What Omni does with a disk-encryption, volume or install-disk change is not documented: classed as the most
  // severe change a patch can announce, so a preview never understates it.
  wipe: "recreateRequired",
  reinstall: "recreateRequired",
  immutable: "recreateRequired",
};
const SEVERITY: Record<PatchGroup, number> = { inPlace: 0, rebootRequired: 1, recreateRequired: 2 };

/** What changing a patch from `old` to `next` costs, by the Talos machine-config classifier, on each role it reaches. */
export function classifyPatchChange(old: string, next: string, scope: OmniResourceInputs["patchScope"], talosVersion: string): PatchGroup {
  const roles = scope === "control-planes" ? ["controlplane"] : scope === "workers" ? ["worker"] : ["controlplane", "worker"];
  let worst: PatchGroup = "inPlace";
  for (const role of roles) {
    const base = [{ version: "v1alpha1", machine: { type: role }, cluster: {} }];
    const render = (content: string) => stringifyDocuments(applyPatches(base, [{ source: "patch.yaml", content }]));
    const r = classifyMachineConfigChange(render(old), render(next), talosVersion);
    if (r.kind === "none") continue;
    const g = KIND_GROUP[r.kind];
    if (SEVERITY[g] > SEVERITY[worst]) worst = g;
  }
  return worst;
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

async function ensure(i: OmniResourceInputs): Promise<{ version: string; phase: string }> {
  const { client, spec: codec } = await omniClient(i.connection, i.serviceAccountKey);
  try {
    const type = TYPE[i.kind];
    const spec = codec.encodeSpec(type, i.kind === "ConfigPatch" ? { data: patchData(i) ?? "" } : (i.spec ?? {}));
    for (let attempt = 1; ; attempt++) {
      const cur = await client.get(type, i.resourceId);
      if (!cur) {
        try {
          const created = await client.create({
            metadata: codec.newMetadata(type as Parameters<typeof codec.newMetadata>[0], i.resourceId, {
              labels: i.labels,
              annotations: i.annotations,
            }),
            spec,
          });
          log(i, "created");
          return { version: created.metadata.version, phase: created.metadata.phase };
        } catch (e) {
          if ((e as { code?: number }).code !== 6) throw e;
          if (attempt >= 3) throw e;
          continue; // created concurrently: read it and update
        }
      }
      if (cur.metadata.phase === "tearingDown") {
        throw new Error(
          `Omni ${i.kind} ${i.resourceId} is being torn down; wait until Omni finished removing it, then run the update again`,
        );
      }
      const labels = { ...cur.metadata.labels, ...i.labels };
      const annotations = { ...cur.metadata.annotations, ...i.annotations };
      if (Buffer.compare(cur.spec, spec) === 0 && same(labels, cur.metadata.labels) && same(annotations, cur.metadata.annotations)) {
        return { version: cur.metadata.version, phase: cur.metadata.phase };
      }
      try {
        const upd = await client.update({ metadata: { ...cur.metadata, labels, annotations }, spec });
        log(i, `updated (version ${upd.metadata.version})`);
        return { version: upd.metadata.version, phase: upd.metadata.phase };
      } catch (e) {
        // FailedPrecondition: a controller wrote in between (finalizers, status); read again, as COSI's UpdateWithConflicts does
        if ((e as { code?: number }).code !== 9 || attempt >= 5) throw e;
      }
    }
  } catch (e) {
    throw explain(i, e as Error);
  } finally {
    client.close();
  }
}

function explain(i: OmniResourceInputs, e: Error): Error {
  const code = (e as { code?: number }).code;
  if (code === 6 && i.kind === "MachineSetNode") {
    return new Error(
      `machine ${i.resourceId} already belongs to a machine set in Omni (another cluster?); free it there or list another machine. ${e.message}`,
      { cause: e },
    );
  }
  if (code === 6)
    return new Error(
      `Omni already has ${i.kind} ${i.resourceId}, not created by this stack; delete it in Omni or pick another cluster name. ${e.message}`,
      { cause: e },
    );
  return e;
}

export const handler = {
  async check(olds: Partial<OmniResourceInputs> | undefined, news: OmniResourceInputs) {
    const failures: { property: string; reason: string }[] = [];
    if (!news.connection || (news.connection as unknown) === UNKNOWN)
      failures.push({ property: "connection", reason: "connection {endpoint, serviceAccountKeyEnvVar} is required" });
    else if (
      typeof news.connection.endpoint !== "string" ||
      (news.connection.endpoint !== UNKNOWN && !/^https:\/\//.test(news.connection.endpoint))
    ) {
      failures.push({ property: "connection", reason: `endpoint ${JSON.stringify(news.connection.endpoint)} must be Omni's https:// URL` });
    }
    if (!(news.kind in TYPE)) failures.push({ property: "kind", reason: `kind must be one of ${Object.keys(TYPE).join(", ")}` });
    if (typeof news.resourceId !== "string" || news.resourceId === "")
      failures.push({ property: "resourceId", reason: "resourceId is required" });
    if (news.kind !== "ConfigPatch" || failures.length > 0) return { inputs: news, failures };

    // ConfigPatch: keep the data in the group of what its last change cost
    const next = patchData(news);
    const prev = olds ? patchData(olds) : undefined;
    let group: PatchGroup;
    if (next === undefined || containsUnknown(next))
      group = "rebootRequired"; // unknown during preview: may reboot
    else if (prev === undefined || containsUnknown(prev)) group = "inPlace";
    else if (prev === next) group = groupOf(olds!) ?? "inPlace";
    else {
      try {
        group = classifyPatchChange(prev, next, news.patchScope, news.talosVersion ?? "1.13.0");
      } catch {
        group = "rebootRequired"; // a patch the classifier cannot read: assume the worst Omni does with a patch
      }
    }
    const inputs: Record<string, unknown> = { ...news };
    for (const g of PATCH_GROUPS) delete inputs[g];
    delete inputs.data;
    inputs[group] = next;
    return { inputs: inputs as unknown as OmniResourceInputs, failures };
  },

  async diff(_id: string, olds: OmniResourceInputs, news: OmniResourceInputs) {
    const replaces: string[] = [];
    if (!same(olds.connection?.endpoint, news.connection?.endpoint)) replaces.push("connection");
    if (olds.kind !== news.kind) replaces.push("kind");
    if (olds.resourceId !== news.resourceId) replaces.push("resourceId");
    // Omni refuses to move a machine set or node to another cluster or set (relation labels are immutable)
    for (const l of ["omni.sidero.dev/cluster", "omni.sidero.dev/machine-set"]) {
      if (olds.labels?.[l] !== news.labels?.[l]) replaces.push("labels");
    }
    // ... and to switch a machine set with machines between a machine class and manual nodes
    if (news.kind === "MachineSet" && Boolean(olds.spec?.machineAllocation) !== Boolean(news.spec?.machineAllocation))
      replaces.push("spec");
    const keys = [
      "connection",
      "kind",
      "resourceId",
      "labels",
      "annotations",
      "spec",
      ...PATCH_GROUPS,
      "talosVersion",
      "patchScope",
      "timeouts",
      "serviceAccountKey",
    ] as const;
    const changes = keys.some((k) => !same(olds[k], news[k]));
    return { changes, replaces: [...new Set(replaces)], deleteBeforeReplace: true };
  },

  async create(inputs: OmniResourceInputs) {
    const r = await ensure(inputs);
    return { id: `${inputs.kind}/${inputs.resourceId}`, outs: { ...inputs, omniVersion: r.version } };
  },

  async update(_id: string, _olds: OmniResourceInputs, news: OmniResourceInputs) {
    const r = await ensure(news);
    return { outs: { ...news, omniVersion: r.version } };
  },

  /** Teardown, then destroy once Omni's controllers released it (machines leave the cluster and are wiped). Gone already is fine. */
  async delete(_id: string, props: OmniResourceInputs) {
    const { client } = await omniClient(props.connection, props.serviceAccountKey);
    const timeoutMs = (props.timeouts?.teardownSeconds ?? 1800) * 1000;
    try {
      log(props, "tearing down");
      await client.teardownAndDestroy(TYPE[props.kind], props.resourceId, { timeoutMs, onProgress: (m) => log(props, m) });
      log(props, "destroyed");
    } catch (e) {
      throw new Error(
        `Omni ${props.kind} ${props.resourceId}: teardown did not finish within ${seconds(timeoutMs)}: ${(e as Error).message}`,
        { cause: e },
      );
    } finally {
      client.close();
    }
  },
};
