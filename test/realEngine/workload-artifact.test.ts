// L3E with real peers: the workload push in `pulumi preview` / `up` / `destroy` of the real Pulumi CLI. A
// WorkloadArtifact pushes a manifest tree to Debian's docker-registry (htpasswd Basic auth, 127.0.0.1), and the
// FluxInstance KSailCluster's Flux installer writes (sdk/components/flux.ts `fluxInstance`) is created by the
// real Kubernetes provider plugin in a real kube-apiserver v1.36.3 that has flux-operator's own FluxInstance CRD
// (from its Go module, scripts/tools/build.sh flux-operator-crds): the API server checks the spec, with the
// digest pin, against flux-operator's schema and CEL rules.
//
// The claim checked is the headline's: a changed manifest shows in `pulumi preview` as an update of the artifact
// and of the FluxInstance and nothing else, preview pushes nothing, and `pulumi up` pushes exactly the digest the
// FluxInstance then pins. What only a real cluster can confirm: flux-operator applying the patch to the
// OCIRepository it generates and source-controller pulling that digest.
import { after, before, describe, test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as k8s from "@pulumi/kubernetes";
import * as YAML from "yaml";
import { WorkloadArtifact } from "../../sdk/dynamic/workloadArtifact";
import { fluxInstance } from "../../sdk/components/flux";
import { OciClient } from "../../sdk/clients/oci/client";
import { builtTool, missingReason, pinnedVersion } from "../peers/tools";
import { skipRealKubeApiServer, startRealKubeApiServer, type RealKubeApiServer } from "../peers/kubeApiserver";
import { runStandIns, type ControllerLoop } from "../peers/kubeControllers";
import { REGISTRY_PASSWORD, REGISTRY_USER, registrySkipReason, startRegistry, type RunningRegistry } from "../harness/registry";
import { RealStack, skipRealKubernetesPlugin } from "./harness";
import { writeWorkloadTree } from "../harness/workloadTree";

const FLUX_CRDS = pinnedVersion("FLUX_OPERATOR_CRDS_VERSION");
const crds = builtTool("flux-operator-crds", FLUX_CRDS);
const skipCrds = crds ? false : missingReason(`flux-operator ${FLUX_CRDS} CRDs`, "flux-operator-crds");
const INSTANCE = "/apis/fluxcd.controlplane.io/v1/namespaces/flux-system/fluxinstances/flux";

describe(
  "Workload push and Flux pin: the real Pulumi engine, the real Kubernetes plugin, flux-operator's CRD in a real kube-apiserver, a real registry (L3E)",
  { skip: skipRealKubernetesPlugin || skipRealKubeApiServer || skipCrds || registrySkipReason() || false },
  () => {
    let api: RealKubeApiServer;
    let reg: RunningRegistry;
    let stack: RealStack;
    let dir: string;
    let registry: OciClient;
    let controllers: ControllerLoop;

    const program = async () => {
      const artifact = new WorkloadArtifact("dev-workload", {
        registry: reg.endpoint,
        repository: "k8s",
        tag: "dev",
        sourceDirectory: dir,
        username: REGISTRY_USER,
        password: REGISTRY_PASSWORD,
      });
      const provider = new k8s.Provider("dev-k8s", { kubeconfig: api.kubeconfig });
      fluxInstance(
        "dev-flux-instance",
        { type: "oci", url: `${reg.endpoint}/k8s`, tag: "dev" },
        { pullSecret: false, sops: false, artifactDigest: artifact.digest },
        { provider, customTimeouts: { create: "60s", update: "60s", delete: "60s" } },
      );
      // A resource of the user's on the same cluster: a push must leave it alone.
      new k8s.core.v1.ConfigMap(
        "team-a",
        { metadata: { name: "team-a", namespace: "default" }, data: { owner: "a" } },
        { provider, customTimeouts: { delete: "60s" } },
      );
      return { digest: artifact.digest };
    };

    const pinnedDigest = async (): Promise<string | undefined> => {
      const r = await api.request("GET", INSTANCE);
      assert.equal(r.status, 200, r.body);
      const patches = (JSON.parse(r.body).spec.kustomize?.patches ?? []) as { patch: string }[];
      return /value: "(sha256:[0-9a-f]{64})"/.exec(patches.find((p) => p.patch.includes("/spec/ref/digest"))?.patch ?? "")?.[1];
    };
    const tagDigest = async () => (await registry.resolveManifest("k8s", "dev"))?.digest;

    before(async () => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), "ksail-l3e-workload-"));
      writeWorkloadTree(dir, 1);
      [api, reg] = await Promise.all([startRealKubeApiServer(), startRegistry("basic")]);
      registry = new OciClient({ registry: reg.endpoint, username: REGISTRY_USER, password: REGISTRY_PASSWORD });
      const crd = YAML.parse(fs.readFileSync(path.join(crds as string, "fluxcd.controlplane.io_fluxinstances.yaml"), "utf8"));
      const c = await api.request("POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", crd);
      assert.equal(c.status, 201, c.body);
      const ns = await api.request("POST", "/api/v1/namespaces", {
        apiVersion: "v1",
        kind: "Namespace",
        metadata: { name: "flux-system" },
      });
      assert.equal(ns.status, 201, ns.body);
      for (let i = 0; ; i++) {
        const r = await api.request("GET", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/fluxinstances.fluxcd.controlplane.io");
        if (/"type":"Established","status":"True"/.test(r.body)) break;
        assert.ok(i < 100, "the CRD is established");
        await new Promise((res) => setTimeout(res, 100));
      }
      // The plugin deletes in the foreground: the garbage collector's part is played by the stand-ins.
      controllers = runStandIns(api, {
        namespaces: ["default", "flux-system"],
        collections: ["configmaps", "/apis/fluxcd.controlplane.io/v1/namespaces/{ns}/fluxinstances"],
      });
      stack = await RealStack.create("l3e-workload", program, { plugins: ["kubernetes"] });
    });
    after(async () => {
      await controllers?.stop();
      stack?.dispose();
      await Promise.all([api?.stop(), reg?.stop()]);
      if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });

    test("first preview: the artifact and the FluxInstance to create; nothing pushed, nothing written", async () => {
      const run = await stack.preview();
      assert.deepEqual(run.opsOf("dev-workload"), ["create"]);
      assert.deepEqual(run.opsOf("dev-flux-instance"), ["create"]);
      assert.equal(await tagDigest(), undefined, "preview pushes nothing");
      assert.equal((await api.request("GET", INSTANCE)).status, 404, "preview writes nothing");
    });

    test("up: pushed, and the FluxInstance (accepted by flux-operator's schema) pins exactly the pushed digest", async () => {
      const run = await stack.up();
      assert.deepEqual(run.opsOf("dev-workload"), ["create"]);
      const digest = String((await stack.stack.outputs()).digest.value);
      assert.match(digest, /^sha256:[0-9a-f]{64}$/);
      assert.equal(await tagDigest(), digest);
      assert.equal(await pinnedDigest(), digest);
    });

    test("no manifest changed: preview shows no change anywhere", async () => {
      const run = await stack.preview();
      const changed = run.steps.filter((s) => s.op !== "same").map((s) => `${s.op} ${s.name}`);
      assert.deepEqual(changed, []);
    });

    test("a changed manifest: preview shows an update of the artifact and the FluxInstance only, and pushes nothing", async () => {
      const before = await tagDigest();
      writeWorkloadTree(dir, 3);
      const run = await stack.preview();
      const changed = run.steps.filter((s) => s.op !== "same").map((s) => `${s.op} ${s.name}`);
      assert.deepEqual(changed.sort(), ["update dev-flux-instance", "update dev-workload"]);
      assert.deepEqual(run.opsOf("team-a"), ["same"]);
      assert.deepEqual(run.opsOf("dev-k8s"), ["same"]);
      assert.equal(await tagDigest(), before, "preview pushes nothing");
    });

    test("up pushes the new digest and the FluxInstance follows it; destroy leaves the tag", { timeout: 240_000 }, async () => {
      const old = await pinnedDigest();
      const run = await stack.up();
      assert.deepEqual(run.opsOf("dev-workload"), ["update"]);
      assert.deepEqual(run.opsOf("dev-flux-instance"), ["update"]);
      const digest = await tagDigest();
      assert.notEqual(digest, old);
      assert.equal(await pinnedDigest(), digest);
      await stack.destroy();
      assert.equal((await api.request("GET", INSTANCE)).status, 404);
      assert.equal(await tagDigest(), digest, "the tag stays in the registry");
    });
  },
);
