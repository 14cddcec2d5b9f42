// L3E with a real peer: a real ClusterReadiness gate against a real kube-apiserver v1.36.3 (test/peers/kubeApiserver.ts),
// in the real Pulumi engine, and resources that take KSailCluster's readiness Outputs (sdk/readiness.ts: readyOutput
// over the gate, afterReady of its kubeconfig) as inputs. The engine's own event stream shows the order: each of
// them starts only after the gate's step finished, while a control without the dependency starts before.
//
// Stand-ins, said plainly: the pulumi-kubernetes plugin cannot be built here, so the "user resources" are dynamic
// resources, not a Namespace on cluster.kubernetesProvider; the gate and the API server are real.
import { after, before, describe, test } from "node:test";
import * as assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { ClusterReadiness } from "../../sdk/dynamic/clusterReadiness";
import { afterReady, readyOutput } from "../../sdk/readiness";
import { RealStack, skipRealEngine } from "./harness";
import { skipRealKubeApiServer, startRealKubeApiServer, type RealKubeApiServer } from "../peers/kubeApiserver";

const echo: pulumi.dynamic.ResourceProvider = {
  async create(inputs: Record<string, unknown>) {
    return { id: String(inputs.label), outs: { label: inputs.label } };
  },
};

class UserThing extends pulumi.dynamic.Resource {
  constructor(name: string, props: Record<string, pulumi.Input<unknown>>) {
    super(echo, name, props);
  }
}

describe("readiness order with a real gate against a real kube-apiserver (L3E)", { skip: skipRealEngine || skipRealKubeApiServer }, () => {
  let api: RealKubeApiServer;
  let stack: RealStack;

  before(async () => {
    api = await startRealKubeApiServer();
    stack = await RealStack.create("l3e-readiness-real-apiserver", async () => {
      // The API-server gate of a new cluster: a streak of answered /version calls, no node or DaemonSet checks.
      const gate = new ClusterReadiness("dev-api-ready", {
        kubeconfig: api.kubeconfig,
        distribution: "Talos",
        provider: "Docker",
        checkNodes: false,
        checkDaemonSets: false,
        timeouts: { apiServerSeconds: 60, requestSeconds: 20 },
        pollIntervalSeconds: 0.3,
      });
      const ready = readyOutput([gate]);
      new UserThing("uses-ready", { label: "uses-ready", ready });
      new UserThing("uses-kubeconfig", { label: "uses-kubeconfig", kubeconfig: pulumi.secret(afterReady(api.kubeconfig, ready)) });
      new UserThing("control", { label: "control" });
    });
  });
  after(async () => {
    stack?.dispose();
    await api?.stop();
  });

  test("up: resources on the readiness Outputs start after the gate finished; the control does not wait", async () => {
    const up = await stack.up();
    const pre = (name: string) => up.events.findIndex((e) => e.resourcePreEvent?.metadata.urn.endsWith(`::${name}`));
    const done = (name: string) => up.events.findIndex((e) => e.resOutputsEvent?.metadata.urn.endsWith(`::${name}`));
    const gateDone = done("dev-api-ready");
    assert.ok(gateDone >= 0, "the gate finished");
    for (const name of ["uses-ready", "uses-kubeconfig"]) assert.ok(pre(name) > gateDone, `${name} started before the gate finished`);
    assert.ok(pre("control") < gateDone, "the control waited for the gate: the order above proves nothing");
    assert.ok(!stack.stateFileText().includes("PRIVATE KEY"), "the kubeconfig handed on stays encrypted");
  });
});
