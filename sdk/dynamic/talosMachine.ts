import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { trampoline } from "./trampoline";
import type { DockerEngineAccess, ImpactMarker, MachineDrift, MachineNode } from "./talosMachine.plan";

export type { DockerEngineAccess, MachineDrift, MachineNode, MachinePlatform, MachineRole } from "./talosMachine.plan";

const provider = trampoline(path.join(__dirname, "talosMachine.impl.js"), "handler", [
  "check",
  "diff",
  "create",
  "read",
  "update",
  "delete",
]);

export interface TalosMachineArgs {
  /**
   * The node: `{name, role, platform, endpoint, address?, via?, containerName?}`. `endpoint` is the apid to dial
   * (`host[:port]`); `address` is the node to reach through it (`node` metadata: apid proxies the call), which lets
   * a worker whose apid only listens on a private network be managed through a control plane. `via` lists more
   * control planes' apid endpoints to use when `endpoint` does not answer (e.g. while that control plane reboots).
   * Recreates the machine when name, role or platform change; endpoint, address and via are applied in place.
   * @example { name: "prod-worker-1", role: "worker", platform: "hcloud", endpoint: "203.0.113.10:50000",
   *   address: "10.0.1.21", via: ["203.0.113.11:50000", "203.0.113.12:50000"] }
   */
  node: pulumi.Input<MachineNode>;
  /** Talos version the config targets (selects the classifier's rules). Applied in place. */
  talosVersion: pulumi.Input<string>;
  /**
   * The full machine config (multi-document YAML). Wrapped as a secret. A change is classified: Applied in place
   * when it is live (NO_REBOOT); the node reboots when it is reboot-required (STAGED, drained; Docker: a container
   * restart); the node is wiped and configured again when Talos applies it only when formatting (volume encryption
   * or provisioning); recreates the machine when it is immutable (machine type, identity).
   */
  config: pulumi.Input<string>;
  /** Admin talosconfig YAML (derived from the cluster secrets). Wrapped as a secret. Applied in place. */
  talosconfig: pulumi.Input<string>;
  /**
   * Admin kubeconfig: before a reboot, upgrade, wipe or removal the node is cordoned and drained through the
   * Kubernetes API (Talos does not drain by itself) and uncordoned afterwards, and the health gates wait for every
   * Kubernetes node to be Ready. Wrapped as a secret. Applied in place.
   * @default none (no drain, no Kubernetes gate)
   */
  kubeconfig?: pulumi.Input<string>;
  /**
   * How many control planes the cluster has: the etcd membership the health gate waits for before and after
   * every disruptive step. Not part of the diff (scaling does not touch every machine). Applied in place.
   * @default none (every member must be healthy, whatever their number)
   */
  controlPlanes?: pulumi.Input<number>;
  /**
   * Installer image for hcloud/metal nodes (e.g. `factory.talos.dev/hcloud-installer/<schematic>:v1.14.1`); ignored
   * on Docker. The node reboots: a change upgrades the node to this image (image pull, install, reboot).
   * @default none (no upgrades)
   */
  installImage?: pulumi.Input<string>;
  /**
   * The node boots without a config (Talos ISO on metal/Hetzner): the first apply goes insecurely to the
   * maintenance-mode API, unless an earlier attempt already configured the node. Only used on create.
   * @default false
   */
  maintenance?: boolean;
  /** Reset the node on delete. Only used on delete. @default true on hcloud/metal, false on Docker (the container goes too) */
  resetOnDelete?: boolean;
  /**
   * Wait budgets in seconds: the API answering, a reboot or upgrade coming back healthy, a drain finishing. Applied
   * in place.
   * @default {apiSeconds: 600, rebootSeconds: 900, drainSeconds: 600}
   */
  timeouts?: { apiSeconds?: number; rebootSeconds?: number; drainSeconds?: number };
  /**
   * Docker nodes on an engine reached over TCP with mutual TLS (a Docker-in-Docker pod): the engine where a reboot
   * restarts the node's container. Wrapped as a secret. Applied in place.
   * @default the local engine (DOCKER_HOST, else the socket)
   */
  dockerEngine?: pulumi.Input<DockerEngineAccess>;
}

/**
 * One Talos node's configuration, applied through the Talos API (no talosctl). The preview shows the impact class
 * of a config change: `~ update [diff: ~inPlace]`, `~ update [diff: ~rebootRequired]`, `~ update [diff:
 * ~rollingRecreate]` (the node is wiped and configured again) or `+- replace [diff: ~recreateRequired]`, and prints
 * the classifier's reasons as a diagnostic.
 *
 * Creates run in parallel (etcd forms only at TalosBootstrap). Every change to a running node — live applies,
 * reboots, upgrades, wipes, removals — goes through one queue per cluster in the provider process: one node at a
 * time, control planes first, each between two health gates (the node booted and its services healthy; on a control
 * plane every etcd member answering for itself, the membership equal to the control planes; every Kubernetes node
 * Ready), draining the node first when a kubeconfig is given. The first failure stops the queue: nothing after it
 * touches another node. `pulumi refresh` reads the config and version the node runs; a difference shows as an update
 * in the next preview, which repairs it.
 *
 * @example
 * const cp1 = new TalosMachine("dev-cp-1", { node: { name: "dev-controlplane-1", role: "controlplane",
 *   platform: "docker", endpoint: "127.0.0.1:50000" }, talosVersion: "1.14.1", config, talosconfig, kubeconfig });
 */
export class TalosMachine extends pulumi.dynamic.Resource {
  /** Mode Talos used for the last apply (NO_REBOOT, STAGED, REBOOT…). */
  declare readonly appliedMode: pulumi.Output<string>;
  /** The Talos version tag the node reported after the last change. */
  declare readonly talosVersionReported: pulumi.Output<string>;
  /** What the last create/update did: create, in-place, reboot, upgrade or none. */
  declare readonly lastChange: pulumi.Output<string>;
  /** Impact markers: each changes only with a change of its class (digest + reasons, no values). */
  declare readonly inPlace: pulumi.Output<ImpactMarker>;
  declare readonly rebootRequired: pulumi.Output<ImpactMarker>;
  declare readonly rollingRecreate: pulumi.Output<ImpactMarker>;
  declare readonly recreateRequired: pulumi.Output<ImpactMarker>;
  /** Set by a refresh that found the node running another config or Talos version; cleared by the update that repairs it. */
  declare readonly drift: pulumi.Output<MachineDrift | undefined>;

  constructor(name: string, args: TalosMachineArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      provider,
      name,
      {
        node: args.node,
        talosVersion: args.talosVersion,
        config: pulumi.secret(args.config),
        talosconfig: pulumi.secret(args.talosconfig),
        kubeconfig: args.kubeconfig === undefined ? undefined : pulumi.secret(args.kubeconfig),
        controlPlanes: args.controlPlanes,
        installImage: args.installImage,
        maintenance: args.maintenance ?? false,
        resetOnDelete: args.resetOnDelete,
        timeouts: args.timeouts,
        dockerEngine: args.dockerEngine === undefined ? undefined : pulumi.secret(args.dockerEngine),
        appliedMode: undefined,
        talosVersionReported: undefined,
        lastChange: undefined,
        inPlace: undefined,
        rebootRequired: undefined,
        rollingRecreate: undefined,
        recreateRequired: undefined,
        drift: undefined,
      },
      { ...opts, additionalSecretOutputs: ["config", "talosconfig", "kubeconfig", "dockerEngine"] },
      "ksail",
      "TalosMachine",
    );
  }
}
