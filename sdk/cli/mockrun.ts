/**
 * Runs a Pulumi program directory under the mock runtime (`pulumi.runtime.setMocks`) and records every
 * resource it registers: type, name, parent, dependencies, inputs with secrets redacted. Used by
 * `ksail-pulumi plan` (the offline "what would be created" for CI and for machines without the Pulumi CLI)
 * and by the benchmarks (scripts/bench.js). Nothing is created; dynamic providers never run.
 *
 * Stack config comes from `Pulumi.<stack>.yaml` (plus project-level defaults in `Pulumi.yaml`);
 * encrypted values (`secure:`), and project config declared `secret: true` without a value, cannot be read
 * here and reach the program as the secret `[secret]`. Invokes answer `{}`, except the Talos snapshot lookup
 * of KSailCluster on Hetzner (`hcloud:index/getImage:getImage`), answered with the placeholder image id 0.
 * The program's `@ksail/pulumi` and `@pulumi/pulumi` imports resolve to the copies this command runs
 * from, so the program and the mocks share one Pulumi runtime.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as YAML from "yaml";
import type * as pulumiType from "@pulumi/pulumi";
import { KsailError } from "../errors";
import { decodeWire, nameOfUrn, typeOfUrn } from "./wire";

/** What a redacted secret looks like in a plan. */
export const SECRET = "[secret]";
/** What a value unknown until apply looks like in a plan. */
export const COMPUTED = "[computed]";

export interface PlannedResource {
  type: string;
  name: string;
  /** Parent resource name; undefined for children of the stack. */
  parent?: string;
  custom: boolean;
  /** Direct dependencies (explicit `dependsOn` and from inputs), as names. */
  dependencies: string[];
  /** Inputs, secrets replaced by `[secret]`, unknowns by `[computed]` (a dynamic provider's code is left out). */
  inputs: Record<string, unknown>;
  protect?: boolean;
  deleteBeforeReplace?: boolean;
  /** The `replacementTrigger` option (redacted when secret). */
  replacementTrigger?: unknown;
  /** With `wire: true`: the registration as sent, unredacted, for replaying it. */
  wire?: WireRegistration;
}

/** A registration as the program sent it (the benchmarks replay these; scripts/bench.js). */
export interface WireRegistration {
  /** Construction order (0 = first resource the program constructed). */
  order: number;
  /** Inputs as registered: secrets unwrapped (their paths in `secrets`), unknowns the sentinel, references `{urn, name, id?}`. */
  inputs: Record<string, unknown>;
  secrets: string[];
  /** Name of the explicit provider resource (custom resources). */
  provider?: string;
  /** A multi-language component (constructed by its provider). */
  remote: boolean;
}

export interface MockRunResult {
  project: string;
  stack: string;
  /** The program directory. */
  dir: string;
  preview: boolean;
  resources: PlannedResource[];
  /** Stack outputs (redacted). */
  outputs: Record<string, unknown>;
}

export interface MockRunOptions {
  /** Program directory (holds Pulumi.yaml). */
  dir: string;
  /** Stack name; default: `dev` if Pulumi.dev.yaml exists, else the only/first Pulumi.<stack>.yaml, else `dev`. */
  stack?: string;
  /** Run as a preview (outputs of new resources unknown, as in `pulumi preview` of a fresh stack). @default true */
  preview?: boolean;
  /** Extra config (`ns:key` → value) over the stack file. */
  config?: Record<string, string>;
  /**
   * Outputs of the stacks the program reads through `StackReference`, by stack name (`org/project/stack`, or
   * just `stack`). A reference to a stack not listed has no outputs.
   */
  stackOutputs?: Record<string, Record<string, unknown>>;
  /** Keep each resource's registration as sent (`PlannedResource.wire`, secrets in the clear). @default false */
  wire?: boolean;
}

/** Reads Pulumi.yaml and the stack's config; throws a KsailError saying what is missing. */
export function readProject(
  dir: string,
  stack?: string,
): { project: string; main: string; stack: string; config: Record<string, string>; secretKeys: string[] } {
  const projectFile = ["Pulumi.yaml", "Pulumi.yml"].map((f) => path.join(dir, f)).find((f) => fs.existsSync(f));
  if (!projectFile)
    throw new KsailError([{ path: dir, message: `no Pulumi.yaml in ${path.resolve(dir)}; pass the directory of a Pulumi program` }]);
  const proj = (YAML.parse(fs.readFileSync(projectFile, "utf8")) ?? {}) as {
    name?: string;
    main?: string;
    config?: Record<string, unknown>;
  };
  const project = String(proj.name ?? path.basename(dir));
  const stacks = fs
    .readdirSync(dir)
    .map((f) => /^Pulumi\.(.+)\.ya?ml$/.exec(f)?.[1])
    .filter((s): s is string => !!s)
    .sort();
  const chosen = stack ?? (stacks.includes("dev") ? "dev" : (stacks[0] ?? "dev"));
  if (stack && !stacks.includes(stack)) {
    throw new KsailError([
      { path: "--stack", message: `"${stack}" has no Pulumi.${stack}.yaml in ${dir}; stacks here: ${stacks.join(", ") || "none"}` },
    ]);
  }
  const qualify = (k: string) => (k.includes(":") ? k : `${project}:${k}`);
  const config: Record<string, string> = {};
  const secretKeys: string[] = [];
  const put = (k: string, v: unknown) => {
    const key = qualify(k);
    if (v !== null && typeof v === "object" && "secure" in (v as object)) {
      config[key] = SECRET;
      secretKeys.push(key);
    } else config[key] = typeof v === "string" ? v : JSON.stringify(v);
  };
  for (const [k, v] of Object.entries(proj.config ?? {})) {
    const o = v as { default?: unknown; value?: unknown; secret?: boolean } | null;
    if (o && typeof o === "object" && ("default" in o || "value" in o)) put(k, o.value ?? o.default);
    else if (o && typeof o === "object" && o.secret === true) put(k, { secure: "" });
    else if (typeof v !== "object" || v === null) put(k, v);
  }
  const stackFile = path.join(dir, `Pulumi.${chosen}.yaml`);
  if (fs.existsSync(stackFile)) {
    const st = (YAML.parse(fs.readFileSync(stackFile, "utf8")) ?? {}) as { config?: Record<string, unknown> };
    for (const [k, v] of Object.entries(st.config ?? {})) put(k, v);
  }
  return { project, main: proj.main ?? ".", stack: chosen, config, secretKeys };
}

/** The program's entry file (`main`, or its index.ts/index.js). */
export function programEntry(dir: string, main: string): string {
  const base = path.resolve(dir, main);
  const candidates = [base, `${base}.ts`, `${base}.js`, path.join(base, "index.ts"), path.join(base, "index.js")];
  const hit = candidates.find((c) => fs.existsSync(c) && fs.statSync(c).isFile());
  if (!hit)
    throw new KsailError([
      { path: "main", message: `no program found at ${base} (looked for index.ts / index.js); set "main" in Pulumi.yaml` },
    ]);
  return hit;
}

/** Runs the program in `opts.dir` under mocks and returns what it registered. */
export async function runProgramUnderMocks(opts: MockRunOptions): Promise<MockRunResult> {
  const dir = path.resolve(opts.dir);
  const preview = opts.preview ?? true;
  const proj = readProject(dir, opts.stack);
  const entry = programEntry(dir, proj.main);
  const pulumi = require("@pulumi/pulumi") as typeof pulumiType;
  const runtimeState = require("@pulumi/pulumi/runtime/state") as { withLocalStorage<T>(cb: () => T): T };
  const settings = require("@pulumi/pulumi/runtime/settings") as { getMonitor(): any; waitForRPCs(): Promise<void> };
  if (entry.endsWith(".ts") && !require.extensions[".ts"]) registerTypeScript();

  return runtimeState.withLocalStorage(async () => {
    const resources: PlannedResource[] = [];
    const byUrn = new Map<string, PlannedResource>();
    let outputs: Record<string, unknown> = {};
    const errors: unknown[] = [];
    const nameOf = (urn: string) => byUrn.get(urn)?.name ?? nameOfUrn(urn);
    await pulumi.runtime.setMocks(
      {
        newResource: async (a) => {
          if (a.type === "pulumi:pulumi:StackReference") {
            const ref = String(a.inputs.name ?? a.name);
            const outs = opts.stackOutputs?.[ref] ?? opts.stackOutputs?.[ref.split("/").pop()!] ?? {};
            return { id: ref, state: { name: ref, outputs: outs, secretOutputNames: [] } };
          }
          return { id: preview ? "" : `${a.name}-id`, state: { ...a.inputs } };
        },
        call: async (a) => (a.token === "hcloud:index/getImage:getImage" ? { id: 0, name: "talos-snapshot-placeholder" } : {}),
      },
      proj.project,
      proj.stack,
      preview,
    );
    pulumi.runtime.setAllConfig({ ...proj.config, ...(opts.config ?? {}) }, proj.secretKeys);
    const monitor = settings.getMonitor();
    const register = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req: any, cb: (err: any, resp?: any) => void) => {
      const sent = req.getObject()?.toJavaScript() ?? {};
      const inputs = redact(sent) as Record<string, unknown>;
      register(req, (err: any, resp: any) => {
        if (err) errors.push(err);
        else {
          const urn: string = resp.getUrn();
          const parentUrn: string = req.getParent();
          delete inputs.__provider;
          const r: PlannedResource = {
            type: req.getType(),
            name: req.getName(),
            parent: parentUrn && typeOfUrn(parentUrn) !== "pulumi:pulumi:Stack" ? nameOf(parentUrn) : undefined,
            custom: req.getCustom(),
            dependencies: [...new Set((req.getDependenciesList() as string[]).map(nameOf))],
            inputs,
            ...(req.hasProtect() && req.getProtect() ? { protect: true } : {}),
            ...(req.getDeletebeforereplacedefined() && req.getDeletebeforereplace() ? { deleteBeforeReplace: true } : {}),
            ...(req.hasReplacementTrigger() ? { replacementTrigger: redact(req.getReplacementTrigger().toJavaScript()) } : {}),
          };
          if (opts.wire) {
            const d = decodeWire(sent);
            const provider: string = req.getProvider();
            r.wire = {
              order: -1,
              inputs: d.value as Record<string, unknown>,
              secrets: d.secrets,
              ...(provider ? { provider: nameOf(provider.split("::").slice(0, -1).join("::")) } : {}),
              remote: req.getRemote(),
            };
          }
          byUrn.set(urn, r);
          if (r.type !== "pulumi:pulumi:Stack") resources.push(r);
        }
        cb(err, resp);
      });
    };
    const registerOutputs = monitor.registerResourceOutputs.bind(monitor);
    monitor.registerResourceOutputs = (req: any, cb: (err: any, resp?: any) => void) => {
      const r = byUrn.get(req.getUrn());
      if (r?.type === "pulumi:pulumi:Stack") outputs = redact(req.getOutputs()?.toJavaScript() ?? {}) as Record<string, unknown>;
      registerOutputs(req, cb);
    };

    const constructed = new Map<string, number>();
    const cwd = process.cwd();
    const restore = redirectModules();
    const restoreSpeed = withoutStackCapture();
    let programError: unknown;
    try {
      process.chdir(dir);
      for (const k of Object.keys(require.cache))
        if (k.startsWith(dir + path.sep) && !k.includes(`${path.sep}node_modules${path.sep}`)) delete require.cache[k];
      await pulumi.runtime.runInPulumiStack(async () => {
        // Construction order (registrations complete in any order), from a stack transformation.
        pulumi.runtime.registerStackTransformation((a) => {
          constructed.set(`${a.type}::${a.name}`, constructed.size);
          return undefined;
        });
        try {
          const mod = require(entry);
          if (typeof mod === "function") return await mod();
          return mod && typeof mod.default === "function" ? await mod.default() : mod;
        } catch (e) {
          programError = e;
          return undefined;
        }
      });
      await settings.waitForRPCs();
    } catch (e) {
      programError ??= e;
    } finally {
      process.chdir(cwd);
      restore();
      restoreSpeed();
    }
    if (programError !== undefined) throw programError;
    if (errors.length > 0) throw errors[0];
    for (const r of resources) if (r.wire) r.wire.order = constructed.get(`${r.type}::${r.name}`) ?? constructed.size;
    // Parents first (registration completes in any order): sort by the construction tree.
    return { project: proj.project, stack: proj.stack, dir, preview, resources: treeOrder(resources, constructed), outputs };
  });
}

/** Wire value → plain JSON with secrets as `[secret]`, unknowns as `[computed]`, resources as `<name>`. */
function redact(v: unknown): unknown {
  return decodeWire(v, { unknown: COMPUTED, redactSecrets: SECRET, resource: (r) => `<${r.name}>` }).value;
}

/** Depth-first order of the parent tree, siblings in registration order. */
function treeOrder(rs: PlannedResource[], constructed: Map<string, number>): PlannedResource[] {
  const at = (r: PlannedResource) => constructed.get(`${r.type}::${r.name}`) ?? constructed.size;
  rs = [...rs].sort((a, b) => at(a) - at(b));
  const names = new Set(rs.map((r) => r.name));
  const children = new Map<string | undefined, PlannedResource[]>();
  for (const r of rs) {
    const p = r.parent && names.has(r.parent) ? r.parent : undefined;
    children.set(p, [...(children.get(p) ?? []), r]);
  }
  const out: PlannedResource[] = [];
  const visit = (p: string | undefined) => {
    for (const c of children.get(p) ?? []) {
      out.push(c);
      visit(c.name);
    }
  };
  visit(undefined);
  return out;
}

let quiet: { depth: number; stackTraceLimit: number; sourceMaps: boolean } | undefined;

/**
 * While a program runs under the mocks: no stack capture and no source maps. The SDK attaches a captured
 * `new Error().stack` to every output promise (`debuggablePromise`, dozens per resource) and takes a full
 * stack for each resource's source position; with tsx's source maps on, each of those is also mapped back to
 * TypeScript. Nothing here reads them, and they were most of the plan's time (examples/local warm: 368 ms
 * with them, 54 ms without). Returns the function that restores both settings; runs that overlap (the test
 * recorder allows it) share one window, restored when the last ends. Errors thrown by the program keep their
 * message but carry no stack.
 */
export function withoutStackCapture(): () => void {
  if (quiet) quiet.depth++;
  else {
    quiet = { depth: 1, stackTraceLimit: Error.stackTraceLimit, sourceMaps: process.sourceMapsEnabled };
    Error.stackTraceLimit = 0;
    process.setSourceMapsEnabled(false);
  }
  let done = false;
  return () => {
    if (done || !quiet) return;
    done = true;
    if (--quiet.depth > 0) return;
    Error.stackTraceLimit = quiet.stackTraceLimit;
    process.setSourceMapsEnabled(quiet.sourceMaps);
    quiet = undefined;
  };
}

/** `@ksail/pulumi` → this package; `@pulumi/pulumi[/…]` → the copy this process runs (one runtime). */
function redirectModules(): () => void {
  const Module = require("node:module") as { _resolveFilename: (...a: any[]) => string };
  const orig = Module._resolveFilename;
  const self = require.resolve(path.join(__dirname, "..", "index"));
  Module._resolveFilename = function (this: unknown, request: string, parent: unknown, ...rest: unknown[]) {
    if (request === "@ksail/pulumi") return self;
    if (request === "@pulumi/pulumi" || request.startsWith("@pulumi/pulumi/")) return orig.call(this, request, module, ...rest);
    return orig.call(this, request, parent, ...rest);
  };
  return () => {
    Module._resolveFilename = orig;
  };
}

/** Compiles the program's TypeScript with tsx; the process's source-map setting is left as it was (tsx turns it on). */
function registerTypeScript(): void {
  const sourceMaps = process.sourceMapsEnabled;
  try {
    (require("tsx/cjs/api") as { register(): unknown }).register();
    process.setSourceMapsEnabled(sourceMaps);
  } catch {
    throw new KsailError([
      {
        path: "main",
        message:
          "the program is TypeScript and tsx is not installed; run `npm install --save-dev tsx` (or point main at compiled JavaScript)",
      },
    ]);
  }
}

/** Human-readable graph: one line per resource as a tree, then its dependencies and key inputs. */
export function formatPlan(r: MockRunResult): string {
  const depth = new Map<string, number>();
  const lines = [
    `Plan of ${r.project} (stack ${r.stack}) under the mock runtime: ${r.resources.length} resources would be created (${r.preview ? "preview of a new stack" : "up"}).`,
    `Secrets show as ${SECRET}; values known only after apply as ${COMPUTED}.`,
    "",
  ];
  for (const res of r.resources) {
    const d = res.parent !== undefined ? (depth.get(res.parent) ?? 0) + 1 : 0;
    depth.set(res.name, d);
    const pad = "  ".repeat(d);
    lines.push(`${pad}+ ${res.name}  (${res.type})${res.protect ? "  [protected]" : ""}`);
    const deps = res.dependencies.filter((x) => x !== res.parent);
    if (deps.length > 0) lines.push(`${pad}    after: ${deps.join(", ")}`);
    const keys = keyInputs(res);
    if (keys.length > 0) lines.push(`${pad}    ${keys.join("  ")}`);
  }
  const outs = Object.keys(r.outputs);
  if (outs.length > 0) lines.push("", `Stack outputs: ${outs.map((k) => (r.outputs[k] === SECRET ? `${k} ${SECRET}` : k)).join(", ")}`);
  return `${lines.join("\n")}\n`;
}

const MAX_KEYS = 6;
const MAX_LEN = 60;

/** The plain, short top-level inputs of a resource (`key=value`), secrets redacted. */
function keyInputs(res: PlannedResource): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(res.inputs)) {
    if (out.length >= MAX_KEYS) break;
    if (k.startsWith("__") || v === undefined || v === null) continue;
    if (typeof v === "object") continue;
    const s = String(v).replace(/\s+/g, " ");
    out.push(`${k}=${s.length > MAX_LEN ? `${s.slice(0, MAX_LEN)}…` : s}`);
  }
  return out;
}
