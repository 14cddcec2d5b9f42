import * as fs from "node:fs";
import * as path from "node:path";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";

/**
 * Locate machine.proto: beside this module when run from source (tsx), or in the package's
 * `sdk/clients/talos/` when run compiled from `dist/sdk/clients/talos/` (both in this
 * repository and in an installed package, whose `files` ship the .proto).
 */
export function machineProtoPath(): string {
  const candidates = [path.join(__dirname, "machine.proto"), path.resolve(__dirname, "../../../../sdk/clients/talos/machine.proto")];
  const found = candidates.find((p) => fs.existsSync(p));
  if (!found) throw new Error(`machine.proto not found; looked in: ${candidates.join(", ")}`);
  return found;
}

let cached: grpc.GrpcObject | undefined;

/** The loaded `machine` package (service constructor and message types). */
export function machinePackage(): grpc.GrpcObject {
  if (!cached) {
    const def = protoLoader.loadSync(machineProtoPath(), {
      keepCase: false,
      longs: String,
      enums: String,
      defaults: true,
      oneofs: true,
    });
    cached = grpc.loadPackageDefinition(def).machine as grpc.GrpcObject;
  }
  return cached;
}

/** The MachineService client constructor. */
export function machineServiceClient(): grpc.ServiceClientConstructor {
  return machinePackage().MachineService as grpc.ServiceClientConstructor;
}
