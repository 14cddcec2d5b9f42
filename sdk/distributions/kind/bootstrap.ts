import { KIND_VERSION } from "./kubeadm";

/**
 * The in-node bootstrap that replaces kind's `docker exec` steps (kind v0.32.0, create actions
 * kubeadminit → installcni → installstorage → kubeadmjoin): a oneshot systemd unit, hooked into
 * multi-user.target by a drop-in (uploads cannot create the symlink `systemctl enable` would), runs a script
 * exactly once per node. The first control plane runs `kubeadm init`, then the image's default CNI (unless
 * Cilium/Calico replace it) and default storage; every other node retries `kubeadm join` until the cluster
 * answers. A marker file ends both the unit (ConditionPathExists) and the container healthcheck, so a
 * restarted container never runs init again and Pulumi can order joins by waiting for `healthy`.
 */

/** Paths inside the node. Nothing lives on tmpfs (/run, /tmp): uploads there are lost. */
export const KIND_PATHS = {
  kubeadmConfig: "/kind/kubeadm.conf",
  script: "/usr/local/bin/ksail-bootstrap",
  unit: "/etc/systemd/system/ksail-bootstrap.service",
  dropIn: "/etc/systemd/system/multi-user.target.d/ksail-bootstrap.conf",
  marker: "/kind/ksail-bootstrap.done",
  pkiSeed: "/kind/pki-seed",
  pki: "/etc/kubernetes/pki",
} as const;

export interface BootstrapScriptInput {
  readonly nodeName: string;
  /** `init` on the first control plane, `join` elsewhere. */
  readonly mode: "init" | "join";
  /** Apply `/kind/manifests/default-cni.yaml` (kindnet) after init; false with Cilium or Calico. */
  readonly defaultCni: boolean;
  /** Apply `/kind/manifests/default-storage.yaml` after init. */
  readonly defaultStorage: boolean;
  /** Pod subnet substituted into the kindnet template. */
  readonly podSubnet: string;
  /** `<host>:6443` the kindnet DaemonSet is told to use (CONTROL_PLANE_ENDPOINT). */
  readonly controlPlaneEndpoint: string;
  /** Remove `node.kubernetes.io/exclude-from-external-load-balancers` (clusters without workers). */
  readonly schedulableControlPlanes: boolean;
  /** Join attempts before giving up (10 s apart). */
  readonly joinAttempts?: number;
}

function shq(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The bootstrap script (bash, as the node image ships it). */
export function renderBootstrapScript(input: BootstrapScriptInput): string {
  const P = KIND_PATHS;
  const head = [
    "#!/usr/bin/env bash",
    `# KSail node bootstrap for ${input.nodeName} (${input.mode}); steps follow kind ${KIND_VERSION}.`,
    "set -o errexit -o nounset -o pipefail",
    `MARKER=${P.marker}`,
    'log() { echo "ksail-bootstrap: $*"; }',
    'if [ -f "$MARKER" ]; then log "already bootstrapped"; exit 0; fi',
    "export KUBECONFIG=/etc/kubernetes/admin.conf",
    "# Keep the uploaded CA material so that a failed attempt can be retried after `kubeadm reset`.",
    `if [ -d ${P.pki} ] && [ ! -d ${P.pkiSeed} ]; then cp -a ${P.pki} ${P.pkiSeed}; fi`,
    "# The node image knows its Kubernetes version (/kind/version); make the config agree with it.",
    `if [ -f /kind/version ]; then sed -i "s/^kubernetesVersion: .*/kubernetesVersion: $(cat /kind/version)/" ${P.kubeadmConfig}; fi`,
    "restore_pki() {",
    "  kubeadm reset -f >/dev/null 2>&1 || true",
    `  if [ -d ${P.pkiSeed} ]; then mkdir -p ${P.pki} && cp -a ${P.pkiSeed}/. ${P.pki}/; fi`,
    "}",
  ];
  const attempts = input.joinAttempts ?? 90;
  if (input.mode === "join") {
    return [
      ...head,
      "if [ ! -f /etc/kubernetes/kubelet.conf ]; then",
      "  attempt=1",
      `  until kubeadm join --config ${P.kubeadmConfig} --v=5; do`,
      `    if [ "$attempt" -ge ${attempts} ]; then log "kubeadm join failed ${attempts} times; giving up"; exit 1; fi`,
      '    log "kubeadm join attempt $attempt failed; retrying in 10s"',
      "    attempt=$((attempt + 1))",
      "    restore_pki",
      "    sleep 10",
      "  done",
      "fi",
      'touch "$MARKER"',
      'log "joined"',
      "",
    ].join("\n");
  }
  const lines = [
    ...head,
    "# Never re-run init: /etc/kubernetes survives container restarts.",
    "if [ ! -f /etc/kubernetes/admin.conf ]; then",
    "  attempt=1",
    `  until kubeadm init --config=${P.kubeadmConfig} --skip-token-print --v=5; do`,
    '    if [ "$attempt" -ge 3 ]; then log "kubeadm init failed 3 times; giving up"; exit 1; fi',
    '    log "kubeadm init attempt $attempt failed; retrying"',
    "    attempt=$((attempt + 1))",
    "    restore_pki",
    "    sleep 5",
    "  done",
    "fi",
    'until kubectl get --raw /readyz >/dev/null 2>&1; do log "waiting for the API server"; sleep 2; done',
  ];
  if (input.defaultCni) {
    lines.push(
      "# Default CNI (kindnet): fill the pod subnet into the template, then tell it the control-plane endpoint.",
      `sed -e ${shq(`s#{{ .PodSubnet }}#${input.podSubnet}#g`)} /kind/manifests/default-cni.yaml | kubectl apply -f -`,
      'if grep -q "would you kindly patch this file" /kind/manifests/default-cni.yaml; then',
      `  kubectl -n kube-system set env daemonset/kindnet CONTROL_PLANE_ENDPOINT=${shq(input.controlPlaneEndpoint)}`,
      "fi",
    );
  }
  if (input.defaultStorage) {
    lines.push(
      "# Default storage (local-path-provisioner, StorageClass standard).",
      "kubectl apply -f /kind/manifests/default-storage.yaml",
    );
  }
  if (input.schedulableControlPlanes) {
    lines.push(`kubectl label nodes --all node.kubernetes.io/exclude-from-external-load-balancers- >/dev/null 2>&1 || true`);
  }
  lines.push('touch "$MARKER"', 'log "control plane initialised"', "");
  return lines.join("\n");
}

/** The oneshot unit. Not ordered before kubelet: kubeadm restarts kubelet from inside it. */
export function renderBootstrapUnit(): string {
  return [
    "[Unit]",
    "Description=KSail node bootstrap (kubeadm init or join, once)",
    "After=containerd.service undo-mount-hacks.service",
    "Wants=containerd.service",
    `ConditionPathExists=!${KIND_PATHS.marker}`,
    "",
    "[Service]",
    "Type=oneshot",
    "RemainAfterExit=yes",
    "TimeoutStartSec=1800",
    "Environment=KUBECONFIG=/etc/kubernetes/admin.conf",
    `ExecStart=${KIND_PATHS.script}`,
    "StandardOutput=journal+console",
    "StandardError=journal+console",
    "",
  ].join("\n");
}

/** Drop-in that makes multi-user.target want the unit (the upload-only equivalent of `systemctl enable`). */
export function renderBootstrapDropIn(): string {
  return ["[Unit]", "Wants=ksail-bootstrap.service", ""].join("\n");
}

/** Healthcheck command: healthy once the bootstrap finished on this node. */
export const KIND_HEALTHCHECK: readonly string[] = ["CMD", "test", "-f", KIND_PATHS.marker];
