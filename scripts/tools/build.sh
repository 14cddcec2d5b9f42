#!/usr/bin/env bash
# Builds the real-peer test tools from Go modules into a per-machine cache (outside the repository),
# only what is missing. Tools are test peers, never run-time dependencies of the library.
#
#   scripts/tools/build.sh [tool ...]      # default: every tool
#
# Cache: ${KSAIL_TOOLS_CACHE:-~/.cache/ksail-pulumi/tools}/<name>-<version>/ ; a tool counts as built when
# its directory holds a `.built` stamp (written last). Prints each tool's version and build time.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cache="${KSAIL_TOOLS_CACHE:-$HOME/.cache/ksail-pulumi/tools}"
mkdir -p "$cache"
# shellcheck source=versions.sh
. "$here/versions.sh"

if ! command -v go >/dev/null 2>&1; then
  echo "tools: go not found; the real-peer test tiers will skip (install Go ≥ 1.26 to build them)" >&2
  exit 0
fi

log() { printf 'tools: %s\n' "$*" >&2; }

# build_module NAME VERSION DIR-WITH-RECIPE: the recipe function fills $dest; stamped when it returns 0.
run_recipe() {
  local name="$1" version="$2" fn="$3"
  local dest="$cache/$name-$version"
  if [ -f "$dest/.built" ]; then
    log "$name $version: cached ($dest)"
    return 0
  fi
  rm -rf "$dest" && mkdir -p "$dest"
  local started=$SECONDS
  log "$name $version: building into $dest"
  if "$fn" "$dest" "$version"; then
    date -u +%FT%TZ > "$dest/.built"
    log "$name $version: built in $((SECONDS - started)) s"
  else
    log "$name $version: FAILED after $((SECONDS - started)) s (tests needing it will skip with the reason)"
    rm -rf "$dest"
    return 1
  fi
}

# The Pulumi CLI from github.com/pulumi/pulumi/pkg/v3. pkg's go.mod replaces sdk with a local path, so a
# wrapper module requires pkg and sdk at the same version and carries their non-local replace lines.
recipe_pulumi() {
  local dest="$1" version="$2" work
  work="$(mktemp -d)"
  cat > "$work/go.mod" <<MOD
module ksail.test/pulumi-cli

go 1.26

require (
	github.com/pulumi/pulumi/pkg/v3 $version
	github.com/pulumi/pulumi/sdk/v3 $version
)

replace github.com/atotto/clipboard => github.com/tgummerer/clipboard v0.0.0-20241001131231-d02d263e614e

replace golang.org/x/text => golang.org/x/text v0.41.0
MOD
  cat > "$work/tools.go" <<'GO'
//go:build tools

package tools

import _ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"
GO
  ( cd "$work" && GOFLAGS=-mod=mod go mod tidy >/dev/null 2>&1 || true
    cd "$work" && GOFLAGS=-mod=mod go build -trimpath \
      -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$version" \
      -o "$dest/pulumi" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi )
  local rc=$?
  rm -rf "$work"
  [ $rc -eq 0 ] || return $rc
  "$dest/pulumi" version
}

# The CLI looks for the Node.js dynamic-provider host (`pulumi-resource-pulumi-nodejs`, a small script shipped in
# @pulumi/pulumi) beside its own executable, as a Pulumi install has it. The script resolves @pulumi/pulumi from
# the project directory (or NODE_PATH), so the copy carries no version of its own.
pulumi_host() {
  local dest="$1" src="$root/node_modules/@pulumi/pulumi/pulumi-resource-pulumi-nodejs"
  [ -f "$dest/pulumi-resource-pulumi-nodejs" ] && return 0
  if [ -f "$src" ]; then
    cp "$src" "$dest/" && chmod +x "$dest/pulumi-resource-pulumi-nodejs"
  else
    log "pulumi: node_modules not installed; the tests put the dynamic-provider host on PATH instead"
  fi
}

# kube-apiserver and etcd for the readiness tests, from k8s.io/kubernetes. Its go.mod replaces every k8s.io staging
# module with a local path (./staging/src/k8s.io/X), so the wrapper module replaces each with its published release
# (v0.<minor>.<patch> for v1.<minor>.<patch>); the list is read from that version's go.mod. etcd is built from the
# go.etcd.io/etcd/server/v3 version Kubernetes itself requires (its main package is the etcd server).
# kubernetes_wrapper WORK NAME VERSION: writes WORK/go.mod of a module that requires k8s.io/kubernetes@VERSION with each
# staging module its go.mod replaces by a local path replaced by that module's published release.
kubernetes_wrapper() {
  local work="$1" name="$2" version="$3" gomod staging
  gomod="$(GOFLAGS=-mod=mod go mod download -json "k8s.io/kubernetes@$version" | sed -n 's/.*"GoMod": "\(.*\)",*/\1/p')"
  [ -f "$gomod" ] || { log "$name: go.mod of k8s.io/kubernetes@$version not found"; return 1; }
  staging="v0.${version#v1.}"
  {
    printf 'module ksail.test/%s\n\ngo 1.26\n\nrequire k8s.io/kubernetes %s\n\n' "$name" "$version"
    sed -n 's#^[[:space:]]*\(k8s.io/[a-z0-9-]*\) => ./staging/src/k8s.io/.*#replace \1 => \1 '"$staging"'#p' "$gomod"
  } > "$work/go.mod"
}

recipe_kube_apiserver() {
  local dest="$1" version="$2" work
  work="$(mktemp -d)"
  kubernetes_wrapper "$work" kube-apiserver "$version" || { rm -rf "$work"; return 1; }
  cat > "$work/tools.go" <<'GO'
//go:build tools

package tools

import (
	_ "go.etcd.io/etcd/server/v3"
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
)
GO
  ( cd "$work" && GOFLAGS=-mod=mod go mod tidy >/dev/null 2>&1 || true
    cd "$work" && GOFLAGS=-mod=mod go build -trimpath \
      -ldflags "-s -w -X k8s.io/component-base/version.gitVersion=$version -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$(echo "$version" | cut -d. -f2)" \
      -o "$dest/kube-apiserver" k8s.io/kubernetes/cmd/kube-apiserver
    cd "$work" && GOFLAGS=-mod=mod go build -trimpath -ldflags "-s -w" -o "$dest/etcd" go.etcd.io/etcd/server/v3 )
  local rc=$?
  rm -rf "$work"
  [ $rc -eq 0 ] || return $rc
  "$dest/kube-apiserver" --version && "$dest/etcd" --version | head -1
}

# kubeadm of the same k8s.io/kubernetes release (the same wrapper module): it parses the kubeadm configuration a Kind
# node gets and issues the API server's certificate from the cluster's CA, as the node's `kubeadm init` does.
recipe_kubeadm() {
  local dest="$1" version="$2" work
  work="$(mktemp -d)"
  kubernetes_wrapper "$work" kubeadm "$version" || { rm -rf "$work"; return 1; }
  cat > "$work/tools.go" <<'GO'
//go:build tools

package tools

import _ "k8s.io/kubernetes/cmd/kubeadm"
GO
  ( cd "$work" && GOFLAGS=-mod=mod go mod tidy >/dev/null 2>&1 || true
    cd "$work" && GOFLAGS=-mod=mod go build -trimpath \
      -ldflags "-s -w -X k8s.io/component-base/version.gitVersion=$version -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$(echo "$version" | cut -d. -f2)" \
      -o "$dest/kubeadm" k8s.io/kubernetes/cmd/kubeadm )
  local rc=$?
  rm -rf "$work"
  [ $rc -eq 0 ] || return $rc
  "$dest/kubeadm" version -o short
}

# The rest of a KWOK cluster beside kube-apiserver and etcd: kube-controller-manager and kube-scheduler from the same
# k8s.io/kubernetes release (the same wrapper module as kube-apiserver), and kwok's controller from sigs.k8s.io/kwok
# (a plain module: `go install` at its version). The KWOK real-peer test runs the five with the flags and files
# KSailCluster gives their containers.
recipe_kwok_peers() {
  local dest="$1" kube="${2%%-kwok-*}" kwok="${2##*-kwok-}" work
  work="$(mktemp -d)"
  kubernetes_wrapper "$work" kwok-peers "$kube" || { rm -rf "$work"; return 1; }
  cat > "$work/tools.go" <<'GO'
//go:build tools

package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
)
GO
  local ldflags="-s -w -X k8s.io/component-base/version.gitVersion=$kube -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$(echo "$kube" | cut -d. -f2)"
  ( cd "$work" && GOFLAGS=-mod=mod go mod tidy >/dev/null 2>&1 || true
    cd "$work" && GOFLAGS=-mod=mod go build -trimpath -ldflags "$ldflags" -o "$dest/kube-controller-manager" k8s.io/kubernetes/cmd/kube-controller-manager
    cd "$work" && GOFLAGS=-mod=mod go build -trimpath -ldflags "$ldflags" -o "$dest/kube-scheduler" k8s.io/kubernetes/cmd/kube-scheduler
    GOBIN="$dest" GOFLAGS=-mod=mod go install -trimpath -ldflags "-s -w" "sigs.k8s.io/kwok/cmd/kwok@$kwok" )
  local rc=$?
  rm -rf "$work"
  [ $rc -eq 0 ] || return $rc
  "$dest/kube-controller-manager" --version && "$dest/kube-scheduler" --version && "$dest/kwok" --version | head -1
}

# schemacheck: Pulumi's own schema binder and Python code generator (pkg/codegen at the CLI's version) around
# test/peers/schemacheck, to check schema.json the way `pulumi package gen-sdk` reads it.
recipe_schemacheck() {
  local dest="$1" work
  work="$(mktemp -d)"
  cp "$root/test/peers/schemacheck/go.mod" "$root/test/peers/schemacheck/main.go" "$work/"
  ( cd "$work" && GOFLAGS=-mod=mod go mod tidy >/dev/null 2>&1 || true
    cd "$work" && GOFLAGS=-mod=mod go build -trimpath -ldflags "-s -w" -o "$dest/schemacheck" . )
  local rc=$?
  rm -rf "$work"
  [ $rc -eq 0 ] || return $rc
  # schema.json references the kubernetes package's types: its schema ships in the provider's Go module.
  local k8s
  k8s="$(GOFLAGS=-mod=mod go mod download -json "github.com/pulumi/pulumi-kubernetes/provider/v4@$K8S_PROVIDER_MODULE_VERSION" | sed -n 's/.*"Dir": "\(.*\)",*/\1/p')"
  [ -f "$k8s/cmd/pulumi-resource-kubernetes/schema.json" ] || { log "schemacheck: kubernetes provider schema not found in $k8s"; return 1; }
  cp "$k8s/cmd/pulumi-resource-kubernetes/schema.json" "$dest/kubernetes.schema.json" && chmod 644 "$dest/kubernetes.schema.json"
  echo "schemacheck ok (kubernetes schema from provider module $K8S_PROVIDER_MODULE_VERSION)"
}

# omnisig: go-api-signature's verifier and signer (the version Omni pins) around test/peers/omnisig, to check
# the TypeScript request signing against the real code. go.sum is resolved at build time, as for pulumi.
recipe_omnisig() {
  local dest="$1" work
  work="$(mktemp -d)"
  cp "$root/test/peers/omnisig/go.mod" "$root/test/peers/omnisig/main.go" "$work/"
  ( cd "$work" && GOFLAGS=-mod=mod go mod tidy >/dev/null 2>&1 || true
    cd "$work" && GOFLAGS=-mod=mod go build -trimpath -ldflags "-s -w" -o "$dest/omnisig" . )
  local rc=$?
  rm -rf "$work"
  [ $rc -eq 0 ] || return $rc
  "$dest/omnisig" keygen probe@example.com >/dev/null && echo "omnisig ok"
}

# Programs around Talos's pkg/machinery at one version (test/peers/<program>/main.go). Some of v1.14.1's dependencies
# are not served by the module proxy (cosi-project/runtime v1.16.3, a pseudo-version of rtnetlink): the nearest
# served releases stand in.
build_machinery_program() {
  local program="$1" dest="$2" version="$3" work
  work="$(mktemp -d)"
  cp "$root/test/peers/$program/main.go" "$work/"
  {
    printf 'module ksail.test/%s\n\ngo 1.26\n\nrequire github.com/siderolabs/talos/pkg/machinery %s\n' "$program" "$version"
    if [ "$version" = "v1.14.1" ]; then
      printf 'replace github.com/cosi-project/runtime => github.com/cosi-project/runtime v1.16.2\n'
      printf 'replace github.com/jsimonetti/rtnetlink/v2 => github.com/jsimonetti/rtnetlink/v2 v2.2.0\n'
    fi
  } > "$work/go.mod"
  ( cd "$work" && GOFLAGS=-mod=mod go build -trimpath -ldflags "-s -w" -o "$dest/$program" . )
  local rc=$?
  rm -rf "$work"
  return $rc
}

# talosvalidate: Talos's own config loader and validator at one machinery version, to check every rendered config
# the way the node will.
# The cache key of a program around pkg/machinery: the machinery version and the first 8 hex digits of the sha256
# of the program's source, so that a change to test/peers/<program>/main.go builds it again (test/peers/tools.ts
# computes the same key).
machinery_key() { printf '%s-%s' "$2" "$(sha256sum "$root/test/peers/$1/main.go" | cut -c1-8)"; }

recipe_talosvalidate() {
  local dest="$1" version="${2%-*}"
  build_machinery_program talosvalidate "$dest" "$version" || return 1
  printf 'version: v1alpha1\nmachine:\n  type: worker\n' > "$dest/probe.yaml"
  "$dest/talosvalidate" container "$dest/probe.yaml" >/dev/null && echo "talosvalidate $version ok"
}

# talosfields: the field tree Talos's decoder accepts at one machinery version, read from its Go types; the source
# of sdk/distributions/talos/fields.json (scripts/gen-talos-fields.sh) and of the test that the two agree.
recipe_talosfields() {
  local dest="$1" version="${2%-*}"
  build_machinery_program talosfields "$dest" "$version" || return 1
  "$dest/talosfields" >/dev/null && echo "talosfields $version ok"
}

# The Kubernetes provider plugin (pulumi-resource-kubernetes) from github.com/pulumi/pulumi-kubernetes/provider/v4 at
# the only version the module proxy serves here, for programs that run KSailCluster through the real engine. Its
# go.mod replaces the kubernetes Go SDK with a local path: the wrapper module points it at a published release.
# test/peers/k8sprovider/main.go stands in for upstream's main, whose embedded schema file is generated at build
# time. The plugin reports the version of the @pulumi/kubernetes npm package installed here (the engine asks for
# that one); what it really is, is written to its directory's VERSION file.
recipe_k8s_provider() {
  local dest="$1" version="$2" work mod npmver
  work="$(mktemp -d)"
  mod="$(GOFLAGS=-mod=mod go mod download -json "github.com/pulumi/pulumi-kubernetes/provider/v4@$version" | sed -n 's/.*"Dir": "\(.*\)",*/\1/p')"
  [ -f "$mod/cmd/pulumi-resource-kubernetes/schema.json" ] || { log "k8s-provider: module not found"; return 1; }
  npmver="$(node -p 'require(process.argv[1]).version' "$root/node_modules/@pulumi/kubernetes/package.json" 2>/dev/null)"
  [ -n "$npmver" ] || { log "k8s-provider: node_modules/@pulumi/kubernetes not installed (run npm ci first)"; return 1; }
  cp "$root/test/peers/k8sprovider/main.go" "$work/"
  cp "$mod/cmd/pulumi-resource-kubernetes/schema.json" "$mod/cmd/pulumi-resource-kubernetes/terraform-mapping.json" "$work/"
  chmod 644 "$work"/*.json
  printf 'module ksail.test/k8sprovider\n\ngo 1.26\n\nrequire github.com/pulumi/pulumi-kubernetes/provider/v4 %s\n\nreplace github.com/pulumi/pulumi-kubernetes/sdk/v4 => github.com/pulumi/pulumi-kubernetes/sdk/v4 %s\n' \
    "$version" "$K8S_SDK_MODULE_VERSION" > "$work/go.mod"
  ( cd "$work" && GOFLAGS=-mod=mod go mod tidy >/dev/null 2>&1 || true
    cd "$work" && GOFLAGS=-mod=mod go build -trimpath \
      -ldflags "-s -w -X github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version.Version=$npmver" \
      -o "$dest/pulumi-resource-kubernetes" . )
  local rc=$?
  rm -rf "$work"
  [ $rc -eq 0 ] || return $rc
  printf 'provider module %s, reporting %s\n' "$version" "$npmver" > "$dest/VERSION"
  echo "k8s-provider ok ($(cat "$dest/VERSION"))"
}

# rancher/k3k's CustomResourceDefinitions, copied from its Go module (plain YAML, no templating): the real API
# server then checks the k3k Cluster objects against k3k's own schema, enums and CEL immutability rules.
recipe_k3k_crds() {
  local dest="$1" version="$2" mod
  mod="$(GOFLAGS=-mod=mod go mod download -json "github.com/rancher/k3k@$version" | sed -n 's/.*"Dir": "\(.*\)",*/\1/p')"
  [ -f "$mod/charts/k3k/templates/crds/k3k.io_clusters.yaml" ] || { log "k3k-crds: CRDs not found in the module"; return 1; }
  cp "$mod"/charts/k3k/templates/crds/*.yaml "$dest/" && chmod 644 "$dest"/*.yaml
  if grep -q '{{' "$dest"/*.yaml; then log "k3k-crds: the CRDs are templated; update the recipe"; return 1; fi
  echo "k3k-crds ok ($(ls "$dest" | tr '\n' ' '))"
}

# flux-operator's CRDs (FluxInstance), from its Go module zip on the module proxy: the real API server then
# checks every FluxInstance the library writes against flux-operator's own schema and CEL rules.
recipe_flux_operator_crds() {
  local dest="$1" version="$2" work proxy mod="github.com/controlplaneio-fluxcd/flux-operator"
  proxy="$(go env GOPROXY | tr ',|' '\n\n' | grep -E '^https?://' | head -1)"
  [ -n "$proxy" ] || { log "flux-operator-crds: no HTTP module proxy in GOPROXY"; return 1; }
  work="$(mktemp -d)"
  curl -fsSL -o "$work/mod.zip" "$proxy/$mod/@v/$version.zip" || { rm -rf "$work"; return 1; }
  ( cd "$work" && unzip -q mod.zip "$mod@$version/config/crd/bases/*.yaml" ) || { rm -rf "$work"; return 1; }
  cp "$work/$mod@$version"/config/crd/bases/*.yaml "$dest/" && chmod 644 "$dest"/*.yaml
  rm -rf "$work"
  [ -f "$dest/fluxcd.controlplane.io_fluxinstances.yaml" ] || { log "flux-operator-crds: FluxInstance CRD not in the module"; return 1; }
  echo "flux-operator-crds ok ($(ls "$dest" | tr '\n' ' '))"
}

# loft-sh/vcluster's Helm chart, copied from its Go module (the module's Chart.yaml carries the placeholder version
# the release pipeline replaces; the copy gets the tag's version, as charts.loft.sh publishes it).
recipe_vcluster_chart() {
  local dest="$1" version="$2" mod
  mod="$(GOFLAGS=-mod=mod go mod download -json "github.com/loft-sh/vcluster@$version" | sed -n 's/.*"Dir": "\(.*\)",*/\1/p')"
  [ -f "$mod/chart/Chart.yaml" ] && [ -f "$mod/chart/values.schema.json" ] || { log "vcluster-chart: chart/ not found in the module"; return 1; }
  cp -r "$mod/chart" "$dest/vcluster" && chmod -R u+w "$dest/vcluster"
  sed -i "s/^version: .*/version: ${version#v}/" "$dest/vcluster/Chart.yaml"
  echo "vcluster-chart ok ($(grep '^version:' "$dest/vcluster/Chart.yaml"))"
}

# Cilium's network policy CRDs, copied from its Go module (plain YAML).
recipe_cilium_crds() {
  local dest="$1" version="$2" mod dir
  mod="$(GOFLAGS=-mod=mod go mod download -json "github.com/cilium/cilium@$version" | sed -n 's/.*"Dir": "\(.*\)",*/\1/p')"
  dir="$mod/pkg/k8s/apis/cilium.io/client/crds/v2"
  [ -f "$dir/ciliumclusterwidenetworkpolicies.yaml" ] || { log "cilium-crds: CRDs not found in the module"; return 1; }
  cp "$dir/ciliumclusterwidenetworkpolicies.yaml" "$dir/ciliumnetworkpolicies.yaml" "$dest/" && chmod 644 "$dest"/*.yaml
  echo "cilium-crds ok ($(ls "$dest" | tr '\n' ' '))"
}

# The sops CLI (getsops/sops) for the interoperability tests of `ksail-pulumi cipher` (test/protocol/sops-interop).
recipe_sops() {
  local dest="$1" version="$2"
  GOBIN="$dest" GOFLAGS= go install "github.com/getsops/sops/v3/cmd/sops@$version" || return 1
  "$dest/sops" --version --disable-version-check 2>/dev/null | head -1
}

# A real Docker Engine (dockerd with containerd and runc) from Debian's packages, unpacked into the cache instead of
# installed (no service starts, nothing outside the cache changes), with busybox-static for a local test image. The
# tests start it as root on a private data root and socket; it needs no registry: images come from `docker import`.
recipe_docker_engine() {
  local dest="$1" version="$2" work pkg
  command -v apt-get >/dev/null 2>&1 && command -v dpkg-deb >/dev/null 2>&1 || { log "docker-engine: needs apt-get and dpkg-deb (Debian)"; return 1; }
  work="$(mktemp -d)"
  ( cd "$work" && { apt-get download docker.io containerd runc busybox-static >/dev/null 2>&1 ||
      { apt-get update -qq >/dev/null 2>&1 && apt-get download docker.io containerd runc busybox-static >/dev/null; }; } ) || { rm -rf "$work"; return 1; }
  for pkg in "$work"/*.deb; do dpkg-deb -x "$pkg" "$dest/root" || { rm -rf "$work"; return 1; }; done
  rm -rf "$work"
  "$dest/root/usr/sbin/dockerd" --version | grep -q "version ${version}" || { log "docker-engine: dockerd is not $version: $("$dest/root/usr/sbin/dockerd" --version)"; return 1; }
  "$dest/root/usr/sbin/dockerd" --version
}

want=("$@")
[ ${#want[@]} -eq 0 ] && want=(pulumi omnisig kube-apiserver kwok-peers schemacheck talosvalidate talosfields k8s-provider k3k-crds flux-operator-crds vcluster-chart cilium-crds sops docker-engine kubeadm)
status=0
for t in "${want[@]}"; do
  case "$t" in
    pulumi) { run_recipe pulumi "$PULUMI_VERSION" recipe_pulumi && pulumi_host "$cache/pulumi-$PULUMI_VERSION"; } || status=1 ;;
    kube-apiserver) run_recipe kube-apiserver "$KUBE_APISERVER_VERSION" recipe_kube_apiserver || status=1 ;;
    kwok-peers) run_recipe kwok-peers "$KUBE_APISERVER_VERSION-kwok-$KWOK_VERSION" recipe_kwok_peers || status=1 ;;
    schemacheck) run_recipe schemacheck "$SCHEMACHECK_VERSION" recipe_schemacheck || status=1 ;;
    omnisig) run_recipe omnisig "$OMNISIG_VERSION" recipe_omnisig || status=1 ;;
    talosvalidate) for v in $TALOSVALIDATE_VERSIONS; do run_recipe talosvalidate "$(machinery_key talosvalidate "$v")" recipe_talosvalidate || status=1; done ;;
    talosfields) for v in $TALOSVALIDATE_VERSIONS; do run_recipe talosfields "$(machinery_key talosfields "$v")" recipe_talosfields || status=1; done ;;
    sops) run_recipe sops "$SOPS_VERSION" recipe_sops || status=1 ;;
    k3k-crds) run_recipe k3k-crds "$K3K_VERSION" recipe_k3k_crds || status=1 ;;
    cilium-crds) run_recipe cilium-crds "$CILIUM_CRDS_VERSION" recipe_cilium_crds || status=1 ;;
    vcluster-chart) run_recipe vcluster-chart "$VCLUSTER_CHART_VERSION" recipe_vcluster_chart || status=1 ;;
    flux-operator-crds) run_recipe flux-operator-crds "$FLUX_OPERATOR_CRDS_VERSION" recipe_flux_operator_crds || status=1 ;;
    kubeadm) run_recipe kubeadm "$KUBE_APISERVER_VERSION" recipe_kubeadm || status=1 ;;
    docker-engine) run_recipe docker-engine "$DOCKER_ENGINE_VERSION" recipe_docker_engine || status=1 ;;
    k8s-provider) run_recipe k8s-provider "$K8S_PROVIDER_MODULE_VERSION" recipe_k8s_provider || status=1 ;;
    *) log "unknown tool $t"; status=1 ;;
  esac
done
exit $status
