/**
 * Talos versions this library renders machine configs for, their compatibility facts, and the per-minor "version
 * contract" switches (what Talos's `config/contract.go` switches on per minor). Pinned defaults are data here and
 * nowhere else, so a bump is one reviewed diff.
 *
 * The newest patch of each minor is the newest stable tag we could verify: the git tags of siderolabs/talos for
 * 1.11–1.13 (whose machine-config JSON Schemas the tests validate against, test/fixtures/talos/schemas), and for
 * 1.14 the `pkg/machinery` module v1.14.1 the Go module proxy serves (2026-09-15). The Kubernetes ranges and the
 * oldest version each minor upgrades from are `pkg/machinery/compatibility/talos1NN` of that module.
 */
import { KsailError } from "../../errors";

export type TalosMinor = "1.11" | "1.12" | "1.13" | "1.14";

export interface TalosMinorInfo {
  /** Newest stable patch release of this minor we know of (image tag without the `v`). */
  readonly latestPatch: string;
  /** Kubernetes version this library defaults to for this minor (the minor's newest supported Kubernetes minor). */
  readonly defaultKubernetesVersion: string;
  /** Oldest Kubernetes minor this Talos minor runs (`MinimumKubernetesVersion`). */
  readonly minKubernetes: string;
  /** Newest Kubernetes minor this Talos minor runs (`MaximumKubernetesVersion`, x.y.99). */
  readonly maxKubernetes: string;
  /** Oldest Talos version a node may run to be upgraded to this minor (`MinimumHostUpgradeVersion`). */
  readonly minUpgradeFrom: string;
}

/** One row per supported minor, oldest first. */
export const TALOS_MINORS: Readonly<Record<TalosMinor, TalosMinorInfo>> = {
  "1.11": {
    latestPatch: "1.11.6",
    defaultKubernetesVersion: "1.34.0",
    minKubernetes: "1.29",
    maxKubernetes: "1.34",
    minUpgradeFrom: "1.9.0",
  },
  "1.12": {
    latestPatch: "1.12.11",
    defaultKubernetesVersion: "1.35.0",
    minKubernetes: "1.30",
    maxKubernetes: "1.35",
    minUpgradeFrom: "1.10.0",
  },
  "1.13": {
    latestPatch: "1.13.9",
    defaultKubernetesVersion: "1.36.0",
    minKubernetes: "1.31",
    maxKubernetes: "1.36",
    minUpgradeFrom: "1.11.0",
  },
  "1.14": {
    latestPatch: "1.14.1",
    defaultKubernetesVersion: "1.37.0",
    minKubernetes: "1.32",
    maxKubernetes: "1.37",
    minUpgradeFrom: "1.12.0",
  },
};

export const SUPPORTED_TALOS_MINORS: readonly TalosMinor[] = Object.keys(TALOS_MINORS) as TalosMinor[];

/** Default Talos version when `spec.cluster.talos.version` is not set: the newest stable release we could verify. */
export const DEFAULT_TALOS_VERSION = "1.14.1";

/**
 * The newest config contract this library renders. A Talos 1.14 node runs a config in the 1.13 contract (Talos
 * accepts configs generated for older contracts); the 1.14 contract moves the Kubernetes settings into separate
 * documents that user patches written for `cluster.*` would conflict with.
 */
export const NEWEST_RENDERED_CONTRACT: TalosMinor = "1.13";

export const TALOS_IMAGE_REPOSITORY = "ghcr.io/siderolabs/talos";
/** The Image Factory; its default (empty) schematic is what the vanilla installer carries. */
export const IMAGE_FACTORY = "factory.talos.dev";
export const DEFAULT_SCHEMATIC_ID = "376567988ad370138ad8b2698212367b8edcb69b5fd68c80be1f2ec7d603b4ba";
export const KUBELET_IMAGE_REPOSITORY = "ghcr.io/siderolabs/kubelet";
export const KUBERNETES_IMAGE_REGISTRY = "registry.k8s.io";
/**
 * The approver KSail installs as an inline manifest when metrics-server is on, pinned to its newest release (the tag
 * its release manifest deploy/standalone-install.yaml names: alex1989hu/kubelet-serving-cert-approver v0.11.0) rather
 * than the moving `:main` KSail uses, so every node runs the same reviewed image.
 */
export const KUBELET_SERVING_CERT_APPROVER_IMAGE = "ghcr.io/alex1989hu/kubelet-serving-cert-approver:0.11.0";

export interface TalosVersion {
  /** Normalized, without `v`: `1.13.9` (or `1.13.0-beta.1`). */
  readonly version: string;
  readonly major: number;
  readonly minor: number;
  readonly patch: number;
  readonly prerelease?: string;
  /** This version's minor (the row of TALOS_MINORS). */
  readonly minorKey: TalosMinor;
  /** The config contract a new cluster of this version renders with (capped at NEWEST_RENDERED_CONTRACT). */
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
    const hint = major === 1 && minor > 14 ? " Newer Talos minors are not supported yet." : "";
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
  return { version, major, minor, patch, prerelease, minorKey: key, contract: capContract(key), tag: `v${version}` };
}

/** The contract a version renders with: its own minor, at most NEWEST_RENDERED_CONTRACT. */
export function capContract(minor: TalosMinor): TalosMinor {
  return SUPPORTED_TALOS_MINORS.indexOf(minor) > SUPPORTED_TALOS_MINORS.indexOf(NEWEST_RENDERED_CONTRACT)
    ? NEWEST_RENDERED_CONTRACT
    : minor;
}

/** `1.12.4` → [1, 12, 4] (a pre-release counts as its release). */
function triple(v: string): [number, number, number] {
  const m = /^v?(\d+)\.(\d+)(?:\.(\d+))?/.exec(v.trim());
  return m ? [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)] : [0, 0, 0];
}

const cmp = (a: [number, number, number], b: [number, number, number]) => a[0] - b[0] || a[1] - b[1] || a[2] - b[2];

/** Orders two Talos versions (`1.12.4`, `v1.11`): negative when `a` is older, 0 when equal, positive when newer. */
export function compareTalosVersions(a: string, b: string): number {
  return cmp(triple(a), triple(b));
}

/** Whether two Talos versions share their major.minor. */
export function sameTalosMinor(a: string, b: string): boolean {
  const [x, y] = [triple(a), triple(b)];
  return x[0] === y[0] && x[1] === y[1];
}

/**
 * Whether a node running `from` may be upgraded to `to` (siderolabs/talos pkg/machinery/compatibility
 * `UpgradeableFrom`: the running version must be at least the target minor's MinimumHostUpgradeVersion). A
 * downgrade across minors is refused too (this library never plans one). Returns the reason when not.
 */
export function upgradeRefusal(from: string, to: TalosVersion): string | undefined {
  const info = TALOS_MINORS[to.minorKey];
  const f = triple(from);
  if (cmp(f, triple(info.minUpgradeFrom)) < 0) {
    return `Talos ${to.version} can only be installed over ${info.minUpgradeFrom} or newer, and the node runs ${from.replace(/^v/, "")}: upgrade it to ${to.major}.${to.minor - 2}.x and then ${to.major}.${to.minor - 1}.x first (one minor at a time)`;
  }
  if (f[0] === to.major && f[1] > to.minor) {
    return `the node runs ${from.replace(/^v/, "")}, newer than ${to.version}; downgrading Talos across minors is not supported here`;
  }
  return undefined;
}

/** Container image of a Talos node (Docker provider): `ghcr.io/siderolabs/talos:v1.13.9`. */
export function talosImage(v: TalosVersion): string {
  return `${TALOS_IMAGE_REPOSITORY}:${v.tag}`;
}

/** Where an installer image runs: `metal` (installed from the ISO or PXE) or a cloud platform such as `hcloud`. */
export type InstallerPlatform = "metal" | "hcloud";

/**
 * Installer image of a Talos version for a platform (`machine.install.image`, and what upgrades install): the Image
 * Factory's platform installer `factory.talos.dev/<platform>-installer/<schematic>:<tag>` (siderolabs/talos
 * pkg/images `NewInstallerImage`), with the vanilla schematic unless `spec.cluster.talos.schematicId` carries
 * extensions. The platform matters: the installer bakes the platform into the kernel command line, so a Hetzner
 * snapshot node upgraded with the metal installer would boot as metal. `ghcr.io/siderolabs/installer` is no longer
 * published from Talos 1.14 on.
 */
export function talosInstallerImage(v: TalosVersion, schematicId?: string, platform: InstallerPlatform = "metal"): string {
  const id = (schematicId ?? "").trim();
  if (id !== "" && !/^[0-9a-f]{64}$/.test(id)) {
    throw new KsailError([
      {
        path: "spec.cluster.talos.schematicId",
        message: `"${id}" is not an Image Factory schematic ID (64 lower-case hex characters, the sha256 the factory returns)`,
      },
    ]);
  }
  return `${IMAGE_FACTORY}/${platform}-installer/${id || DEFAULT_SCHEMATIC_ID}:${v.tag}`;
}

/** Kubernetes version for a Talos version: the given one (validated against the minor's range), else the minor's default. */
export function resolveKubernetesVersion(v: TalosVersion, kubernetesVersion?: string, field = "spec.cluster.kubernetesVersion"): string {
  const info = TALOS_MINORS[v.minorKey];
  const def = info.defaultKubernetesVersion;
  const raw = (kubernetesVersion ?? "").trim();
  if (raw === "") return def;
  const m = /^v?(\d+)\.(\d+)\.(\d+)$/.exec(raw);
  if (!m) {
    throw new KsailError([{ path: field, message: `"${raw}" is not a Kubernetes version; expected MAJOR.MINOR.PATCH such as "${def}".` }]);
  }
  const refusal = kubernetesRefusal(v, raw);
  if (refusal) throw new KsailError([{ path: field, message: refusal }]);
  return `${m[1]}.${m[2]}.${m[3]}`;
}

/** Why Talos `v` cannot run Kubernetes `k8s` (outside the minor's MinimumKubernetesVersion..MaximumKubernetesVersion), if it cannot. */
export function kubernetesRefusal(v: TalosVersion, k8s: string): string | undefined {
  const info = TALOS_MINORS[v.minorKey];
  const k = triple(k8s);
  const lo = triple(info.minKubernetes);
  const hi = triple(info.maxKubernetes);
  if (k[0] !== lo[0] || k[1] < lo[1] || k[1] > hi[1]) {
    const which = k[1] > hi[1] || k[0] > hi[0] ? "newer" : "older";
    return `Kubernetes ${k8s.replace(/^v/, "")} is ${which} than Talos ${v.version} supports (${info.minKubernetes}.x to ${info.maxKubernetes}.x). Use a version in that range, or pin a Talos version that runs it.`;
  }
  return undefined;
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
  const modern = capContract(minor) !== "1.11";
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
