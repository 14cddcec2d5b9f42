import * as crypto from "node:crypto";
import { isKsailError } from "../errors";
import type { TalosPatchSet } from "../config";
import { applyPatches, orderedPatches, type TalosRole } from "../distributions/talos/patches";
import { stringifyDocuments } from "../distributions/talos/documents";
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

const CLASS: Readonly<Record<"live" | "reboot" | "immutable", ImpactClass>> = {
  live: "in-place",
  reboot: "reboot-required",
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
