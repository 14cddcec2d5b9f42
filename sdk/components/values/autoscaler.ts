import * as zlib from "node:zlib";
import * as YAML from "yaml";
import { KsailError } from "../../errors";
import { isHa, type ComponentContext } from "../../plan/context";
import type { AutoscalerPool, AutoscalerSettings } from "../../plan/components";
import type { HcloudAutoscalerSettings } from "../../plan/hetznerComponents";
import { Values } from "../merge";

/** Secret `kube-system/cluster-autoscaler-config`, key `hcloud_cluster_config`. */
export const autoscalerConfigSecret = { name: "cluster-autoscaler-config", key: "hcloud_cluster_config" } as const;

/** Hetzner's limit on user data is 32 KiB; the autoscaler passes each pool's cloud-init through it. */
export const maxCloudInitBytes = 32 * 1024;

/** cluster-autoscaler values for the Hetzner provider, with KSail's defaults (expander least-waste, 10m scale-down). */
export function clusterAutoscalerValues(ctx: ComponentContext, s: AutoscalerSettings, hcloud?: HcloudAutoscalerSettings): Values {
  const extraArgs: Values = {
    expander: (s.expander && s.expander.length > 0 ? s.expander : ["least-waste"]).join(","),
    "scale-down-unneeded-time": s.scaleDownUnneededTime ?? "10m",
    "scale-down-delay-after-add": "5m",
    "scale-down-delay-after-delete": "2m",
    "ok-total-unready-count": 3,
    v: "4",
  };
  if (s.maxNodesTotal !== undefined) extraArgs["max-nodes-total"] = s.maxNodesTotal;
  if (s.scaleDownUtilizationThreshold !== undefined) extraArgs["scale-down-utilization-threshold"] = s.scaleDownUtilizationThreshold;
  if (s.ignoreDaemonSetsUtilization !== undefined) extraArgs["ignore-daemonsets-utilization"] = s.ignoreDaemonSetsUtilization;
  if (s.skipNodesWithLocalStorage !== undefined) extraArgs["skip-nodes-with-local-storage"] = s.skipNodesWithLocalStorage;
  if (s.skipNodesWithSystemPods !== undefined) extraArgs["skip-nodes-with-system-pods"] = s.skipNodesWithSystemPods;
  const v: Values = {
    cloudProvider: "hetzner",
    autoscalingGroups: s.pools.map((p) => ({
      name: p.name,
      minSize: p.min,
      maxSize: p.max,
      instanceType: p.serverType,
      region: p.location,
    })),
    extraArgs,
    extraEnvSecrets: {
      HCLOUD_TOKEN: { name: "hcloud", key: "token" },
      HCLOUD_NETWORK: { name: "hcloud", key: "network" },
      HCLOUD_CLUSTER_CONFIG: { name: autoscalerConfigSecret.name, key: autoscalerConfigSecret.key },
    },
    nodeSelector: { "node-role.kubernetes.io/control-plane": "" },
    tolerations: [{ key: "node-role.kubernetes.io/control-plane", operator: "Exists", effect: "NoSchedule" }],
    rbac: {
      serviceAccount: { name: "cluster-autoscaler" },
      additionalRules: [
        { apiGroups: ["apps"], resources: ["deployments"], verbs: ["get", "list", "watch"] },
        { apiGroups: [""], resources: ["resourcequotas"], verbs: ["get", "list", "watch"] },
      ],
    },
    resources: { requests: { cpu: "50m", memory: "128Mi" }, limits: { memory: "256Mi" } },
  };
  // kubernetes/autoscaler cloudprovider/hetzner/hetzner_manager.go reads HCLOUD_FIREWALL, HCLOUD_SSH_KEY and
  // HCLOUD_PUBLIC_IPV4/IPV6 (default true) for the servers it creates.
  const extraEnv: Values = {};
  if (hcloud) {
    if (hcloud.firewall) extraEnv.HCLOUD_FIREWALL = hcloud.firewall;
    if (hcloud.sshKey) extraEnv.HCLOUD_SSH_KEY = hcloud.sshKey;
    if (!hcloud.publicIPv4) extraEnv.HCLOUD_PUBLIC_IPV4 = "false";
    if (!hcloud.publicIPv6) extraEnv.HCLOUD_PUBLIC_IPV6 = "false";
    if (hcloud.imageTag) v.image = { tag: hcloud.imageTag };
  } else if (s.workerPublicIp === false) {
    Object.assign(extraEnv, { HCLOUD_PUBLIC_IPV4: "false", HCLOUD_PUBLIC_IPV6: "false" });
  }
  if (Object.keys(extraEnv).length > 0) v.extraEnv = extraEnv;
  if (isHa(ctx)) v.replicaCount = 2;
  return v;
}

/**
 * The worker machine config an autoscaled node boots with: install wipes the disk, no extra disks, the
 * `ksail.io/autoscaled` label plus the pool's labels, and the pool's taints.
 */
export function autoscaledWorkerConfig(workerConfigYaml: string, pool: AutoscalerPool): string {
  const docs = YAML.parseAllDocuments(workerConfigYaml);
  const out: string[] = [];
  let patched = false;
  for (const doc of docs) {
    const obj = doc.toJS() as Values | null;
    if (obj && typeof obj === "object" && typeof obj.machine === "object" && obj.machine !== null) {
      const machine = { ...(obj.machine as Values) };
      machine.install = { ...((machine.install as Values | undefined) ?? {}), wipe: true };
      delete machine.disks;
      machine.nodeLabels = {
        ...((machine.nodeLabels as Values | undefined) ?? {}),
        "ksail.io/autoscaled": "true",
        ...(pool.labels ?? {}),
      };
      if (pool.taints && pool.taints.length > 0) {
        const taints: Values = { ...((machine.nodeTaints as Values | undefined) ?? {}) };
        for (const t of pool.taints) taints[t.key] = t.value ? `${t.value}:${t.effect}` : t.effect;
        machine.nodeTaints = taints;
      }
      obj.machine = machine;
      patched = true;
    }
    out.push(YAML.stringify(obj));
  }
  if (!patched) {
    throw new KsailError("the worker machine config has no `machine` section; pass the rendered Talos worker config.");
  }
  return out.join("---\n");
}

/**
 * `HCLOUD_CLUSTER_CONFIG` for the Hetzner autoscaler: base64(JSON) with, per pool, cloud-init =
 * base64(gzip(worker config)). Throws when a pool's cloud-init exceeds Hetzner's 32 KiB user-data limit.
 */
export function hcloudClusterConfig(args: {
  imageId: string;
  workerConfig: string;
  pools: readonly AutoscalerPool[];
  /** Arm (CAX) pools: the arm64 image (id, name or label selector: the autoscaler looks a selector up per architecture). */
  arm64Image?: string;
}): string {
  const arm = args.pools.filter((p) => /^cax\d/i.test(p.serverType));
  if (arm.length > 0 && !args.arm64Image) {
    throw new KsailError([
      {
        path: `spec.cluster.autoscaler.node.pools[${arm[0].name}]`,
        message: `uses ${arm[0].serverType}, an Arm (CAX) type, but no arm64 Talos image is known; select the snapshots by label (spec.cluster.talos.schematicId) and build the arm64 snapshot, or use an x86 type`,
      },
    ]);
  }
  const nodeConfigs: Values = {};
  for (const pool of args.pools) {
    const cfg = autoscaledWorkerConfig(args.workerConfig, pool);
    const cloudInit = zlib.gzipSync(Buffer.from(cfg, "utf8"), { level: 9 }).toString("base64");
    if (cloudInit.length > maxCloudInitBytes) {
      throw new KsailError([
        {
          path: `spec.cluster.autoscaler.node.pools[${pool.name}]`,
          message: `the compressed worker config is ${cloudInit.length} bytes, over Hetzner's ${maxCloudInitBytes}-byte user-data limit; remove patches or inline manifests from the worker config.`,
        },
      ]);
    }
    nodeConfigs[pool.name] = {
      cloudInit,
      labels: { "ksail.io/autoscaled": "true", ...(pool.labels ?? {}) },
      taints: (pool.taints ?? []).map((t) => ({ key: t.key, value: t.value ?? "", effect: t.effect })),
    };
  }
  const json = JSON.stringify({
    imagesForArch: { amd64: args.imageId, ...(arm.length > 0 ? { arm64: args.arm64Image } : {}) },
    nodeConfigs,
  });
  return Buffer.from(json, "utf8").toString("base64");
}
