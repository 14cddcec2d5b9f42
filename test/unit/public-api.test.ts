// The package's surface (issue 17): a narrow root — KSailCluster and its installers, the ksail.yaml loaders, the
// error type, the version types and the impact engine as a namespace — and every other module through a subpath
// export that resolves (by the package's self-reference, as a user's `require("@ksail/pulumi/<sub>")` does) with its
// type declarations. And the layers: the pure modules import nothing of the Pulumi SDK.
import { describe, test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { repoRoot } from "../harness/paths";

const root = repoRoot();
const pkg = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")) as {
  name: string;
  exports: Record<string, string | { types: string; default: string }>;
};

/** Every .ts file under `dir`. */
function sources(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? sources(path.join(dir, e.name)) : e.name.endsWith(".ts") ? [path.join(dir, e.name)] : []));
}

const INSTALLERS = [
  "ArgoCd",
  "Calico",
  "CertManager",
  "Cilium",
  "CloudProviderKind",
  "ClusterAutoscaler",
  "Flux",
  "Gatekeeper",
  "HcloudCcm",
  "HetznerCsi",
  "Kindnet",
  "KubeletCsrApprover",
  "Kyverno",
  "LocalPathProvisioner",
  "LocalRegistryHosting",
  "MetalLb",
  "MetricsServer",
];

describe("public API", () => {
  test("the root is narrow: the cluster, its installers, the loaders, KsailError, the version pins and `impact`", () => {
    const rootExports = Object.keys(require(path.join(root, "dist/sdk/index.js")) as object).sort();
    const expected = [
      "KSailCluster",
      ...INSTALLERS,
      "loadClusterConfig",
      "validateClusterConfigFile",
      "clusterConfigFromStack",
      "parseSpec",
      "KsailError",
      "isKsailError",
      "pinnedVersionArgs",
      "impact",
    ];
    assert.deepEqual(
      rootExports.filter((k) => !expected.includes(k)),
      [],
      "only the narrow list at the root (everything else through a subpath)",
    );
    for (const k of expected) assert.ok(rootExports.includes(k), `${k} at the root`);
    const impact = (require(path.join(root, "dist/sdk/index.js")) as { impact: Record<string, unknown> }).impact;
    assert.equal(typeof impact.classify, "function");
  });

  test("every subpath export resolves through the package's own name, with its type declarations", () => {
    const subpaths = Object.keys(pkg.exports).filter((k) => k !== "." && k !== "./package.json" && !k.includes("*"));
    assert.deepEqual(subpaths.sort(), ["./components", "./config", "./impact", "./pki", "./plan", "./resources", "./talos", "./talos-api"]);
    for (const sub of subpaths) {
      const target = pkg.exports[sub] as { types: string; default: string };
      assert.ok(fs.existsSync(path.join(root, target.types)), `${sub}: ${target.types}`);
      const mod = require(`${pkg.name}/${sub.slice(2)}`) as object;
      assert.ok(Object.keys(mod).length > 0, `${sub} exports something`);
    }
    // Dynamic providers serialized into existing stacks' state require their implementation by its deep path; those
    // paths must keep resolving (delete and refresh run the code stored at the last create or update).
    assert.deepEqual(pkg.exports["./dist/*"], "./dist/*");
    assert.ok(require.resolve(`${pkg.name}/dist/sdk/dynamic/clusterSpec.impl.js`));
    assert.equal(typeof (require(`${pkg.name}/resources`) as { TalosMachine: unknown }).TalosMachine, "function");
    assert.equal(typeof (require(`${pkg.name}/config`) as { parseClusterDocument: unknown }).parseClusterDocument, "function");
    assert.equal(typeof (require(`${pkg.name}/plan`) as { planCluster: unknown }).planCluster, "function");
  });

  test("layers: the pure modules (config, plan, impact, distributions, pki, clients, workload, sops) import nothing of @pulumi/*", () => {
    const pure = ["config", "plan", "impact", "distributions", "pki", "clients", "workload", "sops"].flatMap((d) =>
      sources(path.join(root, "sdk", d)),
    );
    assert.deepEqual(
      pure.filter((f) => /["']@pulumi\//.test(fs.readFileSync(f, "utf8"))).map((f) => path.relative(root, f)),
      [],
    );
  });

  test("no source file over 400 lines (split by what it does, not where it started)", () => {
    const lines = (f: string) => fs.readFileSync(f, "utf8").split("\n").length - 1;
    assert.deepEqual(
      sources(path.join(root, "sdk"))
        .filter((f) => lines(f) > 400)
        .map((f) => `${path.relative(root, f)}: ${lines(f)}`),
      [],
    );
  });
});
