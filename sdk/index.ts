// Re-exports only (STYLE.md §1).
export * from "./errors";
export * from "./spec";
export * from "./pki";
export * from "./impact";
