/**
 * Client-side classifier of a Talos machine-config change. Talos 1.10–1.13 decided "apply live or reboot" on the
 * node (`CanApplyImmediate`); 1.14 removed that (AUTO always means NO_REBOOT), so this table is ours. It is computed
 * over parsed YAML only (no network), so preview can use it. Pure.
 *
 * Classes, most severe wins:
 * - `immutable`: cluster identity (secrets, CAs, tokens, cluster name), pod/service subnets, DNS domain, machine type —
 *   the cluster (or the node) must be created again;
 * - `reinstall`: the install disk — only a reinstall of the node changes it;
 * - `wipe`: disk encryption and volume provisioning of STATE/EPHEMERAL (systemDiskEncryption, VolumeConfig,
 *   UserVolumeConfig): formatted at boot, so the node's STATE and EPHEMERAL are wiped and the config applied again,
 *   one node at a time;
 * - `reboot`: STAGED apply, then a controlled reboot;
 * - `live`: NO_REBOOT apply;
 * - `none`.
 * Anything the table does not know is `reboot` ("when unsure, reboot"). Reasons name every changed path.
 *
 * The v1alpha1 rows follow Talos's own whitelist (identical in 1.10–1.13); 1.14 applies CRI changes without a reboot
 * (its release notes: CRI customization and the base runtime spec restart CRI by themselves). A document kind the
 * node's Talos version does not know is not a reboot: Talos rejects the whole config (its decoder is strict), so the
 * classifier rejects it with the same message the plan's validation gives.
 */
import { KsailError } from "../../errors";
import { ConfigDocument, Json, JsonObject, deepEqual, documentKey, documentLabel, isObject, isV1Alpha1, parseDocuments } from "./documents";
import { TalosMinor, parseTalosVersion } from "./versions";
import { unknownDocumentKinds } from "./documentKinds";

export { KNOWN_DOCUMENT_KINDS, unknownDocumentKinds } from "./documentKinds";
import { CRI_RESTARTS, DOCUMENT_RULES, V1ALPHA1_RULES, type ChangeClass, type ConfigChangeKind, type PathRule } from "./classifyRules";
export { DOCUMENT_RULES, V1ALPHA1_RULES, type PathRule, type DocumentRule, type ConfigChangeKind } from "./classifyRules";

export interface ConfigChange {
  /** `machine.install.disk`, or `HostnameConfig` / `RegistryMirrorConfig/docker.io[.field]` for typed documents. */
  readonly path: string;
  readonly kind: ChangeClass;
  readonly reason: string;
}

export interface ConfigChangeClassification {
  readonly kind: ConfigChangeKind;
  /** One line per changed path: `<path>: <kind> — <why>`, most severe first. */
  readonly reasons: string[];
  readonly changes: ConfigChange[];
}

/** One row per path prefix of the v1alpha1 document; `*` matches one segment; longest match wins. */
const SEVERITY: Record<ConfigChangeKind, number> = { none: 0, live: 1, reboot: 2, wipe: 3, reinstall: 4, immutable: 5 };
const MINOR_ORDER: readonly TalosMinor[] = ["1.11", "1.12", "1.13", "1.14"];

/** A row's class for a minor: its `from` entry for the newest minor not after `minor`, else the row itself. */
function forMinor<
  T extends { kind: ChangeClass; reason: string; from?: Partial<Record<TalosMinor, { kind: ChangeClass; reason: string }>> },
>(r: T, minor: TalosMinor): { kind: ChangeClass; reason: string } {
  let out: { kind: ChangeClass; reason: string } = r;
  for (const m of MINOR_ORDER) if (MINOR_ORDER.indexOf(m) <= MINOR_ORDER.indexOf(minor) && r.from?.[m]) out = r.from[m]!;
  return out;
}

/**
 * Classify the change from `oldYaml` to `newYaml` (multi-document machine configs) for the Talos version the node
 * runs. Throws a KsailError when the new config holds a document kind that version does not know.
 */
export function classifyMachineConfigChange(oldYaml: string, newYaml: string, talosVersion: string): ConfigChangeClassification {
  const minor = parseTalosVersion(talosVersion).minorKey;
  const oldDocs = parseDocuments(oldYaml, "old machine config");
  const newDocs = parseDocuments(newYaml, "new machine config");
  const unknown = unknownDocumentKinds(newYaml, talosVersion, "new machine config");
  if (unknown.length > 0) throw new KsailError(unknown, "The machine config cannot be applied:");
  const v1 = (docs: ConfigDocument[], which: string) => {
    const f = docs.filter(isV1Alpha1);
    if (f.length !== 1) throw new KsailError([{ path: which, message: `expected exactly one v1alpha1 document, found ${f.length}` }]);
    return f[0];
  };
  const oldV1 = v1(oldDocs, "old machine config");
  const newV1 = v1(newDocs, "new machine config");
  const changes: ConfigChange[] = [];
  for (const path of changedPaths(oldV1, newV1, [])) {
    const rule = matchRule(path);
    const c = rule ? forMinor(rule, minor) : { kind: "reboot" as const, reason: "not in Talos's live-apply whitelist" };
    if (path.join(".") === "machine.files" && c.kind === "reboot" && criFilesOnly(oldV1, newV1, minor)) {
      changes.push({ path: "machine.files", kind: "live", reason: `only CRI customization files changed; ${CRI_RESTARTS}` });
    } else changes.push({ path: path.join("."), kind: c.kind, reason: c.reason });
  }
  changes.push(
    ...documentChanges(
      oldDocs.filter((d) => !isV1Alpha1(d)),
      newDocs.filter((d) => !isV1Alpha1(d)),
      minor,
    ),
  );
  changes.sort((a, b) => SEVERITY[b.kind] - SEVERITY[a.kind] || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const kind = changes.reduce<ConfigChangeKind>((k, c) => (SEVERITY[c.kind] > SEVERITY[k] ? c.kind : k), "none");
  return { kind, reasons: changes.map((c) => `${c.path}: ${c.kind} — ${c.reason}`), changes };
}

/** On 1.14, machine.files entries that differ only under /etc/cri/conf.d (the legacy CRI customization file). */
function criFilesOnly(a: ConfigDocument, b: ConfigDocument, minor: TalosMinor): boolean {
  if (MINOR_ORDER.indexOf(minor) < MINOR_ORDER.indexOf("1.14")) return false;
  const files = (d: ConfigDocument) => (((d.machine as JsonObject | undefined)?.files ?? []) as Json[]).filter(isObject);
  const key = (f: JsonObject) => JSON.stringify(f);
  const before = new Set(files(a).map(key));
  const after = new Set(files(b).map(key));
  const changed = [...files(a).filter((f) => !after.has(key(f))), ...files(b).filter((f) => !before.has(key(f)))];
  return changed.length > 0 && changed.every((f) => typeof f.path === "string" && f.path.startsWith("/etc/cri/conf.d/"));
}

function matchRule(path: readonly string[]): PathRule | undefined {
  // (rows are matched by prefix; the longest match wins)
  let best: PathRule | undefined;
  let bestLen = -1;
  for (const r of V1ALPHA1_RULES) {
    const segs = r.path.split(".");
    if (segs.length > path.length || segs.length <= bestLen) continue;
    if (segs.every((s, i) => s === "*" || s === path[i])) {
      best = r;
      bestLen = segs.length;
    }
  }
  return best;
}

/** Leaf paths that differ; lists and scalars are leaves; objects recurse (missing side = {}). */
function changedPaths(a: Json | undefined, b: Json | undefined, at: string[]): string[][] {
  if (deepEqual(a, b)) return [];
  if ((isObject(a) || a === undefined) && (isObject(b) || b === undefined)) {
    const ao = (a ?? {}) as Record<string, Json>;
    const bo = (b ?? {}) as Record<string, Json>;
    const keys = [...new Set([...Object.keys(ao), ...Object.keys(bo)])];
    return keys.flatMap((k) => changedPaths(ao[k], bo[k], [...at, k]));
  }
  return [at];
}

function documentChanges(oldDocs: ConfigDocument[], newDocs: ConfigDocument[], minor: TalosMinor): ConfigChange[] {
  const index = (docs: ConfigDocument[]) => new Map(docs.map((d) => [documentKey(d), d] as const));
  const before = index(oldDocs);
  const after = index(newDocs);
  const out: ConfigChange[] = [];
  for (const key of new Set([...before.keys(), ...after.keys()])) {
    const o = before.get(key);
    const n = after.get(key);
    if (o && n && deepEqual(o, n)) continue;
    const doc = (n ?? o)!;
    const label = documentLabel(doc);
    const kindName = String(doc.kind);
    const rule = DOCUMENT_RULES[kindName];
    const base = rule
      ? forMinor(rule, minor)
      : { kind: "reboot" as ChangeClass, reason: `document kind ${kindName} is not in the classifier table` };
    const at = (p: string[]) => {
      const hit = Object.entries(rule?.paths ?? {}).find(([prefix]) => p.join(".") === prefix || p.join(".").startsWith(`${prefix}.`));
      return hit ? hit[1] : base;
    };
    if (!o || !n) {
      // A new volume is provisioned as it is (the document's class); a system volume's document changes the
      // volume that is already there: as severe as the paths it sets.
      const worst = rule?.systemVolume
        ? Object.values(rule.paths ?? {}).reduce<{ kind: ChangeClass; reason: string }>(
            (w, r) => (SEVERITY[r.kind] > SEVERITY[w.kind] && Object.keys(doc).some((k) => rule.paths?.[k] === r) ? r : w),
            base,
          )
        : base;
      out.push({ path: label, kind: worst.kind, reason: `${o ? "removed" : "added"}; ${worst.reason}` });
    } else {
      for (const p of changedPaths(o, n, [])) {
        const r = at(p);
        out.push({ path: `${label}.${p.join(".")}`, kind: r.kind, reason: r.reason });
      }
    }
  }
  return out;
}
