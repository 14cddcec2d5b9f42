import { describe, test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as YAML from "yaml";
import { clusterJsonSchema } from "../../sdk/config";
import { repoRoot } from "../harness/paths";

const root = repoRoot();
const gen = require(path.join(root, "scripts", "gen-schema.js")) as { render(): string };

interface Prop {
  type?: string;
  $ref?: string;
  items?: Prop;
  additionalProperties?: Prop;
  plain?: boolean;
  secret?: boolean;
  description?: string;
}
interface Schema {
  name: string;
  version: string;
  resources: Record<
    string,
    {
      isComponent: boolean;
      inputProperties: Record<string, Prop>;
      requiredInputs?: string[];
      properties: Record<string, Prop>;
      required?: string[];
    }
  >;
  types: Record<string, { type: string; properties?: Record<string, Prop>; required?: string[]; enum?: { name: string; value: string }[] }>;
}
const committed = (): Schema => JSON.parse(fs.readFileSync(path.join(root, "schema.json"), "utf8")) as Schema;

describe("schema.json (Pulumi package schema)", () => {
  test("is generated from the current sources (regenerate: node scripts/gen-schema.js)", () => {
    const fresh = gen.render();
    assert.ok(
      fresh === fs.readFileSync(path.join(root, "schema.json"), "utf8"),
      "schema.json is stale: run `node scripts/gen-schema.js` and commit it",
    );
  });

  test("names the ksail package, KSailCluster and every installer component, with a valid shape", () => {
    const s = committed();
    assert.equal(s.name, "ksail");
    assert.equal(s.version, JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")).version);
    const installers = [
      ...fs.readFileSync(path.join(root, "sdk", "components", "index.ts"), "utf8").matchAll(/^export \{ ([A-Z]\w+), type \w+Args \}/gm),
    ].map((m) => m[1]);
    assert.ok(installers.length >= 14, installers.join(","));
    for (const c of installers) assert.ok(s.resources[`ksail:components:${c}`], `ksail:components:${c} missing`);
    assert.ok(s.resources["ksail:index:KSailCluster"]);
    const checkProp = (where: string, p: Prop) => {
      assert.ok((p.type === undefined) !== (p.$ref === undefined), `${where}: exactly one of type/$ref`);
      if (p.$ref?.startsWith("#/types/")) assert.ok(s.types[p.$ref.slice("#/types/".length)], `${where}: dangling ${p.$ref}`);
      if (p.type === "array") checkProp(`${where}[]`, p.items as Prop);
      if (p.additionalProperties) checkProp(`${where}{}`, p.additionalProperties);
    };
    for (const [token, r] of Object.entries(s.resources)) {
      assert.match(token, /^ksail:(index|components):[A-Z]\w+$/);
      assert.equal(r.isComponent, true);
      for (const [k, p] of Object.entries(r.inputProperties)) checkProp(`${token}.${k}`, p);
      for (const [k, p] of Object.entries(r.properties)) checkProp(`${token} output ${k}`, p);
      for (const k of r.requiredInputs ?? []) assert.ok(r.inputProperties[k], `${token}: required input ${k}`);
      for (const k of r.required ?? []) assert.ok(r.properties[k], `${token}: required output ${k}`);
    }
    for (const [token, t] of Object.entries(s.types)) {
      assert.match(token, /^ksail:index:[A-Z]\w*$/);
      if (t.enum) {
        assert.equal(t.type, "string");
        assert.ok(t.enum.length > 0 && t.enum.every((e) => /^[A-Z]\w*$/.test(e.name) && typeof e.value === "string"), token);
      } else {
        assert.equal(t.type, "object");
        for (const [k, p] of Object.entries(t.properties ?? {})) checkProp(`${token}.${k}`, p);
      }
    }
  });

  test("KSailCluster: spec required and plain (it decides the shape), overrides are Inputs, credentials secret", () => {
    const c = committed().resources["ksail:index:KSailCluster"];
    assert.deepEqual(c.requiredInputs, ["spec"]);
    assert.equal(c.inputProperties.spec.plain, true);
    assert.equal(c.inputProperties.spec.$ref, "#/types/ksail:index:Spec");
    assert.equal(c.inputProperties.protect.type, "boolean");
    assert.equal(c.inputProperties.sopsAgeKey.plain, undefined, "an Input<string> is not plain");
    assert.equal(c.properties.kubeconfig.secret, true);
    assert.equal(c.properties.talosconfig.secret, true);
    assert.match(c.properties.kubernetesProvider.$ref ?? "", /^\/kubernetes\/v[\d.]+\/schema\.json#\/provider$/);
    assert.match(c.inputProperties.name.description ?? "", /Recreates the cluster\./, "JSDoc impact lines reach the schema");
  });

  test("the spec types follow ksail.yaml: every field of the zod model, enums with KSail's values", () => {
    const s = committed();
    const json = clusterJsonSchema() as {
      properties: { spec: { properties: { cluster: { properties: Record<string, { description?: string }> } } } };
    };
    const cluster = s.types["ksail:index:SpecCluster"];
    assert.deepEqual(Object.keys(cluster.properties ?? {}).sort(), Object.keys(json.properties.spec.properties.cluster.properties).sort());
    const enumOf = (p: Prop) => s.types[(p.$ref ?? "").slice("#/types/".length)]?.enum?.map((e) => e.value);
    assert.deepEqual(enumOf(cluster.properties!.distribution), ["AKS", "EKS", "GKE", "K3s", "KWOK", "Talos", "VCluster", "Vanilla"]);
    assert.deepEqual(enumOf(cluster.properties!.csi), ["Default", "Disabled", "Enabled"]);
    assert.deepEqual(enumOf(cluster.properties!.cni), ["Calico", "Cilium", "Default"]);
    assert.equal(cluster.properties!.workers.type, "number");
    assert.equal(cluster.properties!.distribution.description, json.properties.spec.properties.cluster.properties.distribution.description);
  });

  test("PulumiPlugin.yaml declares the nodejs runtime; package.json ships both schemas", () => {
    const plugin = YAML.parse(fs.readFileSync(path.join(root, "PulumiPlugin.yaml"), "utf8")) as { runtime: string };
    assert.equal(plugin.runtime, "nodejs");
    const pkg = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")) as { files: string[]; pulumi: { name: string } };
    for (const f of ["schema.json", "ksail.schema.json", "PulumiPlugin.yaml"]) assert.ok(pkg.files.includes(f), f);
    assert.equal(pkg.pulumi.name, "ksail");
  });
});
