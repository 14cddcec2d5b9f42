#!/usr/bin/env bash
# Regenerates sdk/workload/schemas/crds.json: the openAPIV3Schema of every CustomResourceDefinition version of the
# GitOps kinds `ksail-pulumi workload validate` knows without a CRD in the tree (Flux's sources and
# Kustomization, flux-operator's FluxInstance and ResourceSet), read from the upstream Go module zips on the
# module proxy (GOPROXY). Descriptions are dropped; everything that decides validity is kept.
#
#   scripts/gen-crd-schemas.sh
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
# module@version: source-controller and kustomize-controller (the newest the proxy serves), and the
# flux-operator whose FluxInstance CRD the real-peer tests use. helm-controller is not served by the proxy.
modules=(
  github.com/fluxcd/source-controller@v1.10.1
  github.com/fluxcd/kustomize-controller@v1.10.1
  github.com/controlplaneio-fluxcd/flux-operator@v0.59.0
)
proxy="$(go env GOPROXY 2>/dev/null | tr ',|' '\n\n' | grep -E '^https?://' | head -1)"
proxy="${proxy:-https://proxy.golang.org}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
for mv in "${modules[@]}"; do
  m="${mv%@*}"; v="${mv#*@}"
  curl -fsSL -o "$work/mod.zip" "$proxy/$m/@v/$v.zip"
  (cd "$work" && unzip -q -o mod.zip "$m@$v/config/crd/bases/*.yaml" && rm mod.zip)
done
node - "$work" "${modules[@]}" > "$root/sdk/workload/schemas/crds.json" <<'JS'
const fs = require("node:fs");
const path = require("node:path");
const YAML = require("yaml");
const [work, ...modules] = process.argv.slice(2);
const strip = (s) => {
  if (Array.isArray(s)) return s.map(strip);
  if (s === null || typeof s !== "object") return s;
  const o = {};
  for (const [k, v] of Object.entries(s)) if (k !== "description") o[k] = k === "properties" ? Object.fromEntries(Object.entries(v).map(([p, x]) => [p, strip(x)])) : strip(v);
  return o;
};
const files = [];
const walk = (d) => { for (const e of fs.readdirSync(d, { withFileTypes: true })) { const p = path.join(d, e.name); if (e.isDirectory()) walk(p); else if (p.endsWith(".yaml")) files.push(p); } };
walk(work);
const kinds = {};
for (const f of files.sort()) {
  for (const doc of YAML.parseAllDocuments(fs.readFileSync(f, "utf8"))) {
    const crd = doc.toJS();
    if (crd?.kind !== "CustomResourceDefinition") continue;
    for (const v of crd.spec.versions) if (v.schema?.openAPIV3Schema) kinds[`${crd.spec.group}/${v.name}/${crd.spec.names.kind}`] = strip(v.schema.openAPIV3Schema);
  }
}
process.stdout.write(JSON.stringify({ modules, kinds: Object.fromEntries(Object.entries(kinds).sort(([a], [b]) => (a < b ? -1 : 1))) }));
JS
echo "wrote sdk/workload/schemas/crds.json ($(node -e 'console.log(Object.keys(require(process.argv[1]).kinds).length)' "$root/sdk/workload/schemas/crds.json") kinds)"
