// L3E: the escape hatch KSailCluster documents — Pulumi's resource `transforms` in the component's options — runs
// in the real engine on every descendant of the component, so a user can change what the args do not cover.
//
// Stand-ins, said plainly: the pulumi-kubernetes and docker provider plugins cannot be built on this machine, so the
// tree here is a component holding a child component holding a dynamic resource, the shape of KSailCluster →
// installer → Helm release. The mock runtime does not run transforms at all (its monitor ignores them), so this
// tier is the only one that can show them applied. test/mocks/cluster-transforms.test.ts shows that everything
// KSailCluster creates descends from it.
import { after, before, describe, test } from "node:test";
import * as assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { RealStack, skipRealEngine } from "./harness";

const echo: pulumi.dynamic.ResourceProvider = {
  async create(inputs: Record<string, unknown>) {
    return { id: String(inputs.name), outs: inputs };
  },
};

class Release extends pulumi.dynamic.Resource {
  declare readonly timeout: pulumi.Output<number>;
  constructor(name: string, props: Record<string, pulumi.Input<unknown>>, opts?: pulumi.CustomResourceOptions) {
    super(echo, name, props, opts);
  }
}

class Installer extends pulumi.ComponentResource {
  constructor(name: string, opts?: pulumi.ComponentResourceOptions) {
    super("test:index:Installer", name, {}, opts);
    new Release(`${name}-release`, { name: `${name}-release`, timeout: 300 }, { parent: this });
    this.registerOutputs({});
  }
}

class Cluster extends pulumi.ComponentResource {
  constructor(name: string, opts?: pulumi.ComponentResourceOptions) {
    super("test:index:Cluster", name, {}, opts);
    new Installer(`${name}-cilium`, { parent: this });
    new Installer(`${name}-flux`, { parent: this });
    this.registerOutputs({});
  }
}

describe("transforms on the component reach every descendant (L3E, stand-in resources)", { skip: skipRealEngine }, () => {
  let stack: RealStack;
  const program = async () => {
    new Cluster("dev", {
      transforms: [
        // Only the Cilium release gets a longer timeout; everything else is left as the component made it.
        async ({ name, props, opts }) => (name === "dev-cilium-release" ? { props: { ...props, timeout: 900 }, opts } : undefined),
      ],
    });
  };

  before(async () => {
    stack = await RealStack.create("l3e-transforms", program);
  });
  after(() => stack?.dispose());

  test("up: the transform rewrote the grandchild it matched and no other", async () => {
    await stack.up();
    const state = await stack.stack.exportStack();
    const res = (state.deployment.resources ?? []) as { urn: string; inputs?: Record<string, unknown> }[];
    const inputs = (name: string) => res.find((r) => r.urn.endsWith(`::${name}`))?.inputs ?? {};
    assert.equal(inputs("dev-cilium-release").timeout, 900);
    assert.equal(inputs("dev-flux-release").timeout, 300);
  });
});
