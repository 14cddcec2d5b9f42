// L3E: the readiness dependency KSailCluster hands its users (sdk/readiness.ts: `ready`, and the kubeconfig,
// endpoint and nodes derived through `afterReady`) orders resources in the real Pulumi engine.
//
// Stand-ins, said plainly: the pulumi-kubernetes provider plugin cannot be built on this machine, so neither a
// whole KSailCluster nor a Namespace on `cluster.kubernetesProvider` runs here. Instead a component holds a slow
// dynamic "gate" (the place of the ClusterReadiness gates and installers), and dynamic "user" resources take
// the same Outputs KSailCluster builds (readyOutput over the component, afterReady of a secret kubeconfig) as
// inputs, or list them in dependsOn as `<name>-kubernetes` does. Each records when its create ran: the ones with
// the dependency start after the gate finished, a control without it starts while the gate is still running.
import { after, before, describe, test } from "node:test";
import * as assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { afterReady, readyOutput } from "../../sdk/readiness";
import { RealStack, skipRealEngine } from "./harness";

const clock: pulumi.dynamic.ResourceProvider = {
  async create(inputs: Record<string, unknown>) {
    const startedAt = Date.now();
    const ms = Number(inputs.sleepMs ?? 0);
    if (ms > 0) await new Promise((r) => setTimeout(r, ms));
    return { id: String(inputs.label), outs: { ...inputs, startedAt, finishedAt: Date.now() } };
  },
};

class Clocked extends pulumi.dynamic.Resource {
  declare readonly startedAt: pulumi.Output<number>;
  declare readonly finishedAt: pulumi.Output<number>;
  constructor(name: string, props: Record<string, pulumi.Input<unknown>>, opts?: pulumi.CustomResourceOptions) {
    super(clock, name, { startedAt: undefined, finishedAt: undefined, ...props }, opts);
  }
}

class StandInCluster extends pulumi.ComponentResource {
  readonly ready: pulumi.Output<boolean>;
  readonly kubeconfig: pulumi.Output<string>;
  constructor(name: string) {
    super("test:index:StandInCluster", name);
    // The gate is a child: depending on the component must reach it, as with the installers' releases.
    new Clocked(`${name}-gate`, { label: "gate", sleepMs: 2500 }, { parent: this });
    this.ready = readyOutput([this]);
    this.kubeconfig = pulumi.secret(afterReady(pulumi.secret("apiVersion: v1\nkind: Config\n"), this.ready));
    this.registerOutputs({});
  }
}

describe("readiness dependency through the real Pulumi engine (L3E, stand-in resources)", { skip: skipRealEngine }, () => {
  let stack: RealStack;
  const program = async () => {
    const c = new StandInCluster("dev");
    new Clocked("uses-ready", { label: "uses-ready", ready: c.ready });
    new Clocked("uses-kubeconfig", { label: "uses-kubeconfig", kubeconfig: c.kubeconfig });
    new Clocked("depends-on-cluster", { label: "depends-on-cluster" }, { dependsOn: [c] });
    new Clocked("control", { label: "control" });
  };

  before(async () => {
    stack = await RealStack.create("l3e-readiness-order", program);
  });
  after(() => stack?.dispose());

  test("up: resources taking ready / the kubeconfig, or depending on the component, start after the gate finished", async () => {
    const up = await stack.up();
    assert.deepEqual(up.opsOf("dev-gate"), ["create"]);
    const state = await stack.stack.exportStack();
    const res = (state.deployment.resources ?? []) as { urn: string; outputs?: Record<string, unknown> }[];
    const outs = (name: string) => {
      const r = res.find((x) => x.urn.endsWith(`::${name}`));
      assert.ok(r?.outputs, `${name} in state`);
      return r.outputs as { startedAt: number; finishedAt: number };
    };
    const gate = outs("dev-gate");
    for (const name of ["uses-ready", "uses-kubeconfig", "depends-on-cluster"]) {
      assert.ok(
        outs(name).startedAt >= gate.finishedAt,
        `${name} started ${gate.finishedAt - outs(name).startedAt} ms before the gate finished`,
      );
    }
    // Without the dependency the engine runs the create in parallel with the slow gate.
    assert.ok(outs("control").startedAt < gate.finishedAt, "control waited for the gate: the ordering above proves nothing");
    // The engine recorded the dependencies the Outputs carried.
    const deps = (name: string) => (res.find((x) => x.urn.endsWith(`::${name}`)) as { dependencies?: string[] }).dependencies ?? [];
    for (const name of ["uses-ready", "uses-kubeconfig"])
      assert.ok(
        deps(name).some((u) => u.endsWith("::dev-gate")),
        `${name}: ${deps(name)}`,
      );
    assert.deepEqual(deps("control"), []);
  });
});
