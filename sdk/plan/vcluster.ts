/**
 * A vCluster nested in a host cluster through its Helm chart (pure): the release, its namespace, the values this
 * package sets over the project's own `vcluster.yaml` (vCluster's Helm values, KSail's distribution config), the
 * Secret vCluster writes the admin kubeconfig to, and how the nested API server is exposed. Names and values follow
 * loft-sh/vcluster v0.36.1: chart/values.yaml and chart/templates/service.yaml (the Service `<release>`, port 443 to
 * the control plane's 8443; its pods carry `app: vcluster, release: <release>`), pkg/util/kubeconfig/kubeconfig.go
 * (Secret `vc-<release>`, key `config`) and pkg/server/cert/cert.go (the certificate's SANs include
 * `controlPlane.proxy.extraSANs`, where the API front's address goes).
 */
import * as crypto from "node:crypto";
import { isObject } from "../config/expand";
import { KsailError, type Issue } from "../errors";
import { gatewayExposure, type GatewayExposure, type HostExposure } from "./k3k";

/** The vcluster chart (charts.loft.sh) KSail installs into `vcluster-<name>`. */
export const VCLUSTER_CHART = { chart: "vcluster", repo: "https://charts.loft.sh", version: "0.36.1" } as const;
/** The chart's own Kubernetes version (values.yaml `controlPlane.distro.k8s.image.tag`). */
export const VCLUSTER_DEFAULT_KUBERNETES = "v1.36.0";

export type VClusterExposure =
  /**
   * A LoadBalancer Service of this package's in front of the control plane pods (the chart's Service stays
   * ClusterIP); its address is created first and goes in as an extra SAN, as with a Gateway.
   */
  | {
      readonly kind: "LoadBalancer";
      readonly service: string;
      readonly port: 443;
      readonly targetPort: 8443;
      readonly selector: Readonly<Record<string, string>>;
    }
  /** A NodePort Service over the control plane pods, reached at a host address (the host API server's by default). */
  | {
      readonly kind: "NodePort";
      readonly service: string;
      /** The Service port, as the LoadBalancer's (a switch between the two then merges cleanly); clients use the node port. */
      readonly port: 443;
      readonly targetPort: 8443;
      readonly selector: Readonly<Record<string, string>>;
    }
  /** To the chart's Service (443 → the control plane's 8443). */
  | GatewayExposure;

export interface VClusterPlanInput {
  readonly clusterName: string;
  /** Control-plane replicas: 1 (embedded SQLite), or an odd number of 3 or more (embedded etcd). */
  readonly controlPlanes: number;
  /** `v1.36.3`; empty = the chart's own. */
  readonly kubernetesVersion?: string;
  readonly persistence: { readonly enabled: boolean; readonly storageClassName: string; readonly size: string };
  readonly gatewayClassName: string;
  /** The project's `vcluster.yaml` (vCluster's Helm values); this package's values are set over it. */
  readonly userValues?: unknown;
  /** Without a gateway class: a LoadBalancer Service, or a NodePort Service for hosts without a load balancer. @default "LoadBalancer" */
  readonly hostExposure?: HostExposure;
  /** Where the project's values come from, for messages. @default "vcluster.yaml" */
  readonly valuesSource?: string;
}

export interface VClusterPlan {
  readonly chart: typeof VCLUSTER_CHART;
  /** `vcluster-<name>`: the release, its Service and the kubeconfig Secret live here. */
  readonly namespace: string;
  /** Release name = vCluster name = the cluster name. */
  readonly release: string;
  /** The Helm values: the project's vcluster.yaml with this package's settings set over it. */
  readonly values: Record<string, unknown>;
  /** The keys of `values` this package sets (shown by render). */
  readonly ownValues: Record<string, unknown>;
  readonly kubeconfigSecret: { readonly name: string; readonly key: "config" };
  readonly exposure: VClusterExposure;
  readonly kubernetesVersion: string;
  /**
   * What the chart runs the control plane as: a StatefulSet (pods `<release>-<i>`) with a volume or embedded etcd,
   * else a one-pod Deployment (loft-sh/vcluster chart/templates/_persistence.tpl, `vcluster.kind`).
   */
  readonly controlPlaneWorkload: "StatefulSet" | "Deployment";
  /** Hash of the project's vcluster.yaml ("" when there is none): part of what recreates the nested cluster. */
  readonly valuesSalt: string;
}

/** The spec field that decides each value this package sets. */
const SPEC_FIELD_OF: readonly [RegExp, string][] = [
  [/^controlPlane\.distro\./, "spec.cluster.kubernetesVersion"],
  [/^controlPlane\.(backingStore|statefulSet\.highAvailability)\./, "spec.cluster.controlPlanes"],
  [/^controlPlane\.statefulSet\.persistence\./, "spec.provider.kubernetes.persistence"],
];

function valueAt(v: unknown, keys: readonly string[]): unknown {
  let at = v;
  for (const k of keys) at = isObject(at) ? at[k] : undefined;
  return at;
}

/**
 * The values of the project's file that this package's own settings would silently replace: each is refused by the
 * spec field that decides it (the file may repeat the same value).
 */
function valueConflicts(user: unknown, own: Record<string, unknown>, source: string, at: string[] = []): Issue[] {
  const issues: Issue[] = [];
  for (const [k, v] of Object.entries(own)) {
    const keys = [...at, k];
    if (isObject(v)) {
      issues.push(...valueConflicts(user, v, source, keys));
      continue;
    }
    const theirs = valueAt(user, keys);
    if (theirs === undefined || JSON.stringify(theirs) === JSON.stringify(v)) continue;
    const key = keys.join(".");
    const field = SPEC_FIELD_OF.find(([re]) => re.test(key))?.[1] ?? "spec.cluster";
    issues.push({
      path: field,
      message: `gives ${key} = ${JSON.stringify(v)}, but ${source} sets ${JSON.stringify(theirs)}; set it through ${field} and remove it from the file (or give both the same value)`,
    });
  }
  return issues;
}

/** Deep merge of plain objects (vCluster values): `over` wins; lists are replaced. */
export function mergeValues(base: unknown, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = isObject(base) ? { ...base } : {};
  for (const [k, v] of Object.entries(over)) out[k] = isObject(v) && isObject(out[k]) ? mergeValues(out[k], v) : v;
  return out;
}

/** The Kubernetes image tag a vcluster.yaml sets (`controlPlane.distro.k8s.image.tag`), if any. */
export function userKubernetesTag(values: unknown): string | undefined {
  let v: unknown = values;
  for (const k of ["controlPlane", "distro", "k8s", "image", "tag"]) v = isObject(v) ? v[k] : undefined;
  return typeof v === "string" && v !== "" ? v : undefined;
}

export function planVCluster(i: VClusterPlanInput): VClusterPlan {
  const name = i.clusterName;
  const namespace = `vcluster-${name}`;
  const exposure: VClusterExposure =
    i.gatewayClassName !== ""
      ? gatewayExposure(name, i.gatewayClassName, name)
      : i.hostExposure === "NodePort"
        ? { kind: "NodePort", service: `ksail-${name}-api`, port: 443, targetPort: 8443, selector: { app: "vcluster", release: name } }
        : { kind: "LoadBalancer", service: `ksail-${name}-api`, port: 443, targetPort: 8443, selector: { app: "vcluster", release: name } };
  const ha = i.controlPlanes > 1;
  const ownValues: Record<string, unknown> = {
    controlPlane: {
      ...(i.kubernetesVersion ? { distro: { k8s: { image: { tag: i.kubernetesVersion } } } } : {}),
      ...(ha ? { backingStore: { etcd: { embedded: { enabled: true } } } } : {}),
      statefulSet: {
        ...(ha ? { highAvailability: { replicas: i.controlPlanes } } : {}),
        persistence: {
          volumeClaim: i.persistence.enabled
            ? {
                enabled: true,
                size: i.persistence.size,
                ...(i.persistence.storageClassName !== "" ? { storageClass: i.persistence.storageClassName } : {}),
              }
            : { enabled: false },
        },
      },
    },
  };
  const hasUser = isObject(i.userValues) && Object.keys(i.userValues).length > 0;
  const issues = hasUser ? valueConflicts(i.userValues, ownValues, i.valuesSource ?? "vcluster.yaml") : [];
  const replicas = hasUser ? valueAt(i.userValues, ["controlPlane", "statefulSet", "highAvailability", "replicas"]) : undefined;
  if (replicas !== undefined && replicas !== i.controlPlanes && !ha)
    issues.push({
      path: "spec.cluster.controlPlanes",
      message: `is ${i.controlPlanes}, but ${i.valuesSource ?? "vcluster.yaml"} sets controlPlane.statefulSet.highAvailability.replicas: ${JSON.stringify(replicas)}; set the count in spec.cluster.controlPlanes (KSailCluster sets the replicas and the etcd backing store from it) and remove it from the file`,
    });
  if (issues.length > 0) throw new KsailError(issues, `${i.valuesSource ?? "vcluster.yaml"} contradicts the spec:`);
  return {
    chart: VCLUSTER_CHART,
    namespace,
    release: name,
    values: mergeValues(hasUser ? i.userValues : {}, ownValues),
    ownValues,
    kubeconfigSecret: { name: `vc-${name}`, key: "config" },
    exposure,
    kubernetesVersion: i.kubernetesVersion || userKubernetesTag(i.userValues) || VCLUSTER_DEFAULT_KUBERNETES,
    controlPlaneWorkload: i.persistence.enabled || ha ? "StatefulSet" : "Deployment",
    valuesSalt: hasUser ? crypto.createHash("sha256").update(JSON.stringify(i.userValues)).digest("hex").slice(0, 16) : "",
  };
}
