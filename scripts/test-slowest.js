// A node:test reporter for `npm test`: after the run, the five test files that took longest (the sum of their
// top-level tests, which run one after another within a file), so a slow file is noticed when it appears.
"use strict";
const path = require("node:path");

module.exports = async function* slowest(source) {
  const perFile = new Map();
  for await (const event of source) {
    if ((event.type === "test:pass" || event.type === "test:fail") && event.data.nesting === 0 && event.data.file) {
      const ms = event.data.details?.duration_ms ?? 0;
      perFile.set(event.data.file, (perFile.get(event.data.file) ?? 0) + ms);
    }
  }
  const top = [...perFile].sort((a, b) => b[1] - a[1]).slice(0, 5);
  if (top.length === 0) return;
  yield `\nslowest test files:\n${top.map(([f, ms]) => `  ${(ms / 1000).toFixed(1).padStart(6)}s  ${path.relative(process.cwd(), f)}`).join("\n")}\n`;
};
