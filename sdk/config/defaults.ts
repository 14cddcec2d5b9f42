/**
 * Default values of the ksail.yaml model that other modules also need: the zod model applies them when a field
 * is absent, `effective()` when it is empty, and the planners, the impact table and the field descriptions read
 * them from here instead of repeating them.
 */

/** `spec.provider.hetzner` defaults (KSail's). */
export const HETZNER_DEFAULTS = {
  location: "fsn1",
  controlPlaneServerType: "cx23",
  workerServerType: "cx23",
  networkCidr: "10.0.0.0/16",
  /** Tried in order when the location has no capacity (KSail; not used by Pulumi, see the Hetzner plan). */
  fallbackLocations: ["nbg1", "hel1"],
  tokenEnvVar: "HCLOUD_TOKEN",
  /** The project's server quota when none is given. */
  serverLimit: 10,
} as const;

/** `spec.provider.omni` defaults (KSail's). */
export const OMNI_DEFAULTS = {
  endpointEnvVar: "OMNI_ENDPOINT",
  serviceAccountKeyEnvVar: "OMNI_SERVICE_ACCOUNT_KEY",
} as const;

/** `spec.provider.kubernetes` defaults (KSail's): the host cluster nested clusters run on. */
export const KUBERNETES_HOST_DEFAULTS = {
  kubeconfig: "~/.kube/config",
  kubeconfigEnvVar: "KSAIL_HOST_KUBECONFIG",
  contextEnvVar: "KSAIL_HOST_CONTEXT",
  podCidr: "10.64.0.0/16",
  serviceCidr: "10.128.0.0/16",
  persistenceSize: "20Gi",
} as const;

/** `spec.cluster.talos.iso`: the public Talos ISO on Hetzner Cloud (x86) the ISO route installs from. */
export const DEFAULT_TALOS_ISO = 125127;
