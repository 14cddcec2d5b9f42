import { describe, test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as YAML from "yaml";
import Ajv from "ajv";
import Ajv2019 from "ajv/dist/2019";
import Ajv2020 from "ajv/dist/2020";
import { charts, ChartKey } from "../../sdk/versions";
import { chartValues, ValuesOptions } from "../../sdk/components/values";
import { deepMerge, Values } from "../../sdk/components/merge";
import { isHa, type CniChoice, type ComponentContext } from "../../sdk/plan/context";
import { SUPPORTED_COMBINATIONS } from "../../sdk/config/support";
import { fixturesDir } from "../harness/paths";

const dataDir = fixturesDir("charts");

/** Every distribution × provider × HA × CNI × LB context the cluster can produce. */
function contexts(): ComponentContext[] {
  const out: ComponentContext[] = [];
  for (const pair of SUPPORTED_COMBINATIONS)
    for (const nodeCount of [1, 3])
      for (const cni of ["Default", "Cilium", "Calico"] as CniChoice[])
        for (const loadBalancerEnabled of [false, true]) out.push({ ...pair, nodeCount, cni, loadBalancerEnabled });
  return out;
}

const optionSets: ValuesOptions[] = [
  { networkEnabled: true, sops: false },
  { networkEnabled: false, sops: true },
  {
    autoscaler: {
      pools: [{ name: "burst", serverType: "cx23", location: "fsn1", min: 0, max: 3, labels: { a: "b" } }],
      expander: ["least-waste", "priority"],
      maxNodesTotal: 10,
      scaleDownUtilizationThreshold: 0.5,
      ignoreDaemonSetsUtilization: true,
      skipNodesWithLocalStorage: false,
      skipNodesWithSystemPods: false,
      workerPublicIp: false,
    },
  },
];

/**
 * Maps that are free-form by design although values.yaml shows them empty or only commented out, with the
 * reason. Keys under them cannot be checked against values.yaml.
 */
const freeForm: Record<string, string[]> = {
  // `installation` is the operator.tigera.io Installation spec; values.yaml only shows calicoNetwork commented out.
  calico: ["installation.calicoNetwork"],
  // extraArgs are passed verbatim as --key=value flags; extraEnv/extraEnvSecrets are env maps.
  clusterAutoscaler: ["extraArgs", "extraEnv", "extraEnvSecrets", "nodeSelector"],
  // Plugin definitions are free-form maps keyed by plugin name.
  argoCd: ["configs.cmp.plugins"],
  // `env` is the CCM's extra environment ("You can define extra environment variables for the HCCM", values.yaml):
  // any HCLOUD_* variable of internal/config, as {value} or {valueFrom}.
  hcloudCcm: ["env"],
};

function leafPaths(v: unknown, prefix = ""): string[] {
  if (v !== null && typeof v === "object" && !Array.isArray(v)) {
    const entries = Object.entries(v as Values);
    if (entries.length === 0) return [prefix];
    return entries.flatMap(([k, x]) => leafPaths(x, prefix ? `${prefix}.${k}` : k));
  }
  return [prefix];
}

function pathProblem(defaults: Values, p: string, free: string[]): string | undefined {
  if (free.some((f) => p === f || p.startsWith(`${f}.`))) return undefined;
  let cur: unknown = defaults;
  const parts = p.split(".");
  for (let i = 0; i < parts.length; i++) {
    if (cur === null || typeof cur !== "object" || Array.isArray(cur)) return `${parts.slice(0, i).join(".")} is not a map`;
    const obj = cur as Values;
    if (!(parts[i] in obj)) {
      // An empty map (or null) in values.yaml is free-form: anything may go under it.
      if (Object.keys(obj).length === 0 && i > 0) return undefined;
      return `${p}: key "${parts[i]}" not in values.yaml`;
    }
    cur = obj[parts[i]];
    if (cur === null || (typeof cur === "object" && !Array.isArray(cur) && Object.keys(cur as Values).length === 0)) return undefined;
  }
  return undefined;
}

/** True when the schema declares the property path (following local $refs and combinators). */
function schemaHasPath(root: Values, parts: string[]): boolean {
  const resolve = (node: Values): Values => {
    const ref = node.$ref;
    if (typeof ref !== "string" || !ref.startsWith("#/")) return node;
    let cur: unknown = root;
    for (const seg of ref.slice(2).split("/")) cur = (cur as Values)[seg];
    return resolve(cur as Values);
  };
  const walk = (node: Values, i: number): boolean => {
    node = resolve(node);
    if (i === parts.length) return true;
    for (const comb of ["anyOf", "oneOf", "allOf"]) {
      const list = node[comb];
      if (Array.isArray(list) && list.some((n) => walk(n as Values, i))) return true;
    }
    const props = node.properties as Record<string, Values> | undefined;
    if (props && parts[i] in props) return walk(props[parts[i]], i + 1);
    return false;
  };
  return walk(root, 0);
}

function validatorFor(schema: Values): (v: unknown) => string | undefined {
  const draft = String(schema.$schema ?? "");
  const opts = { strict: false, allErrors: true };
  const ajv = draft.includes("2020-12") ? new Ajv2020(opts) : draft.includes("2019-09") ? new Ajv2019(opts) : new Ajv(opts);
  const { $schema: _drop, ...rest } = schema;
  void _drop;
  const validate = ajv.compile(draft.includes("draft-07") || draft === "" ? rest : schema);
  return (v) => (validate(v) ? undefined : ajv.errorsText(validate.errors, { separator: "\n" }));
}

describe("chart values validate against the pinned charts", () => {
  for (const key of Object.keys(charts) as ChartKey[]) {
    const pin = charts[key] as { dataDir?: string; version: string };
    if (!pin.dataDir) {
      test(`${key}: no chart data (values are chart defaults)`, () => {
        for (const ctx of contexts()) assert.deepEqual(chartValues(key, ctx), {});
      });
      continue;
    }
    const dir = path.join(dataDir, pin.dataDir);
    test(`${key} ${pin.version}`, () => {
      const chartYaml = YAML.parse(fs.readFileSync(path.join(dir, "Chart.yaml"), "utf8")) as Values;
      assert.equal(typeof chartYaml.name, "string");
      const defaults = (YAML.parse(fs.readFileSync(path.join(dir, "values.yaml"), "utf8")) ?? {}) as Values;
      const schemaPath = path.join(dir, "values.schema.json");
      const schema = fs.existsSync(schemaPath) ? (JSON.parse(fs.readFileSync(schemaPath, "utf8")) as Values) : undefined;
      const validate = schema ? validatorFor(schema) : undefined;
      let checked = 0;
      for (const ctx of contexts()) {
        for (const opts of optionSets) {
          const values = chartValues(key, ctx, opts);
          const label = `${key} ${ctx.distribution}/${ctx.provider} nodes=${ctx.nodeCount} cni=${ctx.cni} lb=${ctx.loadBalancerEnabled} ${JSON.stringify(opts)}`;
          if (validate) {
            const err = validate(deepMerge(defaults, values));
            assert.equal(err, undefined, `${label}\n${err}`);
          }
          // Every key path must exist in values.yaml, be declared by the schema, or sit under a free-form map
          // (schemas such as Cilium's do not forbid unknown keys, so validation alone would miss typos).
          for (const p of leafPaths(values)) {
            if (p === "") continue;
            if (schema && schemaHasPath(schema, p.split("."))) continue;
            const problem = pathProblem(defaults, p, freeForm[key] ?? []);
            assert.equal(problem, undefined, `${label}: ${problem}`);
          }
          checked++;
        }
      }
      assert.equal(checked, contexts().length * optionSets.length);
    });
  }
});

describe("values per distribution × provider × HA", () => {
  const base: ComponentContext = { distribution: "Vanilla", provider: "Docker", nodeCount: 1, cni: "Cilium", loadBalancerEnabled: false };
  test("HA threshold is 3 nodes", () => {
    assert.equal(isHa({ nodeCount: 2 }), false);
    assert.equal(isHa({ nodeCount: 3 }), true);
  });
  test("Cilium on Talos uses KubePrism and kube-proxy replacement; Kind keeps chart defaults", () => {
    const talos = chartValues("cilium", { ...base, distribution: "Talos" });
    assert.equal(talos.k8sServiceHost, "localhost");
    assert.equal(talos.k8sServicePort, 7445);
    assert.equal(talos.kubeProxyReplacement, true);
    const caps = (talos.securityContext as { capabilities: { ciliumAgent: string[] } }).capabilities.ciliumAgent;
    assert.ok(!caps.includes("SYS_MODULE"));
    const kind = chartValues("cilium", base);
    assert.equal(kind.k8sServiceHost, undefined);
    assert.deepEqual(kind.operator, { replicas: 1 });
    assert.deepEqual((chartValues("cilium", { ...base, nodeCount: 3 }).operator as Values).replicas, 2);
  });
  test("Cilium host-network Gateway only on Docker without a LoadBalancer", () => {
    assert.deepEqual(chartValues("cilium", base).gatewayAPI, { enabled: true, hostNetwork: { enabled: true } });
    assert.deepEqual(chartValues("cilium", { ...base, loadBalancerEnabled: true }).gatewayAPI, { enabled: true });
    assert.deepEqual(chartValues("cilium", { ...base, distribution: "Talos", provider: "Hetzner", loadBalancerEnabled: true }).gatewayAPI, {
      enabled: true,
    });
  });
  test("Calico disables Goldmane/Whisker; Talos gets nftables + VXLAN pool", () => {
    const kind = chartValues("calico", base);
    assert.deepEqual(kind, { goldmane: { enabled: false }, whisker: { enabled: false } });
    const talos = chartValues("calico", { ...base, distribution: "Talos", nodeCount: 3 });
    const inst = talos.installation as Values;
    assert.equal(inst.controlPlaneReplicas, 2);
    assert.equal((inst.calicoNetwork as Values).linuxDataplane, "Nftables");
    assert.equal(((inst.calicoNetwork as Values).ipPools as Values[])[0].cidr, "10.244.0.0/16");
  });
  test("cert-manager startupapicheck timeout follows the install timeout floor (10m)", () => {
    assert.equal((chartValues("certManager", base).startupapicheck as Values).timeout, "10m0s");
    assert.equal((chartValues("certManager", { ...base, baseTimeoutSeconds: 900 }).startupapicheck as Values).timeout, "15m0s");
  });
  test("metrics-server HA adds replicas, PDB and spread", () => {
    const ha = chartValues("metricsServer", { ...base, nodeCount: 4 });
    assert.equal(ha.replicas, 2);
    assert.deepEqual(ha.podDisruptionBudget, { enabled: true, minAvailable: 1 });
    assert.equal(chartValues("metricsServer", base).replicas, undefined);
  });
});

describe("the key-path check itself", () => {
  test("rejects KSail's gatekeeper key that the chart does not have, accepts the chart's own", () => {
    const defaults = YAML.parse(fs.readFileSync(path.join(dataDir, "gatekeeper-3.23.0/values.yaml"), "utf8")) as Values;
    assert.match(String(pathProblem(defaults, "webhook.failurePolicy", [])), /not in values.yaml/);
    assert.equal(pathProblem(defaults, "validatingWebhookFailurePolicy", []), undefined);
  });
  test("schema path walk follows $refs (cert-manager) and rejects unknown keys (cilium)", () => {
    const cm = JSON.parse(fs.readFileSync(path.join(dataDir, "cert-manager-v1.21.1/values.schema.json"), "utf8")) as Values;
    assert.equal(schemaHasPath(cm, ["webhook", "replicaCount"]), true);
    assert.equal(schemaHasPath(cm, ["webhook", "nope"]), false);
    const cil = JSON.parse(fs.readFileSync(path.join(dataDir, "cilium-1.20.0/values.schema.json"), "utf8")) as Values;
    assert.equal(schemaHasPath(cil, ["gatewayAPI", "hostNetwork", "enabled"]), true);
    assert.equal(schemaHasPath(cil, ["gatewayAPI", "hostnetwork"]), false);
  });
});
