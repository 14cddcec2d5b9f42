// A real Kubernetes API server for tests: kube-apiserver (k8s.io/kubernetes) and etcd (go.etcd.io/etcd/server/v3,
// the version Kubernetes requires), built by scripts/tools/build.sh kube-apiserver, started on 127.0.0.1 random
// ports with a CA from the project's own PKI (sdk/pki) and an admin client-certificate kubeconfig derived the way
// ClusterSecrets derives it. Use it where a fake kube-apiserver would encode our belief of the API's rules
// (readiness, cordon/drain, ordering): `skipRealKubeApiServer` for `describe(..., { skip })`, then
// `startRealKubeApiServer()` in `before` and `stop()` in `after`.
//
// Flags are kube-apiserver's documented ones (kubernetes cmd/kube-apiserver/app/options): the serving cert and
// client CA, the service-account key pair and issuer (required since 1.20), RBAC, and a service range.
import { spawn, type ChildProcess } from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as https from "node:https";
import * as os from "node:os";
import * as path from "node:path";
import { deriveKubeconfig, issueCa, issueClientCert, issueServerCert } from "../../sdk/pki";
import { builtTool, freePort, missingReason, pinnedVersion, stopProcesses } from "./tools";

const version = pinnedVersion("KUBE_APISERVER_VERSION");
const dir = builtTool("kube-apiserver", version);
/** `false` when kube-apiserver and etcd are built, else why the tests skip. */
export const skipRealKubeApiServer: false | string = dir ? false : missingReason(`kube-apiserver ${version} (with etcd)`, "kube-apiserver");

export interface RealKubeApiServer {
  /** `https://127.0.0.1:<port>` */
  url: string;
  /** Admin kubeconfig (client certificate in system:masters), as ClusterSecrets derives it. */
  kubeconfig: string;
  /** The cluster CA (PEM), which signs the serving and client certificates. */
  ca: { cert: string; key: string };
  version: string;
  /**
   * A raw request with an admin client certificate (system:masters). PATCH bodies default to a JSON merge patch.
   * @example await api.request("PATCH", "/api/v1/nodes/n1", { spec: { unschedulable: true } }) // kubectl cordon
   */
  request(method: string, p: string, body?: unknown, contentType?: string): Promise<{ status: number; body: string }>;
  /** Output of both processes, for failure messages. */
  logs(): string;
  stop(): Promise<void>;
}

/** Starts etcd and kube-apiserver; resolves when `/readyz` answers 200 with the admin certificate. */
export interface StartOptions {
  readonly readySeconds?: number;
  /** The cluster CA to use (a kubeconfig derived from it beforehand then works once the server is up). @default a new one */
  readonly ca?: { cert: string; key: string };
  /** The API server's port on 127.0.0.1. @default a free one */
  readonly apiPort?: number;
  /** More kube-apiserver flags (e.g. `--allow-privileged=true`, an admission configuration), appended. */
  readonly extraArgs?: readonly string[];
}

export async function startRealKubeApiServer(o: StartOptions = {}): Promise<RealKubeApiServer> {
  // A port found free can be taken before etcd or the API server binds it (by another test's servers or an
  // outgoing connection's ephemeral port while test files run in parallel): start again on new ports.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(o);
    } catch (e) {
      if (attempt >= 3 || !/address already in use/.test((e as Error).message)) throw e;
    }
  }
}

async function startOnce(o: StartOptions): Promise<RealKubeApiServer> {
  if (!dir) throw new Error(String(skipRealKubeApiServer));
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "ksail-kube-"));
  const file = (name: string, text: string) => {
    const p = path.join(tmp, name);
    fs.writeFileSync(p, text, { mode: 0o600 });
    return p;
  };
  const ca = o.ca ?? (await issueCa({ subject: { commonName: "kubernetes" }, algorithm: "ecdsa-p256", template: "kubernetes" }));
  const serving = await issueServerCert({ ca, commonName: "kube-apiserver", ips: ["127.0.0.1"], dnsNames: ["localhost", "kubernetes"] });
  const sa = crypto.generateKeyPairSync("ec", { namedCurve: "prime256v1" });
  const [etcdClient, etcdPeer, apiPort] = [await freePort(), await freePort(), o.apiPort ?? (await freePort())];

  const procs: ChildProcess[] = [];
  let output = "";
  const run = (bin: string, args: string[]) => {
    const p = spawn(path.join(dir, bin), args, { stdio: ["ignore", "pipe", "pipe"] });
    const keep = (c: Buffer) => {
      output = (output + `[${bin}] ${c.toString("utf8")}`).slice(-20_000);
    };
    p.stdout!.on("data", keep);
    p.stderr!.on("data", keep);
    procs.push(p);
    return p;
  };
  const stop = async () => {
    await stopProcesses(procs);
    fs.rmSync(tmp, { recursive: true, force: true });
  };

  try {
    const etcdUrl = `http://127.0.0.1:${etcdClient}`;
    run("etcd", [
      "--name=default",
      `--data-dir=${path.join(tmp, "etcd")}`,
      `--listen-client-urls=${etcdUrl}`,
      `--advertise-client-urls=${etcdUrl}`,
      `--listen-peer-urls=http://127.0.0.1:${etcdPeer}`,
      `--initial-advertise-peer-urls=http://127.0.0.1:${etcdPeer}`,
      `--initial-cluster=default=http://127.0.0.1:${etcdPeer}`,
      "--log-level=warn",
    ]);
    run("kube-apiserver", [
      `--etcd-servers=${etcdUrl}`,
      "--bind-address=127.0.0.1",
      "--advertise-address=127.0.0.1",
      `--secure-port=${apiPort}`,
      `--cert-dir=${path.join(tmp, "certs")}`,
      `--tls-cert-file=${file("serving.crt", serving.cert)}`,
      `--tls-private-key-file=${file("serving.key", serving.key)}`,
      `--client-ca-file=${file("ca.crt", ca.cert)}`,
      `--service-account-key-file=${file("sa.pub", sa.publicKey.export({ type: "spki", format: "pem" }).toString())}`,
      `--service-account-signing-key-file=${file("sa.key", sa.privateKey.export({ type: "pkcs8", format: "pem" }).toString())}`,
      "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
      "--service-cluster-ip-range=10.96.0.0/16",
      "--authorization-mode=Node,RBAC",
      "--enable-priority-and-fairness=false",
      "--v=0",
      ...(o.extraArgs ?? []),
    ]);
    const url = `https://127.0.0.1:${apiPort}`;
    const client = await issueClientCert({ ca, subject: { commonName: "probe", organizations: ["system:masters"] } });
    const request = (method: string, p: string, body?: unknown, contentType?: string) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = https.request(
          `${url}${p}`,
          {
            method,
            ca: ca.cert,
            cert: client.cert,
            key: client.key,
            headers:
              body === undefined
                ? {}
                : {
                    "content-type": contentType ?? (method === "PATCH" ? "application/merge-patch+json" : "application/json"),
                  },
          },
          (res) => {
            let text = "";
            res.on("data", (c: Buffer) => (text += c.toString("utf8")));
            res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
          },
        );
        req.on("error", reject);
        req.end(body === undefined ? undefined : JSON.stringify(body));
      });
    const deadline = Date.now() + (o.readySeconds ?? 120) * 1000;
    for (;;) {
      const dead = procs.find((p) => p.exitCode !== null);
      if (dead) throw new Error(`${dead.spawnfile} exited with ${dead.exitCode}:\n${output}`);
      const r = await request("GET", "/readyz").catch(() => undefined);
      if (r?.status === 200) break;
      if (Date.now() > deadline) throw new Error(`kube-apiserver not ready within ${o.readySeconds ?? 120} s:\n${output}`);
      await new Promise((res) => setTimeout(res, 250));
    }
    const kubeconfig = (await deriveKubeconfig({ clusterName: "real", endpoint: url, caCert: ca.cert, caKey: ca.key })).text;
    return { url, kubeconfig, ca, version, request, logs: () => output, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}
