// The benchmarks' fair baseline: a Pulumi program that replays what another program registered — the same
// resource types (through the same SDK classes: docker.Container, k8s.helm.v3.Release, …), names, parents,
// dependencies, providers and inputs (secrets as secrets, preview unknowns as unknown outputs) — with none of
// the library's own work (parsing ksail.yaml, planning, rendering configs). The plan time of the real program
// over the replay's is the library's overhead; a bare program with as many one-input resources shows the SDK's
// per-class cost on top (bench/results.json has both).
//
// `replayProgram(result)` takes a `runProgramUnderMocks({ ..., wire: true })` result and writes a program
// directory (Pulumi.yaml, replay.json, index.js) to run under the same mock runner.
"use strict";
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");

/** How to construct a type: an SDK class (`module` + export `path`), a generic custom resource, or a component. */
function constructorFor(type, custom, remote) {
  if (!custom && !remote) return { kind: "component" };
  // Dynamic resources: the token and the serialized provider (`__provider`) are in the inputs as registered.
  if (type.startsWith("pulumi-nodejs:dynamic")) return { kind: "custom" };
  const [pkg, mod, name] = type.split(":");
  const isProvider = pkg === "pulumi" && mod === "providers";
  const moduleName = `@pulumi/${isProvider ? name : pkg}`;
  let lib;
  try {
    lib = require(moduleName);
  } catch {
    return { kind: "custom" };
  }
  const candidates = isProvider ? [["Provider"]] : [[name], [mod.split("/")[0].split(".")[0], mod.split("/")[1], name]];
  for (const p of candidates) {
    let v = lib;
    for (const k of p) v = v?.[k];
    if (typeof v === "function" && v.__pulumiType === (isProvider ? name : type)) {
      return { kind: "class", module: require.resolve(moduleName), path: p };
    }
  }
  // Kubernetes custom resources (FluxInstance, …) are apiextensions.CustomResource with apiVersion/kind inputs.
  if (pkg === "kubernetes") return { kind: "class", module: require.resolve(moduleName), path: ["apiextensions", "CustomResource"] };
  return { kind: "custom" };
}

const PROGRAM = `"use strict";
const pulumi = require("@pulumi/pulumi");
const data = require("./replay.json");
const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
const unknown = () => new pulumi.Output(new Set(), Promise.resolve(undefined), Promise.resolve(false), Promise.resolve(false), Promise.resolve(new Set()));
const created = new Map();
/** Resources constructed later than a dependent (a deferred output in the original): resolved once they exist. */
const pending = new Map();
const later = (name) => {
  if (!pending.has(name)) {
    let resolve;
    const promise = new Promise((r) => (resolve = r));
    pending.set(name, { promise, resolve });
  }
  return pending.get(name).promise;
};
const names = new Set(data.resources.map((r) => r.name));
/** Unknowns become unknown outputs, references to replayed resources become those resources. */
function revive(v) {
  if (v === UNKNOWN) return unknown();
  if (Array.isArray(v)) return v.map(revive);
  if (v === null || typeof v !== "object") return v;
  if (typeof v.urn === "string" && typeof v.name === "string" && created.has(v.name)) return created.get(v.name);
  const out = {};
  for (const [k, e] of Object.entries(v)) out[k] = revive(e);
  return out;
}
/** Wraps the value at a decoded secret path ("a", "a.b", "a[0].b") in pulumi.secret. */
function secretAt(obj, p) {
  const keys = p.match(/[^.[\\]]+/g) || [];
  if (keys.length === 0) return;
  let cur = obj;
  for (const k of keys.slice(0, -1)) cur = cur == null ? undefined : cur[k];
  const last = keys[keys.length - 1];
  if (cur != null && last in cur) cur[last] = pulumi.secret(cur[last]);
}
const classes = data.constructors.map((c) => {
  if (c.kind !== "class") return undefined;
  let v = require(c.module);
  for (const k of c.path) v = v[k];
  return v;
});
for (const r of data.resources) {
  const ctor = data.constructors[r.ctor];
  const inputs = revive(r.inputs);
  // Provider resources send non-string inputs JSON-encoded; give the class the values it was given.
  if (ctor.kind === "class" && ctor.path[0] === "Provider") {
    for (const [k, v] of Object.entries(inputs)) {
      if (typeof v !== "string") continue;
      try {
        const parsed = JSON.parse(v);
        if (typeof parsed !== "string") inputs[k] = parsed;
      } catch {
        // a plain string
      }
    }
  }
  for (const p of [...r.secrets].sort((a, b) => b.length - a.length)) secretAt(inputs, p);
  const opts = {};
  if (r.parent !== undefined) opts.parent = created.get(r.parent);
  const deps = r.dependencies.filter((d) => d !== r.parent && names.has(d)).map((d) => (created.has(d) ? created.get(d) : later(d)));
  if (deps.length > 0) opts.dependsOn = deps;
  if (r.provider !== undefined && created.has(r.provider)) opts.provider = created.get(r.provider);
  if (r.protect) opts.protect = true;
  if (r.deleteBeforeReplace) opts.deleteBeforeReplace = true;
  let res;
  if (ctor.kind === "component") {
    res = new pulumi.ComponentResource(r.type, r.name, {}, opts);
    res.registerOutputs({});
  } else if (ctor.kind === "class") res = new classes[r.ctor](r.name, inputs, opts);
  else res = new pulumi.CustomResource(r.type, r.name, inputs, opts);
  created.set(r.name, res);
  pending.get(r.name)?.resolve(res);
}
`;

/** Writes the replay of `result` (from runProgramUnderMocks with `wire: true`) as a program directory. */
function replayProgram(result) {
  const ctorIndex = new Map();
  const constructors = [];
  const resources = [...result.resources]
    .sort((a, b) => a.wire.order - b.wire.order)
    .map((r) => {
      const key = `${r.type}\u0000${r.custom}\u0000${r.wire.remote}`;
      if (!ctorIndex.has(key)) {
        ctorIndex.set(key, constructors.length);
        constructors.push(constructorFor(r.type, r.custom, r.wire.remote));
      }
      return {
        type: r.type,
        name: r.name,
        ctor: ctorIndex.get(key),
        parent: r.parent,
        dependencies: r.dependencies,
        provider: r.wire.provider,
        inputs: r.wire.inputs,
        secrets: r.wire.secrets,
        protect: r.protect,
        deleteBeforeReplace: r.deleteBeforeReplace,
      };
    });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ksail-bench-replay-"));
  fs.writeFileSync(path.join(dir, "Pulumi.yaml"), "name: replay\nruntime: nodejs\nmain: index.js\n");
  fs.writeFileSync(path.join(dir, "Pulumi.dev.yaml"), "config: {}\n");
  fs.writeFileSync(path.join(dir, "replay.json"), JSON.stringify({ constructors, resources }));
  fs.writeFileSync(path.join(dir, "index.js"), PROGRAM);
  return { dir, constructors };
}

/** Resource identity as a replay must reproduce it: type, name, parent, dependencies (sorted). */
function shape(result) {
  return result.resources.map((r) => `${r.type} ${r.name} parent=${r.parent ?? ""} deps=${[...r.dependencies].sort().join(",")}`).sort();
}

module.exports = { replayProgram, constructorFor, shape };
