// L0: the Talos field tree (sdk/distributions/talos/fields.json, read from pkg/machinery's Go types by
// scripts/gen-talos-fields.js) and the patch check built on it. What the real decoder says about the same patches is
// checked in test/peers/talos-fields-real.test.ts; here: every config this library renders fits the tree (so the
// check can never refuse the library's own output), and the check's verdicts on typical mistakes.
import { describe, test, before } from "node:test";
import * as assert from "node:assert/strict";
import {
  SUPPORTED_TALOS_MINORS,
  TALOS_MINORS,
  documentFieldIssues,
  parseDocuments,
  renderMachineConfigs,
  talosPatchIssues,
  type TalosMinor,
} from "../../sdk/distributions/talos";
import { talosFields } from "../../sdk/distributions/talos/fields";
import type { TalosSecretsBundle } from "../../sdk/pki/types";
import { talosSecrets } from "../fixtures/talos/secrets";

let secrets: TalosSecretsBundle;
const patch = (content: string, source = "talos/cluster/p.yaml") => [{ source, content }];

describe("Talos field tree", () => {
  before(async () => {
    secrets = await talosSecrets();
  });

  test("one tree per supported minor, from the newest patch of that minor", () => {
    const data = talosFields();
    assert.deepEqual(Object.keys(data).sort(), [...SUPPORTED_TALOS_MINORS].sort());
    for (const m of SUPPORTED_TALOS_MINORS) assert.match(data[m].machinery, new RegExp(`^v${m.replace(".", "\\.")}\\.\\d+$`));
  });

  for (const minor of SUPPORTED_TALOS_MINORS) {
    test(`every config rendered for Talos ${minor} (Docker, Hetzner, metal × CNI) fits the tree`, () => {
      const version = TALOS_MINORS[minor as TalosMinor].latestPatch;
      for (const platform of ["docker", "hetzner", "metal"] as const)
        for (const cni of ["Default", "Cilium", "Calico"] as const) {
          const r = renderMachineConfigs({
            clusterName: "dev",
            endpoint: "https://10.5.0.2:6443",
            secrets,
            platform,
            cni,
            workers: 1,
            metricsServer: true,
            talosVersion: version,
            ...(platform === "docker"
              ? {
                  mirrors: [{ host: "docker.io", endpoints: ["http://dev-docker.io:5000"] }],
                  localRegistry: { host: "dev-local-registry:5000", endpoint: "http://dev-local-registry:5000" },
                }
              : {}),
            ...(platform === "hetzner"
              ? { hetzner: { vip: "203.0.113.10", apiToken: "t", privateNetworkCidr: "10.0.0.0/16", externalCloudProvider: true } }
              : {}),
            ...(platform === "metal" ? { install: { disk: "/dev/sda" } } : {}),
          });
          for (const [role, yaml] of [
            ["controlplane", r.controlPlane],
            ["worker", r.worker],
          ])
            for (const d of parseDocuments(yaml))
              assert.deepEqual(documentFieldIssues(d, minor as TalosMinor, `${platform}/${cni}/${role}`), [], `${platform}/${cni}/${role}`);
        }
    });
  }

  test("a misspelt field is named with its file, path, the version and the fields that exist there", () => {
    const [i] = talosPatchIssues(patch("machine:\n  kubelet:\n    extraArgz: {a: b}\n"), "1.14.1");
    assert.equal(i.path, "talos/cluster/p.yaml: machine.kubelet.extraArgz");
    assert.match(i.message, /^unknown field "extraArgz"; Talos 1\.14 rejects the whole config .*known here: .*extraArgs/);
  });

  test("deprecated fields the decoder still takes are accepted (Talos's JSON schema leaves them out)", () => {
    // 1.14's published schema has no machine.kubelet, machine.time or machine.registries; its decoder takes them.
    const text =
      "machine:\n  kubelet:\n    extraArgs: {max-pods: '200'}\n  time:\n    servers: [time.cloudflare.com]\n  registries:\n    mirrors: {docker.io: {endpoints: [http://m:5000]}}\n";
    assert.deepEqual(talosPatchIssues(patch(text), "1.14.1"), []);
  });

  test("types that decode themselves are left to Talos; strategic-merge directives are not fields", () => {
    const text =
      "cluster:\n  controlPlane:\n    endpoint: https://x:6443\n  apiServer:\n    extraArgs: {a: b}\nmachine:\n  network:\n    $patch: delete\n  kubelet:\n    extraConfig: {anything: {goes: [1]}}\n";
    assert.deepEqual(talosPatchIssues(patch(text), "1.14.1"), []);
  });

  test("a field's availability follows the version: a field 1.11 does not have is refused for 1.11 only", () => {
    // Find a v1alpha1 machine field that 1.14 has and 1.11 lacks, straight from the tree.
    const data = talosFields();
    const fields = (m: string, t: string): Record<string, unknown> => {
      const v = data[m].types[t];
      return typeof v === "string" ? fields(v, t) : (v as Record<string, unknown>);
    };
    const added = Object.keys(fields("1.14", "v1alpha1.MachineConfig")).find((k) => !(k in fields("1.11", "v1alpha1.MachineConfig")));
    if (added === undefined) return; // no such field in these versions
    const text = `machine:\n  ${added}: {}\n`;
    assert.ok(talosPatchIssues(patch(text), "1.11.6").some((i) => i.path.endsWith(`machine.${added}`)));
  });

  test("JSON patches: every segment of the path and the value's shape are checked", () => {
    const issues = talosPatchIssues(
      patch(
        "- op: add\n  path: /machine/sysctls/net.core.somaxconn\n  value: '65535'\n- op: replace\n  path: /machine/kubelet/nodeIP/validSubnetz\n  value: []\n",
      ),
      "1.14.1",
    );
    assert.deepEqual(
      issues.map((i) => i.path),
      ["talos/cluster/p.yaml: operation 1"],
    );
    assert.match(issues[0].message, /unknown field "validSubnetz" under machine\.kubelet\.nodeIP/);
  });
});
