import { KsailError } from "../../errors";

function ipToInt(ip: string): number {
  return ip.split(".").reduce((acc, o) => acc * 256 + Number(o), 0);
}
function intToIp(n: number): string {
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join(".");
}

/**
 * The MetalLB address range inside a Docker network's IPv4 subnet, near its top: for /23 and larger
 * networks the last /24's `.200–.250` (KSail's range on Kind's default 172.18.0.0/16); for a /24 (e.g.
 * Talos' 10.5.0.0/24) `.200–.239`, leaving `.240–.254` to the mirror registries that take static addresses
 * counting down from `.250`. Nodes take addresses from the bottom.
 */
export function metallbAddressRange(cidr: string): string {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(cidr.trim());
  const bad = (why: string): never => {
    throw new KsailError([
      {
        path: "dockerNetworkCidr",
        message: `"${cidr}" ${why}; pass the Docker network's IPv4 subnet (at least a /24, e.g. "172.18.0.0/16"), or set \`addresses\` explicitly.`,
      },
    ]);
  };
  if (!m) return bad("is not an IPv4 CIDR");
  const octets = m.slice(1, 5).map(Number);
  const prefix = Number(m[5]);
  if (octets.some((o) => o > 255) || prefix > 32) return bad("is not a valid IPv4 CIDR");
  if (prefix > 24) return bad("is smaller than a /24");
  const size = 2 ** (32 - prefix);
  const network = Math.floor(ipToInt(octets.join(".")) / size) * size;
  const broadcast = network + size - 1; // x.x.x.255
  const lastBlock = broadcast - 255; // x.x.x.0 of the last /24
  const end = prefix === 24 ? lastBlock + 239 : lastBlock + 250;
  return `${intToIp(lastBlock + 200)}-${intToIp(end)}`;
}
