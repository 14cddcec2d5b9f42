// L3E: ClusterSecrets in `pulumi up` / `refresh` / `destroy` of the real Pulumi CLI (Automation API, inline
// program, file backend with a passphrase secrets provider). What is checked is the checkpoint the CLI
// writes to disk: the key material must be there only as ciphertext, before and after a refresh.
import { after, before, describe, test } from "node:test";
import * as assert from "node:assert/strict";
import { ClusterSecrets } from "../../sdk/dynamic/clusterSecrets";
import type { TalosSecretsBundle } from "../../sdk/pki";
import { RealStack, skipRealEngine } from "./harness";

/** Every string leaf of a value (the tokens, keys and certificates of a bundle). */
function leaves(v: unknown, out: string[] = []): string[] {
  if (typeof v === "string") out.push(v);
  else if (Array.isArray(v)) for (const x of v) leaves(x, out);
  else if (v && typeof v === "object") for (const x of Object.values(v)) leaves(x, out);
  return out;
}

describe("ClusterSecrets through the real Pulumi engine (L3E)", { skip: skipRealEngine }, () => {
  let stack: RealStack;
  let secretValues: string[] = [];

  const program = async () => {
    const s = new ClusterSecrets("dev-secrets", {
      clusterName: "dev",
      distribution: "Talos",
      endpoints: { kubernetes: "https://127.0.0.1:6443", talos: ["127.0.0.1:50000"], talosNodes: ["10.5.0.2"] },
    });
    return { kubeconfig: s.kubeconfig, talosconfig: s.talosconfig, talos: s.talos, fingerprints: s.caFingerprints };
  };

  /** Asserts the raw checkpoint holds no PEM block and none of the secret values in plain text. */
  function assertEncrypted(raw: string): void {
    assert.doesNotMatch(raw, /-----BEGIN/, "a PEM block is stored in plain text");
    const leaked = secretValues.filter((v) => raw.includes(v));
    assert.deepEqual(leaked, [], "secret values stored in plain text");
    assert.match(raw, /"ciphertext"/);
  }

  before(async () => {
    stack = await RealStack.create("l3e-cluster-secrets", program);
  });
  after(() => stack?.dispose());

  test("up: the identity is created and every piece of key material is encrypted in the state file", async () => {
    const up = await stack.up();
    assert.deepEqual(up.opsOf("dev-secrets"), ["create"]);
    const outputs = await stack.stack.outputs();
    for (const k of ["kubeconfig", "talosconfig", "talos"]) assert.equal(outputs[k].secret, true, `${k} is not a secret output`);
    assert.equal(outputs.fingerprints.secret, false);
    const talos = outputs.talos.value as TalosSecretsBundle;
    assert.match(talos.certs.os.key, /BEGIN/);
    // Tokens and secrets of the bundle (bootstrap token, trustd token, cluster secret, secretbox key), the
    // keys, and both client configs; short values (versions, names) would match by chance, so ≥ 16 chars.
    secretValues = [...leaves(talos), outputs.kubeconfig.value as string, outputs.talosconfig.value as string].filter(
      (v) => v.length >= 16,
    );
    assert.ok(secretValues.length >= 10, `only ${secretValues.length} secret values`);
    assertEncrypted(stack.stateFileText());
  });

  test("refresh: nothing changes and the state stays encrypted", async () => {
    const refresh = await stack.refresh();
    assert.ok(!refresh.steps.some((s) => s.name === "dev-secrets" && !["refresh", "same"].includes(s.op)), refresh.stdout);
    assertEncrypted(stack.stateFileText());
    const preview = await stack.preview();
    assert.deepEqual(preview.opsOf("dev-secrets"), ["same"]);
  });

  test("destroy: the identity is deleted and the state holds no resources", async () => {
    const destroy = await stack.destroy();
    assert.deepEqual(destroy.opsOf("dev-secrets"), ["delete"]);
    const resources = (await stack.stack.exportStack()).deployment.resources ?? [];
    assert.deepEqual(resources, []);
  });
});
