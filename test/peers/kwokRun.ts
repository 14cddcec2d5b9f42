// Runs a KWOK cluster's five processes with the real binaries (kube-apiserver and etcd from the kube-apiserver tool,
// kube-controller-manager, kube-scheduler and kwok from kwok-peers) from what KSailCluster gives them — each process's
// entrypoint, flags and files, in Docker (containers) or on a host cluster (pods). Only what the container runtime
// would provide is translated, and checked to be gone afterwards: paths under a temporary root, the addresses the
// processes reach each other by (`hosts`) to 127.0.0.1, and each process's fixed port to a free one.
import * as assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as https from "node:https";
import * as os from "node:os";
import * as path from "node:path";
import type { KwokPki } from "../../sdk/pki/types";
import { KWOK_PORTS } from "../../sdk/distributions/kwok";
import { builtTool, freePort, missingReason, pinnedVersion, stopProcesses } from "./tools";

export { freePort };

export const KUBE = pinnedVersion("KUBE_APISERVER_VERSION");
const KWOK = pinnedVersion("KWOK_VERSION");
const apiDir = builtTool("kube-apiserver", KUBE);
const peersDir = builtTool("kwok-peers", `${KUBE}-kwok-${KWOK}`);
export const skipKwokPeers: false | string = !apiDir
  ? missingReason(`kube-apiserver ${KUBE} (with etcd)`, "kube-apiserver")
  : !peersDir
    ? missingReason(`kube-controller-manager, kube-scheduler ${KUBE} and kwok ${KWOK}`, "kwok-peers")
    : false;
export const kwokBinary = (entry: string): string =>
  path.join((["etcd", "kube-apiserver"].includes(entry) ? apiDir : peersDir) as string, entry);

export interface KwokProcessRun {
  readonly name: string;
  readonly entry: string;
  readonly args: readonly string[];
  /** Files by absolute path in the container or pod. */
  readonly files: readonly { path: string; content: string; mode: number }[];
}

export interface RunningKwok {
  /** A request with the admin certificate (or a bearer token), the server checked as `kubernetes`. */
  api(method: string, p: string, body?: unknown, auth?: { token: string }): Promise<{ status: number; body: any }>;
  readonly apiUrl: string;
  /** Polls `probe` until it returns a value; fails early when a process exited. */
  until<T>(what: string, seconds: number, probe: () => Promise<T | undefined>): Promise<T>;
  /** Where a file of the processes is on this host. */
  hostPath(p: string): string;
  readonly procs: ChildProcess[];
  output(): string;
  stop(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** The ports the processes serve on inside their containers or pod (etcd's are handled with its peer port). */
const FIXED: Readonly<Record<string, number>> = Object.fromEntries(Object.entries(KWOK_PORTS).filter(([c]) => c !== "etcd"));

/**
 * Starts etcd and the API server, waits for /readyz, then the controllers. `hosts` maps each `host:port` the processes
 * dial (a container name, a Service, the pod's loopback) to the component serving it.
 */
export async function runKwok(
  processes: readonly KwokProcessRun[],
  pki: KwokPki,
  hosts: Readonly<Record<string, string>>,
  /** A port of the API server's own (the one a front forwards to). @default a free one */
  o: { apiPort?: number } = {},
): Promise<RunningKwok> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "ksail-kwok-"));
  const root = path.join(tmp, "root");
  const port: Record<string, number> = {};
  for (const k of ["etcd", "etcdPeer", ...Object.keys(FIXED)]) port[k] = await freePort();
  if (o.apiPort) port["kube-apiserver"] = o.apiPort;
  const served = (component: string) => (component === "etcd" ? port.etcd : port[component]);
  const hostPath = (p: string) => (/^\/(etc\/kubernetes|root\/\.kube|root\/\.kwok|etcd-data)(\/|$)/.test(p) ? `${root}${p}` : p);
  const mapText = (s: string): string => {
    let out = s.replace(/(^|=|: )(\/(etc\/kubernetes|root\/\.kube|root\/\.kwok|etcd-data)[^\s]*)/g, (_m, pre, p) => `${pre}${hostPath(p)}`);
    for (const [addr, component] of Object.entries(hosts)) out = out.split(addr).join(`127.0.0.1:${served(component)}`);
    return out
      .replace("0.0.0.0:2380", `127.0.0.1:${port.etcdPeer}`)
      .replace("0.0.0.0:2379", `127.0.0.1:${port.etcd}`)
      .replace("0.0.0.0:10247", `127.0.0.1:${port["kwok-controller"]}`)
      .replace("--bind-address=0.0.0.0", "--bind-address=127.0.0.1");
  };
  for (const p of processes)
    for (const f of p.files) {
      const file = hostPath(f.path);
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, mapText(f.content), { mode: f.mode });
    }
  const procs: ChildProcess[] = [];
  let output = "";
  const start = (p: KwokProcessRun, extra: string[] = []) => {
    const fixed = FIXED[p.name];
    const args = [
      ...p.args.map((a) => {
        const out = mapText(a);
        return fixed && (out === `--secure-port=${fixed}` || out === `--node-port=${fixed}`)
          ? out.replace(String(fixed), String(port[p.name]))
          : out;
      }),
      ...extra,
    ];
    const left = args.filter((a) => /0\.0\.0\.0|=\/(etc|root|etcd-data)\b|=(2379|2380|6443|10257|10259|10247)$|:(6443|443|2379)$/.test(a));
    assert.deepEqual(left, [], `untranslated settings of ${p.name}`);
    const child = spawn(kwokBinary(p.entry), args, { stdio: ["ignore", "pipe", "pipe"] });
    const keep = (c: Buffer) => (output = (output + `[${p.name}] ${c.toString("utf8")}`).slice(-40_000));
    child.stdout!.on("data", keep);
    child.stderr!.on("data", keep);
    procs.push(child);
  };
  const apiUrl = `https://127.0.0.1:${port["kube-apiserver"]}`;
  const api: RunningKwok["api"] = (method, p, body, auth) =>
    new Promise((resolve, reject) => {
      const req = https.request(
        `${apiUrl}${p}`,
        {
          method,
          ca: pki.ca.cert,
          servername: "kubernetes",
          ...(auth ? { headers: { authorization: `Bearer ${auth.token}` } } : { cert: pki.admin.cert, key: pki.admin.key }),
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
  const until: RunningKwok["until"] = async (what, seconds, probe) => {
    for (const end = Date.now() + seconds * 1000; ;) {
      const dead = procs.find((p) => p.exitCode !== null);
      if (dead) throw new Error(`${dead.spawnfile} exited with ${dead.exitCode}:\n${output}`);
      const v = await probe();
      if (v !== undefined) return v;
      if (Date.now() > end) throw new Error(`${what} within ${seconds} s; last output:\n${output.slice(-8000)}`);
      await sleep(300);
    }
  };
  const stop = async () => {
    await stopProcesses(procs);
    fs.rmSync(tmp, { recursive: true, force: true });
  };
  try {
    const by = (n: string) => processes.find((p) => p.name === n)!;
    start(by("etcd"));
    // The API server advertises its container's or pod's address; on one host that is the loopback.
    start(by("kube-apiserver"), ["--advertise-address=127.0.0.1"]);
    await until("kube-apiserver ready", 120, async () =>
      (await api("GET", "/readyz").catch(() => undefined))?.status === 200 ? true : undefined,
    );
    for (const p of processes) if (p.name !== "etcd" && p.name !== "kube-apiserver") start(p);
    return { api, apiUrl, until, hostPath, procs, output: () => output, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

/** Each container of a pod spec as a process, with the files its Secret volumes mount from `data` (the Secret's). */
export function podProcesses(pod: any, data: Readonly<Record<string, string>>): KwokProcessRun[] {
  const volumes = new Map<string, any>(pod.volumes.map((v: any) => [v.name, v]));
  return pod.containers.map((c: any) => ({
    name: c.name,
    entry: c.command[0],
    args: c.args,
    files: c.volumeMounts.flatMap((m: any) => {
      const v = volumes.get(m.name);
      if (!v?.secret) return [];
      return v.secret.items.map((it: any) => {
        assert.ok(data[it.key] !== undefined, `the Secret has ${it.key}`);
        return { path: `${m.mountPath}/${it.path}`, content: data[it.key], mode: it.mode ?? 0o644 };
      });
    }),
  }));
}
