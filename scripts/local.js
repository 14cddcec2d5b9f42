#!/usr/bin/env node
// `npm run local`: `pulumi up` of examples/local on a local file backend. Until that example exists,
// says what is missing.
"use strict";
const fs = require("node:fs");
const path = require("node:path");
const root = path.resolve(__dirname, "..");
if (!fs.existsSync(path.join(root, "examples", "local", "Pulumi.yaml"))) {
  console.log("examples/local is not there yet (see the open issues); nothing to run.");
  process.exit(0);
}
