/** Impact rows of the Hetzner infrastructure: location, network, server types, firewall, placement, endpoint. */
import { HETZNER_DEFAULTS as H } from "../../config/defaults";
import { HETZNER_ONLY, type ImpactRule, type Refine } from "../rule";
import { bool, getPath, list, set, str, strOr, whileOn, type SpecLike } from "../values";

/** Nodes a role keeps across the change (min of old and new count). */
function kept(old: SpecLike, next: SpecLike, path: string, def: number): number {
  const n = (s: SpecLike) => {
    const v = getPath(s, path);
    return typeof v === "number" ? v : def;
  };
  return Math.min(n(old), n(next));
}

const RESIZE = "resize keeping the disk: hcloud ChangeType powers the server off, resizes it, powers it on; no rolling replacement";

/** Server type of a role: nodes resized one at a time when the role keeps nodes, else only new servers use it. */
function serverTypeRefine(countPath: string, def: number, role: string): Refine {
  return (old, next) =>
    kept(old, next, countPath, def) >= 1
      ? { category: "reboot-required", reason: `existing ${role} servers are resized one at a time (${RESIZE})` }
      : { category: "in-place", reason: `no existing ${role} servers; new servers are created with the new type` };
}

export const HETZNER_RULES: readonly ImpactRule[] = [
  // ── Hetzner infrastructure ───────────────────────────────────────────────────────────────
  {
    field: "provider.hetzner.location",
    value: str("provider.hetzner.location", H.location),
    cells: HETZNER_ONLY("X"),
    reason: "servers cannot move to another datacenter location",
  },
  {
    field: "provider.hetzner.networkName",
    value: str("provider.hetzner.networkName"),
    cells: HETZNER_ONLY("X"),
    reason: "servers cannot migrate between private networks",
  },
  {
    field: "provider.hetzner.networkCidr",
    value: str("provider.hetzner.networkCidr", H.networkCidr),
    cells: HETZNER_ONLY("X"),
    reason: "the network range is fixed (ForceNew) and node addresses and certificates depend on it",
  },
  {
    field: "provider.hetzner.sshKeyName",
    value: str("provider.hetzner.sshKeyName"),
    cells: HETZNER_ONLY("I"),
    reason: "only new servers get the key; existing servers are never replaced for it",
  },
  {
    field: "provider.hetzner.controlPlaneServerType",
    value: str("provider.hetzner.controlPlaneServerType", H.controlPlaneServerType),
    cells: HETZNER_ONLY("B"),
    reason: `existing control-plane servers are resized one at a time (${RESIZE})`,
    refine: serverTypeRefine("cluster.controlPlanes", 1, "control-plane"),
    note: "in-place when the role keeps no nodes",
  },
  {
    field: "provider.hetzner.workerServerType",
    value: str("provider.hetzner.workerServerType", H.workerServerType),
    cells: HETZNER_ONLY("B"),
    reason: `existing worker servers are resized one at a time (${RESIZE})`,
    refine: serverTypeRefine("cluster.workers", 0, "worker"),
    note: "in-place when the role keeps no nodes (no workers before or after)",
  },
  {
    field: "provider.hetzner.ingressFirewall",
    value: str("provider.hetzner.ingressFirewall", "Enabled"),
    cells: HETZNER_ONLY("I"),
    reason: "firewall rules are Talos machine-config patches applied without a reboot",
  },
  {
    field: "provider.hetzner.allowedCidrs",
    value: set("provider.hetzner.allowedCidrs"),
    cells: HETZNER_ONLY("I"),
    reason: "firewall rules are updated in place",
  },
  {
    field: "provider.hetzner.placementGroupStrategy",
    value: str("provider.hetzner.placementGroupStrategy", "Spread"),
    cells: HETZNER_ONLY("X"),
    reason: "hcloud cannot move a running server into or out of a placement group; the servers would be replaced",
  },
  {
    field: "provider.hetzner.placementGroup",
    value: str("provider.hetzner.placementGroup"),
    cells: HETZNER_ONLY("X"),
    reason: "hcloud cannot move a running server into or out of a placement group; the servers would be replaced",
  },
  {
    field: "provider.hetzner.placementGroupFallbackToNone",
    value: bool("provider.hetzner.placementGroupFallbackToNone", false),
    cells: HETZNER_ONLY("I"),
    reason: "only used when new servers are created",
  },
  {
    field: "provider.hetzner.fallbackLocations",
    value: list("provider.hetzner.fallbackLocations", H.fallbackLocations.join(",")),
    cells: HETZNER_ONLY("I"),
    reason: "only used when new servers are created",
  },
  {
    field: "provider.hetzner.floatingIPEnabled",
    value: bool("provider.hetzner.floatingIPEnabled", false),
    cells: HETZNER_ONLY("I"),
    reason: "the API endpoint moves; machine configs (certificate SANs, endpoint) are re-applied without a reboot",
  },
  {
    field: "provider.hetzner.floatingIPLocation",
    value: strOr("provider.hetzner.floatingIPLocation", str("provider.hetzner.location", H.location)),
    active: whileOn("provider.hetzner.floatingIPEnabled"),
    cells: HETZNER_ONLY("I"),
    reason: "the floating IP is re-created and the endpoint re-applied without a reboot",
  },
  ...(["controlPlanePublicIPv4", "controlPlanePublicIPv6", "workerPublicIPv4", "workerPublicIPv6"] as const).map((f): ImpactRule => ({
    field: `provider.hetzner.${f}`,
    value: bool(`provider.hetzner.${f}`, true),
    cells: HETZNER_ONLY("B"),
    reason: "hcloud powers a server off to change its public network; servers are changed one at a time",
  })),
];
