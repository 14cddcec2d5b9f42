// L3E: programs run by the real Pulumi CLI through the Automation API (@pulumi/pulumi/automation).
//
// The CLI is the user's own `pulumi` on PATH when there is one, else the one scripts/tools/build.sh built
// from github.com/pulumi/pulumi/pkg/v3 into the tools cache. Tests never build it (a cold build takes
// 10–20 minutes of both cores): .ci/run builds missing tools before `npm test`, and without a CLI the tier
// skips with the reason printed.
//
// Each engine gets its own temp dir: a file backend (`file://…/state`), PULUMI_HOME (so nothing is read
// from or written to ~/.pulumi), a passphrase secrets provider, no update check and no plugin downloads.
// Programs are inline: the Automation API serves them from this process through its own language-runtime
// server, so no `pulumi-language-nodejs` binary is needed. The only plugin is the dynamic-provider host
// `pulumi-resource-pulumi-nodejs`, the script shipped in node_modules/@pulumi/pulumi; it runs the host of
// this repository's @pulumi/pulumi (NODE_PATH), the same code the L2 tests drive.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import {
  LocalWorkspace,
  PulumiCommand,
  type EngineEvent,
  type OpType,
  type PulumiFn,
  type Stack,
  type StepEventMetadata,
} from "@pulumi/pulumi/automation";
import { repoRoot } from "../harness/paths";
import { builtTool, missingReason, onPath, pinnedVersion } from "../peers/tools";

/** The Pulumi CLI the tier runs, or why it skips. */
export function findPulumiCli(): { bin: string; source: string } | { skip: string } {
  const own = onPath("pulumi");
  if (own) return { bin: own, source: "PATH" };
  const version = pinnedVersion("PULUMI_VERSION");
  const dir = builtTool("pulumi", version);
  if (dir) return { bin: path.join(dir, "pulumi"), source: `tools cache (${version})` };
  return { skip: missingReason(`the Pulumi CLI (no pulumi on PATH, none built at ${version})`, "pulumi") };
}

const found = findPulumiCli();
/** `false` when the real engine is available, else the reason (for `describe(..., { skip })`). */
export const skipRealEngine: false | string = "skip" in found ? found.skip : false;

/**
 * The Kubernetes provider plugin (pulumi-resource-kubernetes) built from its Go module by scripts/tools/build.sh
 * (tool `k8s-provider`), or why programs that need it skip. It reports the version of the installed
 * @pulumi/kubernetes npm package, which is the version the engine asks for.
 */
export function findKubernetesPlugin(): { bin: string; version: string } | { skip: string } {
  const dir = builtTool("k8s-provider", pinnedVersion("K8S_PROVIDER_MODULE_VERSION"));
  if (!dir) return { skip: missingReason("the Pulumi Kubernetes provider plugin", "k8s-provider") };
  const pkg = JSON.parse(fs.readFileSync(path.join(repoRoot(), "node_modules", "@pulumi", "kubernetes", "package.json"), "utf8")) as {
    version: string;
  };
  return { bin: path.join(dir, "pulumi-resource-kubernetes"), version: pkg.version };
}

const kubernetesPlugin = findKubernetesPlugin();
/** `false` when the real engine AND the Kubernetes plugin are available, else the reason. */
export const skipRealKubernetesPlugin: false | string = skipRealEngine || ("skip" in kubernetesPlugin ? kubernetesPlugin.skip : false);

/** One step as the engine reported it (a `resourcePreEvent`). */
export interface Step {
  op: OpType;
  urn: string;
  type: string;
  name: string;
  /** Top-level input keys that changed (`[diff: ~k]`). */
  diffs: string[];
  /** Keys that caused a replace. */
  keys: string[];
  metadata: StepEventMetadata;
}

/** What one preview/up/refresh/destroy produced. */
export interface Run {
  steps: Step[];
  /** Diagnostics (`console.log` of a provider becomes an info diagnostic on its resource). */
  diagnostics: { urn?: string; severity: string; message: string }[];
  events: EngineEvent[];
  changeSummary: Record<string, number>;
  stdout: string;
  /** The steps of a resource, by its name. */
  stepsOf(name: string): Step[];
  /** Every op of a resource, in the order the engine took them. */
  opsOf(name: string): OpType[];
  /**
   * What the providers printed (stdout and stderr: `info` and `info#err` diagnostics, one per line, joined). The engine attaches a plugin's stdout to the
   * stack, not to the resource whose call printed it, so this cannot be narrowed to one resource.
   */
  printed: string;
  /** Top-level input keys that differ between a step's old and new inputs (`__` keys left out). */
  changedKeys(step: Step): string[];
}

/** Asserts the run took no step but `same` (and reads): the program matches what is deployed. */
export function assertNothingChanges(run: Run): void {
  assert.ok(
    run.steps.every((s) => s.op === "same" || s.op === "read"),
    run.steps.map((s) => `${s.op} ${s.name}`).join(", "),
  );
}

function collector() {
  const events: EngineEvent[] = [];
  let stdout = "";
  return {
    onEvent: (e: EngineEvent) => events.push(e),
    onOutput: (s: string) => (stdout += s),
    result(changeSummary: Record<string, number> | undefined): Run {
      const steps: Step[] = [];
      const diagnostics: Run["diagnostics"] = [];
      for (const e of events) {
        const m = e.resourcePreEvent?.metadata;
        if (m) {
          const name = m.urn.split("::").pop() ?? m.urn;
          steps.push({ op: m.op, urn: m.urn, type: m.type, name, diffs: m.diffs ?? [], keys: m.keys ?? [], metadata: m });
        }
        const d = e.diagnosticEvent;
        if (d) diagnostics.push({ urn: d.urn, severity: d.severity, message: d.message });
      }
      return {
        steps,
        diagnostics,
        events,
        changeSummary: changeSummary ?? {},
        stdout,
        stepsOf: (name) => steps.filter((s) => s.name === name),
        opsOf: (name) => steps.filter((s) => s.name === name).map((s) => s.op),
        printed: diagnostics
          .filter((d) => d.severity === "info" || d.severity === "info#err")
          .map((d) => d.message.replace(/\n+$/, "\n"))
          .join(""),
        changedKeys: (step) => {
          const a = step.metadata.old?.inputs ?? {};
          const b = step.metadata.new?.inputs ?? {};
          const keys = new Set([...Object.keys(a), ...Object.keys(b)].filter((k) => !k.startsWith("__")));
          return [...keys].filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k])).sort();
        },
      };
    },
  };
}

/** A stack of an inline program on a private file backend, driven by the real CLI. */
export class RealStack {
  private constructor(
    readonly stack: Stack,
    readonly dir: string,
  ) {}

  /** Creates the temp dir, the backend and the stack. Call `dispose()` when done. */
  static async create(
    project: string,
    program: PulumiFn,
    o: { env?: Record<string, string>; plugins?: readonly "kubernetes"[] } = {},
  ): Promise<RealStack> {
    if ("skip" in found) throw new Error(found.skip);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ksail-l3e-"));
    // PulumiCommand wants `<root>/bin/pulumi`. The CLI looks for the dynamic-provider host beside its own
    // (resolved) executable, where a Pulumi install and scripts/tools/build.sh put it; otherwise it is put
    // on PATH here (the CLI then warns that it uses it from $PATH).
    const bin = path.join(dir, "bin");
    for (const d of ["state", "home", "bin", "project"]) fs.mkdirSync(path.join(dir, d));
    fs.symlinkSync(found.bin, path.join(bin, "pulumi"));
    const hostName = "pulumi-resource-pulumi-nodejs";
    const bundled = fs.existsSync(path.join(path.dirname(fs.realpathSync(found.bin)), hostName));
    if (!bundled) fs.symlinkSync(path.join(repoRoot(), "node_modules", "@pulumi", "pulumi", hostName), path.join(bin, hostName));
    // Resource plugins are installed where `pulumi plugin install` puts them (PULUMI_HOME/plugins/<kind>-<name>-v<version>),
    // so the engine finds the exact version the SDK asks for and downloads nothing.
    for (const plugin of o.plugins ?? []) {
      if ("skip" in kubernetesPlugin) throw new Error(kubernetesPlugin.skip);
      const pdir = path.join(dir, "home", "plugins", `resource-${plugin}-v${kubernetesPlugin.version}`);
      fs.mkdirSync(pdir, { recursive: true });
      fs.symlinkSync(kubernetesPlugin.bin, path.join(pdir, `pulumi-resource-${plugin}`));
    }
    const pulumiCommand = await PulumiCommand.get({ root: dir });
    const envVars = {
      PULUMI_CONFIG_PASSPHRASE: "l3e-test-passphrase",
      PULUMI_SKIP_UPDATE_CHECK: "true",
      PULUMI_HOME: path.join(dir, "home"),
      PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
      PULUMI_SKIP_CONFIRMATIONS: "true",
      // The host script resolves @pulumi/pulumi from its cwd (the project dir, a temp dir): point it here.
      NODE_PATH: path.join(repoRoot(), "node_modules"),
      ...o.env,
      ...(bundled ? {} : { PATH: `${bin}${path.delimiter}${process.env.PATH ?? ""}` }),
    };
    const stack = await LocalWorkspace.createOrSelectStack(
      { stackName: "test", projectName: project, program },
      {
        workDir: path.join(dir, "project"),
        pulumiCommand,
        envVars,
        projectSettings: { name: project, runtime: "nodejs", backend: { url: `file://${path.join(dir, "state")}` } },
      },
    );
    return new RealStack(stack, dir);
  }

  async preview(): Promise<Run> {
    const c = collector();
    const r = await this.stack.preview({ onEvent: c.onEvent, onOutput: c.onOutput });
    return c.result(r.changeSummary as Record<string, number>);
  }

  /**
   * `pulumi preview --json` of the real CLI: the engine's preview digest (what `ksail-pulumi gate` reads). The
   * Automation API has no option for it, so `--json` is appended to the command it runs; the event stream
   * is collected as for `preview()`.
   */
  async previewJson(): Promise<{ digest: Record<string, unknown>; run: Run }> {
    const c = collector();
    const s = this.stack as unknown as { runPulumiCmd: (args: string[], ...rest: unknown[]) => Promise<{ stdout: string }> };
    const original = s.runPulumiCmd;
    let stdout = "";
    s.runPulumiCmd = async (args, ...rest) => {
      const r = await original.call(this.stack, [...args, "--json"], ...rest);
      stdout = r.stdout;
      return r;
    };
    try {
      const r = await this.stack.preview({ onEvent: c.onEvent });
      return { digest: JSON.parse(stdout) as Record<string, unknown>, run: c.result(r.changeSummary as Record<string, number>) };
    } finally {
      s.runPulumiCmd = original;
    }
  }

  async up(): Promise<Run> {
    const c = collector();
    const r = await this.stack.up({ onEvent: c.onEvent, onOutput: c.onOutput });
    return c.result(r.summary.resourceChanges as Record<string, number>);
  }

  async refresh(): Promise<Run> {
    const c = collector();
    const r = await this.stack.refresh({ onEvent: c.onEvent, onOutput: c.onOutput });
    return c.result(r.summary.resourceChanges as Record<string, number>);
  }

  async destroy(): Promise<Run> {
    const c = collector();
    const r = await this.stack.destroy({ onEvent: c.onEvent, onOutput: c.onOutput });
    return c.result(r.summary.resourceChanges as Record<string, number>);
  }

  /** The raw checkpoint file of the stack in the file backend, as stored on disk. */
  stateFileText(): string {
    const files: string[] = [];
    const walk = (d: string) => {
      for (const e of fs.readdirSync(d, { withFileTypes: true })) {
        const p = path.join(d, e.name);
        if (e.isDirectory()) walk(p);
        else if (e.name.endsWith(".json") && p.includes(`${path.sep}stacks${path.sep}`)) files.push(p);
      }
    };
    walk(path.join(this.dir, "state"));
    if (files.length === 0) throw new Error("no stack checkpoint in the file backend");
    return files.map((f) => fs.readFileSync(f, "utf8")).join("\n");
  }

  /** Removes the stack's temp dir (backend, PULUMI_HOME). */
  dispose(): void {
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * With KSAIL_RECORD_GATE=1, writes a real preview digest to test/fixtures/gate/real-<name>.json (machine paths
 * replaced by /repo and /tmp), so gate tests run on real engine output where no CLI exists.
 */
export function recordGateFixture(name: string, digest: Record<string, unknown>): void {
  if (process.env.KSAIL_RECORD_GATE !== "1") return;
  const root = repoRoot();
  const text = JSON.stringify(digest, null, 2).split(root).join("/repo").split(os.tmpdir()).join("/tmp");
  fs.writeFileSync(path.join(root, "test", "fixtures", "gate", `real-${name}.json`), `${text}\n`);
}
