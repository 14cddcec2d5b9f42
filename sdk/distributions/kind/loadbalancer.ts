import * as YAML from "yaml";

/**
 * The API load balancer kind (v0.32.0) puts in front of several control planes: envoy, a TCP listener on 6443
 * proxying round-robin to every control plane's `<name>:6443` (resolved by Docker DNS), with a health check.
 * Kind writes file-based CDS/LDS after start; the names are known up front here, so a static bootstrap is
 * uploaded before the container starts and never changes for the life of the cluster.
 */
export interface EnvoyConfigInput {
  readonly clusterName: string;
  /** LB container name (envoy node id). */
  readonly name: string;
  /** Control-plane container names. */
  readonly controlPlanes: readonly string[];
}

/** Where the bootstrap is uploaded, and the command that runs it. */
export const ENVOY_CONFIG_PATH = "/etc/envoy/ksail-envoy.yaml";
export const ENVOY_COMMAND: readonly string[] = ["envoy", "-c", ENVOY_CONFIG_PATH];

export function envoyConfigObject(input: EnvoyConfigInput): Record<string, unknown> {
  return {
    node: { cluster: input.clusterName, id: input.name },
    admin: { address: { socket_address: { address: "0.0.0.0", port_value: 10000 } } },
    static_resources: {
      listeners: [
        {
          name: "listener_apiserver",
          address: { socket_address: { address: "0.0.0.0", port_value: 6443 } },
          filter_chains: [
            {
              filters: [
                {
                  name: "envoy.filters.network.tcp_proxy",
                  typed_config: {
                    "@type": "type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy",
                    stat_prefix: "ingress_tcp",
                    cluster: "kube_apiservers",
                  },
                },
              ],
            },
          ],
        },
      ],
      clusters: [
        {
          name: "kube_apiservers",
          connect_timeout: "2s",
          type: "STRICT_DNS",
          lb_policy: "ROUND_ROBIN",
          health_checks: [
            {
              timeout: "1s",
              interval: "2s",
              unhealthy_threshold: 2,
              healthy_threshold: 1,
              tcp_health_check: {},
            },
          ],
          load_assignment: {
            cluster_name: "kube_apiservers",
            endpoints: [
              {
                lb_endpoints: input.controlPlanes.map((cp) => ({
                  endpoint: { address: { socket_address: { address: cp, port_value: 6443 } } },
                })),
              },
            ],
          },
        },
      ],
    },
  };
}

/** The envoy bootstrap YAML. */
export function renderEnvoyConfig(input: EnvoyConfigInput): string {
  return YAML.stringify(envoyConfigObject(input), { lineWidth: 0 });
}
