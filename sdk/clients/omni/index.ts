export * from "./client";
export { Code } from "../talos/retry";
export * from "./resources";
export * from "./signature";
export { omniProtoPath } from "./proto";
