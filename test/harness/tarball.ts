/** Reads a gzip tar (an artifact layer) back with tar-stream's extractor: every entry's header and text. */
import * as zlib from "node:zlib";

export interface TarEntry {
  name: string;
  mode: number;
  mtime: number;
  uid: number;
  gid: number;
  type: string;
  content: string;
}

export function tarEntries(gz: Buffer): Promise<TarEntry[]> {
  const tar = require("tar-stream") as typeof import("tar-stream");
  const ex = tar.extract();
  const out: TarEntry[] = [];
  return new Promise((resolve, reject) => {
    ex.on("entry", (h, stream, next) => {
      const chunks: Buffer[] = [];
      stream.on("data", (c: unknown) => void chunks.push(c as Buffer));
      stream.on("end", () => {
        out.push({
          name: h.name,
          mode: h.mode ?? 0,
          mtime: h.mtime?.getTime() ?? -1,
          uid: h.uid ?? -1,
          gid: h.gid ?? -1,
          type: h.type ?? "",
          content: Buffer.concat(chunks).toString("utf8"),
        });
        next();
      });
    });
    ex.on("finish", () => resolve(out));
    ex.on("error", reject);
    ex.end(zlib.gunzipSync(gz));
  });
}
