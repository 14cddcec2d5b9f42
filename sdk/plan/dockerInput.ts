import { KsailError } from "../errors";
import type { EffectiveSpec } from "../config/effective";
import { parseRegistrySpec } from "../config/registry";
import { TALOS_IMAGE_REPOSITORY } from "../distributions/talos/versions";
import { k3sNodeImage, kindNodeImage } from "../versions";
import { oidcApiServerArgs } from "../distributions/oidc";
import type { DockerDistribution, DockerMirrorInput, DockerPlanInput } from "./docker";
import type { DistributionConfigOverrides } from "../config/distributionFiles";

/**
 * The Docker plan input a ksail.yaml asks for (pure). Only infrastructure-shaping fields are read: distribution,
 * node counts, versions, the bundled add-on switches, extra port mappings and the local registry. Component
 * installers (cert-manager, policy engine, GitOps, …) never reach the containers.
 */
export function dockerPlanInputFromSpec(
  spec: EffectiveSpec,
  options: {
    mirrors?: readonly DockerMirrorInput[];
    apiHostPort?: number;
    talosApiHostPort?: number;
    networkCidr?: string;
    /** What the kind.yaml / k3d.yaml named by `distributionConfig` sets (`distributionConfigOverrides`). */
    fromFile?: DistributionConfigOverrides;
    /** The engine is a Docker-in-Docker pod's on a host cluster (provider Kubernetes). */
    inPod?: boolean;
  } = {},
): DockerPlanInput {
  const c = spec.cluster;
  if (c.provider !== (options.inPod ? "Kubernetes" : "Docker"))
    throw new KsailError([
      {
        path: "spec.cluster.provider",
        message: `is "${c.provider}"; the Docker infrastructure only builds provider Docker`,
      },
    ]);
  if (c.distribution !== "Vanilla" && c.distribution !== "K3s" && c.distribution !== "Talos")
    throw new KsailError([
      {
        path: "spec.cluster.distribution",
        message: `is "${c.distribution}"; Docker runs Vanilla, K3s or Talos — pick one of those`,
      },
    ]);
  const distribution: DockerDistribution = c.distribution;
  const file = options.fromFile ?? {};
  const v = (s: string) => (s === "" ? undefined : s.startsWith("v") ? s : `v${s}`);
  const k8s = v(c.kubernetesVersion);
  const image =
    file.image ??
    (distribution === "Talos"
      ? c.talos.version
        ? `${TALOS_IMAGE_REPOSITORY}:${v(c.talos.version)}`
        : undefined
      : k8s
        ? distribution === "Vanilla"
          ? kindNodeImage(k8s)
          : k3sNodeImage(k8s)
        : undefined);
  let localRegistryPort: number | undefined;
  if (c.localRegistry.registry !== "") {
    const r = parseRegistrySpec(c.localRegistry.registry);
    if (!r.external) localRegistryPort = r.port;
  }
  return {
    distribution,
    clusterName: spec.name,
    controlPlanes: c.controlPlanes,
    workers: c.workers,
    image,
    kubernetesVersion: k8s,
    networkCidr: options.networkCidr ?? file.networkCidr,
    apiHostPort: options.apiHostPort ?? file.apiHostPort,
    talosApiHostPort: options.talosApiHostPort,
    extraPortMappings: [
      ...c.talos.extraPortMappings.map((p) => `${p.hostPort}:${p.containerPort}/${p.protocol.toLowerCase()}`),
      ...(file.extraPortMappings ?? []),
    ],
    ...(file.podSubnet ? { podSubnet: file.podSubnet } : {}),
    ...(file.serviceSubnet ? { serviceSubnet: file.serviceSubnet } : {}),
    ...(file.k3sExtraArgs ? { k3sExtraArgs: file.k3sExtraArgs } : {}),
    mirrors: options.mirrors,
    localRegistryPort,
    addons: {
      cni: c.cni,
      metricsServer: c.metricsServer === "Enabled",
      csi: c.csi === "Enabled",
      loadBalancer: c.loadBalancer === "Enabled",
    },
    // Talos takes the same arguments through its machine config (the Talos plan), not the containers.
    ...(distribution === "Talos" ? {} : { apiServerArgs: oidcApiServerArgs(c.oidc) }),
    // Talos renders its ImageVerificationConfig in the machine config (the Talos plan).
    ...(distribution !== "Talos" && c.imageVerification === "Enabled" ? { imageVerification: true } : {}),
  };
}
