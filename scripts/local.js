#!/usr/bin/env node
// `npm run local`: `pulumi up` of examples/local (Talos on Docker) on a local file backend.
//
// Needs the Pulumi CLI and a reachable Docker engine (privileged containers). When either is missing it says
// which, how to get it, and points at `npm run plan:local` (the same program under the mock runtime), and
// exits 0: nothing is wrong with the checkout.
//
// State lives in <repo>/.pulumi-local (PULUMI_BACKEND_URL=file://…), secrets are encrypted with the
// passphrase in PULUMI_CONFIG_PASSPHRASE, default "ksail-local" — a documented local-only passphrase; set your
// own before the first run if the state should be protected. Extra arguments go to `pulumi up`
// (`npm run local -- --yes`, `npm run local -- --stack other`). `npm run local -- destroy` tears it down.
"use strict";
const { spawnSync } = require("node:child_process");
const fs = require("node:fs");
const http = require("node:http");
const path = require("node:path");

const root = path.resolve(__dirname, "..");
const example = path.join(root, "examples", "local");
const LOCAL_PASSPHRASE = "ksail-local";

function pulumiCli() {
  const r = spawnSync("pulumi", ["version"], { encoding: "utf8" });
  return r.error || r.status !== 0 ? undefined : r.stdout.trim();
}

/** The Docker engine's /_ping over its unix socket (DOCKER_HOST=unix://… or /var/run/docker.sock). */
function dockerPing() {
  const host = process.env.DOCKER_HOST ?? "unix:///var/run/docker.sock";
  if (!host.startsWith("unix://")) return Promise.resolve({ ok: true, where: host, note: "(not checked: non-socket DOCKER_HOST)" });
  const socketPath = host.slice("unix://".length);
  if (!fs.existsSync(socketPath)) return Promise.resolve({ ok: false, where: socketPath, why: "no such socket" });
  return new Promise((resolve) => {
    const req = http.get({ socketPath, path: "/_ping", timeout: 5000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200 ? { ok: true, where: socketPath } : { ok: false, where: socketPath, why: `HTTP ${res.statusCode}` });
    });
    req.on("timeout", () => req.destroy(new Error("timed out")));
    req.on("error", (e) => resolve({ ok: false, where: socketPath, why: e.message }));
  });
}

function run(cmd, args, env) {
  const r = spawnSync(cmd, args, { cwd: example, stdio: "inherit", env });
  if (r.error) throw r.error;
  return r.status ?? 1;
}

async function main() {
  const cli = pulumiCli();
  const docker = await dockerPing();
  const missing = [];
  if (!cli)
    missing.push(
      "the Pulumi CLI is not installed (or not on PATH): install it with `curl -fsSL https://get.pulumi.com | sh` (https://www.pulumi.com/docs/install/)",
    );
  if (!docker.ok)
    missing.push(
      `no Docker engine answers at ${docker.where} (${docker.why}): install and start Docker (https://docs.docker.com/engine/install/); the nodes are privileged containers`,
    );
  if (missing.length > 0) {
    console.log("npm run local: cannot create the local cluster on this machine:");
    for (const m of missing) console.log(`  - ${m}`);
    console.log("Meanwhile, `npm run plan:local` shows everything `pulumi up` would create, under the mock runtime.");
    return 0;
  }
  console.log(`Pulumi ${cli}; Docker at ${docker.where} ${docker.note ?? ""}`);

  // The example imports "@ksail/pulumi": build this checkout and link it into the example's node_modules.
  if (
    run(
      process.execPath,
      [path.join(root, "node_modules", "typescript", "bin", "tsc"), "-p", path.join(root, "tsconfig.json")],
      process.env,
    ) !== 0
  )
    return 1;
  const link = path.join(example, "node_modules", "@ksail", "pulumi");
  fs.mkdirSync(path.dirname(link), { recursive: true });
  if (!fs.existsSync(link)) fs.symlinkSync(path.relative(path.dirname(link), root), link, "dir");

  const backend = path.join(root, ".pulumi-local");
  fs.mkdirSync(backend, { recursive: true });
  const env = {
    ...process.env,
    PULUMI_BACKEND_URL: `file://${backend}`,
    PULUMI_CONFIG_PASSPHRASE:
      process.env.PULUMI_CONFIG_PASSPHRASE ?? (process.env.PULUMI_CONFIG_PASSPHRASE_FILE ? undefined : LOCAL_PASSPHRASE),
  };
  const args = process.argv.slice(2);
  const command = args[0] === "destroy" || args[0] === "preview" ? args.shift() : "up";
  const stackAt = args.indexOf("--stack");
  const stack = stackAt >= 0 ? args[stackAt + 1] : "dev";
  if (run("pulumi", ["stack", "select", stack, "--create"], env) !== 0) return 1;
  return run("pulumi", [command, ...(stackAt >= 0 ? [] : ["--stack", stack]), ...args], env);
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(`npm run local: ${err && err.stack ? err.stack : err}`);
    process.exit(1);
  },
);
