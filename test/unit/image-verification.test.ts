// Image verification on Docker (spec.cluster.imageVerification): Vanilla nodes switch containerd's image-verifier
// bindir plugin on in their bootstrap, before kubeadm pulls anything (the table containerd 2.x reads,
// `plugins."io.containerd.image-verifier.v1.bindir"`, with the verifiers the node image brings); K3s is refused,
// and a Kind node image older than v1.35.1 too. `render` shows the script each node gets.
import { describe, test } from "node:test";
import * as assert from "node:assert/strict";
import { parseSpec } from "../../sdk/config";
import { renderCluster } from "../../sdk/cli/render";
import { planCluster } from "../../sdk/plan/cluster";
import { isKsailError } from "../../sdk/errors";

const vanilla = (imageVerification: "Enabled" | "Disabled", extra: Record<string, unknown> = {}) =>
  parseSpec({ cluster: { distribution: "Vanilla", provider: "Docker", workers: 1, imageVerification, ...extra } }).spec;

describe("image verification on Docker", () => {
  test("Vanilla: the plan carries it and every node's bootstrap script switches the verifier on; off, nothing of it", async () => {
    assert.equal(planCluster({ name: "dev", spec: vanilla("Enabled") }).docker!.imageVerification, true);
    assert.equal(planCluster({ name: "dev", spec: vanilla("Disabled") }).docker!.imageVerification, undefined);
    const on = await renderCluster({ name: "dev", spec: vanilla("Enabled"), warnings: [] });
    const scripts = on.files.filter((f) => f.path.endsWith("/usr/local/bin/ksail-bootstrap"));
    assert.deepEqual(
      scripts.map((f) => f.path.split("/")[1]),
      ["dev-control-plane-1", "dev-worker-1"],
    );
    for (const f of scripts) {
      assert.match(f.content, /\[plugins\."io\.containerd\.image-verifier\.v1\.bindir"\]/);
      assert.ok(f.content.indexOf("image-verifier") < f.content.indexOf("kubeadm "), "before kubeadm");
    }
    const off = await renderCluster({ name: "dev", spec: vanilla("Disabled"), warnings: [] });
    assert.ok(off.files.every((f) => !f.content.includes("image-verifier")));
  });

  test("K3s and old Kind node images are refused by the plan, naming the field", () => {
    const refuse = (spec: unknown, re: RegExp) =>
      assert.throws(
        () => planCluster({ name: "dev", spec: parseSpec(spec).spec }),
        (e: unknown) => isKsailError(e) && e.issues.some((i) => i.path === "spec.cluster.imageVerification" && re.test(i.message)),
      );
    refuse({ cluster: { distribution: "K3s", provider: "Docker", imageVerification: "Enabled" } }, /no image verifier/);
    refuse(
      { cluster: { distribution: "Vanilla", provider: "Docker", imageVerification: "Enabled", kubernetesVersion: "1.34.0" } },
      /1\.35\.1 or newer/,
    );
  });
});
