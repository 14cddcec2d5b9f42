// One preview environment per stack: the stack name (pr-<number>) names the vCluster, so every pull request gets its
// own cluster in its own namespace of the shared host, and `pulumi destroy` removes exactly that one.
import * as pulumi from "@pulumi/pulumi";
import { KSailCluster, loadClusterConfig } from "@ksail/pulumi";

const config = new pulumi.Config("ksail");
const cluster = new KSailCluster(pulumi.getStack(), {
  ...loadClusterConfig("ksail.yaml"),
  name: pulumi.getStack(),
  hostExposure: config.get("hostExposure") === "NodePort" ? "NodePort" : "LoadBalancer",
});

/** The preview cluster's admin kubeconfig (secret), for the CI job that deploys into it. */
export const kubeconfig = cluster.kubeconfig;
export const endpoint = cluster.endpoint;
export const clusterName = cluster.clusterName;
export const versions = cluster.versions;
/** Impact of the last spec change (KSail JSON shape). */
export const impact = cluster.impact;
