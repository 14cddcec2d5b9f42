/**
 * Talos versions this library renders machine configs for, and the per-minor "version contract" switches
 * (what Talos's `config/contract.go` switches on per minor). Pinned defaults are data here and nowhere else,
 * so a bump is one reviewed diff.
 *
 * The newest patch of each minor is the newest stable tag whose machine-config JSON Schema the tests
 * validate rendered configs against (test/fixtures/talos/schemas: v1.11.6, v1.12.11, v1.13.9). Talos 1.14 is
 * not supported yet: it splits the cluster config into new documents (K8sNetworkConfig,
 * KubeFlannelCNIConfig, ...) and drops server-side reboot detection, and it had no stable tag when these
 * pins were chosen.
 */
import { KsailError } from "../../errors";

export type TalosMinor = "1.11" | "1.12" | "1.13";

export interface TalosMinorInfo {
  /** Newest stable patch release of this minor we know of (image tag without the `v`). */
  readonly latestPatch: string;
  /** Kubernetes version `talosctl gen config` defaults to for this minor; also the newest it supports. */
  readonly defaultKubernetesVersion: string;
}

/** One row per supported minor, oldest first. */
export const TALOS_MINORS: Readonly<Record<TalosMinor, TalosMinorInfo>> = {
  "1.11": { latestPatch: "1.11.6", defaultKubernetesVersion: "1.34.0" },
  "1.12": { latestPatch: "1.12.11", defaultKubernetesVersion: "1.35.0" },
  "1.13": { latestPatch: "1.13.9", defaultKubernetesVersion: "1.36.0" },
};

export const SUPPORTED_TALOS_MINORS: readonly TalosMinor[] = Object.keys(TALOS_MINORS) as TalosMinor[];

/** Default Talos version when `spec.cluster.talos.version` is not set: the newest stable 1.13 patch. */
export const DEFAULT_TALOS_VERSION = "1.13.9";

export const TALOS_IMAGE_REPOSITORY = "ghcr.io/siderolabs/talos";
export const TALOS_INSTALLER_REPOSITORY = "ghcr.io/siderolabs/installer";
export const KUBELET_IMAGE_REPOSITORY = "ghcr.io/siderolabs/kubelet";
export const KUBERNETES_IMAGE_REGISTRY = "registry.k8s.io";
/**
 * The approver KSail installs as an inline manifest when metrics-server is on. Upstream publishes it only as `:main`; KSail pins the same tag with `imagePullPolicy: Always`.
 */
export const KUBELET_SERVING_CERT_APPROVER_IMAGE = "ghcr.io/alex1989hu/kubelet-serving-cert-approver:main";

export interface TalosVersion {
  /** Normalized, without `v`: `1.13.9` (or `1.13.0-beta.1`). */
  readonly version: string;
  readonly major: number;
  readonly minor: number;
  readonly patch: number;
  readonly prerelease?: string;
  /** The contract row this version renders with. */
  readonly contract: TalosMinor;
  /** `v1.13.9`: the image and installer tag. */
  readonly tag: string;
}

const VERSION_RE = /^v?(\d+)\.(\d+)(?:\.(\d+)(?:-([0-9A-Za-z.-]+))?)?$/;

/**
 * Parse `spec.cluster.talos.version`. Accepts `1.13.9`, `v1.13.9`, a pre-release such as `1.13.0-rc.1`, or
 * a bare minor (`1.12` → that minor's newest known patch). Empty/undefined → {@link DEFAULT_TALOS_VERSION}.
 * Anything outside 1.11–1.13 is a {@link KsailError} naming the field, the value and the supported list.
 */
export function parseTalosVersion(v?: string, field = "spec.cluster.talos.version"): TalosVersion {
  const raw = (v ?? "").trim();
  const input = raw === "" ? DEFAULT_TALOS_VERSION : raw;
  const m = VERSION_RE.exec(input);
  const supported = SUPPORTED_TALOS_MINORS.map((x) => `${x}.x`).join(", ");
  if (!m) {
    throw new KsailError([
      {
        path: field,
        message: `"${raw}" is not a Talos version; expected MAJOR.MINOR.PATCH with an optional "v" prefix (supported: ${supported}; default ${DEFAULT_TALOS_VERSION}). Set it to e.g. "${DEFAULT_TALOS_VERSION}" or remove it to use the default.`,
      },
    ]);
  }
  const major = Number(m[1]);
  const minor = Number(m[2]);
  const key = `${major}.${minor}` as TalosMinor;
  if (!(key in TALOS_MINORS)) {
    const hint =
      major === 1 && minor > 13
        ? " Talos 1.14+ changes the config contract (cluster settings move to separate documents) and is not supported yet."
        : "";
    throw new KsailError([
      {
        path: field,
        message: `Talos "${raw}" is not supported; supported versions: ${supported} (default ${DEFAULT_TALOS_VERSION}).${hint} Pin a supported version.`,
      },
    ]);
  }
  const patch = m[3] === undefined ? Number(TALOS_MINORS[key].latestPatch.split(".")[2]) : Number(m[3]);
  const prerelease = m[4];
  const version = `${major}.${minor}.${patch}${prerelease ? `-${prerelease}` : ""}`;
  return { version, major, minor, patch, prerelease, contract: key, tag: `v${version}` };
}

/** Container image of a Talos node (Docker provider): `ghcr.io/siderolabs/talos:v1.13.9`. */
export function talosImage(v: TalosVersion): string {
  return `${TALOS_IMAGE_REPOSITORY}:${v.tag}`;
}

export const IMAGE_FACTORY_INSTALLER_REPOSITORY = "factory.talos.dev/installer";

/**
 * Installer image for metal installs (`machine.install.image`): the vanilla installer, or the Image
 * Factory installer of a schematic (`spec.cluster.talos.schematicId`, which carries the extensions).
 */
export function talosInstallerImage(v: TalosVersion, schematicId?: string): string {
  const id = (schematicId ?? "").trim();
  if (id === "") return `${TALOS_INSTALLER_REPOSITORY}:${v.tag}`;
  if (!/^[0-9a-f]{64}$/.test(id)) {
    throw new KsailError([
      {
        path: "spec.cluster.talos.schematicId",
        message: `"${id}" is not an Image Factory schematic ID (64 lower-case hex characters, the sha256 the factory returns)`,
      },
    ]);
  }
  return `${IMAGE_FACTORY_INSTALLER_REPOSITORY}/${id}:${v.tag}`;
}

/** Kubernetes version for a Talos version: the given one (validated), else the minor's default. */
export function resolveKubernetesVersion(v: TalosVersion, kubernetesVersion?: string, field = "spec.cluster.kubernetesVersion"): string {
  const def = TALOS_MINORS[v.contract].defaultKubernetesVersion;
  const raw = (kubernetesVersion ?? "").trim();
  if (raw === "") return def;
  const m = /^v?(\d+)\.(\d+)\.(\d+)$/.exec(raw);
  if (!m) {
    throw new KsailError([{ path: field, message: `"${raw}" is not a Kubernetes version; expected MAJOR.MINOR.PATCH such as "${def}".` }]);
  }
  const [, maj, min] = m;
  const [dMaj, dMin] = def.split(".").map(Number);
  if (Number(maj) !== dMaj || Number(min) > dMin) {
    throw new KsailError([
      {
        path: field,
        message: `Kubernetes ${raw} is newer than Talos ${v.version} supports (newest ${dMaj}.${dMin}.x). Use ${def} or older, or pin a newer Talos version.`,
      },
    ]);
  }
  return `${maj}.${min}.${m[3]}`;
}

/** What differs between contracts (siderolabs/talos `pkg/machinery/config/contract.go`, `generate/registry.go`). */
export interface TalosContract {
  /** `> 1.11`: hostname via a `HostnameConfig` document (`auto: stable` by default), not `machine.network.hostname`. */
  readonly hostnameDocument: boolean;
  /** `> 1.11`: registry mirrors/auth as `RegistryMirrorConfig`/`RegistryAuthConfig` documents, not `machine.registries`. */
  readonly registryDocuments: boolean;
  /** `> 1.11`: network (links, DHCP, VIP) as documents (`LinkAliasConfig`, `DHCPv4Config`, `HCloudVIPConfig`). */
  readonly networkDocuments: boolean;
  /** `> 1.11`: `machine.features.{rbac, stableHostname, apidCheckExtKeyUsage}` are hidden (always on). */
  readonly hideRbacAndKeyUsage: boolean;
  /** `> 1.11`: `cluster.apiServer.disablePodSecurityPolicy` is hidden. */
  readonly hideDisablePSP: boolean;
  /** `> 1.11`: `machine.install.grubUseUKICmdline: true` by default. */
  readonly grubUseUKICmdline: boolean;
  /** `≤ 1.11`: Docker nodes carry `machine.network.interfaces: [{interface: eth0, ignore: true}]`. */
  readonly containerIgnoresEth0: boolean;
}

export function contractFor(minor: TalosMinor): TalosContract {
  const modern = minor !== "1.11";
  return {
    hostnameDocument: modern,
    registryDocuments: modern,
    networkDocuments: modern,
    hideRbacAndKeyUsage: modern,
    hideDisablePSP: modern,
    grubUseUKICmdline: modern,
    containerIgnoresEth0: !modern,
  };
}
