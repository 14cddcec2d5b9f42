/**
 * A fake kube-apiserver for readiness tests (ladder L3): real HTTPS on 127.0.0.1 that demands a client
 * certificate signed by the cluster CA (like kube-apiserver) and serves a scripted cluster state:
 * `/version`, `/readyz`, nodes (get, merge-patch, delete), kube-system DaemonSets, pods (per namespace, and
 * cluster-wide with a `spec.nodeName` field selector), the Eviction subresource (a pod named in `pdbBlocked`
 * answers 429 as a PodDisruptionBudget makes kube-apiserver do; an evicted pod is gone), the `kubernetes`
 * Service, and the connectivity probe pod's lifecycle (create → scripted status → delete).
 */
import * as https from "node:https";
import type { AddressInfo } from "node:net";
import type * as tls from "node:tls";
import { issueServerCert, type CertAndKey } from "../../sdk/pki";

export interface FakeRequest {
  method: string;
  path: string;
  /** Client certificate CN. */
  user: string;
}

/** Status of the probe pod as the fake reports it on GET (per attempt, 1-based). */
export type ProbeBehaviour = (attempt: number, getsThisAttempt: number) => Record<string, unknown>;

export interface FakeKubeApiServer {
  readonly url: string;
  /** Status code of the n-th `/version` request (1-based). Default: always 200. */
  version: (n: number) => number;
  nodes: Record<string, unknown>[];
  /** Status code of the DaemonSet list (default 200). */
  daemonSetStatus: number;
  daemonSets: Record<string, unknown>[];
  /** Deployments by `namespace/name`. */
  deployments: Record<string, Record<string, unknown>>;
  /** Webhook configurations by `validating/<name>` or `mutating/<name>`. */
  webhooks: Record<string, Record<string, unknown>>;
  /** Pods per namespace (besides the probe pod). */
  pods: Record<string, Record<string, unknown>[]>;
  /** `namespace/name` of pods a PodDisruptionBudget protects: their eviction answers 429. */
  pdbBlocked: Set<string>;
  /** Pods evicted so far (`namespace/name`, in order). */
  readonly evicted: string[];
  /** Status code of `/readyz` (default 200). */
  readyz: number;
  probe: ProbeBehaviour;
  readonly requests: FakeRequest[];
  readonly tlsErrors: string[];
  /** `/version` requests so far (the `n` passed to `version`); reset it between scenarios. */
  versionCount: number;
  /** Probe pods created so far. */
  probeAttempts: number;
  /** The command of the last probe pod created. */
  lastProbeCommand?: string[];
  close(): Promise<void>;
}

export function node(
  name: string,
  o: {
    ready?: boolean;
    reason?: string;
    taints?: { key: string; effect: string }[];
    labels?: Record<string, string>;
    unschedulable?: boolean;
  } = {},
) {
  return {
    metadata: { name, labels: o.labels ?? {} },
    spec: { taints: o.taints ?? [], unschedulable: o.unschedulable ?? false },
    status: {
      conditions: [
        {
          type: "Ready",
          status: o.ready === false ? "False" : "True",
          reason: o.reason ?? (o.ready === false ? "KubeletNotReady" : "KubeletReady"),
          message: o.ready === false ? "container runtime network not ready: cni plugin not initialized" : "",
        },
      ],
    },
  };
}

/**
 * A DaemonSet as the API returns it. Like every stored object it has `metadata.generation` ≥ 1; its status is
 * the DaemonSet controller's, with `observedGeneration` (default: the current generation; 0 = never observed).
 */
export function daemonSet(
  name: string,
  o: { desired: number; updated?: number; unavailable?: number; generation?: number; observedGeneration?: number },
) {
  const generation = o.generation ?? 1;
  return {
    metadata: { name, namespace: "kube-system", generation },
    status: {
      observedGeneration: o.observedGeneration ?? generation,
      desiredNumberScheduled: o.desired,
      updatedNumberScheduled: o.updated ?? o.desired,
      numberUnavailable: o.unavailable ?? 0,
    },
  };
}

export function deployment(available: boolean, reason = "MinimumReplicasUnavailable") {
  return {
    status: {
      conditions: [
        {
          type: "Available",
          status: available ? "True" : "False",
          reason: available ? "MinimumReplicasAvailable" : reason,
          message: available ? "" : "Deployment does not have minimum availability.",
        },
      ],
    },
  };
}

export function webhookConfig(caBundles: (string | undefined)[]) {
  return { webhooks: caBundles.map((ca, i) => ({ name: `w${i}.example.io`, clientConfig: ca ? { caBundle: ca } : {} })) };
}

export function pod(
  name: string,
  phase: string,
  waiting?: { reason: string; message?: string },
  o: { namespace?: string; nodeName?: string; ownerKind?: string; mirror?: boolean } = {},
) {
  return {
    metadata: {
      name,
      ...(o.namespace ? { namespace: o.namespace } : {}),
      ...(o.ownerKind ? { ownerReferences: [{ kind: o.ownerKind, name: `${name}-owner` }] } : {}),
      ...(o.mirror ? { annotations: { "kubernetes.io/config.mirror": "x" } } : {}),
    },
    ...(o.nodeName ? { spec: { nodeName: o.nodeName } } : {}),
    status: { phase, containerStatuses: [{ name: "main", state: waiting ? { waiting } : { running: {} } }] },
  };
}

/** Probe status helpers. */
export const probeSucceeds: ProbeBehaviour = (_a, gets) => (gets < 2 ? { phase: "Pending" } : { phase: "Succeeded" });
export const probeFails: ProbeBehaviour = () => ({
  phase: "Failed",
  containerStatuses: [{ name: "probe", state: { terminated: { reason: "Error", exitCode: 1 } } }],
});
export const probeImagePull: ProbeBehaviour = () => ({
  phase: "Pending",
  containerStatuses: [
    { name: "probe", state: { waiting: { reason: "ImagePullBackOff", message: 'Back-off pulling image "busybox:1.36.1"' } } },
  ],
});

export async function startFakeKubeApiServer(opts: { serverCa: CertAndKey; clientCaPem: string }): Promise<FakeKubeApiServer> {
  const serving = await issueServerCert({
    ca: opts.serverCa,
    ips: ["127.0.0.1"],
    dnsNames: ["localhost", "kubernetes"],
    algorithm: "ecdsa-p256",
  });
  let probePod: Record<string, unknown> | undefined;
  let probeGets = 0;
  const state: Omit<FakeKubeApiServer, "url" | "close"> = {
    version: () => 200,
    nodes: [node("cp-1")],
    daemonSetStatus: 200,
    daemonSets: [],
    pods: {},
    pdbBlocked: new Set<string>(),
    evicted: [],
    readyz: 200,
    deployments: {},
    webhooks: {},
    probe: probeSucceeds,
    requests: [],
    tlsErrors: [],
    probeAttempts: 0,
    versionCount: 0,
  };
  const send = (res: import("node:http").ServerResponse, status: number, body: unknown) => {
    res.statusCode = status;
    res.setHeader("content-type", "application/json");
    res.end(JSON.stringify(body));
  };
  const status = (code: number, message: string) => ({ kind: "Status", apiVersion: "v1", status: "Failure", message, code });
  const server = https.createServer(
    { cert: serving.cert, key: serving.key, ca: opts.clientCaPem, requestCert: true, rejectUnauthorized: true },
    (req, res) => {
      const peer = (req.socket as tls.TLSSocket).getPeerCertificate();
      const url = new URL(req.url ?? "/", "https://x");
      const p = url.pathname;
      const method = req.method ?? "GET";
      state.requests.push({ method, path: p, user: String(peer.subject?.CN ?? "") });
      let raw = "";
      req.on("data", (d: Buffer) => (raw += d.toString("utf8")));
      req.on("end", () => {
        if (p === "/version") {
          state.versionCount++;
          const code = state.version(state.versionCount);
          return code === 200
            ? send(res, 200, { major: "1", minor: "36", gitVersion: "v1.36.0" })
            : send(res, code, status(code, "apiserver not ready"));
        }
        if (p === "/readyz")
          return state.readyz === 200 ? send(res, 200, "ok") : send(res, state.readyz, status(state.readyz, "not ready"));
        if (p === "/api/v1/nodes") return send(res, 200, { kind: "NodeList", items: state.nodes });
        const nd = /^\/api\/v1\/nodes\/([^/]+)$/.exec(p);
        if (nd) {
          const i = state.nodes.findIndex((n: any) => n.metadata?.name === decodeURIComponent(nd[1]));
          if (i < 0) return send(res, 404, status(404, `nodes "${nd[1]}" not found`));
          if (method === "GET") return send(res, 200, state.nodes[i]);
          if (method === "DELETE") {
            state.nodes.splice(i, 1);
            return send(res, 200, { kind: "Status", status: "Success" });
          }
          if (method === "PATCH") {
            if (!String(req.headers["content-type"]).startsWith("application/merge-patch+json"))
              return send(
                res,
                415,
                status(
                  415,
                  `the body of the request was in an unknown format - accepted media types include: application/merge-patch+json`,
                ),
              );
            const patch = JSON.parse(raw) as { spec?: { unschedulable?: boolean } };
            const n = state.nodes[i] as any;
            n.spec = { ...(n.spec ?? {}), ...(patch.spec ?? {}) };
            return send(res, 200, n);
          }
        }
        if (p === "/api/v1/pods" && method === "GET") {
          const sel = /spec\.nodeName=([^,]+)/.exec(url.searchParams.get("fieldSelector") ?? "")?.[1];
          const all = Object.entries(state.pods).flatMap(([ns, list]) =>
            list.map((x: any) => ({ ...x, metadata: { namespace: ns, ...x.metadata } })),
          );
          return send(res, 200, { kind: "PodList", items: sel ? all.filter((x: any) => x.spec?.nodeName === sel) : all });
        }
        const ev = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/eviction$/.exec(p);
        if (ev && method === "POST") {
          const [ns, name] = [ev[1], ev[2]];
          const list = state.pods[ns] ?? [];
          const i = list.findIndex((x: any) => x.metadata?.name === name);
          if (i < 0) return send(res, 404, status(404, `pods "${name}" not found`));
          if (state.pdbBlocked.has(`${ns}/${name}`))
            return send(res, 429, status(429, "Cannot evict pod as it would violate the pod's disruption budget."));
          list.splice(i, 1);
          state.evicted.push(`${ns}/${name}`);
          return send(res, 201, { kind: "Eviction", apiVersion: "policy/v1", metadata: { name, namespace: ns } });
        }
        if (p === "/apis/apps/v1/namespaces/kube-system/daemonsets")
          return state.daemonSetStatus === 200
            ? send(res, 200, { kind: "DaemonSetList", items: state.daemonSets })
            : send(res, state.daemonSetStatus, status(state.daemonSetStatus, "forbidden or throttled"));
        if (p === "/api/v1/namespaces/default/services/kubernetes")
          return send(res, 200, { metadata: { name: "kubernetes" }, spec: { clusterIP: "10.96.0.1" } });
        const probePath = "/api/v1/namespaces/default/pods/ksail-api-connectivity-check";
        if (p === "/api/v1/namespaces/default/pods" && method === "POST") {
          if (probePod) return send(res, 409, status(409, "already exists"));
          const body = JSON.parse(raw) as Record<string, any>;
          state.probeAttempts++;
          probeGets = 0;
          state.lastProbeCommand = body.spec?.containers?.[0]?.command;
          probePod = { ...body, status: { phase: "Pending" } };
          return send(res, 201, probePod);
        }
        if (p === probePath && method === "GET") {
          if (!probePod) return send(res, 404, status(404, "not found"));
          probeGets++;
          return send(res, 200, { ...probePod, status: state.probe(state.probeAttempts, probeGets) });
        }
        if (p === probePath && method === "DELETE") {
          if (!probePod) return send(res, 404, status(404, "not found"));
          probePod = undefined;
          return send(res, 200, { kind: "Status", status: "Success" });
        }
        const dep = /^\/apis\/apps\/v1\/namespaces\/([^/]+)\/deployments\/([^/]+)$/.exec(p);
        if (dep) {
          const d = state.deployments[`${dep[1]}/${dep[2]}`];
          return d ? send(res, 200, d) : send(res, 404, status(404, "not found"));
        }
        const wh = /^\/apis\/admissionregistration.k8s.io\/v1\/(validating|mutating)webhookconfigurations\/([^/]+)$/.exec(p);
        if (wh) {
          const w = state.webhooks[`${wh[1]}/${wh[2]}`];
          return w ? send(res, 200, w) : send(res, 404, status(404, "not found"));
        }
        const m = /^\/api\/v1\/namespaces\/([^/]+)\/pods$/.exec(p);
        if (m && method === "GET") return send(res, 200, { kind: "PodList", items: state.pods[m[1]] ?? [] });
        return send(res, 404, status(404, `no route for ${method} ${p}`));
      });
    },
  );
  server.on("tlsClientError", (err: Error & { code?: string }) => state.tlsErrors.push(`${err.code ?? ""} ${err.message}`));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const fake = state as FakeKubeApiServer;
  Object.assign(fake, {
    url: `https://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
  return fake;
}
