#!/usr/bin/env node
// `npm test`: typecheck + compile (tsc), lint (eslint), then every test with Node's built-in runner.
// Tests run from the compiled JavaScript in dist/ so that dynamic providers are serialized exactly as
// users get them. Pass file filters as arguments to run a subset: `npm test -- impact`.
"use strict";
const { spawnSync } = require("node:child_process");
const fs = require("node:fs");
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
run(`tests (${files.length} files)`, process.execPath, [
  "--test",
  "--test-reporter=spec",
  "--test-concurrency=4",
  ...files.map((f) => path.relative(root, f)),
]);
