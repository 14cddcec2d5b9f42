import * as pulumi from "@pulumi/pulumi";
import * as docker from "@pulumi/docker";
import { sanitizeHost, type DockerClusterPlan, type DockerMirrorPlan } from "../../plan/docker";
import { images } from "../../versions";
import { commonLabels } from "../../plan/dockerContainers";

/**
 * Local OCI registry and pull-through mirrors as KSail runs them: `registry:3` containers on
 * the cluster network, `/var/lib/registry` in a named volume, healthcheck on `/v2/`. Mirror caches are named
 * after the upstream host and shared by every cluster on the host, so they outlive a cluster (retainOnDelete)
 * unless told otherwise; registry containers follow the cluster's recreate trigger.
 */

/** Credentials for one mirror's upstream (both secret). */
export interface MirrorCredentials {
  readonly username: pulumi.Input<string>;
  readonly password: pulumi.Input<string>;
}

export interface RegistryResourcesArgs {
  readonly plan: DockerClusterPlan;
  readonly networkName: pulumi.Input<string>;
  readonly recreateTrigger: pulumi.Input<string>;
  readonly mirrorCredentials?: Readonly<Record<string, MirrorCredentials>>;
  /** Delete cache and local-registry volumes on destroy (default false: kept). */
  readonly deleteVolumes?: boolean;
}

export interface RegistryResources {
  readonly mirrors: {
    readonly plan: DockerMirrorPlan;
    readonly container: docker.Container;
    readonly volume: docker.Volume;
  }[];
  readonly localRegistry?: { readonly container: docker.Container; readonly volume: docker.Volume };
  readonly all: docker.Container[];
}

/** `wget --spider` against the registry API, as KSail checks it. */
export const REGISTRY_HEALTH: docker.types.input.ContainerHealthcheck = {
  tests: ["CMD", "wget", "-q", "--spider", "http://localhost:5000/v2/"],
  interval: "10s",
  timeout: "3s",
  startPeriod: "5s",
  retries: 3,
};

/** Create the mirrors and the local registry of a plan as children of `parent`, named `${name}-…`. */
export function createRegistries(name: string, args: RegistryResourcesArgs, parent: pulumi.Resource): RegistryResources {
  const { plan, networkName, recreateTrigger } = args;
  const retainOnDelete = !args.deleteVolumes;
  const containerOpts: pulumi.CustomResourceOptions = {
    parent,
    deleteBeforeReplace: true,
    replacementTrigger: recreateTrigger,
    replaceOnChanges: ["healthcheck"],
  };
  const mirrors = plan.mirrors.map((m) => {
    const volume = new docker.Volume(
      `${name}-mirror-${sanitizeHost(m.host)}-cache`,
      { name: m.volumeName, labels: [{ label: "ksail.io/mirror-cache", value: m.host }] },
      { parent, retainOnDelete },
    );
    const creds = args.mirrorCredentials?.[m.host];
    const envs: pulumi.Input<string>[] = [`REGISTRY_PROXY_REMOTEURL=${m.upstream}`];
    if (creds) {
      envs.push(pulumi.secret(pulumi.interpolate`REGISTRY_PROXY_USERNAME=${creds.username}`));
      envs.push(pulumi.secret(pulumi.interpolate`REGISTRY_PROXY_PASSWORD=${creds.password}`));
    }
    const container = new docker.Container(
      `${name}-mirror-${sanitizeHost(m.host)}`,
      {
        name: m.containerName,
        image: images.registry,
        envs,
        volumes: [{ volumeName: volume.name, containerPath: "/var/lib/registry" }],
        networksAdvanced: [{ name: networkName, ipv4Address: m.ip }],
        restart: "unless-stopped",
        labels: [...commonLabels(plan, "mirror"), { label: "io.ksail.registry", value: m.containerName }],
        healthcheck: REGISTRY_HEALTH,
        mustRun: true,
      },
      containerOpts,
    );
    return { plan: m, container, volume };
  });
  let localRegistry: RegistryResources["localRegistry"];
  if (plan.localRegistry) {
    const r = plan.localRegistry;
    const volume = new docker.Volume(
      `${name}-local-registry-data`,
      { name: r.volumeName, labels: [{ label: "ksail.io/cluster", value: plan.clusterName }] },
      { parent, retainOnDelete },
    );
    const container = new docker.Container(
      `${name}-local-registry`,
      {
        name: r.containerName,
        image: images.registry,
        volumes: [{ volumeName: volume.name, containerPath: "/var/lib/registry" }],
        networksAdvanced: [{ name: networkName, ipv4Address: r.ip }],
        ports: [{ internal: 5000, external: r.hostPort, ip: "127.0.0.1", protocol: "tcp" }],
        restart: "unless-stopped",
        labels: [...commonLabels(plan, "local-registry"), { label: "io.ksail.registry", value: r.containerName }],
        healthcheck: REGISTRY_HEALTH,
        mustRun: true,
      },
      containerOpts,
    );
    localRegistry = { container, volume };
  }
  return {
    mirrors,
    localRegistry,
    all: [...mirrors.map((m) => m.container), ...(localRegistry ? [localRegistry.container] : [])],
  };
}
