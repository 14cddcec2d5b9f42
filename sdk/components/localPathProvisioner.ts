import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { localPathObjects, localPathSettings, type LocalPathFlavour, type LocalPathSettings } from "./values/localPath";

export interface LocalPathProvisionerArgs {
  /**
   * Which distribution's setup to reproduce: `kind` (kind's default storage: StorageClass `standard`, kind's
   * preloaded images), `k3s` (k3s's packaged local-storage: kube-system, `local-path`, volumes in the k3s data dir),
   * `talos` (a path under /var, namespace labelled privileged for Talos's PodSecurity) or `generic` (upstream
   * defaults). Applied in place.
   * @default "generic"
   */
  readonly flavour?: LocalPathFlavour;
  /**
   * Settings over the flavour's (namespace, StorageClass name, node path, images, default class). Applied in place (a
   * changed namespace or class name replaces those objects).
   * @default the flavour's
   */
  readonly settings?: Partial<LocalPathSettings>;
}

/**
 * Rancher local-path-provisioner applied as Kubernetes objects rendered up front (no manifest download): its
 * namespace, RBAC, Deployment, ConfigMap and a default StorageClass, shaped as the flavour's distribution ships it.
 * On Kind and K3s clusters this replaces the storage the nodes used to install themselves, so switching CSI is
 * applied in place.
 *
 * @example
 * ```ts
 * new LocalPathProvisioner("csi", { flavour: "talos" }, { provider });
 * ```
 */
export class LocalPathProvisioner extends pulumi.ComponentResource {
  /** The applied objects. */
  public readonly objects: k8s.yaml.v2.ConfigGroup;
  /** The StorageClass name. */
  public readonly storageClass: string;

  constructor(name: string, args: LocalPathProvisionerArgs = {}, opts?: pulumi.ComponentResourceOptions) {
    super("ksail:components:LocalPathProvisioner", name, {}, opts);
    const settings = { ...localPathSettings(args.flavour ?? "generic"), ...args.settings };
    this.storageClass = settings.storageClass;
    this.objects = new k8s.yaml.v2.ConfigGroup(
      `${name}-objects`,
      { objs: localPathObjects(settings) },
      { parent: this, dependsOn: opts?.dependsOn },
    );
    this.registerOutputs({});
  }
}
