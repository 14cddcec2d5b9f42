// L1: the mocks recorder itself (test/harness/mocks.ts), on a small program that uses every option the
// components rely on. Runs the program in update and in preview mode, several times in one file.
import { describe, test } from "node:test";
import * as assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import * as docker from "@pulumi/docker";
import * as k8s from "@pulumi/kubernetes";
import { allPlainStrings, recordProgram, settle, type Recording } from "../harness/mocks";
import { UNKNOWN } from "../../sdk/impact/unknown";

const SECRET_TOKEN = "s3cr3t-token-value";

interface SampleArgs {
  image: string;
  trigger: pulumi.Input<string>;
  token: pulumi.Input<string>;
}

class Sample extends pulumi.ComponentResource {
  readonly containerName: pulumi.Output<string>;
  readonly kubeconfig: pulumi.Output<string>;
  constructor(name: string, args: SampleArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ksail:test:Sample", name, {}, opts);
    const network = new docker.Network(`${name}-network`, { name: `${name}-net` }, { parent: this });
    const volume = new docker.Volume(`${name}-volume`, { name: `${name}-vol` }, { parent: this });
    const node = new docker.Container(
      `${name}-node`,
      {
        image: args.image,
        name: `${name}-cp`,
        envs: [pulumi.interpolate`TOKEN=${args.token}`, "PLAIN=1"],
        networksAdvanced: [{ name: network.name }],
        labels: [{ label: "owner", value: "ksail" }],
      },
      {
        parent: this,
        dependsOn: [volume],
        deleteBeforeReplace: true,
        ignoreChanges: ["labels"],
        replaceOnChanges: ["tmpfs", "healthcheck"],
        replacementTrigger: args.trigger,
        protect: true,
        additionalSecretOutputs: ["hostname"],
        customTimeouts: { create: "5m", delete: "1m" },
        aliases: [{ name: `${name}-old-node` }],
      },
    );
    this.kubeconfig = pulumi.secret(pulumi.interpolate`server: https://${node.hostname}:6443`);
    const provider = new k8s.Provider(`${name}-k8s`, { kubeconfig: this.kubeconfig, clusterIdentifier: name }, { parent: this });
    new k8s.helm.v3.Release(
      `${name}-cilium`,
      { chart: "cilium", version: "1.18.2", namespace: "kube-system", values: { ipam: { mode: "kubernetes" } } },
      { parent: this, provider, dependsOn: [node] },
    );
    this.containerName = node.name;
    this.registerOutputs({ containerName: this.containerName, kubeconfig: this.kubeconfig });
  }
}

/** Mock state: containers get a computed hostname (in update mode only; in preview it stays unknown). */
function program(name: string) {
  return () => {
    const s = new Sample(name, { image: "kindest/node:v1.33.1", trigger: "hash-1", token: pulumi.secret(SECRET_TOKEN) });
    return { containerName: s.containerName, kubeconfig: s.kubeconfig };
  };
}

const state = (a: { type: string; name: string; preview: boolean }) =>
  a.type === "docker:index/container:Container" && !a.preview ? { outputs: { hostname: `${a.name}.local` } } : undefined;

function assertCommon(rec: Recording, name: string) {
  assert.deepEqual(
    rec.resources.map((r) => [r.type, r.name, r.parent ?? null, r.custom]),
    [
      ["ksail:test:Sample", name, null, false],
      ["docker:index/network:Network", `${name}-network`, name, true],
      ["docker:index/volume:Volume", `${name}-volume`, name, true],
      ["docker:index/container:Container", `${name}-node`, name, true],
      ["pulumi:providers:kubernetes", `${name}-k8s`, name, true],
      ["kubernetes:helm.sh/v3:Release", `${name}-cilium`, name, true],
    ],
  );
  assert.equal(rec.stackResource.type, "pulumi:pulumi:Stack");
  assert.equal(rec.stackResource.name, "ksail-test");
  const comp = rec.byName(name);
  assert.equal(comp.urn, `urn:pulumi:test::ksail::pulumi:pulumi:Stack$ksail:test:Sample::${name}`);
  assert.equal(comp.parentUrn, rec.stackResource.urn);
  assert.deepEqual(
    rec.childrenOf(name).map((r) => r.name),
    [`${name}-network`, `${name}-volume`, `${name}-node`, `${name}-k8s`, `${name}-cilium`],
  );

  const node = rec.byName(`${name}-node`);
  assert.equal(node.urn, `urn:pulumi:test::ksail::ksail:test:Sample$docker:index/container:Container::${name}-node`);
  assert.equal(node.parentUrn, comp.urn);
  assert.equal(node.inputs.image, "kindest/node:v1.33.1");
  assert.equal(node.inputs.name, `${name}-cp`);
  assert.deepEqual(node.inputs.envs, [`TOKEN=${SECRET_TOKEN}`, "PLAIN=1"]);
  assert.deepEqual(node.secretInputs, ["envs[0]"]);
  assert.deepEqual(node.inputs.labels, [{ label: "owner", value: "ksail" }]);
  const o = node.options;
  assert.deepEqual(o.dependsOn, [`${name}-volume`]);
  assert.deepEqual(o.dependencies.sort(), [`${name}-network`, `${name}-volume`].sort());
  assert.deepEqual(o.propertyDependencies.networksAdvanced, [`${name}-network`]);
  assert.deepEqual(o.propertyDependencies.image, []);
  assert.equal(o.deleteBeforeReplace, true);
  assert.deepEqual(o.ignoreChanges, ["labels"]);
  assert.deepEqual(o.replaceOnChanges, ["tmpfs", "healthcheck"]);
  assert.equal(o.replacementTrigger, "hash-1");
  assert.equal(o.replacementTriggerSecret, false);
  assert.deepEqual(o.replaceWith, []);
  assert.equal(o.protect, true);
  assert.deepEqual(o.additionalSecretOutputs, ["hostname"]);
  assert.deepEqual(o.customTimeouts, { create: "5m", delete: "1m" });
  assert.equal(o.aliases.length, 1);
  assert.equal(o.aliases[0].name, `${name}-old-node`);
  assert.equal(o.provider, undefined);
  assert.equal(o.version, "5.2.0");
  assert.equal(node.id, `${name}-node-id`);
  // The engine marks outputs whose same-named input was secret (envs) and additionalSecretOutputs.
  assert.ok(node.secretOutputs.includes("envs"));

  const network = rec.byName(`${name}-network`);
  assert.equal(network.options.deleteBeforeReplace, undefined, "unset options are undefined, not false");
  assert.equal(network.options.protect, undefined);
  assert.equal(network.options.replacementTrigger, undefined);
  assert.deepEqual(network.options.dependsOn, []);

  const release = rec.byName(`${name}-cilium`);
  assert.equal(release.options.provider, `${name}-k8s`);
  assert.equal(release.options.providerRef, `${rec.byName(`${name}-k8s`).urn}::${name}-k8s-id`);
  assert.deepEqual(release.options.dependsOn, [`${name}-node`]);
  assert.equal(release.inputs.chart, "cilium");
  assert.equal(release.inputs.version, "1.18.2");
  assert.deepEqual(release.inputs.values, { ipam: { mode: "kubernetes" } });

  const prov = rec.byName(`${name}-k8s`);
  assert.equal(prov.inputs.clusterIdentifier, name);
  assert.ok(prov.secretInputs.includes("kubeconfig"));

  // No secret ends up in a plain position, anywhere.
  const plain = allPlainStrings(rec);
  assert.ok(plain.includes("kindest/node:v1.33.1"));
  assert.ok(plain.includes("PLAIN=1"));
  assert.ok(!plain.some((s) => s.includes(SECRET_TOKEN)), "the secret token leaked into a plain value");
}

describe("recordProgram", () => {
  test("update mode: every resource, option, input and output", async () => {
    const rec = await recordProgram(program("dev"), { state });
    assert.equal(rec.preview, false);
    assertCommon(rec, "dev");
    const node = rec.byName("dev-node");
    assert.equal(node.outputs.hostname, "dev-node.local");
    assert.equal(node.outputs.image, "kindest/node:v1.33.1", "inputs are echoed");
    assert.deepEqual(node.secretOutputs.sort(), ["envs", "hostname"]);
    const prov = rec.byName("dev-k8s");
    assert.equal(prov.inputs.kubeconfig, "server: https://dev-node.local:6443");
    const comp = rec.byName("dev");
    assert.equal(comp.outputs.containerName, "dev-cp");
    assert.equal(comp.outputs.kubeconfig, "server: https://dev-node.local:6443");
    assert.deepEqual(comp.secretOutputs, ["kubeconfig"]);
    assert.deepEqual(rec.stackOutputs, { containerName: "dev-cp", kubeconfig: "server: https://dev-node.local:6443" });
    assert.deepEqual(rec.secretStackOutputs, ["kubeconfig"]);
    assert.ok(!allPlainStrings(rec).some((s) => s.includes("dev-node.local:6443")), "kubeconfig must stay secret");
  });

  test("preview mode: computed values are the unknown sentinel", async () => {
    const rec = await recordProgram(program("prev"), { preview: true, state });
    assert.equal(rec.preview, true);
    assertCommon(rec, "prev");
    const node = rec.byName("prev-node");
    assert.equal(node.outputs.hostname, undefined, "not in the echoed inputs");
    const prov = rec.byName("prev-k8s");
    assert.equal(prov.inputs.kubeconfig, UNKNOWN);
    assert.equal(rec.byName("prev").outputs.kubeconfig, UNKNOWN);
    assert.equal(rec.stackOutputs.kubeconfig, UNKNOWN);
  });

  test("preview: state() can make an id unknown, as a real preview of a create does", async () => {
    const rec = await recordProgram(
      () => {
        const p = new k8s.Provider("p", { kubeconfig: "x" });
        new k8s.helm.v3.Release("r", { chart: "c" }, { provider: p });
      },
      { preview: true, state: (a) => (a.type === "pulumi:providers:kubernetes" ? { id: "" } : undefined) },
    );
    assert.equal(rec.byName("p").id, undefined);
    assert.equal(rec.byName("r").options.provider, "p");
    assert.equal(rec.byName("r").options.providerRef, `${rec.byName("p").urn}::${UNKNOWN}`);
  });

  test("two programs in a row do not share resources, config or mode", async () => {
    const a = await recordProgram(
      () => {
        const cfg = new pulumi.Config();
        new docker.Network("a", { name: cfg.require("netName") });
        return { secretCfg: cfg.requireSecret("token"), dry: pulumi.runtime.isDryRun() };
      },
      { config: { netName: "from-config", token: "t0k" }, secretKeys: ["token"], project: "proj", stack: "dev" },
    );
    const b = await recordProgram(
      () => {
        new docker.Network("b", { name: new pulumi.Config().get("netName") ?? "no-config" });
        return { dry: pulumi.runtime.isDryRun() };
      },
      { preview: true },
    );
    assert.deepEqual(
      a.resources.map((r) => r.name),
      ["a"],
    );
    assert.equal(a.byName("a").inputs.name, "from-config");
    assert.equal(a.byName("a").urn, "urn:pulumi:dev::proj::pulumi:pulumi:Stack$docker:index/network:Network::a");
    assert.deepEqual(a.stackOutputs, { secretCfg: "t0k", dry: false });
    assert.deepEqual(a.secretStackOutputs, ["secretCfg"]);
    assert.deepEqual(
      b.resources.map((r) => r.name),
      ["b"],
    );
    assert.equal(b.byName("b").inputs.name, "no-config");
    assert.deepEqual(b.stackOutputs, { dry: true });
    assert.throws(() => b.byName("a"), /no resource named "a"; recorded: b/);
  });

  test("concurrent recordings stay isolated", async () => {
    const [x, y] = await Promise.all([
      recordProgram(() => void new docker.Network("x", { name: "x" })),
      recordProgram(() => void new docker.Network("y", { name: "y" }), { preview: true }),
    ]);
    assert.deepEqual(
      x.resources.map((r) => r.name),
      ["x"],
    );
    assert.deepEqual(
      y.resources.map((r) => r.name),
      ["y"],
    );
  });

  test("state() customises ids and outputs; call() answers invokes and they are recorded", async () => {
    const rec = await recordProgram(
      async () => {
        const r = await pulumi.runtime.invoke("hcloud:index/getImage:getImage", { name: "talos" });
        const n = new docker.Network("n", { name: String(r.id) });
        return { id: n.id, label: n.labels };
      },
      {
        call: (a) => (a.token === "hcloud:index/getImage:getImage" ? { id: 42, name: a.inputs.name } : {}),
        state: () => ({ id: "custom-id", outputs: { labels: [{ label: "k", value: "v" }] }, echoInputs: false }),
      },
    );
    assert.deepEqual(rec.invokes, [{ token: "hcloud:index/getImage:getImage", inputs: { name: "talos" }, provider: "" }]);
    const n = rec.byName("n");
    assert.equal(n.inputs.name, "42");
    assert.equal(n.id, "custom-id");
    assert.deepEqual(n.outputs, { labels: [{ label: "k", value: "v" }] });
    assert.deepEqual(rec.stackOutputs, { id: "custom-id", label: [{ label: "k", value: "v" }] });
  });

  test("a missing invoke mock and a throwing program fail the recording", async () => {
    await assert.rejects(
      recordProgram(async () => {
        await pulumi.runtime.invoke("hcloud:index/getImage:getImage", {});
      }),
      /no mock for invoke "hcloud:index\/getImage:getImage"/,
    );
    await assert.rejects(
      recordProgram(() => {
        throw new Error("boom in program");
      }),
      /boom in program/,
    );
    await assert.rejects(
      recordProgram(() => void new docker.Network("m", { name: "m" }), {
        state: () => {
          throw new Error("mock state failed");
        },
      }),
      /mock state failed/,
    );
  });

  test("replaceWith, deletedWith, retainOnDelete, hideDiffs, component providers, unknown and secret triggers", async () => {
    const run = (preview: boolean) =>
      recordProgram(
        () => {
          const spec = new docker.Network("spec", { name: "spec" });
          const prov = new k8s.Provider("k8s", { kubeconfig: "apiVersion: v1" });
          const comp = new pulumi.ComponentResource("ksail:test:Group", "group", {}, { providers: [prov] });
          new docker.Volume(
            "vol",
            { name: "vol" },
            {
              parent: comp,
              replaceWith: [spec],
              deletedWith: spec,
              retainOnDelete: true,
              hideDiffs: ["labels"],
              replacementTrigger: spec.labels.apply((l) => JSON.stringify(l ?? [])),
            },
          );
          new docker.Volume("vol2", { name: "vol2" }, { replacementTrigger: pulumi.secret("hash-s") });
        },
        { preview, state: (a) => (a.name === "spec" && !a.preview ? { outputs: { labels: [] } } : undefined) },
      );
    for (const preview of [false, true]) {
      const rec = await run(preview);
      const vol = rec.byName("vol");
      assert.equal(vol.parent, "group");
      assert.deepEqual(vol.options.replaceWith, ["spec"]);
      assert.equal(vol.options.deletedWith, "spec");
      assert.equal(vol.options.retainOnDelete, true);
      assert.deepEqual(vol.options.hideDiffs, ["labels"]);
      assert.equal(vol.options.provider, undefined, "docker resources do not take the k8s provider");
      assert.equal(vol.options.replacementTrigger, preview ? UNKNOWN : "[]");
      assert.deepEqual(rec.byName("group").options.providers, { kubernetes: "k8s" });
      const vol2 = rec.byName("vol2");
      assert.equal(vol2.options.replacementTrigger, "hash-s");
      assert.equal(vol2.options.replacementTriggerSecret, true);
      assert.ok(!allPlainStrings(rec).includes("hash-s"), "a secret trigger is not a plain string");
    }
  });

  test("settle() reads known, secret and unknown outputs", async () => {
    let seen: unknown[] = [];
    await recordProgram(
      async () => {
        const n = new docker.Network("s", { name: "s" });
        seen = [await settle(n.name), await settle(pulumi.secret("x")), await settle(n.labels)];
      },
      { preview: true },
    );
    assert.deepEqual(seen, [
      { known: true, secret: false, value: "s" },
      { known: true, secret: true, value: "x" },
      { known: false, secret: false, value: undefined },
    ]);
  });
});
