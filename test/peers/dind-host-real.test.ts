// L3 with a real peer: the host objects of Vanilla on a host cluster (sdk/plan/dindHost.ts) — the TLS Secret, the
// ClusterIP Service, the fronts of the API and of the engine (LoadBalancer Services over both ports' pods) and the
// docker:28-dind StatefulSet with and without a claim — created with strict field validation and server-side dry run in
// a real kube-apiserver v1.36.3: the API server's own defaulting and validation of every field (the privileged
// container, the hostPath, the Secret items' modes, the claim template).
// The API server runs as hosts do for this tier: privileged containers allowed (kubeadm, kind and k3s allow them; the
// flag's default refuses them), and Pod Security Admission enforcing `baseline` wherever a namespace has no label of its
// own (Talos hosts default to it): the pod the StatefulSet controller creates is refused in an unlabelled namespace and
// admitted in the namespace KSailCluster creates (labelled privileged, as KSail labels it).
// What only a real host can confirm: the kubelet running the pod (privileged, /lib/modules from the node), the
// readiness probe on the engine's port, and a LoadBalancer or Gateway reaching both ports.
import { after, before, describe, test } from "node:test";
import * as assert from "node:assert/strict";
import { parseSpec } from "../../sdk/config/parse";
import { planCluster } from "../../sdk/plan/cluster";
import { DIND_API_PORT, DIND_DOCKER_PORT, DIND_TALOS_PORT, dindHostManifests, dindTlsSecretData } from "../../sdk/plan/dindHost";
import { deriveDockerTls, generateDockerTlsCa } from "../../sdk/pki";
import { PRIVILEGED_NAMESPACE } from "../../sdk/infra/kubernetes/host";
import { skipRealKubeApiServer, startRealKubeApiServer, type RealKubeApiServer } from "./kubeApiserver";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

/** kube-apiserver's admission configuration: Pod Security `baseline` by default (apiserver.config.k8s.io/v1). */
const BASELINE_BY_DEFAULT = `apiVersion: apiserver.config.k8s.io/v1
kind: AdmissionConfiguration
plugins:
- name: PodSecurity
  configuration:
    apiVersion: pod-security.admission.config.k8s.io/v1
    kind: PodSecurityConfiguration
    defaults: {enforce: baseline, enforce-version: latest, audit: baseline, audit-version: latest, warn: baseline, warn-version: latest}
    exemptions: {usernames: [], runtimeClasses: [], namespaces: []}
`;

describe(
  "Vanilla on a host cluster: the Docker-in-Docker objects pass a real kube-apiserver's validation (L3)",
  { skip: skipRealKubeApiServer },
  () => {
    let api: RealKubeApiServer;
    let dir: string;
    before(async () => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), "psa-"));
      fs.writeFileSync(path.join(dir, "admission.yaml"), BASELINE_BY_DEFAULT);
      api = await startRealKubeApiServer({
        extraArgs: ["--allow-privileged=true", `--admission-control-config-file=${path.join(dir, "admission.yaml")}`],
      });
    });
    after(async () => {
      await api?.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    });

    test("Pod Security: the engine's pod is refused under the host's baseline default, admitted in KSailCluster's namespace", async () => {
      const plan = planCluster({ name: "psa", spec: parseSpec({ cluster: { distribution: "Vanilla", provider: "Kubernetes" } }).spec });
      const d = plan.dindHost!;
      const template = (d.spec as any).template;
      // The pod the StatefulSet controller creates from the template.
      const pod = (ns: string) => ({
        apiVersion: "v1",
        kind: "Pod",
        metadata: { ...template.metadata, name: "dind-0", namespace: ns },
        spec: template.spec,
      });
      for (const [ns, labels] of [
        ["plain-ns", undefined],
        [d.namespace, PRIVILEGED_NAMESPACE],
      ] as const) {
        const r = await api.request("POST", "/api/v1/namespaces", {
          apiVersion: "v1",
          kind: "Namespace",
          metadata: { name: ns, ...(labels ? { labels } : {}) },
        });
        assert.equal(r.status, 201, r.body);
        // What the host's controller manager does in every namespace.
        const sa = await api.request("POST", `/api/v1/namespaces/${ns}/serviceaccounts`, {
          apiVersion: "v1",
          kind: "ServiceAccount",
          metadata: { name: "default" },
        });
        assert.equal(sa.status, 201, sa.body);
      }
      const refused = await api.request("POST", "/api/v1/namespaces/plain-ns/pods?dryRun=All", pod("plain-ns"));
      assert.equal(refused.status, 403, refused.body);
      assert.match(
        refused.body,
        /violates PodSecurity \\"baseline:latest\\": hostPath volumes \(volume \\"modules\\"\), privileged \(container \\"dind\\"/,
      );
      const admitted = await api.request(
        "POST",
        `/api/v1/namespaces/${d.namespace}/pods?dryRun=All&fieldValidation=Strict`,
        pod(d.namespace),
      );
      assert.equal(admitted.status, 201, admitted.body);
    });

    for (const [what, provider, distribution] of [
      ["/var/lib/docker in an emptyDir", {}, "Vanilla"],
      ["/var/lib/docker on a claim", { persistence: { enabled: true, storageClassName: "fast", size: "50Gi" } }, "Vanilla"],
      ["Talos: apid's port and front too", {}, "Talos"],
    ] as const)
      test(`TLS Secret, Services, fronts and StatefulSet (${what}): created with strict validation (dry run)`, async () => {
        const plan = planCluster({
          name: distribution === "Talos" ? "pr-10" : "pr-9",
          spec: parseSpec({ cluster: { distribution, provider: "Kubernetes" }, provider: { kubernetes: provider } }).spec,
        });
        const d = plan.dindHost!;
        const ns = await api.request("POST", "/api/v1/namespaces", {
          apiVersion: "v1",
          kind: "Namespace",
          metadata: { name: d.namespace },
        });
        assert.ok(ns.status === 201 || ns.status === 409, ns.body);
        const { clientNotAfter: _, ...tls } = await deriveDockerTls(await generateDockerTlsCa(), {
          address: "192.0.2.31",
          clientLifetimeMs: 3_600_000,
        });
        const m = dindHostManifests(d);
        const front = (x: typeof d.apiExposure, port: number) => {
          assert.notEqual(x.kind, "Gateway");
          const f = x as Extract<typeof x, { kind: "LoadBalancer" | "NodePort" }>;
          return {
            apiVersion: "v1",
            kind: "Service",
            metadata: { name: f.service, namespace: d.namespace },
            spec: {
              type: f.kind,
              selector: { ...f.selector },
              ports: [{ name: "https", port: f.port, targetPort: port, protocol: "TCP" }],
            },
          };
        };
        const objects: [string, unknown][] = [
          [
            `/api/v1/namespaces/${d.namespace}/secrets`,
            {
              apiVersion: "v1",
              kind: "Secret",
              metadata: { name: d.tlsSecret, namespace: d.namespace },
              type: "Opaque",
              stringData: dindTlsSecretData(tls),
            },
          ],
          [`/api/v1/namespaces/${d.namespace}/services`, m.service],
          [`/api/v1/namespaces/${d.namespace}/services`, front(d.apiExposure, DIND_API_PORT)],
          ...(d.talosExposure
            ? [[`/api/v1/namespaces/${d.namespace}/services`, front(d.talosExposure, DIND_TALOS_PORT)] as [string, unknown]]
            : []),
          [`/api/v1/namespaces/${d.namespace}/services`, front(d.dockerExposure, DIND_DOCKER_PORT)],
          [`/apis/apps/v1/namespaces/${d.namespace}/statefulsets`, m.statefulSet],
        ];
        for (const [url, body] of objects) {
          const r = await api.request("POST", `${url}?dryRun=All&fieldValidation=Strict`, body);
          assert.equal(r.status, 201, `${url}: ${r.body.slice(0, 600)}`);
        }
        // The API server's defaults on the pod: what the kubelet will be asked to run.
        const sts = JSON.parse(
          (await api.request("POST", `/apis/apps/v1/namespaces/${d.namespace}/statefulsets?dryRun=All`, m.statefulSet)).body,
        );
        const c = sts.spec.template.spec.containers[0];
        assert.equal(c.securityContext.privileged, true);
        assert.equal(sts.spec.template.spec.volumes.find((v: any) => v.name === "tls").secret.items[2].mode, 0o400);
        assert.equal(sts.spec.template.spec.volumes.find((v: any) => v.name === "modules").hostPath.path, "/lib/modules");
      });
  },
);
