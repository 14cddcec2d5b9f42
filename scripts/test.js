#!/usr/bin/env node
// `npm test`: typecheck + compile (tsc), lint (eslint), then every test with Node's built-in runner.
// Tests run from the compiled JavaScript in dist/ so that dynamic providers are serialized exactly as
// users get them. Pass file filters as arguments to run a subset: `npm test -- impact`.
"use strict";
const { spawn, spawnSync } = require("node:child_process");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");

const root = path.resolve(__dirname, "..");
const bin = (name) => path.join(root, "node_modules", ".bin", name);

function run(label, cmd, args) {
  const started = Date.now();
  process.stdout.write(`\n▶ ${label}\n`);
  const r = spawnSync(cmd, args, { cwd: root, stdio: "inherit" });
  const secs = ((Date.now() - started) / 1000).toFixed(1);
  if (r.status !== 0) {
    process.stdout.write(`✖ ${label} failed after ${secs}s\n`);
    process.exit(r.status ?? 1);
  }
  process.stdout.write(`✔ ${label} (${secs}s)\n`);
}

function testFiles(dir) {
  if (!fs.existsSync(dir)) return [];
  const out = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...testFiles(p));
    else if (entry.name.endsWith(".test.js")) out.push(p);
  }
  return out.sort();
}

const filters = process.argv.slice(2);
// One test file per core at a time. The suite is CPU-bound (about 140 s of CPU for the test phase), so more
// processes only add switching, and tests with real deadlines (fakes, retries) then run slower: on a 2-core
// machine the test phase took 175 s at 2, 209 s at 4 and 307 s at 8 (one run each, a shared and noisy machine).
// KSAIL_TEST_CONCURRENCY overrides.
const concurrency = Number(process.env.KSAIL_TEST_CONCURRENCY) || os.availableParallelism();
fs.rmSync(path.join(root, "dist"), { recursive: true, force: true });
run("typecheck and compile (tsc)", bin("tsc"), ["-p", "tsconfig.json"]);
if (filters.length === 0) run("lint (eslint)", bin("eslint"), ["--max-warnings", "0", "sdk", "test", "bin", "scripts", "examples"]);
if (filters.length === 0) run("format (prettier --check)", bin("prettier"), ["--check", "--log-level", "warn", "."]);

let files = testFiles(path.join(root, "dist", "test"));
if (filters.length > 0) files = files.filter((f) => filters.some((x) => f.includes(x)));
if (files.length === 0) {
  process.stdout.write("no test files matched\n");
  process.exit(1);
}
// Output that is noise, not a result: runtime warnings a test provoked. Each has been traced to its cause and
// fixed there (an IP sent as TLS server name; a stack output the program left undefined); this keeps it so.
const NOISE = [/\[DEP\d{4}\]/, /DeprecationWarning/, /ExperimentalWarning/, /Undefined value \(.*\) will not show as a stack output/];

const started = Date.now();
const label = `tests (${files.length} files)`;
process.stdout.write(`\n▶ ${label}\n`);
const child = spawn(
  process.execPath,
  [
    "--test",
    "--test-reporter=spec",
    "--test-reporter-destination=stdout",
    `--test-reporter=${path.join(__dirname, "test-slowest.js")}`,
    "--test-reporter-destination=stdout",
    `--test-concurrency=${concurrency}`,
    ...files.map((f) => path.relative(root, f)),
  ],
  { cwd: root, stdio: ["ignore", "pipe", "pipe"] },
);
const noise = [];
const scan = (out) => {
  let rest = "";
  return (chunk) => {
    out.write(chunk);
    const lines = (rest + chunk.toString("utf8")).split("\n");
    rest = lines.pop();
    for (const l of lines) if (NOISE.some((re) => re.test(l))) noise.push(l.trim());
  };
};
child.stdout.on("data", scan(process.stdout));
child.stderr.on("data", scan(process.stderr));
child.on("close", (code) => {
  const secs = ((Date.now() - started) / 1000).toFixed(1);
  if (code !== 0) {
    process.stdout.write(`✖ ${label} failed after ${secs}s\n`);
    process.exit(code ?? 1);
  }
  if (noise.length > 0) {
    process.stdout.write(
      `✖ ${label} passed but printed runtime warnings (fix their cause):\n${[...new Set(noise)].map((l) => `  ${l}`).join("\n")}\n`,
    );
    process.exit(1);
  }
  process.stdout.write(`✔ ${label} (${secs}s)\n`);
});
