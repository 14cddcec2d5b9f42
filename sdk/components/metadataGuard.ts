import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { metadataGuardPolicy } from "./values/metadataGuard";

export type MetadataGuardArgs = Record<string, never>;

/**
 * Talos on Hetzner with Cilium: a CiliumClusterwideNetworkPolicy denying every pod but the hcloud CSI driver's
 * egress to Hetzner's metadata service (169.254.169.254), where user_data (the machine config, on the snapshot
 * route) can be read (sdk/components/values/metadataGuard.ts says why each field is as it is). Created after
 * Cilium (whose agents wait for its CRDs); removed in place with it.
 *
 * @example
 * ```ts
 * new MetadataGuard("metadata-guard", {}, { provider, dependsOn: [cilium] });
 * ```
 */
export class MetadataGuard extends pulumi.ComponentResource {
  /** The policy. */
  public readonly policy: k8s.apiextensions.CustomResource;

  constructor(name: string, _args: MetadataGuardArgs = {}, opts?: pulumi.ComponentResourceOptions) {
    super("ksail:components:MetadataGuard", name, {}, opts);
    const p = metadataGuardPolicy();
    this.policy = new k8s.apiextensions.CustomResource(
      `${name}-policy`,
      { apiVersion: p.apiVersion, kind: p.kind, metadata: p.metadata, spec: p.spec },
      { parent: this, dependsOn: opts?.dependsOn },
    );
    this.registerOutputs({});
  }
}
