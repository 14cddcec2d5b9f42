/**
 * The plan of a cluster whose nodes are containers on a Docker Engine: Vanilla, K3s and Talos on provider Docker,
 * and Vanilla on provider Kubernetes, whose engine is a Docker-in-Docker pod (./dindHost.ts).
 */
import { KsailError } from "../errors";
import type { TalosVersion } from "../distributions/talos/versions";
import { talosImage } from "../distributions/talos/versions";
import { chartVersions } from "./catalog";
import { DEFAULT_IMAGES, DEFAULT_MIRRORS, planDockerCluster, type DockerDistribution } from "./docker";
import { dockerPlanInputFromSpec } from "./dockerInput";
import { distributionConfigOverrides, isEmptyOverrides } from "../config/distributionFiles";
import { mirrorSpecText, parseMirrorSpecs, type MirrorSpec } from "../config/mirrors";
import { shortHash, withTalosPatchSalt } from "./salt";
import { dockerTalosPlan, talosKubernetesVersion } from "./talos";
import type { ClusterPlan, ClusterPlanInput, PlanBase } from "./cluster";

/**
 * Node containers on a Docker Engine (Vanilla, K3s, Talos): the engine of the machine (provider Docker), or the
 * engine of a Docker-in-Docker pod on a host cluster (`inPod`: Vanilla on provider Kubernetes), where the API is
 * published on the pod's addresses at KSail's port, the bridge takes the pod's MTU and no mirror runs beside the nodes.
 */
export function planDockerNodes(
  input: ClusterPlanInput,
  base: PlanBase,
  talosVersion: TalosVersion | undefined,
  inPod?: { apiPort: number; mtu: number; talosPort?: number },
): ClusterPlan {
  const eff = base.effective;
  const c = eff.cluster;
  const distribution = base.distribution;
  const components = base.components;
  const file = distributionConfigOverrides(
    distribution,
    { kindConfig: input.kindConfig, k3dConfig: input.k3dConfig },
    {
      source: c.distributionConfig,
      kubernetesVersion: c.kubernetesVersion,
      cni: c.cni,
      loadBalancer: c.loadBalancer === "Enabled",
    },
  );
  if (file.issues.length > 0) throw new KsailError(file.issues, `${c.distributionConfig} asks for what KSailCluster does not do:`);
  if (inPod && input.fileMirrors && input.fileMirrors.length > 0)
    throw new KsailError([
      {
        path: "fileMirrors",
        message: `the project's files declare registry mirrors (${input.fileMirrors.join(", ")}); no pull-through mirrors run beside a nested cluster's nodes, which pull from the registries directly: remove them`,
      },
    ]);
  const mirrors = inPod ? [] : dockerMirrors(input.mirrors, input.fileMirrors);
  const dockerInput = {
    ...dockerPlanInputFromSpec(eff, { fromFile: file.overrides, ...(mirrors ? { mirrors } : {}), inPod: inPod !== undefined }),
    ...(inPod
      ? {
          apiHostPort: inPod.apiPort,
          apiPublishAddress: "0.0.0.0",
          mtu: inPod.mtu,
          ...(inPod.talosPort ? { talosApiHostPort: inPod.talosPort } : {}),
        }
      : {}),
  };
  // The file's node image only counts as a change when it is not the image the spec selects anyway.
  const { image: fileImage, ...shaping } = file.overrides;
  const specImage =
    dockerPlanInputFromSpec(eff, { inPod: inPod !== undefined }).image ?? DEFAULT_IMAGES[distribution as DockerDistribution];
  const fileSalt = {
    ...shaping,
    ...(fileImage !== undefined && fileImage !== specImage ? { image: fileImage } : {}),
    // Kind and K3s nodes get their mirror configuration at create (hosts.toml, registries.yaml), so a mirror list
    // other than the defaults is part of what recreates them (KSail: "changing mirrors requires recreation");
    // Talos applies machine.registries in place.
    ...(mirrors && !inPod && distribution !== "Talos" ? { mirrors: mirrors.map(mirrorSpecText) } : {}),
  };
  const docker = planDockerCluster(talosVersion ? { ...dockerInput, image: talosImage(talosVersion) } : dockerInput);
  const nodes = docker.nodes.map((n) => ({
    name: n.name,
    role: n.role,
    address: n.ip,
    suffix: n.name.slice(docker.clusterName.length + 1),
  }));
  const talos = talosVersion
    ? dockerTalosPlan({ spec: eff, version: talosVersion, components, nodes, patches: input.talosConfigPatches }, docker)
    : undefined;
  const kubernetes = talosVersion ? talosKubernetesVersion(eff, talosVersion) : docker.kubernetesVersion;
  return {
    ...base,
    // What the file sets is built into the nodes at create time, like the spec fields it stands for: a change
    // recreates the cluster. A file that sets nothing leaves the trigger as the spec's own (no change for old stacks).
    recreateTrigger: isEmptyOverrides(fileSalt) ? base.recreateTrigger : withTalosPatchSalt(base.recreateTrigger, JSON.stringify(fileSalt)),
    ...(isEmptyOverrides(fileSalt) ? {} : { fileRecreateKey: shortHash(JSON.stringify(fileSalt)) }),
    provider: inPod ? "Kubernetes" : "Docker",
    nodes,
    // In a pod the API is reached at the host's front, known once the front exists.
    ...(inPod ? {} : { endpoint: `https://127.0.0.1:${docker.apiHostPort}` }),
    docker,
    talos,
    versions: { ...(talos ? { talos: talos.version } : {}), kubernetes, charts: chartVersions(components) },
  };
}

/**
 * The mirror list of a Docker cluster: the given specs (or, when none are given, the four defaults) plus the hosts
 * the project's files declare that the list does not name; undefined = the defaults unchanged. Throws a KsailError
 * naming each bad spec.
 */
function dockerMirrors(given: readonly string[] | undefined, found: readonly string[] | undefined): MirrorSpec[] | undefined {
  if (given === undefined && (found === undefined || found.length === 0)) return undefined;
  const a = given === undefined ? { mirrors: DEFAULT_MIRRORS.map((m) => ({ ...m })), issues: [] } : parseMirrorSpecs(given, "mirrors");
  const b = parseMirrorSpecs(found ?? [], "fileMirrors");
  const issues = [...a.issues, ...b.issues];
  if (issues.length > 0) throw new KsailError(issues, "Cannot plan the registry mirrors:");
  const hosts = new Set(a.mirrors.map((m) => m.host));
  return [...a.mirrors, ...b.mirrors.filter((m) => !hosts.has(m.host))];
}
