/**
 * Images of a KWOK cluster, as kwokctl v0.8.0 picks them for its docker runtime (sigs.k8s.io/kwok pkg/config/vars.go:
 * `registry.k8s.io/<component>:<kube version>`, etcd by the Kubernetes minor from
 * pkg/kwokctl/components/etcd_version.go) and as KSail pins the controller (`registry.k8s.io/kwok/kwok:v0.8.0`).
 */
import { KsailError } from "../../errors";

/** The kwok controller release whose flags and stage API this package speaks. */
export const KWOK_VERSION = "v0.8.0";
/** kwokctl v0.8.0's default Kubernetes (pkg/consts `KubeVersion`), also KSail's. */
export const KWOK_DEFAULT_KUBERNETES = "v1.36.1";
/**
 * The Kubernetes minors accepted: kwokctl v0.8.0 passes the same flags to every release from 1.27 on (its version
 * branches stop at 1.13, 1.18, 1.21, 1.22 and 1.27), and these are the minors it lists as supported and whose etcd it
 * pins; older ones would need flags this package does not write.
 */
const ETCD_BY_MINOR: Readonly<Record<number, string>> = {
  30: "3.5.21-0",
  31: "3.5.24-0",
  32: "3.5.24-0",
  33: "3.5.24-0",
  34: "3.6.10-0",
  35: "3.6.10-0",
  36: "3.6.10-0",
};

export interface KwokImages {
  readonly etcd: string;
  readonly kubeApiserver: string;
  readonly kubeControllerManager: string;
  readonly kubeScheduler: string;
  readonly kwokController: string;
}

/** `v1.36.1` (or `1.36.1`) → the five images; throws a KsailError naming the field for a version kwokctl does not pin. */
export function kwokImages(kubernetesVersion: string, path = "spec.cluster.kubernetesVersion"): { version: string; images: KwokImages } {
  const m = /^v?(1)\.(\d+)\.(\d+)$/.exec(kubernetesVersion);
  const minor = m ? Number(m[2]) : NaN;
  const etcd = ETCD_BY_MINOR[minor];
  if (!m || etcd === undefined) {
    const minors = Object.keys(ETCD_BY_MINOR);
    throw new KsailError([
      {
        path,
        message: `is ${JSON.stringify(kubernetesVersion)}; a KWOK cluster runs Kubernetes 1.${minors[0]} to 1.${minors[minors.length - 1]} (kwokctl ${KWOK_VERSION}'s releases), written as v1.<minor>.<patch>, e.g. ${KWOK_DEFAULT_KUBERNETES}`,
      },
    ]);
  }
  const version = `v1.${m[2]}.${m[3]}`;
  const k8s = (c: string) => `registry.k8s.io/${c}:${version}`;
  return {
    version,
    images: {
      etcd: `registry.k8s.io/etcd:${etcd}`,
      kubeApiserver: k8s("kube-apiserver"),
      kubeControllerManager: k8s("kube-controller-manager"),
      kubeScheduler: k8s("kube-scheduler"),
      kwokController: `registry.k8s.io/kwok/kwok:${KWOK_VERSION}`,
    },
  };
}
