import * as fs from "node:fs";
import * as path from "node:path";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import * as protobuf from "protobufjs";

/**
 * Locate one of the Omni .proto files: beside this module when run from source (tsx), or in the package's
 * `sdk/clients/omni/` when run compiled from `dist/sdk/clients/omni/` (the package's `files` ship them).
 */
export function omniProtoPath(name: "cosi.proto" | "management.proto" | "specs.proto"): string {
  const candidates = [path.join(__dirname, name), path.resolve(__dirname, "../../../../sdk/clients/omni", name)];
  const found = candidates.find((p) => fs.existsSync(p));
  if (!found) throw new Error(`${name} not found; looked in: ${candidates.join(", ")}`);
  return found;
}

const LOADER_OPTIONS: protoLoader.Options = { keepCase: false, longs: String, enums: String, defaults: true, oneofs: true };

let services:
  { state: grpc.ServiceClientConstructor; management: grpc.ServiceClientConstructor; defs: protoLoader.PackageDefinition } | undefined;

function load() {
  if (!services) {
    const defs = protoLoader.loadSync([omniProtoPath("cosi.proto"), omniProtoPath("management.proto")], LOADER_OPTIONS);
    const pkg = grpc.loadPackageDefinition(defs) as any;
    services = { state: pkg.cosi.resource.State, management: pkg.management.ManagementService, defs };
  }
  return services;
}

/** The `cosi.resource.State` client constructor. */
export function stateServiceClient(): grpc.ServiceClientConstructor {
  return load().state;
}

/** The `management.ManagementService` client constructor. */
export function managementServiceClient(): grpc.ServiceClientConstructor {
  return load().management;
}

/** Service definitions for a server (the test fake): `cosi.resource.State` and `management.ManagementService`. */
export function omniServiceDefinitions(): { state: grpc.ServiceDefinition; management: grpc.ServiceDefinition } {
  const l = load();
  return { state: l.state.service, management: l.management.service };
}

let specsRoot: protobuf.Root | undefined;

/** A message type of the `specs` package (ClusterSpec, MachineSetSpec, …), for proto_spec bytes. */
export function specType(name: string): protobuf.Type {
  specsRoot ??= protobuf.loadSync(omniProtoPath("specs.proto"));
  return specsRoot.lookupType(`specs.${name}`);
}
