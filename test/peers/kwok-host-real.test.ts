// L3 with real peers: KWOK on a host cluster (sdk/plan/kwokHost.ts), from both sides.
// - The pods' processes: the containers of the control-plane StatefulSet and the kwok controller's Deployment, run by
//   the real binaries (test/peers/kwokRun.ts) with their commands, args and the files their Secret volumes mount
//   (the plan's files plus the KWOK identity). What the host would provide is translated: the pod's loopback and the
//   `kwok-apiserver` Service to free local ports. The nested cluster then works as on Docker: the node turns Ready, a
//   Deployment's pods run, and the kubeconfig ClusterSecrets derives for the API front (here the API server's local
//   address; the certificate is checked as `kubernetes` wherever it is reached) lists the nodes.
// - The host objects: the Secret, both Services, the StatefulSet (with and without a volume) and the Deployment,
//   created with strict field validation and server-side dry run in a real kube-apiserver v1.36.3 — the API server's
//   own defaulting and validation of every field.
// What only a real host can confirm: the kubelet starting these pods from the images, the readiness probe, and a
// LoadBalancer or Gateway reaching the pod (test/e2e/nested-host.test.ts runs KWOK there when a host is given).
import { after, before, describe, test } from "node:test";
import * as assert from "node:assert/strict";
import * as path from "node:path";
import { loadClusterConfig } from "../../sdk/config/load";
import { parseSpec } from "../../sdk/config/parse";
import { planCluster, type ClusterPlan } from "../../sdk/plan/cluster";
import { kwokHostManifests, kwokHostSecretData } from "../../sdk/plan/kwokHost";
import { deriveAdminCredentials, generateClusterIdentity, kubeconfigClientCert, type ClusterIdentity } from "../../sdk/pki";
import type { KwokPki } from "../../sdk/pki/types";
import { KubeClient } from "../../sdk/clients/kubernetes";
import { repoRoot } from "../harness/paths";
import { podProcesses, runKwok, skipKwokPeers, type RunningKwok } from "./kwokRun";
import { skipRealKubeApiServer, startRealKubeApiServer, type RealKubeApiServer } from "./kubeApiserver";

const loaded = loadClusterConfig(path.join(repoRoot(), "test/fixtures/kwok-project/ksail.yaml"));
const planOf = (provider: Record<string, unknown> = {}): ClusterPlan =>
  planCluster({
    name: "pr-7",
    spec: parseSpec({ cluster: { distribution: "KWOK", provider: "Kubernetes" }, provider: { kubernetes: provider } }).spec,
    kwokObjects: loaded.kwokObjects,
  });

describe("KWOK on a host cluster: the pods' processes run by the real binaries (L3)", { skip: skipKwokPeers }, () => {
  let kwok: RunningKwok;
  let identity: ClusterIdentity;
  let plan: ClusterPlan;
  before(async () => {
    plan = planOf();
    identity = await generateClusterIdentity("KWOK");
    const data = kwokHostSecretData(plan.kwokHost!, (identity as { kwok: KwokPki }).kwok);
    const k = plan.kwokHost!;
    const procs = [
      ...podProcesses((k.controlPlane as any).template.spec, data),
      ...podProcesses((k.controller as any).template.spec, data),
    ];
    assert.deepEqual(
      procs.map((p) => p.name),
      ["etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok-controller"],
    );
    kwok = await runKwok(procs, (identity as { kwok: KwokPki }).kwok, {
      "127.0.0.1:2379": "etcd",
      "127.0.0.1:6443": "kube-apiserver",
      "kwok-apiserver:443": "kube-apiserver",
    });
  });
  after(async () => {
    await kwok?.stop();
  });

  test("the node turns Ready and a Deployment's pods run (controllers in the pod, kwok through the Service)", async () => {
    const r = await kwok.api("POST", "/api/v1/nodes", plan.kwok!.node);
    assert.equal(r.status, 201, JSON.stringify(r.body));
    await kwok.until("node Ready", 60, async () => {
      const n = (await kwok.api("GET", `/api/v1/nodes/${plan.kwok!.node.metadata.name}`)).body;
      return n.status?.conditions?.some((c: any) => c.type === "Ready" && c.status === "True") ? true : undefined;
    });
    const labels = { app: "web" };
    const d = await kwok.api("POST", "/apis/apps/v1/namespaces/default/deployments", {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "web" },
      spec: {
        replicas: 3,
        selector: { matchLabels: labels },
        template: { metadata: { labels }, spec: { containers: [{ name: "web", image: "nginx" }] } },
      },
    });
    assert.equal(d.status, 201, JSON.stringify(d.body));
    await kwok.until("3 available replicas", 90, async () =>
      (await kwok.api("GET", "/apis/apps/v1/namespaces/default/deployments/web")).body.status?.availableReplicas === 3 ? true : undefined,
    );
  });

  test("the kubeconfig ClusterSecrets derives for the front is checked as `kubernetes` and lists the nodes", async () => {
    const kc = (await deriveAdminCredentials(identity, { clusterName: plan.clusterName, endpoints: { kubernetes: kwok.apiUrl } }))
      .kubeconfig;
    const client = new KubeClient(kubeconfigClientCert(kc));
    const r = await client.request("GET", "/api/v1/nodes");
    assert.equal(r.status, 200);
    assert.deepEqual(
      (r.body as any).items.map((n: any) => n.metadata.name),
      ["node-000000"],
    );
  });
});

describe("KWOK on a host cluster: the host objects pass a real kube-apiserver's validation (L3)", { skip: skipRealKubeApiServer }, () => {
  let api: RealKubeApiServer;
  before(async () => {
    api = await startRealKubeApiServer();
  });
  after(async () => {
    await api?.stop();
  });

  for (const [what, provider] of [
    ["etcd in an emptyDir", {}],
    ["etcd on a claim", { persistence: { enabled: true, storageClassName: "fast", size: "5Gi" } }],
  ] as const)
    test(`Secret, Services, StatefulSet (${what}) and Deployment: created with strict validation (dry run)`, async () => {
      const plan = planOf(provider);
      const k = plan.kwokHost!;
      const ns = await api.request("POST", "/api/v1/namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name: k.namespace } });
      assert.ok(ns.status === 201 || ns.status === 409, ns.body);
      const pki = (await generateClusterIdentity("KWOK")) as { kwok: KwokPki };
      const m = kwokHostManifests(k);
      const front = k.exposure.kind === "Gateway" ? undefined : k.exposure;
      const objects: [string, unknown][] = [
        [
          `/api/v1/namespaces/${k.namespace}/secrets`,
          {
            apiVersion: "v1",
            kind: "Secret",
            metadata: { name: k.secretName, namespace: k.namespace },
            type: "Opaque",
            stringData: kwokHostSecretData(plan.kwokHost!, pki.kwok),
          },
        ],
        [`/api/v1/namespaces/${k.namespace}/services`, m.apiService],
        [
          `/api/v1/namespaces/${k.namespace}/services`,
          {
            apiVersion: "v1",
            kind: "Service",
            metadata: { name: front!.service, namespace: k.namespace },
            spec: {
              type: "LoadBalancer",
              selector: { ...front!.selector },
              ports: [{ name: "https", port: front!.port, targetPort: 6443, protocol: "TCP" }],
            },
          },
        ],
        [`/apis/apps/v1/namespaces/${k.namespace}/statefulsets`, m.controlPlane],
        [`/apis/apps/v1/namespaces/${k.namespace}/deployments`, m.controller],
      ];
      for (const [url, body] of objects) {
        const r = await api.request("POST", `${url}?dryRun=All&fieldValidation=Strict`, body);
        assert.equal(r.status, 201, `${url}: ${r.body.slice(0, 600)}`);
      }
    });
});
