// L1: where the Hetzner token comes from in a program: `hcloud:token` secret config first, then the
// spec's tokenEnvVar, then HCLOUD_TOKEN; always a secret Output; undefined when nothing is set.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { recordProgram, settle } from "../harness/mocks";
import { hetznerToken } from "../../sdk/infra/hetzner/token";

async function tokenWith(config: Record<string, string>, env: Record<string, string | undefined>, tokenEnvVar?: string) {
  const saved = { ...process.env };
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  try {
    let result: Awaited<ReturnType<typeof settle<string>>> | undefined | "none";
    await recordProgram(
      async () => {
        const t = hetznerToken(tokenEnvVar);
        result = t === undefined ? "none" : await settle(t);
      },
      { config, secretKeys: Object.keys(config) },
    );
    return result;
  } finally {
    process.env = saved;
  }
}

test("config hcloud:token wins and stays secret", async () => {
  assert.deepEqual(await tokenWith({ "hcloud:token": "from-config" }, { MY_TOKEN: "from-env", HCLOUD_TOKEN: "default" }, "MY_TOKEN"), {
    known: true,
    secret: true,
    value: "from-config",
  });
});

test("then the spec's tokenEnvVar, then HCLOUD_TOKEN, wrapped as secrets", async () => {
  assert.deepEqual(await tokenWith({}, { MY_TOKEN: "from-env", HCLOUD_TOKEN: "default" }, "MY_TOKEN"), {
    known: true,
    secret: true,
    value: "from-env",
  });
  assert.deepEqual(await tokenWith({}, { MY_TOKEN: undefined, HCLOUD_TOKEN: "default" }, "MY_TOKEN"), {
    known: true,
    secret: true,
    value: "default",
  });
});

test("nothing set: undefined (the caller decides whether that is an error)", async () => {
  assert.equal(await tokenWith({}, { MY_TOKEN: undefined, HCLOUD_TOKEN: undefined }, "MY_TOKEN"), "none");
});
