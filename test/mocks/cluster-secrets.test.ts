// L1: ClusterSecrets registration under mocks — type, inputs, additionalSecretOutputs, and what the program
// sees: key material secret, notAfter/fingerprints plain, everything unknown in a create preview.
import { describe, test } from "node:test";
import * as assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { recordProgram, settle } from "../harness/mocks";
import { ClusterSecrets, CLUSTER_SECRETS_SECRET_OUTPUTS } from "../../sdk/dynamic/clusterSecrets";

const TYPE = "pulumi-nodejs:dynamic/ksail:ClusterSecrets";

/** Outputs shaped like a real create (the L2 test produces the real ones). */
const FAKE_OUTS = {
  talos: { cluster: { id: "id", secret: "s" } },
  kubeconfig: "apiVersion: v1\nkind: Config\n",
  talosconfig: "context: dev\n",
  notAfter: "2027-01-01T00:00:00.000Z",
  issuedAt: "2026-01-01T00:00:00.000Z",
  caFingerprints: { os: "ab", k8s: "cd" },
};

describe("ClusterSecrets under mocks", () => {
  test("registers one dynamic resource with additionalSecretOutputs for every key-bearing output", async () => {
    let seen: Record<string, { secret: boolean; known: boolean }> = {};
    const rec = await recordProgram(
      async () => {
        const s = new ClusterSecrets(
          "dev-secrets",
          {
            clusterName: "dev",
            distribution: "Talos",
            endpoints: { kubernetes: pulumi.output("https://127.0.0.1:6443"), talos: ["127.0.0.1:50000"] },
            certLifetimeHours: 24,
          },
          { additionalSecretOutputs: ["issuedAt"] },
        );
        const entries = await Promise.all(
          (["kubeconfig", "talosconfig", "talos", "notAfter", "caFingerprints", "issuedAt"] as const).map(async (k) => {
            const st = await settle(s[k] as pulumi.Output<unknown>);
            return [k, { secret: st.secret, known: st.known }] as const;
          }),
        );
        seen = Object.fromEntries(entries);
      },
      { state: () => ({ outputs: FAKE_OUTS }) },
    );
    const r = rec.byName("dev-secrets");
    assert.equal(r.type, TYPE);
    assert.equal(r.custom, true);
    assert.deepEqual(r.options.additionalSecretOutputs, ["issuedAt", ...CLUSTER_SECRETS_SECRET_OUTPUTS]);
    assert.equal(r.inputs.clusterName, "dev");
    assert.equal(r.inputs.distribution, "Talos");
    assert.deepEqual(r.inputs.endpoints, { kubernetes: "https://127.0.0.1:6443", talos: ["127.0.0.1:50000"] });
    assert.equal(r.inputs.certLifetimeHours, 24);
    assert.equal(typeof r.inputs.__provider, "string");
    assert.deepEqual(r.secretInputs, []);
    for (const k of ["kubeconfig", "talosconfig", "talos", "issuedAt"]) assert.equal(seen[k].secret, true, `${k} is secret`);
    for (const k of ["notAfter", "caFingerprints"]) assert.equal(seen[k].secret, false, `${k} is plain`);
    assert.deepEqual(
      rec.resources.map((x) => x.name),
      ["dev-secrets"],
    );
  });

  test("in a create preview the outputs are unknown (declared, not computed)", async () => {
    let kube: { known: boolean; secret: boolean } | undefined;
    await recordProgram(
      async () => {
        const s = new ClusterSecrets("p", { clusterName: "p", distribution: "K3s", endpoints: { kubernetes: "https://127.0.0.1:6550" } });
        kube = await settle(s.kubeconfig);
      },
      { preview: true },
    );
    assert.equal(kube?.known, false);
  });
});
