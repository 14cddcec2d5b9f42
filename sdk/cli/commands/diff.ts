import { Option, type Command } from "commander";
import type { Issue } from "../../errors";
import type { LoadedClusterConfig } from "../../config";
import type { ClusterPlan } from "../../plan/cluster";
import type { SetExitCode } from "./exitCode";

const line = (file: string, i: Issue): string => (i.path ? `${file}: ${i.path}: ${i.message}` : `${file}: ${i.message}`);

/** Loads one side; prints its problems to stderr and returns undefined when it is invalid. */
function load(
  config: typeof import("../../config"),
  check: typeof import("../../plan/check"),
  file: string,
  allowPathsOutside = false,
): (LoadedClusterConfig & { plan: ClusterPlan }) | undefined {
  const r = config.validateClusterConfigFile(file, { allowPathsOutside });
  for (const w of r.warnings) process.stderr.write(`warning: ${line(file, w)}\n`);
  // The plan's checks too: diff refuses what validate, render and KSailCluster refuse.
  const planned = r.ok && r.config ? check.planIssues(r.config) : undefined;
  const issues = planned ? planned.issues : r.issues;
  if (r.config && planned?.plan && issues.length === 0) return { ...r.config, plan: planned.plan };
  for (const i of issues) process.stderr.write(`${line(file, i)}\n`);
  return undefined;
}

/**
 * `ksail-pulumi diff OLD NEW [--output text|json] [--exit-code]`: the update impact of going from the
 * last-applied ksail.yaml (OLD) to the desired one (NEW), classified by the impact table for NEW's
 * distribution × provider, plus (Talos) the machine-config patches under `distributionConfig`. JSON is KSail's shape and the only thing on stdout. Exit codes: 0 ok,
 * 1 invalid input (every problem on stderr), 2 with `--exit-code` when there is any change.
 */
export function registerDiff(program: Command, setExitCode: SetExitCode): void {
  program
    .command("diff")
    .description(
      "Classify the changes between two ksail.yaml files (OLD = last applied, NEW = desired) as in-place, " +
        "reboot-required, rolling-recreate or recreate-required. Exit 0 ok, 1 invalid input, 2 changes (with --exit-code).",
    )
    .argument("<old>", "last-applied ksail.yaml")
    .argument("<new>", "desired ksail.yaml")
    .addOption(
      new Option("-o, --output <format>", "output format (KSail-compatible JSON or a table)").choices(["text", "json"]).default("text"),
    )
    .option("--exit-code", "exit with 2 when there is any change", false)
    .option("--allow-paths-outside", "let the ksail.yaml name files outside its directory (or symbolic links out of it)", false)
    .action(async (oldFile: string, newFile: string, opts: { output: "text" | "json"; exitCode: boolean; allowPathsOutside: boolean }) => {
      // Loaded here, not at the top: the CLI loads only what the command it runs needs.
      const config = await import("../../config");
      const check = await import("../../plan/check");
      const { shortHash } = await import("../../plan/salt");
      const { comboOf, diffSpecs, formatJson, formatText, summarize, talosPatchChanges, withoutMootChanges } = await import("../../impact");
      const before = load(config, check, oldFile, opts.allowPathsOutside);
      const after = load(config, check, newFile, opts.allowPathsOutside);
      if (!before || !after) {
        setExitCode(1);
        return;
      }
      const changes = diffSpecs(before.spec, after.spec);
      if (comboOf(after.spec).startsWith("Talos/")) {
        const side = (c: LoadedClusterConfig) => ({
          patches: c.talosConfigPatches,
          controlPlanes: c.spec.cluster.controlPlanes,
          workers: c.spec.cluster.workers,
        });
        changes.push(...talosPatchChanges(side(before), side(after), after.spec.cluster.talos.version));
      }
      // What the project's files set at create (kind.yaml, k3d.yaml and mirrors, vcluster.yaml): the plan's own key.
      const [a, b] = [before.plan.fileRecreateKey ?? "", after.plan.fileRecreateKey ?? ""];
      if (a !== b)
        changes.push({
          field: "cluster.distributionConfig",
          oldValue: a === "" ? "(sets nothing)" : `(content ${a.slice(0, 8)})`,
          newValue: b === "" ? "(sets nothing)" : `(content ${b.slice(0, 8)})`,
          category: "recreate-required",
          reason: `what ${after.spec.cluster.distributionConfig}${after.plan.docker && after.plan.distribution !== "Talos" ? " and the mirrors" : ""} set is built into the cluster at create; KSailCluster recreates it`,
        });
      // KWOK: the kwok/ folder is the kwok controller's configuration file; a change replaces that one container.
      const [ka, kb] = [before.plan.kwok?.kwokConfig, after.plan.kwok?.kwokConfig];
      if (ka !== undefined && kb !== undefined && ka !== kb)
        changes.push({
          field: "cluster.distributionConfig",
          oldValue: `(kwok.yaml ${shortHash(ka).slice(0, 8)})`,
          newValue: `(kwok.yaml ${shortHash(kb).slice(0, 8)})`,
          category: "in-place",
          reason: `${after.spec.cluster.distributionConfig} is the kwok controller's configuration: ${after.plan.kwokHost ? "its Deployment rolls a new pod" : "its container is replaced"} with the new file; the cluster's objects (in etcd) stay`,
        });
      const summary = summarize(withoutMootChanges(changes));
      process.stdout.write(opts.output === "json" ? formatJson(summary) : formatText(summary, `🔍 Update impact: ${oldFile} → ${newFile}`));
      setExitCode(opts.exitCode && summary.totalChanges > 0 ? 2 : 0);
    });
}
