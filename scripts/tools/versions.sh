# Pinned versions of the real-peer test tools (see build.sh). Bump deliberately; each must be served by the
# Go module proxy.
PULUMI_VERSION=v3.276.0
# go-api-signature as Omni pins it (siderolabs/omni client/go.mod), plus a revision of test/peers/omnisig.
OMNISIG_VERSION=v0.3.13-r1
