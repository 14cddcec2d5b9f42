# Pinned versions of the real-peer test tools (see build.sh). Bump deliberately; each must be served by the
# Go module proxy.
PULUMI_VERSION=v3.276.0
# go-api-signature as Omni pins it (siderolabs/omni client/go.mod), plus a revision of test/peers/omnisig.
OMNISIG_VERSION=v0.3.13-r1
# kube-apiserver (k8s.io/kubernetes; staging modules at v0.36.3) with the etcd server version it requires.
KUBE_APISERVER_VERSION=v1.36.3
# kwok's controller (sigs.k8s.io/kwok), built with kube-controller-manager and kube-scheduler of the release above into
# the kwok-peers tool: the version whose flags and stage API sdk/distributions/kwok follows (KSail pins it too).
KWOK_VERSION=v0.8.0
# Pulumi's pkg/codegen (same version as the CLI) around test/peers/schemacheck; -rN is the revision of that program.
SCHEMACHECK_VERSION=v3.276.0-r3
# The kubernetes provider module whose schema.json resolves schema.json's kubernetes references (the only one the
# module proxy serves here, a pseudo-version of January 2026; the npm package is 4.34.2).
K8S_PROVIDER_MODULE_VERSION=v4.0.0-20260115033456-f47bc2d6f199
# The kubernetes Go SDK release that stands in for the provider module's local `../sdk` replace (k8s-provider tool):
# the version its go.mod requires, so pkg and sdk stay at the same Pulumi version (v3.215.0).
K8S_SDK_MODULE_VERSION=v4.24.0
# Talos's machine-config loader and validator (siderolabs/talos pkg/machinery) around test/peers/talosvalidate, one
# build per supported Talos minor: the newest patch of each that the module proxy serves.
TALOSVALIDATE_VERSIONS="v1.11.6 v1.12.7 v1.13.9 v1.14.1"
# rancher/k3k's CRDs (charts/k3k/templates/crds in the Go module), installed into the real kube-apiserver so it
# validates KSailCluster's k3k Cluster objects with k3k's own schema and CEL rules. The version KSail's go.mod names.
K3K_VERSION=v1.1.0
# getsops/sops, the peer of the `cipher` interoperability tests.
SOPS_VERSION=v3.13.3
# flux-operator's FluxInstance CRD, read from its Go module zip (the proxy serves v0.59.0; `go mod download`
# refuses it because its go.mod asks for a newer Go, so the recipe fetches the zip from GOPROXY directly).
FLUX_OPERATOR_CRDS_VERSION=v0.59.0
# loft-sh/vcluster's Helm chart (chart/ in the Go module of the same tag as the chart KSail pins, charts.loft.sh
# 0.36.1): the real-engine test installs it through the real Kubernetes plugin into the real kube-apiserver.
VCLUSTER_CHART_VERSION=v0.36.1
# Cilium's CiliumClusterwideNetworkPolicy / CiliumNetworkPolicy CRDs (pkg/k8s/apis/cilium.io/client/crds/v2 in its Go
# module, the version of the pinned chart): the real kube-apiserver checks the metadata-guard policy against them.
CILIUM_CRDS_VERSION=v1.20.0
# Debian bookworm's docker.io (dockerd, with its containerd and runc packages): the real Docker Engine of the
# Docker-in-Docker TLS test (test/peers/dind-engine-real.test.ts). Not built from Go: unpacked from the packages.
DOCKER_ENGINE_VERSION=20.10.24
