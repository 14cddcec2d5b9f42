/**
 * The server load balancer in front of several K3s servers, as k3d runs it (`<cluster>-serverlb`): k3d's proxy
 * image (nginx with confd) reads its upstreams from a YAML file, `ports: {"<port>.<proto>": [node names]}` plus
 * `settings.workerConnections`, and renders nginx `stream` upstreams from it (k3d-io/k3d pkg/types/loadbalancer.go,
 * pkg/client/loadbalancer.go LoadbalancerGenerateConfig, proxy/templates/nginx.tmpl). Pure.
 */
import * as YAML from "yaml";

/** Where k3d's proxy image reads its configuration (k3d's DefaultLoadbalancerConfigPath). */
export const K3D_PROXY_CONFIG_PATH = "/etc/confd/values.yaml";

/** nginx worker connections k3d starts from (DefaultLoadbalancerWorkerConnections), plus one per proxied port × server. */
export const K3D_PROXY_WORKER_CONNECTIONS = 1024;

/** The proxy configuration: the API port (6443/tcp) to every server, as k3d generates it for a new cluster. */
export function renderK3dProxyConfig(input: { readonly servers: readonly string[] }): string {
  const ports: Record<string, string[]> = { "6443.tcp": [...input.servers] };
  return YAML.stringify({ ports, settings: { workerConnections: K3D_PROXY_WORKER_CONNECTIONS } });
}
