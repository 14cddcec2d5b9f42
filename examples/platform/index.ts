// KSail's reference architecture: one program, a stack per environment. The stack's config names its ksail.yaml;
// prod adds what must not live in a file (tokens) and takes over the push to the shared registry.
import * as pulumi from "@pulumi/pulumi";
import { KSailCluster, loadClusterConfig } from "@ksail/pulumi";

const config = new pulumi.Config();
const file = config.get("ksailFile") ?? "ksail.yaml";
const prod = file === "ksail.prod.yaml";

const cluster = new KSailCluster(pulumi.getStack(), {
  ...loadClusterConfig(file),
  ...(prod
    ? {
        protect: true,
        hetznerEndpoint: "load-balancer" as const,
        hcloudToken: config.requireSecret("hcloudToken"),
        registryCredentials: {
          server: "ghcr.io",
          username: config.get("registryUsername") ?? "ci",
          password: config.requireSecret("registryToken"),
        },
        // The external registry's tag is this stack's: it pushes k8s/ there and pins Flux to the digest.
        pushWorkload: true,
      }
    : {}),
});

export const kubeconfig = cluster.kubeconfig;
export const endpoint = cluster.endpoint;
export const nodes = cluster.nodes;
export const versions = cluster.versions;
/** The digest of the manifests this stack pushed and Flux runs. */
export const workloadDigest = cluster.workloadArtifact?.digest;
