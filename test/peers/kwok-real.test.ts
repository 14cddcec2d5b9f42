// L3 with real peers: a KWOK cluster as KSailCluster asks Docker to create it, run by the real programs — etcd,
// kube-apiserver, kube-controller-manager and kube-scheduler of Kubernetes v1.36.3 (scripts/tools/build.sh
// kube-apiserver and kwok-peers) and kwok's own controller v0.8.0 (sigs.k8s.io/kwok cmd/kwok). Each process gets the
// entrypoint, flags and uploaded files of its container spec (sdk/plan/kwok.ts), the identity ClusterSecrets generates
// for KWOK (sdk/pki/kwok.ts) and the kwok.yaml rendered from the test project's kwok/ folder. What Docker would
// provide instead is translated, and only that: container paths → a temporary directory, container names → 127.0.0.1,
// each container's fixed port → a free one (etcd's 2379/2380, 6443, 10257, 10259, 10247), and the API server's
// advertised address (in Docker, the container's own). The test asserts nothing untranslated is left.
//
// Then it does what a user of the cluster does: the node KSailCluster creates turns Ready through the stages, a
// Deployment's pods run and are ready (controller manager + scheduler + kwok), a Job completes, a deleted pod goes
// away, a service-account token signed with the admin key authenticates, the kubeconfig ClusterSecrets derives
// reaches the API server at 127.0.0.1 (the serving certificate's SANs), and the readiness gate the plan creates passes
// (L2, through the dynamic-provider host). What only Docker can confirm: the images'
// entrypoints and that the containers reach each other by name on the network.
import { after, before, describe, test } from "node:test";
import * as assert from "node:assert/strict";
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as https from "node:https";
import * as path from "node:path";
import * as YAML from "yaml";
import { loadClusterConfig } from "../../sdk/config/load";
import { deriveAdminCredentials, generateClusterIdentity, type ClusterIdentity } from "../../sdk/pki";
import type { KwokPki } from "../../sdk/pki/types";
import { kwokContainerSpecs, planKwokCluster, type KwokClusterPlan } from "../../sdk/plan/kwok";
import { kwokContainerName, KWOK_COMPONENTS } from "../../sdk/distributions/kwok";
import { repoRoot } from "../harness/paths";
import { captureProvider, startProviderHost } from "../harness/engine";
import { ClusterReadiness } from "../../sdk/dynamic/clusterReadiness";
import { parseSpec } from "../../sdk/config/parse";
import { planCluster } from "../../sdk/plan/cluster";
import { installStages } from "../../sdk/plan/catalog";
import { freePort, KUBE, kwokBinary, runKwok, skipKwokPeers, type RunningKwok } from "./kwokRun";

describe(
  "KWOK's five containers run by the real binaries with KSailCluster's flags, files and identity (L3)",
  { skip: skipKwokPeers },
  () => {
    let plan: KwokClusterPlan;
    let pki: KwokPki;
    let identity: ClusterIdentity;
    let kwok: RunningKwok;
    let userKubeconfig = "";
    const api: RunningKwok["api"] = (...a) => kwok.api(...a);
    const until: RunningKwok["until"] = (...a) => kwok.until(...a);

    before(async () => {
      const loaded = loadClusterConfig(path.join(repoRoot(), "test/fixtures/kwok-project/ksail.yaml"));
      plan = planKwokCluster({ clusterName: loaded.name!, objects: loaded.kwokObjects });
      identity = await generateClusterIdentity("KWOK");
      assert.equal(identity.distribution, "KWOK");
      pki = (identity as { kwok: KwokPki }).kwok;
      const specs = kwokContainerSpecs(plan, pki);
      assert.deepEqual(
        specs.map((s) => s.name),
        KWOK_COMPONENTS.map((c) => kwokContainerName(plan.clusterName, c)),
      );
      // What the Docker network gives: the containers reach each other by name.
      kwok = await runKwok(
        specs.map((s) => ({
          name: s.name.slice(`kwok-${plan.clusterName}-`.length),
          entry: s.entrypoints![0],
          args: s.command!,
          files: (s.uploads ?? []).map((u) => ({ path: u.file, content: u.content, mode: Number.parseInt(u.permissions, 8) })),
        })),
        pki,
        {
          [`${kwokContainerName(plan.clusterName, "etcd")}:2379`]: "etcd",
          [`${kwokContainerName(plan.clusterName, "kube-apiserver")}:6443`]: "kube-apiserver",
        },
      );
      userKubeconfig = (await deriveAdminCredentials(identity, { clusterName: plan.clusterName, endpoints: { kubernetes: kwok.apiUrl } }))
        .kubeconfig;
    });

    after(async () => {
      await kwok?.stop();
    });

    test("the simulated node KSailCluster creates turns Ready through the node stages", async () => {
      const r = await api("POST", "/api/v1/nodes", plan.node);
      assert.equal(r.status, 201, JSON.stringify(r.body));
      const node = await until("node Ready", 60, async () => {
        const n = (await api("GET", `/api/v1/nodes/${plan.node.metadata.name}`)).body;
        return n.status?.conditions?.some((c: any) => c.type === "Ready" && c.status === "True") ? n : undefined;
      });
      assert.equal(node.status.phase, "Running");
      assert.ok(node.status.allocatable.pods, "room for pods");
      assert.match(node.status.nodeInfo.kubeletVersion, /^kwok-/);
      // The lease the controller renews for it (--node-lease-duration-seconds=40).
      const lease = await until("node lease", 30, async () => {
        const l = await api("GET", `/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/${plan.node.metadata.name}`);
        return l.status === 200 ? l.body : undefined;
      });
      assert.equal(lease.spec.leaseDurationSeconds, 40);
    });

    test("a Deployment's pods are scheduled, run and are ready (controller manager, scheduler, pod-ready stage)", async () => {
      const labels = { app: "web" };
      const r = await api("POST", "/apis/apps/v1/namespaces/default/deployments", {
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: { name: "web" },
        spec: {
          replicas: 2,
          selector: { matchLabels: labels },
          template: { metadata: { labels }, spec: { containers: [{ name: "web", image: "nginx" }] } },
        },
      });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      const d = await until("2 available replicas", 90, async () => {
        const x = (await api("GET", "/apis/apps/v1/namespaces/default/deployments/web")).body;
        return x.status?.availableReplicas === 2 ? x : undefined;
      });
      assert.equal(d.status.readyReplicas, 2);
      const pods = (await api("GET", "/api/v1/namespaces/default/pods?labelSelector=app%3Dweb")).body.items;
      for (const p of pods) {
        assert.equal(p.spec.nodeName, plan.node.metadata.name);
        assert.equal(p.status.phase, "Running");
        assert.ok(p.status.podIP, "a pod address");
      }
    });

    test("a Job's pod completes (pod-complete stage) and the Job succeeds", async () => {
      const r = await api("POST", "/apis/batch/v1/namespaces/default/jobs", {
        apiVersion: "batch/v1",
        kind: "Job",
        metadata: { name: "once" },
        spec: { template: { spec: { restartPolicy: "Never", containers: [{ name: "once", image: "busybox" }] } } },
      });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      await until("Job succeeded", 90, async () => {
        const j = (await api("GET", "/apis/batch/v1/namespaces/default/jobs/once")).body;
        return j.status?.succeeded === 1 ? j : undefined;
      });
    });

    test("a deleted pod goes away (pod-delete stage; no kubelet confirms it)", async () => {
      const pods = (await api("GET", "/api/v1/namespaces/default/pods?labelSelector=app%3Dweb")).body.items;
      const name = pods[0].metadata.name;
      const del = await api("DELETE", `/api/v1/namespaces/default/pods/${name}`);
      assert.equal(del.status, 200, JSON.stringify(del.body));
      await until("pod gone", 60, async () =>
        (await api("GET", `/api/v1/namespaces/default/pods/${name}`)).status === 404 ? true : undefined,
      );
    });

    test("a service-account token signed with the admin key authenticates (the admin key doubles as the SA key)", async () => {
      const r = await api("POST", "/api/v1/namespaces/default/serviceaccounts/default/token", {
        apiVersion: "authentication.k8s.io/v1",
        kind: "TokenRequest",
        spec: { audiences: ["https://kubernetes.default.svc.cluster.local"] },
      });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      const review = await api(
        "POST",
        "/apis/authentication.k8s.io/v1/selfsubjectreviews",
        { apiVersion: "authentication.k8s.io/v1", kind: "SelfSubjectReview" },
        { token: r.body.status.token },
      );
      assert.equal(review.status, 201, JSON.stringify(review.body));
      assert.equal(review.body.status.userInfo.username, "system:serviceaccount:default:default");
    });

    test("the kubeconfig ClusterSecrets derives for KWOK reaches the API server at 127.0.0.1 (the serving certificate's SANs)", async () => {
      const kc = YAML.parse(userKubeconfig);
      const cluster = kc.clusters[0].cluster;
      const user = kc.users[0].user;
      assert.equal(cluster["tls-server-name"], "kubernetes", "checked as the certificate names it, wherever it is reached");
      const got = await new Promise<number>((resolve, reject) => {
        const req = https.request(
          `${cluster.server}/api/v1/nodes`,
          {
            servername: cluster["tls-server-name"],
            ca: Buffer.from(cluster["certificate-authority-data"], "base64"),
            cert: Buffer.from(user["client-certificate-data"], "base64"),
            key: Buffer.from(user["client-key-data"], "base64"),
          },
          (res) => {
            res.resume();
            res.on("end", () => resolve(res.statusCode ?? 0));
          },
        );
        req.on("error", reject);
        req.end();
      });
      assert.equal(got, 200);
    });

    test("the components verify the API server as `kubernetes` (tls-server-name), not by the address they dial", async () => {
      // In Docker they dial the container name, which the identity's certificate does not carry; here they dial
      // 127.0.0.1, which it does. The control: the same kubeconfig naming another server name is refused by client-go.
      const original = fs.readFileSync(kwok.hostPath("/root/.kube/config"), "utf8");
      assert.match(original, /tls-server-name: kubernetes\n/);
      const wrong = kwok.hostPath("/root/.kube/wrong-name.kubeconfig");
      fs.writeFileSync(wrong, original.replace("tls-server-name: kubernetes", "tls-server-name: kwok-sim-kube-apiserver"));
      const p = spawn(
        kwokBinary("kube-scheduler"),
        [`--kubeconfig=${wrong}`, "--bind-address=127.0.0.1", `--secure-port=${await freePort()}`],
        {
          stdio: ["ignore", "pipe", "pipe"],
        },
      );
      let log = "";
      p.stderr!.on("data", (c: Buffer) => (log += c.toString("utf8")));
      try {
        await until("an x509 refusal of the wrong server name", 30, async () =>
          /x509: certificate is valid for .*kubernetes.*, not kwok-sim-kube-apiserver/.test(log) ? true : undefined,
        );
      } finally {
        p.kill("SIGKILL");
      }
    });

    test("L2: the readiness gate the plan puts after the (absent) CNI stage passes on the simulated node, through the dynamic-provider host", async () => {
      // The gate KSailCluster creates for this cluster (installStages of its component plan), with the kubeconfig
      // ClusterSecrets derives; no kubelet, so only what kwok simulates (node Ready, pods) and the real controllers do.
      const { spec } = parseSpec({ cluster: { distribution: "KWOK", provider: "Docker" } });
      const cp = planCluster({ name: plan.clusterName, spec });
      const g = installStages(cp.components).find((s) => s.gateAfter)!.gateAfter!;
      assert.equal(g.suffix, "cni-ready");
      const host = await startProviderHost();
      try {
        const cap = await captureProvider(
          () =>
            new ClusterReadiness("kwok-ready", {
              kubeconfig: userKubeconfig,
              distribution: "KWOK",
              provider: "Docker",
              timeouts: { apiServerSeconds: 60, nodesSeconds: 60, daemonSetsSeconds: 60, requestSeconds: 20 },
              pollIntervalSeconds: 0.2,
              ...g.checks,
            }),
        );
        const s = await host.up(cap.urn, { ...cap.inputs, __provider: cap.provider });
        assert.equal(s.op, "create");
        assert.equal(s.outputs.kubernetesVersion, KUBE);
        assert.equal(s.outputs.nodeCount, 1);
      } finally {
        await host.close();
      }
    });

    test("every component is still running", () => {
      const dead = kwok.procs.filter((p) => p.exitCode !== null);
      assert.deepEqual(
        dead.map((p) => p.spawnfile),
        [],
        kwok.output().slice(-8000),
      );
    });
  },
);
