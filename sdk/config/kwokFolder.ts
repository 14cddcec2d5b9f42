/**
 * A KWOK project's `kwok/` folder (KSail's distribution config): a kustomization whose `resources` are the files of
 * kwok controller objects (KSail scaffolds `simulation.yaml` with ClusterLogs, ClusterExec, ClusterAttach and
 * ClusterPortForward, and two chaos stages to opt into). kwokctl hands the folder to kustomize; this reader takes
 * the part of kustomize such a folder uses — a `resources` list of files inside the folder — and refuses the rest by
 * name rather than building something else than kustomize would.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as YAML from "yaml";
import type { Issue } from "../errors";
import { kwokObjectIssues } from "../distributions/kwok/config";
import { yamlValue } from "./yamlValue";

export interface KwokFolderObject {
  readonly object: unknown;
  /** `kwok/simulation.yaml#2`: the file relative to the ksail.yaml and the document's position. */
  readonly source: string;
}

const KUSTOMIZATIONS = ["kustomization.yaml", "kustomization.yml", "Kustomization"];
const KUSTOMIZE_FIELDS = new Set(["apiVersion", "kind", "resources"]);

/**
 * The folder's objects in kustomize's order, or issues. `read` returns a file's text (`${VAR}` expanded) or
 * undefined after recording an issue; `outside` says whether a path leaves the ksail.yaml's directory.
 */
export function readKwokFolder(
  dir: string,
  baseDir: string,
  read: (file: string, source: string) => string | undefined,
  outside: (source: string) => Issue | undefined,
): { objects: KwokFolderObject[]; issues: Issue[]; warnings: Issue[] } {
  const issues: Issue[] = [];
  const rel = (p: string) => path.relative(baseDir, p).split(path.sep).join("/") || ".";
  const name = KUSTOMIZATIONS.find((n) => fs.existsSync(path.join(dir, n)));
  if (!name)
    return {
      objects: [],
      issues: [
        {
          path: rel(dir),
          message: "has no kustomization.yaml; list the kwok objects' files under `resources:` as `ksail init` scaffolds it",
        },
      ],
      warnings: [],
    };
  const kSource = rel(path.join(dir, name));
  const text = read(path.join(dir, name), kSource);
  if (text === undefined) return { objects: [], issues, warnings: [] };
  const k = YAML.parse(text) as Record<string, unknown> | null;
  if (!k || typeof k !== "object" || Array.isArray(k))
    return { objects: [], issues: [{ path: kSource, message: "is not a kustomization (a mapping)" }], warnings: [] };
  for (const key of Object.keys(k))
    if (!KUSTOMIZE_FIELDS.has(key))
      issues.push({
        path: `${kSource}: ${key}`,
        message: "is a kustomize feature KSailCluster does not apply to the kwok configuration; list plain files under resources: instead",
      });
  const resources = k.resources ?? [];
  if (!Array.isArray(resources) || resources.some((r) => typeof r !== "string")) {
    issues.push({ path: `${kSource}: resources`, message: "must be a list of file names" });
    return { objects: [], issues, warnings: [] };
  }
  const objects: KwokFolderObject[] = [];
  resources.forEach((r: string, i) => {
    const file = path.resolve(dir, r);
    const source = rel(file);
    const where = `${kSource}: resources[${i}]`;
    const out = outside(source);
    if (out) return issues.push({ ...out, path: where });
    if (/^[a-z]+:\/\//i.test(r) || !fs.existsSync(file) || !fs.statSync(file).isFile())
      return issues.push({ path: where, message: `"${r}" is not a file in ${rel(dir)}; name a YAML file beside the kustomization` });
    const body = read(file, source);
    if (body === undefined) return;
    YAML.parseAllDocuments(body).forEach((d, n) => {
      const errors = "errors" in d ? d.errors : [];
      if (errors.length > 0) return issues.push({ path: source, message: `YAML syntax error: ${errors[0].message.split("\n")[0]}` });
      const v = yamlValue(d);
      if ("error" in v) return issues.push({ path: source, message: v.error });
      if (v.value === null || v.value === undefined) return; // an empty document (comments only)
      objects.push({ object: v.value, source: `${source}#${n + 1}` });
    });
  });
  issues.push(...kwokObjectIssues(objects));
  // kwokctl writes its default stages only when the configuration brings none (pkg/kwokctl/runtime/cluster.go Save).
  const stages = objects.filter((o) => (o.object as { kind?: unknown } | null)?.kind === "Stage");
  const warnings: Issue[] =
    stages.length === 0
      ? []
      : [
          {
            path: kSource,
            message: `brings ${stages.length} Stage object(s) (${stages.map((o) => o.source).join(", ")}); as with kwokctl they replace the default node and pod stages (node-initialize, node-heartbeat-with-lease, pod-ready, pod-complete, pod-delete), so nodes and pods only go through the stages listed here; list stages for those too if they should still become Ready`,
          },
        ];
  return { objects, issues, warnings };
}
