import { test, describe, before } from "node:test";
import * as assert from "node:assert/strict";
import * as crypto from "node:crypto";
import * as YAML from "yaml";
import { renderMachineConfigs, renderNodeConfig, TalosRenderInput, TalosPatchSet } from "../../sdk/distributions/talos";
import { isKsailError } from "../../sdk/errors";
import type { TalosSecretsBundle } from "../../sdk/pki/types";
import { talosSecrets } from "../fixtures/talos/secrets";
import { schemaErrors } from "../fixtures/talos/schema";
import { planHetznerCluster, type HetznerPlanInput } from "../../sdk/plan/hetzner";
import { talosHetznerOptions } from "../../sdk/plan/talos";

/** The Talos host-firewall rules the Hetzner plan's reachability model gives a layout. */
const firewallOf = (o: Partial<HetznerPlanInput> = {}) =>
  talosHetznerOptions(planHetznerCluster({ clusterName: "dev", controlPlanes: 1, workers: 2, ...o })).firewall!;

let secrets: TalosSecretsBundle;
before(async () => {
  secrets = await talosSecrets();
});

const docsOf = (yaml: string): any[] => YAML.parseAllDocuments(yaml).map((d) => d.toJS());
const v1 = (yaml: string): any => docsOf(yaml).find((d) => d.kind === undefined);
const kinds = (yaml: string): string[] => docsOf(yaml).map((d) => d.kind ?? "v1alpha1");
const unb64 = (s: string) => Buffer.from(s, "base64").toString("utf8");

/** Patches exercising every mechanism, valid for 1.11–1.13. */
const PATCHES: TalosPatchSet = {
  cluster: [
    { source: "talos/cluster/20-sysctls.yaml", content: 'machine:\n  sysctls:\n    net.core.somaxconn: "65535"\n' },
    { source: "talos/cluster/10-labels.yaml", content: 'machine:\n  nodeLabels:\n    ksail.io/patched: "cluster"\n' },
  ],
  controlPlanes: [
    {
      source: "talos/control-planes/firewall.yaml",
      content: [
        "cluster:",
        "  apiServer:",
        "    extraArgs:",
        '      audit-log-maxage: "7"',
        "---",
        "apiVersion: v1alpha1",
        "kind: NetworkRuleConfig",
        "name: user-metrics",
        "portSelector:",
        "  ports: [9100]",
        "  protocol: tcp",
        "ingress:",
        "  - subnet: 10.0.0.0/16",
      ].join("\n"),
    },
  ],
  workers: [
    {
      source: "talos/workers/labels.json",
      content: JSON.stringify([{ op: "add", path: "/machine/nodeLabels/role", value: "worker" }]),
    },
  ],
};

const MINORS = ["1.11", "1.12", "1.13", "1.14"] as const;
const PLATFORMS = ["docker", "hetzner", "metal"] as const;
const CNIS = ["Default", "Cilium", "Calico"] as const;

function input(over: Partial<TalosRenderInput> = {}): TalosRenderInput {
  return {
    clusterName: "dev",
    endpoint: "https://10.5.0.2:6443",
    secrets,
    platform: "docker",
    workers: 1,
    ...over,
  };
}

function platformExtras(platform: (typeof PLATFORMS)[number]): Partial<TalosRenderInput> {
  if (platform === "docker") {
    return {
      mirrors: [{ host: "docker.io", endpoints: ["http://dev-docker.io:5000"], auth: { username: "me", password: "pw" } }],
      localRegistry: { host: "dev-local-registry:5000", endpoint: "http://dev-local-registry:5000" },
    };
  }
  if (platform === "hetzner") {
    return {
      endpoint: "https://203.0.113.10:6443",
      hetzner: {
        vip: "203.0.113.10",
        apiToken: "hcloud-token-xyz",
        privateNetworkCidr: "10.0.0.0/16",
        firewall: firewallOf(),
      },
      certSANs: ["10.0.1.2"],
    };
  }
  return { install: { disk: "/dev/nvme0n1" } };
}

describe("Talos render: every rendered document validates against the shipped JSON Schema", () => {
  for (const minor of MINORS) {
    for (const platform of PLATFORMS) {
      test(`${minor} × ${platform} × patches on/off × cni × workers 0/2`, () => {
        let count = 0;
        for (const withPatches of [false, true]) {
          for (const cni of CNIS) {
            for (const workers of [0, 2]) {
              const r = renderMachineConfigs(
                input({
                  talosVersion: minor,
                  platform,
                  cni,
                  workers,
                  metricsServer: cni !== "Calico",
                  patches: withPatches ? PATCHES : undefined,
                  inlinePatches: withPatches
                    ? { cluster: [{ source: "inline[0]", content: 'machine:\n  nodeAnnotations:\n    ksail.io/inline: "yes"\n' }] }
                    : undefined,
                  nodes: [
                    { hostname: "dev-control-plane-1", role: "controlplane" },
                    { hostname: "dev-worker-1", role: "worker" },
                  ],
                  ...platformExtras(platform),
                }),
              );
              const all = {
                cp: r.controlPlane,
                worker: r.worker,
                cpRedacted: r.controlPlaneRedacted,
                workerRedacted: r.workerRedacted,
                ...r.perNode,
              };
              for (const [name, yaml] of Object.entries(all)) {
                // A config validates against the schema of its contract (1.14 nodes run the 1.13 contract).
                assert.deepEqual(
                  schemaErrors(yaml, r.contract),
                  [],
                  `${minor}/${platform}/${cni}/w${workers}/patches=${withPatches}: ${name}`,
                );
                count++;
              }
              if (withPatches) {
                const cp = v1(r.controlPlane);
                const w = v1(r.worker);
                assert.equal(cp.machine.sysctls["net.core.somaxconn"], "65535");
                assert.equal(w.machine.nodeLabels["ksail.io/patched"], "cluster");
                assert.equal(cp.cluster.apiServer.extraArgs["audit-log-maxage"], "7");
                const userRule = (y: string) => docsOf(y).some((d) => d.kind === "NetworkRuleConfig" && d.name === "user-metrics");
                assert.ok(userRule(r.controlPlane));
                assert.ok(!userRule(r.worker), "control-plane patch stays off workers");
                assert.equal(w.machine.nodeLabels.role, "worker");
                assert.equal(cp.machine.nodeLabels.role, undefined, "worker JSON patch stays off control planes");
                assert.equal(w.machine.nodeAnnotations["ksail.io/inline"], "yes");
              }
            }
          }
        }
        assert.equal(count, 2 * 3 * 2 * 6);
      });
    }
  }
});

describe("Talos render: contract switches per minor", () => {
  test("1.11 carries rbac/stableHostname/apidCheckExtKeyUsage, disablePodSecurityPolicy and machine.registries", () => {
    const r = renderMachineConfigs(input({ talosVersion: "v1.11.6", ...platformExtras("docker") }));
    const cp = v1(r.controlPlane);
    assert.deepEqual(kinds(r.controlPlane), ["v1alpha1"]);
    assert.equal(cp.machine.features.rbac, true);
    assert.equal(cp.machine.features.stableHostname, true);
    assert.equal(cp.machine.features.apidCheckExtKeyUsage, true);
    assert.equal(cp.cluster.apiServer.disablePodSecurityPolicy, true);
    assert.deepEqual(cp.machine.registries.mirrors["docker.io"].endpoints, ["http://dev-docker.io:5000"]);
    assert.deepEqual(cp.machine.registries.mirrors["dev-local-registry:5000"].endpoints, ["http://dev-local-registry:5000"]);
    assert.deepEqual(cp.machine.registries.config["docker.io"].auth, { username: "me", password: "pw" });
    assert.deepEqual(cp.machine.network.interfaces, [{ interface: "eth0", ignore: true }], "container mode < 1.12 ignores eth0");
    assert.equal(cp.machine.install.grubUseUKICmdline, undefined);
    assert.equal(cp.cluster.kubernetesVersion, undefined);
    assert.equal(cp.machine.kubelet.image, "ghcr.io/siderolabs/kubelet:v1.34.0");
  });

  for (const minor of ["1.12", "1.13"]) {
    test(`${minor} uses HostnameConfig and registry documents and hides the legacy fields`, () => {
      const r = renderMachineConfigs(input({ talosVersion: minor, ...platformExtras("docker") }));
      const cp = v1(r.controlPlane);
      assert.deepEqual(kinds(r.controlPlane), [
        "v1alpha1",
        "HostnameConfig",
        "RegistryMirrorConfig",
        "RegistryMirrorConfig",
        "RegistryAuthConfig",
      ]);
      assert.deepEqual(docsOf(r.controlPlane)[1], { apiVersion: "v1alpha1", kind: "HostnameConfig", auto: "stable" });
      assert.deepEqual(docsOf(r.controlPlane)[2], {
        apiVersion: "v1alpha1",
        kind: "RegistryMirrorConfig",
        name: "docker.io",
        endpoints: [{ url: "http://dev-docker.io:5000" }],
      });
      assert.deepEqual(docsOf(r.controlPlane)[4], {
        apiVersion: "v1alpha1",
        kind: "RegistryAuthConfig",
        name: "docker.io",
        username: "me",
        password: "pw",
      });
      assert.equal(cp.machine.features.rbac, undefined);
      assert.equal(cp.machine.registries, undefined);
      assert.equal(cp.machine.network, undefined);
      assert.equal(cp.cluster.apiServer.disablePodSecurityPolicy, undefined);
      assert.equal(cp.machine.install.grubUseUKICmdline, true);
      assert.equal(cp.machine.kubelet.image, `ghcr.io/siderolabs/kubelet:v${minor === "1.12" ? "1.35.0" : "1.36.0"}`);
    });
  }

  test("default version is Talos 1.14.1 with Kubernetes 1.37.0, rendered in the 1.13 contract (Talos accepts older contracts)", () => {
    const r = renderMachineConfigs(input());
    assert.equal(r.talosVersion.version, "1.14.1");
    assert.equal(r.kubernetesVersion, "1.37.0");
    assert.equal(r.contract, "1.13");
    assert.equal(v1(r.controlPlane).cluster.apiServer.image, "registry.k8s.io/kube-apiserver:v1.37.0");
    assert.deepEqual(schemaErrors(r.controlPlane, r.contract), []);
  });

  test("cluster.imageVerification renders Talos's ImageVerificationConfig (1.13+); patches add rules; older Talos is refused", () => {
    const rule = "apiVersion: v1alpha1\nkind: ImageVerificationConfig\nrules:\n  - image: registry.example.com/*\n    deny: true\n";
    for (const v of ["1.13.9", "1.14.1"]) {
      const r = renderMachineConfigs(
        input({ talosVersion: v, imageVerification: true, inlinePatches: { cluster: [{ source: "inline", content: rule }] } }),
      );
      const docs = docsOf(r.worker).filter((d) => d.kind === "ImageVerificationConfig");
      assert.deepEqual(
        docs,
        [{ apiVersion: "v1alpha1", kind: "ImageVerificationConfig", rules: [{ image: "registry.example.com/*", deny: true }] }],
        v,
      );
    }
    assert.ok(!docsOf(renderMachineConfigs(input({ talosVersion: "1.14.1" })).worker).some((d) => d.kind === "ImageVerificationConfig"));
    assert.throws(
      () => renderMachineConfigs(input({ talosVersion: "1.12.11", imageVerification: true })),
      /spec\.cluster\.imageVerification: is Enabled, but Talos 1\.12\.11 has no image verification .*from Talos 1\.13 on/,
    );
  });

  test("the contract pinned when the cluster was created wins over the version's own", () => {
    const r = renderMachineConfigs(input({ talosVersion: "1.13.9", contract: "1.11" }));
    assert.equal(r.contract, "1.11");
    const cp = v1(r.controlPlane);
    assert.equal(cp.machine.features.rbac, true, "1.11 contract: rbac shown");
    assert.equal(cp.machine.install.grubUseUKICmdline, undefined, "installed before 1.12: the UKI cmdline stays off");
    assert.ok(!docsOf(r.controlPlane).some((d) => d.kind === "HostnameConfig"), "no document kinds the 1.11 decoder rejects");
    assert.deepEqual(schemaErrors(r.controlPlane, "1.11"), [], "valid in its contract (a 1.13 node accepts older contracts)");
    assert.throws(
      () => renderMachineConfigs(input({ talosVersion: "1.12.4", contract: "1.13" })),
      /contract 1\.13 is newer than Talos 1\.12\.4/,
    );
  });
});

describe("Talos render: content", () => {
  test("common fields, SANs, subnets and role split of secrets", () => {
    const r = renderMachineConfigs(
      input({ certSANs: ["dev.example.com", "127.0.0.1"], podSubnets: ["10.10.0.0/16"], serviceSubnets: ["10.20.0.0/16"] }),
    );
    const cp = v1(r.controlPlane);
    const w = v1(r.worker);
    assert.equal(cp.version, "v1alpha1");
    assert.equal(cp.persist, undefined, "persist is hidden from the schema and defaults to true");
    assert.equal(cp.machine.type, "controlplane");
    assert.equal(w.machine.type, "worker");
    for (const c of [cp, w]) {
      assert.equal(c.cluster.clusterName, "dev");
      assert.equal(c.cluster.controlPlane.endpoint, "https://10.5.0.2:6443");
      assert.deepEqual(c.machine.certSANs, ["127.0.0.1", "10.5.0.2", "dev.example.com"]);
      assert.deepEqual(c.cluster.network.podSubnets, ["10.10.0.0/16"]);
      assert.deepEqual(c.cluster.network.serviceSubnets, ["10.20.0.0/16"]);
      assert.equal(c.cluster.network.dnsDomain, "cluster.local");
      assert.equal(c.cluster.id, secrets.cluster.id);
      assert.equal(c.cluster.secret, secrets.cluster.secret);
      assert.equal(c.cluster.token, secrets.secrets.bootstrapToken);
      assert.equal(c.machine.token, secrets.trustdInfo.token);
      assert.equal(unb64(c.machine.ca.crt), secrets.certs.os.cert);
      assert.equal(unb64(c.cluster.ca.crt), secrets.certs.k8s.cert);
      assert.deepEqual(c.machine.features.hostDNS, { enabled: true, forwardKubeDNSToHost: true });
      assert.deepEqual(c.machine.features.kubePrism, { enabled: true, port: 7445 });
      assert.equal(c.cluster.network.cni, undefined);
      assert.equal(c.cluster.allowSchedulingOnControlPlanes, undefined);
    }
    assert.deepEqual(cp.cluster.apiServer.certSANs, ["127.0.0.1", "10.5.0.2", "dev.example.com"]);
    assert.equal(w.machine.ca.key, "");
    assert.equal(w.cluster.ca.key, "");
    for (const k of [
      "secretboxEncryptionSecret",
      "aggregatorCA",
      "serviceAccount",
      "apiServer",
      "etcd",
      "controllerManager",
      "scheduler",
      "proxy",
    ]) {
      assert.equal(w.cluster[k], undefined, `worker has no cluster.${k}`);
      assert.ok(cp.cluster[k] !== undefined, `control plane has cluster.${k}`);
    }
    assert.equal(cp.cluster.secretboxEncryptionSecret, secrets.secrets.secretboxEncryptionSecret);
    assert.deepEqual(cp.machine.nodeLabels, { "node.kubernetes.io/exclude-from-external-load-balancers": "" });
    assert.equal(w.machine.nodeLabels, undefined);
    assert.deepEqual(cp.cluster.apiServer.auditPolicy, { apiVersion: "audit.k8s.io/v1", kind: "Policy", rules: [{ level: "Metadata" }] });
    assert.equal(cp.cluster.apiServer.admissionControl[0].name, "PodSecurity");
  });

  test("keys are in Talos's encodings and match their certificates", () => {
    const cp = v1(renderMachineConfigs(input()).controlPlane);
    const osKey = unb64(cp.machine.ca.key);
    assert.match(osKey, /^-----BEGIN ED25519 PRIVATE KEY-----\n/);
    const osPriv = crypto.createPrivateKey(osKey.replace(/ED25519 PRIVATE KEY/g, "PRIVATE KEY"));
    const osCert = new crypto.X509Certificate(unb64(cp.machine.ca.crt));
    assert.ok(osCert.checkPrivateKey(osPriv), "OS CA key matches the OS CA certificate");
    for (const [pair, label] of [
      [cp.cluster.ca, "EC PRIVATE KEY"],
      [cp.cluster.aggregatorCA, "EC PRIVATE KEY"],
      [cp.cluster.etcd.ca, "EC PRIVATE KEY"],
    ] as const) {
      const pem = unb64(pair.key);
      assert.match(pem, new RegExp(`^-----BEGIN ${label}-----`));
      assert.ok(new crypto.X509Certificate(unb64(pair.crt)).checkPrivateKey(crypto.createPrivateKey(pem)));
    }
    const sa = unb64(cp.cluster.serviceAccount.key);
    assert.match(sa, /^-----BEGIN RSA PRIVATE KEY-----/);
    assert.equal(crypto.createPrivateKey(sa).asymmetricKeyDetails?.modulusLength, 4096);
  });

  test("CNI none for Cilium and Calico; Calico adds the API-server feature gates", () => {
    for (const cni of ["Cilium", "Calico"] as const) {
      const r = renderMachineConfigs(input({ cni }));
      assert.deepEqual(v1(r.controlPlane).cluster.network.cni, { name: "none" });
      assert.deepEqual(v1(r.worker).cluster.network.cni, { name: "none" });
    }
    assert.equal(v1(renderMachineConfigs(input({ cni: "Cilium" })).controlPlane).cluster.apiServer.extraArgs, undefined);
    assert.deepEqual(v1(renderMachineConfigs(input({ cni: "Calico" })).controlPlane).cluster.apiServer.extraArgs, {
      "feature-gates": "MutatingAdmissionPolicy=true",
      "runtime-config": "admissionregistration.k8s.io/v1beta1=true",
    });
  });

  test("metrics-server: kubelet serving-cert rotation everywhere, approver manifest on control planes", () => {
    const r = renderMachineConfigs(input({ metricsServer: true }));
    const cp = v1(r.controlPlane);
    const w = v1(r.worker);
    assert.equal(cp.machine.kubelet.extraArgs["rotate-server-certificates"], "true");
    assert.equal(w.machine.kubelet.extraArgs["rotate-server-certificates"], "true");
    assert.equal(w.cluster.inlineManifests, undefined);
    assert.equal(cp.cluster.inlineManifests.length, 1);
    assert.equal(cp.cluster.inlineManifests[0].name, "kubelet-serving-cert-approver");
    const manifest = docsOf(cp.cluster.inlineManifests[0].contents);
    assert.deepEqual(
      manifest.map((d) => d.kind),
      ["Namespace", "ServiceAccount", "ClusterRole", "ClusterRole", "ClusterRoleBinding", "RoleBinding", "Deployment"],
    );
    const dep = manifest[6];
    assert.equal(dep.spec.template.spec.containers[0].image, "ghcr.io/alex1989hu/kubelet-serving-cert-approver:0.11.0");
    const signer = manifest[2].rules.find((x: any) => x.resources.includes("signers"));
    assert.deepEqual(signer.resourceNames, ["kubernetes.io/kubelet-serving"]);
    const off = renderMachineConfigs(input({ metricsServer: false }));
    assert.equal(v1(off.controlPlane).machine.kubelet.extraArgs, undefined);
    assert.equal(v1(off.controlPlane).cluster.inlineManifests, undefined);
  });

  test("workers = 0 allows scheduling on control planes", () => {
    assert.equal(v1(renderMachineConfigs(input({ workers: 0 })).controlPlane).cluster.allowSchedulingOnControlPlanes, true);
    assert.equal(v1(renderMachineConfigs(input({ workers: 3 })).controlPlane).cluster.allowSchedulingOnControlPlanes, undefined);
  });

  // Talos's generator puts node.kubernetes.io/exclude-from-external-load-balancers on control planes
  // (siderolabs/talos pkg/machinery/config/generate/init.go). MetalLB announces from no node with that label
  // (metallb/metallb website troubleshooting: "MetalLB honors that label"), so before, a worker-less Talos cluster
  // with loadBalancer Enabled (the default 1+0) never got its LoadBalancer addresses announced. Like kind, the label
  // stays only while there are workers.
  test("workers = 0: control planes do not exclude themselves from external load balancers", () => {
    for (const minor of MINORS) {
      const tv = { talosVersion: `${minor}.0` } as Partial<TalosRenderInput>;
      assert.equal(v1(renderMachineConfigs(input({ ...tv, workers: 0 })).controlPlane).machine.nodeLabels, undefined, minor);
      assert.deepEqual(
        v1(renderMachineConfigs(input({ ...tv, workers: 2 })).controlPlane).machine.nodeLabels,
        { "node.kubernetes.io/exclude-from-external-load-balancers": "" },
        minor,
      );
    }
  });

  test("Hetzner 1.11: external cloud provider and the VIP on the NIC selected by bus path", () => {
    const r = renderMachineConfigs(input({ talosVersion: "1.11", platform: "hetzner", ...platformExtras("hetzner") }));
    const cp = v1(r.controlPlane);
    const w = v1(r.worker);
    for (const c of [cp, w]) {
      assert.deepEqual(c.cluster.externalCloudProvider, { enabled: true });
      assert.equal(c.machine.kubelet.extraArgs["cloud-provider"], "external");
    }
    assert.deepEqual(cp.machine.network.interfaces, [
      { deviceSelector: { busPath: "0000:01:00.0" }, dhcp: true, vip: { ip: "203.0.113.10", hcloud: { apiToken: "hcloud-token-xyz" } } },
    ]);
    assert.equal(w.machine.network, undefined, "the VIP lives on control planes only");
    assert.deepEqual(cp.machine.certSANs, ["127.0.0.1", "203.0.113.10", "10.0.1.2"]);
    assert.equal(cp.machine.install.disk, undefined, "cloud image: no install disk");
    assert.deepEqual(cp.cluster.etcd.advertisedSubnets, ["10.0.0.0/16"]);
    assert.deepEqual(cp.machine.kubelet.nodeIP, { validSubnets: ["10.0.0.0/16"] });
    assert.deepEqual(w.machine.kubelet.nodeIP, { validSubnets: ["10.0.0.0/16"] });
    const plain = v1(renderMachineConfigs(input({ platform: "hetzner" })).controlPlane);
    assert.equal(plain.cluster.etcd.advertisedSubnets, undefined);
    assert.equal(plain.machine.kubelet.nodeIP, undefined);
  });

  test("Hetzner ≥ 1.12: VIP as LinkAliasConfig + DHCPv4Config + HCloudVIPConfig; custom NIC selector", () => {
    const r = renderMachineConfigs(
      input({
        talosVersion: "1.12",
        platform: "hetzner",
        hetzner: { vip: "203.0.113.10", apiToken: "t0k", nicSelector: { hardwareAddr: "96:00:AA:BB:CC:DD" } },
      }),
    );
    const docs = docsOf(r.controlPlane);
    assert.deepEqual(docs.slice(2), [
      {
        apiVersion: "v1alpha1",
        kind: "LinkAliasConfig",
        name: "public",
        selector: { match: 'mac(link.hardware_addr) == "96:00:aa:bb:cc:dd"' },
      },
      { apiVersion: "v1alpha1", kind: "DHCPv4Config", name: "public" },
      { apiVersion: "v1alpha1", kind: "HCloudVIPConfig", name: "203.0.113.10", link: "public", apiToken: "t0k" },
    ]);
    assert.deepEqual(kinds(r.worker), ["v1alpha1", "HostnameConfig"]);
    const noVip = renderMachineConfigs(input({ platform: "hetzner", hetzner: { externalCloudProvider: false } }));
    assert.equal(v1(noVip.controlPlane).cluster.externalCloudProvider, undefined);
    assert.deepEqual(kinds(noVip.controlPlane), ["v1alpha1", "HostnameConfig"]);
  });

  test("Hetzner firewall: default block, then exactly the rules of the plan's reachability model per role", () => {
    const r = renderMachineConfigs(
      input({
        platform: "hetzner",
        cni: "Cilium",
        hetzner: { firewall: firewallOf({ cni: "Cilium", allowedCidrs: ["198.51.100.0/24"] }) },
      }),
    );
    const rules = (yaml: string) =>
      Object.fromEntries(
        docsOf(yaml)
          .filter((d) => d.kind === "NetworkRuleConfig")
          .map((d) => [d.name, [d.portSelector.protocol, d.portSelector.ports, d.ingress.map((x: any) => x.subnet)]]),
      );
    assert.deepEqual(
      docsOf(r.controlPlane).find((d) => d.kind === "NetworkDefaultActionConfig"),
      { apiVersion: "v1alpha1", kind: "NetworkDefaultActionConfig", ingress: "block" },
    );
    const net = "10.0.0.0/16";
    const pods = "10.244.0.0/16";
    assert.deepEqual(rules(r.controlPlane), {
      "kubelet-ingress": ["tcp", [10250], [net, pods]],
      "apid-ingress": ["tcp", [50000], [net, "198.51.100.0/24"]],
      "trustd-ingress": ["tcp", [50001], [net]],
      // The plan's default Talos (1.14) also serves etcd's HTTP endpoints on 2383.
      "etcd-ingress": ["tcp", ["2379-2380", 2383], [net]],
      "kubernetes-api-ingress": ["tcp", [6443], [net, pods, "198.51.100.0/24"]],
      "cni-vxlan": ["udp", [8472], [net]],
      "cni-health": ["tcp", [4240], [net]],
    });
    assert.deepEqual(rules(r.worker), {
      "kubelet-ingress": ["tcp", [10250], [net, pods]],
      "apid-ingress": ["tcp", [50000], [net]],
      "cni-vxlan": ["udp", [8472], [net]],
      "cni-health": ["tcp", [4240], [net]],
    });
    const flannel = renderMachineConfigs(input({ platform: "hetzner", hetzner: { firewall: firewallOf() } }));
    assert.deepEqual(rules(flannel.controlPlane)["cni-vxlan"], ["udp", [4789], [net]]);
    assert.deepEqual(rules(flannel.controlPlane)["apid-ingress"][2], [net, "0.0.0.0/0", "::/0"]);
    const calico = renderMachineConfigs(
      input({ platform: "hetzner", cni: "Calico", hetzner: { firewall: firewallOf({ cni: "Calico" }) } }),
    );
    assert.deepEqual(rules(calico.worker)["cni-typha"], ["tcp", [5473], [net]]);
    for (const minor of MINORS) {
      const m = renderMachineConfigs(
        input({
          talosVersion: minor,
          platform: "hetzner",
          hetzner: { firewall: firewallOf({ allowedCidrs: ["2001:db8::/32"], loadBalancerServices: true }) },
        }),
      );
      assert.deepEqual(schemaErrors(m.controlPlane, m.contract), [], minor);
      assert.deepEqual(schemaErrors(m.worker, m.contract), [], minor);
    }
  });

  test("metal: install disk and the Image Factory metal installer of the pinned version", () => {
    const r = renderMachineConfigs(input({ platform: "metal", talosVersion: "1.12.4" }));
    assert.deepEqual(v1(r.worker).machine.install, {
      wipe: false,
      disk: "/dev/sda",
      image: "factory.talos.dev/metal-installer/376567988ad370138ad8b2698212367b8edcb69b5fd68c80be1f2ec7d603b4ba:v1.12.4",
      grubUseUKICmdline: true,
    });
    const custom = renderMachineConfigs(
      input({ platform: "metal", install: { disk: "/dev/vda", image: "factory.talos.dev/installer/abc:v1.13.9", wipe: true } }),
    );
    assert.deepEqual(v1(custom.controlPlane).machine.install, {
      wipe: true,
      disk: "/dev/vda",
      image: "factory.talos.dev/installer/abc:v1.13.9",
      grubUseUKICmdline: true,
    });
    assert.deepEqual(
      v1(renderMachineConfigs(input()).controlPlane).machine.install,
      { wipe: false, grubUseUKICmdline: true },
      "docker: no install disk",
    );
  });

  test("rendering is deterministic", () => {
    const a = renderMachineConfigs(input({ metricsServer: true, patches: PATCHES, ...platformExtras("docker") }));
    const b = renderMachineConfigs(input({ metricsServer: true, patches: PATCHES, ...platformExtras("docker") }));
    assert.equal(a.controlPlane, b.controlPlane);
    assert.equal(a.worker, b.worker);
  });
});

describe("Talos render: per-node hostname", () => {
  test("1.11 sets machine.network.hostname and keeps the eth0 rule", () => {
    const r = renderMachineConfigs(input({ talosVersion: "1.11", nodes: [{ hostname: "dev-control-plane-1", role: "controlplane" }] }));
    const node = v1(r.perNode["dev-control-plane-1"]);
    assert.equal(node.machine.network.hostname, "dev-control-plane-1");
    assert.deepEqual(node.machine.network.interfaces, [{ interface: "eth0", ignore: true }]);
    assert.deepEqual(schemaErrors(r.perNode["dev-control-plane-1"], "1.11"), []);
  });

  test("≥ 1.12 replaces the HostnameConfig document, keeping the others", () => {
    const r = renderMachineConfigs(
      input({ talosVersion: "1.13", ...platformExtras("docker"), nodes: [{ hostname: "dev-worker-1", role: "worker" }] }),
    );
    const node = r.perNode["dev-worker-1"];
    const docs = docsOf(node);
    assert.deepEqual(
      docs.filter((d) => d.kind === "HostnameConfig"),
      [{ apiVersion: "v1alpha1", kind: "HostnameConfig", hostname: "dev-worker-1" }],
    );
    assert.equal(docs.filter((d) => d.kind === "RegistryMirrorConfig").length, 2);
    assert.equal(v1(node).machine.type, "worker");
  });

  test("renderNodeConfig infers the contract when no version is given, and checks role and hostname", () => {
    const legacy = renderMachineConfigs(input({ talosVersion: "1.11" })).worker;
    assert.equal(v1(renderNodeConfig(legacy, { hostname: "w-1" })).machine.network.hostname, "w-1");
    const modern = renderMachineConfigs(input({ talosVersion: "1.12" })).worker;
    assert.equal(docsOf(renderNodeConfig(modern, { hostname: "w-1" })).find((d) => d.kind === "HostnameConfig").hostname, "w-1");
    assert.throws(() => renderNodeConfig(modern, { hostname: "w-1", role: "controlplane" }), /machine.type "worker"/);
    assert.throws(() => renderNodeConfig(modern, { hostname: "Bad_Name" }), /not a valid hostname/);
  });
});

describe("Talos render: input errors", () => {
  const cases: [string, Partial<TalosRenderInput>, RegExp][] = [
    [
      "unsupported Talos 1.15",
      { talosVersion: "1.15.0" },
      /spec\.cluster\.talos\.version: Talos "1\.15\.0" is not supported; supported versions: 1\.11\.x, 1\.12\.x, 1\.13\.x, 1\.14\.x/,
    ],
    ["old Talos 1.10", { talosVersion: "v1.10.3" }, /not supported/],
    ["garbage version", { talosVersion: "latest" }, /"latest" is not a Talos version/],
    [
      "Kubernetes newer than Talos supports",
      { talosVersion: "1.11", kubernetesVersion: "1.35.0" },
      /spec\.cluster\.kubernetesVersion: Kubernetes 1\.35\.0 is newer than Talos 1\.11\.6 supports/,
    ],
    ["http endpoint", { endpoint: "http://10.5.0.2:6443" }, /endpoint: "http:\/\/10\.5\.0\.2:6443" must be an https URL/],
    ["negative workers", { workers: -1 }, /spec\.cluster\.workers: is -1/],
    ["VIP without token", { platform: "hetzner", hetzner: { vip: "1.2.3.4" } }, /needs the Hetzner API token/],
    ["mirror without endpoints", { mirrors: [{ host: "docker.io", endpoints: [] }] }, /mirror "docker\.io" needs at least one http/],
    [
      "bad firewall CIDR",
      {
        platform: "hetzner",
        hetzner: { firewall: { controlplane: [{ name: "x", protocol: "tcp", ports: [1], sources: ["10.0.0.0"] }], worker: [] } },
      },
      /spec\.provider\.hetzner\.allowedCidrs: "10\.0\.0\.0" is not a CIDR/,
    ],
    [
      "bad private network CIDR",
      { platform: "hetzner", hetzner: { privateNetworkCidr: "10.0.0.0/33x" } },
      /spec\.provider\.hetzner\.networkCidr: "10\.0\.0\.0\/33x" is not a CIDR/,
    ],
    ["bad cluster name", { clusterName: "Dev_1" }, /metadata\.name: cluster name "Dev_1"/],
  ];
  for (const [name, over, re] of cases) {
    test(name, () => {
      assert.throws(
        () => renderMachineConfigs(input(over)),
        (e: unknown) => isKsailError(e) && re.test((e as Error).message),
      );
    });
  }
});

describe("Talos render: the schema check itself", () => {
  test("rejects unknown fields, hidden fields per minor and unknown kinds (so a green matrix means something)", () => {
    const base = renderMachineConfigs(input({ talosVersion: "1.11" })).controlPlane;
    assert.deepEqual(schemaErrors(base, "1.11"), []);
    assert.notDeepEqual(
      schemaErrors(base + "---\napiVersion: v1alpha1\nkind: HostnameConfig\nauto: stable\n", "1.11"),
      [],
      "HostnameConfig is not a 1.11 document",
    );
    assert.notDeepEqual(
      schemaErrors(base.replace("debug: false", "debug: false\npersist: true"), "1.11"),
      [],
      "persist is not in the schema",
    );
    assert.notDeepEqual(schemaErrors(base, "1.12"), [], "1.11's rbac/registries fields are hidden in 1.12");
    const modern = renderMachineConfigs(input({ talosVersion: "1.13" })).controlPlane;
    assert.notDeepEqual(schemaErrors(modern.replace("kubelet:", "kubelet:\n    bogusField: 1"), "1.13"), []);
    assert.notDeepEqual(schemaErrors(modern.replace("endpoint: https://10.5.0.2:6443", "endpoint: not a url"), "1.13"), []);
  });
});
