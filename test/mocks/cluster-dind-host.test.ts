// L1: KSailCluster for Vanilla on a host cluster (provider Kubernetes) under mocks — KSail's Docker-in-Docker tier
// (sdk/plan/dindHost.ts, sdk/infra/kubernetes/dind.ts): on the host, the namespace with the recreate key, the fronts
// of the nested API server and of the pod's Docker engine, ClusterSecrets (kubeadm PKI, and the engine's mutual TLS for
// the engine front's address), the TLS Secret, the ClusterIP Service and the docker:28-dind StatefulSet; then a docker
// provider configured with the engine front and the client certificate, which runs the Vanilla Docker layer (network
// and Kind node containers, no mirrors, the API published on the pod's addresses). The pod's engine runs as a real
// dockerd with this TLS in test/peers/dind-engine-real.test.ts; the host objects pass a real kube-apiserver in
// test/peers/dind-host-real.test.ts.
import { describe, test } from "node:test";
import * as assert from "node:assert/strict";
import { allPlainStrings } from "../harness/mocks";
import { CLUSTER_SECRETS, CONTAINER, K8S_PROVIDER, KUBECONFIG_MARKER, NETWORK, TALOS_MACHINE, recordCluster } from "./cluster-record";

const HOST =
  "apiVersion: v1\nkind: Config\nclusters:\n- name: host\n  cluster:\n    server: https://192.0.2.10:6443\nusers:\n- name: host\n  user:\n    token: host-token-SECRET-MARKER\ncontexts:\n- name: host\n  context:\n    cluster: host\n    user: host\ncurrent-context: host\n";
const outputs = (type: string, name: string, inputs: Record<string, unknown>): Record<string, unknown> | undefined => {
  const spec = (inputs as any).spec;
  if (type === "kubernetes:core/v1:Service" && spec?.type === "LoadBalancer")
    return { status: { loadBalancer: { ingress: [{ ip: name.endsWith("-docker") ? "192.0.2.31" : "192.0.2.30" }] } } };
  if (type === "kubernetes:core/v1:Service" && spec?.type === "NodePort")
    return { spec: { ...spec, ports: [{ ...spec.ports[0], nodePort: name.endsWith("-docker") ? 32376 : 31643 }] } };
  if (type.endsWith("Gateway") || (inputs as any).kind === "Gateway")
    return { ...inputs, status: { addresses: [{ value: name.includes("docker") ? "198.51.100.8" : "198.51.100.7" }] } };
  return undefined;
};
const record = (cluster: Record<string, unknown> = {}, provider: Record<string, unknown> = {}, args: Record<string, unknown> = {}) =>
  recordCluster({
    cluster: { distribution: "Vanilla", provider: "Kubernetes", ...cluster },
    provider: { kubernetes: provider },
    args: { hostKubeconfig: HOST, ...args },
    outputs,
  });

describe("KSailCluster: Vanilla on a host cluster, in a Docker-in-Docker pod", () => {
  test("host objects, the engine's provider and the Vanilla Docker layer on it, in order (1 control plane + 2 workers)", async () => {
    const r = await record({ workers: 2 });
    assert.equal(r.byName("dev-host").type, K8S_PROVIDER);
    const ns = r.byName("dev-namespace");
    assert.equal(ns.inputs.metadata.name, "ksail-dev");
    assert.match(ns.inputs.metadata.annotations["ksail.dev/recreate-key"], /^[0-9a-f]{16}$/);
    assert.deepEqual(ns.inputs.metadata.labels, {
      "pod-security.kubernetes.io/enforce": "privileged",
      "pod-security.kubernetes.io/audit": "privileged",
      "pod-security.kubernetes.io/warn": "privileged",
    });

    // Two fronts over the same pod: the API (6443) and the engine (2376).
    const api = r.byName("dev-api");
    const engineFront = r.byName("dev-docker");
    for (const [f, port] of [
      [api, 6443],
      [engineFront, 2376],
    ] as const) {
      assert.deepEqual([f.inputs.spec.type, f.inputs.spec.ports[0].port, f.inputs.spec.ports[0].targetPort], ["LoadBalancer", port, port]);
      assert.deepEqual(f.inputs.spec.selector, { "app.kubernetes.io/name": "dind", "ksail.io/cluster": "dev" });
    }
    assert.equal(engineFront.inputs.metadata.name, "ksail-dev-docker");

    const secrets = r.byType(CLUSTER_SECRETS)[0];
    assert.equal(secrets.inputs.distribution, "Vanilla");
    assert.deepEqual(secrets.inputs.endpoints, { kubernetes: "https://192.0.2.30:6443", docker: "192.0.2.31" });

    const tls = r.byName("dev-dind-tls");
    assert.equal(tls.inputs.metadata.name, "dind-tls");
    assert.deepEqual(Object.keys(tls.inputs.stringData).sort(), ["ca.pem", "cert.pem", "key.pem"]);
    assert.ok(
      tls.secretInputs.some((p) => p.startsWith("stringData")),
      "the Secret's data is a Pulumi secret",
    );
    assert.match(tls.inputs.stringData["key.pem"], /PRIVATE KEY/);

    const svc = r.byName("dev-dind");
    assert.deepEqual(
      svc.inputs.spec.ports.map((p: any) => [p.name, p.port]),
      [
        ["kube-api", 6443],
        ["docker", 2376],
      ],
    );
    const sts = r.byName("dev-dind-engine");
    assert.deepEqual(sts.options.dependsOn, ["dev-dind-tls", "dev-dind"]);
    const c = sts.inputs.spec.template.spec.containers[0];
    assert.deepEqual([c.name, c.image, c.args, c.securityContext], ["dind", "docker:28-dind", ["--mtu=1400"], { privileged: true }]);
    assert.deepEqual(c.env, [{ name: "DOCKER_TLS_CERTDIR", value: "/certs" }]);

    const engine = r.byName("dev-dind-docker");
    assert.equal(engine.type, "pulumi:providers:docker");
    assert.equal(engine.inputs.host, "tcp://192.0.2.31:2376");
    assert.match(engine.inputs.caMaterial, /BEGIN CERTIFICATE/);
    assert.match(engine.inputs.certMaterial, /BEGIN CERTIFICATE/);
    assert.ok(engine.secretInputs.includes("keyMaterial"), engine.secretInputs.join(", "));
    assert.deepEqual(engine.options.dependsOn, ["dev-dind-engine"], "configured once the engine's pod is ready");

    // The Vanilla Docker layer, every resource through the engine's provider.
    const docker = [...r.byType(NETWORK), ...r.byType(CONTAINER)];
    assert.deepEqual(
      r.byType(CONTAINER).map((x) => x.inputs.name),
      ["dev-control-plane-1", "dev-worker-1", "dev-worker-2"],
      "nodes only: no mirror or registry containers beside them",
    );
    for (const x of docker) assert.match(String(x.options.provider), /dev-dind-docker/, x.name);
    const cp = r.byName("dev-infra-control-plane-1");
    assert.deepEqual(
      cp.inputs.ports.map((p: any) => [p.ip, p.external, p.internal]),
      [["0.0.0.0", 6443, 6443]],
      "the API on the pod's addresses at KSail's port",
    );
    assert.equal(r.byType(NETWORK)[0].inputs.options["com.docker.network.driver.mtu"], "1400");
    assert.deepEqual(r.byName("dev-infra").options.dependsOn, ["dev-dind-engine"]);

    // The kubeconfig KSailCluster hands on points at the API front and checks the certificate as `kubernetes`.
    assert.deepEqual(r.byName("dev-api-ready").options.dependsOn, ["dev-infra"]);
    assert.deepEqual(r.byName("dev-k8s").options.dependsOn, ["dev-api-ready"]);
    assert.equal(r.stackOutputs.endpoint, "https://192.0.2.30:6443");
    // (The mock identity's kubeconfig has no cluster entry; test/unit/dind-host.test.ts checks the TLS server name on a real one.)
    assert.ok(r.byName("dev-kindnet-objects"), "kindnet, Kind's CNI, as on provider Docker");
  });

  test("no credential in plain state: host token, kubeadm keys, the engine's keys", async () => {
    const r = await record();
    const plain = allPlainStrings(r).join("\n");
    assert.ok(!plain.includes("SECRET-MARKER") && !plain.includes(KUBECONFIG_MARKER));
    assert.ok(!/PRIVATE KEY/.test(plain));
  });

  test("3 control planes: the envoy load balancer publishes the API on the pod's addresses", async () => {
    const r = await record({ controlPlanes: 3 });
    const lb = r.byName("dev-infra-external-load-balancer");
    assert.deepEqual(
      lb.inputs.ports.map((p: any) => [p.ip, p.external]),
      [["0.0.0.0", 6443]],
    );
    assert.equal(r.byType(CONTAINER).length, 4);
  });

  test("persistence: the engine's /var/lib/docker on a claim; NodePort and Gateway fronts for both ports", async () => {
    const r = await record({}, { persistence: { enabled: true, storageClassName: "fast", size: "50Gi" } }, { hostExposure: "NodePort" });
    const sts = r.byName("dev-dind-engine").inputs.spec;
    assert.deepEqual(sts.volumeClaimTemplates, [
      {
        metadata: { name: "docker-data" },
        spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "50Gi" } }, storageClassName: "fast" },
      },
    ]);
    assert.ok(!sts.template.spec.volumes.some((v: any) => v.name === "docker-data"));
    assert.deepEqual([r.byName("dev-api").inputs.spec.type, r.byName("dev-docker").inputs.spec.type], ["NodePort", "NodePort"]);
    const secrets = r.byType(CLUSTER_SECRETS)[0];
    assert.deepEqual(secrets.inputs.endpoints, { kubernetes: "https://192.0.2.10:31643", docker: "192.0.2.10" });
    assert.equal(r.byName("dev-dind-docker").inputs.host, "tcp://192.0.2.10:32376");

    const g = await record({}, { gatewayClassName: "eg" });
    const routes = [g.byName("dev-api-route"), g.byName("dev-docker-route")];
    assert.deepEqual(
      routes.map((x) => [x.inputs.spec.parentRefs[0], x.inputs.spec.rules[0].backendRefs[0]]),
      [
        [
          { name: "ksail-dev-api", sectionName: "kube-api" },
          { name: "dind", port: 6443 },
        ],
        [
          { name: "ksail-dev-docker", sectionName: "docker" },
          { name: "dind", port: 2376 },
        ],
      ],
    );
    assert.equal(g.byName("dev-dind-docker").inputs.host, "tcp://198.51.100.8:2376");
  });

  test("a NodePort front, and another plain NodePort address, salt the recreate trigger (the engine's certificate names the address)", async () => {
    const key = (r: Awaited<ReturnType<typeof record>>) => r.byName("dev-namespace").inputs.metadata.annotations["ksail.dev/recreate-key"];
    const a = await record({}, {}, { hostExposure: "NodePort", hostAddress: "192.0.2.50" });
    const b = await record({}, {}, { hostExposure: "NodePort", hostAddress: "192.0.2.51" });
    assert.notEqual(key(a), key(b));
    assert.equal(a.byName("dev-dind-docker").inputs.host, "tcp://192.0.2.50:32376");
    const lb = await record();
    const np = await record({}, {}, { hostExposure: "NodePort" });
    assert.notEqual(
      lb.byName("dev-namespace").inputs.metadata.annotations["ksail.dev/recreate-key"],
      np.byName("dev-namespace").inputs.metadata.annotations["ksail.dev/recreate-key"],
    );
  });

  test("Talos in the pod: apid's front, the identity and talosconfig at the fronts, the fronts in the certificates' SANs, machines through the front, reboots on the pod's engine", async () => {
    const outputs2 = (type: string, name: string, inputs: Record<string, unknown>) =>
      type === "kubernetes:core/v1:Service" && (inputs as any).spec?.type === "LoadBalancer"
        ? {
            status: {
              loadBalancer: {
                ingress: [{ ip: name.endsWith("-docker") ? "192.0.2.31" : name.endsWith("-talos") ? "192.0.2.32" : "192.0.2.30" }],
              },
            },
          }
        : undefined;
    const r = await recordCluster({
      cluster: { distribution: "Talos", provider: "Kubernetes", workers: 1 },
      args: { hostKubeconfig: HOST },
      outputs: outputs2,
    });
    const talosFront = r.byName("dev-talos");
    assert.deepEqual([talosFront.inputs.spec.ports[0].port, talosFront.inputs.spec.ports[0].targetPort], [50000, 50000]);
    const secrets = r.byType(CLUSTER_SECRETS)[0];
    assert.equal(secrets.inputs.distribution, "Talos");
    assert.deepEqual(secrets.inputs.endpoints, {
      kubernetes: "https://192.0.2.30:6443",
      docker: "192.0.2.31",
      talos: ["192.0.2.32:50000"],
      talosNodes: ["10.5.0.2"],
    });
    const cp = r.byName("dev-infra-control-plane-1");
    assert.deepEqual(
      cp.inputs.ports.map((p: any) => [p.ip, p.external, p.internal]),
      [
        ["0.0.0.0", 50000, 50000],
        ["0.0.0.0", 6443, 6443],
      ],
    );
    assert.match(String(cp.options.provider), /dev-dind-docker/);
    const m = r.byName("dev-machine-worker-1");
    assert.equal(m.type, TALOS_MACHINE);
    assert.deepEqual([m.inputs.node.endpoint, m.inputs.node.address, m.inputs.node.platform], ["192.0.2.32:50000", "10.5.0.3", "docker"]);
    assert.equal(m.inputs.dockerEngine.host, "tcp://192.0.2.31:2376", "a reboot restarts the container on the pod's engine");
    assert.ok(m.secretInputs.includes("dockerEngine"), m.secretInputs.join(", "));
    // The fronts' addresses are SANs of the API server's and apid's certificates (applied in place by Talos).
    const config = String(m.inputs.config);
    assert.match(config, /certSANs:\n(\s+- [^\n]+\n)*\s+- 192\.0\.2\.30\n/);
    assert.match(config, /- 192\.0\.2\.32/);
    assert.equal(r.stackOutputs.endpoint, "https://192.0.2.30:6443");
    const plain = allPlainStrings(r).join("\n");
    assert.ok(!/PRIVATE KEY/.test(plain) && !plain.includes("SECRET-MARKER"));
  });

  test("preview of a new stack: the fronts' addresses are unknown, the engine's provider too; nothing fails", async () => {
    const r = await recordCluster({
      cluster: { distribution: "Vanilla", provider: "Kubernetes" },
      args: { hostKubeconfig: HOST },
      preview: true,
    });
    assert.ok(r.byName("dev-dind-docker"));
    assert.equal(r.byType(CONTAINER).length, 1);
  });
});
