#!/usr/bin/env node
"use strict";
// Fresh-clone check (slow: a full `npm ci` and a build, 1–3 minutes; not part of `npm test`, run it in CI or
// by hand): clones the committed HEAD of this repository into a temp dir and checks what the README promises
// a new user:
//   1. `npm ci` alone builds dist/ (the `prepare` script), `npx ksail-pulumi --help` works and `npm run local`
//      runs (it exits 0 saying what is missing when there is no Pulumi CLI or Docker engine);
//   2. a scratch Pulumi project depending on the clone by `file:` installs, and `ksail-pulumi plan` runs its
//      program (a KSailCluster) under the mock runtime.
// `npm test` in the clone (the README's second line) is the full suite: run it yourself there with `--keep`.
// Exits non-zero with the failing step. `--keep` leaves the temp dir for inspection.
const { execFileSync } = require("node:child_process");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");

const root = path.resolve(__dirname, "..");
const keep = process.argv.includes("--keep");
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ksail-fresh-clone-"));
const clone = path.join(dir, "clone");
const scratch = path.join(dir, "scratch");
// Interrupted (Ctrl-C, a CI timeout): remove the temp dir all the same.
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => {
    if (!keep) fs.rmSync(dir, { recursive: true, force: true });
    process.exit(130);
  });
}
const env = { ...process.env, npm_config_audit: "false", npm_config_fund: "false", npm_config_update_notifier: "false" };

function step(title, cmd, args, cwd) {
  const started = Date.now();
  process.stdout.write(`fresh-clone: ${title} … `);
  try {
    const out = execFileSync(cmd, args, { cwd, env, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    console.log(`ok (${((Date.now() - started) / 1000).toFixed(1)} s)`);
    return out;
  } catch (e) {
    console.log("FAILED");
    console.error(`${cmd} ${args.join(" ")} (in ${cwd}) exited ${e.status}\n${e.stdout ?? ""}${e.stderr ?? ""}`);
    process.exitCode = 1;
    throw e;
  }
}

try {
  step("git clone (committed HEAD)", "git", ["clone", "--quiet", "--no-hardlinks", root, clone], dir);
  step("npm ci (prepare builds dist/)", "npm", ["ci"], clone);
  if (!fs.existsSync(path.join(clone, "dist/sdk/index.js"))) throw new Error("npm ci left no dist/sdk/index.js");
  const help = step("npx ksail-pulumi --help", "npx", ["--no-install", "ksail-pulumi", "--help"], clone);
  if (!/plan/.test(help)) throw new Error(`--help does not list the plan command:\n${help}`);
  // The README's first quick-start line: without the Pulumi CLI or Docker it says which is missing and exits 0.
  const local = step("npm run local (the README's quick start)", "npm", ["run", "--silent", "local"], clone);
  process.stdout.write(`${local.trimEnd().replace(/^/gm, "  | ")}\n`);

  fs.mkdirSync(scratch);
  fs.writeFileSync(
    path.join(scratch, "package.json"),
    JSON.stringify({ name: "scratch", private: true, main: "index.js", dependencies: { "@ksail/pulumi": `file:${clone}` } }, null, 2),
  );
  fs.writeFileSync(path.join(scratch, "Pulumi.yaml"), "name: scratch\nruntime: nodejs\n");
  fs.writeFileSync(
    path.join(scratch, "index.js"),
    [
      'const { KSailCluster } = require("@ksail/pulumi");',
      'const cluster = new KSailCluster("dev", { spec: { cluster: { distribution: "Vanilla" } } });',
      "exports.endpoint = cluster.endpoint;",
      "",
    ].join("\n"),
  );
  step("npm install in a scratch project depending on the clone by file:", "npm", ["install"], scratch);
  const plan = step(
    "ksail-pulumi plan of the scratch project",
    "node",
    [path.join(clone, "bin/ksail-pulumi.js"), "plan", scratch],
    scratch,
  );
  for (const want of ["dev-secrets", "dev-kubernetes", "dev-cni-ready"]) {
    if (!plan.includes(want)) throw new Error(`the plan does not show ${want}:\n${plan}`);
  }
  console.log("fresh-clone: all steps passed");
} catch (e) {
  process.exitCode = 1;
  if (!(e && e.status !== undefined)) console.error(`fresh-clone: ${e && e.message ? e.message : e}`);
} finally {
  if (keep) console.log(`fresh-clone: kept ${dir}`);
  else fs.rmSync(dir, { recursive: true, force: true });
}
