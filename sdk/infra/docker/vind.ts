/**
 * KSailCluster for VCluster on Docker (sdk/plan/vind.ts, vCluster's Docker driver): network → the binaries staged in a
 * volume by Docker from vCluster's images → the control-plane container (systemd) with its volumes and files → the
 * standalone install run inside it (DockerExec, with a join token it generates) → the admin kubeconfig read from it →
 * the workers vcluster.yaml lists, each joined with the token. The engine is the docker provider's (`docker:host`,
 * `docker:certPath`), for the docker resources and the steps alike.
 */
import * as pulumi from "@pulumi/pulumi";
import * as docker from "@pulumi/docker";
import * as YAML from "yaml";
import { DockerExec } from "../../dynamic/dockerExec";
import { providerEngine } from "./hostFacts";
import { VIND, VIND_TOKEN_LENGTH, vindInstallScript, vindJoinScript, vindKubeconfigScript } from "../../plan/vind";
import { containerArgs, NETWORK_IGNORE_CHANGES, NODE_REPLACE_ON_CHANGES } from "./nodes";
import type { ClusterInfra, InfraContext } from "../types";

/** The kubeconfig vCluster wrote, pointed at the port published on 127.0.0.1 (its CA kept: 127.0.0.1 is a SAN). */
export function vindKubeconfig(raw: string, server: string, context: string): string {
  const doc = YAML.parse(raw) as {
    clusters?: { name?: string; cluster?: { server?: string } }[];
    contexts?: { name?: string }[];
    "current-context"?: string;
  };
  if (!doc?.clusters?.length) throw new Error("vCluster's kubeconfig has no cluster entry");
  for (const c of doc.clusters) if (c.cluster) c.cluster.server = server;
  // KSail's context name (`vcluster-docker_<name>`), as `vcluster connect` names it.
  if (doc.contexts?.length === 1) {
    doc.contexts[0].name = context;
    doc["current-context"] = context;
  }
  return YAML.stringify(doc);
}

export function vindCluster(ctx: InfraContext): ClusterInfra {
  const { name, parent, plan, protect } = ctx;
  const v = plan.vind!;
  const trigger = plan.recreateTrigger;
  const engine = providerEngine();
  const infra = { parent, replacementTrigger: trigger, deleteBeforeReplace: true };
  const network = new docker.Network(
    `${name}-network`,
    { name: v.network.name, driver: "bridge", labels: [...v.network.labels] },
    { ...infra, protect, ignoreChanges: [...NETWORK_IGNORE_CHANGES] },
  );
  // The driver pulls both images and extracts them into host folders; here the engine stages them in a volume: an empty
  // volume mounted where an image has files gets them copied in when the container is created (it never runs), then
  // the vcluster binary is copied beside them.
  const binaries = new docker.Volume(`${name}-binaries`, { name: v.binaries.volume, labels: [...v.network.labels] }, infra);
  const stageKubernetes = new docker.Container(
    `${name}-stage-kubernetes`,
    {
      name: `${v.controlPlane.container}.stage-kubernetes`,
      image: v.binaries.kubernetesImage,
      command: ["true"],
      volumes: [{ volumeName: binaries.name, containerPath: "/kubernetes" }],
      start: false,
      mustRun: false,
    },
    infra,
  );
  const stageVCluster = new docker.Container(
    `${name}-stage-vcluster`,
    {
      name: `${v.controlPlane.container}.stage-vcluster`,
      image: v.binaries.vclusterImage,
      entrypoints: ["/bin/sh", "-c"],
      command: ["cp /vcluster /staging/vcluster"],
      volumes: [{ volumeName: binaries.name, containerPath: "/staging" }],
      attach: true,
      mustRun: false,
    },
    { ...infra, dependsOn: [stageKubernetes] },
  );
  // The driver's volumes of a container (`<container>.<var|etc|bin|cni-bin>`), as resources `<name>-<suffix>-<volume>`.
  const volumesOf = (container: string, suffix: string) =>
    Object.fromEntries(
      Object.keys(VIND.volumes).map((k) => {
        const volumeName = `${container}.${k}`;
        return [volumeName, new docker.Volume(`${name}-${suffix}-${k}`, { name: volumeName }, infra).name];
      }),
    );
  const nodeOpts = (dependsOn: pulumi.Resource[]) => ({ ...infra, replaceOnChanges: [...NODE_REPLACE_ON_CHANGES], dependsOn });
  const cp = new docker.Container(
    `${name}-control-plane`,
    containerArgs(v.controlPlane.spec, network.name, {
      namedVolumes: { ...volumesOf(v.controlPlane.container, "control-plane"), [v.binaries.volume]: binaries.name },
    }),
    nodeOpts([stageVCluster]),
  );
  // KSail retries a create 5 times, 5 s apart (systemd's D-Bus may not answer yet when the installer starts).
  const install = new DockerExec(
    `${name}-vind-install`,
    {
      container: v.controlPlane.container,
      script: vindInstallScript(v),
      engine,
      generateToken: VIND_TOKEN_LENGTH,
      attempts: 5,
      retryDelaySeconds: 5,
      timeoutSeconds: 900,
    },
    { ...infra, dependsOn: [cp] },
  );
  const read = new DockerExec(
    `${name}-vind-kubeconfig`,
    {
      container: v.controlPlane.container,
      script: vindKubeconfigScript(),
      engine,
      keepStdout: true,
    },
    { ...infra, dependsOn: [install] },
  );
  const joins = v.workers.map((w) => {
    const c = new docker.Container(
      `${name}-node-${w.name}`,
      containerArgs(w.spec, network.name, {
        namedVolumes: { ...volumesOf(w.container, `node-${w.name}`), [v.binaries.volume]: binaries.name },
      }),
      nodeOpts([stageVCluster, install]),
    );
    return new DockerExec(
      `${name}-vind-join-${w.name}`,
      { container: w.container, script: vindJoinScript(v), engine, token: install.token.apply((t) => t ?? ""), attempts: 3 },
      { ...infra, dependsOn: [c] },
    );
  });
  const kubeconfig = pulumi.secret(
    read.stdout.apply((raw) => vindKubeconfig(raw ?? "", plan.endpoint!, `vcluster-docker_${plan.clusterName}`)),
  );
  return {
    secrets: { kubeconfig, talosconfig: pulumi.output(undefined) },
    endpoint: pulumi.output(plan.endpoint!),
    nodes: pulumi.output(plan.nodes.map((n) => ({ name: n.name, role: n.role, address: n.address }))),
    ready: [read, ...joins],
    resources: [network, binaries, stageKubernetes, stageVCluster, cp, install],
    install: {},
  };
}
