import { KIND_VERSION } from "./kubeadm";

/**
 * The in-node bootstrap that replaces kind's `docker exec` steps (kind v0.32.0, create actions kubeadminit and
 * kubeadmjoin): a oneshot systemd unit, hooked into multi-user.target by a drop-in (uploads cannot create the symlink
 * `systemctl enable` would), runs a script per node until it succeeds. The first control plane runs `kubeadm init`,
 * every other node retries `kubeadm join` until the cluster answers. kind's installcni/installstorage steps are not
 * here: kindnet and the default storage are Kubernetes objects managed from Pulumi, so switching them touches no node.
 *
 * Resumable: a step marker is written only when kubeadm finished, so an attempt that stopped half-way (even after
 * writing admin.conf or kubelet.conf) is reset and run again, never skipped; the unit restarts on failure (systemd
 * `Restart=on-failure`), so a transient error after init is retried without a new `pulumi up`. A final marker ends
 * the unit (ConditionPathExists) and the container healthcheck, so Pulumi can order joins by waiting for `healthy`.
 */

/** Paths inside the node. Nothing lives on tmpfs (/run, /tmp): uploads there are lost. */
export const KIND_PATHS = {
  kubeadmConfig: "/kind/kubeadm.conf",
  script: "/usr/local/bin/ksail-bootstrap",
  unit: "/etc/systemd/system/ksail-bootstrap.service",
  dropIn: "/etc/systemd/system/multi-user.target.d/ksail-bootstrap.conf",
  marker: "/kind/ksail-bootstrap.done",
  kubeadmMarker: "/kind/ksail-kubeadm.done",
  pkiSeed: "/kind/pki-seed",
  pki: "/etc/kubernetes/pki",
  containerdConfig: "/etc/containerd/config.toml",
} as const;

/**
 * containerd's image-verifier bindir plugin (containerd 2.x, `plugins."io.containerd.image-verifier.v1.bindir"`):
 * every verifier executable in `bin_dir` is asked before an image is pulled. The node image brings the verifiers.
 */
export const IMAGE_VERIFIER = { table: 'plugins."io.containerd.image-verifier.v1.bindir"', binDir: "/opt/image-verifier/bin" } as const;

/** The kubeadm-written label that keeps control planes out of external load balancers. */
export const EXCLUDE_LB_LABEL = "node.kubernetes.io/exclude-from-external-load-balancers";

export interface BootstrapScriptInput {
  readonly nodeName: string;
  /** `init` on the first control plane, `join` elsewhere. */
  readonly mode: "init" | "join";
  /** A control plane (init, or join with `--control-plane` through the JoinConfiguration). */
  readonly controlPlane: boolean;
  /**
   * Clusters without workers: each control plane removes kubeadm's exclude-from-external-load-balancers label from
   * itself once it is in the cluster (kind does it for single-node clusters; every control plane must lose it, or
   * LoadBalancer Services have no backends on the ones that keep it).
   */
  readonly schedulableControlPlanes: boolean;
  /**
   * Switch containerd's image-verifier plugin on before kubeadm pulls anything, as kind applies a
   * `containerdConfigPatches` entry (pkg/cluster/internal/create/actions/config: patch config.toml, restart
   * containerd when it runs). @default false
   */
  readonly imageVerification?: boolean;
  /** Join attempts before the script fails (10 s apart); the unit then restarts it. */
  readonly joinAttempts?: number;
  /** Seconds to wait for the local API server after init before failing (the unit restarts). */
  readonly readyTimeoutSeconds?: number;
}

/** Appends the image-verifier table to containerd's config once (a new table merges into TOML by itself) and restarts it. */
function imageVerifierLines(): string[] {
  const c = KIND_PATHS.containerdConfig;
  const table = [
    "",
    `[${IMAGE_VERIFIER.table}]`,
    `  bin_dir = "${IMAGE_VERIFIER.binDir}"`,
    "  max_verifiers = 10",
    '  per_verifier_timeout = "10s"',
  ];
  return [
    `if ! grep -qF 'io.containerd.image-verifier.v1.bindir' ${c}; then`,
    '  log "switching on containerd\'s image verifier"',
    `  printf '%s\\n' ${table.map((l) => `'${l}'`).join(" ")} >> ${c}`,
    "  ! pgrep --exact containerd >/dev/null || systemctl restart containerd",
    "fi",
  ];
}

/** The bootstrap script (bash, as the node image ships it). */
export function renderBootstrapScript(input: BootstrapScriptInput): string {
  const P = KIND_PATHS;
  const attempts = input.joinAttempts ?? 90;
  const readyTimeout = input.readyTimeoutSeconds ?? 300;
  const init = input.mode === "init";
  const kubeadm = init
    ? `kubeadm init --config=${P.kubeadmConfig} --skip-token-print --v=5`
    : `kubeadm join --config ${P.kubeadmConfig} --v=5`;
  const lines = [
    "#!/usr/bin/env bash",
    `# KSail node bootstrap for ${input.nodeName} (${input.mode}); steps follow kind ${KIND_VERSION}. Safe to run again.`,
    "set -o errexit -o nounset -o pipefail",
    'log() { echo "ksail-bootstrap: $*"; }',
    `if [ -f ${P.marker} ]; then log "already bootstrapped"; exit 0; fi`,
    "export KUBECONFIG=/etc/kubernetes/admin.conf",
    ...(input.imageVerification ? imageVerifierLines() : []),
    "# Keep the uploaded CA material so that a failed attempt can be retried after `kubeadm reset`.",
    `if [ -d ${P.pki} ] && [ ! -d ${P.pkiSeed} ]; then cp -a ${P.pki} ${P.pkiSeed}; fi`,
    "# The node image knows its Kubernetes version (/kind/version); make the config agree with it.",
    `if [ -f /kind/version ]; then sed -i "s/^kubernetesVersion: .*/kubernetesVersion: $(cat /kind/version)/" ${P.kubeadmConfig}; fi`,
    "reset_node() {",
    "  kubeadm reset -f >/dev/null 2>&1 || true",
    `  if [ -d ${P.pkiSeed} ]; then mkdir -p ${P.pki} && cp -a ${P.pkiSeed}/. ${P.pki}/; fi`,
    "}",
    `if [ ! -f ${P.kubeadmMarker} ]; then`,
    "  # No finished kubeadm run on record: whatever an earlier attempt left behind is reset, never trusted.",
    "  if [ -e /etc/kubernetes/admin.conf ] || [ -e /etc/kubernetes/kubelet.conf ] || [ -d /etc/kubernetes/manifests ]; then",
    '    log "an earlier attempt stopped half-way; resetting"',
    "    reset_node",
    "  fi",
    "  attempt=1",
    `  until ${kubeadm}; do`,
    `    if [ "$attempt" -ge ${init ? 3 : attempts} ]; then log "kubeadm ${input.mode} failed $attempt times; the unit retries"; exit 1; fi`,
    `    log "kubeadm ${input.mode} attempt $attempt failed; retrying"`,
    "    attempt=$((attempt + 1))",
    "    reset_node",
    `    sleep ${init ? 5 : 10}`,
    "  done",
    `  touch ${P.kubeadmMarker}`,
    "fi",
  ];
  if (input.controlPlane) {
    lines.push(
      `deadline=$(( $(date +%s) + ${readyTimeout} ))`,
      "until kubectl get --raw /readyz >/dev/null 2>&1; do",
      `  if [ "$(date +%s)" -ge "$deadline" ]; then log "API server not ready after ${readyTimeout}s; the unit retries"; exit 1; fi`,
      '  log "waiting for the API server"',
      "  sleep 2",
      "done",
    );
    if (input.schedulableControlPlanes) {
      lines.push(
        "# No workers: this control plane must serve LoadBalancer traffic too.",
        `kubectl label node ${input.nodeName} ${EXCLUDE_LB_LABEL}- >/dev/null`,
      );
    }
  }
  lines.push(`touch ${P.marker}`, `log "${init ? "control plane initialised" : "joined"}"`, "");
  return lines.join("\n");
}

/** The oneshot unit. Not ordered before kubelet: kubeadm restarts kubelet from inside it. Restarted on failure. */
export function renderBootstrapUnit(): string {
  return [
    "[Unit]",
    "Description=KSail node bootstrap (kubeadm init or join, once)",
    "After=containerd.service undo-mount-hacks.service",
    "Wants=containerd.service",
    `ConditionPathExists=!${KIND_PATHS.marker}`,
    // Retry for as long as it takes: each run resumes where the last one stopped.
    "StartLimitIntervalSec=0",
    "",
    "[Service]",
    "Type=oneshot",
    "RemainAfterExit=yes",
    "Restart=on-failure",
    "RestartSec=10",
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
