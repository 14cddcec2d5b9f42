import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { trampoline } from "./trampoline";
import type { OmniConnection } from "./omniConnection";
import type { OmniKind } from "./omniResource.impl";

const provider = trampoline(path.join(__dirname, "omniResource.impl.js"), "handler", ["check", "diff", "create", "update", "delete"]);

export interface OmniResourceArgs {
  /**
   * Omni endpoint and where the service-account key is read from. Replaces this resource when the endpoint changes
   * (another endpoint is another Omni account); applied in place otherwise.
   */
  connection: pulumi.Input<OmniConnection>;
  /**
   * Service-account key (kept secret). Applied in place.
   * @default read from `connection.serviceAccountKeyEnvVar` at operation time
   */
  serviceAccountKey?: pulumi.Input<string>;
  /** Which template resource this is. Replaces this resource. */
  kind: OmniKind;
  /** The resource's ID in Omni (cluster name, `<cluster>-control-planes`, machine UUID, patch ID). Replaces this resource. */
  resourceId: string;
  /**
   * Labels (the cluster and machine-set relations Omni keys on). Applied in place; a new cluster or machine-set
   * relation replaces this resource (Omni refuses to move it).
   * @default none
   */
  labels?: Record<string, string>;
  /**
   * Annotations. Applied in place.
   * @default none
   */
  annotations?: Record<string, string>;
  /**
   * The resource spec, camelCase fields of Omni's spec message (not for ConfigPatch). Applied in place by Omni
   * (versions upgrade machines as the impact table says); switching a MachineSet between a machine class and listed
   * machines replaces this resource.
   * @default empty
   */
  spec?: Record<string, unknown>;
  /**
   * ConfigPatch only: the patch YAML. Applied in place, or nodes reboot: the Talos machine-config classifier decides,
   * and the preview shows the class as `[diff: ~inPlace]` or `[diff: ~rebootRequired]`.
   * @default none
   */
  data?: string;
  /**
   * ConfigPatch only: the machine configs the patch reaches. Applied in place.
   * @default "cluster"
   */
  patchScope?: "cluster" | "control-planes" | "workers";
  /**
   * ConfigPatch only: the cluster's Talos version for the classifier. Applied in place.
   * @default "1.13.0"
   */
  talosVersion?: string;
  /**
   * Teardown budget in seconds (machines leave and are wiped first). Applied in place.
   * @default {teardownSeconds: 1800}
   */
  timeouts?: { teardownSeconds?: number };
}

/**
 * One resource of an Omni cluster template (Cluster, MachineSet, MachineSetNode or ConfigPatch), written
 * through Omni's COSI state API as template sync writes it. Deleting it tears it down in Omni: a
 * MachineSetNode's machine leaves the cluster and is wiped, a Cluster goes with its machine sets.
 */
export class OmniResource extends pulumi.dynamic.Resource {
  /** Omni's version of the resource after the last write. */
  declare readonly omniVersion: pulumi.Output<string>;

  constructor(name: string, args: OmniResourceArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      provider,
      name,
      {
        connection: args.connection,
        serviceAccountKey: args.serviceAccountKey === undefined ? undefined : pulumi.secret(args.serviceAccountKey),
        kind: args.kind,
        resourceId: args.resourceId,
        labels: args.labels ?? {},
        annotations: args.annotations ?? {},
        spec: args.kind === "ConfigPatch" ? undefined : (args.spec ?? {}),
        data: args.data,
        patchScope: args.patchScope,
        talosVersion: args.talosVersion,
        timeouts: args.timeouts,
        omniVersion: undefined,
      },
      { ...opts, additionalSecretOutputs: ["serviceAccountKey"] },
      "ksail",
      `Omni${args.kind}`,
    );
  }
}
