// L1: KSailCluster's `mirrors` (KSail's `[user:pass@]host[=upstream]`) decide the mirror containers; upstream
// credentials reach only the mirror container, as the registry's proxy settings REGISTRY_PROXY_USERNAME/PASSWORD
// (distribution/distribution docs/content/recipes/mirror.md), and only as secrets.
import { describe, test } from "node:test";
import * as assert from "node:assert/strict";
import { recordCluster } from "./cluster-record";
import { allPlainStrings } from "../harness/mocks";

describe("KSailCluster mirrors", () => {
  test("the list replaces the defaults; credentials are secret env of that mirror only", async () => {
    const r = await recordCluster({
      cluster: { distribution: "K3s", provider: "Docker" },
      args: { mirrors: ["bot:s3cret-token@ghcr.io", "quay.io"] },
    });
    const mirrors = r.resources.filter((x) => x.type === "docker:index/container:Container" && /-mirror-/.test(x.name));
    assert.deepEqual(mirrors.map((m) => m.name).sort(), ["dev-infra-mirror-ghcr.io", "dev-infra-mirror-quay.io"]);
    const ghcr = mirrors.find((m) => m.name.endsWith("ghcr.io"))!;
    const envs = ghcr.inputs.envs as string[];
    assert.ok(envs.includes("REGISTRY_PROXY_REMOTEURL=https://ghcr.io"));
    assert.ok(envs.includes("REGISTRY_PROXY_USERNAME=bot"));
    assert.ok(envs.includes("REGISTRY_PROXY_PASSWORD=s3cret-token"));
    assert.ok(
      ghcr.secretInputs.some((p) => p.startsWith("envs")),
      "credential envs are secret",
    );
    assert.ok(!allPlainStrings(r).some((s) => s.includes("s3cret-token")), "the password appears in no plain value");
    const quay = mirrors.find((m) => m.name.endsWith("quay.io"))!;
    assert.ok(!(quay.inputs.envs as string[]).some((e) => e.startsWith("REGISTRY_PROXY_USERNAME")));
  });
});
