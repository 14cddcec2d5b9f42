// Re-exports only: the update-impact engine.
export * from "./types";
export { IMPACT_TABLE, reasonOf, ruleFor } from "./table";
export { NEVER_COMPARED } from "./neverCompared";
export type { ImpactRule, Refine } from "./rule";
export { UNKNOWN_DISPLAY, type SpecLike } from "./values";
export { classify, diffSpecs, comboOf, summarize, emptySummary, withoutMootChanges } from "./classify";
export { formatJson, formatText, orderedChanges, ICONS } from "./format";
export { recreateTrigger, groupByClass, redactSpec, type Groups } from "./recreate";
export { renderImpactMarkdown, impactLine } from "./docs";
export { engineDiff, type EngineDiff } from "./decision";
export { talosPatchChanges, talosPatchRecreateSalt, type TalosPatchSide } from "./talosPatches";
