// L1: the mock runner behind `ksail-pulumi plan` and the benchmarks turns off stack capture and source maps while
// the program runs (the Pulumi SDK captures a stack per output promise and per resource; with tsx's source maps
// on, each is mapped back to TypeScript) and restores both afterwards, also when the program fails.
import { describe, test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { runProgramUnderMocks, withoutStackCapture } from "../../sdk/cli/mockrun";

/** A Pulumi project directory whose program records what it saw in `globalThis.__seen`. */
function program(body: string, file = "index.js"): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ksail-mockrun-"));
  fs.writeFileSync(path.join(dir, "Pulumi.yaml"), `name: seen\nruntime: nodejs\nmain: ${file}\n`);
  fs.writeFileSync(
    path.join(dir, file),
    `const pulumi = require("@pulumi/pulumi");\nglobalThis.__seen = { limit: Error.stackTraceLimit, maps: process.sourceMapsEnabled };\n${body}\n`,
  );
  return dir;
}

const seen = () => (globalThis as unknown as { __seen?: { limit: number; maps: boolean } }).__seen;

describe("mock runner: no stack capture while the program runs", () => {
  test("stack traces and source maps are off inside the program and restored after it", async () => {
    const dir = program(`new pulumi.CustomResource("test:index:Thing", "a", { x: "1" });`);
    try {
      const limit = Error.stackTraceLimit;
      process.setSourceMapsEnabled(true);
      const r = await runProgramUnderMocks({ dir });
      assert.deepEqual(
        r.resources.map((x) => x.name),
        ["a"],
      );
      assert.deepEqual(seen(), { limit: 0, maps: false });
      assert.equal(Error.stackTraceLimit, limit);
      assert.equal(process.sourceMapsEnabled, true);
      process.setSourceMapsEnabled(false);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test("a TypeScript program (tsx): off inside, and tsx's registration leaves the setting as it was", async () => {
    const dir = program(`new pulumi.CustomResource("test:index:Thing", "b", {});`, "index.ts");
    try {
      assert.equal(process.sourceMapsEnabled, false);
      await runProgramUnderMocks({ dir });
      assert.deepEqual(seen(), { limit: 0, maps: false });
      assert.equal(process.sourceMapsEnabled, false);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test("a failing program: its message comes through and both settings are restored", async () => {
    const dir = program(`throw new Error("no cluster for you");`);
    try {
      const limit = Error.stackTraceLimit;
      await assert.rejects(runProgramUnderMocks({ dir }), /no cluster for you/);
      assert.equal(Error.stackTraceLimit, limit);
      assert.equal(process.sourceMapsEnabled, false);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test("overlapping windows (concurrent recordings) restore once, when the last ends", () => {
    const limit = Error.stackTraceLimit;
    const a = withoutStackCapture();
    const b = withoutStackCapture();
    a();
    assert.equal(Error.stackTraceLimit, 0, "still inside b's window");
    a();
    assert.equal(Error.stackTraceLimit, 0, "a second call of a's restore does nothing");
    b();
    assert.equal(Error.stackTraceLimit, limit);
  });
});
