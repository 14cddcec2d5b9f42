// Shared fixture of the KSailCluster mocks tests: record a whole cluster from an inline spec, with
// ClusterSecrets answering like a real create (real generated CA material, one set per process).
import type { ComponentResourceOptions } from "@pulumi/pulumi";
import { recordProgram, type Recording } from "../harness/mocks";
import { snapshot } from "../fixtures/docker/record";
import { KSailCluster, type KSailClusterArgs } from "../../sdk/cluster";
import {
  deriveDockerTls,
  generateDockerTlsCa,
  generateK3sPki,
  generateKubeadmPki,
  generateKwokPki,
  generateTalosBundle,
} from "../../sdk/pki";
import { emptySummary } from "../../sdk/impact";

const cache = new Map<string, Promise<unknown>>();
const once = <T>(key: string, make: () => Promise<T>): Promise<T> => {
  if (!cache.has(key)) cache.set(key, make());
  return cache.get(key) as Promise<T>;
};

/** Marker strings inside the fake credentials: they must never appear in a non-secret position. */
export const KUBECONFIG_MARKER = "client-key-data-SECRET-MARKER";
export const TALOSCONFIG_MARKER = "talos-key-SECRET-MARKER";

export const CLUSTER_SECRETS = "pulumi-nodejs:dynamic/ksail:ClusterSecrets";
export const CLUSTER_SPEC = "pulumi-nodejs:dynamic/ksail:ClusterSpec";
export const TALOS_MACHINE = "pulumi-nodejs:dynamic/ksail:TalosMachine";
export const TALOS_BOOTSTRAP = "pulumi-nodejs:dynamic/ksail:TalosBootstrap";
export const READINESS = "pulumi-nodejs:dynamic/ksail:ClusterReadiness";
export const CONTAINER = "docker:index/container:Container";
export const NETWORK = "docker:index/network:Network";
export const VOLUME = "docker:index/volume:Volume";
export const K8S_PROVIDER = "pulumi:providers:kubernetes";

/** What ClusterSecrets returns for a distribution (real key material; fake but secret-looking credentials). */
export async function secretsOutputs(distribution: string): Promise<Record<string, unknown>> {
  const base = {
    kubeconfig: `apiVersion: v1\nkind: Config\nusers:\n- user:\n    client-key-data: ${KUBECONFIG_MARKER}\n`,
    notAfter: "2030-01-01T00:00:00.000Z",
    issuedAt: "2026-01-01T00:00:00.000Z",
    caFingerprints: { k8s: "ab" },
  };
  if (distribution === "Talos")
    return { ...base, talos: await once("talos", generateTalosBundle), talosconfig: `context: dev\nkey: ${TALOSCONFIG_MARKER}\n` };
  if (distribution === "Vanilla") return { ...base, kubeadm: await once("kubeadm", generateKubeadmPki) };
  if (distribution === "KWOK") return { ...base, kwok: await once("kwok", generateKwokPki) };
  return { ...base, k3s: await once("k3s", generateK3sPki) };
}

export interface ClusterRun {
  /** `spec.cluster` of the ksail.yaml. */
  cluster: Record<string, unknown>;
  /** `spec.provider` of the ksail.yaml. */
  provider?: Record<string, unknown>;
  name?: string;
  args?: Partial<KSailClusterArgs>;
  preview?: boolean;
  /** Extra mock outputs per resource (e.g. Hetzner server addresses); ClusterSecrets is answered already. */
  outputs?: (type: string, name: string, inputs: Record<string, unknown>) => Record<string, unknown> | undefined;
  /** Stack config (e.g. `hcloud:token`). */
  config?: Record<string, unknown>;
  secretKeys?: string[];
  /** Answers invokes (e.g. the Hetzner snapshot lookup). */
  call?: (token: string, inputs: Record<string, unknown>) => Record<string, unknown>;
  /** Resource options of the KSailCluster. */
  opts?: ComponentResourceOptions;
  /** A user program around the cluster: resources created with its outputs (registered after the cluster). */
  user?: (cluster: KSailCluster) => void;
}

/** Records `new KSailCluster("dev", ...)` and returns the recording (stack outputs: the cluster's outputs). */
export async function recordCluster(run: ClusterRun): Promise<Recording> {
  const distribution = String(run.cluster.distribution ?? "Vanilla");
  const outs = await secretsOutputs(distribution);
  // A Docker engine reached over mutual TLS (Vanilla on a host): its certificates, as ClusterSecrets derives them.
  const dockerTls =
    distribution === "Vanilla" || distribution === "Talos"
      ? await once("dockerTls", async () => {
          const { clientNotAfter: _, ...tls } = await deriveDockerTls(await generateDockerTlsCa(), {
            address: "192.0.2.31",
            clientLifetimeMs: 3_600_000,
          });
          return tls;
        })
      : undefined;
  return recordProgram(
    () => {
      const c = new KSailCluster(
        run.name ?? "dev",
        {
          spec: { cluster: run.cluster, ...(run.provider ? { provider: run.provider } : {}) },
          ...run.args,
        },
        run.opts,
      );
      run.user?.(c);
      return {
        kubeconfig: c.kubeconfig,
        // Only Talos clusters outside Omni have a talosconfig (exporting an undefined output makes Pulumi warn).
        ...(distribution === "Talos" && run.cluster.provider !== "Omni" ? { talosconfig: c.talosconfig } : {}),
        endpoint: c.endpoint,
        clusterName: c.clusterName,
        nodes: c.nodes,
        versions: c.versions,
        renderedConfigs: c.renderedConfigs,
        impact: c.impact,
      };
    },
    {
      preview: run.preview ?? false,
      config: run.config,
      call: run.call ? (a) => run.call!(a.token, a.inputs as Record<string, unknown>) : undefined,
      secretKeys: run.secretKeys,
      state: (a) => {
        if (a.preview) return undefined;
        if (a.type === CLUSTER_SECRETS)
          return { outputs: (a.inputs as { endpoints?: { docker?: string } }).endpoints?.docker ? { ...outs, dockerTls } : outs };
        // A real ClusterSpec create returns the applied spec and an empty impact (clusterSpec.impl.ts).
        if (a.type === CLUSTER_SPEC) return { outputs: { appliedSpec: a.inputs.__spec, impact: emptySummary() } };
        const extra = run.outputs?.(a.type, a.name, a.inputs as Record<string, unknown>);
        return extra ? { outputs: extra } : undefined;
      },
    },
  );
}

/** Addresses a real Hetzner create would return: public IPv4 per server, private IP, endpoint addresses. */
export function hetznerOutputs(type: string, name: string): Record<string, unknown> | undefined {
  const m = /-(control-plane|worker)-(\d+)$/.exec(name);
  const n = m ? (m[1] === "control-plane" ? 0 : 10) + Number(m[2]) : 0;
  if (type === "hcloud:index/server:Server")
    return { ipv4Address: `203.0.113.${100 + n}`, ipv6Address: "", networks: [{ ip: `10.0.1.${n + 1}` }] };
  if (type === "hcloud:index/primaryIp:PrimaryIp") return { ipAddress: "203.0.113.101" };
  if (type === "hcloud:index/floatingIp:FloatingIp") return { ipAddress: "203.0.113.50" };
  if (type === "hcloud:index/loadBalancer:LoadBalancer") return { ipv4: "203.0.113.60", ipv6: "2001:db8::60" };
  return undefined;
}

/** Names of the resources whose registration differs between two recordings: + added, - removed, ~ changed. */
export function changedResources(a: Recording, b: Recording): string[] {
  const names = [...new Set([...a.resources, ...b.resources].map((r) => r.name))];
  return names.flatMap((n) => {
    const x = a.find(n);
    const y = b.find(n);
    if (!x) return [`+${n}`];
    if (!y) return [`-${n}`];
    return JSON.stringify(snapshot(x)) === JSON.stringify(snapshot(y)) ? [] : [`~${n}`];
  });
}
