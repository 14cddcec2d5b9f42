#!/usr/bin/env node
// `npm run bench`: the measurements below, written to bench/results.json and, as markdown tables, into README.md
// between the `bench:begin`/`bench:end` markers (generated: edit this script, not the README section).
//
//   1. Plan time of both examples under the mock runtime (`ksail-pulumi plan`'s runner, median of 5 warm runs)
//      against two baselines in the same runner: the replay (scripts/replay.js: the same resource types through
//      the same SDK classes, names, parents, dependencies, providers and inputs, none of the library's own
//      work; plan/replay is the library's overhead, target ≤ 1.1×) and a bare program registering as many
//      one-input resources (plan/bare adds the SDK's per-class cost, e.g. a docker.Container's 127 outputs).
//   2. CLI start-up: `ksail-pulumi validate` and `diff` against `node -e 0`, alternated, median of 10 pairs of
//      wall times (target ≤ 3×: each command loads only what it needs).
//   3. Serialized size of each dynamic provider's `__provider` (a thin trampoline; target a few KiB).
//   4. Plan time of a Talos-on-Hetzner KSailCluster with 1, 10, 50 and 200 nodes (growth should be linear).
//   5. Create critical path (longest dependency chain of resources the engine creates) vs the stage count
//      (that chain with consecutive resources of one type counted once): equal means every node and every
//      phase-1 component is created in parallel. And the longest chain weighted by realistic stage durations
//      (ISO install 240 s, ISO detach 60 s, bootstrap 120 s, readiness and a Helm release 60 s each): it does not
//      grow with the node count when nodes are created in parallel.
//
// Flags: --no-build (use dist/ as is), --no-readme (results file only). Timings are wall clock on this machine;
// compare ratios, not absolute numbers.
"use strict";
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const { spawnSync } = require("node:child_process");
const { replayProgram } = require("./replay");

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
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
/** Median wall time of `runs` warm runs (after one warm-up: module loading, TypeScript compilation). */
async function medianMs(fn, runs = 5) {
  await fn();
  const ms = [];
  for (let i = 0; i < runs; i++) ms.push((await timed(fn)).ms);
  return median(ms);
}

/** Start-up of a CLI command against `node -e 0`: alternated runs, median of the per-pair ratios of wall time. */
function startup(label, args, runs = 10) {
  const wall = (argv) => {
    const t0 = now();
    const r = spawnSync(process.execPath, argv, { cwd: root, stdio: "ignore" });
    if (r.status !== 0) throw new Error(`${argv.join(" ")} exited ${r.status}`);
    return now() - t0;
  };
  const cmd = [path.join(root, "bin", "ksail-pulumi.js"), ...args];
  wall(cmd);
  wall(["-e", "0"]);
  const a = [];
  const b = [];
  for (let i = 0; i < runs; i++) {
    a.push(wall(cmd));
    b.push(wall(["-e", "0"]));
  }
  return {
    command: `ksail-pulumi ${label}`,
    ms: round(median(a)),
    nodeMs: round(median(b)),
    ratio: round(median(a.map((x, i) => x / b[i])), 2),
  };
}

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

/**
 * Realistic duration of creating one resource, in seconds (the project's performance targets): a Talos install from the ISO 240 s, the ISO
 * detach 60 s, the etcd bootstrap 120 s, a readiness gate and a Helm release 60 s each; everything else 0 (the figures
 * compare orderings, not clouds).
 */
function stageSeconds(r) {
  const t = r.type;
  if (t.endsWith(":TalosMachine")) return r.inputs?.maintenance === true ? 240 : 0;
  if (t.endsWith(":HcloudIsoDetach")) return 60;
  if (t.endsWith(":TalosBootstrap")) return 120;
  if (t.endsWith(":ClusterReadiness")) return 60;
  if (t === "kubernetes:helm.sh/v3:Release") return 60;
  return 0;
}

/**
 * Longest chain of engine-created resources (custom, not providers) by dependencies, counted in resources, and the
 * longest by realistic duration (`seconds`, with its own chain): parallel creates only show in the second.
 */
function criticalPath(resources) {
  const nodes = resources.filter((r) => r.custom && !r.type.startsWith("pulumi:providers:"));
  const byName = new Map(nodes.map((n) => [n.name, n]));
  const deps = new Map(nodes.map((n) => [n.name, (n.options?.dependencies ?? n.dependencies ?? []).filter((d) => byName.has(d))]));
  const longestBy = (weight) => {
    const memo = new Map();
    const chain = (n) => {
      if (!memo.has(n)) {
        let best = { w: 0, path: [] };
        for (const d of deps.get(n)) {
          const c = chain(d);
          if (c.w > best.w || (c.w === best.w && c.path.length > best.path.length)) best = c;
        }
        memo.set(n, { w: best.w + weight(byName.get(n)), path: [...best.path, n] });
      }
      return memo.get(n);
    };
    let longest = { w: 0, path: [] };
    for (const n of byName.keys()) {
      const c = chain(n);
      if (c.w > longest.w || (c.w === longest.w && c.path.length > longest.path.length)) longest = c;
    }
    return longest;
  };
  const byCount = longestBy(() => 1);
  const byTime = longestBy(stageSeconds);
  const types = byCount.path.map((n) => byName.get(n).type);
  const stages = types.filter((t, i) => i === 0 || t !== types[i - 1]);
  return { length: byCount.path.length, stages: stages.length, chain: byCount.path, seconds: byTime.w, timedChain: byTime.path };
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
    startup: [],
    providers: {},
    scaling: [],
    criticalPath: [],
  };

  // 1. Examples vs the replay of what they register, and vs a bare program with as many resources.
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
      const recorded = await runProgramUnderMocks({ dir, stack: ex.stack, preview: true, config: ex.config, wire: true });
      const n = recorded.resources.length;
      const planMs = await medianMs(() => runProgramUnderMocks({ dir, stack: ex.stack, preview: true, config: ex.config }));
      const replay = replayProgram(recorded);
      const replayMs = await medianMs(() => runProgramUnderMocks({ dir: replay.dir, preview: true }));
      fs.rmSync(replay.dir, { recursive: true, force: true });
      const bareDir = bareProgram(n);
      const bareMs = await medianMs(() => runProgramUnderMocks({ dir: bareDir, preview: true }));
      fs.rmSync(bareDir, { recursive: true, force: true });
      results.examples.push({
        example: ex.dir,
        stack: ex.stack,
        resources: n,
        planMs: round(planMs),
        replayMs: round(replayMs),
        bareMs: round(bareMs),
        overReplay: round(planMs / replayMs, 2),
        overBare: round(planMs / bareMs, 2),
      });
    } catch (e) {
      results.examples.push({ example: ex.dir, error: String(e && e.message ? e.message : e).split("\n")[0] });
    }
  }

  // 2. CLI start-up against `node -e 0`.
  results.startup = [
    startup("validate", ["validate", "examples/local/ksail.yaml"]),
    startup("diff", ["diff", "test/fixtures/impact/talos-hetzner.yaml", "test/fixtures/impact/talos-hetzner-reboot.yaml"]),
  ];

  // 3. Serialized dynamic providers, from real registrations (Talos on Docker and on Hetzner).
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

  // 4 and 5. Plan time and critical path by node count (Talos on Hetzner: 3 control planes from 3 nodes).
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
        seconds: c.seconds,
        chain: c.chain,
        timedChain: c.timedChain,
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
    results.criticalPath.push({
      cluster: label,
      nodes: 1 + cluster.workers,
      criticalPath: c.length,
      stages: c.stages,
      seconds: c.seconds,
      chain: c.chain,
      timedChain: c.timedChain,
    });
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
      const next = text.slice(0, text.indexOf(begin) + begin.length) + "\n" + md + text.slice(text.indexOf(end));
      // The README is prettier-formatted (npm test checks it): format the generated tables the same way.
      const prettier = require("prettier");
      const options = (await prettier.resolveConfig(readme)) ?? {};
      fs.writeFileSync(readme, await prettier.format(next, { ...options, filepath: readme }));
    } else {
      console.log("README.md has no bench markers; table not inserted");
    }
  }
  process.stdout.write(md);
}

function markdown(r) {
  const lines = [
    `Measured ${r.date.slice(0, 10)} on Node ${r.node}, ${r.cpus} CPUs (plan times: median of 5 warm runs; compare ratios).`,
    "",
  ];
  lines.push(
    "| Program (mock runtime, preview) | Resources | Plan | Replay (same registrations) | Plan / replay | Bare program, same count | Plan / bare |",
    "|---|---:|---:|---:|---:|---:|---:|",
  );
  for (const e of r.examples) {
    lines.push(
      e.error
        ? `| ${e.example} | – | – | – | – | – | ${e.error} |`
        : `| ${e.example} (${e.stack}) | ${e.resources} | ${e.planMs} ms | ${e.replayMs} ms | ${e.overReplay}× | ${e.bareMs} ms | ${e.overBare}× |`,
    );
  }
  lines.push("", "| CLI start-up | Median | `node -e 0` | Ratio |", "|---|---:|---:|---:|");
  for (const s of r.startup) lines.push(`| \`${s.command}\` | ${s.ms} ms | ${s.nodeMs} ms | ${s.ratio}× |`);
  lines.push("", "| Dynamic provider | Serialized `__provider` | Captures the hcloud token |", "|---|---:|---|");
  for (const [t, p] of Object.entries(r.providers).sort())
    lines.push(`| ${t} | ${round(p.bytes / 1024, 2)} KiB | ${p.capturesToken ? "**yes**" : "no"} |`);
  lines.push("", "| Talos/Hetzner nodes | Resources | Plan | Per node |", "|---:|---:|---:|---:|");
  for (const s of r.scaling) lines.push(`| ${s.nodes} | ${s.resources} | ${s.planMs} ms | ${s.msPerNode} ms |`);
  lines.push("", "| Cluster | Nodes | Create critical path | Stages on it | Weighted by stage durations |", "|---|---:|---:|---:|---:|");
  for (const c of r.criticalPath) lines.push(`| ${c.cluster} | ${c.nodes} | ${c.criticalPath} | ${c.stages} | ${c.seconds} s |`);
  return `${lines.join("\n")}\n`;
}

main().catch((e) => {
  console.error(e && e.stack ? e.stack : e);
  process.exit(1);
});
