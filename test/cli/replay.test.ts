// The benchmarks' fair baseline (scripts/replay.js) must register exactly what the program it replays registered:
// the same types, names, parents, dependencies, explicit providers, inputs and secret paths. Otherwise the
// "library overhead over the replay" that `npm run bench` reports would measure something else.
import { describe, test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { runProgramUnderMocks, type MockRunResult } from "../../sdk/cli/mockrun";
import { repoRoot } from "../harness/paths";

const replay = require(path.join(repoRoot(), "scripts", "replay.js")) as {
  replayProgram(r: MockRunResult): { dir: string; constructors: { kind: string; path?: string[] }[] };
};

const view = (r: MockRunResult) =>
  r.resources
    .map((x) => ({
      type: x.type,
      name: x.name,
      parent: x.parent,
      dependencies: [...x.dependencies].sort(),
      provider: x.wire?.provider,
      inputs: x.inputs,
      secrets: x.wire?.secrets,
    }))
    .sort((a, b) => a.name.localeCompare(b.name));

describe("benchmark replay", () => {
  test("examples/local replayed: same registrations, through the SDK classes, without the library", async () => {
    const recorded = await runProgramUnderMocks({ dir: path.join(repoRoot(), "examples", "local"), wire: true });
    const r = replay.replayProgram(recorded);
    try {
      const program = fs.readFileSync(path.join(r.dir, "index.js"), "utf8");
      assert.ok(!program.includes("@ksail/pulumi"), "the replay does not use the library");
      const replayed = await runProgramUnderMocks({ dir: r.dir, wire: true });
      assert.deepEqual(view(replayed), view(recorded));
      const classes = r.constructors.filter((c) => c.kind === "class").map((c) => c.path!.join("."));
      for (const c of ["Container", "Network", "Volume", "Provider", "helm.v3.Release"]) assert.ok(classes.includes(c), c);
    } finally {
      fs.rmSync(r.dir, { recursive: true, force: true });
    }
  });
});
