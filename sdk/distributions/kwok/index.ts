// Re-exports only: KWOK (kwokctl's docker runtime) as plain data.
export * from "./versions";
export * from "./components";
export * from "./config";
export { DEFAULT_KWOK_STAGES } from "./stages";
