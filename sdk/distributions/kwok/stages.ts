/**
 * The simulation stages a KWOK cluster runs when its `kwok/` folder brings none: kwokctl then writes its defaults
 * (node initialize and heartbeat with lease, pod ready, complete and delete; sigs.k8s.io/kwok v0.8.0
 * pkg/kwokctl/runtime/cluster.go `Save`), and kwok's controller refuses to start with no stage at all
 * (pkg/kwok/cmd/root.go: "no stages found"). These are this package's own stages with the same behaviour, written
 * against kwok's Stage API (pkg/apis/v1alpha1/stage_types.go) and its template functions (`Now`, `Quote`,
 * `NodeConditions`, `NodeIP`, `NodeName`, `NodePort`, `NodeIPWith`, `PodIPWith`); the real-peer test runs them
 * in the real kwok controller.
 */

const STAGE_API = "kwok.x-k8s.io/v1alpha1";

type Expr = { key: string; operator: "In" | "NotIn" | "Exists" | "DoesNotExist"; values?: string[] };
const stage = (name: string, kind: "Node" | "Pod", match: Expr[], next: Record<string, unknown>, delay?: [number, number]) => ({
  apiVersion: STAGE_API,
  kind: "Stage",
  metadata: { name },
  spec: {
    resourceRef: { apiGroup: "v1", kind },
    selector: { matchExpressions: match },
    ...(delay ? { delay: { durationMilliseconds: delay[0], jitterDurationMilliseconds: delay[1] } } : {}),
    next,
  },
});

const READY = '.status.conditions.[] | select( .type == "Ready" ) | .status';

/** Every condition kwok knows for a node (Ready true, the pressures false), stamped now. */
const NODE_CONDITIONS = `{{ $now := Now }}
conditions:
{{ range NodeConditions }}
- type: {{ .type | Quote }}
  status: {{ .status | Quote }}
  reason: {{ .reason | Quote }}
  message: {{ .message | Quote }}
  lastHeartbeatTime: {{ $now | Quote }}
  lastTransitionTime: {{ $now | Quote }}
{{ end }}`;

/** A node comes up: conditions, addresses, kwok's port as the kubelet endpoint, room for pods, node info. */
const nodeInitialize = stage("node-initialize", "Node", [{ key: READY, operator: "NotIn", values: ["True"] }], {
  statusTemplate: `${NODE_CONDITIONS}
addresses:
{{ with .status.addresses }}{{ YAML . 0 }}{{ else }}
{{ with NodeIP }}- type: InternalIP
  address: {{ . | Quote }}
{{ end }}{{ with NodeName }}- type: Hostname
  address: {{ . | Quote }}
{{ end }}{{ end }}
{{ with NodePort }}daemonEndpoints:
  kubeletEndpoint:
    Port: {{ . }}
{{ end }}
allocatable:
{{ with .status.allocatable }}{{ YAML . 1 }}{{ else }}  cpu: "1k"
  memory: 1Ti
  pods: "1M"
{{ end }}
capacity:
{{ with .status.capacity }}{{ YAML . 1 }}{{ else }}  cpu: "1k"
  memory: 1Ti
  pods: "1M"
{{ end }}
nodeInfo:
  architecture: amd64
  operatingSystem: linux
  kubeletVersion: {{ printf "kwok-%s" Version | Quote }}
  kubeProxyVersion: {{ printf "kwok-%s" Version | Quote }}
  containerRuntimeVersion: {{ printf "kwok-%s" Version | Quote }}
  kernelVersion: {{ printf "kwok-%s" Version | Quote }}
  bootID: ""
  machineID: ""
  osImage: ""
  systemUUID: ""
phase: Running
`,
});

/** A ready node keeps reporting (the lease, renewed by the controller, is what the node lifecycle watches). */
const nodeHeartbeat = stage(
  "node-heartbeat-with-lease",
  "Node",
  [
    { key: ".status.phase", operator: "In", values: ["Running"] },
    { key: READY, operator: "In", values: ["True"] },
  ],
  { statusTemplate: NODE_CONDITIONS },
  [600_000, 610_000],
);

/** A scheduled pod starts: every container running and ready, addresses from the node. */
const podReady = stage(
  "pod-ready",
  "Pod",
  [
    { key: ".metadata.deletionTimestamp", operator: "DoesNotExist" },
    { key: ".spec.nodeName", operator: "Exists" },
    { key: ".status.podIP", operator: "DoesNotExist" },
  ],
  {
    statusTemplate: `{{ $now := Now }}
conditions:
{{ range list "PodScheduled" "Initialized" "ContainersReady" "Ready" }}
- type: {{ . }}
  status: "True"
  lastTransitionTime: {{ $now | Quote }}
{{ end }}
{{ with .spec.initContainers }}initContainerStatuses:
{{ range . }}- name: {{ .name | Quote }}
  image: {{ .image | Quote }}
  ready: true
  restartCount: 0
  state:
    terminated:
      exitCode: 0
      reason: Completed
      startedAt: {{ $now | Quote }}
      finishedAt: {{ $now | Quote }}
{{ end }}{{ end }}
containerStatuses:
{{ range .spec.containers }}- name: {{ .name | Quote }}
  image: {{ .image | Quote }}
  ready: true
  started: true
  restartCount: 0
  state:
    running:
      startedAt: {{ $now | Quote }}
{{ end }}
hostIP: {{ NodeIPWith .spec.nodeName | Quote }}
podIP: {{ PodIPWith .spec.nodeName ( or .spec.hostNetwork false ) ( or .metadata.uid "" ) ( or .metadata.name "" ) ( or .metadata.namespace "" ) | Quote }}
phase: Running
startTime: {{ $now | Quote }}
`,
  },
);

/** A Job's pod runs to completion shortly after it started. */
const podComplete = stage(
  "pod-complete",
  "Pod",
  [
    { key: ".metadata.deletionTimestamp", operator: "DoesNotExist" },
    { key: ".status.phase", operator: "In", values: ["Running"] },
    { key: ".metadata.ownerReferences.[].kind", operator: "In", values: ["Job"] },
  ],
  {
    statusTemplate: `{{ $now := Now }}
containerStatuses:
{{ range .spec.containers }}- name: {{ .name | Quote }}
  image: {{ .image | Quote }}
  ready: false
  started: false
  restartCount: 0
  state:
    terminated:
      exitCode: 0
      reason: Completed
      finishedAt: {{ $now | Quote }}
{{ end }}
phase: Succeeded
`,
  },
  [1_000, 5_000],
);

/** A pod being deleted goes away: no kubelet confirms it, so the finalizers are cleared and the object deleted. */
const podDelete = stage("pod-delete", "Pod", [{ key: ".metadata.deletionTimestamp", operator: "Exists" }], {
  finalizers: { empty: true },
  delete: true,
});

/** The default stages, in the order kwokctl writes its own. */
export const DEFAULT_KWOK_STAGES: readonly object[] = [nodeInitialize, nodeHeartbeat, podReady, podComplete, podDelete];
