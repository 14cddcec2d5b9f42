import { describe, test, before } from "node:test";
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as YAML from "yaml";
import {
  renderCluster,
  REDACTED_MARK,
  PLACEHOLDER_ENDPOINT,
  PLACEHOLDER_HCLOUD_TOKEN,
  PLACEHOLDER_VIP,
  type Rendering,
} from "../../sdk/cli/render";
import { loadClusterConfig } from "../../sdk/config";
import {
  generateK3sPki,
  generateKubeadmPki,
  generateTalosBundle,
  type K3sPki,
  type KubeadmPki,
  type TalosSecretsBundle,
} from "../../sdk/pki";
import { chartValues } from "../../sdk/components/values";
import { planCluster } from "../../sdk/plan/cluster";
import { installedCharts } from "../../sdk/plan/catalog";
import { repoRoot } from "../harness/paths";

const root = repoRoot();
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "ksail-render-"));

/** Writes a ksail.yaml with the given `spec.cluster` and returns its path. */
function ksail(name: string, cluster: Record<string, unknown>, extra = ""): string {
  const file = path.join(tmp, `${name}.yaml`);
  fs.writeFileSync(
    file,
    `apiVersion: ksail.io/v1alpha1\nkind: Cluster\nmetadata:\n  name: ${name}\nspec:\n  cluster: ${JSON.stringify(cluster)}\n${extra}`,
  );
  return file;
}

/** Secret strings of an identity and the forms they take in configs (raw, base64, PEM body lines). */
function secretForms(secrets: readonly string[]): string[] {
  const out = new Set<string>();
  for (const s of secrets) {
    if (s.length < 12) continue;
    out.add(s);
    out.add(Buffer.from(s).toString("base64"));
    for (const l of s.split("\n")) if (l.length >= 40 && !l.startsWith("-----")) out.add(l);
  }
  return [...out];
}
const file = (r: Rendering, p: string) => {
  const f = r.files.find((x) => x.path === p);
  assert.ok(f, `${p} not rendered; got ${r.files.map((x) => x.path).join(", ")}`);
  return f;
};

let talosId: TalosSecretsBundle;
let kubeadmId: KubeadmPki;
let k3sId: K3sPki;
before(async () => {
  [talosId, kubeadmId, k3sId] = await Promise.all([generateTalosBundle(), generateKubeadmPki(), generateK3sPki()]);
});

describe("render (pure)", () => {
  test("Talos on Docker: per-node machine configs with their hostnames, secret-free; cluster.json lists the nodes", async () => {
    const cfg = loadClusterConfig(
      ksail("tal", {
        distribution: "Talos",
        provider: "Docker",
        controlPlanes: 1,
        workers: 2,
        metricsServer: "Enabled",
        certManager: "Enabled",
      }),
    );
    const r = await renderCluster(cfg, { identity: { talos: talosId } });
    const plan = planCluster({ name: "tal", spec: cfg.spec });
    const summary = JSON.parse(file(r, "cluster.json").content);
    assert.deepEqual(
      summary.nodes,
      plan.nodes.map((n) => ({ name: n.name, role: n.role, address: n.address })),
    );
    assert.equal(summary.secrets, "redacted");
    assert.deepEqual(summary.versions, plan.versions);
    for (const n of plan.nodes) {
      const docs = YAML.parseAllDocuments(file(r, `talos/nodes/${n.name}.yaml`).content).map((d) => d.toJS());
      const machine = docs.find((d) => d?.machine)!;
      assert.equal(machine.machine.type, n.role === "control-plane" ? "controlplane" : "worker");
      const hostname = docs.find((d) => d?.kind === "HostnameConfig")?.hostname ?? machine.machine.network?.hostname;
      assert.equal(hostname, n.name);
      assert.equal(machine.cluster.clusterName, "tal");
    }
    const secrets = secretForms([
      talosId.cluster.secret,
      talosId.secrets.bootstrapToken,
      talosId.secrets.secretboxEncryptionSecret,
      talosId.trustdInfo.token,
      talosId.certs.os.key,
      talosId.certs.k8s.key,
      talosId.certs.etcd.key,
      talosId.certs.k8sAggregator.key,
      talosId.certs.k8sServiceAccount.key,
    ]);
    for (const f of r.files) {
      assert.equal(f.secret, false, f.path);
      for (const s of secrets) assert.ok(!f.content.includes(s), `${f.path} contains identity secret material`);
    }
    assert.deepEqual(
      r.files.filter((f) => f.path.startsWith("helm/")).map((f) => f.path),
      ["helm/metricsServer.values.yaml", "helm/certManager.values.yaml"],
    );
  });

  test("Talos --with-secrets: complete configs carrying the throwaway identity, marked secret", async () => {
    const cfg = loadClusterConfig(ksail("tal2", { distribution: "Talos", provider: "Docker", workers: 1 }));
    const r = await renderCluster(cfg, { withSecrets: true, identity: { talos: talosId } });
    const cp = file(r, "talos/nodes/tal2-control-plane-1.yaml");
    assert.equal(cp.secret, true);
    assert.ok(cp.content.includes(talosId.secrets.bootstrapToken));
    assert.ok(cp.content.includes(talosId.trustdInfo.token));
    assert.equal(JSON.parse(file(r, "cluster.json").content).secrets, "complete configs from a throwaway identity (not your cluster's)");
  });

  test("Talos on Omni: the cluster template omnictl would sync (Cluster, ControlPlane, Workers), patch contents only with secrets", async () => {
    const file1 = ksail(
      "omn",
      { distribution: "Talos", provider: "Omni", workers: 1, metricsServer: "Enabled" },
      "  provider:\n    omni:\n      endpoint: https://acme.omni.siderolabs.io\n      machines: [m1, m2]\n",
    );
    const cfg = loadClusterConfig(file1);
    const r = await renderCluster(cfg);
    const t = file(r, "omni/cluster-template.yaml");
    assert.equal(t.secret, false);
    const docs = YAML.parseAllDocuments(t.content).map((d) => d.toJS());
    assert.deepEqual(
      docs.map((d) => d.kind),
      ["Cluster", "ControlPlane", "Workers"],
    );
    assert.equal(docs[0].name, "omn");
    assert.deepEqual(docs[1].machines, ["m1"]);
    assert.deepEqual(docs[2].machines, ["m2"]);
    assert.equal(docs[0].patches[0].name, "ksail-metrics-server");
    assert.ok(!t.content.includes("rotate-server-certificates"), "patch contents are left out without --with-secrets");
    const full = file(await renderCluster(cfg, { withSecrets: true }), "omni/cluster-template.yaml");
    assert.equal(full.secret, true);
    assert.deepEqual(YAML.parseAllDocuments(full.content)[0].toJS().patches[0].inline.machine, {
      kubelet: { extraArgs: { "rotate-server-certificates": "true" } },
    });
    assert.equal(JSON.parse(file(r, "cluster.json").content).provider, "Omni");
  });

  test("K3s on Kubernetes: the k3k Cluster KSailCluster applies on the host, with its namespace, chart, front and kubeconfig Secret named", async () => {
    const file1 = ksail(
      "nest",
      { distribution: "K3s", provider: "Kubernetes", workers: 2 },
      "  provider:\n    kubernetes:\n      podCidr: 10.70.0.0/16\n",
    );
    const r = await renderCluster(loadClusterConfig(file1));
    const t = file(r, "k3k/cluster.yaml");
    assert.equal(t.secret, false);
    const doc = YAML.parse(t.content);
    assert.deepEqual(
      [doc.apiVersion, doc.kind, doc.metadata.namespace, doc.spec.agents, doc.spec.clusterCIDR],
      ["k3k.io/v1beta1", "Cluster", "k3k-nest", 2, "10.70.0.0/16"],
    );
    assert.match(t.content, /LoadBalancer Service ksail-nest-api:6443/);
    assert.match(t.content, /Secret k3k-nest\/k3k-nest-kubeconfig, key kubeconfig\.yaml/);
    assert.equal(JSON.parse(file(r, "cluster.json").content).provider, "Kubernetes");
  });

  test("Vanilla on Kubernetes: the Docker-in-Docker objects on the host (no key material) and each node container as the pod's engine gets it", async () => {
    const r = await renderCluster(loadClusterConfig(ksail("dind", { distribution: "Vanilla", provider: "Kubernetes", workers: 1 })));
    const host = file(r, "dind/host.yaml");
    assert.equal(host.secret, false);
    const [secret, service, sts] = YAML.parseAllDocuments(
      host.content
        .split("\n")
        .filter((l) => !l.startsWith("#"))
        .join("\n"),
    ).map((d) => d.toJSON());
    assert.deepEqual(Object.values(secret.stringData), ["(from ClusterSecrets)", "(from ClusterSecrets)", "(from ClusterSecrets)"]);
    assert.deepEqual(
      [service.kind, service.metadata.name, sts.kind, sts.metadata.namespace],
      ["Service", "dind", "StatefulSet", "ksail-dind"],
    );
    assert.equal(sts.spec.template.spec.containers[0].image, "docker:28-dind");
    assert.match(host.content, /Docker engine front: LoadBalancer Service ksail-dind-docker:2376; mutual TLS/);
    const cp = JSON.parse(file(r, "nodes/dind-control-plane-1/container.json").content);
    assert.deepEqual(cp.ports, [{ internal: 6443, external: 6443, ip: "0.0.0.0", protocol: "tcp" }]);
    assert.ok(file(r, "nodes/dind-worker-1/container.json"));
    assert.ok(!r.files.some((f) => /PRIVATE KEY/.test(f.content)));
    assert.equal(JSON.parse(file(r, "cluster.json").content).endpoint, null, "the API front's address is known at create");
  });

  test("Talos on Kubernetes: machine configs per node and the Docker-in-Docker objects with apid's front", async () => {
    const r = await renderCluster(loadClusterConfig(ksail("tdind", { distribution: "Talos", provider: "Kubernetes", workers: 1 })));
    const host = file(r, "dind/host.yaml");
    assert.match(host.content, /Talos API front: LoadBalancer Service ksail-tdind-talos:50000/);
    assert.ok(
      r.files.some((f) => f.path.startsWith("talos/nodes/")),
      r.files.map((f) => f.path).join(", "),
    );
    assert.ok(!r.files.some((f) => /PRIVATE KEY/.test(f.content)));
  });

  test("VCluster on Docker: each container as the engine gets it (vcluster.yaml among the control plane's files) and the install step", async () => {
    fs.writeFileSync(path.join(tmp, "vd-values.yaml"), "experimental:\n  docker:\n    nodes:\n      - name: w1\n");
    const r = await renderCluster(
      loadClusterConfig(ksail("vd", { distribution: "VCluster", provider: "Docker", distributionConfig: "vd-values.yaml" })),
    );
    const cp = JSON.parse(file(r, "nodes/vcluster.cp.vd/container.json").content);
    assert.deepEqual([cp.image, cp.privileged, cp.hostname], ["ghcr.io/loft-sh/vm-container", true, "vd"]);
    assert.match(file(r, "nodes/vcluster.cp.vd/files/etc/vcluster/vcluster.yaml").content, /standalone:\n\s+enabled: true/);
    assert.ok(file(r, "nodes/vcluster.node.vd.w1/container.json"));
    assert.match(file(r, "vind/install.sh").content, /install-standalone\.sh/);
    assert.match(file(r, "vind/join.sh").content, /node\/join\?token=\$KSAIL_TOKEN/);
  });

  test("VCluster on Kubernetes: the chart's values KSailCluster installs (the project's vcluster.yaml under the spec's settings), its namespace, front and kubeconfig Secret named", async () => {
    const file1 = ksail(
      "vc",
      { distribution: "VCluster", provider: "Kubernetes", kubernetesVersion: "v1.36.3" },
      "  provider:\n    kubernetes:\n      persistence:\n        enabled: true\n        size: 10Gi\n",
    );
    fs.writeFileSync(path.join(path.dirname(file1), "vcluster.yaml"), "sync:\n  toHost:\n    ingresses:\n      enabled: true\n");
    const r = await renderCluster(loadClusterConfig(file1));
    const t = file(r, "vcluster/values.yaml");
    assert.equal(t.secret, false);
    assert.deepEqual(YAML.parse(t.content), {
      sync: { toHost: { ingresses: { enabled: true } } },
      controlPlane: {
        distro: { k8s: { image: { tag: "v1.36.3" } } },
        statefulSet: { persistence: { volumeClaim: { enabled: true, size: "10Gi" } } },
      },
    });
    assert.match(t.content, /Release vc of chart vcluster 0\.36\.1 \(https:\/\/charts\.loft\.sh\) in namespace vcluster-vc/);
    assert.match(t.content, /LoadBalancer Service ksail-vc-api:443; its address is added to controlPlane\.proxy\.extraSANs/);
    assert.match(t.content, /Secret vcluster-vc\/vc-vc, key config/);
    const summary = JSON.parse(file(r, "cluster.json").content);
    assert.deepEqual([summary.distribution, summary.provider, summary.versions.kubernetes], ["VCluster", "Kubernetes", "v1.36.3"]);
    assert.deepEqual(
      summary.nodes.map((n: { name: string }) => n.name),
      ["vc-0"],
      "a StatefulSet with a volume: pod vc-0",
    );
  });

  test("KWOK on Docker: each of the five containers as the engine gets it, the kwok controller's kwok.yaml from the kwok/ folder, the simulated node; the admin key only with secrets", async () => {
    const config = loadClusterConfig(path.join(root, "test/fixtures/kwok-project/ksail.yaml"));
    const r = await renderCluster(config);
    const paths = r.files.map((f) => f.path);
    for (const c of ["etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok-controller"])
      assert.ok(paths.includes(`nodes/kwok-sim-${c}/container.json`), c);
    const api = JSON.parse(r.files.find((f) => f.path === "nodes/kwok-sim-kube-apiserver/container.json")!.content);
    assert.equal(api.image, "registry.k8s.io/kube-apiserver:v1.36.1");
    assert.ok(api.command.includes("--service-account-signing-key-file=/etc/kubernetes/pki/admin.key"));
    const conf = r.files.find((f) => f.path === "nodes/kwok-sim-kwok-controller/files/root/.kwok/kwok.yaml")!.content;
    assert.match(conf, /kind: ClusterExec\n/);
    assert.match(conf, /name: node-initialize/);
    assert.match(r.files.find((f) => f.path === "kwok/node.yaml")!.content, /kwok.x-k8s.io\/node: fake/);
    assert.ok(!r.files.some((f) => /PRIVATE KEY/.test(f.content)), "no key without --with-secrets");
    assert.ok(
      r.omitted.some((o) => o.path === "nodes/kwok-sim-kube-apiserver/files/etc/kubernetes/pki/admin.key" && /^key issued/.test(o.reason)),
    );
    const full = await renderCluster(config, { withSecrets: true });
    const key = full.files.find((f) => f.path === "nodes/kwok-sim-kube-apiserver/files/etc/kubernetes/pki/admin.key")!;
    assert.equal(key.secret, true);
    assert.match(key.content, /BEGIN (RSA )?PRIVATE KEY/);
  });

  test("Talos on Hetzner: the renderer gets the Hetzner options (external cloud provider, private network, VIP) with placeholders for addresses known at create, placed as up places them (floating-ip: the floating IP is the endpoint and the VIP, the first control plane's reserved IP a SAN)", async () => {
    const file1 = path.join(tmp, "fip.yaml");
    fs.writeFileSync(
      file1,
      "apiVersion: ksail.io/v1alpha1\nkind: Cluster\nmetadata:\n  name: fip\nspec:\n  cluster:\n    distribution: Talos\n    provider: Hetzner\n    controlPlanes: 3\n    workers: 1\n  provider:\n    hetzner:\n      floatingIPEnabled: true\n",
    );
    const cfg = loadClusterConfig(file1);
    const plan = planCluster({ name: "fip", spec: cfg.spec });
    const r = await renderCluster(cfg, { identity: { talos: talosId } });
    const summary = JSON.parse(file(r, "cluster.json").content);
    assert.deepEqual(summary.placeholders, {
      endpoint: `https://${PLACEHOLDER_VIP}:6443`,
      floatingIp: PLACEHOLDER_VIP,
      hcloudToken: PLACEHOLDER_HCLOUD_TOKEN,
    });
    assert.equal(summary.nodes.length, 4);
    const cp = file(r, "talos/nodes/fip-control-plane-1.yaml").content;
    assert.ok(cp.includes(`endpoint: https://${PLACEHOLDER_VIP}:6443`), "the floating IP is the endpoint, as up makes it");
    assert.ok(cp.includes(PLACEHOLDER_VIP), "floating IP as the Talos VIP");
    assert.ok(cp.includes(new URL(PLACEHOLDER_ENDPOINT).hostname), "the first control plane's reserved IPv4 is a certificate SAN");
    assert.ok(cp.includes(plan.hetzner!.network.cidr), "etcd/kubelet pinned to the private network");
    assert.match(cp, /cloud-provider: external/);
    assert.ok(!cp.includes(PLACEHOLDER_HCLOUD_TOKEN), "the VIP's API token is redacted like any secret");
    const full = await renderCluster(cfg, { withSecrets: true, identity: { talos: talosId } });
    assert.ok(
      file(full, "talos/nodes/fip-control-plane-1.yaml").content.includes(PLACEHOLDER_HCLOUD_TOKEN),
      "never a real token, even with secrets",
    );
  });

  test("Kind (Vanilla): kubeadm config rendered with tokens redacted, key files omitted; with secrets everything is written", async () => {
    const cfg = loadClusterConfig(path.join(root, "test", "fixtures", "impact", "vanilla.yaml"));
    const r = await renderCluster(cfg);
    const kubeadm = file(r, "nodes/dev-worker-1/files/kind/kubeadm.conf");
    assert.equal(kubeadm.secret, false);
    assert.ok(kubeadm.content.includes(REDACTED_MARK));
    assert.ok(!kubeadm.content.includes("aaaaaa.aaaaaaaaaaaaaaaa"), "placeholder token must not look like a real one");
    assert.ok(YAML.parseAllDocuments(kubeadm.content).length >= 2);
    file(r, "nodes/dev-control-plane-1/files/usr/local/bin/ksail-bootstrap");
    assert.ok(r.omitted.some((o) => o.path.endsWith("etc/kubernetes/pki/ca.key")));
    assert.ok(r.omitted.some((o) => o.path.endsWith("etc/kubernetes/pki/ca.crt")));
    assert.ok(!r.files.some((f) => f.path.endsWith(".key")));

    const s = await renderCluster(cfg, { withSecrets: true, identity: { kubeadm: kubeadmId } });
    assert.ok(file(s, "nodes/dev-worker-1/files/kind/kubeadm.conf").content.includes(kubeadmId.bootstrapToken));
    const key = file(s, "nodes/dev-control-plane-1/files/etc/kubernetes/pki/ca.key");
    assert.equal(key.secret, true);
    assert.equal(key.content, kubeadmId.ca.key);
    assert.equal(file(s, "nodes/dev-control-plane-1/files/etc/kubernetes/pki/ca.crt").content, kubeadmId.ca.cert);
    assert.deepEqual(s.omitted, []);
  });

  test("K3s: command line and registries per node; the token and node password only with secrets; no registry password leaks", async () => {
    const cfg = loadClusterConfig(path.join(root, "test", "fixtures", "impact", "k3s-registry.yaml"), {
      env: { REGISTRY_PASSWORD: "s3cr3t-registry-pw" },
    });
    const r = await renderCluster(cfg);
    const cmd = file(r, "nodes/dev-control-plane-1/command.txt").content;
    assert.match(cmd, /^\/bin\/ksail-entrypoint\.sh \\\n {2}server \\\n/);
    assert.match(cmd, /--cluster-cidr=/);
    assert.ok(r.omitted.some((o) => o.path === "nodes/dev-control-plane-1/env/K3S_TOKEN"));
    // The same per-node environment the containers get: every node but the first server joins through K3S_URL.
    assert.equal(
      r.files.find((f) => f.path === "nodes/dev-control-plane-1/env/K3S_URL"),
      undefined,
    );
    for (const n of ["dev-control-plane-2", "dev-worker-1"].filter((x) => r.files.some((f) => f.path.startsWith(`nodes/${x}/`))))
      assert.equal(file(r, `nodes/${n}/env/K3S_URL`).content, "https://dev-control-plane-1:6443\n");
    assert.match(file(r, "nodes/dev-control-plane-1/files/bin/ksail-entrypoint.sh").content, /mount --make-rshared \//);
    assert.ok(r.omitted.some((o) => o.path.endsWith("etc/rancher/node/password")));
    for (const f of r.files) assert.ok(!f.content.includes("s3cr3t-registry-pw"), f.path);
    const s = await renderCluster(cfg, { withSecrets: true, identity: { k3s: k3sId } });
    assert.equal(file(s, "nodes/dev-control-plane-1/env/K3S_TOKEN").content, `${k3sId.token}\n`);
    assert.equal(file(s, "nodes/dev-control-plane-1/files/etc/ksail/k3s-ca/server-ca.key").content, k3sId.serverCa.key);
  });

  test("Talos on Docker with cni: Cilium and no patch directory validates, plans and renders (cni none, kube-proxy off)", async () => {
    // Before, validation rejected it ("Cilium CNI requires cluster.network.cni.name: none in a Talos patch").
    const cfg = loadClusterConfig(ksail("talos-cilium", { distribution: "Talos", provider: "Docker", cni: "Cilium", workers: 1 }));
    assert.equal(cfg.talosConfigPatches, undefined);
    const plan = planCluster({ name: "talos-cilium", spec: cfg.spec });
    assert.ok(plan.components.context.cni === "Cilium" && installedCharts(plan.components).includes("cilium"));
    const r = await renderCluster(cfg, { identity: { talos: talosId } });
    for (const n of plan.nodes) {
      const mc = YAML.parseAllDocuments(file(r, `talos/nodes/${n.name}.yaml`).content)[0].toJS();
      assert.deepEqual(mc.cluster.network.cni, { name: "none" }, n.name);
      if (n.role === "control-plane") assert.equal(mc.cluster.proxy.disabled, true, "Cilium's kube-proxy replacement");
    }
  });

  test("K3s: render shows what each node container gets — entrypoint + command, env (K3S_URL on joiners), files", async () => {
    const r = await renderCluster(
      loadClusterConfig(ksail("k3s-ha", { distribution: "K3s", provider: "Docker", controlPlanes: 3, workers: 1 })),
    );
    assert.equal(
      r.files.find((f) => f.path === "nodes/k3s-ha-control-plane-1/env/K3S_URL"),
      undefined,
    );
    for (const n of ["k3s-ha-control-plane-2", "k3s-ha-control-plane-3", "k3s-ha-worker-1"]) {
      assert.match(file(r, `nodes/${n}/env/K3S_URL`).content, /^https:\/\/k3s-ha-/);
      assert.ok(
        r.omitted.some((o) => o.path === `nodes/${n}/env/K3S_TOKEN`),
        n,
      );
      assert.match(file(r, `nodes/${n}/command.txt`).content, /^\/bin\/ksail-entrypoint\.sh/);
    }
  });

  test("the examples' ksail files render (examples/local; examples/prod when present)", async () => {
    for (const f of ["examples/local/ksail.yaml", "examples/prod/ksail.prod.yaml"]) {
      const abs = path.join(root, f);
      if (!fs.existsSync(abs)) continue;
      const cfg = loadClusterConfig(abs);
      const r = await renderCluster(cfg, { identity: { talos: talosId } });
      const summary = JSON.parse(file(r, "cluster.json").content);
      assert.equal(summary.distribution, "Talos", f);
      for (const n of summary.nodes) file(r, `talos/nodes/${n.name}.yaml`);
      assert.ok(
        r.files.some((x) => x.path === "gitops/flux-instance.yaml"),
        `${f}: Flux instance`,
      );
    }
  });

  test("Helm values are exactly the installers' computed values for every installed chart; GitOps objects rendered", async () => {
    const cfg = loadClusterConfig(
      ksail("full", {
        distribution: "Vanilla",
        provider: "Docker",
        cni: "Calico",
        metricsServer: "Enabled",
        certManager: "Enabled",
        policyEngine: "Kyverno",
        gitOpsEngine: "Flux",
        localRegistry: { registry: "localhost:5050" },
      }),
    );
    const r = await renderCluster(cfg);
    const plan = planCluster({ name: "full", spec: cfg.spec });
    const keys = installedCharts(plan.components);
    assert.deepEqual(keys, ["calicoCrds", "calico", "metricsServer", "kubeletCsrApprover", "certManager", "kyverno", "fluxOperator"]);
    for (const k of keys) {
      const f = file(r, `helm/${k}.values.yaml`);
      assert.match(f.content, new RegExp(`^# ${k}: chart `));
      assert.deepEqual(YAML.parse(f.content) ?? {}, JSON.parse(JSON.stringify(chartValues(k, plan.components.context, {}))));
    }
    const flux = YAML.parse(file(r, "gitops/flux-instance.yaml").content);
    assert.equal(flux.kind, "FluxInstance");
    assert.equal(flux.spec.sync.kind, "OCIRepository");
  });
});

function cli(args: string[]) {
  const r = spawnSync(process.execPath, [path.join(root, "bin", "ksail-pulumi.js"), ...args], { cwd: root, encoding: "utf8" });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
const hasDist = fs.existsSync(path.join(root, "dist", "sdk", "cli", "commands", "render.js"));

describe(
  "ksail-pulumi render (as a process)",
  { skip: hasDist ? false : "dist/ has no render command; run `npm test` (it compiles first)" },
  () => {
    test("writes the files under --out; --with-secrets writes key files with mode 0600", () => {
      const out = path.join(tmp, "out-k3s");
      const r = cli(["render", path.join(root, "test", "fixtures", "impact", "k3s-registry.yaml"), "--out", out, "--with-secrets"]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /THROWAWAY identity/);
      const key = path.join(out, "nodes", "dev-control-plane-1", "files", "etc", "ksail", "k3s-ca", "server-ca.key");
      assert.equal(fs.statSync(key).mode & 0o777, 0o600);
      assert.match(fs.readFileSync(key, "utf8"), /PRIVATE KEY/);
      assert.equal(JSON.parse(fs.readFileSync(path.join(out, "cluster.json"), "utf8")).distribution, "K3s");
    });

    test("secret-free by default; an invalid file exits 1 naming the problem", () => {
      const out = path.join(tmp, "out-kind");
      const r = cli(["render", path.join(root, "test", "fixtures", "impact", "vanilla.yaml"), "--out", out]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /secret-free/);
      assert.match(r.stdout, /\(not written\) .*ca\.key/);
      assert.ok(!fs.existsSync(path.join(out, "nodes", "dev-control-plane-1", "files", "etc", "kubernetes", "pki", "ca.key")));
      const bad = cli(["render", path.join(root, "test", "fixtures", "impact", "invalid.yaml"), "--out", path.join(tmp, "bad")]);
      assert.equal(bad.code, 1);
      assert.match(bad.stderr, /invalid\.yaml: /);
      assert.ok(!fs.existsSync(path.join(tmp, "bad")));
    });

    test("never writes through a symbolic link: a planted link in --out is refused and its target untouched", () => {
      const out = path.join(tmp, "out-link");
      fs.mkdirSync(out);
      fs.writeFileSync(path.join(out, ".ksail-render.json"), '{"files":[]}\n');
      const victim = path.join(tmp, "victim.txt");
      fs.writeFileSync(victim, "precious\n");
      fs.symlinkSync(victim, path.join(out, "cluster.json"));
      const r = cli(["render", path.join(root, "test", "fixtures", "impact", "vanilla.yaml"), "--out", out]);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /cluster\.json is a symbolic link; render never writes through links/);
      assert.equal(fs.readFileSync(victim, "utf8"), "precious\n");
      const linkedDir = path.join(tmp, "out-linked-dir");
      fs.symlinkSync(tmp, linkedDir);
      assert.equal(cli(["render", path.join(root, "test", "fixtures", "impact", "vanilla.yaml"), "--out", linkedDir]).code, 1);
    });

    test("a non-empty directory that is no earlier rendering is refused (--force writes); an earlier rendering is replaced, stale files removed", () => {
      const out = path.join(tmp, "out-busy");
      fs.mkdirSync(out);
      fs.writeFileSync(path.join(out, "notes.txt"), "mine\n");
      const file = path.join(root, "test", "fixtures", "impact", "k3s-registry.yaml");
      const r = cli(["render", file, "--out", out]);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /is not empty and holds no earlier rendering .* pass --force/);
      assert.equal(cli(["render", file, "--out", out, "--force", "--with-secrets"]).code, 0);
      assert.equal(fs.readFileSync(path.join(out, "notes.txt"), "utf8"), "mine\n", "--force leaves other files alone");
      const key = path.join(out, "nodes", "dev-control-plane-1", "files", "etc", "ksail", "k3s-ca", "server-ca.key");
      assert.ok(fs.existsSync(key));
      // Again without secrets: the key file of the earlier rendering is removed, not left behind.
      assert.equal(cli(["render", file, "--out", out]).code, 0);
      assert.ok(!fs.existsSync(key), "a stale secret file of the earlier rendering is removed");
    });

    test("a secret file that existed with mode 0644 is 0600 before its content is written", () => {
      const out = path.join(tmp, "out-mode");
      const file = path.join(root, "test", "fixtures", "impact", "k3s-registry.yaml");
      assert.equal(cli(["render", file, "--out", out, "--with-secrets"]).code, 0);
      const key = path.join(out, "nodes", "dev-control-plane-1", "files", "etc", "ksail", "k3s-ca", "server-ca.key");
      fs.chmodSync(key, 0o644);
      assert.equal(cli(["render", file, "--out", out, "--with-secrets"]).code, 0);
      assert.equal(fs.statSync(key).mode & 0o777, 0o600);
    });
  },
);
