/**
 * Omni's resource types, labels and the spec codec: what a cluster template turns into on the COSI state
 * (siderolabs/omni client/pkg/omni/resources/omni/*.go and client/pkg/template/internal/models/*.go,
 * main at b1ea5df2). Pure apart from protobuf encoding; no I/O.
 */
import * as protobuf from "protobufjs";
import { specType } from "./proto";

/** Every template resource lives in this namespace (client/pkg/omni/resources/resources.go). */
export const DEFAULT_NAMESPACE = "default";

export const ResourceType = {
  Cluster: "Clusters.omni.sidero.dev",
  MachineSet: "MachineSets.omni.sidero.dev",
  MachineSetNode: "MachineSetNodes.omni.sidero.dev",
  ConfigPatch: "ConfigPatches.omni.sidero.dev",
  MachineStatus: "MachineStatuses.omni.sidero.dev",
  MachineClass: "MachineClasses.omni.sidero.dev",
  ClusterStatus: "ClusterStatuses.omni.sidero.dev",
  TalosVersion: "TalosVersions.omni.sidero.dev",
} as const;
export type ResourceTypeName = (typeof ResourceType)[keyof typeof ResourceType];

/** The spec message of each resource type (specs package). */
const SPEC_MESSAGE: Record<ResourceTypeName, string> = {
  [ResourceType.Cluster]: "ClusterSpec",
  [ResourceType.MachineSet]: "MachineSetSpec",
  [ResourceType.MachineSetNode]: "MachineSetNodeSpec",
  [ResourceType.ConfigPatch]: "ConfigPatchSpec",
  [ResourceType.MachineStatus]: "MachineStatusSpec",
  [ResourceType.MachineClass]: "MachineClassSpec",
  [ResourceType.ClusterStatus]: "ClusterStatusSpec",
  [ResourceType.TalosVersion]: "TalosVersionSpec",
};

export const Label = {
  cluster: "omni.sidero.dev/cluster",
  machineSet: "omni.sidero.dev/machine-set",
  controlPlaneRole: "omni.sidero.dev/role-controlplane",
  workerRole: "omni.sidero.dev/role-worker",
  /** On MachineStatus: the machine can be added to a cluster. */
  available: "omni.sidero.dev/available",
  readyToUse: "omni.sidero.dev/ready-to-use",
  reportingEvents: "omni.sidero.dev/reporting-events",
  /** On MachineSetNodes that Omni's controller created for a machine-class allocation. */
  managedByMachineSetNodeController: "omni.sidero.dev/managed-by-machine-set-node-controller",
} as const;

export const Annotation = {
  /** Set on the Cluster by template sync. */
  managedByClusterTemplates: "omni.sidero.dev/managed-by-cluster-templates",
  /** Set on each ConfigPatch by template sync: the patch's human name. */
  name: "name",
} as const;

/** Config patch weights of template sync (client/pkg/constants/constants.go). */
export const PatchBaseWeight = { cluster: 200, machineSet: 400 } as const;

export type Phase = "running" | "tearingDown";

export interface ResourceMetadata {
  readonly namespace: string;
  readonly type: string;
  readonly id: string;
  /** Decimal version, or "undefined" before the resource is stored. */
  readonly version: string;
  readonly owner: string;
  readonly phase: Phase;
  readonly finalizers: readonly string[];
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  readonly created?: Date;
  readonly updated?: Date;
}

/** A COSI resource with its spec as raw protobuf bytes. */
export interface RawResource {
  readonly metadata: ResourceMetadata;
  readonly spec: Buffer;
}

/** A COSI resource with its spec decoded (plain object with camelCase fields, enums as names). */
export interface OmniResource<S = Record<string, any>> {
  readonly metadata: ResourceMetadata;
  readonly spec: S;
}

export function newMetadata(
  type: ResourceTypeName,
  id: string,
  o: { labels?: Record<string, string>; annotations?: Record<string, string> } = {},
): ResourceMetadata {
  return {
    namespace: DEFAULT_NAMESPACE,
    type,
    id,
    version: "undefined",
    owner: "",
    phase: "running",
    finalizers: [],
    labels: { ...(o.labels ?? {}) },
    annotations: { ...(o.annotations ?? {}) },
  };
}

function messageOf(type: string): string {
  const m = SPEC_MESSAGE[type as ResourceTypeName];
  if (!m) throw new Error(`no spec codec for Omni resource type ${type}`);
  return m;
}

/**
 * Encode a spec object (camelCase fields, enums by name or number) to the proto_spec bytes, the way Go's
 * protobuf marshals proto3: scalar fields at their zero value are left out (protobufjs would write a
 * value that was set explicitly), present sub-messages are kept even when empty.
 */
export function encodeSpec(type: string, spec: Record<string, any>): Buffer {
  const T = specType(messageOf(type));
  const msg = T.fromObject(spec);
  const err = T.verify(msg);
  if (err) throw new Error(`invalid ${type} spec: ${err}`);
  pruneZeroScalars(msg as unknown as Record<string, unknown>, T);
  return Buffer.from(T.encode(msg).finish());
}

function pruneZeroScalars(msg: Record<string, unknown>, T: protobuf.Type): void {
  for (const f of T.fieldsArray) {
    const v = msg[f.name];
    if (v === undefined || v === null) continue;
    f.resolve();
    if (f.map) {
      if (Object.keys(v as object).length === 0) delete msg[f.name];
    } else if (f.repeated) {
      if ((v as unknown[]).length === 0) delete msg[f.name];
      else if (f.resolvedType instanceof protobuf.Type) for (const x of v as Record<string, unknown>[]) pruneZeroScalars(x, f.resolvedType);
    } else if (f.resolvedType instanceof protobuf.Type) {
      pruneZeroScalars(v as Record<string, unknown>, f.resolvedType);
    } else if (
      !f.options?.proto3_optional &&
      (v === 0 ||
        v === "" ||
        v === false ||
        v === "0" ||
        (v instanceof Uint8Array && v.length === 0) ||
        (typeof v === "object" && "low" in (v as object) && Number(String(v)) === 0))
    ) {
      delete msg[f.name];
    }
  }
}

/** Decode proto_spec bytes into a plain object with every field present (defaults filled, enums by name). */
export function decodeSpec<S = Record<string, any>>(type: string, bytes: Uint8Array): S {
  const T = specType(messageOf(type));
  return T.toObject(T.decode(bytes), { enums: String, longs: String, bytes: Buffer, defaults: true, arrays: true, objects: true }) as S;
}

export function decodeResource<S = Record<string, any>>(r: RawResource): OmniResource<S> {
  return { metadata: r.metadata, spec: decodeSpec<S>(r.metadata.type, r.spec) };
}

/** The MachineSet IDs template sync uses: `<cluster>-control-planes`, `<cluster>-workers`. */
export function controlPlanesId(cluster: string): string {
  return `${cluster}-control-planes`;
}
export function workersId(cluster: string): string {
  return `${cluster}-workers`;
}

/** A template ConfigPatch ID: `<weight, 3 digits>-<prefix>-<name>` (prefix `cluster-<name>` or the MachineSet ID). */
export function configPatchId(weight: number, prefix: string, name: string): string {
  return `${String(weight).padStart(3, "0")}-${prefix}-${name}`;
}

/** Version arithmetic of COSI: versions are decimal strings; "undefined" before the first write. */
export function nextVersion(v: string): string {
  return v === "undefined" ? "1" : String(Number(v) + 1);
}
