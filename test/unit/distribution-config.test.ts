// kind.yaml / k3d.yaml named by distributionConfig: every field is honoured or rejected by name, never ignored.
// Field names and shapes: kind's v1alpha4 Cluster (kubernetes-sigs/kind pkg/apis/config/v1alpha4/types.go) and k3d's
// v1alpha5 Simple config (k3d-io/k3d pkg/config/v1alpha5/types.go); k3s flags per docs.k3s.io cli/server, cli/agent.
import { describe, test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as YAML from "yaml";
import { parseClusterDocument, validateClusterConfigFile } from "../../sdk/config";
import { isKsailError } from "../../sdk/errors";
import { planCluster } from "../../sdk/plan/cluster";
import { k3dConfigOverrides, kindConfigOverrides, specDisabledK3sAddons } from "../../sdk/config/distributionFiles";
import { k3sCommand, k3sDisabledAddons } from "../../sdk/distributions/k3s";
import { k3sFacts, kindFacts } from "../../sdk/plan/dockerContainers";
import { kubeadmConfigDocuments } from "../../sdk/distributions/kind/kubeadm";

const specOf = (cluster: Record<string, unknown>) =>
  parseClusterDocument({ apiVersion: "ksail.io/v1alpha1", kind: "Cluster", metadata: { name: "dev" }, spec: { cluster } }).document!.spec;

const kindCtx = { source: "kind.yaml", kubernetesVersion: "" };
const k3dCtx = { source: "k3d.yaml", kubernetesVersion: "" };
const kindFile = (extra: Record<string, unknown>) => ({ kind: "Cluster", apiVersion: "kind.x-k8s.io/v1alpha4", ...extra });
const k3dFile = (extra: Record<string, unknown>) => ({ kind: "Simple", apiVersion: "k3d.io/v1alpha5", ...extra });
const paths = (r: { issues: { path: string }[] }) => r.issues.map((i) => i.path);

describe("kind.yaml (kubernetes-sigs/kind pkg/apis/config/v1alpha4/types.go)", () => {
  test("networking.podSubnet/serviceSubnet/apiServerPort and the first control plane's extraPortMappings reach the plan and kubeadm", () => {
    const kindConfig = kindFile({
      networking: { podSubnet: "10.200.0.0/16", serviceSubnet: "10.201.0.0/16", apiServerPort: 16443, apiServerAddress: "127.0.0.1" },
      nodes: [
        {
          role: "control-plane",
          extraPortMappings: [
            { containerPort: 80, hostPort: 8080 },
            { containerPort: 53, hostPort: 5353, protocol: "UDP" },
          ],
        },
        { role: "worker" },
      ],
    });
    const plan = planCluster({ name: "dev", spec: specOf({ distribution: "Vanilla", provider: "Docker", workers: 1 }), kindConfig });
    const d = plan.docker!;
    assert.equal(d.podSubnet, "10.200.0.0/16");
    assert.equal(d.serviceSubnet, "10.201.0.0/16");
    assert.equal(d.apiHostPort, 16443);
    assert.equal(plan.endpoint, "https://127.0.0.1:16443");
    assert.deepEqual(d.extraPorts, [
      { hostPort: 8080, containerPort: 80, protocol: "tcp" },
      { hostPort: 5353, containerPort: 53, protocol: "udp" },
    ]);
    // kubeadm's ClusterConfiguration carries the subnets (what kind writes from networking.podSubnet/serviceSubnet).
    const docs = kubeadmConfigDocuments({
      ...kindFacts(d),
      node: { name: d.nodes[0].name, ip: d.nodes[0].ip, role: "control-plane", init: true },
      bootstrapToken: "abcdef.0123456789abcdef",
      caCertHash: `sha256:${"0".repeat(64)}`,
    });
    const cluster = docs.find((x) => x.kind === "ClusterConfiguration") as { networking: unknown };
    assert.deepEqual(cluster.networking, { podSubnet: "10.200.0.0/16", serviceSubnet: "10.201.0.0/16" });
  });

  test("a file that restates the spec (KSail's own kind.yaml) changes nothing, not even the recreate trigger", () => {
    const spec = specOf({ distribution: "Vanilla", provider: "Docker", workers: 1, cni: "Cilium" });
    const kindConfig = kindFile({
      name: "dev",
      networking: { disableDefaultCNI: true, kubeProxyMode: "iptables", ipFamily: "ipv4" },
      nodes: [
        { role: "control-plane", image: "kindest/node:v1.36.1" },
        { role: "worker", image: "kindest/node:v1.36.1" },
      ],
      kubeadmConfigPatches: ["kind: KubeletConfiguration\nserverTLSBootstrap: true\n"],
    });
    // The image is the one the spec selects anyway: honoured, and no change.
    assert.deepEqual(kindConfigOverrides(kindConfig, kindCtx), { overrides: { image: "kindest/node:v1.36.1" }, issues: [] });
    assert.equal(planCluster({ name: "dev", spec, kindConfig }).recreateTrigger, planCluster({ name: "dev", spec }).recreateTrigger);
  });

  test("nodes[].image is the cluster's node image (and its Kubernetes version); it must agree with spec.cluster.kubernetesVersion", () => {
    const kindConfig = kindFile({ nodes: [{ role: "control-plane", image: "kindest/node:v1.35.0" }] });
    const plan = planCluster({ name: "dev", spec: specOf({ distribution: "Vanilla", provider: "Docker" }), kindConfig });
    assert.equal(plan.docker!.image, "kindest/node:v1.35.0");
    assert.equal(plan.versions.kubernetes, "v1.35.0");
    const r = kindConfigOverrides(kindConfig, { ...kindCtx, kubernetesVersion: "1.36.1" });
    assert.deepEqual(paths(r), ["kind.yaml:nodes[0].image"]);
    assert.match(r.issues[0].message, /runs Kubernetes 1\.35\.0 but spec\.cluster\.kubernetesVersion is 1\.36\.1/);
  });

  test("a honoured field recreates the cluster (the trigger changes)", () => {
    const spec = specOf({ distribution: "Vanilla", provider: "Docker" });
    const a = planCluster({ name: "dev", spec, kindConfig: kindFile({ networking: { podSubnet: "10.200.0.0/16" } }) });
    assert.notEqual(a.recreateTrigger, planCluster({ name: "dev", spec }).recreateTrigger);
  });

  test("every field KSailCluster cannot honour is rejected by name, with what is supported", () => {
    const r = kindConfigOverrides(
      kindFile({
        featureGates: { Foo: true },
        runtimeConfig: { "api/alpha": "true" },
        containerdConfigPatches: ['[plugins."io.containerd.grpc.v1.cri"]\n  enable_cdi = true'],
        kubeadmConfigPatches: ["kind: ClusterConfiguration\napiServer:\n  extraArgs:\n    v: '4'\n"],
        networking: { kubeProxyMode: "none", ipFamily: "dual", apiServerAddress: "0.0.0.0", dnsSearch: [], podSubnet: "nope" },
        nodes: [
          { role: "control-plane", image: "kindest/node:v1.30.0", extraMounts: [{ hostPath: "/x", containerPath: "/x" }] },
          { role: "worker", image: "kindest/node:v1.31.0", labels: { a: "b" }, extraPortMappings: [{ containerPort: 80, hostPort: 80 }] },
        ],
        someFutureField: 1,
      }),
      kindCtx,
    );
    assert.deepEqual(paths(r).sort(), [
      "kind.yaml:containerdConfigPatches",
      "kind.yaml:featureGates",
      "kind.yaml:kubeadmConfigPatches[0]",
      "kind.yaml:networking.apiServerAddress",
      "kind.yaml:networking.dnsSearch",
      "kind.yaml:networking.ipFamily",
      "kind.yaml:networking.kubeProxyMode",
      "kind.yaml:networking.podSubnet",
      "kind.yaml:nodes[0].extraMounts",
      "kind.yaml:nodes[1].extraPortMappings",
      "kind.yaml:nodes[1].image",
      "kind.yaml:nodes[1].labels",
      "kind.yaml:runtimeConfig",
      "kind.yaml:someFutureField",
    ]);
    const msg = (p: string) => r.issues.find((i) => i.path === `kind.yaml:${p}`)!.message;
    assert.match(msg("networking.kubeProxyMode"), /^is "none"; .*iptables/);
    assert.match(msg("nodes[1].image"), /one node image; every node entry must name kindest\/node:v1\.30\.0/);
    assert.match(msg("nodes[1].extraPortMappings"), /first control-plane entry/);
  });

  test("planCluster refuses such a file (KsailError naming the field), so nothing is created", () => {
    const spec = specOf({ distribution: "Vanilla", provider: "Docker" });
    assert.throws(
      () => planCluster({ name: "dev", spec, kindConfig: kindFile({ nodes: [{ role: "control-plane", extraMounts: [] }] }) }),
      (e: unknown) => isKsailError(e) && e.issues.some((i) => i.path === "kind.yaml:nodes[0].extraMounts"),
    );
  });

  test("port mappings need a fixed host port and TCP/UDP", () => {
    const r = kindConfigOverrides(
      kindFile({
        nodes: [
          {
            extraPortMappings: [
              { containerPort: 80 },
              { containerPort: 81, hostPort: 81, protocol: "SCTP" },
              { containerPort: 82, hostPort: 82, listenAddress: "127.0.0.1" },
            ],
          },
        ],
      }),
      kindCtx,
    );
    assert.deepEqual(paths(r), [
      "kind.yaml:nodes[0].extraPortMappings[0].hostPort",
      "kind.yaml:nodes[0].extraPortMappings[1].protocol",
      "kind.yaml:nodes[0].extraPortMappings[2].listenAddress",
    ]);
  });
});

describe("k3d.yaml (k3d-io/k3d pkg/config/v1alpha5/types.go)", () => {
  test("options.k3s.extraArgs and nodeLabels on server:*/agent:*/all reach the k3s command lines; --cluster-cidr/--service-cidr become the subnets", () => {
    const k3dConfig = k3dFile({
      metadata: { name: "dev" },
      servers: 1,
      agents: 1,
      subnet: "172.28.0.0/16",
      kubeAPI: { hostIP: "127.0.0.1", hostPort: "6550" },
      ports: [{ port: "8080:80", nodeFilters: ["loadbalancer"] }],
      options: {
        k3d: { wait: true },
        k3s: {
          extraArgs: [
            { arg: "--disable=traefik", nodeFilters: ["server:*"] },
            { arg: "--kubelet-arg=max-pods=200", nodeFilters: ["all"] },
            { arg: "--cluster-cidr=10.50.0.0/16", nodeFilters: ["server:*"] },
            { arg: "--service-cidr=10.51.0.0/16", nodeFilters: ["server:*"] },
          ],
          nodeLabels: [{ label: "tier=edge", nodeFilters: ["agent:*"] }],
        },
      },
    });
    const plan = planCluster({ name: "dev", spec: specOf({ distribution: "K3s", provider: "Docker", workers: 1 }), k3dConfig });
    const d = plan.docker!;
    assert.equal(d.network.cidr, "172.28.0.0/16");
    assert.equal(d.apiHostPort, 6550);
    assert.deepEqual(d.extraPorts, [{ hostPort: 8080, containerPort: 80, protocol: "tcp" }]);
    const facts = k3sFacts(d);
    const server = k3sCommand(facts, d.nodes[0]);
    const agent = k3sCommand(facts, d.nodes[1]);
    for (const f of ["--disable=traefik", "--kubelet-arg=max-pods=200", "--cluster-cidr=10.50.0.0/16", "--service-cidr=10.51.0.0/16"])
      assert.equal(server.filter((a) => a === f).length, 1, f);
    assert.deepEqual(agent.slice(2), ["--kubelet-arg=max-pods=200", "--node-label=tier=edge"]);
  });

  test("KSail's own k3d.yaml (CNI flags the spec already sets) changes nothing, not even the recreate trigger", () => {
    const spec = specOf({ distribution: "K3s", provider: "Docker", cni: "Cilium" });
    const k3dConfig = k3dFile({
      metadata: { name: "dev" },
      image: "rancher/k3s:v1.36.2-k3s1",
      options: {
        k3s: {
          extraArgs: ["--flannel-backend=none", "--disable-network-policy", "--disable=traefik"].map((arg) => ({
            arg,
            nodeFilters: ["server:*"],
          })),
        },
      },
    });
    assert.deepEqual(k3dConfigOverrides(k3dConfig, { ...k3dCtx, cni: "Cilium" }), {
      overrides: { image: "rancher/k3s:v1.36.2-k3s1" },
      issues: [],
    });
    assert.equal(planCluster({ name: "dev", spec, k3dConfig }).recreateTrigger, planCluster({ name: "dev", spec }).recreateTrigger);
  });

  test("every field KSailCluster cannot honour is rejected by name", () => {
    const r = k3dConfigOverrides(
      k3dFile({
        network: "shared",
        token: "s3cret",
        volumes: [{ volume: "/a:/b" }],
        env: [{ envVar: "A=B" }],
        registries: { create: { name: "r" } },
        hostAliases: [],
        kubeAPI: { host: "api.example", hostIP: "0.0.0.0" },
        ports: [
          { port: "80:80", nodeFilters: ["agent:0"] },
          { port: "8000-8010:80", nodeFilters: ["loadbalancer"] },
        ],
        options: {
          k3d: { disableLoadbalancer: true, wait: false },
          kubeconfig: { updateDefaultKubeconfig: true },
          runtime: { serversMemory: "2g" },
          k3s: {
            extraArgs: [
              { arg: "--token=x", nodeFilters: ["server:*"] },
              { arg: "--disable=servicelb", nodeFilters: ["server:*"] },
              { arg: "--v=2", nodeFilters: ["server:0"] },
              { arg: "--v=3" },
            ],
          },
        },
      }),
      k3dCtx,
    );
    assert.deepEqual(paths(r).sort(), [
      "k3d.yaml:env",
      "k3d.yaml:hostAliases",
      "k3d.yaml:kubeAPI.host",
      "k3d.yaml:kubeAPI.hostIP",
      "k3d.yaml:network",
      "k3d.yaml:options.k3d.disableLoadbalancer",
      "k3d.yaml:options.k3d.wait",
      "k3d.yaml:options.k3s.extraArgs[0].arg",
      "k3d.yaml:options.k3s.extraArgs[1].arg",
      "k3d.yaml:options.k3s.extraArgs[2].nodeFilters",
      "k3d.yaml:options.k3s.extraArgs[3].nodeFilters",
      "k3d.yaml:options.kubeconfig",
      "k3d.yaml:options.runtime",
      "k3d.yaml:ports[0].nodeFilters",
      "k3d.yaml:ports[1].port",
      "k3d.yaml:registries",
      "k3d.yaml:token",
      "k3d.yaml:volumes",
    ]);
    // The token never appears in the message.
    assert.ok(!r.issues.some((i) => i.message.includes("s3cret")));
    assert.match(r.issues.find((i) => i.path === "k3d.yaml:options.k3s.extraArgs[1].arg")!.message, /spec\.cluster\.loadBalancer/);
  });
});

describe("k3d.yaml image and the spec's own k3s flags", () => {
  test("image is the node image and must agree with spec.cluster.kubernetesVersion", () => {
    const k3dConfig = k3dFile({ image: "rancher/k3s:v1.35.4-k3s1" });
    const plan = planCluster({ name: "dev", spec: specOf({ distribution: "K3s", provider: "Docker" }), k3dConfig });
    assert.equal(plan.docker!.image, "rancher/k3s:v1.35.4-k3s1");
    assert.equal(plan.versions.kubernetes, "v1.35.4");
    assert.deepEqual(paths(k3dConfigOverrides(k3dConfig, { ...k3dCtx, kubernetesVersion: "v1.36.2" })), ["k3d.yaml:image"]);
  });

  test("flags the spec sets need no node filter (KSail adds them to server:* itself); others do, as k3d requires", () => {
    const r = k3dConfigOverrides(
      k3dFile({
        options: {
          k3s: { extraArgs: [{ arg: "--disable=metrics-server" }, { arg: "--flannel-backend=none" }, { arg: "--disable=traefik" }] },
        },
      }),
      { ...k3dCtx, cni: "Calico" },
    );
    assert.deepEqual(paths(r), ["k3d.yaml:options.k3s.extraArgs[2].nodeFilters"]);
  });

  test("the spec's disabled add-ons are the K3s renderer's (k3sDisabledAddons) for every CNI and LoadBalancer", () => {
    for (const cni of ["Default", "Cilium", "Calico"] as const)
      for (const loadBalancer of [true, false])
        assert.deepEqual(specDisabledK3sAddons(cni, loadBalancer), k3sDisabledAddons({ cni, loadBalancer }));
  });
});

describe("validate rejects the same fields (loadClusterConfig / ksail-pulumi validate)", () => {
  test("a k3d.yaml with registries and a kind.yaml with extraMounts fail validation, naming the field", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ksail-distcfg-"));
    try {
      const write = (f: string, v: unknown) => fs.writeFileSync(path.join(dir, f), YAML.stringify(v));
      const ksail = (distribution: string, file: string) => ({
        apiVersion: "ksail.io/v1alpha1",
        kind: "Cluster",
        metadata: { name: "dev" },
        spec: { cluster: { distribution, provider: "Docker", distributionConfig: file } },
      });
      write("k3d.yaml", k3dFile({ registries: { use: ["r:5000"] } }));
      write("k3s.yaml", ksail("K3s", "k3d.yaml"));
      const k = validateClusterConfigFile(path.join(dir, "k3s.yaml"), { env: {} });
      assert.equal(k.ok, false);
      assert.deepEqual(
        k.issues.map((i) => i.path),
        ["k3d.yaml:registries"],
      );
      write("kind.yaml", kindFile({ nodes: [{ role: "control-plane", extraMounts: [] }] }));
      write("vanilla.yaml", ksail("Vanilla", "kind.yaml"));
      const v = validateClusterConfigFile(path.join(dir, "vanilla.yaml"), { env: {} });
      assert.equal(v.ok, false);
      assert.deepEqual(
        v.issues.map((i) => i.path),
        ["kind.yaml:nodes[0].extraMounts"],
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
