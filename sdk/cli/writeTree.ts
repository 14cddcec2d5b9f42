/**
 * Writing `render`'s files safely: never through a symbolic link (a planted `out/cluster.json → ~/.bashrc`
 * would otherwise be overwritten), secret files created 0600 before their content is written (never briefly
 * readable), and never into a directory that holds anything but an earlier rendering unless told to.
 */
import * as fs from "node:fs";
import * as path from "node:path";

/** The file render leaves in its output directory: what it wrote, so a new rendering may replace it. */
export const RENDER_MARKER = ".ksail-render.json";

export interface TreeFile {
  /** Relative, `/`-separated. */
  readonly path: string;
  readonly content: string;
  readonly secret?: boolean;
}

/** A refusal the user can act on (the CLI prints the message, exit 1). */
export class WriteTreeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "WriteTreeError";
  }
}

function assertNoLink(p: string, outDir: string): void {
  const st = fs.lstatSync(p, { throwIfNoEntry: false });
  if (st?.isSymbolicLink())
    throw new WriteTreeError(
      `${p} is a symbolic link; render never writes through links (remove it, or choose another --out than ${outDir})`,
    );
}

/** Writes `files` under `outDir`; returns the paths written. */
export function writeTree(outDir: string, files: readonly TreeFile[], opts: { force?: boolean } = {}): string[] {
  const out = path.resolve(outDir);
  assertNoLink(out, outDir);
  const existing = fs.existsSync(out) ? fs.readdirSync(out) : [];
  let previous: string[] = [];
  if (existing.length > 0) {
    const marker = path.join(out, RENDER_MARKER);
    if (existing.includes(RENDER_MARKER)) {
      assertNoLink(marker, outDir);
      try {
        previous = (JSON.parse(fs.readFileSync(marker, "utf8")) as { files?: string[] }).files ?? [];
      } catch {
        previous = [];
      }
    } else if (!opts.force) {
      throw new WriteTreeError(
        `${outDir} is not empty and holds no earlier rendering (no ${RENDER_MARKER}); choose an empty or new directory, or pass --force to write into it`,
      );
    }
  }
  fs.mkdirSync(out, { recursive: true });
  const written: string[] = [];
  for (const f of files) {
    const parts = f.path.split("/");
    if (parts.some((p) => p === "" || p === "." || p === ".."))
      throw new WriteTreeError(`refusing to write ${f.path}: not a plain relative path`);
    let dir = out;
    for (const part of parts.slice(0, -1)) {
      dir = path.join(dir, part);
      assertNoLink(dir, outDir);
      if (!fs.existsSync(dir)) fs.mkdirSync(dir, { recursive: true });
    }
    const target = path.join(out, ...parts);
    assertNoLink(target, outDir);
    const mode = f.secret ? 0o600 : 0o644;
    // O_NOFOLLOW: a link swapped in after the check is refused by the kernel, not followed.
    const fd = fs.openSync(target, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_TRUNC | fs.constants.O_NOFOLLOW, mode);
    try {
      fs.fchmodSync(fd, mode); // an existing file keeps its old mode through O_CREAT: set it before any content
      fs.writeSync(fd, f.content);
    } finally {
      fs.closeSync(fd);
    }
    written.push(f.path);
  }
  // Files of the earlier rendering that this one no longer has (plain files only, never through links).
  const now = new Set(written);
  for (const p of previous) {
    if (now.has(p) || p.split("/").some((x) => x === "" || x === "." || x === "..")) continue;
    const target = path.join(out, ...p.split("/"));
    const st = fs.lstatSync(target, { throwIfNoEntry: false });
    if (st?.isFile()) fs.rmSync(target);
  }
  fs.writeFileSync(path.join(out, RENDER_MARKER), `${JSON.stringify({ files: written }, null, 2)}\n`, { mode: 0o644, flag: "w" });
  return written;
}
