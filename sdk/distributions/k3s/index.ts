// k3s renderers (pure). Re-exports only.
export * from "./args";
export * from "./files";
export * from "./entrypoint";
export * from "./loadbalancer";
