import * as crypto from "node:crypto";
import { isKsailError } from "../errors";
import type { TalosPatchSet } from "../config";
import { applyPatches, orderedPatches, type TalosRole } from "../distributions/talos/patches";
import { parseDocuments, stringifyDocuments } from "../distributions/talos/documents";
import { classifyMachineConfigChange } from "../distributions/talos/classify";
import { DEFAULT_TALOS_VERSION } from "../distributions/talos/versions";
import type { Change, ImpactClass } from "./types";

/**
 * Talos machine-config patches (the files under `distributionConfig`) are not spec fields, so the table
 * does not hold them; `ksail-pulumi diff` classifies them with the Talos machine-config classifier
 * instead: each role's patches are applied to a neutral v1alpha1 document for OLD and NEW and the
 * results compared (live → in-place, reboot → reboot-required, immutable → recreate-required). One row
 * per role, values are 12-character fingerprints of the ordered patch texts (KSail's `machine.config` row).
 */

const ROLES: readonly { role: TalosRole; field: string; count: (w: { controlPlanes: number; workers: number }) => number }[] = [
  { role: "controlplane", field: "cluster.talos.patches.controlPlanes", count: (c) => c.controlPlanes },
  { role: "worker", field: "cluster.talos.patches.workers", count: (c) => c.workers },
];

const CLASS: Readonly<Record<"live" | "reboot" | "wipe" | "reinstall" | "immutable", ImpactClass>> = {
  live: "in-place",
  reboot: "reboot-required",
  // Nodes are wiped and configured again one at a time.
  wipe: "rolling-recreate",
  // The install disk moves only with a reinstall: nodes must be rebuilt.
  reinstall: "recreate-required",
  immutable: "recreate-required",
};

function fingerprint(texts: readonly string[]): string {
  if (texts.length === 0) return "";
  return crypto.createHash("sha256").update(JSON.stringify(texts)).digest("hex").slice(0, 12);
}

function patched(role: TalosRole, set: Partial<TalosPatchSet> | undefined): string {
  const base = [{ version: "v1alpha1", machine: { type: role }, cluster: {} }];
  return stringifyDocuments(applyPatches(base, orderedPatches(role, set)));
}

export interface TalosPatchSide {
  patches?: Partial<TalosPatchSet>;
  controlPlanes: number;
  workers: number;
}

/** Changes of the Talos patches between two configs, one per role that has nodes before or after. */
export function talosPatchChanges(old: TalosPatchSide, next: TalosPatchSide, talosVersion: string): Change[] {
  const out: Change[] = [];
  for (const { role, field, count } of ROLES) {
    if (count(old) === 0 && count(next) === 0) continue;
    const a = orderedPatches(role, old.patches);
    const b = orderedPatches(role, next.patches);
    const oldValue = fingerprint(a.map((p) => `${p.source}\n${p.content}`));
    const newValue = fingerprint(b.map((p) => `${p.source}\n${p.content}`));
    if (oldValue === newValue) continue;
    try {
      const r = classifyMachineConfigChange(patched(role, old.patches), patched(role, next.patches), talosVersion || DEFAULT_TALOS_VERSION);
      if (r.kind === "none") continue;
      out.push({ field, oldValue, newValue, category: CLASS[r.kind], reason: `Talos machine-config patches: ${r.reasons.join("; ")}` });
    } catch (e) {
      if (!isKsailError(e)) throw e;
      out.push({
        field,
        oldValue,
        newValue,
        category: "reboot-required",
        reason: `Talos machine-config patches could not be evaluated offline (${e.message.split("\n").join("; ")}); assuming nodes reboot`,
      });
    }
  }
  return out;
}

/** The value at a classifier path (`cluster.network.podSubnets`, or `KubeNetworkConfig.podSubnets` in a typed document). */
function valueAt(docs: ReturnType<typeof parseDocuments>, path: string): unknown {
  const v1 = docs.find((d) => d.kind === undefined && d.apiVersion === undefined);
  const walk = (o: unknown, segs: string[]): unknown =>
    segs.reduce<unknown>((x, k) => (x && typeof x === "object" ? (x as Record<string, unknown>)[k] : undefined), o);
  const segs = path.split(".");
  const doc = docs.find((d) => typeof d.kind === "string" && [d.kind, `${d.kind}/${String(d.name)}`].includes(segs[0]));
  return doc ? walk(doc, segs.slice(1)) : walk(v1, segs);
}

/**
 * What the Talos patches set on paths whose change recreates the cluster (pod/service subnets, DNS domain, cluster
 * name, identity material), as a digest; "" when they set none. The plan folds it into the cluster's recreate
 * trigger, so a patch that changes such a path replaces the servers or containers with the rest of the cluster
 * instead of reconfiguring nodes that keep their old identity.
 */
export function talosPatchRecreateSalt(patches: Partial<TalosPatchSet> | undefined, talosVersion: string): string {
  const parts: [string, string, unknown][] = [];
  for (const { role } of ROLES) {
    const neutral = stringifyDocuments([{ version: "v1alpha1", machine: { type: role }, cluster: {} }]);
    let patchedText: string;
    try {
      patchedText = patched(role, patches);
    } catch (e) {
      if (isKsailError(e)) continue; // the patch is rejected by validation anyway
      throw e;
    }
    let r;
    try {
      r = classifyMachineConfigChange(neutral, patchedText, talosVersion || DEFAULT_TALOS_VERSION);
    } catch (e) {
      if (isKsailError(e)) continue;
      throw e;
    }
    const docs = parseDocuments(patchedText);
    for (const c of r.changes.filter((x) => x.kind === "immutable" && x.path !== "machine.type"))
      parts.push([role, c.path, valueAt(docs, c.path)]);
  }
  if (parts.length === 0) return "";
  return crypto.createHash("sha256").update(JSON.stringify(parts)).digest("hex");
}
