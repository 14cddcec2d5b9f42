import { describe, test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as YAML from "yaml";
import Ajv2020 from "ajv/dist/2020";
import * as pulumi from "@pulumi/pulumi";
import { FIELD_DESCRIPTIONS } from "../../sdk/config/descriptions";
import {
  EXPANDED_FIELDS,
  IGNORED_FIELDS,
  clusterJsonSchema,
  expandString,
  parseClusterDocument,
  parseRegistrySpec,
  redactRegistry,
  specFieldPaths,
} from "../../sdk/config";
import { isKsailError } from "../../sdk/errors";
import { clusterConfigFromStack } from "../../sdk/stack";
import { repoRoot } from "../harness/paths";

const root = repoRoot();
const minimal = (spec: unknown = {}) => ({ apiVersion: "ksail.io/v1alpha1", kind: "Cluster", spec });

describe("${VAR} expansion (KSail rules)", () => {
  const env = { SET: "value", EMPTY: "" };
  const table: [string, string, string[]][] = [
    ["${SET}", "value", []],
    ["pre-${SET}-post", "pre-value-post", []],
    ["${EMPTY}", "", []],
    ["${EMPTY:-fallback}", "", []], // a set variable wins even when empty (unlike bash)
    ["${UNSET:-fallback}", "fallback", []],
    ["${UNSET:=assigned}", "assigned", []],
    ["${UNSET:-}", "", []],
    ["${UNSET}", "", ["UNSET"]],
    ["$SET", "$SET", []],
    ["${}", "${}", []],
    ["${SET", "${SET", []],
    ["${1BAD}", "${1BAD}", []],
    ["${SET}/${UNSET:-x}/${OTHER}", "value/x/", ["OTHER"]],
  ];
  for (const [input, want, missing] of table) {
    test(`${input} → ${JSON.stringify(want)}`, () => {
      assert.deepEqual(expandString(input, env), { value: want, missing, structural: [] });
    });
  }
  test(":= does not assign the variable", () => {
    const e: Record<string, string> = {};
    expandString("${X:=1}", e);
    assert.equal(e.X, undefined);
    assert.equal(expandString("${X}", e).value, "");
  });
  test("only the listed fields are expanded; *EnvVar fields never", () => {
    const env2 = { REG: "ghcr.io/acme", NET: "net-a", T: "v9", TOKEN: "secret" };
    const { document, warnings } = parseClusterDocument(
      minimal({
        cluster: {
          distribution: "Talos",
          provider: "Hetzner",
          localRegistry: { registry: "${REG}/platform", credentials: { tokenEnvVar: "${TOKEN}" } },
          kubernetesVersion: "",
          talos: { version: "" },
        },
        provider: { hetzner: { networkName: "${NET}", tokenEnvVar: "${TOKEN}", placementGroup: "${MISSING}" } },
        workload: { tag: "${T}", sourceDirectory: "k8s/${T}" },
      }),
      { env: env2 },
    );
    assert.equal(document.spec.cluster.localRegistry.registry, "ghcr.io/acme/platform");
    assert.equal(document.spec.cluster.localRegistry.credentials.tokenEnvVar, "${TOKEN}");
    assert.equal(document.spec.provider.hetzner.networkName, "net-a");
    assert.equal(document.spec.provider.hetzner.tokenEnvVar, "${TOKEN}");
    assert.equal(document.spec.provider.hetzner.placementGroup, "");
    assert.equal(document.spec.workload.tag, "v9");
    assert.equal(document.spec.workload.sourceDirectory, "k8s/v9");
    assert.deepEqual(
      warnings.filter((w) => w.includes("environment variable")),
      [
        'spec.provider.hetzner.placementGroup: environment variable MISSING is not set; ${MISSING} expanded to "". Set it, or write ${MISSING:-default}',
      ],
    );
    assert.equal(EXPANDED_FIELDS.length, 16);
  });
  test("a field not on the list keeps ${...} literally (and then fails its own validation)", () => {
    assert.throws(
      () => parseClusterDocument(minimal({ cluster: { kubernetesVersion: "${K8S}" } }), { env: { K8S: "1.34.1" } }),
      (e: unknown) => isKsailError(e) && e.issues[0].path === "spec.cluster.kubernetesVersion",
    );
  });
});

describe("localRegistry.registry parsing and redaction", () => {
  const table: [string, Partial<ReturnType<typeof parseRegistrySpec>>][] = [
    ["", { host: "localhost", port: 5050, external: false, raw: "localhost:5050" }],
    ["localhost", { host: "localhost", port: 5050, external: false }],
    ["127.0.0.1:5001", { host: "127.0.0.1", port: 5001, external: false }],
    ["ghcr.io/acme/platform", { host: "ghcr.io", port: 0, path: "acme/platform", tag: "", external: true }],
    ["ghcr.io/acme/platform:v1", { host: "ghcr.io", path: "acme/platform", tag: "v1" }],
    [
      "user:pa:ss@registry.example.com:8443/team/app:prod",
      { username: "user", password: "pa:ss", host: "registry.example.com", port: 8443, path: "team/app", tag: "prod" },
    ],
    ["user@host.example", { username: "user", password: "", host: "host.example" }],
    ["localhost:0", { host: "localhost:0", port: 0, external: true }],
    ["localhost:70000", { host: "localhost", port: 70000 }],
  ];
  for (const [spec, want] of table) {
    test(`parse ${JSON.stringify(spec)}`, () => {
      const got = parseRegistrySpec(spec);
      for (const [k, v] of Object.entries(want)) assert.equal(got[k as keyof typeof got], v, k);
    });
  }
  test("redaction replaces only a non-empty password", () => {
    assert.equal(redactRegistry("u:p@h"), "u:****@h");
    assert.equal(redactRegistry("user:s3cr3t@ghcr.io/a/b:tag"), "user:****@ghcr.io/a/b:tag");
    assert.equal(redactRegistry("u:@h"), "u:@h");
    assert.equal(redactRegistry("u@h"), "u@h");
    assert.equal(redactRegistry("localhost:5050"), "localhost:5050");
  });
});

describe("field paths", () => {
  test("specFieldPaths lists every leaf of the model and nothing ignored or deprecated", () => {
    const paths = specFieldPaths();
    for (const p of [
      "metadata.name",
      "spec.cluster.distribution",
      "spec.cluster.controlPlanes",
      "spec.cluster.localRegistry.registry",
      "spec.cluster.localRegistry.credentials.tokenEnvVar",
      "spec.cluster.autoscaler.node.pools",
      "spec.cluster.autoscaler.node.expander",
      "spec.cluster.talos.extraPortMappings",
      "spec.cluster.oidc.issuerURL",
      "spec.provider.hetzner.allowedCidrs",
      "spec.workload.flux.verify.provider",
      "spec.workload.flux.verify.secretRef.name",
      "spec.workload.tag",
    ]) {
      assert.ok(paths.includes(p), p);
    }
    for (const p of [
      ...IGNORED_FIELDS,
      "spec.cluster.nodeAutoscaling",
      "spec.cluster.talos.controlPlanes",
      "apiVersion",
      "kind",
      "spec.cluster",
    ]) {
      assert.ok(!paths.includes(p), p);
    }
    assert.equal(new Set(paths).size, paths.length);
    // Every path exists in a fully defaulted document (except the optional metadata.name and flux.verify.provider).
    const { document } = parseClusterDocument(minimal(), { env: {} });
    for (const p of paths.filter((x) => x !== "metadata.name" && x !== "spec.workload.flux.verify.provider")) {
      let cur: unknown = document;
      for (const k of p.split(".")) cur = (cur as Record<string, unknown>)[k];
      assert.notEqual(cur, undefined, `${p} has no default`);
    }
  });
});

describe("JSON Schema", () => {
  test("every leaf of the model has a description, and no description is stale", () => {
    const leaves = specFieldPaths();
    assert.deepEqual(
      leaves.filter((p) => FIELD_DESCRIPTIONS[p] === undefined),
      [],
    );
    assert.deepEqual(
      Object.keys(FIELD_DESCRIPTIONS).filter((p) => !leaves.includes(p)),
      [],
    );
    const s = clusterJsonSchema() as {
      properties: { spec: { properties: { cluster: { properties: Record<string, { description?: string }> } } } };
    };
    assert.match(s.properties.spec.properties.cluster.properties.controlPlanes.description ?? "", /control-plane nodes/);
  });
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  const validate = ajv.compile(clusterJsonSchema());
  const fixtures = ["talos/ksail.yaml", "talos/ksail.prod.yaml", "kind/ksail.yaml", "k3s/ksail.yaml"];
  for (const f of fixtures) {
    test(`${f} validates against the generated schema`, () => {
      const doc: unknown = YAML.parse(fs.readFileSync(path.join(root, "test/fixtures/spec", f), "utf8"));
      assert.equal(validate(doc), true, JSON.stringify(validate.errors));
    });
  }
  test("unknown keys, wrong enums and wrong literals fail the schema too", () => {
    assert.equal(validate(minimal({ cluster: { bogus: 1 } })), false);
    assert.equal(validate(minimal({ cluster: { cni: "Flannel" } })), false);
    assert.equal(validate({ apiVersion: "v1", kind: "Cluster" }), false);
    assert.equal(validate(minimal({ cluster: { csi: true } })), true, "YAML booleans are allowed for toggles");
  });
  test("ksail.schema.json at the repository root is the generated schema (regenerate: ksail-pulumi schema > ksail.schema.json)", () => {
    const committed: unknown = JSON.parse(fs.readFileSync(path.join(root, "ksail.schema.json"), "utf8"));
    assert.deepEqual(committed, clusterJsonSchema());
  });
});

describe("clusterConfigFromStack", () => {
  test("ksail:cluster holds the structured spec", () => {
    pulumi.runtime.setAllConfig({
      "ksail:cluster": JSON.stringify({ cluster: { distribution: "Talos", provider: "Hetzner", controlPlanes: 3 } }),
    });
    const c = clusterConfigFromStack();
    assert.equal(c.spec.cluster.distribution, "Talos");
    assert.equal(c.spec.cluster.controlPlanes, 3);
    assert.equal(c.name, undefined);
  });
  test("ksail:cluster may hold a whole Cluster document", () => {
    pulumi.runtime.setAllConfig({ "ksail:cluster": JSON.stringify(minimal({ cluster: { distribution: "K3s" } })) });
    assert.equal(clusterConfigFromStack().spec.cluster.distribution, "K3s");
  });
  test("ksail:config is a path to a ksail.yaml", () => {
    pulumi.runtime.setAllConfig({ "ksail:config": path.join(root, "test/fixtures/spec/talos/ksail.prod.yaml") });
    const c = clusterConfigFromStack();
    assert.equal(c.name, "platform-prod");
    assert.equal(c.talosConfigPatches?.cluster.length, 2);
  });
  test("neither or both set is a clear error; an invalid spec names the field", () => {
    pulumi.runtime.setAllConfig({});
    assert.throws(() => clusterConfigFromStack(), /pulumi config set ksail:config ksail\.yaml/);
    pulumi.runtime.setAllConfig({ "ksail:config": "a.yaml", "ksail:cluster": "{}" });
    assert.throws(() => clusterConfigFromStack(), /keep only one/);
    pulumi.runtime.setAllConfig({ "ksail:cluster": JSON.stringify({ cluster: { workers: -1 } }) });
    assert.throws(
      () => clusterConfigFromStack(),
      (e: unknown) => isKsailError(e) && e.issues[0].path === "spec.cluster.workers",
    );
    pulumi.runtime.setAllConfig({});
  });
});
