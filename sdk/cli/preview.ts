import { KsailError } from "../errors";
import { classify, comboOf, emptySummary, reasonOf, ruleFor, summarize } from "../impact";
import { GROUP_KEYS, GROUP_OF, IMPACT_CLASSES, type Change, type GroupKey, type ImpactClass, type ImpactSummary } from "../impact/types";
import { UNKNOWN } from "../impact/unknown";
import { isObject, mergeSteps, parseUrn, type PreviewStep, type Props, type ResourceState } from "./previewRead";

export { parseUrn, readPreview, type PreviewStep } from "./previewRead";

/**
 * Reading `pulumi preview --json` (the engine's PreviewDigest, pulumi/pulumi pkg/display/json.go): the impact of every KSail cluster in a preview.
 * Pure; `ksail-pulumi gate` is its shell.
 *
 * The digest is one JSON object `{ steps: [{ op, urn, oldState, newState, diffReasons, replaceReasons,
 * detailedDiff }], diagnostics, changeSummary, ... }`. With `PULUMI_ENABLE_STREAMING_JSON_PREVIEW=true` it is
 * JSON lines of engine events instead; their `resourcePreEvent.metadata` (`old`/`new`/`keys`) is read the
 * same way. Dynamic resources get no `diffReasons`, so a cluster's changes come from its `ClusterSpec` step:
 * the applied spec (`oldState.outputs.appliedSpec`) against the desired one (`newState.inputs.__spec`)
 * through the impact classifier, or, when a spec is not readable (e.g. `[secret]`), from the grouped input
 * keys (`inPlace`, `rebootRequired`, `rollingRecreate`, `recreateRequired`) that differ.
 */

export const CLUSTER_SPEC_TYPE = "pulumi-nodejs:dynamic/ksail:ClusterSpec";
export const CLUSTER_TYPE = "ksail:index:KSailCluster";

/** Types whose replacement replaces a cluster node (a rolling recreate when it is not the whole cluster). */
const NODE_TYPES = new Set(["docker:index/container:Container", "hcloud:index/server:Server", "pulumi-nodejs:dynamic/ksail:TalosMachine"]);
/** A resource replaced (or deleted and re-created) inside a cluster or elsewhere in the stack. */
export interface Replacement {
  urn: string;
  type: string;
  name: string;
  op: string;
  replaceReasons: string[];
  /** The class this replacement adds to its cluster, or why it adds none. */
  impact: ImpactClass | "covered by the cluster's recreate" | "outside any KSail cluster";
}

export interface ClusterImpact {
  /** The cluster's resource name (`KSailCluster` name, or the `ClusterSpec` name without `-spec`). */
  name: string;
  /** URN of the `KSailCluster` (or of the standalone `ClusterSpec`). */
  urn: string;
  /** The `ClusterSpec` step's operation: create, same, update, replace or delete. */
  op: string;
  /** How the changes were read: the two specs (exact) or the grouped input keys. */
  source: "spec" | "groups" | "none";
  impact: ImpactSummary;
  replacements: Replacement[];
}

export interface PreviewImpact {
  clusters: ClusterImpact[];
  /** Replace steps of resources that belong to no KSail cluster (reported, not classified). */
  otherReplacements: Replacement[];
}

const groupClass = (g: GroupKey): ImpactClass => IMPACT_CLASSES.find((c) => GROUP_OF[c] === g) as ImpactClass;

/** The table column from the grouped values (`cluster.distribution`/`cluster.provider` are compared fields). */
function comboFromGroups(inputs: Props | undefined) {
  const all: Record<string, unknown> = {};
  for (const g of GROUP_KEYS) if (isObject(inputs?.[g])) Object.assign(all, inputs[g]);
  try {
    return comboOf({ cluster: { distribution: all["cluster.distribution"], provider: all["cluster.provider"] } });
  } catch {
    return undefined;
  }
}

/** Changes from the grouped inputs: every key whose value differs, in the class of its group. */
function changesFromGroups(olds: Props | undefined, news: Props | undefined): Change[] {
  const combo = comboFromGroups(news) ?? comboFromGroups(olds);
  const out: Change[] = [];
  for (const g of GROUP_KEYS) {
    const category = groupClass(g);
    const a = olds?.[g];
    const b = news?.[g];
    if (!isObject(b) || !isObject(a)) {
      if (JSON.stringify(a) !== JSON.stringify(b)) {
        out.push({
          field: g,
          oldValue: isObject(a) ? "(values)" : String(a ?? ""),
          newValue: b === UNKNOWN ? "(known after apply)" : String(b ?? ""),
          category,
          reason: `may change: the ${g} group is not readable in the preview`,
        });
      }
      continue;
    }
    for (const k of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
      const o = a[k] === undefined ? "" : String(a[k]);
      const n = b[k] === undefined ? "" : String(b[k]);
      if (o === n && o !== UNKNOWN) continue;
      const rule = ruleFor(k);
      const reason = rule && combo ? reasonOf(rule, combo) : "";
      const unknown = o === UNKNOWN || n === UNKNOWN;
      out.push({
        field: k,
        oldValue: o === UNKNOWN ? "(known after apply)" : o,
        newValue: n === UNKNOWN ? "(known after apply)" : n,
        category,
        reason: unknown ? `may change (value unknown until apply): ${reason}` : reason,
      });
    }
  }
  return out;
}

/** The spec a ClusterSpec state carries, when readable (not `[secret]`, not unknown). */
function specIn(state: ResourceState | undefined, preferApplied: boolean): Props | undefined {
  const applied = state?.outputs?.appliedSpec;
  const input = state?.inputs?.__spec;
  const v = preferApplied && isObject(applied) ? applied : input;
  return isObject(v) ? v : undefined;
}

/** The impact of one ClusterSpec step. */
function specImpact(step: PreviewStep): { source: ClusterImpact["source"]; impact: ImpactSummary } {
  if (step.op === "create" || step.op === "same" || step.op === "read" || step.op === "refresh")
    return { source: "none", impact: emptySummary() };
  if (step.op === "delete") {
    return {
      source: "none",
      impact: summarize([
        {
          field: "cluster",
          oldValue: "exists",
          newValue: "",
          category: "recreate-required",
          reason: "the cluster is deleted: its ClusterSpec record leaves the program, so every node and its data go away",
        },
      ]),
    };
  }
  const before = specIn(step.oldState, true);
  const after = specIn(step.newState, false);
  let source: ClusterImpact["source"] = "groups";
  let changes: Change[] | undefined;
  if (before && after) {
    try {
      const s = classify(before, after);
      changes = [...s.recreateRequired, ...s.rollingRecreate, ...s.rebootRequired, ...s.inPlaceChanges];
      source = "spec";
    } catch {
      changes = undefined; // a spec the classifier refuses: fall back to the groups the provider computed
    }
  }
  changes ??= changesFromGroups(step.oldState?.inputs, step.newState?.inputs);
  // The engine replaces the record only for recreate-class changes; never report less than it will do.
  const replaced = step.op === "replace";
  if (replaced && !changes.some((c) => c.category === "recreate-required")) {
    const why = (step.replaceReasons ?? []).join(", ") || "recreateRequired";
    changes.push({
      field: "cluster",
      oldValue: "",
      newValue: "replaced",
      category: "recreate-required",
      reason: `the preview replaces the cluster record (replaceReasons: ${why}); the whole cluster is recreated`,
    });
  }
  return { source, impact: summarize(changes) };
}

/** The KSailCluster (or standalone ClusterSpec) a URN belongs to, walking parents through the known states. */
function ownerOf(urn: string, parents: Map<string, string | undefined>, clusters: ClusterImpact[]): ClusterImpact | undefined {
  const seen = new Set<string>();
  let at: string | undefined = urn;
  while (at !== undefined && !seen.has(at)) {
    seen.add(at);
    const hit = clusters.find((c) => c.urn === at);
    if (hit) return hit;
    if (!parents.has(at)) break;
    at = parents.get(at);
  }
  // The chain left the digest (unchanged components are not steps): a parent named `<cluster>-…` under a
  // KSailCluster type chain belongs to that cluster (children are named `${name}-<suffix>`).
  if (at === undefined) return undefined;
  const { name, typeChain } = parseUrn(at);
  if (!typeChain.includes(CLUSTER_TYPE)) return undefined;
  const candidates = clusters.filter(
    (c) =>
      parseUrn(c.urn).typeChain.join("$") === typeChain.slice(0, typeChain.indexOf(CLUSTER_TYPE) + 1).join("$") &&
      name.startsWith(`${c.name}-`),
  );
  return candidates.sort((x, y) => y.name.length - x.name.length)[0];
}

/** Extracts the impact of every KSail cluster in a preview's steps. */
export function previewImpact(rawSteps: PreviewStep[]): PreviewImpact {
  const steps = mergeSteps(rawSteps);
  const parents = new Map<string, string | undefined>();
  for (const s of steps) parents.set(s.urn, s.newState?.parent ?? s.oldState?.parent);
  const clusters: ClusterImpact[] = [];
  for (const s of steps) {
    if (parseUrn(s.urn).type !== CLUSTER_SPEC_TYPE) continue;
    const parent = parents.get(s.urn);
    const owner = parent !== undefined && parseUrn(parent).type === CLUSTER_TYPE ? parent : s.urn;
    const ownerName = parseUrn(owner).name;
    const name = owner === s.urn ? ownerName.replace(/-spec$/, "") : ownerName;
    clusters.push({ name, urn: owner, op: s.op, ...specImpact(s), replacements: [] });
  }
  // Only the spec's own recreate covers replacements (not one an earlier replacement added).
  const recreating = new Set(clusters.filter((c) => c.impact.recreateRequired.length > 0));
  const otherReplacements: Replacement[] = [];
  for (const s of steps) {
    if (s.op !== "replace") continue;
    const { type, name } = parseUrn(s.urn);
    if (type === CLUSTER_SPEC_TYPE) continue;
    const base = { urn: s.urn, type, name, op: s.op, replaceReasons: s.replaceReasons ?? [] };
    const owner = ownerOf(s.urn, parents, clusters);
    if (!owner) {
      otherReplacements.push({ ...base, impact: "outside any KSail cluster" });
      continue;
    }
    if (recreating.has(owner)) {
      owner.replacements.push({ ...base, impact: "covered by the cluster's recreate" });
      continue;
    }
    const category: ImpactClass = NODE_TYPES.has(type)
      ? "rolling-recreate"
      : type.startsWith("kubernetes:")
        ? "in-place"
        : "recreate-required";
    owner.replacements.push({ ...base, impact: category });
    const why = base.replaceReasons.length > 0 ? ` (replaceReasons: ${base.replaceReasons.join(", ")})` : "";
    const reason =
      category === "rolling-recreate"
        ? `node resource ${name} is replaced${why}; nodes are replaced one at a time`
        : category === "in-place"
          ? `Kubernetes object ${name} (${type}) is replaced${why}; no node is touched`
          : `infrastructure ${name} (${type}) is replaced without a cluster recreate${why}; the cluster may lose connectivity or data`;
    const changes = [
      ...owner.impact.inPlaceChanges,
      ...owner.impact.rebootRequired,
      ...owner.impact.rollingRecreate,
      ...owner.impact.recreateRequired,
    ];
    owner.impact = summarize([...changes, { field: `resource ${name}`, oldValue: "", newValue: "replaced", category, reason }]);
  }
  // A TalosMachine carries its change's class as marker inputs (one per group, each moving only with a change of
  // its class): an update whose marker moved costs that class even when no ClusterSpec changed (a Talos patch
  // change). A marker the digest does not show (secret, unknown) fails closed: it counts as changed.
  for (const s of steps) {
    if (s.op !== "update") continue;
    const { type, name } = parseUrn(s.urn);
    if (type !== TALOS_MACHINE_TYPE) continue;
    const moved = movedMarkers(s);
    if (moved.length === 0) continue;
    let owner = ownerOf(s.urn, parents, clusters);
    if (!owner) {
      owner = { name, urn: s.urn, op: s.op, source: "groups", impact: emptySummary(), replacements: [] };
      clusters.push(owner);
    }
    if (recreating.has(owner)) continue;
    const changes = [
      ...owner.impact.inPlaceChanges,
      ...owner.impact.rebootRequired,
      ...owner.impact.rollingRecreate,
      ...owner.impact.recreateRequired,
    ];
    for (const m of moved) {
      changes.push({
        field: `resource ${name}`,
        oldValue: "",
        newValue: m.group,
        category: m.category,
        reason: m.readable
          ? `Talos machine ${name}: its ${m.group} configuration changes${m.reasons.length > 0 ? ` (${m.reasons.join("; ")})` : ""}`
          : `Talos machine ${name}: may change its ${m.group} configuration (the preview does not show the marker)`,
      });
    }
    owner.impact = summarize(changes);
  }
  return { clusters, otherReplacements };
}

const TALOS_MACHINE_TYPE = "pulumi-nodejs:dynamic/ksail:TalosMachine";

/** The marker groups of a TalosMachine update that moved (or cannot be read), with their class and reasons. */
function movedMarkers(s: PreviewStep): { group: GroupKey; category: ImpactClass; readable: boolean; reasons: string[] }[] {
  const out: { group: GroupKey; category: ImpactClass; readable: boolean; reasons: string[] }[] = [];
  const olds = s.oldState?.inputs ?? {};
  const news = s.newState?.inputs ?? {};
  for (const category of IMPACT_CLASSES) {
    const group = GROUP_OF[category];
    const a = olds[group];
    const b = news[group];
    if (a === undefined && b === undefined) continue;
    const readable = (v: unknown) => typeof v === "object" && v !== null && typeof (v as { digest?: unknown }).digest === "string";
    if (!readable(a) || !readable(b)) {
      out.push({ group, category, readable: false, reasons: [] });
      continue;
    }
    const x = a as { digest: string };
    const y = b as { digest: string; reasons?: unknown };
    if (x.digest === y.digest) continue;
    const reasons = Array.isArray(y.reasons) ? y.reasons.filter((r): r is string => typeof r === "string") : [];
    out.push({ group, category, readable: true, reasons });
  }
  return out;
}

/** `--allow` words: the classes beyond in-place a gate accepts (in-place is always allowed). */
export const ALLOW_WORDS: Readonly<Record<string, ImpactClass>> = {
  reboot: "reboot-required",
  "reboot-required": "reboot-required",
  rolling: "rolling-recreate",
  "rolling-recreate": "rolling-recreate",
  recreate: "recreate-required",
  "recreate-required": "recreate-required",
  "in-place": "in-place",
  inplace: "in-place",
};

/** Parses `--allow recreate,rolling,reboot` into the allowed classes (always including in-place). */
export function parseAllow(list: string | undefined): ImpactClass[] {
  const out = new Set<ImpactClass>(["in-place"]);
  for (const w of (list ?? "")
    .split(",")
    .map((x) => x.trim().toLowerCase())
    .filter((x) => x !== "")) {
    const c = ALLOW_WORDS[w];
    if (!c)
      throw new KsailError([
        {
          path: "--allow",
          message: `"${w}" is not an impact class; allowed: reboot, rolling, recreate (or their full names), comma-separated, e.g. --allow reboot,rolling`,
        },
      ]);
    out.add(c);
  }
  return IMPACT_CLASSES.filter((c) => out.has(c));
}

export interface Violation {
  cluster: string;
  category: ImpactClass;
  field: string;
  reason: string;
}

/** Every change of a class that is not allowed. */
export function violations(p: PreviewImpact, allowed: readonly ImpactClass[]): Violation[] {
  const out: Violation[] = [];
  for (const c of p.clusters) {
    for (const ch of [...c.impact.recreateRequired, ...c.impact.rollingRecreate, ...c.impact.rebootRequired, ...c.impact.inPlaceChanges]) {
      if (!allowed.includes(ch.category)) out.push({ cluster: c.name, category: ch.category, field: ch.field, reason: ch.reason });
    }
  }
  return out;
}
