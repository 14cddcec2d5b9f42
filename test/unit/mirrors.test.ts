// Pull-through mirrors as KSail takes them: `--mirror-registry` specs `[user:pass@]host[=upstream]` replacing the four
// defaults, plus the mirrors a Kind project declares in its containerd hosts directory (spec.cluster.vanilla.mirrorsDir,
// `<host>/hosts.toml` with `server`, containerd/containerd docs/hosts.md). Before, the four defaults were fixed.
import { describe, test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseClusterDocument, loadClusterConfig } from "../../sdk/config";
import { hostsTomlServer, parseMirrorSpecs } from "../../sdk/config/mirrors";
import { isKsailError } from "../../sdk/errors";
import { planCluster } from "../../sdk/plan/cluster";

const specOf = (cluster: Record<string, unknown>) =>
  parseClusterDocument({ apiVersion: "ksail.io/v1alpha1", kind: "Cluster", metadata: { name: "dev" }, spec: { cluster } }).document!.spec;
const hosts = (p: ReturnType<typeof planCluster>) => p.docker!.mirrors.map((m) => `${m.host}=${m.upstream}`);

describe("mirror specs ([user:pass@]host[=upstream])", () => {
  test("host, host=upstream, credentials kept apart and never shown", () => {
    const r = parseMirrorSpecs(["docker.io", "my.reg:5000=https://up.example", "bot:s3cret@ghcr.io=https://ghcr.io"], "mirrors");
    assert.deepEqual(r.issues, []);
    assert.deepEqual(r.mirrors, [
      { host: "docker.io" },
      { host: "my.reg:5000", upstream: "https://up.example" },
      { host: "ghcr.io", upstream: "https://ghcr.io", username: "bot", password: "s3cret" },
    ]);
    const bad = parseMirrorSpecs(["bot:s3cret@not a host", "x.io=ftp://x", "docker.io", "docker.io", "bot@q.io"], "mirrors");
    assert.deepEqual(
      bad.issues.map((i) => i.path),
      ["mirrors[0]", "mirrors[1]", "mirrors[3]", "mirrors[4]"],
    );
    assert.ok(!bad.issues.some((i) => i.message.includes("s3cret")));
  });

  test("containerd hosts.toml: the top-level server is the upstream", () => {
    assert.equal(
      hostsTomlServer('server = "https://registry-1.docker.io"\n\n[host."http://docker.io:5000"]\n  capabilities = ["pull"]\n'),
      "https://registry-1.docker.io",
    );
    assert.equal(hostsTomlServer('[host."http://x:5000"]\nserver = "https://nope"\n'), undefined);
  });
});

describe("planCluster mirrors", () => {
  const vanilla = specOf({ distribution: "Vanilla", provider: "Docker" });
  test("none given: the four defaults, and the recreate trigger of before", () => {
    const p = planCluster({ name: "dev", spec: vanilla });
    assert.deepEqual(hosts(p), [
      "docker.io=https://registry-1.docker.io",
      "ghcr.io=https://ghcr.io",
      "quay.io=https://quay.io",
      "registry.k8s.io=https://registry.k8s.io",
    ]);
  });

  test("a list replaces the defaults, [] runs none; on Kind/K3s a different list recreates the cluster, on Talos it does not", () => {
    const base = planCluster({ name: "dev", spec: vanilla });
    const one = planCluster({ name: "dev", spec: vanilla, mirrors: ["bot:pw@ghcr.io"] });
    assert.deepEqual(hosts(one), ["ghcr.io=https://ghcr.io"]);
    assert.ok(!JSON.stringify(one).includes("pw@"), "credentials stay out of the plan");
    assert.notEqual(one.recreateTrigger, base.recreateTrigger);
    assert.deepEqual(planCluster({ name: "dev", spec: vanilla, mirrors: [] }).docker!.mirrors, []);
    const talos = specOf({ distribution: "Talos", provider: "Docker" });
    const t = planCluster({ name: "dev", spec: talos, mirrors: ["quay.io"] });
    assert.equal(t.recreateTrigger, planCluster({ name: "dev", spec: talos }).recreateTrigger);
    assert.deepEqual(
      t.talos!.render.mirrors?.map((m) => m.host),
      ["quay.io"],
    );
  });

  test("mirrors found in the project's files are merged in for hosts the list does not name", () => {
    const p = planCluster({
      name: "dev",
      spec: vanilla,
      mirrors: ["docker.io"],
      fileMirrors: ["docker.io=https://other", "my.reg=https://my.reg"],
    });
    assert.deepEqual(hosts(p), ["docker.io=https://registry-1.docker.io", "my.reg=https://my.reg"]);
  });

  test("bad specs and mirrors off Docker are KsailErrors naming the entry", () => {
    assert.throws(
      () => planCluster({ name: "dev", spec: vanilla, mirrors: ["=x"] }),
      (e: unknown) => isKsailError(e) && e.issues[0].path === "mirrors[0]",
    );
    assert.throws(
      () => planCluster({ name: "dev", spec: specOf({ distribution: "Talos", provider: "Hetzner" }), mirrors: ["docker.io"] }),
      (e: unknown) => isKsailError(e) && e.issues[0].path === "mirrors",
    );
  });
});

describe("loadClusterConfig reads Kind's mirrorsDir", () => {
  test("<mirrorsDir>/<host>/hosts.toml become fileMirrors (host=server)", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ksail-mirrors-"));
    try {
      fs.mkdirSync(path.join(dir, "kind/mirrors/docker.io"), { recursive: true });
      fs.mkdirSync(path.join(dir, "kind/mirrors/my.reg"), { recursive: true });
      fs.writeFileSync(path.join(dir, "kind/mirrors/docker.io/hosts.toml"), 'server = "https://registry-1.docker.io"\n');
      fs.writeFileSync(path.join(dir, "kind/mirrors/my.reg/hosts.toml"), '[host."http://my.reg:5000"]\n');
      fs.writeFileSync(
        path.join(dir, "ksail.yaml"),
        "apiVersion: ksail.io/v1alpha1\nkind: Cluster\nspec:\n  cluster:\n    distribution: Vanilla\n    provider: Docker\n",
      );
      const c = loadClusterConfig(path.join(dir, "ksail.yaml"), { env: {} });
      assert.deepEqual(c.fileMirrors, ["docker.io=https://registry-1.docker.io", "my.reg"]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

// KSail merges the hosts a Talos project's patches mirror into the cluster's pull-through mirrors
// (devantler-tech/ksail pkg/cli/setup/mirrorregistry/runner.go collectExistingMirrorSpecs, upstream from
// pkg/svc/provisioner/registry/naming.go GenerateUpstreamURL). Before, Talos patches named no mirror containers.
describe("loadClusterConfig reads the mirrors of Talos patches", () => {
  const project = (files: Record<string, string>, provider = "Docker") => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ksail-talos-mirrors-"));
    for (const [f, text] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
      fs.writeFileSync(path.join(dir, f), text);
    }
    fs.writeFileSync(
      path.join(dir, "ksail.yaml"),
      `apiVersion: ksail.io/v1alpha1\nkind: Cluster\nmetadata:\n  name: dev\nspec:\n  cluster:\n    distribution: Talos\n    provider: ${provider}\n`,
    );
    return dir;
  };

  test("machine.registries.mirrors and RegistryMirrorConfig hosts of cluster and control-plane patches become mirror containers", () => {
    const dir = project({
      "talos/cluster/mirrors.yaml":
        "machine:\n  registries:\n    mirrors:\n      registry.example.com:\n        endpoints: [https://cache.example.com]\n      '*':\n        endpoints: [https://all.example.com]\n",
      "talos/control-planes/more.yaml":
        "apiVersion: v1alpha1\nkind: RegistryMirrorConfig\nname: my.reg:5000\nendpoints:\n  - url: https://up.example\n",
      "talos/workers/ignored.yaml":
        "machine:\n  registries:\n    mirrors:\n      worker-only.example:\n        endpoints: [https://w.example]\n",
    });
    try {
      const c = loadClusterConfig(path.join(dir, "ksail.yaml"), { env: {} });
      assert.deepEqual(c.fileMirrors, ["my.reg:5000=https://my.reg:5000", "registry.example.com=https://registry.example.com"]);
      const p = planCluster({ name: "dev", spec: c.spec, fileMirrors: c.fileMirrors, talosConfigPatches: c.talosConfigPatches });
      assert.deepEqual(hosts(p), [
        "docker.io=https://registry-1.docker.io",
        "ghcr.io=https://ghcr.io",
        "quay.io=https://quay.io",
        "registry.k8s.io=https://registry.k8s.io",
        "my.reg:5000=https://my.reg:5000",
        "registry.example.com=https://registry.example.com",
      ]);
      const endpoints = Object.fromEntries(p.talos!.render.mirrors!.map((m) => [m.host, m.endpoints]));
      assert.deepEqual(endpoints["registry.example.com"], ["http://dev-registry.example.com:5000"]);
      assert.deepEqual(endpoints["my.reg:5000"], ["http://dev-my.reg-5000:5000"]);
      // Talos applies mirrors in place: the merged hosts do not recreate the cluster.
      assert.equal(p.recreateTrigger, planCluster({ name: "dev", spec: c.spec, talosConfigPatches: c.talosConfigPatches }).recreateTrigger);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test("docker.io keeps Docker Hub's registry as upstream; nothing is merged off Docker", () => {
    const files = {
      "talos/cluster/m.yaml": "machine:\n  registries:\n    mirrors:\n      docker.io:\n        endpoints: [https://mirror.gcr.io]\n",
    };
    const dir = project(files);
    const hz = project(files, "Hetzner");
    try {
      assert.deepEqual(loadClusterConfig(path.join(dir, "ksail.yaml"), { env: {} }).fileMirrors, [
        "docker.io=https://registry-1.docker.io",
      ]);
      assert.equal(loadClusterConfig(path.join(hz, "ksail.yaml"), { env: { HCLOUD_TOKEN: "x".repeat(64) } }).fileMirrors, undefined);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
      fs.rmSync(hz, { recursive: true, force: true });
    }
  });
});
