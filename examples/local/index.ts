// The reference local cluster: everything it is comes from ksail.yaml beside this file.
import { KSailCluster, loadClusterConfig } from "@ksail/pulumi";

const cluster = new KSailCluster("local", loadClusterConfig("ksail.yaml"));

/** Admin kubeconfig (secret): `pulumi stack output kubeconfig --show-secrets > kubeconfig`. */
export const kubeconfig = cluster.kubeconfig;
/** Admin talosconfig (secret). */
export const talosconfig = cluster.talosconfig;
export const endpoint = cluster.endpoint;
export const nodes = cluster.nodes;
export const versions = cluster.versions;
/** Secret-free machine configs, for review. */
export const renderedConfigs = cluster.renderedConfigs;
/** Impact of the last spec change (KSail JSON shape). */
export const impact = cluster.impact;
