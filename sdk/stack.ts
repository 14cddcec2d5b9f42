import * as path from "node:path";
import type * as pulumiType from "@pulumi/pulumi";
import { KsailError } from "./errors";
import { isObject } from "./config/expand";
import { loadClusterConfig, type LoadedClusterConfig } from "./config/load";
import { API_VERSION, KIND } from "./config/model";
import { parseClusterDocument } from "./config/parse";

/**
 * Reads the cluster config from Pulumi stack config, for stack-per-environment programs:
 * `ksail:config` = path of a ksail.yaml (relative to the program directory), or `ksail:cluster` = the
 * structured spec (a whole Cluster document, or just its `spec`). Exactly one of the two must be set.
 */
export function clusterConfigFromStack(namespace = "ksail"): LoadedClusterConfig {
  // Loaded on use: the CLI shares this module and must not pay for the Pulumi SDK.
  const pulumi = require("@pulumi/pulumi") as typeof pulumiType;
  const cfg = new pulumi.Config(namespace);
  const file = cfg.get("config");
  const cluster = cfg.getObject<unknown>("cluster");
  if (file !== undefined && cluster !== undefined) {
    throw new KsailError([
      {
        path: `${namespace}:config`,
        message: `both ${namespace}:config and ${namespace}:cluster are set; keep only one (pulumi config rm ${namespace}:cluster)`,
      },
    ]);
  }
  if (file !== undefined) return loadClusterConfig(path.resolve(file));
  if (cluster === undefined) {
    throw new KsailError([
      {
        path: `${namespace}:config`,
        message: `no cluster configuration in this stack; run "pulumi config set ${namespace}:config ksail.yaml" or set ${namespace}:cluster to the spec`,
      },
    ]);
  }
  const doc =
    isObject(cluster) && ("apiVersion" in cluster || "kind" in cluster) ? cluster : { apiVersion: API_VERSION, kind: KIND, spec: cluster };
  const { document, warnings } = parseClusterDocument(doc, { source: `stack config ${namespace}:cluster` });
  return { name: document.metadata.name || undefined, spec: document.spec, warnings };
}
