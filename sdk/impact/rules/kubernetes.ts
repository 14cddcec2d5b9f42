/**
 * Impact rows of nested clusters on a host cluster (`spec.provider.kubernetes`; K3s through rancher/k3k). KSail's
 * diff engine defines no rules for these fields; these rows follow what really happens: k3k's CRD refuses changes
 * of the cluster and service CIDRs and of the persistence settings (CEL `self == oldSelf` in its
 * k3k.io_clusters CRD), so those recreate the nested cluster; the host connection only updates the host provider
 * (it carries a cluster identifier); the API front's address is a TLS SAN of the k3k servers. KWOK runs as the host's
 * own workloads: only its etcd volume is fixed at creation. Vanilla runs Kind's node containers in a Docker-in-Docker
 * pod whose engine is reached through a front of its own with mutual TLS: the front's address is in the engine's
 * serving certificate, which the engine reads only when it starts.
 */
import { KUBERNETES_HOST_DEFAULTS as KH } from "../../config/defaults";
import { KUBERNETES_ONLY, type ImpactRule } from "../rule";
import { bool, str } from "../values";

const CONNECTION = "only how this program reaches the host cluster; the host provider is updated, nothing on the host changes";
/** vCluster's pods and services are the host's: it takes no pod or service CIDR of its own. */
const ON_HOST = "a vCluster's pods and services run in the host's networks; it has no CIDR of its own";
const VCLUSTER_VOLUME =
  "the control plane's volume comes from the StatefulSet's volumeClaimTemplates, which Kubernetes refuses to change: the nested cluster is deleted and created again";
const KWOK_VOLUME =
  "etcd's volume comes from the control plane StatefulSet's volumeClaimTemplates, which Kubernetes refuses to change: the nested cluster is deleted and created again";
const DIND_VOLUME =
  "the engine's /var/lib/docker (which holds the node containers) comes from the StatefulSet's volumeClaimTemplates, which Kubernetes refuses to change: the nested cluster is deleted and created again";
const KIND_SUBNETS =
  "Kind's pod and service subnets are its own (kind.yaml's networking), inside the pod's engine; the host's are not used";
const IMMUTABLE = "k3k's CRD refuses to change it on an existing Cluster: the nested cluster is deleted and created again";

export const KUBERNETES_RULES: readonly ImpactRule[] = [
  {
    field: "provider.kubernetes.kubeconfig",
    value: str("provider.kubernetes.kubeconfig", KH.kubeconfig),
    cells: KUBERNETES_ONLY("I"),
    reason: CONNECTION,
  },
  {
    field: "provider.kubernetes.kubeconfigEnvVar",
    value: str("provider.kubernetes.kubeconfigEnvVar", KH.kubeconfigEnvVar),
    cells: KUBERNETES_ONLY("I"),
    reason: CONNECTION,
  },
  { field: "provider.kubernetes.context", value: str("provider.kubernetes.context"), cells: KUBERNETES_ONLY("I"), reason: CONNECTION },
  {
    field: "provider.kubernetes.contextEnvVar",
    value: str("provider.kubernetes.contextEnvVar", KH.contextEnvVar),
    cells: KUBERNETES_ONLY("I"),
    reason: CONNECTION,
  },
  {
    field: "provider.kubernetes.gatewayClassName",
    value: str("provider.kubernetes.gatewayClassName"),
    cells: KUBERNETES_ONLY("R", "X", "I", "X"),
    reason: {
      "Vanilla/Kubernetes":
        "the fronts change (LoadBalancer or NodePort Services, or Gateways + TCPRoutes) and with them the address in the Docker engine's serving certificate, which the engine reads only when its pod starts, and a new pod starts with an empty engine: the nested cluster is deleted and created again",
      "KWOK/Kubernetes":
        "the API front changes (a LoadBalancer or NodePort Service, or a Gateway + TCPRoute); clients check the API server's certificate as `kubernetes`, so nothing in the nested cluster changes, only the kubeconfig's address",
      "K3s/Kubernetes":
        "the API front changes (LoadBalancer Service or Gateway + TCPRoute) and with it the address in the Cluster's TLS SANs; k3k re-renders the server config and restarts its server pods",
      "VCluster/Kubernetes":
        "the API front changes (the chart's LoadBalancer Service or a Gateway + TCPRoute, whose address is an extra SAN): the control plane starts again in a new pod, so the nested cluster is created again",
    },
  },
  {
    field: "provider.kubernetes.podCidr",
    value: str("provider.kubernetes.podCidr", KH.podCidr),
    cells: KUBERNETES_ONLY("X", "-"),
    reason: { "K3s/Kubernetes": IMMUTABLE, "VCluster/Kubernetes": ON_HOST, "Vanilla/Kubernetes": KIND_SUBNETS },
  },
  {
    field: "provider.kubernetes.serviceCidr",
    value: str("provider.kubernetes.serviceCidr", KH.serviceCidr),
    cells: KUBERNETES_ONLY("X", "-"),
    reason: { "K3s/Kubernetes": IMMUTABLE, "VCluster/Kubernetes": ON_HOST, "Vanilla/Kubernetes": KIND_SUBNETS },
  },
  {
    field: "provider.kubernetes.persistence.enabled",
    value: bool("provider.kubernetes.persistence.enabled", false),
    cells: KUBERNETES_ONLY("X"),
    reason: {
      "K3s/Kubernetes": IMMUTABLE,
      "VCluster/Kubernetes": VCLUSTER_VOLUME,
      "KWOK/Kubernetes": KWOK_VOLUME,
      "Vanilla/Kubernetes": DIND_VOLUME,
    },
  },
  {
    field: "provider.kubernetes.persistence.storageClassName",
    value: str("provider.kubernetes.persistence.storageClassName"),
    cells: KUBERNETES_ONLY("X"),
    reason: {
      "K3s/Kubernetes": IMMUTABLE,
      "VCluster/Kubernetes": VCLUSTER_VOLUME,
      "KWOK/Kubernetes": KWOK_VOLUME,
      "Vanilla/Kubernetes": DIND_VOLUME,
    },
  },
  {
    field: "provider.kubernetes.persistence.size",
    value: str("provider.kubernetes.persistence.size", KH.persistenceSize),
    cells: KUBERNETES_ONLY("X"),
    reason: {
      "K3s/Kubernetes": IMMUTABLE,
      "VCluster/Kubernetes": VCLUSTER_VOLUME,
      "KWOK/Kubernetes": KWOK_VOLUME,
      "Vanilla/Kubernetes": DIND_VOLUME,
    },
  },
];
