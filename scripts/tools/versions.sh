# Pinned versions of the real-peer test tools (see build.sh). Bump deliberately; each must be served by the
# Go module proxy.
PULUMI_VERSION=v3.276.0
