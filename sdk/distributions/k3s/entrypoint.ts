/**
 * The entrypoint k3s nodes start through: the fixes k3d applies before k3s (k3d-io/k3d pkg/types/fixes: the
 * "mounts" and "dns" fixes, on by default) plus the one-time placement of the cluster CA, then `exec /bin/k3s`, so
 * k3s stays PID 1 and does its own cgroup v2 evacuation (the reason k3d's cgroupv2 fix is not needed here).
 *
 * - Mount propagation: `/` is made a recursively shared mount. Bidirectional mounts (Cilium's BPF filesystem, CSI
 *   node plugins) fail on a private root ("not a shared mount") and Cilium's nodes never get Ready (k3d PR #1268).
 * - DNS: Docker's embedded resolver (127.0.0.11) is a loopback address, which k3s refuses for the kubelet and
 *   replaces by 8.8.8.8 (k3s-io/k3s pkg/agent/config: locateOrGenerateResolvConf); pods then cannot resolve the
 *   other containers of the network (the local registry). The NAT rules Docker installs for 127.0.0.11 are re-aimed
 *   at the network gateway, also for traffic from pods (PREROUTING), and resolv.conf names the gateway.
 * - CA: the CA set is uploaded to a staging directory and copied into `server/tls` only when the data volume has
 *   none yet (the first start of the first server). A replaced container keeps its volume, so the files k3s
 *   compares with its datastore are never rewritten with a newer modification time.
 */

/** Where the wrapper is uploaded (k3d puts its entrypoints in /bin too). */
export const K3S_ENTRYPOINT = "/bin/ksail-entrypoint.sh";
/** Staging directory of the CA set on the first server (not on tmpfs, not in the data volume). */
export const K3S_CA_STAGING_DIR = "/etc/ksail/k3s-ca";

export interface K3sEntrypointInput {
  /** The Docker network's gateway address, which answers DNS for the node and its pods. */
  readonly gateway: string;
  /** The k3s TLS directory (`<data dir>/server/tls`). */
  readonly tlsDir: string;
}

/** The wrapper script (POSIX sh, as the rancher/k3s image ships it). */
export function renderK3sEntrypoint(input: K3sEntrypointInput): string {
  const gw = input.gateway;
  if (!/^\d{1,3}(\.\d{1,3}){3}$/.test(gw)) throw new Error(`internal: gateway ${gw} is not an IPv4 address`);
  return [
    "#!/bin/sh",
    "# KSail k3s node entrypoint: k3d's mount and DNS fixes, the one-time CA placement, then k3s as PID 1.",
    "set -o errexit -o nounset",
    'log() { echo "ksail-entrypoint: $*"; }',
    "",
    "log 'making / a shared mount (bidirectional mounts for CNI and CSI)'",
    "mount --make-rshared /",
    "",
    `GATEWAY=${gw}`,
    "if iptables-save -t nat | grep -q -- '-d 127\\.0\\.0\\.11/32'; then",
    '  log "answering DNS on $GATEWAY instead of Docker\'s loopback resolver"',
    "  iptables-save -t nat | sed \\",
    '    -e "s#-d 127\\.0\\.0\\.11/32#-d ${GATEWAY}/32#g" \\',
    '    -e "s#--to-source :53#--to-source ${GATEWAY}:53#g" \\',
    "    -e 's#^-A OUTPUT \\(.*\\) -j DOCKER_OUTPUT$#&\\n-A PREROUTING \\1 -j DOCKER_OUTPUT#' \\",
    "    | iptables-restore",
    "fi",
    "if grep -q '127\\.0\\.0\\.11' /etc/resolv.conf; then",
    "  # resolv.conf is bind-mounted by Docker: rewrite it in place.",
    `  resolv="$(sed -e 's/127\\.0\\.0\\.11/${gw}/g' /etc/resolv.conf)"`,
    "  printf '%s\\n' \"$resolv\" > /etc/resolv.conf",
    "fi",
    "",
    `if [ -d ${K3S_CA_STAGING_DIR} ] && [ ! -e ${input.tlsDir}/server-ca.crt ]; then`,
    "  log 'placing the cluster CA before the first start'",
    `  mkdir -p ${input.tlsDir}`,
    `  cp -R ${K3S_CA_STAGING_DIR}/. ${input.tlsDir}/`,
    "fi",
    "",
    'exec /bin/k3s "$@"',
    "",
  ].join("\n");
}
