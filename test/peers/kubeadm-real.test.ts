// L3 with a real peer: kubeadm v1.36.3 (k8s.io/kubernetes cmd/kubeadm, scripts/tools/build.sh kubeadm) reads the
// kubeadm configuration a Kind node container gets (/kind/kubeadm.conf) and issues the API server's serving certificate
// from the CA files uploaded beside it (/etc/kubernetes/pki, ClusterSecrets' kubeadm PKI), as the node's `kubeadm init`
// does. Translated, as the node provides it: the certificate directory (a temporary one, written into the
// ClusterConfiguration's `certificatesDir`, since kubeadm refuses `--cert-dir` beside `--config`).
// It shows what Vanilla on a host cluster relies on: kubeadm's certificate names `kubernetes` (kubeadm's
// GetAPIServerAltNames adds it to every API server certificate) but not the API front's address, and the kubeconfig
// KSailCluster hands out — the front's address as server, `kubernetes` as tls-server-name — is accepted by it.
import { after, before, describe, test } from "node:test";
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as https from "node:https";
import * as os from "node:os";
import * as path from "node:path";
import * as YAML from "yaml";
import { parseSpec } from "../../sdk/config/parse";
import { planCluster } from "../../sdk/plan/cluster";
import { kindFacts, kindNodeSpec } from "../../sdk/plan/dockerContainers";
import { KIND_PATHS } from "../../sdk/distributions/kind/bootstrap";
import { deriveAdminCredentials, generateClusterIdentity, kubeconfigClientCert, type KubeadmPki } from "../../sdk/pki";
import { withTlsServerName } from "../../sdk/infra/kubernetes/host";
import { KubeClient } from "../../sdk/clients/kubernetes";
import { opensslVerify } from "../harness/openssl";
import { builtTool, freePort, missingReason, pinnedVersion } from "./tools";

const version = pinnedVersion("KUBE_APISERVER_VERSION");
const dir = builtTool("kubeadm", version);
const skip = dir ? false : missingReason(`kubeadm ${version}`, "kubeadm");

describe("kubeadm issues the API server certificate of a Kind node from KSailCluster's configuration and CA (L3)", { skip }, () => {
  let tmp: string;
  let pki: KubeadmPki;
  let identity: Awaited<ReturnType<typeof generateClusterIdentity>>;
  let conf: string;
  let certDir: string;
  const plan = planCluster({ name: "pr-9", spec: parseSpec({ cluster: { distribution: "Vanilla", provider: "Kubernetes" } }).spec });

  before(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "kubeadm-"));
    certDir = path.join(tmp, "pki");
    identity = await generateClusterIdentity("Vanilla");
    pki = (identity as { kubeadm: KubeadmPki }).kubeadm;
    const node = plan.docker!.nodes[0];
    const spec = kindNodeSpec(plan.docker!, kindFacts(plan.docker!), node, pki);
    for (const u of spec.uploads ?? []) {
      if (!u.file.startsWith(`${KIND_PATHS.pki}/`)) continue;
      const to = path.join(certDir, u.file.slice(KIND_PATHS.pki.length + 1));
      fs.mkdirSync(path.dirname(to), { recursive: true });
      fs.writeFileSync(to, u.content, { mode: 0o600 });
    }
    const docs = YAML.parseAllDocuments(spec.uploads!.find((u) => u.file === KIND_PATHS.kubeadmConfig)!.content).map((d) => d.toJSON());
    const cluster = docs.find((d) => d.kind === "ClusterConfiguration");
    cluster.certificatesDir = certDir;
    conf = path.join(tmp, "kubeadm.conf");
    fs.writeFileSync(conf, docs.map((d) => YAML.stringify(d)).join("---\n"));
  });
  after(() => {
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  const kubeadm = (...args: string[]) => spawnSync(path.join(dir!, "kubeadm"), args, { encoding: "utf8", timeout: 60_000 });

  test("kubeadm accepts the node's configuration", () => {
    const r = kubeadm("config", "validate", "--config", conf);
    assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
  });

  test("the serving certificate kubeadm issues: signed by the cluster CA, names `kubernetes`, not the front's address", () => {
    const r = kubeadm("init", "phase", "certs", "apiserver", "--config", conf);
    assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
    const pem = fs.readFileSync(path.join(certDir, "apiserver.crt"), "utf8");
    assert.ok(opensslVerify(pki.ca.cert, pem, "sslserver").ok, "signed by ClusterSecrets' CA");
    const cert = new crypto.X509Certificate(pem);
    assert.ok(cert.checkHost("kubernetes"), cert.subjectAltName);
    assert.equal(cert.checkIP("192.0.2.30"), undefined, "a front's address is not in it");
  });

  test("the kubeconfig for the front (server = its address, tls-server-name `kubernetes`) is accepted by that certificate", async () => {
    const port = await freePort();
    const server = https.createServer(
      { cert: fs.readFileSync(path.join(certDir, "apiserver.crt")), key: fs.readFileSync(path.join(certDir, "apiserver.key")) },
      (_req, res) => res.end('{"gitVersion":"v1.36.3"}'),
    );
    await new Promise<void>((r) => server.listen(port, "127.0.0.1", r));
    try {
      // 127.0.0.1 stands for the front's address: the name checked is `kubernetes`, whatever the address.
      const kc = (await deriveAdminCredentials(identity, { clusterName: "pr-9", endpoints: { kubernetes: `https://127.0.0.1:${port}` } }))
        .kubeconfig;
      const ok = await new KubeClient(kubeconfigClientCert(withTlsServerName(kc, "kubernetes"))).request("GET", "/version");
      assert.equal(ok.status, 200);
      // The control: checked by its address, the front's name would have to be in the certificate.
      const cert = new crypto.X509Certificate(fs.readFileSync(path.join(certDir, "apiserver.crt")));
      assert.ok(cert.checkHost("kubernetes") && !cert.checkIP("203.0.113.9"));
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});
