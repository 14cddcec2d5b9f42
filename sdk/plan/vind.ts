/**
 * VCluster on Docker ("Vind", vCluster's Docker driver) as plain data, following loft-sh/vcluster v0.36.1
 * pkg/cli/create_docker.go (the version of the chart KSail pins): network `vcluster.<name>`; the control plane
 * `vcluster.cp.<name>` from `ghcr.io/loft-sh/vm-container` (systemd) — hostname and network alias the cluster name,
 * tmpfs /run and /tmp, privileged, env VCLUSTER_NAME, port 8443 published, volumes `vcluster.cp.<name>.{var,etc,bin,
 * cni-bin}` on /var, /etc, /usr/local/bin, /opt/cni/bin, the Kubernetes binaries and the vcluster binary under
 * /var/lib/vcluster/bin (read-only), vcluster.yaml at /etc/vcluster/vcluster.yaml and the kubelet flags at
 * /etc/vcluster/vcluster-flags.env; then `install-standalone.sh --skip-download --skip-wait --vcluster-name …
 * --join-token …` run inside it; workers `vcluster.node.<name>.<node>` from vcluster.yaml's
 * `experimental.docker.nodes`, joined with the script `/node/join?token=…&type=worker` serves; the admin kubeconfig read
 * from /var/lib/vcluster/kubeconfig.yaml.
 *
 * Where the driver uses the machine it runs on, this package uses the engine instead, so that it works with any
 * docker host: the binaries the driver pulls as OCI images into host folders are staged in a volume by Docker itself
 * (a container created from `ghcr.io/loft-sh/kubernetes:<v>-full` with the empty volume on /kubernetes gets the
 * image's files copied in; the vcluster binary is copied from `ghcr.io/loft-sh/vcluster-pro:<version>`); the
 * DNS server the driver reads with a throwaway alpine container is read inside the control plane, which has the same
 * resolv.conf; vcluster.yaml and the kubelet flags are uploaded; the API is published on 127.0.0.1 at a port of this
 * plan (the driver takes a random port on every address) and 127.0.0.1/localhost join the certificate's SANs, so the
 * kubeconfig keeps vCluster's CA (the driver's connect skips verification).
 */
import * as YAML from "yaml";
import { isObject } from "../config/expand";
import { KsailError, type Issue } from "../errors";
import { shortHash } from "./salt";
import { mergeValues, VCLUSTER_CHART, VCLUSTER_DEFAULT_KUBERNETES } from "./vcluster";
import type { ContainerSpec } from "./dockerContainers";

/** pkg/constants/cli.go and create_docker.go's `containerVolumes`. */
export const VIND = {
  networkPrefix: "vcluster.",
  controlPlanePrefix: "vcluster.cp.",
  nodePrefix: "vcluster.node.",
  image: "ghcr.io/loft-sh/vm-container",
  volumes: { var: "/var", etc: "/etc", bin: "/usr/local/bin", "cni-bin": "/opt/cni/bin" },
  binDir: "/var/lib/vcluster/bin",
  valuesFile: "/etc/vcluster/vcluster.yaml",
  flagsFile: "/etc/vcluster/vcluster-flags.env",
  resolvConf: "/etc/k8s-resolv.conf",
  kubeconfig: "/var/lib/vcluster/kubeconfig.yaml",
  port: 8443,
} as const;

/** The join token's length and alphabet, as the driver's `random.String(64)`. */
export const VIND_TOKEN_LENGTH = 64;
export const VIND_TOKEN_ALPHABET = "abcdefghijklmnopqrstuvwxyz";

export const vindKubernetesImage = (version: string) => `ghcr.io/loft-sh/kubernetes:${version}-full`;
export const vindVClusterImage = (version: string) => `ghcr.io/loft-sh/vcluster-pro:${version}`;

export interface VindNode {
  readonly name: string;
  readonly container: string;
  readonly spec: ContainerSpec;
}

export interface VindPlan {
  readonly clusterName: string;
  /** vCluster's version (the chart KSail pins): the release of the installer and of vcluster-pro. */
  readonly version: string;
  readonly kubernetesVersion: string;
  readonly network: { readonly name: string; readonly labels: readonly { label: string; value: string }[] };
  /** The staging volume of the Kubernetes and vcluster binaries (mounted read-only at /var/lib/vcluster/bin). */
  readonly binaries: { readonly volume: string; readonly kubernetesImage: string; readonly vclusterImage: string };
  readonly apiHostPort: number;
  /** vcluster.yaml as the control plane gets it: the project's values and what the driver sets. */
  readonly values: Record<string, unknown>;
  readonly controlPlane: VindNode;
  readonly workers: readonly VindNode[];
  /** Hash of the project's vcluster.yaml: a change recreates the cluster (what it sets is applied at create). */
  readonly valuesSalt: string;
}

export interface VindInput {
  readonly clusterName: string;
  /** `v1.36.3`; empty = the vcluster.yaml's, else vCluster's default. */
  readonly kubernetesVersion?: string;
  readonly userValues?: unknown;
  readonly apiHostPort: number;
  readonly valuesSource?: string;
}

/** The driver's own settings over the user's values (loadUserValues): Docker, standalone, private nodes, no konnectivity. */
function driverValues(version: string | undefined): Record<string, unknown> {
  return {
    experimental: { docker: { enabled: true } },
    controlPlane: {
      standalone: { enabled: true },
      advanced: { konnectivity: { server: { enabled: false }, agent: { enabled: false } } },
      // The API is published on 127.0.0.1: the kubeconfig keeps vCluster's CA and checks that address.
      proxy: { extraSANs: ["127.0.0.1", "localhost"] },
      ...(version ? { distro: { k8s: { image: { tag: version } } } } : {}),
    },
    privateNodes: { enabled: true },
  };
}

/** `8080:80[/udp]` or `127.0.0.1:8080:80` (docker -p) as a ContainerPort. */
function parsePort(s: string, path: string, issues: Issue[]) {
  const m = /^(?:(\d+\.\d+\.\d+\.\d+):)?(\d+):(\d+)(?:\/(tcp|udp))?$/.exec(s);
  if (!m) {
    issues.push({ path, message: `is "${s}"; expected hostPort:containerPort[/tcp|udp] (optionally ip:hostPort:containerPort)` });
    return undefined;
  }
  return { ip: m[1] ?? "0.0.0.0", external: Number(m[2]), internal: Number(m[3]), protocol: m[4] ?? "tcp" };
}

const DOCKER_KEYS = ["image", "ports", "env", "name"] as const;

export function planVind(i: VindInput): VindPlan {
  const issues: Issue[] = [];
  const src = i.valuesSource ?? "vcluster.yaml";
  const user = i.userValues === undefined || i.userValues === null ? {} : i.userValues;
  if (!isObject(user)) throw new KsailError([{ path: src, message: "is not a map of vCluster values" }]);
  const docker = (((user as any).experimental ?? {}).docker ?? {}) as Record<string, unknown>;
  const fileVersion = (user as any).controlPlane?.distro?.k8s?.version ?? (user as any).controlPlane?.distro?.k8s?.image?.tag;
  const version = i.kubernetesVersion || (typeof fileVersion === "string" ? fileVersion : "") || VCLUSTER_DEFAULT_KUBERNETES;
  if (i.kubernetesVersion && typeof fileVersion === "string" && fileVersion !== i.kubernetesVersion)
    issues.push({
      path: `${src}: controlPlane.distro.k8s`,
      message: `runs ${fileVersion} but spec.cluster.kubernetesVersion is ${i.kubernetesVersion}; make them agree (or remove one)`,
    });
  // What this package cannot pass through the engine as the driver does on the machine it runs on.
  for (const [key, why] of [
    ["network", "the cluster's network is this package's `vcluster.<name>`"],
    ["args", "extra docker run arguments cannot be mapped onto the engine's API"],
    ["volumes", "host folders exist only on the machine the driver runs on"],
    ["registryProxy", "it mounts the host's containerd socket"],
    ["loadBalancer", "it mounts the host's Docker socket"],
  ] as const) {
    const v = docker[key];
    if (v !== undefined && !(isObject(v) && (v as { enabled?: unknown }).enabled === false) && !(Array.isArray(v) && v.length === 0))
      issues.push({
        path: `${src}: experimental.docker.${key}`,
        message: `is not supported on Docker by this package (${why}); remove it`,
      });
  }
  const rawNodes = Array.isArray(docker.nodes) ? (docker.nodes as unknown[]) : [];
  const names = new Set<string>();
  rawNodes.forEach((n, idx) => {
    const path = `${src}: experimental.docker.nodes[${idx}]`;
    const name = isObject(n) ? (n as { name?: unknown }).name : undefined;
    if (typeof name !== "string" || !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(name))
      issues.push({
        path: `${path}.name`,
        message: `is ${JSON.stringify(name)}; every node needs a name (lowercase letters, digits, "-")`,
      });
    else if (name === i.clusterName)
      issues.push({ path: `${path}.name`, message: `is the cluster's name, which the control plane has; pick another` });
    else if (names.has(name)) issues.push({ path: `${path}.name`, message: `"${name}" is listed twice` });
    else names.add(name);
    if (isObject(n))
      for (const k of Object.keys(n))
        if (!(DOCKER_KEYS as readonly string[]).includes(k))
          issues.push({ path: `${path}.${k}`, message: `is not supported on Docker by this package; use ${DOCKER_KEYS.join(", ")}` });
  });
  const values = mergeValues(user, driverValues(i.kubernetesVersion ? version : undefined));
  const cpName = `${VIND.controlPlanePrefix}${i.clusterName}`;
  const volumeOf = (owner: string, v: string) => `${owner}.${v}`;
  const binaries = {
    volume: `${cpName}.binaries`,
    kubernetesImage: vindKubernetesImage(version),
    vclusterImage: vindVClusterImage(VCLUSTER_CHART.version),
  };
  const labels = (role: string) => [
    { label: "ksail.io/cluster", value: i.clusterName },
    { label: "ksail.io/distribution", value: "VCluster" },
    { label: "ksail.io/role", value: role },
  ];
  const flags = `KUBELET_EXTRA_ARGS=--resolv-conf=${VIND.resolvConf}`;
  const node = (
    container: string,
    hostname: string,
    role: string,
    extra: Record<string, unknown>,
    cp: boolean,
    path: string,
  ): ContainerSpec => {
    const ports = (Array.isArray(extra.ports) ? extra.ports : []).map((p, k) => parsePort(String(p), `${path}.ports[${k}]`, issues));
    const env = (Array.isArray(extra.env) ? extra.env : []).map(String);
    return {
      name: container,
      hostname,
      image: typeof extra.image === "string" && extra.image !== "" ? extra.image : VIND.image,
      privileged: true,
      tmpfs: { "/run": "", "/tmp": "" },
      volumes: [
        ...Object.entries(VIND.volumes).map(([v, p]) => ({ volumeName: volumeOf(container, v), containerPath: p })),
        { volumeName: binaries.volume, containerPath: VIND.binDir, readOnly: true },
      ],
      restart: "no",
      envs: [
        ...(cp ? [{ name: "VCLUSTER_NAME", value: i.clusterName, secret: false }] : []),
        ...env.map((e) => {
          const at = e.indexOf("=");
          return { name: at < 0 ? e : e.slice(0, at), value: at < 0 ? "" : e.slice(at + 1), secret: false };
        }),
      ],
      labels: labels(role),
      // `--network-alias <hostname>`: workers reach the control plane as https://<cluster name>:8443.
      network: { name: `${VIND.networkPrefix}${i.clusterName}`, aliases: [hostname] },
      ports: [
        ...(cp ? [{ internal: VIND.port, external: i.apiHostPort, ip: "127.0.0.1", protocol: "tcp" }] : []),
        ...ports.filter((p): p is NonNullable<typeof p> => p !== undefined),
      ],
      uploads: [
        ...(cp ? [{ file: VIND.valuesFile, content: YAML.stringify(values), permissions: "0644", secret: false }] : []),
        { file: VIND.flagsFile, content: flags, permissions: "0644", secret: false },
      ],
    };
  };
  const controlPlane: VindNode = {
    name: i.clusterName,
    container: cpName,
    spec: node(cpName, i.clusterName, "control-plane", docker, true, `${src}: experimental.docker`),
  };
  const workers: VindNode[] = rawNodes.filter(isObject).map((n, idx) => {
    const name = String((n as { name?: unknown }).name);
    const container = `${VIND.nodePrefix}${i.clusterName}.${name}`;
    return {
      name,
      container,
      spec: node(container, name, "worker", n as Record<string, unknown>, false, `${src}: experimental.docker.nodes[${idx}]`),
    };
  });
  if (issues.length > 0) throw new KsailError(issues, `${src} asks for what KSailCluster does not do on Docker:`);
  return {
    clusterName: i.clusterName,
    version: VCLUSTER_CHART.version,
    kubernetesVersion: version,
    network: { name: `${VIND.networkPrefix}${i.clusterName}`, labels: labels("network") },
    binaries,
    apiHostPort: i.apiHostPort,
    values,
    controlPlane,
    workers,
    valuesSalt: Object.keys(user).length > 0 ? shortHash(JSON.stringify(user)) : "",
  };
}

/**
 * The kubelet's resolv.conf from the container's upstream DNS (create_docker.go getHostDNSServer and
 * ensureK8sResolvConf): Docker's ExtServers comment, else the first nameserver but 127.0.0.11; `required` fails without one.
 */
function kubeletResolvConf(required: boolean): string[] {
  return [
    `ip=$(grep 'ExtServers' /etc/resolv.conf | grep -oE '[0-9]+\\.[0-9]+\\.[0-9]+\\.[0-9]+' | head -n 1 || true); [ -n "$ip" ] || ip=$(awk '/^nameserver/ && $2 != "127.0.0.11" {print $2; exit}' /etc/resolv.conf)${required ? '; [ -n "$ip" ] || { echo "no upstream DNS server in /etc/resolv.conf" >&2; exit 1; }' : ""}`,
    `printf '# Custom Kubelet DNS resolver\\nnameserver %s\\noptions ndots:0\\n' "$ip" > ${VIND.resolvConf}`,
  ];
}

/**
 * The install step inside the control plane (create_docker.go installVClusterStandalone and ensureK8sResolvConf): wait
 * for systemd, write the kubelet's resolv.conf from the container's own upstream DNS (Docker's ExtServers comment, else
 * the first nameserver but 127.0.0.11), then run the release's install-standalone.sh without download or wait; then
 * wait until the control plane's own node has joined. The join token comes from the environment (`KSAIL_TOKEN`).
 */
export function vindInstallScript(p: VindPlan): string {
  return [
    "set -e -o pipefail",
    'for i in $(seq 1 120); do state=$(systemctl is-system-running 2>/dev/null || true); [ "$state" = "running" ] || [ "$state" = "degraded" ] && break; sleep 0.5; done',
    ...kubeletResolvConf(true),
    `curl -sfLk "https://github.com/loft-sh/vcluster/releases/download/v${p.version}/install-standalone.sh" | sh -s -- --skip-download --skip-wait --vcluster-name ${p.clusterName} --join-token "$KSAIL_TOKEN"`,
    'for i in $(seq 1 360); do count=$(kubectl get nodes --request-timeout=10s --no-headers 2>/dev/null | wc -l); [ "$count" -ge 1 ] && exit 0; sleep 0.5; done; echo "the control plane node did not join within 3 minutes" >&2; exit 1',
  ].join("\n");
}

/** A worker's join (create_docker.go joinDockerContainer): fetch the join script from the control plane, run it. */
export function vindJoinScript(p: VindPlan): string {
  return [
    "set -e",
    ...kubeletResolvConf(false),
    "sleep 2",
    // The token is lowercase letters (VIND_TOKEN_ALPHABET, pkg/util/random): nothing to escape in the query.
    `until curl -fsSLk -o /tmp/join.sh "https://${p.clusterName}:${VIND.port}/node/join?token=$KSAIL_TOKEN&type=worker"; do echo "Waiting for vCluster API to be ready..."; sleep 2; done`,
    `sh /tmp/join.sh --bundle-path ${VIND.binDir}/kubernetes-${p.kubernetesVersion}-$(uname -m | sed 's/x86_64/amd64/;s/aarch64/arm64/').tar.gz --force-join`,
  ].join("\n");
}

/** The admin kubeconfig as vCluster writes it (connect_docker.go reads it with `cat` until it exists; 5 minutes). */
export function vindKubeconfigScript(): string {
  return `for i in $(seq 1 150); do [ -s ${VIND.kubeconfig} ] && exec cat ${VIND.kubeconfig}; sleep 2; done; echo "vCluster wrote no ${VIND.kubeconfig} within 5 minutes" >&2; exit 1`;
}
