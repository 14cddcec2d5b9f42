import * as fs from "node:fs";
import * as path from "node:path";
import * as YAML from "yaml";
import { yamlValue } from "./yamlValue";
import { KsailError, type Issue } from "../errors";
import { k3dCniIssues, kindCniIssues, talosCniIssues } from "./alignment";
import { expandString, type Env } from "./expand";
import type { Spec } from "./model";
import { issueLine, reservedKeys, validateClusterDocument, type ValidationResult } from "./parse";
import { DISTRIBUTION_META } from "./support";
import { distributionConfigOverrides } from "./distributionFiles";
import { hostsTomlServer, mirrorSpecText, talosPatchMirrorSpecs } from "./mirrors";
import { readKwokFolder, type KwokFolderObject } from "./kwokFolder";

/** One Talos patch file: its path relative to the ksail.yaml directory, and its YAML text (`${VAR}` expanded). */
export interface PatchFile {
  source: string;
  content: string;
}

/** Talos patches from `<distributionConfig>/{cluster,control-planes,workers}/*.yaml`, sorted by file name. */
export interface TalosPatchSet {
  cluster: PatchFile[];
  controlPlanes: PatchFile[];
  workers: PatchFile[];
}

/** What `KSailCluster` needs from a ksail.yaml and the files it points to. */
export interface LoadedClusterConfig {
  /** `metadata.name` (undefined when the file has none). */
  name?: string;
  spec: Spec;
  talosConfigPatches?: TalosPatchSet;
  /** Parsed kind.yaml (Vanilla), when the file exists. */
  kindConfig?: unknown;
  /** Parsed k3d.yaml (K3s), when the file exists. */
  k3dConfig?: unknown;
  /** Parsed vcluster.yaml (VCluster: vCluster's own Helm values), when the file exists. */
  vclusterValues?: unknown;
  /** The kwok controller objects of a KWOK project's `kwok/` folder (its kustomization's resources, in order). */
  kwokObjects?: KwokFolderObject[];
  /**
   * Mirror specs (`host=upstream`) the project's files declare: a Kind project's `spec.cluster.vanilla.mirrorsDir`
   * (`<host>/hosts.toml`), a Talos-on-Docker project's patches (`machine.registries.mirrors`, `RegistryMirrorConfig`).
   */
  fileMirrors?: string[];
  /** Absolute path of the ksail.yaml. */
  sourcePath?: string;
  warnings: string[];
}

export interface LoadOptions {
  /** Variables for `${VAR}` expansion; default `process.env`. */
  env?: Env;
  /**
   * Let the files a ksail.yaml names (distributionConfig, Talos patches, mirrorsDir, the workload directory, the
   * scan exceptions) lie outside its directory, or be symbolic links out of it. Off by default, so a ksail.yaml in
   * a pull request cannot make `render`, `validate` or a program read files from elsewhere on the machine.
   * @default false
   */
  allowPathsOutside?: boolean;
}

/** An issue when `configured` (relative to baseDir) resolves, through symbolic links too, outside baseDir. */
function outsideIssue(field: string, configured: string, baseDir: string, allow: boolean | undefined): Issue | undefined {
  if (allow || configured === "") return undefined;
  const realOf = (p: string): string => {
    try {
      return fs.realpathSync(p);
    } catch {
      return p; // not there (yet): judged by its path
    }
  };
  const base = realOf(baseDir);
  const real = realOf(path.resolve(baseDir, configured));
  const rel = path.relative(base, real);
  if (rel === "" || (!rel.startsWith("..") && !path.isAbsolute(rel))) return undefined;
  return {
    path: field,
    message: `"${configured}" resolves to ${real}, outside the directory of the ksail.yaml (${base}); keep the file beside it, or load with { allowPathsOutside: true } (a symbolic link out of the directory counts as outside)`,
  };
}

export interface FileValidation extends ValidationResult {
  readonly config?: LoadedClusterConfig;
}

/**
 * Loads a ksail.yaml and the distribution files it points to (`distributionConfig`, resolved relative
 * to the ksail.yaml — unlike the KSail CLI, which resolves it against the working directory, so that a
 * Pulumi program finds it wherever it runs). Throws a `KsailError` listing every problem.
 */
export function loadClusterConfig(file: string, options: LoadOptions = {}): LoadedClusterConfig {
  const r = validateClusterConfigFile(file, options);
  if (!r.ok || !r.config) throw new KsailError(r.issues, `invalid KSail cluster configuration in ${file}:`);
  return r.config;
}

/** Non-throwing `loadClusterConfig` (used by `ksail-pulumi validate`). */
export function validateClusterConfigFile(file: string, options: LoadOptions = {}): FileValidation {
  const env = options.env ?? process.env;
  const sourcePath = path.resolve(file);
  let text: string;
  try {
    text = fs.readFileSync(sourcePath, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return {
      ok: false,
      issues: [
        {
          path: "",
          message:
            code === "ENOENT" ? `file not found: ${sourcePath}; check the path` : `cannot read ${sourcePath}: ${(e as Error).message}`,
        },
      ],
      warnings: [],
    };
  }
  const baseDir = path.dirname(sourcePath);
  const r = validateClusterDocument(text, { env, source: file, baseDir });
  if (!r.document) return r;
  const issues = [...r.issues];
  const warnings = [...r.warnings];
  const c = r.document.spec.cluster;
  const config: LoadedClusterConfig = {
    name: r.document.metadata.name || undefined,
    spec: r.document.spec,
    sourcePath,
    warnings: [],
  };
  const allow = options.allowPathsOutside;
  const outside = [
    outsideIssue("spec.cluster.distributionConfig", c.distributionConfig, baseDir, allow),
    outsideIssue("spec.cluster.vanilla.mirrorsDir", c.vanilla.mirrorsDir, baseDir, allow),
    outsideIssue("spec.workload.sourceDirectory", r.document.spec.workload.sourceDirectory, baseDir, allow),
    outsideIssue("spec.workload.scan.exceptions", r.document.spec.workload.scan.exceptions, baseDir, allow),
  ].filter((i): i is Issue => i !== undefined);
  if (outside.length > 0) return { ok: false, document: r.document, issues: [...issues, ...outside], warnings };
  const explicit = c.distributionConfig !== DISTRIBUTION_META[c.distribution].config;
  const target = path.resolve(baseDir, c.distributionConfig);
  const rel = path.relative(baseDir, target) || ".";
  const missing = (kind: string): void => {
    if (explicit)
      issues.push({
        path: "spec.cluster.distributionConfig",
        message: `${kind} "${c.distributionConfig}" does not exist (resolved to ${target}); fix the path or remove the field to use the default`,
      });
  };
  if (c.distribution === "Vanilla" || c.distribution === "K3s") {
    if (fs.existsSync(target) && fs.statSync(target).isFile()) {
      const parsed = readYamlFile(target, rel, env, issues);
      if (parsed !== undefined) {
        if (c.distribution === "Vanilla") {
          checkKind(parsed, rel, "Cluster", "kind.x-k8s.io/", issues);
          config.kindConfig = parsed;
          reconcileName(config, (parsed as { name?: unknown } | null)?.name, `${rel} name`, issues);
          issues.push(...kindCniIssues(c.cni, parsed, rel));
          warnings.push(...nodeCountWarnings(countKindNodes(parsed), c.controlPlanes, c.workers, rel));
        } else {
          checkKind(parsed, rel, "Simple", "k3d.io/", issues);
          config.k3dConfig = parsed;
          reconcileName(config, (parsed as { metadata?: { name?: unknown } } | null)?.metadata?.name, `${rel} metadata.name`, issues);
          issues.push(...k3dCniIssues(c.cni, parsed, rel));
          warnings.push(...nodeCountWarnings(countK3dNodes(parsed), c.controlPlanes, c.workers, rel));
        }
        // Every other field of the file is honoured or rejected by name (the same check planCluster makes).
        const files = c.distribution === "Vanilla" ? { kindConfig: parsed } : { k3dConfig: parsed };
        issues.push(
          ...distributionConfigOverrides(c.distribution, files, {
            source: rel,
            kubernetesVersion: c.kubernetesVersion,
            cni: c.cni,
            loadBalancer: c.loadBalancer !== "Disabled",
          }).issues,
        );
      }
    } else missing(c.distribution === "Vanilla" ? "the Kind configuration" : "the K3d configuration");
  } else if (c.distribution === "VCluster") {
    if (fs.existsSync(target) && fs.statSync(target).isFile()) {
      const parsed = readYamlFile(target, rel, env, issues);
      if (parsed !== undefined && parsed !== null && (typeof parsed !== "object" || Array.isArray(parsed)))
        issues.push({ path: rel, message: "is not a mapping of vCluster Helm values (as `vcluster create -f` takes them)" });
      else if (parsed !== undefined && parsed !== null) config.vclusterValues = parsed;
    } else missing("the vCluster values file");
  } else if (c.distribution === "KWOK") {
    if (fs.existsSync(target) && fs.statSync(target).isDirectory()) {
      const folder = readKwokFolder(
        target,
        baseDir,
        (file, source) => expandFileText(fs.readFileSync(file, "utf8"), env, source, issues),
        (source) => outsideIssue(source, source, baseDir, allow),
      );
      issues.push(...folder.issues);
      warnings.push(...folder.warnings);
      config.kwokObjects = folder.objects;
    } else missing("the kwok configuration folder");
  } else if (c.distribution === "Talos") {
    if (fs.existsSync(target) && fs.statSync(target).isDirectory()) {
      warnings.push(...strayTalosEntries(target, baseDir));
      const set: TalosPatchSet = {
        cluster: readPatches(path.join(target, "cluster"), baseDir, env, issues, allow),
        controlPlanes: readPatches(path.join(target, "control-planes"), baseDir, env, issues, allow),
        workers: readPatches(path.join(target, "workers"), baseDir, env, issues, allow),
      };
      config.talosConfigPatches = set;
      if (c.provider === "Docker") {
        const found = talosPatchMirrorSpecs([...set.cluster, ...set.controlPlanes]);
        if (found.length > 0) config.fileMirrors = found;
      }
      issues.push(...talosCniIssues(c.cni, [...set.cluster, ...set.controlPlanes]));
    } else {
      // No patch directory: the renderer turns the Talos CNI off by itself for Cilium/Calico (as KSail does).
      missing("the Talos patch directory");
    }
  }
  if (c.distribution === "Vanilla" && c.provider === "Docker") {
    const found = kindMirrorsDir(baseDir, c.vanilla.mirrorsDir, issues);
    if (found.length > 0) config.fileMirrors = found;
  }
  config.warnings = warnings.map(issueLine);
  const ok = issues.length === 0;
  return { ok, document: r.document, issues, warnings, config: ok ? config : undefined };
}

/** `<mirrorsDir>/<host>/hosts.toml` → `host[=server]` (KSail merges these into the cluster's mirrors). */
function kindMirrorsDir(baseDir: string, configured: string, issues: Issue[]): string[] {
  const dir = path.resolve(baseDir, configured || "kind/mirrors");
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) {
    if (configured && configured !== "kind/mirrors")
      issues.push({
        path: "spec.cluster.vanilla.mirrorsDir",
        message: `"${configured}" does not exist (resolved to ${dir}); fix the path or remove the field`,
      });
    return [];
  }
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && e.name !== "_default" && fs.existsSync(path.join(dir, e.name, "hosts.toml")))
    .map((e) => e.name)
    .sort()
    .map((host) => mirrorSpecText({ host, upstream: hostsTomlServer(fs.readFileSync(path.join(dir, host, "hosts.toml"), "utf8")) }));
}

/** `${VAR}` over a whole file's text, refusing values that would change its YAML structure (named, not shown). */
function expandFileText(text: string, env: Env, source: string, issues: Issue[]): string | undefined {
  const { value, structural } = expandString(text, env);
  if (structural.length === 0) return value;
  for (const name of structural)
    issues.push({
      path: source,
      message: `environment variable ${name} holds a line break or a YAML document marker; expanded into this file it would change its structure, so it is refused (put a single-line value in it)`,
    });
  return undefined;
}

function readYamlFile(file: string, source: string, env: Env, issues: Issue[]): unknown {
  const value = expandFileText(fs.readFileSync(file, "utf8"), env, source, issues);
  if (value === undefined) return undefined;
  const doc = YAML.parseDocument(value);
  if (doc.errors.length > 0) {
    issues.push({ path: source, message: `YAML syntax error: ${doc.errors[0].message.split("\n")[0]}` });
    return undefined;
  }
  const v = yamlValue(doc);
  if ("error" in v) {
    issues.push({ path: source, message: v.error });
    return undefined;
  }
  const js = v.value;
  const reserved = reservedKeys(js, "");
  if (reserved.length > 0) {
    issues.push(...reserved.map((i) => ({ path: `${source}: ${i.path}`, message: i.message })));
    return undefined;
  }
  return js;
}

function checkKind(parsed: unknown, source: string, kind: string, apiGroup: string, issues: Issue[]): void {
  const o = parsed as { kind?: unknown; apiVersion?: unknown } | null;
  if (!o || typeof o !== "object" || o.kind !== kind || typeof o.apiVersion !== "string" || !o.apiVersion.startsWith(apiGroup)) {
    issues.push({
      path: source,
      message: `expected kind: ${kind} with apiVersion ${apiGroup}...; got kind ${JSON.stringify(o?.kind)} apiVersion ${JSON.stringify(o?.apiVersion)}`,
    });
  }
}

function readPatches(dir: string, baseDir: string, env: Env, issues: Issue[], allow?: boolean): PatchFile[] {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) return [];
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith(".yaml") || f.endsWith(".yml"))
    .sort()
    .map((f) => {
      const full = path.join(dir, f);
      const source = path.relative(baseDir, full).split(path.sep).join("/");
      const out = outsideIssue(source, source, baseDir, allow);
      if (out) {
        issues.push(out);
        return { source, content: "" };
      }
      const value = expandFileText(fs.readFileSync(full, "utf8"), env, source, issues) ?? "";
      for (const d of YAML.parseAllDocuments(value)) {
        const errors = "errors" in d ? d.errors : [];
        if (errors.length > 0)
          issues.push({ path: source, message: `YAML syntax error in Talos patch: ${errors[0].message.split("\n")[0]}` });
        else {
          const v = yamlValue(d);
          if ("error" in v) issues.push({ path: source, message: v.error });
          else for (const i of reservedKeys(v.value, "")) issues.push({ path: `${source}: ${i.path}`, message: i.message });
        }
      }
      return { source, content: value };
    });
}

/** Node counts declared in kind.yaml (`nodes[].role`), or undefined when it declares none. */
function countKindNodes(kind: unknown): { controlPlanes: number; workers: number } | undefined {
  const nodes = (kind as { nodes?: unknown } | null)?.nodes;
  if (!Array.isArray(nodes) || nodes.length === 0) return undefined;
  const roles = nodes.map((n) => (n as { role?: unknown } | null)?.role ?? "control-plane");
  return { controlPlanes: roles.filter((r) => r === "control-plane").length, workers: roles.filter((r) => r === "worker").length };
}

/** Node counts declared in k3d.yaml (`servers`, `agents`), or undefined when it declares none. */
function countK3dNodes(k3d: unknown): { controlPlanes: number; workers: number } | undefined {
  const o = k3d as { servers?: unknown; agents?: unknown } | null;
  if (typeof o?.servers !== "number" && typeof o?.agents !== "number") return undefined;
  return { controlPlanes: typeof o.servers === "number" ? o.servers : 1, workers: typeof o.agents === "number" ? o.agents : 0 };
}

/** KSail replaces the node list of kind.yaml / k3d.yaml with controlPlanes/workers; say so when they differ. */
function nodeCountWarnings(
  declared: { controlPlanes: number; workers: number } | undefined,
  cp: number,
  workers: number,
  source: string,
): Issue[] {
  if (!declared || (declared.controlPlanes === cp && declared.workers === workers)) return [];
  return [
    {
      path: "spec.cluster.controlPlanes",
      message: `${source} declares ${declared.controlPlanes} control plane(s) and ${declared.workers} worker(s), but spec.cluster.controlPlanes=${cp} and spec.cluster.workers=${workers} decide the nodes; align the two files`,
    },
  ];
}

/** kind.yaml `name` / k3d.yaml `metadata.name` name the cluster too: adopt it, or refuse a second, different name. */
function reconcileName(config: LoadedClusterConfig, fileName: unknown, where: string, issues: Issue[]): void {
  if (typeof fileName !== "string" || fileName === "") return;
  if (config.name === undefined) config.name = fileName;
  else if (config.name !== fileName) {
    issues.push({
      path: "metadata.name",
      message: `is "${config.name}" but ${where} is "${fileName}"; a cluster has one name, make them equal (or drop one)`,
    });
  }
}

const TALOS_SUBDIRS = new Set(["cluster", "control-planes", "workers"]);

/** Entries of the Talos patch directory that are never applied (patches live in cluster/, control-planes/, workers/). */
function strayTalosEntries(dir: string, baseDir: string): Issue[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((e) => (e.isDirectory() && !TALOS_SUBDIRS.has(e.name)) || (e.isFile() && /\.ya?ml$/.test(e.name)))
    .map((e) => ({
      path: path.relative(baseDir, path.join(dir, e.name)).split(path.sep).join("/"),
      message: `is not applied: Talos patches go in ${[...TALOS_SUBDIRS].map((d) => `${d}/`).join(", ")}; move it there`,
    }));
}
