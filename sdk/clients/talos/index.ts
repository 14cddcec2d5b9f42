export * from "./client";
export * from "./pem";
export * from "./retry";
export * from "./talosconfig";
export { readTarGzEntry } from "./tar";
export { machineProtoPath } from "./proto";
