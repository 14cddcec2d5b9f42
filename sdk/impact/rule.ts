/**
 * What one row of the impact table is, and the small vocabulary rows are written in: cells per distribution ×
 * provider in column order, and the reasons shared by several rows.
 */
import type { Combo, ImpactCell, ImpactClass } from "./types";
import type { SpecLike, ValueFn } from "./values";

/** Refines a cell whose class depends on the old and new specs (e.g. how many nodes a role keeps). */
export type Refine = (old: SpecLike, next: SpecLike, combo: Combo) => { category: ImpactClass; reason: string } | undefined;

export interface ImpactRule {
  /** KSail's field key (`cluster.cni`, `provider.hetzner.location`, …); also the spec path unless `paths` says otherwise. */
  readonly field: string;
  /** Spec paths (relative to `spec`) this row covers; a path covers its whole subtree. Default `[field]`. */
  readonly paths?: readonly string[];
  /** Compared/displayed value. */
  readonly value: ValueFn;
  /** Class per combination, in COMBOS order. */
  readonly cells: Readonly<Record<Combo, ImpactCell>>;
  /** Why; one text, or per combination (`"*"` for the rest). */
  readonly reason: string | Readonly<Partial<Record<Combo | "*", string>>>;
  /** Class depending on old/new node counts (documented in `note`). */
  readonly refine?: Refine;
  /** Extra text for the docs table. */
  readonly note?: string;
  /**
   * Whether the field means anything in this spec (e.g. the floating IP's location only while the floating IP is
   * on). A change is shown only when the field is active on at least one side: settings of a disabled feature are
   * not changes. Default: always active.
   */
  readonly active?: (spec: SpecLike) => boolean;
  /** Autoscaler pools: compared per pool name (added/removed/sub-fields), not as one value. */
  readonly pools?: true;
  /**
   * The part of the value that is baked into the nodes (e.g. "is the distribution's built-in CNI on?").
   * When it changes, the change takes the more severe of `cells` and `node.cells`; its value is grouped
   * and hashed (recreate trigger) under `<field>#node`.
   */
  readonly node?: {
    readonly value: ValueFn;
    readonly cells: Readonly<Record<Combo, ImpactCell>>;
    readonly reason: string | Readonly<Partial<Record<Combo | "*", string>>>;
  };
}

export type Code = "I" | "B" | "R" | "X" | "-";
export const CODE: Record<Code, ImpactCell> = {
  I: "in-place",
  B: "reboot-required",
  R: "rolling-recreate",
  X: "recreate-required",
  "-": "n/a",
};
/**
 * Cells in column order Vanilla/Docker, K3s/Docker, Talos/Docker, Talos/Hetzner, Talos/Omni, K3s/Kubernetes,
 * VCluster/Kubernetes, KWOK/Docker, KWOK/Kubernetes, then Vanilla/Kubernetes and Talos/Kubernetes — by default
 * Vanilla/Docker's and Talos/Docker's cells: their nodes are the same containers, on the engine of a Docker-in-Docker pod
 * — and VCluster/Docker, by default VCluster/Kubernetes's: the same vCluster, its components installed the same way.
 */
export function cells(
  vanilla: Code,
  k3s: Code,
  talosDocker: Code,
  talosHetzner: Code,
  talosOmni: Code,
  k3sKubernetes: Code,
  vclusterKubernetes: Code,
  kwokDocker: Code,
  kwokKubernetes: Code,
  vanillaKubernetes: Code = vanilla,
  talosKubernetes: Code = talosDocker,
  vclusterDocker: Code = vclusterKubernetes,
): Record<Combo, ImpactCell> {
  return {
    "Vanilla/Docker": CODE[vanilla],
    "K3s/Docker": CODE[k3s],
    "Talos/Docker": CODE[talosDocker],
    "Talos/Hetzner": CODE[talosHetzner],
    "Talos/Omni": CODE[talosOmni],
    "Vanilla/Kubernetes": CODE[vanillaKubernetes],
    "Talos/Kubernetes": CODE[talosKubernetes],
    "K3s/Kubernetes": CODE[k3sKubernetes],
    "VCluster/Kubernetes": CODE[vclusterKubernetes],
    "VCluster/Docker": CODE[vclusterDocker],
    "KWOK/Docker": CODE[kwokDocker],
    "KWOK/Kubernetes": CODE[kwokKubernetes],
  };
}
export const ALL_IN_PLACE = cells("I", "I", "I", "I", "I", "I", "I", "I", "I");
export const HETZNER_ONLY = (c: Code) => cells("-", "-", "-", c, "-", "-", "-", "-", "-");
export const OMNI_ONLY = (c: Code) => cells("-", "-", "-", "-", c, "-", "-", "-", "-");
/**
 * Rows of the Kubernetes provider: the class on K3s (k3k), on VCluster (its chart), on KWOK (its workloads) and on
 * Vanilla and Talos (the Docker-in-Docker pod).
 */
export const KUBERNETES_ONLY = (k3k: Code, vcluster: Code = k3k, kwok: Code = vcluster, dind: Code = kwok) =>
  cells("-", "-", "-", "-", "-", k3k, vcluster, "-", kwok, dind, dind, "-");
