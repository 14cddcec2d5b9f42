import * as fs from "node:fs";
import * as path from "node:path";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";

/**
 * Locate one of this client's .proto files: beside this module when run from source (tsx), or in the
 * package's `sdk/clients/talos/` when run compiled from `dist/sdk/clients/talos/` (both in this repository
 * and in an installed package, whose `files` ship the .proto files).
 */
export function protoPath(file: "machine.proto" | "cosi.proto"): string {
  const candidates = [path.join(__dirname, file), path.resolve(__dirname, "../../../../sdk/clients/talos", file)];
  const found = candidates.find((p) => fs.existsSync(p));
  if (!found) throw new Error(`${file} not found; looked in: ${candidates.join(", ")}`);
  return found;
}

/** machine.proto's location (kept for callers that only need the machine API). */
export function machineProtoPath(): string {
  return protoPath("machine.proto");
}

const cached: Partial<Record<string, grpc.GrpcObject>> = {};

function load(file: "machine.proto" | "cosi.proto"): grpc.GrpcObject {
  return (cached[file] ??= grpc.loadPackageDefinition(
    protoLoader.loadSync(protoPath(file), { keepCase: false, longs: String, enums: String, defaults: true, oneofs: true }),
  ));
}

/** The loaded `machine` package (MachineService, ImageService, LifecycleService and their messages). */
export function machinePackage(): grpc.GrpcObject {
  return load("machine.proto").machine as grpc.GrpcObject;
}

/** The loaded `cosi.resource` package (the State service Talos serves its resources through). */
export function cosiPackage(): grpc.GrpcObject {
  return (load("cosi.proto").cosi as grpc.GrpcObject).resource as grpc.GrpcObject;
}

/** The MachineService client constructor. */
export function machineServiceClient(): grpc.ServiceClientConstructor {
  return machinePackage().MachineService as grpc.ServiceClientConstructor;
}

/** A service constructor by name: `MachineService`, `ImageService`, `LifecycleService` or `State` (COSI). */
export function serviceClient(name: "MachineService" | "ImageService" | "LifecycleService" | "State"): grpc.ServiceClientConstructor {
  return (name === "State" ? cosiPackage().State : machinePackage()[name]) as grpc.ServiceClientConstructor;
}
