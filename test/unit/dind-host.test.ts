// Pure: Vanilla on a host cluster (KSail's Docker-in-Docker tier, sdk/plan/dindHost.ts). Every pod setting is checked
// against its source: KSail's pod (devantler-tech/ksail v7.180.0 pkg/svc/provider/kubernetes/dind.go: image
// docker:28-dind, container `dind`, `--mtu=1400`, privileged, API port 6443, /var/lib/docker on `docker-data` (emptyDir,
// or a ReadWriteOnce claim of 20Gi by default), /lib/modules from the node read-only, the TCP readiness probe with 5 s /
// 2 s / 30, requests 1 CPU / 2Gi, limits 4 / 8Gi) and the image's entrypoint for TLS (docker-library/docker
// dockerd-entrypoint.sh: `DOCKER_TLS_CERTDIR`, `server/{ca,cert,key}.pem`, port 2376). The difference from KSail is
// deliberate: KSail disables TLS (DOCKER_TLS_CERTDIR="", plain 2375) because it reaches the engine only through an
// exec tunnel; here the engine is behind a front, so it is served on 2376 with mutual TLS only.
import { describe, test } from "node:test";
import * as assert from "node:assert/strict";
import { parseSpec } from "../../sdk/config/parse";
import { validateClusterDocument } from "../../sdk/config";
import { planCluster } from "../../sdk/plan/cluster";
import { DIND_TLS_KEYS, planDindHost } from "../../sdk/plan/dindHost";
import { withTlsServerName } from "../../sdk/infra/kubernetes/host";
import { deriveAdminCredentials, generateClusterIdentity, kubeconfigClientCert } from "../../sdk/pki";
import { isKsailError } from "../../sdk/errors";

const planOf = (cluster: Record<string, unknown> = {}, provider: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) =>
  planCluster({
    name: "pr-3",
    spec: parseSpec({ cluster: { distribution: "Vanilla", provider: "Kubernetes", ...cluster }, provider: { kubernetes: provider } }).spec,
    ...extra,
  });
const doc = (cluster: Record<string, unknown>) => ({
  apiVersion: "ksail.io/v1alpha1",
  kind: "Cluster",
  metadata: { name: "pr-3" },
  spec: { cluster: { distribution: "Vanilla", provider: "Kubernetes", ...cluster } },
});

describe("Docker-in-Docker pod (Vanilla on a host cluster)", () => {
  test("the pod: KSail's image, args, privilege, probe, resources and volumes; the image's TLS mode", () => {
    const d = planDindHost({
      clusterName: "pr-3",
      gatewayClassName: "",
      persistence: { enabled: false, storageClassName: "", size: "20Gi" },
    });
    assert.equal(d.namespace, "ksail-pr-3");
    const spec = d.spec as any;
    assert.equal(spec.serviceName, "dind");
    const pod = spec.template.spec;
    const [c] = pod.containers;
    assert.deepEqual([c.name, c.image, c.args, c.securityContext], ["dind", "docker:28-dind", ["--mtu=1400"], { privileged: true }]);
    assert.deepEqual(c.env, [{ name: "DOCKER_TLS_CERTDIR", value: "/certs" }]);
    assert.deepEqual(
      c.ports.map((p: any) => [p.name, p.containerPort]),
      [
        ["docker", 2376],
        ["kube-api", 6443],
      ],
    );
    assert.deepEqual(c.readinessProbe, { tcpSocket: { port: 2376 }, initialDelaySeconds: 5, periodSeconds: 2, failureThreshold: 30 });
    assert.deepEqual(c.resources, { requests: { cpu: "1", memory: "2Gi" }, limits: { cpu: "4", memory: "8Gi" } });
    assert.deepEqual(c.volumeMounts, [
      { name: "docker-data", mountPath: "/var/lib/docker" },
      { name: "modules", mountPath: "/lib/modules", readOnly: true },
      { name: "tls", mountPath: "/certs/server", readOnly: true },
    ]);
    assert.deepEqual(pod.volumes, [
      { name: "modules", hostPath: { path: "/lib/modules" } },
      {
        name: "tls",
        secret: {
          secretName: "dind-tls",
          items: [
            { key: "ca.pem", path: "ca.pem" },
            { key: "cert.pem", path: "cert.pem" },
            { key: "key.pem", path: "key.pem", mode: 0o400 },
          ],
        },
      },
      { name: "docker-data", emptyDir: {} },
    ]);
    assert.deepEqual(
      Object.values(DIND_TLS_KEYS).sort(),
      ["ca.pem", "cert.pem", "key.pem"],
      "no ca/key.pem: the entrypoint generates nothing",
    );
    // Fronts: the API and the engine, each a LoadBalancer of its own by default.
    assert.deepEqual(
      [d.apiExposure, d.dockerExposure].map((x) => x.kind === "Gateway" || [x.kind, x.service, x.port]),
      [
        ["LoadBalancer", "ksail-pr-3-api", 6443],
        ["LoadBalancer", "ksail-pr-3-docker", 2376],
      ],
    );
  });

  test("the Docker plan inside: the API on the pod's addresses at 6443, the pod's MTU, no mirrors, no endpoint yet", () => {
    const p = planOf({ workers: 1 });
    assert.equal(p.provider, "Kubernetes");
    assert.equal(p.endpoint, undefined, "the API front's address is known at create");
    const d = p.docker!;
    assert.deepEqual([d.apiHostPort, d.apiPublishAddress, d.network.mtu, d.mirrors.length], [6443, "0.0.0.0", 1400, 0]);
    assert.deepEqual(
      p.nodes.map((n) => n.name),
      ["pr-3-control-plane-1", "pr-3-worker-1"],
    );
    // Provider Docker keeps its own plan: 127.0.0.1, the allocated port, 1500, the four default mirrors.
    const local = planCluster({ name: "pr-3", spec: parseSpec({ cluster: { distribution: "Vanilla" } }).spec }).docker!;
    assert.deepEqual([local.apiPublishAddress, local.network.mtu, local.mirrors.length], [undefined, 1500, 4]);
  });

  test("validation refuses what would exist only inside the pod, and keeps what the Docker plan applies", () => {
    const errors = (cluster: Record<string, unknown>) => validateClusterDocument(doc(cluster), { env: {} }).issues.map((i) => i.path);
    assert.deepEqual(errors({ loadBalancer: "Enabled" }), ["spec.cluster.loadBalancer"]);
    assert.deepEqual(errors({ talos: { extraPortMappings: [{ hostPort: 8080, containerPort: 80, protocol: "TCP" }] } }), [
      "spec.cluster.talos.extraPortMappings[0]",
    ]);
    assert.deepEqual(errors({ vanilla: { mirrorsDir: "kind/mirrors" } }), ["spec.cluster.vanilla.mirrorsDir"]);
    assert.deepEqual(
      errors({ cni: "Cilium", oidc: { issuerURL: "https://id.example", clientID: "k8s" } }),
      [],
      "applied by the Docker plan",
    );
    assert.deepEqual(errors({ distribution: "K3s", cni: "Cilium" }), ["spec.cluster.cni"], "k3k keeps its rule");
    const m = validateClusterDocument(doc({ loadBalancer: "Enabled" }), { env: {} }).issues[0].message;
    assert.match(m, /Docker network nothing outside the pod reaches: set Default/);
    assert.throws(
      () => planOf({}, {}, { fileMirrors: ["docker.io=https://registry-1.docker.io"] }),
      (e: unknown) => isKsailError(e) && /no pull-through mirrors run beside a nested cluster/.test((e as Error).message),
    );
    assert.deepEqual(errors({ distribution: "Talos", loadBalancer: "Enabled" }), ["spec.cluster.loadBalancer"]);
    assert.match(
      validateClusterDocument(doc({ distribution: "Talos", loadBalancer: "Enabled" }), { env: {} }).issues[0].message,
      /MetalLB's/,
    );
  });

  test("Talos in the pod: apid published on the pod's addresses at 50000 and fronted too; the Talos plan as on Docker", () => {
    const p = planOf({ distribution: "Talos", controlPlanes: 1, workers: 1 });
    const d = p.docker!;
    assert.deepEqual([d.talosApiHostPort, d.apiPublishAddress, d.network.mtu, d.mirrors.length], [50000, "0.0.0.0", 1400, 0]);
    assert.ok(p.talos, "rendered like Talos on Docker");
    const h = p.dindHost!;
    assert.deepEqual(h.talosExposure!.kind !== "Gateway" && [h.talosExposure!.kind, h.talosExposure!.service, h.talosExposure!.port], [
      "LoadBalancer",
      "ksail-pr-3-talos",
      50000,
    ]);
    const ports = (h.spec as any).template.spec.containers[0].ports.map((x: any) => x.containerPort);
    assert.deepEqual(ports, [2376, 6443, 50000]);
    assert.equal(planOf().dindHost!.talosExposure, undefined, "Vanilla has no apid");
  });

  test("the kubeconfig checks kubeadm's serving certificate as `kubernetes`, whatever address the front has", async () => {
    const identity = await generateClusterIdentity("Vanilla");
    const kc = (await deriveAdminCredentials(identity, { clusterName: "pr-3", endpoints: { kubernetes: "https://192.0.2.30:6443" } }))
      .kubeconfig;
    const c = kubeconfigClientCert(withTlsServerName(kc, "kubernetes"));
    assert.deepEqual([c.server, c.serverName], ["https://192.0.2.30:6443", "kubernetes"]);
  });
});
