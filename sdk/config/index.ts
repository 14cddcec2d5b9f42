// The ksail.yaml spec model: schema, parsing, defaults, effective values, validation and loaders.
export * from "./enums";
export * from "./model";
export * from "./support";
export { effective, effectiveToggle, providesByDefault } from "./effective";
export type { EffectiveSpec, EffectiveClusterSpec, OnOff, DefaultComponent } from "./effective";
export { expandString, expandDocument, EXPANDED_FIELDS } from "./expand";
export type { Env, Expanded } from "./expand";
export { migrateDeprecated } from "./migrate";
export { parseClusterDocument, parseSpec, validateClusterDocument } from "./parse";
export type { ParseOptions, ValidationResult } from "./parse";
export { loadClusterConfig, validateClusterConfigFile } from "./load";
export type { LoadedClusterConfig, TalosPatchSet, PatchFile, LoadOptions, FileValidation } from "./load";
export { parseRegistrySpec, redactRegistry, DEFAULT_LOCAL_REGISTRY } from "./registry";
export type { RegistrySpec } from "./registry";
export { specFieldPaths } from "./fields";
export { clusterJsonSchema } from "./jsonschema";
export { FIELD_DESCRIPTIONS } from "./descriptions";
