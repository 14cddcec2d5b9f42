import { Option, type Command } from "commander";
import type { SetExitCode } from "./exitCode";

interface ValidateFlags {
  config?: string;
  allowPathsOutside: boolean;
  strict: boolean;
  ignoreMissingSchemas: boolean;
  skipSecrets: boolean;
  skipKinds?: string;
  crd: string[];
  output: "text" | "json";
}

/**
 * `spec.workload` of `--config` or of ./ksail.yaml when there is one; undefined without a file (the commands then
 * use KSail's defaults), null when the file is invalid (its problems printed, exit 2). The config model (zod) is
 * loaded only when there is a file.
 */
async function workloadConfig(
  flags: { config?: string; allowPathsOutside: boolean },
  setExitCode: SetExitCode,
): Promise<import("../../config").WorkloadSpec | undefined | null> {
  const fs = await import("node:fs");
  const configFile = flags.config ?? (fs.existsSync("ksail.yaml") ? "ksail.yaml" : undefined);
  if (!configFile) return undefined;
  const { validateClusterConfigFile } = await import("../../config");
  const r = validateClusterConfigFile(configFile, { allowPathsOutside: flags.allowPathsOutside });
  if (r.ok && r.config) return r.config.spec.workload;
  for (const i of r.issues) process.stderr.write(`${configFile}: ${i.path ? `${i.path}: ` : ""}${i.message}\n`);
  setExitCode(2);
  return null;
}

/**
 * `ksail-pulumi workload validate [PATH...]`: the manifests of `spec.workload.sourceDirectory` (or the given paths)
 * checked offline against the Kubernetes schemas shipped with the package and the CRDs in the tree. Exit 0 when
 * valid, 1 when a manifest is invalid, 2 when the ksail.yaml it reads is.
 */
export function registerWorkload(program: Command, setExitCode: SetExitCode): void {
  const workload = program.command("workload").description("Check the workload manifests a GitOps engine will apply");
  workload
    .command("validate")
    .description(
      "Validate manifests offline: every YAML document against the Kubernetes schemas shipped with the package (or the " +
        "CustomResourceDefinitions in the tree), kustomization references, Flux ${VAR} placeholders. Prints FILE:LINE: KIND NAME PATH: " +
        "message; exit 0 when valid, 1 when not, 2 when the ksail.yaml is invalid.",
    )
    .argument("[path...]", "files or directories (default: spec.workload.sourceDirectory of the ksail.yaml, else k8s)")
    .option("-c, --config <file>", "ksail.yaml whose spec.workload is used (default: ./ksail.yaml when it exists)")
    .option("--allow-paths-outside", "let the ksail.yaml name files outside its directory (or symbolic links out of it)", false)
    .option("--strict", "reject fields the schema does not define", false)
    .option("--ignore-missing-schemas", "skip kinds without a schema instead of failing", false)
    .option("--no-skip-secrets", "validate Secrets too (skipped by default: SOPS-encrypted Secrets do not match the schema)")
    .option("--skip-kinds <kinds>", "comma-separated kinds not to check (Kind or group/version/Kind)")
    .option(
      "--crd <file>",
      "a file of CustomResourceDefinitions whose schemas check their resources (repeatable)",
      (v: string, acc: string[]) => [...acc, v],
      [] as string[],
    )
    .addOption(new Option("-o, --output <format>", "output format").choices(["text", "json"]).default("text"))
    .action(async (paths: string[], flags: ValidateFlags) => {
      const loaded = await workloadConfig(flags, setExitCode);
      if (loaded === null) return;
      const sourceDirectory = loaded?.sourceDirectory ?? "k8s";
      const skipKinds = [...(loaded?.validation.skipKinds ?? [])];
      if (flags.skipKinds)
        skipKinds.push(
          ...flags.skipKinds
            .split(",")
            .map((k) => k.trim())
            .filter((k) => k !== ""),
        );
      const { validateManifests, formatIssues } = await import("../../workload/validate");
      const result = validateManifests(paths.length > 0 ? paths : [sourceDirectory], {
        strict: flags.strict,
        ignoreMissingSchemas: flags.ignoreMissingSchemas,
        skipSecrets: flags.skipSecrets,
        skipKinds,
        crdFiles: flags.crd,
      });
      const valid = result.issues.length === 0;
      if (flags.output === "json") process.stdout.write(`${JSON.stringify({ valid, ...result }, null, 2)}\n`);
      else {
        if (!valid) process.stdout.write(`${formatIssues(result)}\n`);
        process.stdout.write(
          `${valid ? "valid" : `${result.issues.length} problem${result.issues.length === 1 ? "" : "s"}`}: ${result.documents} document${result.documents === 1 ? "" : "s"} in ${result.files} file${result.files === 1 ? "" : "s"}, ${result.validated} checked against Kubernetes ${result.kubernetesVersion} schemas or CRDs, ${result.skipped.length} skipped\n`,
        );
      }
      setExitCode(valid ? 0 : 1);
    });

  workload
    .command("scan")
    .description(
      "Scan manifests offline with the NSA hardening controls that manifests show (Kubescape's control IDs), report a compliance " +
        "score, and fail below the threshold. Exit 0 at or above it, 1 below, 2 for an invalid ksail.yaml, exceptions file or framework.",
    )
    .argument("[path...]", "files or directories (default: spec.workload.sourceDirectory of the ksail.yaml, else k8s)")
    .option("-c, --config <file>", "ksail.yaml whose spec.workload is used (default: ./ksail.yaml when it exists)")
    .option("--allow-paths-outside", "let the ksail.yaml name files outside its directory (or symbolic links out of it)", false)
    .option("--framework <name>", "framework (only nsa is available offline)")
    .option("--compliance-threshold <score>", "minimum compliance score 0-100 (default: spec.workload.scan.complianceThreshold)")
    .option("--exceptions <file>", "Kubescape exceptions file (default: spec.workload.scan.exceptions)")
    .addOption(new Option("-f, --format <format>", "report format").choices(["pretty", "json", "sarif", "junit"]).default("pretty"))
    .option("-o, --output <file>", "write the report here instead of stdout")
    .action(
      async (
        paths: string[],
        flags: {
          config?: string;
          allowPathsOutside: boolean;
          framework?: string;
          complianceThreshold?: string;
          exceptions?: string;
          format: string;
          output?: string;
        },
      ) => {
        const fs = await import("node:fs");
        const loaded = await workloadConfig(flags, setExitCode);
        if (loaded === null) return;
        const sourceDirectory = loaded?.sourceDirectory ?? "k8s";
        const scan = loaded?.scan ?? { exceptions: "", frameworks: [], complianceThreshold: 0 };
        const threshold = flags.complianceThreshold !== undefined ? Number(flags.complianceThreshold) : scan.complianceThreshold;
        if (!Number.isFinite(threshold) || threshold < 0 || threshold > 100) {
          process.stderr.write(`--compliance-threshold: "${flags.complianceThreshold}" is not a number from 0 to 100\n`);
          setExitCode(2);
          return;
        }
        const s = await import("../../workload/scan");
        const frameworks = flags.framework ? [flags.framework] : scan.frameworks.length > 0 ? scan.frameworks : ["nsa"];
        const unknown = frameworks.filter((f) => !s.FRAMEWORKS[f.toLowerCase()]);
        if (unknown.length > 0) {
          process.stderr.write(
            `framework ${unknown.join(", ")} is not available offline (available: ${Object.keys(s.FRAMEWORKS).join(", ")}); Kubescape's mitre, cis and pss frameworks need Kubescape\n`,
          );
          setExitCode(2);
          return;
        }
        const exceptionsFile = flags.exceptions ?? (scan.exceptions || undefined);
        let exceptions: import("../../workload/scan").PostureException[] = [];
        if (exceptionsFile) {
          try {
            const parsed = JSON.parse(fs.readFileSync(exceptionsFile, "utf8")) as unknown;
            if (!Array.isArray(parsed)) throw new Error("must be a JSON array of posture exceptions");
            exceptions = parsed as typeof exceptions;
          } catch (e) {
            process.stderr.write(`exceptions file ${exceptionsFile}: ${(e as Error).message}\n`);
            setExitCode(2);
            return;
          }
        }
        let resources: import("../../workload/scan").ScanResource[];
        try {
          resources = s.readResources(paths.length > 0 ? paths : [sourceDirectory]);
        } catch (e) {
          process.stderr.write(`${(e as Error).message}\n`);
          setExitCode(2);
          return;
        }
        const results = frameworks.map((f) => s.scanResources(resources, { framework: f, exceptions }));
        const report = await import("../../workload/scanReport");
        const text =
          flags.format === "json"
            ? JSON.stringify({ complianceThreshold: threshold, results }, null, 2)
            : flags.format === "sarif"
              ? report.formatSarif(results[0])
              : flags.format === "junit"
                ? report.formatJunit(results[0])
                : results.map((r) => report.formatPretty(r)).join("\n\n");
        if (flags.output) fs.writeFileSync(flags.output, `${text}\n`);
        else process.stdout.write(`${text}\n`);
        const below = results.filter((r) => r.complianceScore < threshold);
        for (const r of below)
          process.stderr.write(`compliance score ${r.complianceScore}% (${r.framework}) is below the threshold ${threshold}%\n`);
        setExitCode(below.length > 0 ? 1 : 0);
      },
    );
}
