import type { Command } from "commander";
import type { Issue } from "../../errors";
import type { SetExitCode } from "./exitCode";

const line = (file: string, i: Issue): string => (i.path ? `${file}: ${i.path}: ${i.message}` : `${file}: ${i.message}`);

/**
 * `ksail-pulumi render FILE [--out DIR] [--with-secrets]`: writes what the cluster of a ksail.yaml would get —
 * Talos machine configs per node, Kind/k3s node files, Helm values per component, GitOps objects and the node
 * list (`cluster.json`) — without a Pulumi runtime. Secret-free unless `--with-secrets`, which generates a
 * throwaway identity (not the cluster's) and writes complete configs with mode 0600. Exit 0, or 1 for an
 * invalid file (every problem on stderr).
 */
export function registerRender(program: Command, setExitCode: SetExitCode): void {
  program
    .command("render")
    .description(
      "Write the exact configs a ksail.yaml's cluster would get (Talos machine configs per node, kubeadm/k3s files, Helm values, " +
        "GitOps objects, node list) into DIR. Secret-free by default; --with-secrets writes complete configs from a throwaway identity.",
    )
    .argument("<file>", "ksail.yaml")
    .option("--out <dir>", "output directory: new, empty, or an earlier rendering (replaced)", "rendered")
    .option("--force", "write into a non-empty directory that holds no earlier rendering", false)
    .option("--allow-paths-outside", "let the ksail.yaml name files outside its directory (or symbolic links out of it)", false)
    .option("--with-secrets", "generate a throwaway secrets bundle and write complete configs (mode 0600)", false)
    .action(async (file: string, opts: { out: string; withSecrets: boolean; force: boolean; allowPathsOutside: boolean }) => {
      const { validateClusterConfigFile } = await import("../../config");
      const r = validateClusterConfigFile(file, { allowPathsOutside: opts.allowPathsOutside });
      for (const w of r.warnings) process.stderr.write(`warning: ${line(file, w)}\n`);
      if (!r.ok || !r.config) {
        for (const i of r.issues) process.stderr.write(`${line(file, i)}\n`);
        setExitCode(1);
        return;
      }
      const { renderCluster } = await import("../render");
      const rendering = await renderCluster(r.config, { withSecrets: opts.withSecrets });
      const { writeTree, WriteTreeError } = await import("../writeTree");
      try {
        writeTree(opts.out, rendering.files, { force: opts.force });
      } catch (e) {
        if (!(e instanceof WriteTreeError)) throw e;
        process.stderr.write(`${e.message}\n`);
        setExitCode(1);
        return;
      }
      const p = rendering.plan;
      const out = [
        `Rendered ${p.distribution} on ${p.provider} cluster "${p.clusterName}" (${p.nodes.length} node(s)) into ${opts.out}: ${rendering.files.length} file(s)` +
          (opts.withSecrets ? ", complete configs from a THROWAWAY identity (not your cluster's; mode 0600)" : ", secret-free"),
        ...rendering.files.map((f) => `  ${f.path}${f.secret ? "  [secret]" : ""}`),
        ...rendering.omitted.map((o) => `  (not written) ${o.path}: ${o.reason}`),
      ];
      process.stdout.write(`${out.join("\n")}\n`);
      setExitCode(0);
    });
}
