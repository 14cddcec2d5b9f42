/**
 * The upgrade guard's recorder: the resource graph of each example and of the main KSailCluster layouts, reduced to
 * what decides whether upgrading the library renames, removes or replaces a resource in an existing stack.
 *
 * Per resource: its URN without the stack/project prefix (the parent type chain `a$b$c` and the name: a child's
 * name and its parents' types are public API, a new URN is a delete plus a create), the resource options that
 * decide replacement (`replacementTrigger`, `deleteBeforeReplace`, `replaceOnChanges`, `ignoreChanges`, the
 * explicit provider), the module a dynamic resource's stored `__provider` code requires (delete and refresh run
 * the code stored at the last update, so that module path must keep resolving), and the inputs whose change makes
 * the resource's provider answer "replace" (per type below, from each provider's source), minus ignored ones.
 *
 * Layouts are recorded as a preview of a fresh stack: every value the engine computes is the unknown sentinel, so
 * a recording holds no generated key material and is the same on every run.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { recordProgram, type RecordedResource, type Recording } from "../harness/mocks";
import { repoRoot } from "../harness/paths";
import { recordCluster, hetznerOutputs, type ClusterRun } from "../mocks/cluster-record";
import { programEntry, readProject } from "../../sdk/cli/mockrun";

/** One recorded resource, as stored in test/fixtures/upgrade/<layout>.json. */
export interface GraphEntry {
  /** `<parent type>$…$<type>::<name>`: the URN without `urn:pulumi:<stack>::<project>::`. */
  urn: string;
  custom: boolean;
  replacementTrigger?: unknown;
  deleteBeforeReplace?: boolean;
  replaceOnChanges?: string[];
  ignoreChanges?: string[];
  /** Name of the explicit provider resource (absent: the default provider of the package). */
  provider?: string;
  /** Dynamic resources: the implementation module the stored `__provider` code requires, as the installed package names it. */
  implModule?: string;
  /** Inputs whose change replaces the resource (secret values as `[secret]`, engine-computed as `[unknown]`). */
  inputs?: Record<string, unknown>;
  /** The URN tails the resource's `aliases` option stands for (a renamed child keeps its old URN through one). */
  aliases?: string[];
}

export interface Graph {
  layout: string;
  description: string;
  resources: GraphEntry[];
}

const UNKNOWN_SENTINEL = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/**
 * Inputs that make each provider replace the resource. Docker: kreuzwerker/terraform-provider-docker
 * internal/provider/resource_docker_{container,network,volume}.go (attributes with ForceNew; for containers every
 * attribute is ForceNew except the ones listed in CONTAINER_IN_PLACE, so the list is the complement). hcloud:
 * hetznercloud/terraform-provider-hcloud internal/<kind>/resource*.go (ForceNew / RequiresReplace). Kubernetes:
 * pulumi/pulumi-kubernetes provider/pkg/provider/provider.go (`.metadata.name`, `.metadata.namespace`), diff.go
 * (a Secret's `type`, `data`, `stringData` unless mutable secrets are enabled) and helm_release.go (`name`,
 * `namespace`). Dynamic resources: the keys their own `diff` puts in `replaces` (sdk/dynamic/*.impl.ts,
 * sdk/dynamic/talosMachine.plan.ts).
 */
const REPLACE_KEYS: Record<string, readonly string[] | "all-but-in-place"> = {
  "docker:index/container:Container": "all-but-in-place",
  "docker:index/network:Network": [
    "name",
    "labels",
    "driver",
    "options",
    "internal",
    "attachable",
    "ingress",
    "ipv6",
    "ipamDriver",
    "ipamOptions",
    "ipamConfigs",
  ],
  "docker:index/volume:Volume": ["name", "labels", "driver", "driverOpts"],
  "hcloud:index/network:Network": ["ipRange"],
  "hcloud:index/networkSubnet:NetworkSubnet": ["networkId", "type", "networkZone", "ipRange", "vswitchId"],
  "hcloud:index/firewall:Firewall": [],
  "hcloud:index/placementGroup:PlacementGroup": [],
  "hcloud:index/primaryIp:PrimaryIp": ["type", "location"],
  "hcloud:index/floatingIp:FloatingIp": ["type", "homeLocation"],
  "hcloud:index/floatingIpAssignment:FloatingIpAssignment": ["floatingIpId"],
  "hcloud:index/loadBalancer:LoadBalancer": ["location", "networkZone"],
  "hcloud:index/loadBalancerNetwork:LoadBalancerNetwork": ["loadBalancerId", "networkId", "subnetId", "ip", "enablePublicInterface"],
  "hcloud:index/loadBalancerService:LoadBalancerService": ["loadBalancerId", "protocol", "listenPort"],
  "hcloud:index/loadBalancerTarget:LoadBalancerTarget": ["loadBalancerId", "serverId", "labelSelector", "ip"],
  "hcloud:index/server:Server": ["image", "location", "userData", "sshKeys"],
  "kubernetes:helm.sh/v3:Release": ["name", "namespace"],
  "pulumi-nodejs:dynamic/ksail:ClusterSpec": ["recreateRequired"],
  "pulumi-nodejs:dynamic/ksail:ClusterSecrets": ["clusterName", "distribution"],
  "pulumi-nodejs:dynamic/ksail:TalosMachine": ["node.name", "node.role", "node.platform"],
  "pulumi-nodejs:dynamic/ksail:TalosBootstrap": [],
  "pulumi-nodejs:dynamic/ksail:ClusterReadiness": [],
  "pulumi-nodejs:dynamic/ksail:HcloudServerType": ["serverId"],
  "pulumi-nodejs:dynamic/ksail:HcloudIsoDetach": ["serverId"],
};

/** Container attributes the Docker provider updates in place (not ForceNew upstream); camelCase as in @pulumi/docker. */
const CONTAINER_IN_PLACE = new Set([
  "rm",
  "start",
  "wait",
  "waitTimeout",
  "attach",
  "logs",
  "mustRun",
  "restart",
  "maxRetryCount",
  "removeVolumes",
  "tmpfs",
  "deviceReadBps",
  "deviceReadIops",
  "deviceWriteBps",
  "deviceWriteIops",
  "destroyGraceSeconds",
  "memory",
  "memoryReservation",
  "memorySwap",
  "cpuShares",
  "cpuSet",
  "healthcheck",
  "containerReadRefreshTimeoutMilliseconds",
  "init",
  "cpuPeriod",
  "cpuQuota",
]);

function isSecretPath(p: string, secrets: readonly string[]): boolean {
  return secrets.some((s) => p === s || p.startsWith(`${s}.`) || p.startsWith(`${s}[`));
}

/** Plain JSON of a recorded value: secrets `[secret]`, unknowns `[unknown]`, references by URN tail. */
function stable(v: unknown, at: string, secrets: readonly string[]): unknown {
  if (isSecretPath(at, secrets)) return "[secret]";
  if (v === UNKNOWN_SENTINEL) return "[unknown]";
  // A resource id turned into a number (hcloud ids): the mock id is not numeric, so this is NaN, which JSON cannot hold.
  if (typeof v === "number" && !Number.isFinite(v)) return String(v);
  if (Array.isArray(v)) return v.map((e, i) => stable(e, `${at}[${i}]`, secrets));
  if (v !== null && typeof v === "object") {
    const o = v as Record<string, unknown>;
    if (typeof o.urn === "string" && typeof o.name === "string") return `ref:${urnTail(o.urn)}`;
    return Object.fromEntries(
      Object.keys(o)
        .sort()
        .map((k) => [k, stable(o[k], at ? `${at}.${k}` : k, secrets)]),
    );
  }
  return v;
}

/** `urn:pulumi:stack::project::a$b::name` → `a$b::name`. */
export function urnTail(urn: string): string {
  return urn.split("::").slice(2).join("::");
}

/**
 * The URN tails the engine gives each resource: the parent's whole qualified type, `$`, the type, `::`, the name;
 * children of the root stack carry no parent type (pulumi/pulumi sdk/go/common/resource/urn.go `NewURN`, called with
 * the parent's `QualifiedType()`). The mock monitor keeps only the parent's last type, so the chain is rebuilt here.
 */
export function engineUrns(rec: Recording): Map<RecordedResource, { urn: string; aliases: string[] }> {
  const byUrn = new Map(rec.resources.map((r) => [r.urn, r]));
  const out = new Map<RecordedResource, { urn: string; aliases: string[] }>();
  const qualified = (r: RecordedResource): string => {
    const parent = r.parentUrn ? byUrn.get(r.parentUrn) : undefined;
    return parent ? `${qualified(parent)}$${r.type}` : r.type;
  };
  const parentChain = (parentUrn: string | undefined): string => {
    const parent = parentUrn ? byUrn.get(parentUrn) : undefined;
    return parent ? `${qualified(parent)}$` : "";
  };
  for (const r of rec.resources) {
    // An alias spec names what differs from the resource itself: name, type, parent (or no parent), or a whole URN.
    const aliases = r.options.aliases.map((a) => {
      if (typeof a.urn === "string") return urnTail(a.urn);
      const chain = a.noParent === true ? "" : parentChain(typeof a.parentUrn === "string" ? a.parentUrn : r.parentUrn);
      return `${chain}${typeof a.type === "string" ? a.type : r.type}::${typeof a.name === "string" ? a.name : r.name}`;
    });
    out.set(r, { urn: `${qualified(r)}::${r.name}`, aliases });
  }
  return out;
}

function get(o: Record<string, unknown>, dotted: string): unknown {
  return dotted
    .split(".")
    .reduce<unknown>((x, k) => (x !== null && typeof x === "object" ? (x as Record<string, unknown>)[k] : undefined), o);
}

/** Kubernetes objects: identity, plus what makes a Secret immutable in place. */
function kubernetesKeys(r: RecordedResource): string[] {
  const keys = ["metadata.name", "metadata.namespace"];
  if (r.type === "kubernetes:core/v1:Secret") keys.push("type", "data", "stringData");
  return keys;
}

function replaceKeys(r: RecordedResource): string[] | undefined {
  const known = REPLACE_KEYS[r.type];
  if (known === "all-but-in-place") return Object.keys(r.inputs).filter((k) => !k.startsWith("__") && !CONTAINER_IN_PLACE.has(k));
  if (known) return [...known];
  if (r.type.startsWith("kubernetes:") && r.custom && !r.type.startsWith("kubernetes:helm.sh/")) return kubernetesKeys(r);
  return undefined;
}

/** The module the trampoline's serialized code requires, as the installed package would name it. */
export function implModuleOf(serialized: string): string {
  const m = /"((?:[^"\\]|\\.)*\.impl(?:\.js)?)"/.exec(serialized);
  if (!m) throw new Error(`no implementation module in the serialized provider:\n${serialized.slice(0, 400)}`);
  const spec = JSON.parse(`"${m[1]}"`) as string;
  if (spec.startsWith("@ksail/pulumi/")) return spec;
  // Source checkout: an absolute path without extension, under sdk/ (tsx) or dist/sdk/ (compiled).
  const rel = path.relative(repoRoot(), spec).split(path.sep).join("/");
  return `@ksail/pulumi/${rel.startsWith("dist/") ? rel : `dist/${rel}`}.js`;
}

/** One resource reduced to what decides renames and replacements. */
export function entryOf(r: RecordedResource, urn: string, aliases: readonly string[]): GraphEntry {
  const o = r.options;
  const e: GraphEntry = { urn, custom: r.custom };
  if (o.replacementTrigger !== undefined)
    e.replacementTrigger = o.replacementTriggerSecret ? "[secret]" : stable(o.replacementTrigger, "", []);
  if (o.deleteBeforeReplace !== undefined) e.deleteBeforeReplace = o.deleteBeforeReplace;
  if (o.replaceOnChanges.length > 0) e.replaceOnChanges = [...o.replaceOnChanges].sort();
  if (o.ignoreChanges.length > 0) e.ignoreChanges = [...o.ignoreChanges].sort();
  if (o.provider !== undefined) e.provider = o.provider;
  if (typeof r.inputs.__provider === "string") e.implModule = implModuleOf(r.inputs.__provider);
  const keys = replaceKeys(r);
  if (r.custom && keys !== undefined) {
    const ignored = new Set(o.ignoreChanges);
    const inputs: Record<string, unknown> = {};
    for (const k of keys.filter((x) => !ignored.has(x)).sort()) {
      const v = get(r.inputs, k);
      if (v !== undefined) inputs[k] = stable(v, k, r.secretInputs);
    }
    e.inputs = inputs;
  } else if (r.custom && !r.type.startsWith("pulumi:providers:")) {
    // A type this table does not know: every input counts (fail closed).
    e.inputs = stable(Object.fromEntries(Object.entries(r.inputs).filter(([k]) => !k.startsWith("__"))), "", r.secretInputs) as Record<
      string,
      unknown
    >;
  }
  if (aliases.length > 0) e.aliases = [...aliases];
  return e;
}

export function graphOf(layout: Layout, rec: Recording): Graph {
  const urns = engineUrns(rec);
  return {
    layout: layout.id,
    description: layout.description,
    resources: rec.resources.map((r) => entryOf(r, urns.get(r)!.urn, urns.get(r)!.aliases)),
  };
}

export interface Layout {
  /** File name under test/fixtures/upgrade (without .json). */
  id: string;
  description: string;
  record(): Promise<Recording>;
}

/** Runs an example program (Pulumi.yaml + Pulumi.<stack>.yaml config) under the recorder, as `ksail-pulumi plan` does. */
async function recordExample(dirName: string, stack: string, stackOutputs?: Record<string, Record<string, unknown>>): Promise<Recording> {
  const dir = path.join(repoRoot(), "examples", dirName);
  const proj = readProject(dir, stack);
  const entry = programEntry(dir, proj.main);
  if (entry.endsWith(".ts") && !require.extensions[".ts"]) (require("tsx/cjs/api") as { register(): unknown }).register();
  const Module = require("node:module") as { _resolveFilename: (request: string, ...rest: unknown[]) => string };
  const resolve = Module._resolveFilename;
  const self = require.resolve("../../sdk/index");
  const cwd = process.cwd();
  Module._resolveFilename = function (this: unknown, request: string, ...rest: unknown[]) {
    return request === "@ksail/pulumi" ? self : resolve.call(this, request, ...rest);
  };
  try {
    process.chdir(dir);
    return await recordProgram(
      async () => {
        delete require.cache[entry];
        const mod = require(entry);
        return typeof mod === "function" ? await mod() : mod;
      },
      {
        preview: true,
        project: proj.project,
        stack: proj.stack,
        config: proj.config,
        secretKeys: proj.secretKeys,
        // As `ksail-pulumi plan` answers it: the Talos snapshot lookup of the snapshot route.
        call: (a) => (a.token === "hcloud:index/getImage:getImage" ? { id: 0, name: "talos-snapshot-placeholder" } : {}),
        state: (a) =>
          a.type === "pulumi:pulumi:StackReference"
            ? {
                id: String(a.inputs.name),
                outputs: { name: a.inputs.name, outputs: stackOutputs?.[String(a.inputs.name)] ?? {}, secretOutputNames: [] },
              }
            : undefined,
      },
    );
  } finally {
    process.chdir(cwd);
    Module._resolveFilename = resolve;
  }
}

const TOKEN = "hcloud-token-upgrade-guard";
const SCHEMATIC = "376567988ad370138ad8b2698212367b8edcb69b5fd68c80be1f2ec7d603b4ba";

function cluster(id: string, description: string, run: ClusterRun): Layout {
  return { id, description, record: () => recordCluster({ preview: true, ...run }) };
}

function docker(distribution: "Talos" | "Vanilla" | "K3s", cps: number, workers: number, extra: Record<string, unknown>): Layout {
  const id = `docker-${distribution.toLowerCase()}-${cps}+${workers}`;
  return cluster(id, `${distribution} on Docker, ${cps} control plane(s) + ${workers} worker(s)`, {
    cluster: { distribution, controlPlanes: cps, workers, ...extra },
  });
}

function hetzner(route: "iso" | "snapshot", endpoint: "first-control-plane" | "floating-ip" | "load-balancer"): Layout {
  return cluster(`hetzner-${route}-${endpoint}`, `Talos on Hetzner, ${route} route, ${endpoint} endpoint, 3+2`, {
    cluster: {
      distribution: "Talos",
      provider: "Hetzner",
      controlPlanes: 3,
      workers: 2,
      cni: "Cilium",
      ...(route === "snapshot" ? { talos: { schematicId: SCHEMATIC } } : {}),
    },
    provider: endpoint === "floating-ip" ? { hetzner: { floatingIPEnabled: true } } : undefined,
    args: { hcloudToken: TOKEN, ...(endpoint === "load-balancer" ? { hetznerEndpoint: "load-balancer" } : {}) },
    outputs: hetznerOutputs,
    call: (token) => (token === "hcloud:index/getImage:getImage" ? { id: 4242, name: "talos-snapshot" } : {}),
  });
}

function stagingOutputs(): Record<string, Record<string, unknown>> {
  return JSON.parse(fs.readFileSync(path.join(repoRoot(), "examples", "prod", "staging-outputs.example.json"), "utf8"));
}

/** Every layout the guard records. */
export const LAYOUTS: readonly Layout[] = [
  {
    id: "example-local",
    description: "examples/local, stack dev (Talos on Docker 1+1, Flux, mirrors)",
    record: () => recordExample("local", "dev"),
  },
  {
    id: "example-prod-staging",
    description: "examples/prod, stack staging (Talos on Hetzner 3+3, snapshot, load balancer, autoscaler, Flux)",
    record: () => recordExample("prod", "staging"),
  },
  {
    id: "example-prod-prod",
    description: "examples/prod, stack prod (protected, versions pinned from staging-outputs.example.json)",
    record: () => recordExample("prod", "prod", stagingOutputs()),
  },
  docker("Talos", 1, 0, {}),
  docker("Talos", 3, 2, { cni: "Cilium", certManager: "Enabled", gitOpsEngine: "Flux", loadBalancer: "Enabled", policyEngine: "Kyverno" }),
  docker("Vanilla", 1, 0, {}),
  docker("Vanilla", 3, 2, { cni: "Calico", loadBalancer: "Enabled", policyEngine: "Gatekeeper", gitOpsEngine: "ArgoCD" }),
  docker("K3s", 1, 0, {}),
  docker("K3s", 3, 2, { certManager: "Enabled", gitOpsEngine: "Flux", metricsServer: "Enabled" }),
  hetzner("iso", "first-control-plane"),
  hetzner("iso", "floating-ip"),
  hetzner("iso", "load-balancer"),
  hetzner("snapshot", "first-control-plane"),
  hetzner("snapshot", "floating-ip"),
  hetzner("snapshot", "load-balancer"),
];

export const FIXTURES = () => path.join(repoRoot(), "test", "fixtures", "upgrade");
