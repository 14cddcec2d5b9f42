// One program, one stack per environment: staging runs ksail.prod.yaml as written; prod pins exactly the
// versions staging exported (promotion of what staging validated) and is protected against recreation.
import * as pulumi from "@pulumi/pulumi";
import { KSailCluster, KsailError, loadClusterConfig, pinnedVersionArgs, type ClusterVersions } from "@ksail/pulumi";

export = async () => {
  const config = new pulumi.Config();
  const loaded = loadClusterConfig("ksail.prod.yaml");
  let spec = loaded.spec;
  let components = {};

  const promoteFrom = config.get("promoteFrom");
  if (promoteFrom) {
    const upstream = new pulumi.StackReference("promote-from", { name: promoteFrom });
    const pinned = (await upstream.getOutputDetails("versions")).value as ClusterVersions | undefined;
    if (!pinned) {
      throw new KsailError([
        { path: "ksail-prod:promoteFrom", message: `stack ${promoteFrom} has no "versions" output; run pulumi up on it first` },
      ]);
    }
    ({ spec, components } = pinnedVersionArgs(spec, pinned));
  }

  const cluster = new KSailCluster("prod", {
    ...loaded,
    spec,
    name: config.require("clusterName"),
    components,
    protect: config.requireBoolean("protect"),
    hetznerEndpoint: "load-balancer",
    hcloudToken: config.requireSecret("hcloudToken"),
    registryCredentials: {
      server: "ghcr.io",
      username: config.require("registryUsername"),
      password: config.requireSecret("registryToken"),
    },
  });

  return {
    kubeconfig: cluster.kubeconfig,
    talosconfig: cluster.talosconfig,
    endpoint: cluster.endpoint,
    nodes: cluster.nodes,
    /** What prod promotes: Talos, Kubernetes and chart versions. */
    versions: cluster.versions,
    renderedConfigs: cluster.renderedConfigs,
    impact: cluster.impact,
  };
};
