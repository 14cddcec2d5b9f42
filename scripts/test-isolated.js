#!/usr/bin/env node
// `npm run test:isolated [-- filters]`: runs `npm test` from a fresh clone of this repository in an empty
// temporary directory, so nothing the tests could read sits beside it (no data folder or other checkout beside the clone).
// The clone holds HEAD plus the uncommitted changes to tracked files (`git stash create`); untracked files are
// not copied (`git add` them first). node_modules is a symlink to this checkout's (installed packages only).
"use strict";
const { spawnSync } = require("node:child_process");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");

const root = path.resolve(__dirname, "..");
const git = (args, cwd = root) => {
  const r = spawnSync("git", args, { cwd, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`git ${args.join(" ")}: ${r.stderr.trim()}`);
  return r.stdout.trim();
};

const base = fs.mkdtempSync(path.join(os.tmpdir(), "ksail-isolated-"));
const clone = path.join(base, "repo");
let code;
try {
  const rev = git(["stash", "create"]) || git(["rev-parse", "HEAD"]);
  git(["clone", "--quiet", "--shared", "--no-checkout", root, clone]);
  git(["checkout", "--quiet", "--detach", rev], clone);
  fs.symlinkSync(path.join(root, "node_modules"), path.join(clone, "node_modules"), "dir");
  const beside = fs.readdirSync(base).filter((f) => f !== "repo");
  if (beside.length > 0 || fs.existsSync(path.join(clone, "..", "shared"))) throw new Error(`${base} is not empty: ${beside.join(", ")}`);
  process.stdout.write(`isolated clone of ${rev.slice(0, 12)} at ${clone} (nothing beside it)\n`);
  const r = spawnSync(process.execPath, [path.join(clone, "scripts", "test.js"), ...process.argv.slice(2)], {
    cwd: clone,
    stdio: "inherit",
  });
  code = r.status ?? 1;
} finally {
  fs.rmSync(base, { recursive: true, force: true });
}
process.exit(code);
