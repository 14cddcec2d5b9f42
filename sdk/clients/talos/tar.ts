import * as zlib from "node:zlib";

/**
 * Read one regular file out of a gzip-compressed ustar archive (the Kubeconfig RPC's payload holds a
 * single `kubeconfig` entry). Small enough to need no tar library: 512-byte headers, octal sizes,
 * data padded to 512 bytes. Returns undefined when the entry is absent.
 */
export function readTarGzEntry(archive: Buffer, name: string): Buffer | undefined {
  const tar = zlib.gunzipSync(archive);
  let off = 0;
  while (off + 512 <= tar.length) {
    const header = tar.subarray(off, off + 512);
    if (header.every((b) => b === 0)) return undefined; // end-of-archive marker
    const field = (start: number, len: number) => {
      const raw = header.subarray(start, start + len);
      const nul = raw.indexOf(0);
      return raw.subarray(0, nul >= 0 ? nul : len).toString("utf8");
    };
    const prefix = field(345, 155);
    const entryName = (prefix ? `${prefix}/` : "") + field(0, 100);
    const size = parseInt(field(124, 12).trim() || "0", 8);
    const type = field(156, 1);
    const dataStart = off + 512;
    if ((type === "0" || type === "") && entryName.replace(/^\.\//, "") === name) {
      return Buffer.from(tar.subarray(dataStart, dataStart + size));
    }
    off = dataStart + Math.ceil(size / 512) * 512;
  }
  return undefined;
}
