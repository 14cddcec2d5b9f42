/**
 * Pure planning for TalosMachine (no I/O): how `check` groups the inputs by impact class so that the preview shows
 * `[diff: ~inPlace]`, `[diff: ~rebootRequired]`, `[diff: ~rollingRecreate]` or `+- replace [diff: ~recreateRequired]`
 * (dynamic providers get no detailed diff; the engine shows the top-level input keys that changed), what `diff`
 * answers, and what `update` does.
 *
 * `check(olds, news)` receives the old *inputs* from state, so the class of a change is computed there with the
 * client-side classifier, and only the group of that class gets a new marker. A marker is `{ digest, reasons }`: a
 * short digest of the config that last changed the group and the classifier's reasons (paths, never values).
 */
import * as crypto from "node:crypto";
import { UNKNOWN, containsUnknown } from "../impact/unknown";
import type { TalosRole } from "../distributions/roles";

/** The Talos machine type (`machine.type`). */
export type MachineRole = TalosRole;
export type MachinePlatform = "docker" | "hcloud" | "metal";

/** Identity and reachability of one Talos node. */
export interface MachineNode {
  /** Node name (its hostname, its etcd member name, its Kubernetes node name); the resource id. Changing it replaces the machine. */
  readonly name: string;
  /** Changing the role replaces the machine (Talos cannot change machine.type in place). */
  readonly role: MachineRole;
  /** docker: reboots are container restarts, no Upgrade/Reset. hcloud/metal: Reboot/Upgrade/Reset RPCs. */
  readonly platform: MachinePlatform;
  /** apid endpoint to dial, `host[:port]` (port 50000 by default): the node's own, or a control plane's. */
  readonly endpoint: string;
  /** The node's address for `node` routing: set it when `endpoint` is another node's apid (or a port map). */
  readonly address?: string;
  /**
   * More apid endpoints (other control planes) to dial when `endpoint` does not answer, for example while the
   * control plane behind it reboots. Each routes to `address`, which is then required.
   */
  readonly via?: readonly string[];
  /** Docker: the container to restart for a reboot. Defaults to `name`. */
  readonly containerName?: string;
}

/** A group marker: changes only when a change of that class happens. */
export interface ImpactMarker {
  readonly digest: string;
  readonly reasons: readonly string[];
}

/** What `read` found on the node when it differs from what Pulumi applied (refresh). */
export interface MachineDrift {
  /** Digest of the config the node runs (when it differs from the applied one). */
  readonly configDigest?: string;
  /** Class of the change from the node's config back to the applied one, with reasons. */
  readonly kind?: string;
  readonly reasons?: readonly string[];
  /** The Talos version the node runs (when it differs from the expected one). */
  readonly version?: string;
}

/** A Docker engine reached over TCP with mutual TLS: `tcp://host:port` and the client's PEMs. */
export interface DockerEngineAccess {
  readonly host: string;
  readonly ca: string;
  readonly cert: string;
  readonly key: string;
}

export interface TalosMachineInputs {
  readonly node: MachineNode;
  readonly talosVersion: string;
  /** Full multi-document machine config YAML (secret). */
  readonly config: string;
  /** Admin talosconfig YAML (secret). */
  readonly talosconfig: string;
  /** Admin kubeconfig (secret): cordon/drain and Node Ready gates. Skipped when absent. */
  readonly kubeconfig?: string;
  /** The cluster's control-plane count: the etcd membership the health gate expects. Not part of the diff. */
  readonly controlPlanes?: number;
  /** Installer image (hcloud/metal). A change upgrades the node (image pull, install, reboot). */
  readonly installImage?: string;
  /** The node boots without config (ISO / metal): the first apply goes insecurely in maintenance mode. */
  readonly maintenance?: boolean;
  /** Reset the node on delete. Defaults to true except on Docker (the container goes away with it). */
  readonly resetOnDelete?: boolean;
  /** Wait budgets, seconds. */
  readonly timeouts?: { readonly apiSeconds?: number; readonly rebootSeconds?: number; readonly drainSeconds?: number };
  /** Docker: the engine the node's container runs on, over TCP with mutual TLS (secret); absent = the local engine. */
  readonly dockerEngine?: DockerEngineAccess;
  readonly inPlace?: ImpactMarker | string;
  readonly rebootRequired?: ImpactMarker | string;
  readonly rollingRecreate?: ImpactMarker | string;
  readonly recreateRequired?: ImpactMarker | string;
  /** Set by `read` (refresh) when the node differs from what was applied; the next update repairs it. */
  readonly drift?: MachineDrift;
}

export type ChangeKind = "none" | "live" | "reboot" | "wipe" | "reinstall" | "immutable";
export type Classifier = (oldYaml: string, newYaml: string, talosVersion: string) => { kind: ChangeKind; reasons: string[] };

export const digestOf = (s: string): string => crypto.createHash("sha256").update(s).digest("hex").slice(0, 16);

const IDENTITY_KEYS = ["name", "role", "platform"] as const;
const ORDER: ChangeKind[] = ["none", "live", "reboot", "wipe", "reinstall", "immutable"];

/** The class of a change from old inputs to new ones, with reasons. Unknown values are "may change". */
export function classifyMachineChange(
  olds: Partial<TalosMachineInputs>,
  news: TalosMachineInputs,
  classify: Classifier,
): { kind: ChangeKind | "unknown"; reasons: string[] } {
  const reasons: string[] = [];
  let kind: ChangeKind = "none";
  const raise = (k: ChangeKind) => {
    if (ORDER.indexOf(k) > ORDER.indexOf(kind)) kind = k;
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
  if (olds.drift?.kind) {
    reasons.push(`drift: the node runs another config (${olds.drift.kind}); applying the configured one again`);
    raise(olds.drift.kind === "none" ? "live" : (olds.drift.kind as ChangeKind));
  }
  if (
    news.node?.platform !== "docker" &&
    news.installImage !== undefined &&
    (olds.installImage !== news.installImage || olds.drift?.version)
  ) {
    if (containsUnknown(news.installImage)) return { kind: "unknown", reasons: [...reasons, "installImage: not known yet"] };
    reasons.push(
      olds.drift?.version && olds.installImage === news.installImage
        ? `drift: the node runs Talos ${olds.drift.version}; reinstalling ${news.installImage}`
        : `installImage: reboot — upgrade to ${news.installImage}`,
    );
    raise("reboot");
  }
  return { kind, reasons };
}

/**
 * `check`: return the new inputs with the impact markers set. A new machine gets all of them from its config; an
 * existing one carries the old markers over and renews only the group of the change's class. An unknown class
 * (preview) marks reboot-required as unknown: "may reboot".
 */
export function groupInputs(olds: Partial<TalosMachineInputs>, news: TalosMachineInputs, classify: Classifier): TalosMachineInputs {
  const fresh = olds.config === undefined || olds.inPlace === undefined;
  const d = containsUnknown(news.config) ? UNKNOWN : digestOf(news.config);
  if (fresh) {
    const m = d === UNKNOWN ? UNKNOWN : { digest: d, reasons: [] };
    return { ...news, inPlace: m, rebootRequired: m, rollingRecreate: m, recreateRequired: m };
  }
  const { kind, reasons } = classifyMachineChange(olds, news, classify);
  const marker = d === UNKNOWN ? UNKNOWN : { digest: d, reasons };
  const out = {
    ...news,
    inPlace: olds.inPlace,
    rebootRequired: olds.rebootRequired,
    // Machines created before this group existed carry the recreate marker's value, so nothing changes for them.
    rollingRecreate: olds.rollingRecreate ?? olds.recreateRequired,
    recreateRequired: olds.recreateRequired,
  };
  if (kind === "live") return { ...out, inPlace: marker };
  if (kind === "reboot") return { ...out, rebootRequired: marker };
  if (kind === "wipe" || kind === "reinstall") return { ...out, rollingRecreate: marker };
  if (kind === "immutable") return { ...out, recreateRequired: marker };
  if (kind === "unknown") return { ...out, rebootRequired: UNKNOWN };
  return out;
}

const sameJson = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

/**
 * Keys that take part in the diff (everything but the engine's `__` keys and computed outputs). `controlPlanes` is
 * left out on purpose: scaling the control planes must not show every machine as changed; an update reads it from
 * the new inputs anyway.
 */
export const INPUT_KEYS = [
  "node",
  "talosVersion",
  "config",
  "talosconfig",
  "kubeconfig",
  "installImage",
  "maintenance",
  "resetOnDelete",
  "timeouts",
  "dockerEngine",
  "inPlace",
  "rebootRequired",
  "rollingRecreate",
  "recreateRequired",
  "drift",
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
  const changed = INPUT_KEYS.filter((k) => {
    // A machine created before the rolling-recreate group existed has none: its recreate marker stands in for it.
    const old = k === "rollingRecreate" && olds[k] === undefined ? olds.recreateRequired : olds[k];
    return !sameJson(old, news[k]) || containsUnknown(news[k]);
  });
  const replaces = changed.includes("recreateRequired") ? ["recreateRequired"] : [];
  return { changes: changed.length > 0, replaces, deleteBeforeReplace: replaces.length > 0 };
}

/** What `update` must do, from the stored outputs and the new inputs. */
export function updateAction(
  kind: ChangeKind | "unknown",
  olds: Partial<TalosMachineInputs>,
  news: TalosMachineInputs,
): {
  apply: "none" | "NO_REBOOT" | "STAGED" | "WIPE";
  reboot: boolean;
  upgrade?: string;
} {
  const upgrade =
    news.node.platform !== "docker" && news.installImage !== undefined && (olds.installImage !== news.installImage || !!olds.drift?.version)
      ? news.installImage
      : undefined;
  const configChanged = olds.config !== news.config || olds.drift?.kind !== undefined;
  if (kind === "wipe") return { apply: "WIPE", reboot: false, upgrade };
  if (kind === "reboot" || kind === "unknown") {
    // An upgrade reboots by itself; stage the config so it is active after that boot.
    return { apply: configChanged ? "STAGED" : "none", reboot: upgrade === undefined && configChanged, upgrade };
  }
  return { apply: configChanged ? "NO_REBOOT" : "none", reboot: false, upgrade };
}

/** The Kubernetes version a machine config runs (its kubelet image tag), or undefined. */
export function kubernetesVersionOf(config: string): string | undefined {
  return /\bkubelet:v?(\d+\.\d+\.\d+)/.exec(config)?.[1] ?? /ghcr\.io\/siderolabs\/kubelet:v?(\d+\.\d+\.\d+)/.exec(config)?.[1];
}

/** The Talos version an installer image installs (`...:v1.14.1`), or undefined. */
export function talosVersionOfImage(image: string | undefined): string | undefined {
  return image ? /:v?(\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?)(?:@.*)?$/.exec(image)?.[1] : undefined;
}
