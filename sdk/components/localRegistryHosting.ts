import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { localRegistryHostingConfigMap } from "./values/localRegistryHosting";
import type { LocalRegistryHosting as Hosting } from "../plan/components";

export interface LocalRegistryHostingArgs {
  /**
   * Where the local registry is reachable from the host, the nodes and the pods. Applied in place.
   * @default none (required)
   * @example { host: "localhost:5050", hostFromContainerRuntime: "localhost:5050", hostFromClusterNetwork: "dev-local-registry:5000" }
   */
  readonly hosting: Hosting;
}

/**
 * The KEP-1755 `kube-public/local-registry-hosting` ConfigMap, which tells developer tools (Tilt, Skaffold, ctlptl)
 * where to push images for this cluster. Created with the local registry; removed in place when it goes.
 *
 * @example
 * ```ts
 * new LocalRegistryHosting("registry-hosting", { hosting: { host: "localhost:5050", hostFromContainerRuntime: "localhost:5050", hostFromClusterNetwork: "dev-local-registry:5000" } }, { provider });
 * ```
 */
export class LocalRegistryHosting extends pulumi.ComponentResource {
  /** The ConfigMap. */
  public readonly configMap: k8s.core.v1.ConfigMap;

  constructor(name: string, args: LocalRegistryHostingArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ksail:components:LocalRegistryHosting", name, {}, opts);
    const cm = localRegistryHostingConfigMap(args.hosting);
    this.configMap = new k8s.core.v1.ConfigMap(
      `${name}-configmap`,
      { metadata: cm.metadata, data: cm.data },
      { parent: this, dependsOn: opts?.dependsOn },
    );
    this.registerOutputs({});
  }
}
