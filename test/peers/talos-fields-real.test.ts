// L0 against a real peer: the patch check's field tree is Talos's own. (1) sdk/distributions/talos/fields.json equals
// what the talosfields peer (test/peers/talosfields: reflection over siderolabs/talos pkg/machinery's config types at
// each pinned version) reads from the decoder's Go types today. (2) On a table of patches, the check refuses exactly
// what Talos's own loader (the talosvalidate peer, configloader.NewFromBytes) refuses in the rendered config: misspelt
// fields, wrong shapes, unknown fields of other document kinds, JSON patches through unknown fields — and accepts
// what it accepts, deprecated fields included. Skips when the peers are not built (no Go on the machine).
import { describe, test, before, after } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { execFileSync } from "node:child_process";
import { KNOWN_DOCUMENT_KINDS, renderMachineConfigs, talosPatchIssues, type TalosMinor } from "../../sdk/distributions/talos";
import { talosFields } from "../../sdk/distributions/talos/fields";
import type { TalosSecretsBundle } from "../../sdk/pki/types";
import { talosSecrets } from "../fixtures/talos/secrets";
import { builtMachineryTool, missingReason } from "./tools";
import { repoRoot } from "../harness/paths";

const VERSIONS = (
  /^TALOSVALIDATE_VERSIONS="([^"]*)"/m.exec(fs.readFileSync(path.join(repoRoot(), "scripts/tools/versions.sh"), "utf8"))?.[1] ?? ""
)
  .split(/\s+/)
  .filter(Boolean);
const minorOf = (v: string) => v.slice(1).split(".").slice(0, 2).join(".") as TalosMinor;
const fieldsBuilt = VERSIONS.filter((v) => builtMachineryTool("talosfields", v));
const validateBuilt = VERSIONS.filter((v) => builtMachineryTool("talosvalidate", v));

/** A type's fields in one minor of fields.json (following "same as minor X"). */
function shipped(minor: string, name: string): unknown {
  const t = talosFields()[minor].types[name];
  return typeof t === "string" ? shipped(t, name) : t;
}

describe(
  "fields.json is what Talos's decoder types say (talosfields peer)",
  { skip: fieldsBuilt.length ? false : missingReason("talosfields", "talosfields") },
  () => {
    for (const v of fieldsBuilt) {
      test(`Talos ${v}: documents and every type's fields equal the peer's reading`, () => {
        const minor = minorOf(v);
        const dump = JSON.parse(
          execFileSync(path.join(builtMachineryTool("talosfields", v)!, "talosfields"), [...KNOWN_DOCUMENT_KINDS[minor]], {
            encoding: "utf8",
            maxBuffer: 64 << 20,
          }),
        ) as { documents: Record<string, unknown>; types: Record<string, unknown> };
        const data = talosFields()[minor];
        assert.equal(data.machinery, v);
        assert.deepEqual(data.documents, dump.documents);
        assert.deepEqual(Object.keys(data.types).sort(), Object.keys(dump.types).sort());
        for (const name of Object.keys(dump.types)) assert.deepEqual(shipped(minor, name), dump.types[name], name);
      });
    }
  },
);

interface Case {
  name: string;
  patch: string;
  /** Versions the case applies to (default all). */
  minors?: TalosMinor[];
}
const CASES: Case[] = [
  { name: "misspelt kubelet field", patch: "machine:\n  kubelet:\n    extraArgz: {a: b}\n" },
  { name: "known kubelet field", patch: "machine:\n  kubelet:\n    extraArgs: {max-pods: '200'}\n" },
  { name: "deprecated machine.time", patch: "machine:\n  time:\n    servers: [time.cloudflare.com]\n" },
  { name: "map where a list is wanted", patch: "machine:\n  network:\n    interfaces: {eth0: {dhcp: true}}\n" },
  { name: "list where a single value is wanted", patch: "machine:\n  kubelet:\n    image: [a, b]\n" },
  {
    name: "unknown field in a list item",
    patch: "machine:\n  kubelet:\n    extraMounts:\n      - destination: /var/x\n        sauce: /var/x\n",
  },
  {
    name: "known fields in a list item",
    patch:
      "machine:\n  kubelet:\n    extraMounts:\n      - destination: /var/x\n        source: /var/x\n        type: bind\n        options: [bind, rw]\n",
  },
  { name: "misspelt cluster field", patch: "cluster:\n  apiServer:\n    certSAN: [a.example.com]\n" },
  {
    name: "unstructured kubelet config",
    patch: "machine:\n  kubelet:\n    extraConfig: {serializeImagePulls: false, anything: {x: [1]}}\n",
  },
  {
    name: "unknown field of KmsgLogConfig",
    patch: "apiVersion: v1alpha1\nkind: KmsgLogConfig\nname: remote\nurl: tcp://10.0.0.1:5000\nformat: json\n",
  },
  { name: "known fields of KmsgLogConfig", patch: "apiVersion: v1alpha1\nkind: KmsgLogConfig\nname: remote\nurl: tcp://10.0.0.1:5000\n" },
  { name: "JSON patch through an unknown field", patch: "- op: add\n  path: /machine/kubelet/extraArgz\n  value: {a: b}\n" },
  { name: "JSON patch of a known field", patch: "- op: add\n  path: /machine/sysctls\n  value: {net.core.somaxconn: '65535'}\n" },
  { name: "JSON patch value of the wrong shape", patch: "- op: add\n  path: /machine/certSANs\n  value: {a: b}\n" },
  { name: "sysctls map", patch: "machine:\n  sysctls:\n    vm.max_map_count: '262144'\n" },
  { name: "misspelt top-level section", patch: "machines:\n  sysctls: {a: '1'}\n" },
];

describe(
  "the patch check refuses what Talos's loader refuses (talosvalidate peer)",
  { skip: validateBuilt.length ? false : missingReason("talosvalidate", "talosvalidate") },
  () => {
    let dir: string;
    let secrets: TalosSecretsBundle;
    before(async () => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), "ksail-talosfields-"));
      secrets = await talosSecrets();
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    for (const v of validateBuilt) {
      test(`Talos ${v}: same verdict on ${CASES.length} patches`, () => {
        const cases = CASES.filter((c) => !c.minors || c.minors.includes(minorOf(v)));
        const files = cases.map((c, i) => {
          const r = renderMachineConfigs({
            clusterName: "dev",
            endpoint: "https://10.5.0.2:6443",
            secrets,
            platform: "docker",
            workers: 1,
            talosVersion: v.slice(1),
            patches: { cluster: [{ source: "talos/cluster/p.yaml", content: c.patch }] },
          });
          const f = path.join(dir, `${minorOf(v)}-${i}.yaml`);
          fs.writeFileSync(f, r.worker);
          return f;
        });
        const verdicts = JSON.parse(
          execFileSync(path.join(builtMachineryTool("talosvalidate", v)!, "talosvalidate"), ["container", ...files], {
            encoding: "utf8",
            maxBuffer: 64 << 20,
          }),
        ) as { file: string; error?: string }[];
        const mismatches = cases.flatMap((c, i) => {
          const talosRefuses = (verdicts[i].error ?? "").startsWith("load:");
          const weRefuse = talosPatchIssues([{ source: "talos/cluster/p.yaml", content: c.patch }], v).length > 0;
          return talosRefuses === weRefuse
            ? []
            : [
                `${c.name}: Talos ${talosRefuses ? "refuses" : "accepts"} (${verdicts[i].error ?? "ok"}), we ${weRefuse ? "refuse" : "accept"}`,
              ];
        });
        assert.deepEqual(mismatches, []);
        // Both sides refuse something: the table is not trivially agreeing.
        assert.ok(verdicts.some((x) => (x.error ?? "").startsWith("load:")));
        assert.ok(verdicts.some((x) => !(x.error ?? "").startsWith("load:")));
      });
    }
  },
);
