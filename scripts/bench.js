#!/usr/bin/env node
// `npm run bench` (DESIGN.md §7): one run of each measurement, written to bench/results.json and, as a markdown
// table, into README.md between the `bench:begin`/`bench:end` markers.
//
//   1. Plan time of both examples under the mock runtime (`ksail-pulumi plan`'s runner) vs a bare program that
//      registers the same number of plain resources in the same runner (ratio = our overhead per resource).
//   2. Serialized size of each dynamic provider's `__provider` (a thin trampoline; target a few KiB).
//   3. Plan time of a Talos-on-Hetzner KSailCluster with 1, 10, 50 and 200 nodes (growth should be linear).
//   4. Create critical path (longest dependency chain of resources the engine creates) vs the stage count
//      (that chain with consecutive resources of one type counted once): equal means every node and every
//      phase-1 component is created in parallel.
//
// Flags: --no-build (use dist/ as is), --no-readme (results file only). Timings are wall clock on this machine;
// compare ratios, not absolute numbers.
"use strict";
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const { spawnSync } = require("node:child_process");

const root = path.resolve(__dirname, "..");
const dist = path.join(root, "dist");
const args = new Set(process.argv.slice(2));

function build() {
  const r = spawnSync(
    process.execPath,
    [path.join(root, "node_modules", "typescript", "bin", "tsc"), "-p", path.join(root, "tsconfig.json")],
    { stdio: "inherit" },
  );
  if (r.status !== 0) throw new Error("tsc failed");
}

const now = () => Number(process.hrtime.bigint()) / 1e6;
async function timed(fn) {
  const t0 = now();
  const value = await fn();
  return { ms: now() - t0, value };
}
const round = (x, d = 1) => Math.round(x * 10 ** d) / 10 ** d;

/** A program registering `n` plain custom resources (one small input each), as a Pulumi project directory. */
function bareProgram(n) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ksail-bench-bare-"));
  fs.writeFileSync(path.join(dir, "Pulumi.yaml"), "name: bare\nruntime: nodejs\nmain: index.js\n");
  fs.writeFileSync(path.join(dir, "Pulumi.dev.yaml"), "config: {}\n");
  fs.writeFileSync(
    path.join(dir, "index.js"),
    `const pulumi = require("@pulumi/pulumi");\nfor (let i = 0; i < ${n}; i++) new pulumi.CustomResource("bench:index:Plain", "r" + i, { value: String(i) });\n`,
  );
  return dir;
}

/** Longest chain of engine-created resources (custom, not providers) by dependencies; returns the chain. */
function criticalPath(resources) {
  const nodes = resources.filter((r) => r.custom && !r.type.startsWith("pulumi:providers:"));
  const byName = new Map(nodes.map((n) => [n.name, n]));
  const deps = new Map(nodes.map((n) => [n.name, (n.options?.dependencies ?? n.dependencies ?? []).filter((d) => byName.has(d))]));
  const memo = new Map();
  const chain = (n) => {
    if (!memo.has(n)) {
      let best = [];
      for (const d of deps.get(n)) {
        const c = chain(d);
        if (c.length > best.length) best = c;
      }
      memo.set(n, [...best, n]);
    }
    return memo.get(n);
  };
  let longest = [];
  for (const n of byName.keys()) {
    const c = chain(n);
    if (c.length > longest.length) longest = c;
  }
  const types = longest.map((n) => byName.get(n).type);
  const stages = types.filter((t, i) => i === 0 || t !== types[i - 1]);
  return { length: longest.length, stages: stages.length, chain: longest };
}

async function main() {
  if (!args.has("--no-build")) build();
  const { runProgramUnderMocks } = require(path.join(dist, "sdk", "cli", "mockrun.js"));
  const record = require(path.join(dist, "test", "mocks", "cluster-record.js"));
  const results = {
    date: new Date().toISOString(),
    node: process.version,
    cpus: os.cpus().length,
    examples: [],
    providers: {},
    scaling: [],
    criticalPath: [],
  };

  // 1. Examples vs a bare program with as many resources.
  const examples = [
    { dir: "examples/local", stack: "dev", config: {} },
    {
      dir: "examples/prod",
      stack: "staging",
      config: {
        "ksail-prod:hcloudToken": "bench-token",
        "ksail-prod:registryUsername": "bench",
        "ksail-prod:registryToken": "bench-token",
      },
    },
  ];
  for (const ex of examples) {
    const dir = path.join(root, ex.dir);
    if (!fs.existsSync(path.join(dir, "Pulumi.yaml"))) {
      results.examples.push({ example: ex.dir, error: "not present in this checkout" });
      continue;
    }
    try {
      const run = () => runProgramUnderMocks({ dir, stack: ex.stack, preview: true, config: ex.config });
      await run(); // warm-up: module loading and TypeScript compilation of the program
      const t = await timed(run);
      const n = t.value.resources.length;
      const bareDir = bareProgram(n);
      const bareRun = () => runProgramUnderMocks({ dir: bareDir, preview: true });
      await bareRun();
      const b = await timed(bareRun);
      fs.rmSync(bareDir, { recursive: true, force: true });
      results.examples.push({
        example: ex.dir,
        stack: ex.stack,
        resources: n,
        planMs: round(t.ms),
        bareMs: round(b.ms),
        ratio: round(t.ms / b.ms, 2),
      });
    } catch (e) {
      results.examples.push({ example: ex.dir, error: String(e && e.message ? e.message : e).split("\n")[0] });
    }
  }

  // 2. Serialized dynamic providers, from real registrations (Talos on Docker and on Hetzner).
  const token = "bench-hcloud-token";
  const recs = [
    await record.recordCluster({ cluster: { distribution: "Talos", provider: "Docker", workers: 1, gitOpsEngine: "Flux" } }),
    await record.recordCluster({
      cluster: { distribution: "Talos", provider: "Hetzner", controlPlanes: 3, workers: 3, cni: "Cilium" },
      args: { hcloudToken: token },
      outputs: record.hetznerOutputs,
    }),
  ];
  for (const rec of recs) {
    for (const r of rec.resources) {
      const p = r.inputs.__provider;
      if (typeof p !== "string") continue;
      const type = r.type.replace("pulumi-nodejs:dynamic/ksail:", "");
      const bytes = Buffer.byteLength(p);
      const prev = results.providers[type];
      results.providers[type] = {
        bytes: Math.max(bytes, prev?.bytes ?? 0),
        capturesToken: (prev?.capturesToken ?? false) || p.includes(token),
      };
    }
  }

  // 3 and 4. Plan time and critical path by node count (Talos on Hetzner: 3 control planes from 3 nodes).
  for (const n of [1, 10, 50, 200]) {
    const cp = n >= 3 ? 3 : 1;
    const cluster = { distribution: "Talos", provider: "Hetzner", controlPlanes: cp, workers: n - cp, cni: "Cilium" };
    const go = () =>
      record.recordCluster({
        cluster,
        provider: { hetzner: { serverLimit: n + 10, placementGroupStrategy: "None" } },
        args: { hcloudToken: token },
        outputs: record.hetznerOutputs,
        preview: true,
      });
    const t = await timed(go);
    results.scaling.push({ nodes: n, resources: t.value.resources.length, planMs: round(t.ms), msPerNode: round(t.ms / n, 2) });
    if (n <= 50) {
      const up = await record.recordCluster({
        cluster,
        provider: { hetzner: { serverLimit: n + 10, placementGroupStrategy: "None" } },
        args: { hcloudToken: token },
        outputs: record.hetznerOutputs,
      });
      const c = criticalPath(up.resources);
      results.criticalPath.push({
        cluster: `Talos/Hetzner ${cp}+${n - cp}`,
        nodes: n,
        criticalPath: c.length,
        stages: c.stages,
        chain: c.chain,
      });
    }
  }
  for (const [label, cluster] of [
    ["Talos/Docker 1+1, Flux", { distribution: "Talos", provider: "Docker", workers: 1, gitOpsEngine: "Flux" }],
    ["Talos/Docker 1+9, Flux", { distribution: "Talos", provider: "Docker", workers: 9, gitOpsEngine: "Flux" }],
    ["Vanilla/Docker 1+9", { distribution: "Vanilla", provider: "Docker", workers: 9, certManager: "Enabled" }],
  ]) {
    const up = await record.recordCluster({ cluster });
    const c = criticalPath(up.resources);
    results.criticalPath.push({ cluster: label, nodes: 1 + cluster.workers, criticalPath: c.length, stages: c.stages, chain: c.chain });
  }

  fs.mkdirSync(path.join(root, "bench"), { recursive: true });
  fs.writeFileSync(path.join(root, "bench", "results.json"), `${JSON.stringify(results, null, 2)}\n`);
  const md = markdown(results);
  if (!args.has("--no-readme")) {
    const readme = path.join(root, "README.md");
    const text = fs.readFileSync(readme, "utf8");
    const begin = "<!-- bench:begin -->";
    const end = "<!-- bench:end -->";
    if (text.includes(begin) && text.includes(end)) {
      fs.writeFileSync(readme, text.slice(0, text.indexOf(begin) + begin.length) + "\n" + md + text.slice(text.indexOf(end)));
    } else {
      console.log("README.md has no bench markers; table not inserted");
    }
  }
  process.stdout.write(md);
}

function markdown(r) {
  const lines = [`Measured ${r.date.slice(0, 10)} on Node ${r.node}, ${r.cpus} CPUs (one run each; compare ratios).`, ""];
  lines.push("| Program (mock runtime, preview) | Resources | Plan | Bare program, same count | Ratio |", "|---|---:|---:|---:|---:|");
  for (const e of r.examples) {
    lines.push(
      e.error
        ? `| ${e.example} | – | – | – | ${e.error} |`
        : `| ${e.example} (${e.stack}) | ${e.resources} | ${e.planMs} ms | ${e.bareMs} ms | ${e.ratio}× |`,
    );
  }
  lines.push("", "| Dynamic provider | Serialized `__provider` | Captures the hcloud token |", "|---|---:|---|");
  for (const [t, p] of Object.entries(r.providers).sort())
    lines.push(`| ${t} | ${round(p.bytes / 1024, 2)} KiB | ${p.capturesToken ? "**yes**" : "no"} |`);
  lines.push("", "| Talos/Hetzner nodes | Resources | Plan | Per node |", "|---:|---:|---:|---:|");
  for (const s of r.scaling) lines.push(`| ${s.nodes} | ${s.resources} | ${s.planMs} ms | ${s.msPerNode} ms |`);
  lines.push("", "| Cluster | Nodes | Create critical path | Stages on it |", "|---|---:|---:|---:|");
  for (const c of r.criticalPath) lines.push(`| ${c.cluster} | ${c.nodes} | ${c.criticalPath} | ${c.stages} |`);
  return `${lines.join("\n")}\n`;
}

main().catch((e) => {
  console.error(e && e.stack ? e.stack : e);
  process.exit(1);
});
