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
import { spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as https from "node:https";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import * as YAML from "yaml";
import { loadClusterConfig } from "../../sdk/config/load";
import { deriveAdminCredentials, generateClusterIdentity } from "../../sdk/pki";
import type { KwokPki } from "../../sdk/pki/types";
import { kwokContainerSpecs, planKwokCluster, type KwokClusterPlan } from "../../sdk/plan/kwok";
import type { ContainerSpec } from "../../sdk/plan/dockerContainers";
import { KWOK_PORTS, kwokContainerName, KWOK_COMPONENTS } from "../../sdk/distributions/kwok";
import { repoRoot } from "../harness/paths";
import { captureProvider, startProviderHost } from "../harness/engine";
import { ClusterReadiness } from "../../sdk/dynamic/clusterReadiness";
import { parseSpec } from "../../sdk/config/parse";
import { planCluster } from "../../sdk/plan/cluster";
import { installStages } from "../../sdk/plan/catalog";
import { builtTool, missingReason, pinnedVersion } from "./tools";

const KUBE = pinnedVersion("KUBE_APISERVER_VERSION");
const KWOK = pinnedVersion("KWOK_VERSION");
const apiDir = builtTool("kube-apiserver", KUBE);
const peersDir = builtTool("kwok-peers", `${KUBE}-kwok-${KWOK}`);
const skip = !apiDir
  ? missingReason(`kube-apiserver ${KUBE} (with etcd)`, "kube-apiserver")
  : !peersDir
    ? missingReason(`kube-controller-manager, kube-scheduler ${KUBE} and kwok ${KWOK}`, "kwok-peers")
    : false;
const BIN: Record<string, string | undefined> = {
  etcd: apiDir && path.join(apiDir, "etcd"),
  "kube-apiserver": apiDir && path.join(apiDir, "kube-apiserver"),
  "kube-controller-manager": peersDir && path.join(peersDir, "kube-controller-manager"),
  "kube-scheduler": peersDir && path.join(peersDir, "kube-scheduler"),
  kwok: peersDir && path.join(peersDir, "kwok"),
};

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("KWOK's five containers run by the real binaries with KSailCluster's flags, files and identity (L3)", { skip }, () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "ksail-kwok-"));
  const procs: ChildProcess[] = [];
  let output = "";
  let plan: KwokClusterPlan;
  let pki: KwokPki;
  let api: (method: string, p: string, body?: unknown, auth?: { token: string }) => Promise<{ status: number; body: any }>;
  let apiUrl = "";
  let userKubeconfig = "";
  let kubeconfigPath = "";

  before(async () => {
    const loaded = loadClusterConfig(path.join(repoRoot(), "test/fixtures/kwok-project/ksail.yaml"));
    plan = planKwokCluster({ clusterName: loaded.name!, objects: loaded.kwokObjects });
    const identity = await generateClusterIdentity("KWOK");
    assert.equal(identity.distribution, "KWOK");
    pki = (identity as { kwok: KwokPki }).kwok;
    const specs = kwokContainerSpecs(plan, pki);
    assert.deepEqual(
      specs.map((s) => s.name),
      KWOK_COMPONENTS.map((c) => kwokContainerName(plan.clusterName, c)),
    );

    // What the Docker network and per-container namespaces give, translated for one host.
    const port: Record<string, number> = {};
    for (const k of ["etcd", "etcdPeer", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok-controller"])
      port[k] = await freePort();
    const root = path.join(tmp, "root");
    const mapText = (s: string): string =>
      s
        .replace(/\/etc\/kubernetes\//g, `${root}/etc/kubernetes/`)
        .replace(/\/root\/\.kube\//g, `${root}/root/.kube/`)
        .replace(/\/root\/\.kwok\//g, `${root}/root/.kwok/`)
        .replace("--data-dir=/etcd-data", `--data-dir=${root}/etcd-data`)
        .replace(`http://${kwokContainerName(plan.clusterName, "etcd")}:2379`, `http://127.0.0.1:${port.etcd}`)
        .replace(`https://${kwokContainerName(plan.clusterName, "kube-apiserver")}:6443`, `https://127.0.0.1:${port["kube-apiserver"]}`)
        .replace("0.0.0.0:2380", `127.0.0.1:${port.etcdPeer}`)
        .replace("0.0.0.0:2379", `127.0.0.1:${port.etcd}`)
        .replace("0.0.0.0:10247", `127.0.0.1:${port["kwok-controller"]}`)
        .replace("--bind-address=0.0.0.0", "--bind-address=127.0.0.1");
    const mapArg = (spec: ContainerSpec, a: string): string => {
      const component = spec.name.slice(kwokContainerName(plan.clusterName, "etcd").length - "etcd".length);
      const fixed = KWOK_PORTS[component as keyof typeof KWOK_PORTS];
      let out = mapText(a);
      if (component !== "etcd" && (out === `--secure-port=${fixed}` || out === `--node-port=${fixed}`))
        out = out.replace(String(fixed), String(port[component]));
      return out;
    };
    kubeconfigPath = mapText("/root/.kube/config");
    for (const spec of specs)
      for (const u of spec.uploads ?? []) {
        const file = mapText(u.file);
        fs.mkdirSync(path.dirname(file), { recursive: true });
        fs.writeFileSync(file, mapText(u.content), { mode: Number.parseInt(u.permissions, 8) });
      }

    const start = (spec: ContainerSpec, extra: string[] = []) => {
      const entry = spec.entrypoints![0];
      const args = [...spec.command!.map((a) => mapArg(spec, a)), ...extra];
      const left = args.filter((a) =>
        /0\.0\.0\.0|kwok-[a-z0-9-]+-(etcd|kube-apiserver)|=\/(etc|root|etcd-data)\b|=(2379|2380|6443|10257|10259|10247)$/.test(a),
      );
      assert.deepEqual(left, [], `untranslated container settings of ${spec.name}`);
      const p = spawn(BIN[entry]!, args, { stdio: ["ignore", "pipe", "pipe"] });
      const keep = (c: Buffer) => (output = (output + `[${entry}] ${c.toString("utf8")}`).slice(-40_000));
      p.stdout!.on("data", keep);
      p.stderr!.on("data", keep);
      procs.push(p);
    };

    apiUrl = `https://127.0.0.1:${port["kube-apiserver"]}`;
    const admin = pki.admin;
    api = (method, p, body, auth) =>
      new Promise((resolve, reject) => {
        const req = https.request(
          `${apiUrl}${p}`,
          {
            method,
            ca: pki.ca.cert,
            servername: "kubernetes",
            ...(auth ? { headers: { authorization: `Bearer ${auth.token}` } } : { cert: admin.cert, key: admin.key }),
          },
          (res) => {
            let text = "";
            res.on("data", (c: Buffer) => (text += c.toString("utf8")));
            res.on("end", () => {
              let parsed: unknown = text;
              try {
                parsed = JSON.parse(text);
              } catch {
                // not JSON (readyz)
              }
              resolve({ status: res.statusCode ?? 0, body: parsed });
            });
          },
        );
        req.on("error", reject);
        if (body !== undefined) req.setHeader("content-type", "application/json");
        req.end(body === undefined ? undefined : JSON.stringify(body));
      });

    const [etcd, apiserver, ...controllers] = specs;
    start(etcd);
    // In Docker the API server advertises its container's address; on one host that is the loopback.
    start(apiserver, ["--advertise-address=127.0.0.1"]);
    for (let i = 0; ; i++) {
      const dead = procs.find((p) => p.exitCode !== null);
      if (dead) throw new Error(`${dead.spawnfile} exited with ${dead.exitCode}:\n${output}`);
      const r = await api("GET", "/readyz").catch(() => undefined);
      if (r?.status === 200) break;
      assert.ok(i < 480, `kube-apiserver ready within 120 s:\n${output}`);
      await sleep(250);
    }
    for (const c of controllers) start(c);
    userKubeconfig = (
      await deriveAdminCredentials(identity, {
        clusterName: plan.clusterName,
        endpoints: { kubernetes: `https://127.0.0.1:${port["kube-apiserver"]}` },
      })
    ).kubeconfig;
  });

  after(async () => {
    await Promise.all(
      procs.map(
        (p) =>
          new Promise<void>((resolve) => {
            if (p.exitCode !== null || p.signalCode !== null) return resolve();
            p.once("exit", () => resolve());
            p.kill("SIGTERM");
            setTimeout(() => p.kill("SIGKILL"), 5000).unref();
          }),
      ),
    );
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  const until = async <T>(what: string, seconds: number, probe: () => Promise<T | undefined>): Promise<T> => {
    for (const end = Date.now() + seconds * 1000; ;) {
      const dead = procs.find((p) => p.exitCode !== null);
      if (dead) throw new Error(`${dead.spawnfile} exited with ${dead.exitCode}:\n${output}`);
      const v = await probe();
      if (v !== undefined) return v;
      if (Date.now() > end) throw new Error(`${what} within ${seconds} s; last output:\n${output.slice(-8000)}`);
      await sleep(300);
    }
  };

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
    const got = await new Promise<number>((resolve, reject) => {
      const req = https.request(
        `${cluster.server}/api/v1/nodes`,
        {
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
    const original = fs.readFileSync(kubeconfigPath, "utf8");
    assert.match(original, /tls-server-name: kubernetes\n/);
    const wrong = path.join(tmp, "wrong-name.kubeconfig");
    fs.writeFileSync(wrong, original.replace("tls-server-name: kubernetes", "tls-server-name: kwok-sim-kube-apiserver"));
    const p = spawn(BIN["kube-scheduler"]!, [`--kubeconfig=${wrong}`, "--bind-address=127.0.0.1", `--secure-port=${await freePort()}`], {
      stdio: ["ignore", "pipe", "pipe"],
    });
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
    const dead = procs.filter((p) => p.exitCode !== null);
    assert.deepEqual(
      dead.map((p) => p.spawnfile),
      [],
      output.slice(-8000),
    );
  });
});
