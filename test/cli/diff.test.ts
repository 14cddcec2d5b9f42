import { describe, test } from "node:test";
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { repoRoot } from "../harness/paths";

const root = repoRoot();
const fx = (name: string) => path.join("test", "fixtures", "impact", name);

/** Runs the real command line as a process, exactly as a CI job does. */
function cli(args: string[], env: Record<string, string> = {}) {
  assert.ok(fs.existsSync(path.join(root, "dist", "sdk", "cli", "main.js")), "dist/ is missing; run `npm test` (it compiles first)");
  const r = spawnSync(process.execPath, [path.join(root, "bin", "ksail-pulumi.js"), ...args], {
    cwd: root,
    encoding: "utf8",
    env: { ...process.env, ...env },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const KEYS = [
  "totalChanges",
  "inPlaceChanges",
  "rebootRequired",
  "recreateRequired",
  "rollingRecreate",
  "wipeRequired",
  "unknownBaseline",
  "requiresConfirmation",
];
const fields = (items: { field: string }[]) => items.map((i) => i.field);

describe("ksail-pulumi diff (as a process)", () => {
  test("identical files: no changes, exit 0 even with --exit-code", () => {
    const r = cli(["diff", fx("talos-hetzner.yaml"), fx("talos-hetzner.yaml"), "--exit-code"]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /No changes detected/);
    const j = cli(["diff", fx("talos-hetzner.yaml"), fx("talos-hetzner.yaml"), "--output", "json"]);
    assert.equal(j.code, 0);
    const parsed = JSON.parse(j.stdout);
    assert.deepEqual(Object.keys(parsed), KEYS);
    assert.equal(parsed.totalChanges, 0);
    assert.equal(parsed.requiresConfirmation, false);
    for (const k of KEYS.slice(1, -1)) assert.deepEqual(parsed[k], []);
  });

  test("in-place change: stdout is exactly one JSON document in KSail's shape; --exit-code gives 2", () => {
    const r = cli(["diff", fx("talos-hetzner.yaml"), fx("talos-hetzner-inplace.yaml"), "-o", "json", "--exit-code"]);
    assert.equal(r.code, 2, r.stderr);
    assert.ok(r.stdout.endsWith("}\n"));
    const parsed = JSON.parse(r.stdout); // throws if anything else is on stdout
    assert.deepEqual(Object.keys(parsed), KEYS);
    assert.equal(parsed.totalChanges, 2);
    assert.deepEqual(fields(parsed.inPlaceChanges), ["cluster.workers", "cluster.certManager"]);
    assert.deepEqual(parsed.inPlaceChanges[0], {
      field: "cluster.workers",
      oldValue: "2",
      newValue: "4",
      category: "in-place",
      reason: "worker nodes are added, or drained and removed",
    });
    assert.equal(parsed.requiresConfirmation, false);
    const noFlag = cli(["diff", fx("talos-hetzner.yaml"), fx("talos-hetzner-inplace.yaml"), "-o", "json"]);
    assert.equal(noFlag.code, 0);
  });

  test("reboot-required change: Talos upgrade and worker resize on Hetzner", () => {
    const r = cli(["diff", fx("talos-hetzner.yaml"), fx("talos-hetzner-reboot.yaml"), "--output", "json"]);
    assert.equal(r.code, 0, r.stderr);
    const parsed = JSON.parse(r.stdout);
    assert.deepEqual(fields(parsed.rebootRequired), ["cluster.talos.version", "provider.hetzner.workerServerType"]);
    assert.deepEqual(parsed.rollingRecreate, []);
    assert.equal(parsed.requiresConfirmation, true);
    assert.match(parsed.rebootRequired[1].reason, /resize/);
  });

  test("recreate-required change: text table lists recreate before in-place", () => {
    const r = cli(["diff", fx("talos-hetzner.yaml"), fx("talos-hetzner-recreate.yaml")]);
    assert.equal(r.code, 0, r.stderr);
    // No row for the floating IP's location: the floating IP is off (before, a noise row).
    assert.match(r.stdout, /Detected 2 configuration changes:/);
    assert.doesNotMatch(r.stdout, /floatingIPLocation/);
    assert.match(r.stdout, /Field +Before +After +Impact +Reason/);
    const lines = r.stdout.split("\n");
    const at = (s: string) => lines.findIndex((l) => l.includes(s));
    assert.ok(at("🔴 provider.hetzner.location") > 0, r.stdout);
    assert.ok(at("🟢 cluster.policyEngine") > at("🔴 provider.hetzner.location"));
    assert.match(lines[at("provider.hetzner.location")], /fsn1 +nbg1 +recreate-required/);
    assert.match(r.stdout, /Requires confirmation/);
  });

  test("Kind node-count change is recreate-required and effective values are shown", () => {
    const r = cli(["diff", fx("vanilla.yaml"), fx("vanilla-more-workers.yaml"), "-o", "json"]);
    assert.equal(r.code, 0, r.stderr);
    const parsed = JSON.parse(r.stdout);
    // Kind metrics-server is a Helm release (Kind nodes always request kubelet serving certificates): in place, as in
    // KSail's support matrix. It used to be recreate-required (serving-cert bootstrap baked into the nodes).
    assert.deepEqual(fields(parsed.recreateRequired), ["cluster.workers"]);
    assert.deepEqual(
      parsed.inPlaceChanges.map((c: { field: string; oldValue: string; newValue: string }) => [c.field, c.oldValue, c.newValue]),
      [["cluster.metricsServer", "Disabled", "Enabled"]],
    );
  });

  test("distribution and provider rules follow NEW", () => {
    const r = cli(["diff", fx("talos-hetzner.yaml"), fx("vanilla.yaml"), "-o", "json"]);
    assert.equal(r.code, 0, r.stderr);
    const parsed = JSON.parse(r.stdout);
    assert.ok(fields(parsed.recreateRequired).includes("cluster.distribution"));
    assert.ok(fields(parsed.recreateRequired).includes("cluster.provider"));
    assert.ok(!fields([...parsed.inPlaceChanges, ...parsed.recreateRequired]).some((f: string) => f.startsWith("provider.hetzner.")));
  });

  test("Talos on Omni: the documented rows — node scaling and Kubernetes in place, Talos reboots, replaced machines roll", () => {
    const r = cli(["diff", fx("talos-omni.yaml"), fx("talos-omni-changed.yaml"), "-o", "json"]);
    assert.equal(r.code, 0, r.stderr);
    const parsed = JSON.parse(r.stdout);
    assert.deepEqual(fields(parsed.inPlaceChanges), [
      "cluster.workers",
      "provider.omni.serviceAccountKeyEnvVar",
      "provider.omni.kubernetesVersion",
    ]);
    assert.match(parsed.inPlaceChanges[0].reason, /worker machine set gains or loses a machine through template sync/);
    assert.deepEqual(fields(parsed.rebootRequired), ["provider.omni.talosVersion"]);
    assert.match(parsed.rebootRequired[0].reason, /Omni upgrades the machines .* reboots them one at a time/);
    assert.deepEqual(fields(parsed.rollingRecreate), ["provider.omni.machines"]);
    assert.match(parsed.rollingRecreate[0].reason, /leave the cluster/);
    assert.deepEqual(parsed.recreateRequired, []);
    // another Omni account, and listed machines → a machine class: recreate
    const x = JSON.parse(cli(["diff", fx("talos-omni.yaml"), fx("talos-omni-class.yaml"), "-o", "json"]).stdout);
    assert.deepEqual(fields(x.recreateRequired), ["provider.omni.endpoint", "provider.omni.machineClass", "provider.omni.machines"]);
    assert.match(x.recreateRequired[1].reason, /Omni refuses that for a machine set with machines/);
    assert.equal(x.requiresConfirmation, true);
  });

  test("K3s on a host cluster (k3k): agents in place, a new K3s version rolls the pods, a new pod CIDR recreates (k3k's CRD refuses it)", () => {
    const r = cli(["diff", fx("k3s-kubernetes.yaml"), fx("k3s-kubernetes-changed.yaml"), "-o", "json"]);
    assert.equal(r.code, 0, r.stderr);
    const parsed = JSON.parse(r.stdout);
    assert.deepEqual(fields(parsed.inPlaceChanges), ["cluster.workers", "provider.kubernetes.kubeconfig"]);
    assert.match(parsed.inPlaceChanges[0].reason, /k3k scales the Cluster's agent pods/);
    // The new K3s version's rolling row is moot beside the recreate: the new cluster starts on that version.
    assert.deepEqual(fields(parsed.rollingRecreate), []);
    assert.deepEqual(fields(parsed.recreateRequired), ["provider.kubernetes.podCidr"]);
    assert.match(parsed.recreateRequired[0].reason, /k3k's CRD refuses to change it/);
    // Without the pod CIDR change, the version change rolls the pods.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ksail-diff-"));
    const rolled = path.join(dir, "ksail.yaml");
    fs.writeFileSync(
      rolled,
      fs.readFileSync(path.join(root, fx("k3s-kubernetes-changed.yaml")), "utf8").replace(/\n\s*podCidr: .*\n/, "\n"),
    );
    const r2 = JSON.parse(cli(["diff", fx("k3s-kubernetes.yaml"), rolled, "-o", "json"]).stdout);
    assert.deepEqual(fields(r2.rollingRecreate), ["cluster.kubernetesVersion"]);
    assert.match(r2.rollingRecreate[0].reason, /k3k rolls its server and agent pods/);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test("KWOK on Docker (the seeds' matrix: Kubernetes version, distribution and provider recreate; the GitOps source in place)", () => {
    const r = cli(["diff", fx("kwok.yaml"), fx("kwok-changed.yaml"), "-o", "json"]);
    assert.equal(r.code, 0, r.stderr);
    const parsed = JSON.parse(r.stdout);
    assert.deepEqual(fields(parsed.recreateRequired), ["cluster.kubernetesVersion"]);
    assert.match(parsed.recreateRequired[0].reason, /every component container runs the new release's image/);
    assert.deepEqual(fields(parsed.inPlaceChanges).sort(), ["cluster.localRegistry.registry", "cluster.sops"]);
    assert.match(
      parsed.inPlaceChanges.find((c: any) => c.field === "cluster.localRegistry.registry").reason,
      /simulated nodes pull nothing/,
    );
    // KWOK → Vanilla: the distribution row recreates.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ksail-diff-kwok-"));
    const vanilla = path.join(dir, "ksail.yaml");
    fs.writeFileSync(
      vanilla,
      fs.readFileSync(path.join(root, fx("kwok.yaml")), "utf8").replace("distribution: KWOK", "distribution: Vanilla"),
    );
    const v = JSON.parse(cli(["diff", fx("kwok.yaml"), vanilla, "-o", "json"]).stdout);
    assert.ok(fields(v.recreateRequired).includes("cluster.distribution"), JSON.stringify(v));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test("KWOK on a host cluster: a new gateway class only moves the front (the certificate is checked as `kubernetes`); etcd's volume recreates", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ksail-diff-kwokhost-"));
    try {
      const write = (name: string, provider: string) => {
        const file = path.join(dir, `${name}.yaml`);
        fs.writeFileSync(
          file,
          `apiVersion: ksail.io/v1alpha1\nkind: Cluster\nmetadata:\n  name: pr-7\nspec:\n  cluster:\n    distribution: KWOK\n    provider: Kubernetes\n  provider:\n    kubernetes:\n${provider}`,
        );
        return file;
      };
      const a = write("a", "      kubeconfig: ~/.kube/host\n");
      const b = write("b", "      kubeconfig: ~/.kube/host\n      gatewayClassName: eg\n");
      const c = write("c", "      kubeconfig: ~/.kube/host\n      persistence:\n        enabled: true\n");
      const front = JSON.parse(cli(["diff", a, b, "-o", "json"]).stdout);
      assert.deepEqual(fields(front.inPlaceChanges), ["provider.kubernetes.gatewayClassName"]);
      assert.match(front.inPlaceChanges[0].reason, /clients check the API server's certificate as `kubernetes`/);
      const volume = JSON.parse(cli(["diff", a, c, "-o", "json"]).stdout);
      assert.deepEqual(fields(volume.recreateRequired), ["provider.kubernetes.persistence.enabled"]);
      assert.match(volume.recreateRequired[0].reason, /etcd's volume comes from the control plane StatefulSet's volumeClaimTemplates/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test("Vanilla on a host cluster: a new gateway class recreates (the engine's certificate names the front); the engine's volume recreates; a CNI change is in place as on Docker", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ksail-diff-dind-"));
    try {
      const write = (name: string, cluster: string, provider: string) => {
        const file = path.join(dir, `${name}.yaml`);
        fs.writeFileSync(
          file,
          `apiVersion: ksail.io/v1alpha1\nkind: Cluster\nmetadata:\n  name: pr-9\nspec:\n  cluster:\n    distribution: Vanilla\n    provider: Kubernetes\n${cluster}  provider:\n    kubernetes:\n${provider}`,
        );
        return file;
      };
      const a = write("a", "", "      kubeconfig: ~/.kube/host\n");
      const b = write("b", "", "      kubeconfig: ~/.kube/host\n      gatewayClassName: eg\n");
      const c = write("c", "", "      kubeconfig: ~/.kube/host\n      persistence:\n        enabled: true\n");
      const d = write("d", "    cni: Cilium\n", "      kubeconfig: ~/.kube/host\n");
      const e = write("e", "", "      kubeconfig: ~/.kube/host\n      podCidr: 10.99.0.0/16\n");
      const front = JSON.parse(cli(["diff", a, b, "-o", "json"]).stdout);
      assert.deepEqual(fields(front.recreateRequired), ["provider.kubernetes.gatewayClassName"]);
      assert.match(front.recreateRequired[0].reason, /the address in the Docker engine's serving certificate/);
      const volume = JSON.parse(cli(["diff", a, c, "-o", "json"]).stdout);
      assert.deepEqual(fields(volume.recreateRequired), ["provider.kubernetes.persistence.enabled"]);
      assert.match(volume.recreateRequired[0].reason, /the engine's \/var\/lib\/docker/);
      const cni = JSON.parse(cli(["diff", a, d, "-o", "json"]).stdout);
      assert.deepEqual(fields(cni.inPlaceChanges), ["cluster.cni"]);
      assert.match(cni.inPlaceChanges[0].reason, /installed, upgraded or removed with Helm; no node is touched/);
      const cidr = JSON.parse(cli(["diff", a, e, "-o", "json"]).stdout);
      assert.deepEqual([cidr.recreateRequired, cidr.inPlaceChanges], [[], []], "the host's CIDRs are not Kind's: no row");
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test("VCluster on Docker (the seeds' matrix): the Kubernetes version recreates, cert-manager and the GitOps engine are in place", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ksail-diff-vind-"));
    fs.writeFileSync(path.join(dir, "vcluster.yaml"), "sync:\n  toHost:\n    ingresses:\n      enabled: true\n");
    try {
      const write = (name: string, cluster: string) => {
        const file = path.join(dir, `${name}.yaml`);
        fs.writeFileSync(
          file,
          `apiVersion: ksail.io/v1alpha1\nkind: Cluster\nmetadata:\n  name: vind\nspec:\n  cluster:\n    distribution: VCluster\n    provider: Docker\n${cluster}`,
        );
        return file;
      };
      const a = write("a", "");
      const b = write("b", "    kubernetesVersion: 1.35.3\n");
      const r = JSON.parse(cli(["diff", a, b, "-o", "json"]).stdout);
      assert.deepEqual(fields(r.recreateRequired), ["cluster.kubernetesVersion"]);
      assert.match(r.recreateRequired[0].reason, /staged from the new release's image/);
      const c = write("c", "    certManager: Enabled\n    gitOpsEngine: Flux\n    localRegistry:\n      registry: ghcr.io/me/app\n");
      const inPlace = JSON.parse(cli(["diff", a, c, "-o", "json"]).stdout);
      assert.deepEqual(inPlace.recreateRequired, []);
      assert.deepEqual(fields(inPlace.inPlaceChanges).sort(), [
        "cluster.certManager",
        "cluster.gitOpsEngine",
        "cluster.localRegistry.registry",
      ]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test("KWOK: a changed kwok/ folder is an in-place row (the kwok controller's container is replaced); the same folder is no change", () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "ksail-diff-kwokdir-"));
    try {
      const project = (name: string, stage: string) => {
        const dir = path.join(tmp, name);
        fs.mkdirSync(path.join(dir, "kwok"), { recursive: true });
        fs.copyFileSync(path.join(root, "test/fixtures/kwok-project/ksail.yaml"), path.join(dir, "ksail.yaml"));
        fs.writeFileSync(path.join(dir, "kwok/kustomization.yaml"), "resources:\n  - logs.yaml\n");
        fs.writeFileSync(
          path.join(dir, "kwok/logs.yaml"),
          `apiVersion: kwok.x-k8s.io/v1alpha1\nkind: ClusterLogs\nmetadata:\n  name: logs\nspec:\n  logs:\n    - logsFile: ${stage}\n`,
        );
        return path.join(dir, "ksail.yaml");
      };
      const [a, b, c] = [project("a", "/dev/null"), project("b", "/var/log/sim.log"), project("c", "/dev/null")];
      const changed = JSON.parse(cli(["diff", a, b, "-o", "json"]).stdout);
      assert.deepEqual(fields(changed.inPlaceChanges), ["cluster.distributionConfig"]);
      assert.match(changed.inPlaceChanges[0].reason, /kwok controller's configuration: its container is replaced/);
      assert.deepEqual(changed.recreateRequired, []);
      assert.equal(JSON.parse(cli(["diff", a, c, "-o", "json"]).stdout).totalChanges, 0);
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });

  test("registry passwords never reach the output", () => {
    const r = cli(["diff", fx("k3s-registry.yaml"), fx("k3s-registry-moved.yaml"), "-o", "json"], { REGISTRY_PASSWORD: "s3cr3t-from-env" });
    assert.equal(r.code, 0, r.stderr);
    assert.ok(!/s3cr3t|swordfish|hunter2/.test(r.stdout + r.stderr), r.stdout);
    const c = JSON.parse(r.stdout).inPlaceChanges[0];
    assert.deepEqual(
      [c.field, c.oldValue, c.newValue],
      ["cluster.localRegistry.registry", "ci:****@ghcr.io/acme/k8s", "ci:****@registry.example.com/k8s"],
    );
    const text = cli(["diff", fx("k3s-registry.yaml"), fx("k3s-registry-moved.yaml")]);
    assert.ok(!/swordfish|hunter2/.test(text.stdout), text.stdout);
  });

  test("Talos machine-config patches under distributionConfig are classified too", () => {
    const r = cli(["diff", fx("patches/ksail-a.yaml"), fx("patches/ksail-b.yaml"), "-o", "json", "--exit-code"]);
    assert.equal(r.code, 2, r.stderr);
    const parsed = JSON.parse(r.stdout);
    assert.deepEqual(fields(parsed.rebootRequired), ["cluster.talos.patches.workers"]);
    assert.deepEqual(fields(parsed.inPlaceChanges), ["cluster.talos.patches.controlPlanes"]);
    assert.match(parsed.rebootRequired[0].reason, /machine\.files: reboot/);
    const recreate = JSON.parse(cli(["diff", fx("patches/ksail-a.yaml"), fx("patches/ksail-c.yaml"), "-o", "json"]).stdout);
    assert.deepEqual(fields(recreate.recreateRequired), ["cluster.talos.patches.controlPlanes", "cluster.talos.patches.workers"]);
    assert.match(recreate.recreateRequired[0].reason, /podSubnets: immutable/);
  });

  test("invalid input: exit 1, the validation messages on stderr, nothing on stdout", () => {
    const r = cli(["diff", fx("talos-hetzner.yaml"), fx("invalid.yaml"), "-o", "json", "--exit-code"]);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, "");
    assert.match(r.stderr, /invalid\.yaml: spec\.cluster\.cni: is "Flannel"; allowed: Default, Cilium, Calico/);
    const missing = cli(["diff", fx("does-not-exist.yaml"), fx("talos-hetzner.yaml")]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /does-not-exist\.yaml: file not found/);
    const badFormat = cli(["diff", fx("talos-hetzner.yaml"), fx("talos-hetzner.yaml"), "--output", "xml"]);
    assert.equal(badFormat.code, 1);
    assert.match(badFormat.stderr, /xml/);
    const missingArg = cli(["diff", fx("talos-hetzner.yaml")]);
    assert.equal(missingArg.code, 1);
  });
});

// What kind.yaml, k3d.yaml (and a Kind project's mirrors) or a vCluster's vcluster.yaml set is built in at create, so
// KSailCluster recreates the cluster when it changes (the file salts its recreate trigger). Before, `diff` compared
// the two ksail.yaml files only and said "No changes" for a change `pulumi up` then carried out as a recreate.
describe("ksail-pulumi diff: the distribution files", () => {
  const project = (dir: string, distribution: string, provider: string, file: string, text: string) => {
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(
      path.join(dir, "ksail.yaml"),
      `apiVersion: ksail.io/v1alpha1\nkind: Cluster\nmetadata:\n  name: dev\nspec:\n  cluster:\n    distribution: ${distribution}\n    provider: ${provider}\n`,
    );
    fs.writeFileSync(path.join(dir, file), text);
    return path.join(dir, "ksail.yaml");
  };

  test("a changed kind.yaml or vcluster.yaml is a recreate row; the same files are no change", () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "ksail-diff-files-"));
    try {
      const kind = (pod: string) => `kind: Cluster\napiVersion: kind.x-k8s.io/v1alpha4\nname: dev\nnetworking:\n  podSubnet: ${pod}\n`;
      const a = project(path.join(tmp, "a"), "Vanilla", "Docker", "kind.yaml", kind("10.244.0.0/16"));
      const b = project(path.join(tmp, "b"), "Vanilla", "Docker", "kind.yaml", kind("10.250.0.0/16"));
      const same = project(path.join(tmp, "c"), "Vanilla", "Docker", "kind.yaml", kind("10.244.0.0/16"));
      const changed = JSON.parse(cli(["diff", a, b, "-o", "json"]).stdout);
      assert.deepEqual(fields(changed.recreateRequired), ["cluster.distributionConfig"]);
      assert.match(changed.recreateRequired[0].reason, /kind\.yaml and the mirrors set is built into the cluster at create/);
      assert.equal(JSON.parse(cli(["diff", a, same, "-o", "json"]).stdout).totalChanges, 0);

      const v1 = project(
        path.join(tmp, "v1"),
        "VCluster",
        "Kubernetes",
        "vcluster.yaml",
        "sync:\n  toHost:\n    ingresses:\n      enabled: true\n",
      );
      const v2 = project(
        path.join(tmp, "v2"),
        "VCluster",
        "Kubernetes",
        "vcluster.yaml",
        "sync:\n  toHost:\n    ingresses:\n      enabled: false\n",
      );
      const r = cli(["diff", v1, v2, "-o", "json", "--exit-code"]);
      assert.equal(r.code, 2, r.stderr);
      assert.deepEqual(fields(JSON.parse(r.stdout).recreateRequired), ["cluster.distributionConfig"]);
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });
});
