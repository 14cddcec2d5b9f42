# Pinned versions of the real-peer test tools (see build.sh). Bump deliberately; each must be served by the
# Go module proxy.
PULUMI_VERSION=v3.276.0
# go-api-signature as Omni pins it (siderolabs/omni client/go.mod), plus a revision of test/peers/omnisig.
OMNISIG_VERSION=v0.3.13-r1
# kube-apiserver (k8s.io/kubernetes; staging modules at v0.36.3) with the etcd server version it requires.
KUBE_APISERVER_VERSION=v1.36.3
