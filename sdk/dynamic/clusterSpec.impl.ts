// Logic of the ClusterSpec dynamic resource, loaded by its trampoline inside the dynamic-provider host.
// Only this module's exported object is called; nothing here is serialized.
import * as crypto from "node:crypto";
import { classify, comboOf, emptySummary, engineDiff, formatText, groupByClass, type ImpactSummary } from "../impact";
import { isKsailError } from "../errors";
import { UNKNOWN } from "../impact/unknown";

type Props = Record<string, unknown>;

/** The spec carried in the inputs (`__spec`; keys starting with `__` stay out of the preview's `[diff: ...]`). */
const specOf = (p: Props | undefined): unknown => p?.__spec;

/** Distribution and provider known, so the table column is known. */
function knownCombo(spec: unknown): boolean {
  if (spec === UNKNOWN || spec === null || typeof spec !== "object") return false;
  const c = (spec as { cluster?: unknown }).cluster;
  if (c === undefined) return true;
  return c !== UNKNOWN && (c as Props).distribution !== UNKNOWN && (c as Props).provider !== UNKNOWN;
}

const summaryLine = (s: ImpactSummary) =>
  `${s.totalChanges} change(s): ${s.recreateRequired.length} recreate-required, ${s.rollingRecreate.length} rolling-recreate, ` +
  `${s.rebootRequired.length} reboot-required, ${s.inPlaceChanges.length} in-place`;

export const handler = {
  /** Validates the spec's combination and recomputes the class groups from it, so they never drift. */
  async check(_olds: Props, news: Props) {
    const spec = specOf(news);
    if (spec === UNKNOWN || (spec !== undefined && !knownCombo(spec))) return { inputs: news };
    if (spec === null || typeof spec !== "object") {
      return {
        inputs: news,
        failures: [{ property: "__spec", reason: "the cluster spec is missing; pass the parsed spec of ksail.yaml" }],
      };
    }
    try {
      return { inputs: { ...news, ...groupByClass(spec) } };
    } catch (e) {
      if (isKsailError(e)) return { inputs: news, failures: [{ property: "__spec", reason: e.message }] };
      throw e;
    }
  },

  /**
   * No change → `changes: false`; in-place/reboot/rolling → `changes: true`; recreate-class →
   * `replaces: ["recreateRequired"]` with delete-before-replace. Preview unknowns count as "may change"
   * in their class; an entirely unknown spec may change in every class. Prints the change table.
   */
  async diff(_id: string, olds: Props, news: Props) {
    const before = olds.appliedSpec ?? specOf(olds);
    const after = specOf(news);
    if (!knownCombo(after)) {
      console.log("ksail: the cluster spec is not known until apply; treating it as a possible recreate-required change");
      return { changes: true, replaces: ["recreateRequired"], deleteBeforeReplace: true };
    }
    if (before === undefined) {
      console.log("ksail: no applied spec in the state; the whole spec is applied again");
      return { changes: true };
    }
    const s = classify(before, after);
    if (s.totalChanges > 0) console.log(formatText(s, `ksail: update impact (${comboOf(after)}): ${summaryLine(s)}`).trimEnd());
    return engineDiff(s);
  },

  async create(inputs: Props) {
    const id = `${comboOf(specOf(inputs)).replace("/", "-").toLowerCase()}-${crypto.randomUUID()}`;
    return { id, outs: { ...inputs, appliedSpec: specOf(inputs), impact: emptySummary() } };
  },

  async update(_id: string, olds: Props, news: Props) {
    const before = olds.appliedSpec ?? specOf(olds);
    const impact = before === undefined ? emptySummary() : classify(before, specOf(news));
    console.log(`ksail: applied cluster spec; ${summaryLine(impact)}`);
    return { outs: { ...news, appliedSpec: specOf(news), impact } };
  },

  /** The record lives only in Pulumi state; nothing outside it to remove. */
  async delete() {},
};
