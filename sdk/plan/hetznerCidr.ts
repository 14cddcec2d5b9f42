/**
 * IPv4 and IPv6 CIDR arithmetic for the Hetzner network model: parse an address or a prefix and ask whether an
 * address lies inside a prefix. Pure; no lookups.
 */

/** A parsed prefix: family, network bits as a bigint, prefix length. */
export interface Prefix {
  readonly family: 4 | 6;
  readonly base: bigint;
  readonly bits: number;
}

function v4(text: string): bigint | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (!m) return undefined;
  const o = m.slice(1, 5).map(Number);
  if (o.some((x) => x > 255)) return undefined;
  return o.reduce((acc, x) => (acc << 8n) | BigInt(x), 0n);
}

function v6(text: string): bigint | undefined {
  if (!/^[0-9a-fA-F:.]+$/.test(text) || text.split("::").length > 2) return undefined;
  const [head, tail] = text.includes("::") ? text.split("::") : [text, undefined];
  const groups = (s: string | undefined): string[] => (s ? s.split(":") : []);
  const h = groups(head);
  const t = groups(tail);
  // An embedded IPv4 tail (::ffff:1.2.3.4) counts as two groups.
  const expand = (gs: string[]): string[] | undefined => {
    const last = gs[gs.length - 1];
    if (last === undefined || !last.includes(".")) return gs;
    const four = v4(last);
    if (four === undefined) return undefined;
    return [...gs.slice(0, -1), ((four >> 16n) & 0xffffn).toString(16), (four & 0xffffn).toString(16)];
  };
  const hh = tail === undefined ? expand(h) : h;
  const tt = tail === undefined ? [] : expand(t);
  if (!hh || !tt) return undefined;
  const missing = 8 - hh.length - tt.length;
  if (tail === undefined ? missing !== 0 : missing < 1) return undefined;
  const all = [...hh, ...Array<string>(Math.max(0, missing)).fill("0"), ...tt];
  let out = 0n;
  for (const g of all) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
    out = (out << 16n) | BigInt(parseInt(g, 16));
  }
  return out;
}

/** An address (`10.0.1.5`, `2001:db8::1`) as family and value, or undefined. */
export function parseAddress(text: string): { family: 4 | 6; value: bigint } | undefined {
  const four = v4(text);
  if (four !== undefined) return { family: 4, value: four };
  const six = v6(text);
  return six !== undefined ? { family: 6, value: six } : undefined;
}

/** A CIDR (`10.0.0.0/16`, `::/0`) with its host bits cleared, or undefined when it is not one. */
export function parsePrefix(cidr: string): Prefix | undefined {
  const m = /^([^/]+)\/(\d{1,3})$/.exec(cidr);
  if (!m) return undefined;
  const a = parseAddress(m[1]);
  const bits = Number(m[2]);
  if (!a || bits > (a.family === 4 ? 32 : 128)) return undefined;
  const width = a.family === 4 ? 32 : 128;
  const mask = bits === 0 ? 0n : ((1n << BigInt(bits)) - 1n) << BigInt(width - bits);
  return { family: a.family, base: a.value & mask, bits };
}

/** Whether `address` lies inside `cidr` (same family). */
export function cidrContains(cidr: string, address: string): boolean {
  const p = parsePrefix(cidr);
  const a = parseAddress(address);
  if (!p || !a || p.family !== a.family) return false;
  const width = p.family === 4 ? 32 : 128;
  const mask = p.bits === 0 ? 0n : ((1n << BigInt(p.bits)) - 1n) << BigInt(width - p.bits);
  return (a.value & mask) === p.base;
}

/** Whether prefix `inner` lies entirely inside prefix `outer`. */
export function cidrWithin(inner: string, outer: string): boolean {
  const i = parsePrefix(inner);
  const o = parsePrefix(outer);
  return !!i && !!o && i.family === o.family && i.bits >= o.bits && cidrContains(outer, formatAddress(i.family, i.base));
}

/** Whether two prefixes share an address. */
export function cidrsOverlap(a: string, b: string): boolean {
  return cidrWithin(a, b) || cidrWithin(b, a);
}

/** The textual form of an address value (IPv6 uncompressed groups). */
export function formatAddress(family: 4 | 6, value: bigint): string {
  if (family === 4) return [24n, 16n, 8n, 0n].map((s) => String((value >> s) & 255n)).join(".");
  const groups: string[] = [];
  for (let s = 112n; s >= 0n; s -= 16n) groups.push(((value >> s) & 0xffffn).toString(16));
  return groups.join(":");
}

/** The `n`-th address of a prefix (`n = 1`: the first host address). */
export function addressIn(cidr: string, n = 1): string {
  const p = parsePrefix(cidr);
  if (!p) throw new Error(`addressIn: "${cidr}" is not a CIDR`);
  return formatAddress(p.family, p.base + BigInt(n));
}
