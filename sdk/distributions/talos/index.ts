// Re-exports only. Talos distribution: pure machine-config rendering, user patches,
// secret-free rendering and change classification. The Talos API client (./api) is exported by its owner.
export * from "./versions";
export { type ConfigDocument, parseDocuments, stringifyDocuments, documentKey } from "./documents";
export { APPROVER_NAME, kubeletServingCertApproverManifest } from "./approver";
export { type TalosMirror, type NicSelector, type HetznerOptions, DEFAULT_NIC_BUS_PATH, VIP_LINK_ALIAS } from "./base";
export {
  type PatchFile,
  type TalosPatchSet,
  type TalosRole,
  type ParsedPatch,
  orderedPatches,
  parsePatch,
  applyPatches,
  strategicMerge,
  applyJson6902,
} from "./patches";
export { REDACTED, redactMachineConfig, looksLikeKeyMaterial } from "./redact";
export * from "./render";
export * from "./classify";
export { talosPatchIssues, documentFieldIssues, type FieldShape } from "./fields";
