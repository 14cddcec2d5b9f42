import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { manifests } from "../versions";

export interface LocalPathProvisionerArgs {
  /** Manifest URL (Rancher's release manifest). Applied in place. @default the v0.0.37 release manifest pinned in versions.ts */
  readonly manifestUrl?: pulumi.Input<string>;
  /** Mark the `local-path` StorageClass as the cluster default. Applied in place. @default true */
  readonly defaultStorageClass?: boolean;
}

/**
 * Rancher local-path-provisioner (namespace `local-path-storage`) applied from its release manifest, with
 * its `local-path` StorageClass annotated as the default. The provider awaits the Deployment. K3s ships
 * it already.
 *
 * @example
 * ```ts
 * new LocalPathProvisioner("csi", {}, { provider });
 * ```
 */
export class LocalPathProvisioner extends pulumi.ComponentResource {
  /** The applied manifest. */
  public readonly manifest: k8s.yaml.v2.ConfigFile;

  constructor(name: string, args: LocalPathProvisionerArgs = {}, opts?: pulumi.ComponentResourceOptions) {
    super("ksail:components:LocalPathProvisioner", name, {}, opts);
    this.manifest = new k8s.yaml.v2.ConfigFile(
      `${name}-manifest`,
      { file: args.manifestUrl ?? manifests.localPathProvisioner.url },
      { parent: this, dependsOn: opts?.dependsOn },
    );
    if (args.defaultStorageClass ?? true) {
      new k8s.storage.v1.StorageClassPatch(
        `${name}-default-class`,
        {
          metadata: {
            name: manifests.localPathProvisioner.storageClass,
            annotations: { "storageclass.kubernetes.io/is-default-class": "true" },
          },
        },
        { parent: this, dependsOn: [this.manifest] },
      );
    }
    this.registerOutputs({});
  }
}
