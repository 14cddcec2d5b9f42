// L0 against a real peer: every machine config the renderer produces — each supported Talos version, every
// platform (Docker = container mode, Hetzner = cloud, metal), CNI, worker count, with and without patches, and the
// older contracts a cluster created before keeps — goes through Talos's own config loader and validator
// (siderolabs/talos pkg/machinery at the pinned versions, built by scripts/tools/build.sh talosvalidate from
// test/peers/talosvalidate). The list of document kinds each minor knows is checked against the loader too. Skips
// when the peer is not built (no Go on the machine).
import { describe, test, before, after } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { execFileSync } from "node:child_process";
import { KNOWN_DOCUMENT_KINDS, renderMachineConfigs, type TalosMinor, type TalosRenderInput } from "../../sdk/distributions/talos";
import type { TalosSecretsBundle } from "../../sdk/pki/types";
import { planHetznerCluster } from "../../sdk/plan/hetzner";
import { talosHetznerOptions } from "../../sdk/plan/talos";
import { talosSecrets } from "../fixtures/talos/secrets";
import { repoRoot } from "../harness/paths";
import { builtMachineryTool, missingReason } from "../peers/tools";

const VERSIONS = (
  /^TALOSVALIDATE_VERSIONS="([^"]*)"/m.exec(fs.readFileSync(path.join(repoRoot(), "scripts/tools/versions.sh"), "utf8"))?.[1] ?? ""
)
  .split(/\s+/)
  .filter((v) => v !== "");
const validatorOf = (v: string) => {
  const dir = builtMachineryTool("talosvalidate", v);
  return dir === undefined ? undefined : path.join(dir, "talosvalidate");
};
const built = VERSIONS.filter((v) => validatorOf(v) !== undefined);
const skip = built.length > 0 ? false : missingReason("talosvalidate (Talos's own config validator)", "talosvalidate");

type Mode = "container" | "cloud" | "metal";
interface Verdict {
  file: string;
  error?: string;
  warnings: string[];
}

let dir: string;
let secrets: TalosSecretsBundle;
let n = 0;

/** Talos's verdict on each config (its own loader and Validate in `mode`), keyed by the name given. */
function talosVerdicts(version: string, mode: Mode, configs: Record<string, string>): Record<string, Verdict> {
  const files = Object.entries(configs).map(([name, yaml]) => {
    const f = path.join(dir, `${n++}.yaml`);
    fs.writeFileSync(f, yaml);
    return [f, name] as const;
  });
  const out = JSON.parse(
    execFileSync(validatorOf(version)!, [mode, ...files.map(([f]) => f)], { encoding: "utf8", maxBuffer: 64 << 20 }),
  ) as Verdict[];
  const byFile = new Map(files);
  return Object.fromEntries(out.map((v) => [byFile.get(v.file)!, v]));
}

const PLATFORMS: [TalosRenderInput["platform"], Mode][] = [
  ["docker", "container"],
  ["hetzner", "cloud"],
  ["metal", "metal"],
];

function extras(platform: TalosRenderInput["platform"]): Partial<TalosRenderInput> {
  if (platform === "docker") {
    return {
      mirrors: [{ host: "docker.io", endpoints: ["http://dev-docker.io:5000"], auth: { username: "me", password: "pw" } }],
      localRegistry: { host: "dev-local-registry:5000", endpoint: "http://dev-local-registry:5000" },
    };
  }
  if (platform === "hetzner") {
    const firewall = talosHetznerOptions(planHetznerCluster({ clusterName: "dev", controlPlanes: 3, workers: 2, cni: "Cilium" })).firewall;
    return {
      endpoint: "https://203.0.113.10:6443",
      certSANs: ["10.0.1.2"],
      hetzner: { vip: "203.0.113.10", apiToken: "token", privateNetworkCidr: "10.0.0.0/16", firewall, externalCloudProvider: true },
    };
  }
  return { install: { disk: "/dev/nvme0n1" } };
}

const PATCHES = {
  cluster: [{ source: "talos/cluster/sysctl.yaml", content: 'machine:\n  sysctls:\n    net.core.somaxconn: "65535"\n' }],
  workers: [{ source: "talos/workers/labels.yaml", content: "machine:\n  nodeLabels:\n    ksail.io/pool: default\n" }],
};
/** With `cluster.imageVerification` (Talos 1.13+): a rule added to the rendered ImageVerificationConfig by a patch. */
const VERIFY_RULE = {
  source: "talos/cluster/verify.yaml",
  content:
    "apiVersion: v1alpha1\nkind: ImageVerificationConfig\nrules:\n  - image: ghcr.io/siderolabs/*\n    keyless:\n      issuer: https://accounts.google.com\n      subjectRegex: '@siderolabs\\.com$'\n",
};

/** Every config of the matrix for one version (and contract), by a readable name. */
function matrix(version: string, platform: TalosRenderInput["platform"], contract?: TalosMinor): Record<string, string> {
  const out: Record<string, string> = {};
  for (const cni of ["Default", "Cilium", "Calico"] as const)
    for (const workers of [0, 2])
      for (const withPatches of [false, true]) {
        const verify = withPatches && !["1.11", "1.12"].includes(version.split(".").slice(0, 2).join("."));
        const r = renderMachineConfigs({
          clusterName: "dev",
          endpoint: "https://10.5.0.2:6443",
          secrets,
          platform,
          cni,
          workers,
          metricsServer: cni !== "Calico",
          talosVersion: version,
          ...(contract ? { contract } : {}),
          ...(withPatches ? { patches: verify ? { ...PATCHES, cluster: [...PATCHES.cluster, VERIFY_RULE] } : PATCHES } : {}),
          imageVerification: verify,
          nodes: [
            { hostname: "dev-control-plane-1", role: "controlplane" },
            { hostname: "dev-worker-1", role: "worker" },
          ],
          ...extras(platform),
        });
        for (const [node, yaml] of Object.entries(r.perNode)) out[`${platform}/${cni}/w${workers}/patches=${withPatches}/${node}`] = yaml;
      }
  return out;
}

const problems = (verdicts: Record<string, Verdict>) =>
  Object.entries(verdicts)
    .filter(([, v]) => v.error !== undefined || v.warnings.length > 0)
    .map(([name, v]) => `${name}: ${v.error ?? ""} ${v.warnings.join("; ")}`);

describe("rendered configs through Talos's own loader and validator", { skip }, () => {
  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "ksail-talosvalidate-"));
    secrets = await talosSecrets();
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  for (const version of built) {
    for (const [platform, mode] of PLATFORMS) {
      test(`Talos ${version} × ${platform} (${mode} mode) × CNI × workers × patches: loaded and valid, no warnings`, () => {
        const configs = matrix(version.slice(1), platform);
        assert.equal(Object.keys(configs).length, 24);
        assert.deepEqual(problems(talosVerdicts(version, mode, configs)), []);
      });
    }
  }

  test(
    "a cluster created on an older Talos keeps its contract: 1.14 nodes take configs of the 1.11 and 1.12 contracts",
    { skip: validatorOf("v1.14.1") ? false : "talosvalidate v1.14.1 not built" },
    () => {
      for (const contract of ["1.11", "1.12"] as const)
        for (const [platform, mode] of PLATFORMS)
          assert.deepEqual(problems(talosVerdicts("v1.14.1", mode, matrix("1.14.1", platform, contract))), [], `${contract} ${platform}`);
    },
  );

  test("the peer is Talos: it rejects what Talos rejects (an unknown field, a document kind its version does not know)", () => {
    const v = built[built.length - 1];
    const base = matrix(v.slice(1), "docker")["docker/Default/w2/patches=false/dev-worker-1"];
    const verdicts = talosVerdicts(v, "container", {
      field: base.replace("machine:\n", "machine:\n  bogusField: 1\n"),
      kind: `${base}---\napiVersion: v1alpha1\nkind: FutureConfig\nx: 1\n`,
    });
    assert.match(verdicts.field.error ?? "", /bogusField/);
    assert.match(verdicts.kind.error ?? "", /"FutureConfig" "v1alpha1": not registered/);
  });

  test("KNOWN_DOCUMENT_KINDS is each version's registry: every listed kind is registered, every newer one is not", () => {
    const minors = Object.keys(KNOWN_DOCUMENT_KINDS) as TalosMinor[];
    const all = [...new Set(minors.flatMap((m) => KNOWN_DOCUMENT_KINDS[m]))];
    for (const version of built) {
      const minor = version.slice(1).split(".").slice(0, 2).join(".") as TalosMinor;
      const base = matrix(version.slice(1), "docker")["docker/Default/w2/patches=false/dev-worker-1"];
      // `name: x` may not fit a kind (a decode error); only "not registered" says the loader does not know it.
      const verdicts = talosVerdicts(
        version,
        "container",
        Object.fromEntries(all.map((k) => [k, `${base}---\napiVersion: v1alpha1\nkind: ${k}\nname: x\n`])),
      );
      for (const k of all) {
        const unknown = /not registered/.test(verdicts[k].error ?? "");
        assert.equal(unknown, !KNOWN_DOCUMENT_KINDS[minor].includes(k), `${version} ${k}: ${verdicts[k].error ?? "accepted"}`);
      }
    }
  });
});
