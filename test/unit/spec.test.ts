import { describe, test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import {
  DISTRIBUTIONS,
  SUPPORTED_COMBINATIONS,
  effective,
  loadClusterConfig,
  parseClusterDocument,
  parseSpec,
  validateClusterConfigFile,
  validateClusterDocument,
  type Spec,
} from "../../sdk/config";
import { isKsailError } from "../../sdk/errors";
import { repoRoot } from "../harness/paths";

const fixtures = path.join(repoRoot(), "test/fixtures/spec");
const minimal = (spec: unknown = {}) => ({ apiVersion: "ksail.io/v1alpha1", kind: "Cluster", spec });

describe("valid example files load", () => {
  test("local Talos on Docker: patches from talos/ resolved relative to the file, sorted, ${VAR} expanded", () => {
    const c = loadClusterConfig(path.join(fixtures, "talos/ksail.yaml"), { env: {} });
    assert.equal(c.name, "platform-local");
    assert.equal(c.spec.cluster.distribution, "Talos");
    assert.equal(c.spec.cluster.provider, "Docker");
    assert.equal(c.spec.cluster.cni, "Cilium");
    assert.equal(c.sourcePath, path.join(fixtures, "talos/ksail.yaml"));
    assert.deepEqual(
      c.talosConfigPatches?.cluster.map((p) => p.source),
      ["talos/cluster/cni.yaml", "talos/cluster/kubelet.yaml"],
    );
    assert.deepEqual(
      c.talosConfigPatches?.controlPlanes.map((p) => p.source),
      ["talos/control-planes/scheduling.yaml"],
    );
    assert.equal(c.talosConfigPatches?.workers.length, 1);
    assert.match(c.talosConfigPatches!.workers[0].content, /node\.kubernetes\.io\/role: worker/);
    assert.deepEqual(c.spec.cluster.talos.extraPortMappings, [
      { containerPort: 30080, hostPort: 8080, protocol: "TCP" },
      { containerPort: 30443, hostPort: 8443, protocol: "TCP" },
    ]);
    assert.ok(!("editor" in c.spec), "ignored KSail sections are dropped");
    assert.deepEqual(c.warnings, ["spec.editor: is a KSail field that @ksail/pulumi does not use; ignored"]);
    // Patch expansion uses the given environment.
    const withEnv = loadClusterConfig(path.join(fixtures, "talos/ksail.yaml"), { env: { WORKER_ROLE: "edge" } });
    assert.match(withEnv.talosConfigPatches!.workers[0].content, /role: edge/);
  });

  test("production Talos on Hetzner with autoscaler pools", () => {
    const c = loadClusterConfig(path.join(fixtures, "talos/ksail.prod.yaml"), { env: {} });
    const s = c.spec;
    assert.equal(s.cluster.provider, "Hetzner");
    assert.equal(s.cluster.controlPlanes, 3);
    assert.equal(s.cluster.workers, 3);
    assert.equal(s.cluster.sops.enabled, "Enabled", "YAML boolean true on a toggle enum");
    assert.deepEqual(s.cluster.autoscaler.node.expander, ["LeastWaste", "LeastNodes"], "comma-separated scalar becomes a list");
    assert.deepEqual(
      s.cluster.autoscaler.node.pools.map((p) => [p.name, p.serverType, p.location, p.min, p.max]),
      [
        ["general", "cx33", "fsn1", 0, 4],
        ["memory", "cx43", "nbg1", 0, 2],
      ],
    );
    assert.deepEqual(s.cluster.autoscaler.node.pools[1].taints, [
      { key: "workload.example.com/memory", value: "true", effect: "NoSchedule" },
    ]);
    assert.equal(s.provider.hetzner.floatingIPEnabled, true);
    assert.deepEqual(s.provider.hetzner.allowedCidrs, ["203.0.113.0/24", "2001:db8::/32"]);
    assert.equal(s.workload.tag, "prod", "${RELEASE_TAG:-prod} with the variable unset");
    assert.equal(
      loadClusterConfig(path.join(fixtures, "talos/ksail.prod.yaml"), { env: { RELEASE_TAG: "v1.2.3" } }).spec.workload.tag,
      "v1.2.3",
    );
    assert.deepEqual(c.warnings, []);
    const e = effective(s, { name: c.name });
    assert.equal(e.cluster.csi, "Enabled");
    assert.equal(e.cluster.loadBalancer, "Enabled");
    assert.equal(e.provider.hetzner.networkName, "platform-prod-network");
    assert.equal(e.provider.hetzner.placementGroup, "platform-prod-placement");
    assert.equal(e.provider.hetzner.floatingIPLocation, "fsn1");
    assert.equal(e.cluster.connection.context, "admin@platform-prod");
    assert.equal(e.haEnabled, true);
  });

  test("Kind file with kind.yaml", () => {
    const c = loadClusterConfig(path.join(fixtures, "kind/ksail.yaml"), { env: {} });
    assert.equal(c.spec.cluster.distribution, "Vanilla");
    assert.equal(c.spec.cluster.certManager, "Enabled");
    assert.deepEqual((c.kindConfig as { networking: unknown }).networking, { disableDefaultCNI: true });
    assert.equal(c.k3dConfig, undefined);
    assert.equal(c.talosConfigPatches, undefined);
  });

  test("K3s file with k3d.yaml (provider omitted → Docker)", () => {
    const c = loadClusterConfig(path.join(fixtures, "k3s/ksail.yaml"), { env: {} });
    assert.equal(c.spec.cluster.distribution, "K3s");
    assert.equal(c.spec.cluster.provider, "Docker");
    assert.equal((c.k3dConfig as { kind: string }).kind, "Simple");
    const e = effective(c.spec, { name: c.name });
    assert.deepEqual(
      [e.cluster.csi, e.cluster.metricsServer, e.cluster.loadBalancer, e.cluster.cdi],
      ["Enabled", "Enabled", "Enabled", "Disabled"],
    );
    assert.equal(e.cluster.connection.context, "k3d-k3s-dev");
    // spec.workload.validation is read by `workload validate` (skipKinds); spec.chat is not used.
    assert.deepEqual(c.warnings, ["spec.chat: is a KSail field that @ksail/pulumi does not use; ignored"]);
    assert.deepEqual(c.spec.workload.validation.skipKinds, ["Secret"]);
  });
});

describe("defaults (KSail's)", () => {
  test("a minimal document gets every default", () => {
    const { document: d } = parseClusterDocument(minimal(), { env: {} });
    const c = d.spec.cluster;
    assert.equal(c.distribution, "Vanilla");
    assert.equal(c.provider, "Docker");
    assert.equal(c.distributionConfig, "kind.yaml");
    assert.deepEqual(
      [c.cni, c.csi, c.cdi, c.metricsServer, c.loadBalancer, c.certManager, c.imageVerification, c.policyEngine, c.gitOpsEngine],
      ["Default", "Default", "Default", "Default", "Default", "Disabled", "Disabled", "None", "None"],
    );
    assert.equal(c.controlPlanes, 1);
    assert.equal(c.workers, 0);
    assert.equal(c.connection.kubeconfig, "~/.kube/config");
    assert.equal(c.talos.iso, 125127);
    assert.equal(c.talos.config, "~/.talos/config");
    assert.deepEqual(c.oidc, {
      issuerURL: "",
      clientID: "",
      extraScopes: [],
      usernameClaim: "email",
      usernamePrefix: "oidc:",
      groupsClaim: "groups",
      groupsPrefix: "oidc:",
      caFile: "",
    });
    assert.equal(c.sops.ageKeyEnvVar, "SOPS_AGE_KEY");
    assert.equal(c.autoscaler.node.enabled, "Disabled");
    assert.equal(c.autoscaler.node.skipNodesWithLocalStorage, true);
    assert.equal(c.autoscaler.node.skipNodesWithSystemPods, true);
    const h = d.spec.provider.hetzner;
    assert.deepEqual(
      [
        h.controlPlaneServerType,
        h.workerServerType,
        h.location,
        h.networkCidr,
        h.tokenEnvVar,
        h.placementGroupStrategy,
        h.ingressFirewall,
        h.serverLimit,
      ],
      ["cx23", "cx23", "fsn1", "10.0.0.0/16", "HCLOUD_TOKEN", "Spread", "Enabled", 10],
    );
    assert.deepEqual(
      [h.workerPublicIPv4, h.workerPublicIPv6, h.controlPlanePublicIPv4, h.controlPlanePublicIPv6],
      [true, true, true, true],
    );
    assert.equal(d.spec.workload.sourceDirectory, "k8s");
    assert.equal(d.spec.workload.tag, "dev");
  });

  test("empty sections and keys without a value (YAML null) take the defaults", () => {
    const { document } = parseClusterDocument(
      "apiVersion: ksail.io/v1alpha1\nkind: Cluster\nmetadata:\nspec:\n  cluster:\n    distribution: Talos\n    workers:\n  provider:\n  workload:\n",
      { env: {} },
    );
    assert.equal(document.spec.cluster.workers, 0);
    assert.equal(document.spec.provider.hetzner.location, "fsn1");
    assert.equal(document.metadata.name, undefined);
  });

  test("distributionConfig: empty or another distribution's default → this distribution's default; custom kept", () => {
    const dc = (spec: Record<string, unknown>) =>
      parseClusterDocument(minimal({ cluster: spec }), { env: {} }).document.spec.cluster.distributionConfig;
    assert.equal(dc({ distribution: "Talos" }), "talos");
    assert.equal(dc({ distribution: "Talos", distributionConfig: "kind.yaml" }), "talos");
    assert.equal(dc({ distribution: "K3s", distributionConfig: "talos" }), "k3d.yaml");
    assert.equal(dc({ distribution: "Talos", distributionConfig: "clusters/prod/talos" }), "clusters/prod/talos");
  });

  test("omitted provider is the distribution's first", () => {
    for (const d of ["Vanilla", "K3s", "Talos"]) {
      assert.equal(parseClusterDocument(minimal({ cluster: { distribution: d } }), { env: {} }).document.spec.cluster.provider, "Docker");
    }
    const eks = validateClusterDocument(minimal({ cluster: { distribution: "EKS" } }), { env: {} });
    assert.equal(eks.document?.spec.cluster.provider, "AWS");
  });

  test("YAML booleans on every toggle enum", () => {
    const yaml = `apiVersion: ksail.io/v1alpha1
kind: Cluster
spec:
  cluster:
    distribution: Talos
    csi: true
    cdi: false
    metricsServer: yes
    loadBalancer: false
    certManager: true
    imageVerification: false
    sops: {enabled: true}
    autoscaler:
      pod: {horizontal: true, vertical: false}
      node: {enabled: false}
  provider:
    hetzner: {ingressFirewall: false}
`;
    const r = validateClusterDocument(yaml, { env: {} });
    // YAML 1.2: "yes" is a string, not a boolean, so it is an error naming the field.
    assert.deepEqual(
      r.issues.map((i) => i.path),
      ["spec.cluster.metricsServer"],
    );
    const { document } = parseClusterDocument(yaml.replace("metricsServer: yes", "metricsServer: true"), { env: {} });
    const c = document.spec.cluster;
    assert.deepEqual(
      [
        c.csi,
        c.cdi,
        c.metricsServer,
        c.loadBalancer,
        c.certManager,
        c.imageVerification,
        c.sops.enabled,
        c.autoscaler.pod.horizontal,
        c.autoscaler.pod.vertical,
        c.autoscaler.node.enabled,
        document.spec.provider.hetzner.ingressFirewall,
      ],
      ["Enabled", "Disabled", "Enabled", "Disabled", "Enabled", "Disabled", "Enabled", "Enabled", "Disabled", "Disabled", "Disabled"],
    );
  });

  test("OIDC extra scopes are trimmed and de-duplicated", () => {
    const { document } = parseClusterDocument(
      minimal({ cluster: { oidc: { issuerURL: "https://id.example.com", clientID: "k", extraScopes: [" groups", "groups", "email "] } } }),
      { env: {} },
    );
    assert.deepEqual(document.spec.cluster.oidc.extraScopes, ["groups", "email"]);
  });

  test("relative kubeconfig and sourceDirectory are rebased on baseDir; ~ and absolute paths kept", () => {
    const { document } = parseClusterDocument(
      minimal({ cluster: { connection: { kubeconfig: "kube/config" } }, workload: { sourceDirectory: "/abs/k8s" } }),
      { env: {}, baseDir: "/proj" },
    );
    assert.equal(document.spec.cluster.connection.kubeconfig, "/proj/kube/config");
    assert.equal(document.spec.workload.sourceDirectory, "/abs/k8s");
    const home = parseClusterDocument(minimal(), { env: {}, baseDir: "/proj" }).document;
    assert.equal(home.spec.cluster.connection.kubeconfig, "~/.kube/config");
    assert.equal(home.spec.workload.sourceDirectory, "/proj/k8s");
  });
});

describe("effective values (KSail's per distribution × provider defaults)", () => {
  const spec = (distribution: string, provider: string, extra: Record<string, unknown> = {}): Spec =>
    validateClusterDocument(minimal({ cluster: { distribution, provider, ...extra } }), { env: {} }).document!.spec;
  // [distribution, provider] → [csi, cdi, metricsServer, loadBalancer] for Default
  const table: [string, string, string[]][] = [
    // Kind installs its local-path storage on every cluster (KSail's own diff treats Vanilla CSI as always Enabled).
    ["Vanilla", "Docker", ["Enabled", "Disabled", "Disabled", "Disabled"]],
    ["K3s", "Docker", ["Enabled", "Disabled", "Enabled", "Enabled"]],
    ["Talos", "Docker", ["Disabled", "Enabled", "Disabled", "Disabled"]],
    ["Talos", "Hetzner", ["Enabled", "Enabled", "Disabled", "Enabled"]],
    ["K3s", "Hetzner", ["Enabled", "Disabled", "Enabled", "Enabled"]],
    ["Vanilla", "Hetzner", ["Disabled", "Disabled", "Disabled", "Disabled"]],
  ];
  for (const [d, p, want] of table) {
    test(`${d} on ${p}: Default resolves to ${want.join("/")}`, () => {
      const e = effective(spec(d, p)).cluster;
      assert.deepEqual([e.csi, e.cdi, e.metricsServer, e.loadBalancer], want);
    });
  }
  test("explicit values pass through; cni keeps Default", () => {
    const e = effective(spec("K3s", "Docker", { csi: "Disabled", metricsServer: false, loadBalancer: "Enabled", cni: "Default" })).cluster;
    assert.deepEqual([e.csi, e.metricsServer, e.loadBalancer, e.cni], ["Disabled", "Disabled", "Enabled", "Default"]);
  });
  test("resolved names and fall-backs", () => {
    const e = effective(spec("Talos", "Hetzner", { gitOpsEngine: "Flux", localRegistry: { registry: "ghcr.io/a/b" } }));
    assert.equal(e.name, "talos-default");
    assert.equal(e.cluster.distributionConfig, "talos");
    assert.equal(e.provider.hetzner.networkName, "talos-default-network");
    assert.deepEqual(e.provider.hetzner.fallbackLocations, ["nbg1", "hel1"]);
    assert.deepEqual(e.cluster.autoscaler.node.expander, ["LeastWaste"]);
    assert.equal(e.cluster.talos.drainTimeout, "10m");
    assert.equal(e.cluster.localRegistry.registry, "ghcr.io/a/b");
    assert.equal(effective(spec("Vanilla", "Docker", { gitOpsEngine: "ArgoCD" })).cluster.localRegistry.registry, "localhost:5050");
    assert.equal(effective(spec("Vanilla", "Docker")).cluster.localRegistry.registry, "");
    assert.equal(effective(spec("Vanilla", "Docker"), { name: "dev" }).cluster.connection.context, "kind-dev");
    assert.equal(effective(spec("Vanilla", "Docker")).haEnabled, false);
  });
  test("supported combinations are exactly every distribution but EKS/GKE/AKS on Docker and on Kubernetes, Talos on Hetzner and on Omni", () => {
    assert.deepEqual(
      SUPPORTED_COMBINATIONS.map((c) => `${c.distribution}/${c.provider}`),
      [
        "Vanilla/Docker",
        "K3s/Docker",
        "Talos/Docker",
        "Talos/Hetzner",
        "Talos/Omni",
        "Vanilla/Kubernetes",
        "Talos/Kubernetes",
        "K3s/Kubernetes",
        "VCluster/Kubernetes",
        "VCluster/Docker",
        "KWOK/Docker",
        "KWOK/Kubernetes",
      ],
    );
    // Omni needs a machine class or machines besides the two fields (test/unit/spec-invalid, test/mocks/cluster-omni).
    for (const c of SUPPORTED_COMBINATIONS.filter((x) => x.provider !== "Omni")) {
      assert.equal(
        validateClusterDocument(minimal({ cluster: { distribution: c.distribution, provider: c.provider } }), { env: {} }).ok,
        true,
      );
    }
    assert.equal(DISTRIBUTIONS.length, 8);
  });
});

describe("parseSpec (inline specs)", () => {
  test("parses a bare spec and is idempotent on its own output", () => {
    const { spec, warnings } = parseSpec({ cluster: { distribution: "Talos", csi: true, talos: { workers: 2 } } }, { env: {} });
    assert.equal(spec.cluster.csi, "Enabled");
    assert.equal(spec.cluster.workers, 2);
    assert.equal(warnings.length, 1);
    assert.deepEqual(parseSpec(spec, { env: {} }).spec, spec);
    const prod = loadClusterConfig(path.join(fixtures, "talos/ksail.prod.yaml"), { env: {} });
    assert.deepEqual(parseSpec(prod.spec, { env: {}, name: prod.name }).spec, prod.spec);
  });
  test("errors name spec.* paths", () => {
    assert.throws(
      () => parseSpec({ cluster: { workers: "two" } }, { env: {} }),
      (e: unknown) => isKsailError(e) && e.issues[0].path === "spec.cluster.workers" && /the inline spec/.test(e.message),
    );
  });
});

describe("deprecated fields and ignored sections", () => {
  test("talos.controlPlanes/workers migrate when the replacement is unset, with a warning", () => {
    const { document, warnings } = parseClusterDocument(
      minimal({ cluster: { distribution: "Talos", talos: { controlPlanes: 3, workers: 2 } } }),
      { env: {} },
    );
    assert.equal(document.spec.cluster.controlPlanes, 3);
    assert.equal(document.spec.cluster.workers, 2);
    assert.equal(document.spec.cluster.talos.controlPlanes, undefined);
    assert.deepEqual(warnings, [
      "spec.cluster.talos.controlPlanes: is deprecated; use spec.cluster.controlPlanes instead (value migrated)",
      "spec.cluster.talos.workers: is deprecated; use spec.cluster.workers instead (value migrated)",
    ]);
  });
  test("equal old and new values are no conflict; nodeAutoscaling true migrates as Enabled", () => {
    const { document } = parseClusterDocument(
      minimal({
        cluster: {
          distribution: "Talos",
          controlPlanes: 3,
          talos: { controlPlanes: 3, imageVerification: true },
          nodeAutoscaling: "Disabled",
        },
      }),
      { env: {} },
    );
    assert.equal(document.spec.cluster.controlPlanes, 3);
    assert.equal(document.spec.cluster.imageVerification, "Enabled");
    assert.equal(document.spec.cluster.autoscaler.node.enabled, "Disabled");
    assert.equal(document.spec.cluster.nodeAutoscaling, undefined);
  });
  test("KSail sections this package does not use are accepted, dropped and warned about", () => {
    const { document, warnings } = parseClusterDocument(
      minimal({
        editor: "vim",
        chat: { model: "x" },
        cluster: { eks: { region: "x" } },
        provider: { aws: {} },
        workload: { watch: { hooks: [] } },
      }),
      { env: {} },
    );
    assert.ok(
      !("editor" in document.spec) && !("chat" in document.spec) && !("aws" in document.spec.provider) && !("eks" in document.spec.cluster),
    );
    // spec.provider.omni and spec.workload.{validation,scan} are used now; the other five sections are still dropped.
    assert.equal(warnings.length, 5);
    assert.ok(warnings.every((w) => /does not use; ignored/.test(w)));
  });
});

describe("CNI alignment with distribution files", () => {
  function project(files: Record<string, string>): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ksail-spec-"));
    for (const [name, text] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
      fs.writeFileSync(path.join(dir, name), text);
    }
    return path.join(dir, "ksail.yaml");
  }
  const ksail = (cluster: string) => `apiVersion: ksail.io/v1alpha1\nkind: Cluster\nspec:\n  cluster:\n${cluster}`;
  const kindYaml = (disable: boolean) =>
    `kind: Cluster\napiVersion: kind.x-k8s.io/v1alpha4\nnetworking:\n  disableDefaultCNI: ${disable}\n`;
  const k3dYaml = (args: string[]) =>
    `apiVersion: k3d.io/v1alpha5\nkind: Simple\noptions:\n  k3s:\n    extraArgs:\n${args.map((a) => `      - arg: ${a}\n`).join("")}${args.length === 0 ? "      []\n" : ""}`;
  const cases: [string, Record<string, string>, RegExp | undefined][] = [
    [
      "Kind Cilium without disableDefaultCNI",
      { "ksail.yaml": ksail("    cni: Cilium\n"), "kind.yaml": kindYaml(false) },
      /Cilium CNI requires disableDefaultCNI to be true in Kind configuration \(kind\.yaml\)/,
    ],
    [
      "Kind Default with disableDefaultCNI",
      { "ksail.yaml": ksail("    cni: Default\n"), "kind.yaml": kindYaml(true) },
      /Default CNI requires disableDefaultCNI to be false/,
    ],
    ["Kind Calico with disableDefaultCNI", { "ksail.yaml": ksail("    cni: Calico\n"), "kind.yaml": kindYaml(true) }, undefined],
    ["Kind Cilium without kind.yaml (built-in default config)", { "ksail.yaml": ksail("    cni: Default\n") }, undefined],
    [
      "K3d Cilium without flannel off",
      { "ksail.yaml": ksail("    distribution: K3s\n    cni: Cilium\n"), "k3d.yaml": k3dYaml(["--disable-network-policy"]) },
      /requires '--flannel-backend=none' and '--disable-network-policy' in K3d configuration/,
    ],
    [
      "K3d Default with flannel off",
      { "ksail.yaml": ksail("    distribution: K3s\n"), "k3d.yaml": k3dYaml(["--flannel-backend=none"]) },
      /Default CNI requires Flannel to be enabled, but found --flannel-backend=none/,
    ],
    [
      "K3d Cilium aligned",
      {
        "ksail.yaml": ksail("    distribution: K3s\n    cni: Cilium\n"),
        "k3d.yaml": k3dYaml(["--flannel-backend=none", "--disable-network-policy"]),
      },
      undefined,
    ],
    // KSail sets cni none itself when no patch does: validates (it used to be rejected).
    [
      "Talos Cilium without a cni patch",
      { "ksail.yaml": ksail("    distribution: Talos\n    cni: Cilium\n"), "talos/cluster/x.yaml": "machine: {}\n" },
      undefined,
    ],
    ["Talos Cilium without a patch directory", { "ksail.yaml": ksail("    distribution: Talos\n    cni: Cilium\n") }, undefined],
    [
      "Talos Cilium with a patch that keeps flannel",
      {
        "ksail.yaml": ksail("    distribution: Talos\n    cni: Cilium\n"),
        "talos/cluster/cni.yaml": "cluster:\n  network:\n    cni:\n      name: flannel\n",
      },
      /talos\/cluster\/cni\.yaml sets cluster\.network\.cni\.name: flannel/,
    ],
    [
      "Talos Default with cni none",
      { "ksail.yaml": ksail("    distribution: Talos\n"), "talos/cluster/cni.yaml": "cluster:\n  network:\n    cni:\n      name: none\n" },
      /talos\/cluster\/cni\.yaml sets cluster\.network\.cni\.name: none/,
    ],
    [
      "Talos Cilium with cni none in control-planes",
      {
        "ksail.yaml": ksail("    distribution: Talos\n    cni: Cilium\n"),
        "talos/control-planes/cni.yaml": "cluster:\n  network:\n    cni:\n      name: none\n",
      },
      undefined,
    ],
  ];
  for (const [name, files, want] of cases) {
    test(name, () => {
      const r = validateClusterConfigFile(project(files), { env: {} });
      if (want === undefined) {
        assert.deepEqual(r.issues, []);
        assert.equal(r.ok, true);
      } else {
        assert.equal(r.ok, false);
        const hit = r.issues.find((i) => i.path === "spec.cluster.cni");
        assert.ok(hit, JSON.stringify(r.issues));
        assert.match(hit.message, want);
      }
    });
  }
  test("node lists in kind.yaml / k3d.yaml that disagree with controlPlanes/workers are warned about", () => {
    const kind = validateClusterConfigFile(
      project({
        "ksail.yaml": ksail("    workers: 1\n"),
        "kind.yaml":
          "kind: Cluster\napiVersion: kind.x-k8s.io/v1alpha4\nnodes:\n  - role: control-plane\n  - role: worker\n  - role: worker\n",
      }),
      { env: {} },
    );
    assert.equal(kind.ok, true);
    assert.deepEqual(kind.config?.warnings, [
      "spec.cluster.controlPlanes: kind.yaml declares 1 control plane(s) and 2 worker(s), but spec.cluster.controlPlanes=1 and spec.cluster.workers=1 decide the nodes; align the two files",
    ]);
    const k3d = validateClusterConfigFile(
      project({
        "ksail.yaml": ksail("    distribution: K3s\n    controlPlanes: 1\n    workers: 2\n"),
        "k3d.yaml": "apiVersion: k3d.io/v1alpha5\nkind: Simple\nservers: 1\nagents: 2\n",
      }),
      { env: {} },
    );
    assert.deepEqual(k3d.config?.warnings, []);
  });
  test("kind.yaml / k3d.yaml names: adopted when metadata.name is absent, refused when different", () => {
    const kindFile = "kind: Cluster\napiVersion: kind.x-k8s.io/v1alpha4\nname: from-kind\n";
    const adopted = validateClusterConfigFile(project({ "ksail.yaml": ksail("    cni: Default\n"), "kind.yaml": kindFile }), { env: {} });
    assert.equal(adopted.config?.name, "from-kind");
    const clash = validateClusterConfigFile(
      project({ "ksail.yaml": ksail("    cni: Default\n").replace("spec:", "metadata:\n  name: other\nspec:"), "kind.yaml": kindFile }),
      { env: {} },
    );
    assert.deepEqual(
      clash.issues.map((i) => i.path),
      ["metadata.name"],
    );
    assert.match(clash.issues[0].message, /is "other" but kind\.yaml name is "from-kind"/);
    const k3d = validateClusterConfigFile(
      project({
        "ksail.yaml": ksail("    distribution: K3s\n"),
        "k3d.yaml": "apiVersion: k3d.io/v1alpha5\nkind: Simple\nmetadata:\n  name: k3s-x\n",
      }),
      { env: {} },
    );
    assert.equal(k3d.config?.name, "k3s-x");
  });
  test("stray entries in the Talos patch directory are warned about", () => {
    const r = validateClusterConfigFile(
      project({
        "ksail.yaml": ksail("    distribution: Talos\n"),
        "talos/controlplane/a.yaml": "machine: {}\n",
        "talos/patch.yaml": "machine: {}\n",
        "talos/README.md": "x",
      }),
      { env: {} },
    );
    assert.equal(r.ok, true);
    assert.deepEqual(r.warnings.map((w) => w.path).sort(), ["talos/controlplane", "talos/patch.yaml"]);
    assert.match(r.warnings[0].message, /is not applied: Talos patches go in cluster\/, control-planes\/, workers\//);
  });
  test("an explicit distributionConfig that does not exist is an error; broken patch YAML names the file", () => {
    const r = validateClusterConfigFile(
      project({ "ksail.yaml": ksail("    distribution: Talos\n    distributionConfig: clusters/talos\n") }),
      { env: {} },
    );
    assert.match(r.issues.find((i) => i.path === "spec.cluster.distributionConfig")!.message, /"clusters\/talos" does not exist/);
    const bad = validateClusterConfigFile(
      project({ "ksail.yaml": ksail("    distribution: Talos\n"), "talos/workers/bad.yaml": "machine: [\n" }),
      { env: {} },
    );
    assert.equal(bad.issues[0].path, "talos/workers/bad.yaml");
    assert.match(bad.issues[0].message, /YAML syntax error/);
  });
  test("kind.yaml of the wrong kind is refused; loadClusterConfig throws a KsailError naming the file", () => {
    const file = project({ "ksail.yaml": ksail("    cni: Default\n"), "kind.yaml": "apiVersion: k3d.io/v1alpha5\nkind: Simple\n" });
    assert.throws(
      () => loadClusterConfig(file, { env: {} }),
      (e: unknown) => isKsailError(e) && e.issues[0].path === "kind.yaml" && /expected kind: Cluster/.test(e.message),
    );
  });
  test("a missing ksail.yaml is one clear issue", () => {
    const r = validateClusterConfigFile("/nonexistent/ksail.yaml", { env: {} });
    assert.deepEqual(r.issues, [{ path: "", message: "file not found: /nonexistent/ksail.yaml; check the path" }]);
  });
});
