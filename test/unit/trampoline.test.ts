// L0/L2-lite: the trampoline's specifier rules, and a serialization round trip that loads the serialized
// provider the way the dynamic-provider host does (require-from-string, `.handler()`), from the compiled
// test tree or from sources under tsx alike. The full gRPC round trip is test/engine/harness.test.ts.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { implSpecifier, trampoline } from "../../sdk/dynamic/trampoline";

test("implSpecifier: installed package → package specifier; source checkout → absolute path without extension", () => {
  assert.equal(
    implSpecifier("/home/u/proj/node_modules/@ksail/pulumi/dist/sdk/dynamic/talos-machine.impl.js"),
    "@ksail/pulumi/dist/sdk/dynamic/talos-machine.impl.js",
  );
  assert.equal(
    implSpecifier("/p/node_modules/.pnpm/@ksail+pulumi@0.1.0/node_modules/@ksail/pulumi/dist/sdk/x.impl.js"),
    "@ksail/pulumi/dist/sdk/x.impl.js",
  );
  assert.equal(implSpecifier("/work/repo/dist/sdk/dynamic/x.impl.js"), "/work/repo/dist/sdk/dynamic/x.impl");
  assert.equal(implSpecifier("/work/repo/sdk/dynamic/x.impl.ts"), "/work/repo/sdk/dynamic/x.impl");
  assert.equal(implSpecifier("/work/repo/sdk/dynamic/x.impl"), "/work/repo/sdk/dynamic/x.impl");
});

test("trampoline: only the listed methods exist; create always does", () => {
  const p = trampoline("/nowhere/x.impl.js", "handler", ["check", "delete"]) as unknown as Record<string, unknown>;
  assert.deepEqual(Object.keys(p).sort(), ["check", "create", "delete"]);
});

test("trampoline: serialized text is small, holds only the specifier, and dispatches into the impl module", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ksail-tramp-"));
  try {
    const impl = path.join(dir, "echo.impl.js");
    fs.writeFileSync(
      impl,
      `exports.handler = { calls: [],
         async check(o, n) { this.calls.push("check"); return { inputs: { ...n, checked: true } }; },
         async create(i) { this.calls.push("create"); return { id: "e1", outs: { ...i, made: 1 } }; },
         async delete(id) { this.calls.push("delete:" + id); } };`,
    );
    const provider = trampoline(impl, "handler", ["check", "delete"]);
    const sf = await pulumi.runtime.serializeFunction(() => provider, { allowSecrets: false });
    assert.ok(sf.text.length < 2048, `serialized trampoline is ${sf.text.length} bytes`);
    assert.equal(sf.containsSecrets, false);
    assert.ok(sf.text.includes(JSON.stringify(impl.replace(/\.js$/, ""))));
    assert.ok(!sf.text.includes("calls.push"), "the implementation must not be serialized");
    const requireFromString = require("require-from-string");
    const loaded = requireFromString(sf.text).handler();
    assert.deepEqual(await loaded.check({}, { a: 1 }), { inputs: { a: 1, checked: true } });
    assert.deepEqual(await loaded.create({ a: 1 }), { id: "e1", outs: { a: 1, made: 1 } });
    await loaded.delete("e1", {});
    assert.deepEqual(require(impl).handler.calls, ["check", "create", "delete:e1"]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
