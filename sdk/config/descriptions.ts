/**
 * One sentence per field of the model, in our own words, keyed by document path. Added to the generated
 * JSON Schema (editors show them on hover); a test checks that every leaf of the model has one.
 */
import { DEFAULT_TALOS_ISO, HETZNER_DEFAULTS as H, KUBERNETES_HOST_DEFAULTS as KH, OMNI_DEFAULTS as O } from "./defaults";
export const FIELD_DESCRIPTIONS: Readonly<Record<string, string>> = {
  "metadata.name": "Cluster name (DNS-1123, at most 63 characters). Default: kind / k3d-default / talos-default per distribution.",
  "spec.cluster.distributionConfig":
    "Path of kind.yaml (Vanilla), k3d.yaml (K3s) or the Talos patch directory, relative to this file. Default: kind.yaml / k3d.yaml / talos.",
  "spec.cluster.connection.kubeconfig": "Where KSail writes the kubeconfig. Default: ~/.kube/config.",
  "spec.cluster.connection.context": "Kube context name. Default: kind-<name>, k3d-<name> or admin@<name>.",
  "spec.cluster.connection.timeout": "Timeout for cluster operations, e.g. 10m. Default: unset (per-distribution defaults apply).",
  "spec.cluster.distribution": "Kubernetes distribution: Vanilla (Kind node images), K3s or Talos. Default: Vanilla.",
  "spec.cluster.provider":
    "Where nodes run: Docker, Hetzner (Talos only) or Omni (Talos through Sidero Omni). Default: the distribution's first provider (Docker).",
  "spec.cluster.cni": "CNI: Default (the distribution's own: kindnet, flannel), Cilium or Calico. Default: Default.",
  "spec.cluster.csi":
    "Storage provisioner (local-path-provisioner, or Hetzner CSI). Default resolves to Enabled for K3s and Talos on Hetzner.",
  "spec.cluster.cdi": "Container Device Interface. Default resolves to Enabled for Talos.",
  "spec.cluster.metricsServer": "metrics-server. Default resolves to Enabled for K3s (which ships it).",
  "spec.cluster.loadBalancer":
    "LoadBalancer Services (cloud-provider-kind, MetalLB, K3s servicelb, hcloud CCM). Default resolves to Enabled for K3s and Talos on Hetzner.",
  "spec.cluster.certManager": "Install cert-manager. Default: Disabled.",
  "spec.cluster.imageVerification":
    "Image signature verification. Vanilla: containerd's image-verifier plugin (verifiers in /opt/image-verifier/bin of the node image; Kubernetes 1.35.1 or newer). Talos 1.13+: an ImageVerificationConfig document (rules from a Talos patch). Not on K3s. Default: Disabled.",
  "spec.cluster.policyEngine": "Policy engine: None, Kyverno or Gatekeeper. Default: None.",
  "spec.cluster.localRegistry.registry":
    "OCI registry for GitOps artifacts, [user:pass@]host[:port][/path[:tag]]. Default: none (localhost:5050 with Flux or ArgoCD).",
  "spec.cluster.localRegistry.credentials.tokenEnvVar": "Environment variable holding the registry token (push and pull).",
  "spec.cluster.localRegistry.credentials.cliTokenEnvVar": "Environment variable holding the token used to push from this machine.",
  "spec.cluster.localRegistry.credentials.clusterTokenEnvVar": "Environment variable holding the token the cluster uses to pull.",
  "spec.cluster.gitOpsEngine": "GitOps engine: None, Flux or ArgoCD. Default: None.",
  "spec.cluster.sops.enabled": "Create the SOPS age-key Secret: Default (only when a key is found), Enabled or Disabled.",
  "spec.cluster.sops.ageKeyEnvVar": "Deprecated: environment variable with the age key (use sops.env.var). Default: SOPS_AGE_KEY.",
  "spec.cluster.sops.env.var": "Environment variable holding the age private key.",
  "spec.cluster.sops.extract.file": "File to read the age key from.",
  "spec.cluster.sops.extract.publicKeys": "Age public keys whose private keys are extracted from the key file.",
  "spec.cluster.autoscaler.pod.horizontal": "Horizontal pod autoscaling support. Default: Disabled.",
  "spec.cluster.autoscaler.pod.vertical": "Vertical pod autoscaling support. Default: Disabled.",
  "spec.cluster.autoscaler.node.enabled": "Install the Cluster Autoscaler (Talos on Hetzner). Default: Disabled.",
  "spec.cluster.autoscaler.node.pools":
    "Hetzner node pools the autoscaler may grow and shrink (name, serverType, location, min, max, labels, taints).",
  "spec.cluster.autoscaler.node.maxNodesTotal": "Ceiling for the whole cluster's node count; 0 = no cap.",
  "spec.cluster.autoscaler.node.expander":
    "Expander chain (Price, LeastWaste, LeastNodes, Random), a list or a comma-separated string. Default: LeastWaste.",
  "spec.cluster.autoscaler.node.scaleDownUnneededTime":
    "How long a node must be unneeded before removal, e.g. 10m. Default: upstream default.",
  "spec.cluster.autoscaler.node.scaleDownUtilizationThreshold":
    "Utilization ratio (0.0–1.0, as a string) below which a node may be removed. Default: upstream 0.5.",
  "spec.cluster.autoscaler.node.capacityBuffers": "Enable capacity buffers. Default: false.",
  "spec.cluster.autoscaler.node.ignoreDaemonsetsUtilization": "Ignore DaemonSet pods when computing utilization. Default: false.",
  "spec.cluster.autoscaler.node.skipNodesWithLocalStorage": "Never remove nodes running pods with local storage. Default: true.",
  "spec.cluster.autoscaler.node.skipNodesWithSystemPods": "Never remove nodes running kube-system pods. Default: true.",
  "spec.cluster.importImages": "Path of an image tarball to import into the nodes after creation.",
  "spec.cluster.controlPlanes": "Number of control-plane nodes (at least 1; 3 for high availability). Default: 1.",
  "spec.cluster.workers": "Number of worker nodes (0 schedules workloads on control planes). Default: 0.",
  "spec.cluster.kubernetesVersion": "Pinned Kubernetes version, e.g. v1.34.1. Default: the distribution's default.",
  "spec.cluster.oidc.issuerURL": "API-server OIDC issuer (https://...). OIDC is on when this is set.",
  "spec.cluster.oidc.clientID": "OIDC client ID (required with issuerURL).",
  "spec.cluster.oidc.extraScopes": "Extra scopes requested by the kubeconfig exec plugin.",
  "spec.cluster.oidc.usernameClaim": "Token claim used as the user name. Default: email.",
  "spec.cluster.oidc.usernamePrefix": "Prefix for OIDC user names. Default: oidc:.",
  "spec.cluster.oidc.groupsClaim": "Token claim holding groups. Default: groups.",
  "spec.cluster.oidc.groupsPrefix": "Prefix for OIDC groups. Default: oidc:.",
  "spec.cluster.oidc.caFile": "CA bundle for the issuer, when it is not publicly trusted.",
  "spec.cluster.vanilla.mirrorsDir": "containerd registry hosts directory for Kind nodes. Default: kind/mirrors.",
  "spec.cluster.talos.version": "Pinned Talos version, e.g. v1.12.4 (node image and upgrade cap). Default: the package's Talos version.",
  "spec.cluster.talos.config": "Where KSail writes the talosconfig. Default: ~/.talos/config.",
  "spec.cluster.talos.iso": `Hetzner ISO id used to install Talos when no schematicId is set. Default: ${DEFAULT_TALOS_ISO}.`,
  "spec.cluster.talos.schematicId": "Talos Image Factory schematic ID (64 hex characters) for the Hetzner image.",
  "spec.cluster.talos.extensions": "Official Talos system extensions, e.g. siderolabs/iscsi-tools.",
  "spec.cluster.talos.extraPortMappings":
    "Host ports published on the first control plane (Docker only): containerPort, hostPort (0 = random), protocol TCP/UDP.",
  "spec.cluster.talos.drainTimeout": "Per-node drain budget during rolling updates, e.g. 10m. Default: 10m.",
  "spec.cluster.talos.storageHealthTimeout": "Storage-health gate between node reboots, e.g. 5m. Default: off.",
  "spec.provider.hetzner.controlPlaneServerType": `Hetzner server type of control planes. Default: ${H.controlPlaneServerType}.`,
  "spec.provider.hetzner.workerServerType": `Hetzner server type of workers. Default: ${H.workerServerType}.`,
  "spec.provider.hetzner.location": `Hetzner location, e.g. fsn1, nbg1, hel1. Default: ${H.location}.`,
  "spec.provider.hetzner.networkName": "Private network name. Default: <cluster>-network.",
  "spec.provider.hetzner.networkCidr": `Private network CIDR. Default: ${H.networkCidr}.`,
  "spec.provider.hetzner.sshKeyName": "Name of an existing Hetzner SSH key to attach to servers.",
  "spec.provider.hetzner.tokenEnvVar": `Environment variable holding the Hetzner API token. Default: ${H.tokenEnvVar}.`,
  "spec.provider.hetzner.placementGroupStrategy": "Placement group strategy: None or Spread. Default: Spread.",
  "spec.provider.hetzner.placementGroup": "Placement group name. Default: <cluster>-placement.",
  "spec.provider.hetzner.fallbackLocations": `Locations tried when the primary one has no capacity. Default: ${H.fallbackLocations.join(", ")}.`,
  "spec.provider.hetzner.placementGroupFallbackToNone": "Create servers without a placement group when spreading fails. Default: false.",
  "spec.provider.hetzner.floatingIPEnabled": "Use a floating IP as the API endpoint. Default: false.",
  "spec.provider.hetzner.floatingIPLocation": "Home location of the floating IP. Default: the cluster location.",
  "spec.provider.hetzner.ingressFirewall": "Talos ingress firewall on the nodes. Default: Enabled.",
  "spec.provider.hetzner.serverLimit": `Server quota of the Hetzner project, used to check node counts and autoscaler pools. Default: ${H.serverLimit}.`,
  "spec.provider.hetzner.allowedCidrs": "CIDRs allowed to reach the Kubernetes and Talos APIs. Default: everyone (0.0.0.0/0, ::/0).",
  "spec.provider.hetzner.workerPublicIPv4": "Give workers a public IPv4 address. Default: true.",
  "spec.provider.hetzner.workerPublicIPv6": "Give workers a public IPv6 address. Default: true.",
  "spec.provider.hetzner.controlPlanePublicIPv4": "Give control planes a public IPv4 address. Default: true.",
  "spec.provider.hetzner.controlPlanePublicIPv6": "Give control planes a public IPv6 address. Default: true.",
  "spec.provider.hetzner.autoscalerNodePoolNames": "Autoscaler pool names whose servers are removed when the cluster is deleted.",
  "spec.provider.kubernetes.kubeconfig": `Kubeconfig of the host cluster nested clusters run on (provider Kubernetes), read when the program runs. Default: ${KH.kubeconfig}.`,
  "spec.provider.kubernetes.kubeconfigEnvVar": `Environment variable whose value, when set, is the host kubeconfig path instead. Default: ${KH.kubeconfigEnvVar}.`,
  "spec.provider.kubernetes.context": "Host kubeconfig context. Default: its current context.",
  "spec.provider.kubernetes.contextEnvVar": `Environment variable whose value, when set, is the host context instead. Default: ${KH.contextEnvVar}.`,
  "spec.provider.kubernetes.gatewayClassName":
    "Gateway class exposing the nested API server through a Gateway and a TCPRoute. Default: empty, a LoadBalancer Service.",
  "spec.provider.kubernetes.podCidr": `Pod CIDR of the nested cluster; a change recreates it. Default: ${KH.podCidr}.`,
  "spec.provider.kubernetes.serviceCidr": `Service CIDR of the nested cluster; a change recreates it. Default: ${KH.serviceCidr}.`,
  "spec.provider.kubernetes.persistence.enabled":
    "Keep the nested cluster's data on persistent volumes of the host; a change recreates it. Default: false.",
  "spec.provider.kubernetes.persistence.storageClassName": "Storage class of those volumes. Default: the host's default class.",
  "spec.provider.kubernetes.persistence.size": `Size of each volume; a change recreates the cluster. Default: ${KH.persistenceSize}.`,
  "spec.provider.omni.endpoint": "Omni API URL, https://<account>.omni.siderolabs.io (port 443 unless given).",
  "spec.provider.omni.endpointEnvVar": `Environment variable whose value, when set, overrides endpoint. Default: ${O.endpointEnvVar}.`,
  "spec.provider.omni.serviceAccountKeyEnvVar": `Environment variable holding the Omni service-account key, read at operation time. Default: ${O.serviceAccountKeyEnvVar}.`,
  "spec.provider.omni.talosVersion": "Talos version of the Omni cluster. Default: cluster.talos.version, else the pinned Talos version.",
  "spec.provider.omni.kubernetesVersion":
    "Kubernetes version of the Omni cluster. Default: cluster.kubernetesVersion, else the Talos version's default.",
  "spec.provider.omni.machineClass": "Omni machine class both machine sets allocate from (mutually exclusive with machines).",
  "spec.provider.omni.machines":
    "Omni machine UUIDs: the first controlPlanes are control planes, the next workers are workers (mutually exclusive with machineClass).",
  "spec.workload.sourceDirectory": "Directory of Kubernetes manifests pushed as the GitOps artifact. Default: k8s.",
  "spec.workload.validateOnPush":
    "Validate manifests before pushing, with the checks of `ksail-pulumi workload validate`: invalid manifests fail the program (and the preview), nothing is pushed. Default: false.",
  "spec.workload.tag": "Tag of the pushed GitOps artifact. Default: dev.",
  "spec.workload.validation.skipKinds":
    "Kinds `ksail-pulumi workload validate` does not check (Kind or group/version/Kind). Default: none.",
  "spec.workload.validation.schemaLocations":
    "kubeconform schema locations. Accepted and not used: the Kubernetes schemas ship with the package and nothing is downloaded.",
  "spec.workload.validation.helmRender":
    "KSail renders HelmReleases before validating. Accepted; `workload validate` checks HelmReleases as objects without rendering them. Default: true.",
  "spec.workload.validation.rules": "KSail's custom validation rules. Accepted and not applied. Default: none.",
  "spec.workload.scan.exceptions": "Kubescape exceptions file (posture exceptions) for `ksail-pulumi workload scan`. Default: none.",
  "spec.workload.scan.frameworks":
    "Frameworks `ksail-pulumi workload scan` runs; only nsa (the manifest-checkable NSA hardening controls) is available offline. Default: nsa.",
  "spec.workload.scan.complianceThreshold":
    "Minimum compliance score (0-100) for `ksail-pulumi workload scan` to pass. Default: 0 (any score).",
  "spec.workload.kustomizationFile": "Kustomization the GitOps engine applies (path inside the artifact).",
  "spec.workload.flux.operatorVersion": "flux-operator chart version override.",
  "spec.workload.flux.distributionVersion": "Flux distribution version set on the FluxInstance.",
  "spec.workload.flux.verify.provider": "Artifact signature verification: cosign or notation.",
  "spec.workload.flux.verify.secretRef.name": "Secret holding the verification public keys.",
  "spec.workload.flux.verify.matchOIDCIdentity": "Keyless cosign identities (issuer, subject regexes) accepted for the artifact.",
};
