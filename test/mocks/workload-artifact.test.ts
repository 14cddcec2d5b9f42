// L1: the workload half of KSailCluster under mocks. With a GitOps engine syncing from an OCI registry the
// manifests are pushed by `<name>-workload` (a WorkloadArtifact) and the engine is pinned to its digest, so a
// changed manifest touches exactly the artifact and the sync object (Flux's FluxInstance, Argo CD's
// Application), an unchanged tree touches nothing, and registry credentials stay secret.
import { after, describe, test } from "node:test";
import * as assert from "node:assert/strict";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { allPlainStrings, type Recording } from "../harness/mocks";
import { changedResources, recordCluster, type ClusterRun } from "./cluster-record";
import { writeWorkloadTree } from "../harness/workloadTree";

const WORKLOAD = "pulumi-nodejs:dynamic/ksail:WorkloadArtifact";
const root = fs.mkdtempSync(path.join(os.tmpdir(), "ksail-workload-mocks-"));
after(() => fs.rmSync(root, { recursive: true, force: true }));

/** A push answers with a digest derived from the content, as the registry would. */
function pushed(type: string, _name: string, inputs: Record<string, unknown>): Record<string, unknown> | undefined {
  return type === WORKLOAD ? { digest: `sha256:${createHash("sha256").update(String(inputs.contentDigest)).digest("hex")}` } : undefined;
}

function record(cluster: Record<string, unknown>, sourceDirectory: string, extra: Partial<ClusterRun> = {}): Promise<Recording> {
  const { args, ...rest } = extra;
  return recordCluster({
    cluster,
    args: { spec: { cluster, workload: { sourceDirectory } }, ...args },
    outputs: pushed,
    ...rest,
  });
}

const changes = changedResources;

const FLUX = { distribution: "K3s", gitOpsEngine: "Flux" };
const ARGO = { distribution: "K3s", gitOpsEngine: "ArgoCD" };

describe("KSailCluster pushes the workload and pins the GitOps engine to it", () => {
  test("Flux on the local registry: the artifact targets localhost:<port>/<dir>:<tag>, the OCIRepository is pinned to its digest", async () => {
    const dir = writeWorkloadTree(path.join(root, "flux", "k8s"), 1);
    const r = await record(FLUX, dir);
    const w = r.byName("dev-workload");
    assert.equal(w.type, WORKLOAD);
    assert.equal(w.inputs.registry, "localhost:5050");
    assert.equal(w.inputs.repository, "k8s");
    assert.equal(w.inputs.tag, "dev");
    assert.equal(w.inputs.sourceDirectory, dir);
    assert.equal(w.inputs.empty, false);
    assert.match(String(w.inputs.contentDigest), /^sha256:[0-9a-f]{64}$/);
    const digest = pushed(WORKLOAD, "", w.inputs)!.digest;
    const spec = r.byName("dev-flux-instance").inputs.spec as {
      sync: Record<string, unknown>;
      kustomize: { patches: { target: unknown; patch: string }[] };
    };
    assert.equal(spec.sync.url, "oci://dev-local-registry:5000/k8s", "the cluster pulls through the registry's in-network name");
    assert.equal(spec.sync.ref, "dev");
    const pin = spec.kustomize.patches.find((p) => p.patch.includes("/spec/ref/digest"));
    assert.ok(pin, JSON.stringify(spec.kustomize.patches));
    assert.deepEqual(pin.target, { kind: "OCIRepository", name: "flux-system" });
    assert.match(pin.patch, new RegExp(`value: "${digest}"`));
    // The push waits for the Docker layer (the local registry); the engine is created after the push.
    assert.ok(w.options.dependsOn.includes("dev-infra"), JSON.stringify(w.options.dependsOn));
  });

  test("a changed manifest touches exactly the artifact and the FluxInstance; an unchanged tree touches nothing", async () => {
    const dir = writeWorkloadTree(path.join(root, "flux-change", "k8s"), 1);
    const a = await record(FLUX, dir);
    const same = await record(FLUX, dir);
    assert.deepEqual(changes(a, same), []);
    writeWorkloadTree(dir, 3);
    const b = await record(FLUX, dir);
    assert.deepEqual(changes(a, b), ["~dev-workload", "~dev-flux-instance"]);
    assert.notEqual(a.byName("dev-workload").inputs.contentDigest, b.byName("dev-workload").inputs.contentDigest);
  });

  test("Argo CD: the Application's target revision is the pushed digest; a change touches the artifact and the Application only", async () => {
    const dir = writeWorkloadTree(path.join(root, "argo", "k8s"), 1);
    const a = await record(ARGO, dir);
    const app = a.byName("dev-argocd-application").inputs.spec as { source: Record<string, unknown> };
    assert.equal(app.source.targetRevision, pushed(WORKLOAD, "", a.byName("dev-workload").inputs)!.digest);
    assert.equal(app.source.repoURL, "oci://dev-local-registry:5000/k8s");
    writeWorkloadTree(dir, 2);
    const b = await record(ARGO, dir);
    assert.deepEqual(changes(a, b), ["~dev-workload", "~dev-argocd-application"]);
  });

  test("spec.workload.kustomizationFile is Flux's sync path inside the artifact (./<kustomizationFile>, as KSail sets it)", async () => {
    const dir = writeWorkloadTree(path.join(root, "kf", "k8s"), 1);
    const r = await record(FLUX, dir, {
      args: {
        spec: {
          cluster: { distribution: "K3s", gitOpsEngine: "Flux" },
          workload: { sourceDirectory: dir, kustomizationFile: "clusters/local" },
        },
      },
    });
    const spec = r.byName("dev-flux-instance").inputs.spec as { sync: Record<string, unknown> };
    assert.equal(spec.sync.path, "./clusters/local");
  });

  test("validateOnPush: invalid manifests fail the program (preview too) with each problem, before anything is pushed", async () => {
    const dir = writeWorkloadTree(path.join(root, "vop", "k8s"), 1);
    fs.writeFileSync(
      path.join(dir, "apps/web.yaml"),
      fs.readFileSync(path.join(dir, "apps/web.yaml"), "utf8").replace("replicas: 1", "replicas: one"),
    );
    const run = (preview: boolean) =>
      record(FLUX, dir, {
        preview,
        args: {
          spec: { cluster: { distribution: "K3s", gitOpsEngine: "Flux" }, workload: { sourceDirectory: dir, validateOnPush: true } },
        },
      });
    for (const preview of [true, false])
      await assert.rejects(run(preview), (e: Error) => {
        assert.match(e.message, /the workload is not pushed: spec\.workload\.validateOnPush found invalid manifests/);
        assert.match(
          e.message,
          /spec\.workload\.sourceDirectory: .*apps\/web\.yaml:5: apps\/v1\/Deployment web spec\.replicas: must be integer/,
        );
        return true;
      });
    writeWorkloadTree(dir, 2);
    assert.ok((await run(false)).find("dev-workload"));
  });

  test("no source directory yet: KSail's empty kustomization is pushed (the engine still finds an artifact)", async () => {
    const r = await record(FLUX, path.join(root, "missing", "k8s"));
    assert.equal(r.byName("dev-workload").inputs.empty, true);
  });

  test("a source directory without manifests fails the program with the field named", async () => {
    const dir = path.join(root, "no-manifests");
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, "README.md"), "nothing to deploy\n");
    await assert.rejects(record(FLUX, dir), /spec\.workload\.sourceDirectory: no manifest files/);
  });

  test("pushWorkload: false leaves the engine on its tag, with no artifact", async () => {
    const dir = writeWorkloadTree(path.join(root, "off", "k8s"), 1);
    const r = await record(FLUX, dir, { args: { pushWorkload: false } });
    assert.equal(r.find("dev-workload"), undefined);
    const spec = r.byName("dev-flux-instance").inputs.spec as { kustomize: { patches: { patch: string }[] } };
    assert.ok(!spec.kustomize.patches.some((p) => p.patch.includes("/spec/ref/digest")));
  });

  test("an external registry is pushed to only when asked (others may own its tag), and never with an empty kustomization", async () => {
    const cluster = { ...FLUX, localRegistry: { registry: "ghcr.io/acme/manifests:prod" } };
    const dir = writeWorkloadTree(path.join(root, "external-default", "k8s"), 1);
    const r = await record(cluster, dir);
    assert.equal(r.find("dev-workload"), undefined);
    await assert.rejects(
      record(cluster, path.join(root, "external-missing"), { args: { pushWorkload: true } }),
      /spec\.workload\.sourceDirectory: source directory .* does not exist/,
    );
  });

  test("an external registry with pushWorkload: pushed there with the spec's credentials, which stay secret; no dependency on the nodes", async () => {
    const dir = writeWorkloadTree(path.join(root, "external", "k8s"), 1);
    const cluster = { ...FLUX, localRegistry: { registry: "bot:s3cr3t-T0KEN@ghcr.io/acme/manifests:prod" } };
    const r = await record(cluster, dir, { args: { pushWorkload: true } });
    const w = r.byName("dev-workload");
    assert.equal(w.inputs.registry, "ghcr.io");
    assert.equal(w.inputs.repository, "acme/manifests");
    assert.equal(w.inputs.tag, "prod");
    assert.ok(w.secretInputs.includes("password") && w.secretInputs.includes("username"), JSON.stringify(w.secretInputs));
    assert.ok(w.secretOutputs.includes("password"), JSON.stringify(w.secretOutputs));
    assert.deepEqual(w.options.dependsOn, []);
    assert.ok(!allPlainStrings(r).some((s) => s.includes("s3cr3t-T0KEN")), "the registry password appears in a plain value");
  });
});
