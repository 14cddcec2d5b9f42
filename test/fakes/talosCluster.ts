/**
 * A fake Talos cluster for engine tests: control planes and workers on one FakeNetwork (shared PKI, routing,
 * etcd), the first control plane's apid exposed to the client, workers reachable only through a control plane
 * (`privateOnly`), and optionally a fake kube-apiserver that knows the nodes (for drain and Node Ready gates).
 */
import { deriveKubeconfig, issueCa } from "../../sdk/pki";
import { FakeApid, FakeNetwork, makeFakePki, talosconfigFor, type FakeApidOptions, type FakePki } from "./apid";
import { node as kubeNode, startFakeKubeApiServer, type FakeKubeApiServer } from "./kube-apiserver";

/** A small machine config the classifier understands (v1alpha1 only). */
export function cfg(o: { type?: string; kubelet?: string; env?: string; k8s?: string; name?: string; extra?: string } = {}): string {
  const k8s = o.k8s ?? "1.35.0";
  return (
    [
      "version: v1alpha1",
      "debug: false",
      "persist: true",
      "machine:",
      `  type: ${o.type ?? "controlplane"}`,
      "  kubelet:",
      `    image: ghcr.io/siderolabs/kubelet:v${k8s}`,
      "    extraArgs:",
      `      v: "${o.kubelet ?? "1"}"`,
      "  env:",
      `    HTTP_PROXY: "${o.env ?? "none"}"`,
      "cluster:",
      "  clusterName: dev",
      "  apiServer:",
      `    image: registry.k8s.io/kube-apiserver:v${k8s}`,
      "",
    ].join("\n") + (o.extra ?? "")
  );
}

export interface FakeTalosCluster {
  readonly pki: FakePki;
  readonly network: FakeNetwork;
  readonly controlPlanes: FakeApid[];
  readonly workers: FakeApid[];
  /** The talosconfig (admin), pointing at the first control plane. */
  readonly talosconfig: string;
  readonly kube?: FakeKubeApiServer;
  readonly kubeconfig?: string;
  all(): FakeApid[];
  stop(): Promise<void>;
}

export async function startFakeTalosCluster(o: {
  controlPlanes: number;
  workers?: number;
  /** Options for every node (version, rejoin delays...). */
  node?: Partial<FakeApidOptions>;
  /** Bootstrap etcd (the control planes then form one cluster). @default true */
  bootstrapped?: boolean;
  /** Start a fake kube-apiserver knowing every node as Ready. */
  kube?: boolean;
}): Promise<FakeTalosCluster> {
  const pki = await makeFakePki();
  const network = new FakeNetwork();
  const controlPlanes: FakeApid[] = [];
  const workers: FakeApid[] = [];
  for (let i = 1; i <= o.controlPlanes; i++) {
    controlPlanes.push(
      await FakeApid.start({
        pki,
        network,
        hostname: `dev-controlplane-${i}`,
        address: `10.5.0.${1 + i}`,
        initialConfig: cfg(),
        ...o.node,
      }),
    );
  }
  for (let i = 1; i <= (o.workers ?? 0); i++) {
    workers.push(
      await FakeApid.start({
        pki,
        network,
        hostname: `dev-worker-${i}`,
        address: `10.5.0.${10 + i}`,
        initialConfig: cfg({ type: "worker" }),
        privateOnly: true,
        ...o.node,
      }),
    );
  }
  if (o.bootstrapped !== false && controlPlanes.length > 0) {
    controlPlanes[0].bootstrapped = true;
    // The other control planes join as soon as they are asked anything (their config is there, etcd is not).
    for (const cp of controlPlanes.slice(1)) cp.reconcile();
  }
  let kube: FakeKubeApiServer | undefined;
  let kubeconfig: string | undefined;
  if (o.kube) {
    const ca = await issueCa({ subject: { commonName: "kubernetes" }, algorithm: "ecdsa-p256", template: "kubernetes" });
    kube = await startFakeKubeApiServer({ serverCa: ca, clientCaPem: ca.cert });
    kube.nodes = [...controlPlanes, ...workers].map((n) => kubeNode(n.hostname));
    kubeconfig = (await deriveKubeconfig({ clusterName: "dev", endpoint: kube.url, caCert: ca.cert, caKey: ca.key })).text;
  }
  const all = () => [...controlPlanes, ...workers];
  return {
    pki,
    network,
    controlPlanes,
    workers,
    talosconfig: talosconfigFor(pki, controlPlanes[0]?.endpoint ?? "127.0.0.1:1"),
    kube,
    kubeconfig,
    all,
    stop: async () => {
      await network.stopAll();
      await kube?.close();
    },
  };
}

/** The methods a fake node saw since `from`, `ApplyConfiguration` shown with its mode. */
export function methods(apid: FakeApid, from = 0): string[] {
  return apid.calls.slice(from).map((c) => (c.method === "ApplyConfiguration" ? `Apply:${c.request.mode}` : c.method));
}
