// spec.cluster.oidc reaches the API server on every distribution, with the impact class of the impact table
// (Kind and K3s: recreates the cluster, the flags are fixed at creation; Talos: applied in place).
// Upstream sources checked:
//   - flag names and meaning: kubernetes/website, the generated kube-apiserver command-line page (kube-apiserver.md)
//     (--oidc-issuer-url, --oidc-client-id, --oidc-username-claim, --oidc-username-prefix, --oidc-groups-claim,
//     --oidc-groups-prefix, --oidc-ca-file: a path on the API server's host)
//   - K3s: k3s-io/k3s pkg/cli/cmds/server.go, `kube-apiserver-arg` (a repeatable "name=value" flag)
//   - Kind: kubeadm ClusterConfiguration apiServer.extraArgs (a map up to v1beta3, a list of {name, value} in v1beta4)
//   - Talos: cluster.apiServer.extraArgs of the v1alpha1 machine config (control planes only)
import { describe, test } from "node:test";
import * as assert from "node:assert/strict";
import * as YAML from "yaml";
import { oidcApiServerArgs } from "../../sdk/distributions/oidc";
import { k3sCommand } from "../../sdk/distributions/k3s";
import { kubeadmConfigDocuments } from "../../sdk/distributions/kind/kubeadm";
import { renderMachineConfigs } from "../../sdk/distributions/talos";
import { classifyMachineConfigChange } from "../../sdk/distributions/talos/classify";
import { parseSpec } from "../../sdk/config";
import { planCluster } from "../../sdk/plan/cluster";
import { talosRenderInput } from "../../sdk/plan/talos";
import { generateTalosBundle } from "../../sdk/pki";
import { isKsailError } from "../../sdk/errors";
import { k3sFacts, kindFacts } from "../../sdk/plan/dockerContainers";
import { execFileSync } from "node:child_process";
import * as path from "node:path";
import { builtTool, missingReason, pinnedVersion } from "../peers/tools";

const apiserverVersion = pinnedVersion("KUBE_APISERVER_VERSION");
const apiserverDir = builtTool("kube-apiserver", apiserverVersion);

const OIDC = { issuerURL: "https://issuer.example.com", clientID: "kubernetes", groupsClaim: "roles" };
const FLAGS = {
  "oidc-issuer-url": "https://issuer.example.com",
  "oidc-client-id": "kubernetes",
  "oidc-username-claim": "email",
  "oidc-username-prefix": "oidc:",
  "oidc-groups-claim": "roles",
  "oidc-groups-prefix": "oidc:",
};

const plan = (cluster: Record<string, unknown>) => planCluster({ name: "dev", spec: parseSpec({ cluster }).spec });

describe("OIDC: spec.cluster.oidc as kube-apiserver arguments", () => {
  test("off without an issuer; on: issuer, client, claims and prefixes with KSail's defaults", () => {
    assert.deepEqual(oidcApiServerArgs(parseSpec({ cluster: {} }).spec.cluster.oidc), {});
    assert.deepEqual(oidcApiServerArgs(parseSpec({ cluster: { oidc: OIDC } }).spec.cluster.oidc), FLAGS);
  });

  test("caFile is refused with the field named (the flag wants a path inside the control-plane node)", () => {
    const o = parseSpec({ cluster: { oidc: { ...OIDC, caFile: "/etc/ca.pem" } } }).spec.cluster.oidc;
    assert.throws(
      () => oidcApiServerArgs(o),
      (e: unknown) => isKsailError(e) && /spec\.cluster\.oidc\.caFile/.test(String((e as Error).message)),
    );
  });

  test("Kind: kubeadm's ClusterConfiguration apiServer.extraArgs (v1beta4 list form)", () => {
    const p = plan({ distribution: "Vanilla", oidc: OIDC });
    assert.deepEqual(p.docker!.apiServerArgs, FLAGS);
    const facts = kindFacts(p.docker!);
    const node = { name: "dev-control-plane", ip: "172.18.0.2", role: "control-plane" as const, init: true };
    const docs = kubeadmConfigDocuments({
      ...facts,
      bootstrapToken: "abcdef.0123456789abcdef",
      caCertHash: `sha256:${"0".repeat(64)}`,
      node,
    });
    const cluster = docs.find((d) => d.kind === "ClusterConfiguration") as { apiVersion: string; apiServer: { extraArgs: unknown } };
    const args = cluster.apiServer.extraArgs;
    const asMap = Array.isArray(args) ? Object.fromEntries(args.map((a: { name: string; value: string }) => [a.name, a.value])) : args;
    for (const [k, v] of Object.entries(FLAGS)) assert.equal((asMap as Record<string, string>)[k], v, k);
    // Without OIDC nothing is added.
    const off = kindFacts(plan({ distribution: "Vanilla" }).docker!);
    assert.equal(off.apiServerExtraArgs, undefined);
  });

  test("K3s: --kube-apiserver-arg=<name>=<value> on every server, never on agents", () => {
    const p = plan({ distribution: "K3s", workers: 1, oidc: OIDC });
    const facts = k3sFacts(p.docker!);
    const server = k3sCommand(facts, { name: "dev-server-1", ip: "172.18.0.2", role: "control-plane", index: 1 });
    for (const [k, v] of Object.entries(FLAGS)) assert.ok(server.includes(`--kube-apiserver-arg=${k}=${v}`), k);
    const agent = k3sCommand(facts, { name: "dev-agent-1", ip: "172.18.0.3", role: "worker", index: 1 });
    assert.ok(!agent.some((a) => a.startsWith("--kube-apiserver-arg")));
    const off = k3sCommand(k3sFacts(plan({ distribution: "K3s" }).docker!), {
      name: "dev-server-1",
      ip: "172.18.0.2",
      role: "control-plane",
      index: 1,
    });
    assert.ok(!off.some((a) => a.startsWith("--kube-apiserver-arg")));
  });

  test("Talos: cluster.apiServer.extraArgs of the control planes, merged with the ones KSail sets", async () => {
    const secrets = await generateTalosBundle();
    const render = (cluster: Record<string, unknown>) => renderMachineConfigs(talosRenderInput(plan(cluster), { secrets }));
    const apiServerArgs = (yaml: string) =>
      (YAML.parseAllDocuments(yaml)[0]!.toJS() as { cluster: { apiServer?: { extraArgs?: Record<string, string> } } }).cluster.apiServer
        ?.extraArgs;
    const on = render({ distribution: "Talos", cni: "Calico", oidc: OIDC });
    const args = apiServerArgs(on.controlPlane)!;
    for (const [k, v] of Object.entries(FLAGS)) assert.equal(args[k], v, k);
    assert.equal(args["feature-gates"], "MutatingAdmissionPolicy=true", "Calico's own API-server argument is kept");
    assert.equal(apiServerArgs(on.worker), undefined);
    const off = render({ distribution: "Talos" });
    assert.equal(apiServerArgs(off.controlPlane), undefined);
    // The machine-config change a TalosMachine applies when OIDC is turned on: live, no reboot.
    const before = render({ distribution: "Talos", cni: "Calico" });
    const c = classifyMachineConfigChange(before.controlPlane, on.controlPlane, on.talosVersion.version);
    assert.equal(c.kind, "live", c.reasons.join("; "));
  });

  test("impact: recreates Kind and K3s clusters (flags fixed at creation), applied in place on Talos", () => {
    for (const distribution of ["Vanilla", "K3s"]) {
      assert.notEqual(plan({ distribution }).recreateTrigger, plan({ distribution, oidc: OIDC }).recreateTrigger, distribution);
    }
    assert.equal(plan({ distribution: "Talos" }).recreateTrigger, plan({ distribution: "Talos", oidc: OIDC }).recreateTrigger);
  });

  test(
    "the pinned real kube-apiserver still has every flag we set",
    { skip: apiserverDir ? false : missingReason(`kube-apiserver ${apiserverVersion}`, "kube-apiserver") },
    () => {
      const help = execFileSync(path.join(apiserverDir!, "kube-apiserver"), ["--help"], { encoding: "utf8", timeout: 30_000 });
      for (const flag of Object.keys(FLAGS)) assert.match(help, new RegExp(`--${flag} `), flag);
    },
  );
});
