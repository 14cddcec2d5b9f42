// L0: the pure helpers behind the installers — MetalLB range, autoscaler cluster config (size limit),
// GitOps source resolution, deep merge, durations.
import { describe, test } from "node:test";
import * as assert from "node:assert/strict";
import * as crypto from "node:crypto";
import * as zlib from "node:zlib";
import {
  metallbAddressRange,
  hcloudClusterConfig,
  autoscaledWorkerConfig,
  maxCloudInitBytes,
  resolveSource,
  fluxInstanceSpec,
} from "../../sdk/components/values";
import { deepMerge } from "../../sdk/components/merge";
import { sanitizeRepoName } from "../../sdk/config/registry";
import { durationSeconds } from "../../sdk/plan/components";
import { isKsailError } from "../../sdk/errors";

describe("metallbAddressRange", () => {
  test("top of the network, clear of nodes (bottom) and Talos mirror registries (.240+ on a /24)", () => {
    assert.equal(metallbAddressRange("172.18.0.0/16"), "172.18.255.200-172.18.255.250");
    assert.equal(metallbAddressRange("172.19.0.0/16"), "172.19.255.200-172.19.255.250");
    assert.equal(metallbAddressRange("10.5.0.0/24"), "10.5.0.200-10.5.0.239");
    assert.equal(metallbAddressRange("192.168.16.0/20"), "192.168.31.200-192.168.31.250");
    assert.equal(metallbAddressRange(" 10.89.0.5/23 "), "10.89.1.200-10.89.1.250", "host bits ignored");
  });
  test("rejects what is not an IPv4 subnet of at least a /24, naming the fix", () => {
    for (const bad of ["fd00::/64", "10.5.0.0", "10.5.0.0/25", "300.1.1.1/16"]) {
      assert.throws(
        () => metallbAddressRange(bad),
        (e: unknown) => isKsailError(e) && /dockerNetworkCidr/.test(e.message) && /set `addresses`/.test(e.message),
        bad,
      );
    }
  });
});

describe("autoscaler cluster config", () => {
  const worker =
    "version: v1alpha1\nmachine:\n  type: worker\n  install:\n    disk: /dev/sda\n  disks:\n    - device: /dev/sdb\n---\napiVersion: v1alpha1\nkind: HostnameConfig\nauto: stable\n";
  test("patches only the machine document; keeps other documents", () => {
    const out = autoscaledWorkerConfig(worker, {
      name: "p",
      serverType: "cx23",
      location: "fsn1",
      min: 0,
      max: 1,
      taints: [{ key: "gpu", effect: "NoExecute" }],
    });
    assert.match(out, /wipe: true/);
    assert.doesNotMatch(out, /\/dev\/sdb/);
    assert.match(out, /gpu: NoExecute/);
    assert.match(out, /kind: HostnameConfig/);
  });
  test("a config without a machine section is a clear error", () => {
    assert.throws(
      () => autoscaledWorkerConfig("kind: HostnameConfig\n", { name: "p", serverType: "cx23", location: "fsn1", min: 0, max: 1 }),
      /no `machine` section/,
    );
  });
  test("cloud-init over Hetzner's 32 KiB user-data limit is rejected, naming the pool", () => {
    // Incompressible payload: random base64 in an inline manifest.
    const big = `${worker.split("---")[0]}  files:\n    - content: ${crypto.randomBytes(40_000).toString("base64")}\n      path: /var/x\n`;
    assert.throws(
      () =>
        hcloudClusterConfig({
          imageId: "1",
          workerConfig: big,
          pools: [{ name: "huge", serverType: "cx23", location: "fsn1", min: 0, max: 1 }],
        }),
      (e: unknown) =>
        isKsailError(e) &&
        e.issues[0].path === "spec.cluster.autoscaler.node.pools[huge]" &&
        new RegExp(`over Hetzner's ${maxCloudInitBytes}-byte`).test(e.message),
    );
    const ok = JSON.parse(
      Buffer.from(
        hcloudClusterConfig({
          imageId: "7",
          workerConfig: worker,
          pools: [{ name: "a", serverType: "cx23", location: "fsn1", min: 0, max: 1 }],
        }),
        "base64",
      ).toString(),
    );
    assert.match(zlib.gunzipSync(Buffer.from(ok.nodeConfigs.a.cloudInit, "base64")).toString(), /ksail.io\/autoscaled: "true"/);
  });
});

describe("GitOps sources", () => {
  test("repository names and URLs", () => {
    assert.equal(sanitizeRepoName("k8s"), "k8s");
    assert.equal(sanitizeRepoName("./Deploy/Prod Apps/"), "deploy/prod-apps");
    assert.equal(sanitizeRepoName("/home/me/proj/k8s"), "k8s");
    assert.deepEqual(resolveSource({ type: "oci", url: "oci://ghcr.io/a/b" }), {
      url: "oci://ghcr.io/a/b",
      ref: "dev",
      path: "./",
      insecure: false,
    });
    assert.deepEqual(resolveSource({ type: "git", url: "https://github.com/a/b" }), {
      url: "https://github.com/a/b",
      ref: "main",
      path: "./",
      insecure: false,
    });
  });
  test("Git sources sync a branch ref, without OCI-only fields", () => {
    const spec = fluxInstanceSpec(
      { type: "git", url: "https://github.com/a/b", branch: "release", path: "clusters/prod" },
      { pullSecret: true },
    );
    assert.deepEqual(spec.sync, {
      kind: "GitRepository",
      url: "https://github.com/a/b",
      ref: "refs/heads/release",
      path: "clusters/prod",
      interval: "1m",
      pullSecret: "ksail-registry-credentials",
    });
  });
});

describe("helpers", () => {
  test("deepMerge: objects merge, arrays replace, null deletes, inputs untouched", () => {
    const base = { a: { b: 1, c: [1, 2] }, d: 1 };
    const out = deepMerge(base, { a: { c: [3], e: 2 }, d: null });
    assert.deepEqual(out, { a: { b: 1, c: [3], e: 2 } });
    assert.deepEqual(base, { a: { b: 1, c: [1, 2] }, d: 1 });
  });
  test("durationSeconds", () => {
    assert.equal(durationSeconds("10m"), 600);
    assert.equal(durationSeconds("90s"), 90);
    assert.equal(durationSeconds("1h"), 3600);
    assert.equal(durationSeconds("1500ms"), 2);
    assert.equal(durationSeconds(""), undefined);
  });
});
