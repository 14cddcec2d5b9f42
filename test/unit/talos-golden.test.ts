// Golden renderings for review (snapshots of what a person reviews, not of internals). The secret-free rendering
// is normalized (certificates and the cluster id are random per bundle) and compared byte for byte with
// test/fixtures/talos/golden/*.yaml. After a deliberate change: UPDATE_GOLDEN=1 npx tsx --test test/unit/talos-golden.test.ts
import { test, describe, before } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as YAML from "yaml";
import { renderMachineConfigs, TalosRenderInput } from "../../sdk/distributions/talos";
import type { TalosSecretsBundle } from "../../sdk/pki/types";
import { talosSecrets } from "../fixtures/talos/secrets";
import { REPO_ROOT } from "../fixtures/talos/schema";
import { planHetznerCluster } from "../../sdk/plan/hetzner";
import { talosHetznerOptions } from "../../sdk/plan/talos";

const firewall = talosHetznerOptions(planHetznerCluster({ clusterName: "golden", controlPlanes: 3, workers: 3, cni: "Calico" })).firewall!;

const GOLDEN_DIR = path.join(REPO_ROOT, "test/fixtures/talos/golden");

let secrets: TalosSecretsBundle;
before(async () => {
  secrets = await talosSecrets();
});

function normalize(yaml: string): string {
  const walk = (v: any, key: string): any => {
    if (Array.isArray(v)) return v.map((x) => walk(x, ""));
    if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x, k)]));
    if (key === "crt" && typeof v === "string") return "<certificate>";
    return v;
  };
  return YAML.parseAllDocuments(yaml)
    .map((d) => {
      const js = walk(d.toJS(), "");
      if (js.cluster?.id) js.cluster.id = "<cluster-id>";
      return YAML.stringify(js, { lineWidth: 0 });
    })
    .join("---\n");
}

const CASES: Record<string, Partial<TalosRenderInput>> = {
  "docker-1.11": {
    talosVersion: "1.11.6",
    mirrors: [{ host: "docker.io", endpoints: ["http://local-docker.io:5000"] }],
    localRegistry: { host: "local-local-registry:5000", endpoint: "http://local-local-registry:5000" },
    cni: "Cilium",
    metricsServer: true,
  },
  "docker-1.12": {
    talosVersion: "1.12.11",
    mirrors: [{ host: "docker.io", endpoints: ["http://local-docker.io:5000"] }],
    localRegistry: { host: "local-local-registry:5000", endpoint: "http://local-local-registry:5000" },
    cni: "Cilium",
    metricsServer: true,
  },
  "docker-1.13": {
    talosVersion: "1.13.9",
    mirrors: [{ host: "docker.io", endpoints: ["http://local-docker.io:5000"] }],
    localRegistry: { host: "local-local-registry:5000", endpoint: "http://local-local-registry:5000" },
    cni: "Cilium",
    metricsServer: true,
  },
  "hetzner-1.13": {
    talosVersion: "1.13.9",
    platform: "hetzner",
    endpoint: "https://203.0.113.10:6443",
    certSANs: ["10.0.1.2", "10.0.1.3", "10.0.1.4"],
    hetzner: { vip: "203.0.113.10", apiToken: "token", privateNetworkCidr: "10.0.0.0/16", firewall },
    install: { disk: "/dev/sda" },
    cni: "Calico",
    metricsServer: true,
    workers: 3,
  },
  // The default: Talos 1.14.1 with Kubernetes 1.37.0 in the 1.13 contract; a Hetzner snapshot node's installer keeps hcloud.
  "docker-1.14": {
    mirrors: [{ host: "docker.io", endpoints: ["http://local-docker.io:5000"] }],
    localRegistry: { host: "local-local-registry:5000", endpoint: "http://local-local-registry:5000" },
    cni: "Cilium",
    metricsServer: true,
  },
  "hetzner-1.14": {
    platform: "hetzner",
    endpoint: "https://203.0.113.10:6443",
    certSANs: ["10.0.1.2", "10.0.1.3", "10.0.1.4"],
    hetzner: { vip: "203.0.113.10", apiToken: "token", privateNetworkCidr: "10.0.0.0/16", firewall },
    install: { disk: "/dev/sda", platform: "hcloud" },
    cni: "Default",
    workers: 3,
  },
};

describe("Talos golden renderings (secret-free, normalized)", () => {
  for (const [name, over] of Object.entries(CASES)) {
    for (const role of ["controlplane", "worker"] as const) {
      test(`${name} ${role}`, () => {
        const r = renderMachineConfigs({
          clusterName: "local",
          endpoint: "https://10.5.0.2:6443",
          secrets,
          platform: "docker",
          workers: 1,
          ...over,
        });
        const got = normalize(role === "controlplane" ? r.controlPlaneRedacted : r.workerRedacted);
        const file = path.join(GOLDEN_DIR, `${name}-${role}.yaml`);
        if (process.env.UPDATE_GOLDEN === "1") {
          fs.mkdirSync(GOLDEN_DIR, { recursive: true });
          fs.writeFileSync(file, got);
        }
        assert.ok(fs.existsSync(file), `missing golden ${file}; run with UPDATE_GOLDEN=1 after reviewing the rendering`);
        assert.equal(got, fs.readFileSync(file, "utf8"));
      });
    }
  }
});
