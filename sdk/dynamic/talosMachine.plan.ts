/**
 * Pure planning for TalosMachine (no I/O): how `check` groups the inputs by impact class so that the
 * preview shows `[diff: ~inPlace]`, `[diff: ~rebootRequired]` or `+- replace [diff: ~recreateRequired]`
 * (dynamic providers get no detailed diff; the engine shows the top-level input keys that changed), and
 * what `diff` answers.
 *
 * `check(olds, news)` receives the old *inputs* from state, so the class of a change is computed there
 * with the client-side classifier, and only the group of that class gets a new marker. A marker is
 * `{ digest, reasons }`: a short digest of the config that last changed the group and the classifier's
 * reasons (paths, never values).
 */
import * as crypto from "node:crypto";
import { UNKNOWN, containsUnknown } from "../impact/unknown";
import type { TalosRole } from "../distributions/roles";

/** The Talos machine type (`machine.type`). */
export type MachineRole = TalosRole;
export type MachinePlatform = "docker" | "hcloud" | "metal";

/** Identity and reachability of one Talos node. */
export interface MachineNode {
  /** Node name (its hostname); the resource id. Changing it replaces the machine. */
  readonly name: string;
  /** Changing the role replaces the machine (Talos cannot change machine.type in place). */
  readonly role: MachineRole;
  /** docker: reboots are container restarts, no Upgrade/Reset. hcloud/metal: Reboot/Upgrade/Reset RPCs. */
  readonly platform: MachinePlatform;
  /** apid endpoint to dial, `host[:port]` (port 50000 by default). May be another node's apid. */
  readonly endpoint: string;
  /** Node address for `node` routing metadata when `endpoint` is not this node's own apid. */
  readonly address?: string;
  /** Docker: the container to restart for a reboot. Defaults to `name`. */
  readonly containerName?: string;
}

/** A group marker: changes only when a change of that class happens. */
export interface ImpactMarker {
  readonly digest: string;
  readonly reasons: readonly string[];
}

export interface TalosMachineInputs {
  readonly node: MachineNode;
  readonly talosVersion: string;
  /** Full multi-document machine config YAML (secret). */
  readonly config: string;
  /** Admin talosconfig YAML (secret). */
  readonly talosconfig: string;
  /** Installer image (hcloud/metal). A change upgrades the node (Upgrade RPC, reboot). */
  readonly installImage?: string;
  /** The node boots without config (ISO / metal): the first apply goes insecurely in maintenance mode. */
  readonly maintenance?: boolean;
  /** Reset the node on delete. Defaults to true except on Docker (the container goes away with it). */
  readonly resetOnDelete?: boolean;
  /** Wait budgets, seconds. */
  readonly timeouts?: { readonly apiSeconds?: number; readonly rebootSeconds?: number };
  readonly inPlace?: ImpactMarker | string;
  readonly rebootRequired?: ImpactMarker | string;
  readonly recreateRequired?: ImpactMarker | string;
}

export type ChangeKind = "none" | "live" | "reboot" | "immutable";
export type Classifier = (oldYaml: string, newYaml: string, talosVersion: string) => { kind: ChangeKind; reasons: string[] };

export const digestOf = (s: string): string => crypto.createHash("sha256").update(s).digest("hex").slice(0, 16);

const IDENTITY_KEYS = ["name", "role", "platform"] as const;

/** The class of a change from old inputs to new ones, with reasons. Unknown values are "may change". */
export function classifyMachineChange(
  olds: Partial<TalosMachineInputs>,
  news: TalosMachineInputs,
  classify: Classifier,
): { kind: ChangeKind | "unknown"; reasons: string[] } {
  const reasons: string[] = [];
  let kind: ChangeKind = "none";
  const raise = (k: ChangeKind) => {
    const order: ChangeKind[] = ["none", "live", "reboot", "immutable"];
    if (order.indexOf(k) > order.indexOf(kind)) kind = k;
  };
  if (containsUnknown(news.node)) {
    // The whole node or part of it is not known yet (preview): identity may change.
    const unknownIdentity = typeof news.node !== "object" || IDENTITY_KEYS.some((k) => containsUnknown(news.node[k]));
    if (unknownIdentity) return { kind: "unknown", reasons: ["node: not known yet (may be replaced)"] };
  }
  for (const k of IDENTITY_KEYS) {
    const a = olds.node?.[k];
    const b = news.node?.[k];
    if (a !== b) {
      reasons.push(`node.${k}: immutable — ${JSON.stringify(a)} → ${JSON.stringify(b)} replaces the machine`);
      raise("immutable");
    }
  }
  if (containsUnknown(news.config) || containsUnknown(news.talosVersion)) {
    return { kind: "unknown", reasons: [...reasons, "config: not known yet (may need a reboot)"] };
  }
  if (olds.config !== undefined && olds.config !== news.config) {
    const c = classify(olds.config, news.config, news.talosVersion);
    reasons.push(...c.reasons);
    raise(c.kind);
    if (c.kind === "none") reasons.push("config: formatting only — applied in place");
    if (c.kind === "none") raise("live");
  }
  if (news.node?.platform !== "docker" && olds.installImage !== news.installImage && news.installImage !== undefined) {
    if (containsUnknown(news.installImage)) return { kind: "unknown", reasons: [...reasons, "installImage: not known yet"] };
    reasons.push(`installImage: reboot — upgrade to ${news.installImage}`);
    raise("reboot");
  }
  return { kind, reasons };
}

/**
 * `check`: return the new inputs with the three impact markers set. A new machine gets all three from its
 * config; an existing one carries the old markers over and renews only the group of the change's class.
 * An unknown class (preview) marks reboot-required as unknown: "may reboot".
 */
export function groupInputs(olds: Partial<TalosMachineInputs>, news: TalosMachineInputs, classify: Classifier): TalosMachineInputs {
  const fresh = olds.config === undefined || olds.inPlace === undefined;
  const d = containsUnknown(news.config) ? UNKNOWN : digestOf(news.config);
  if (fresh) {
    const m = d === UNKNOWN ? UNKNOWN : { digest: d, reasons: [] };
    return { ...news, inPlace: m, rebootRequired: m, recreateRequired: m };
  }
  const { kind, reasons } = classifyMachineChange(olds, news, classify);
  const marker = d === UNKNOWN ? UNKNOWN : { digest: d, reasons };
  const out = { ...news, inPlace: olds.inPlace, rebootRequired: olds.rebootRequired, recreateRequired: olds.recreateRequired };
  if (kind === "live") return { ...out, inPlace: marker };
  if (kind === "reboot") return { ...out, rebootRequired: marker };
  if (kind === "immutable") return { ...out, recreateRequired: marker };
  if (kind === "unknown") return { ...out, rebootRequired: UNKNOWN };
  return out;
}

const sameJson = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

/** Keys that take part in the diff (everything but the engine's `__` keys and computed outputs). */
export const INPUT_KEYS = [
  "node",
  "talosVersion",
  "config",
  "talosconfig",
  "installImage",
  "maintenance",
  "resetOnDelete",
  "timeouts",
  "inPlace",
  "rebootRequired",
  "recreateRequired",
] as const;

/** `diff`: replace (delete first) when the recreate group changed; otherwise an update when any input changed. */
export function machineDiff(
  olds: Record<string, unknown>,
  news: Record<string, unknown>,
): {
  changes: boolean;
  replaces: string[];
  deleteBeforeReplace: boolean;
} {
  const changed = INPUT_KEYS.filter((k) => !sameJson(olds[k], news[k]) || containsUnknown(news[k]));
  const replaces = changed.includes("recreateRequired") ? ["recreateRequired"] : [];
  return { changes: changed.length > 0, replaces, deleteBeforeReplace: replaces.length > 0 };
}

/** What `update` must do, from the stored outputs and the new inputs. */
export function updateAction(
  kind: ChangeKind | "unknown",
  olds: Partial<TalosMachineInputs>,
  news: TalosMachineInputs,
): {
  apply: "none" | "NO_REBOOT" | "STAGED";
  reboot: boolean;
  upgrade?: string;
} {
  const upgrade =
    news.node.platform !== "docker" && news.installImage !== undefined && olds.installImage !== news.installImage
      ? news.installImage
      : undefined;
  const configChanged = olds.config !== news.config;
  if (kind === "reboot" || kind === "unknown") {
    // An upgrade reboots by itself; stage the config so it is active after that boot.
    return { apply: configChanged ? "STAGED" : "none", reboot: upgrade === undefined && configChanged, upgrade };
  }
  return { apply: configChanged ? "NO_REBOOT" : "none", reboot: false, upgrade };
}
