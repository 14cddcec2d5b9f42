/**
 * KWOK on Docker as plain data: the network and the five containers kwokctl's docker runtime creates, with the
 * files it bind-mounts uploaded instead (no host folder to keep), the simulated node and the kwok controller's
 * configuration. Used alike by the Docker infrastructure (sdk/infra/docker/kwok.ts) and by `render`.
 */
import { KsailError } from "../errors";
import type { KwokPki } from "../pki/types";
import {
  KWOK_DEFAULT_KUBERNETES,
  KWOK_PATHS,
  KWOK_PORTS,
  kwokContainerName,
  kwokImages,
  kwokInClusterKubeconfig,
  kwokNodeManifest,
  kwokObjectIssues,
  kwokProcesses,
  kwokProjectName,
  renderKwokConfig,
  type KwokComponent,
  type KwokFile,
  type KwokImages,
} from "../distributions/kwok";
import { allocateHostPort } from "./docker";
import { chartVersions } from "./catalog";
import type { ClusterPlan, ClusterPlanInput, PlanBase, PlannedNode } from "./cluster";
import type { ContainerLabel, ContainerSpec, ContainerUpload } from "./dockerContainers";

export interface KwokClusterPlan {
  readonly clusterName: string;
  /** kwokctl's project name `kwok-<name>`: the network, the container-name prefix, the compose project label. */
  readonly project: string;
  readonly kubernetesVersion: string;
  readonly images: KwokImages;
  /** The network kwokctl creates (`docker network create kwok-<name>`, no subnet of its own). */
  readonly network: { readonly name: string; readonly labels: readonly ContainerLabel[] };
  /** Host port of the API server, published on 127.0.0.1. */
  readonly apiHostPort: number;
  /** The kwok controller's configuration file (`/root/.kwok/kwok.yaml`). */
  readonly kwokConfig: string;
  /** The simulated node (KSail's `kwokctl scale node --replicas 1`). */
  readonly node: ReturnType<typeof kwokNodeManifest>;
}

export interface KwokPlanInput {
  readonly clusterName: string;
  /** `v1.36.1`; empty: kwokctl's default. */
  readonly kubernetesVersion?: string;
  readonly apiHostPort?: number;
  /** The objects of the project's `kwok/` folder, with where each came from. */
  readonly objects?: readonly { object: unknown; source: string }[];
}

export function planKwokCluster(input: KwokPlanInput): KwokClusterPlan {
  const { clusterName } = input;
  const issues = kwokObjectIssues(input.objects ?? []);
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(clusterName) || clusterName.length > 40)
    issues.push({
      path: "metadata.name",
      message: `"${clusterName}" cannot name Docker containers; use lowercase letters, digits and "-", at most 40 characters`,
    });
  if (issues.length > 0) throw new KsailError(issues, `Cannot plan the KWOK cluster "${clusterName}":`);
  const { version, images } = kwokImages(input.kubernetesVersion || KWOK_DEFAULT_KUBERNETES);
  const project = kwokProjectName(clusterName);
  return {
    clusterName,
    project,
    kubernetesVersion: version,
    images,
    network: { name: project, labels: kwokLabels(clusterName, "network") },
    apiHostPort: input.apiHostPort ?? allocateHostPort(clusterName, "api"),
    kwokConfig: renderKwokConfig((input.objects ?? []).map((o) => o.object)),
    node: kwokNodeManifest(),
  };
}

/** The compose project label kwokctl sets on its network and containers, and this package's cluster labels. */
function kwokLabels(clusterName: string, role: string): ContainerLabel[] {
  return [
    { label: "com.docker.compose.project", value: kwokProjectName(clusterName) },
    { label: "ksail.io/cluster", value: clusterName },
    { label: "ksail.io/distribution", value: "KWOK" },
    { label: "ksail.io/role", value: role },
  ];
}

const IMAGE_OF: Readonly<Record<KwokComponent, keyof KwokImages>> = {
  etcd: "etcd",
  "kube-apiserver": "kubeApiserver",
  "kube-controller-manager": "kubeControllerManager",
  "kube-scheduler": "kubeScheduler",
  "kwok-controller": "kwokController",
};

/** The image a component runs (the same in a container or a pod). */
export function kwokImage(plan: Pick<KwokClusterPlan, "images">, component: KwokComponent): string {
  return plan.images[IMAGE_OF[component]];
}

/** A placeholder identity for the shape of the specs (render without secrets, the infra's plain fields). */
export const KWOK_PKI_PLACEHOLDER: KwokPki = { ca: { cert: "", key: "" }, admin: { cert: "", key: "" } };

function fileContent(plan: KwokClusterPlan, pki: KwokPki, f: KwokFile): { content: string; secret: boolean } {
  switch (f) {
    case "caCert":
      return { content: pki.ca.cert, secret: false };
    case "adminCert":
      return { content: pki.admin.cert, secret: false };
    case "adminKey":
      return { content: pki.admin.key, secret: true };
    case "kubeconfig":
      return { content: kwokInClusterKubeconfig(plan.clusterName), secret: false };
    case "kwokConfig":
      return { content: plan.kwokConfig, secret: false };
  }
}

/**
 * The five containers in creation order: kwokctl's `docker create --name=kwok-<name>-<component> --pull=never
 * --entrypoint=<binary> --network=kwok-<name> --restart=unless-stopped --label=com.docker.compose.project=kwok-<name>`
 * (pkg/kwokctl/runtime/compose/cluster_operation.go `createComponent`), the API server's port published (here on
 * 127.0.0.1 rather than every address) and each bind-mounted file uploaded at the same path.
 */
export function kwokContainerSpecs(plan: KwokClusterPlan, pki: KwokPki): ContainerSpec[] {
  return kwokProcesses(plan.clusterName).map((p): ContainerSpec => {
    const uploads = p.files.map((f): ContainerUpload => {
      const { content, secret } = fileContent(plan, pki, f);
      return { file: KWOK_PATHS[f], content, permissions: f === "adminKey" ? "0600" : "0644", secret };
    });
    return {
      name: kwokContainerName(plan.clusterName, p.component),
      image: kwokImage(plan, p.component),
      entrypoints: [p.entrypoint],
      command: [...p.args],
      restart: "unless-stopped",
      labels: kwokLabels(plan.clusterName, p.component),
      network: { name: plan.network.name },
      ...(p.component === "kube-apiserver"
        ? { ports: [{ internal: KWOK_PORTS["kube-apiserver"], external: plan.apiHostPort, ip: "127.0.0.1", protocol: "tcp" }] }
        : {}),
      ...(uploads.length > 0 ? { uploads } : {}),
    };
  });
}

/** KWOK on Docker in the cluster plan: one simulated node, the containers' plan, the Kubernetes version. */
export function planKwok(input: ClusterPlanInput, base: PlanBase): ClusterPlan {
  const c = base.effective.cluster;
  if (input.mirrors && input.mirrors.length > 0)
    throw new KsailError([{ path: "mirrors", message: "a KWOK cluster's nodes are simulated and pull no images; remove mirrors" }]);
  const kwok = planKwokCluster({
    clusterName: base.clusterName,
    kubernetesVersion: c.kubernetesVersion,
    objects: input.kwokObjects,
  });
  const nodes: PlannedNode[] = [{ name: kwok.node.metadata.name, role: "worker", address: "", suffix: "node" }];
  return {
    ...base,
    provider: "Docker",
    nodes,
    endpoint: `https://127.0.0.1:${kwok.apiHostPort}`,
    kwok,
    versions: { kubernetes: kwok.kubernetesVersion, charts: chartVersions(base.components) },
  };
}
