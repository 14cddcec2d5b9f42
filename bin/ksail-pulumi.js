#!/usr/bin/env node
"use strict";
// The command line lives in the compiled SDK; this file only starts it.
// Node ≥ 22.1 keeps compiled code of loaded modules on disk between runs (a faster start for every command);
// on older Node the call does not exist and nothing changes.
require("node:module").enableCompileCache?.();
require("../dist/sdk/cli/main.js")
  .main(process.argv.slice(2))
  .then(
    (code) => process.exit(code),
    (err) => {
      console.error(`ksail-pulumi: internal error: ${err && err.stack ? err.stack : err}`);
      process.exit(70);
    },
  );
