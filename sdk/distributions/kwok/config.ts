/**
 * The kwok controller's configuration file (`/root/.kwok/kwok.yaml`): what kwokctl's `Save` writes there
 * (sigs.k8s.io/kwok v0.8.0 pkg/kwokctl/runtime/cluster.go) from the `--config` objects — the project's `kwok/`
 * folder as KSail passes it: the stages (or, when the folder brings none, the defaults), the Logs/Exec/Attach/
 * PortForward objects and their Cluster variants, a KwokConfiguration. kwokctl's own KwokctlConfiguration is not
 * passed on: this package is what stands in for kwokctl.
 */
import * as YAML from "yaml";
import type { Issue } from "../../errors";
import { DEFAULT_KWOK_STAGES } from "./stages";

const KWOK_API = "kwok.x-k8s.io/v1alpha1";
const CONFIG_API = "config.kwok.x-k8s.io/v1alpha1";
/** The kinds kwok's controller reads from its configuration file (pkg/config: the types kwokctl's Save passes on). */
const CONTROLLER_KINDS = new Set([
  "Stage",
  "Attach",
  "ClusterAttach",
  "Exec",
  "ClusterExec",
  "Logs",
  "ClusterLogs",
  "PortForward",
  "ClusterPortForward",
]);

export interface KwokObject {
  readonly apiVersion?: unknown;
  readonly kind?: unknown;
  readonly [k: string]: unknown;
}

/** What each object of the `kwok/` folder is to the controller; an issue per object it would not take. */
export function kwokObjectIssues(objects: readonly { object: unknown; source: string }[]): Issue[] {
  const issues: Issue[] = [];
  for (const { object, source } of objects) {
    const o = (object ?? {}) as KwokObject;
    const kind = typeof o.kind === "string" ? o.kind : "";
    if (o.apiVersion === KWOK_API && CONTROLLER_KINDS.has(kind)) continue;
    if (o.apiVersion === CONFIG_API && kind === "KwokConfiguration") continue;
    const what = kind === "" ? "an object without a kind" : `${String(o.apiVersion)} ${kind}`;
    issues.push({
      path: source,
      message:
        o.apiVersion === CONFIG_API && kind === "KwokctlConfiguration"
          ? "is a KwokctlConfiguration: it configures kwokctl, which KSailCluster stands in for; set the cluster through ksail.yaml and remove it"
          : `is ${what}; the kwok controller reads ${KWOK_API} ${[...CONTROLLER_KINDS].join(", ")} and ${CONFIG_API} KwokConfiguration: remove it or move it to the workloads`,
    });
  }
  return issues;
}

/**
 * kwok.yaml for the folder's objects, as kwokctl writes it: the KwokConfigurations, then the stages (the defaults
 * when the folder has none: a single stage of the project's replaces them all, as in kwokctl), then the rest in the
 * folder's order.
 */
export function renderKwokConfig(objects: readonly unknown[]): string {
  const os = objects as KwokObject[];
  const configs = os.filter((o) => o.kind === "KwokConfiguration");
  const stages = os.filter((o) => o.kind === "Stage");
  const rest = os.filter((o) => o.kind !== "KwokConfiguration" && o.kind !== "Stage");
  const docs = [...configs, ...(stages.length > 0 ? stages : DEFAULT_KWOK_STAGES), ...rest];
  return docs.map((d) => YAML.stringify(d, { lineWidth: 0 })).join("---\n");
}
