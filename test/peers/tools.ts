// Where the real-peer test tools are: built by scripts/tools/build.sh into a per-machine cache outside the
// repository (`${KSAIL_TOOLS_CACHE:-~/.cache/ksail-pulumi/tools}/<name>-<version>/`, complete once `.built`
// is written), at the versions pinned in scripts/tools/versions.sh. Lookups are synchronous and spawn
// nothing, so a test file can decide at load time whether its tier runs or skips (and say why).
import type { ChildProcess } from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { repoRoot } from "../harness/paths";

/** The tools cache directory. */
export function toolsCache(): string {
  return process.env.KSAIL_TOOLS_CACHE ?? path.join(os.homedir(), ".cache", "ksail-pulumi", "tools");
}

/** A version pinned in scripts/tools/versions.sh (`NAME=value`). */
export function pinnedVersion(variable: string): string {
  const text = fs.readFileSync(path.join(repoRoot(), "scripts", "tools", "versions.sh"), "utf8");
  const v = new RegExp(`^${variable}=(\\S+)`, "m").exec(text)?.[1];
  if (!v) throw new Error(`scripts/tools/versions.sh does not pin ${variable}`);
  return v;
}

/** The built tool's directory, or undefined when it is not (completely) built. */
export function builtTool(name: string, version: string): string | undefined {
  const dir = path.join(toolsCache(), `${name}-${version}`);
  return fs.existsSync(path.join(dir, ".built")) ? dir : undefined;
}

/**
 * A program around siderolabs/talos pkg/machinery (test/peers/<name>/main.go) built for one machinery version: its
 * cache key carries the first 8 hex digits of the source's sha256 (as scripts/tools/build.sh names it), so a
 * changed program is built again instead of an old binary answering.
 */
export function builtMachineryTool(name: string, version: string): string | undefined {
  const source = fs.readFileSync(path.join(repoRoot(), "test", "peers", name, "main.go"));
  return builtTool(name, `${version}-${crypto.createHash("sha256").update(source).digest("hex").slice(0, 8)}`);
}

/** An executable of that name on PATH, or undefined. */
export function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(path.delimiter)) {
    if (!dir) continue;
    const p = path.join(dir, name);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      if (fs.statSync(p).isFile()) return p;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** Why a tool is missing, in words a developer can act on. */
export function missingReason(tool: string, build: string): string {
  const how = onPath("go")
    ? `run scripts/tools/build.sh ${build} (Go is installed; .ci/run does this before npm test)`
    : `install Go ≥ 1.26 and run scripts/tools/build.sh ${build}`;
  return `${tool} not found: ${how}`;
}

/** Stops peer processes: SIGTERM, then SIGKILL after 5 s; resolves when each has exited. */
export async function stopProcesses(procs: readonly ChildProcess[]): Promise<void> {
  await Promise.all(
    procs.map(
      (p) =>
        new Promise<void>((resolve) => {
          if (p.exitCode !== null || p.signalCode !== null) return resolve();
          p.once("exit", () => resolve());
          p.kill("SIGTERM");
          setTimeout(() => p.kill("SIGKILL"), 5000).unref();
        }),
    ),
  );
}

/** A TCP port free on 127.0.0.1 at the moment of asking (another process may still take it before it is bound). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}
