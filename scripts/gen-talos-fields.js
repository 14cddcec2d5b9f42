#!/usr/bin/env node
// Regenerates sdk/distributions/talos/fields.json: for each supported Talos minor, the YAML field tree Talos's
// machine-config decoder accepts (the v1alpha1 document and every document kind that minor knows), read from the
// Go types of siderolabs/talos pkg/machinery by the talosfields peer (test/peers/talosfields, built per version by
// scripts/tools/build.sh talosfields). A type whose fields are the same as in an older minor is stored once: the
// newer minor names the minor that holds it.
//
//   npx tsc -p tsconfig.json && scripts/tools/build.sh talosfields && node scripts/gen-talos-fields.js
"use strict";
const fs = require("node:fs");
const path = require("node:path");
const { execFileSync } = require("node:child_process");

const root = path.resolve(__dirname, "..");
const versions = /^TALOSVALIDATE_VERSIONS="([^"]*)"/m
  .exec(fs.readFileSync(path.join(root, "scripts/tools/versions.sh"), "utf8"))[1]
  .split(/\s+/)
  .filter(Boolean);
const cache = process.env.KSAIL_TOOLS_CACHE || path.join(require("node:os").homedir(), ".cache/ksail-pulumi/tools");
const { KNOWN_DOCUMENT_KINDS } = require(path.join(root, "dist/sdk/distributions/talos/classify"));

const out = {};
const stored = []; // [minor, name, json] of every type definition written in full
for (const v of versions) {
  const minor = v.replace(/^v/, "").split(".").slice(0, 2).join(".");
  // The cache key scripts/tools/build.sh gives it: the version and the first 8 hex digits of the source's sha256.
  const rev = require("node:crypto")
    .createHash("sha256")
    .update(fs.readFileSync(path.join(root, "test/peers/talosfields/main.go")))
    .digest("hex")
    .slice(0, 8);
  const bin = path.join(cache, `talosfields-${v}-${rev}`, "talosfields");
  if (!fs.existsSync(bin)) throw new Error(`${bin} is not built; run scripts/tools/build.sh talosfields`);
  const dump = JSON.parse(execFileSync(bin, KNOWN_DOCUMENT_KINDS[minor], { encoding: "utf8", maxBuffer: 64 << 20 }));
  const types = {};
  for (const name of Object.keys(dump.types).sort()) {
    const json = JSON.stringify(dump.types[name]);
    const same = stored.find(([, n, j]) => n === name && j === json);
    if (same) types[name] = same[0];
    else {
      types[name] = dump.types[name];
      stored.push([minor, name, json]);
    }
  }
  const documents = Object.fromEntries(
    Object.keys(dump.documents)
      .sort()
      .map((k) => [k, dump.documents[k]]),
  );
  out[minor] = { machinery: v, documents, types };
}
fs.writeFileSync(path.join(root, "sdk/distributions/talos/fields.json"), `${JSON.stringify(out)}\n`);
