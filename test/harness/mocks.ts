/**
 * Mocks recorder (testing ladder L1): run a component or a whole program under `pulumi.runtime.setMocks`
 * and get back every registered resource with its inputs, resource options and outputs, so that tests
 * assert on records rather than on "it did not throw".
 *
 * ```ts
 * import { recordProgram, settle, allPlainStrings } from "./mocks";
 * const rec = await recordProgram(() => { new MyComponent("dev", args); }, { preview: true });
 * const node = rec.byName("dev-cp-0");                       // throws, listing the names, when absent
 * assert.equal(node.type, "docker:index/container:Container");
 * assert.equal(node.parent, "dev");                          // parent *name* (parentUrn has the URN)
 * assert.deepEqual(node.options.dependsOn, ["dev-network"]);  // explicit dependencies, as names
 * assert.equal(node.inputs.image, "kindest/node:v1.33.1");
 * assert.ok(node.secretInputs.includes("envs"));             // secret paths: "a", "a.b", "a[0].b"
 * assert.equal(node.inputs.ip, UNKNOWN);                      // preview: unknowns are the sentinel string
 * ```
 *
 * How it works: each run gets a fresh Pulumi runtime store (the SDK's AsyncLocalStorage store, the same
 * isolation the Automation API uses for inline programs), calls `setMocks`, wraps the mock monitor's
 * `registerResource`/`registerResourceOutputs`/`invoke` to read the real `RegisterResourceRequest` (which
 * carries the options the `Mocks.newResource` callback never sees), runs `fn` inside a root
 * `pulumi:pulumi:Stack` and waits until every RPC has drained. Runs are independent: several recordings
 * in one file (even concurrently) do not see each other's resources, config or preview flag.
 *
 * Values are decoded from the wire form by the decoder `ksail-pulumi plan` uses (sdk/cli/wire.ts):
 * secrets are unwrapped and their paths listed in `secretInputs` / `secretOutputs`; unknowns (preview) are
 * the string `UNKNOWN` from sdk/impact/unknown.ts; resource references become `{ urn, name, id? }`; assets
 * `{ asset: {...} }` / `{ archive: {...} }`.
 *
 * Outputs are what the program saw. Like the real engine (and unlike bare setMocks), a top-level output
 * is marked secret when the same-named input was secret or the key is in `additionalSecretOutputs`
 * (turn off with `engineSecrets: false`). Default mock state: the inputs echoed back, id `<name>-id`;
 * customise with `state(args)`. In preview, keys the mock does not return are unknown, as in a real
 * preview of a create.
 */
import * as pulumi from "@pulumi/pulumi";
import { decodeWire, nameOfUrn, typeOfUrn, wireSecret } from "../../sdk/cli/wire";
import { withoutStackCapture } from "../../sdk/cli/mockrun";

// Internal runtime modules (no "exports" map in @pulumi/pulumi, so deep requires are stable per version).
const runtimeState = require("@pulumi/pulumi/runtime/state") as {
  withLocalStorage<T>(cb: () => T): T;
};
const runtimeSettings = require("@pulumi/pulumi/runtime/settings") as {
  getMonitor(): any;
  waitForRPCs(): Promise<void>;
};

export { decodeWire, nameOfUrn, typeOfUrn };
/** A reference to another resource found in inputs or outputs. */
export type { WireRef as RecordedRef } from "../../sdk/cli/wire";

/** The resource options as the engine receives them (names resolved from URNs). */
export interface RecordedOptions {
  /**
   * The `dependsOn` option exactly as given, as resource names (a component stays one name; the wire
   * request expands it to its children, see `dependencies`). Captured in-process by a stack
   * transformation, so `dependsOn` passed through a parent's transformations is seen too.
   */
  dependsOn: string[];
  /** Every direct dependency (explicit and from inputs), as names. */
  dependencies: string[];
  /** Per input property: the resources it depends on, as names. */
  propertyDependencies: Record<string, string[]>;
  /** `undefined` when the option was not set. */
  deleteBeforeReplace: boolean | undefined;
  replaceOnChanges: string[];
  /** Decoded trigger value (`undefined` when the option was not set; `UNKNOWN` when unknown). */
  replacementTrigger: unknown;
  replacementTriggerSecret: boolean;
  /** Names of the `replaceWith` resources. */
  replaceWith: string[];
  ignoreChanges: string[];
  protect: boolean | undefined;
  retainOnDelete: boolean | undefined;
  deletedWith: string | undefined;
  hideDiffs: string[];
  additionalSecretOutputs: string[];
  /** Name of the explicit provider resource (custom resources), or undefined for the default provider. */
  provider: string | undefined;
  /** Provider reference as sent: `<urn>::<id>`. */
  providerRef: string | undefined;
  /** Component `providers` map: package → provider name. */
  providers: Record<string, string>;
  /** Alias specs (`{name?, type?, stack?, project?, parentUrn?, noParent?}`) or `{urn}`. */
  aliases: Record<string, unknown>[];
  customTimeouts: { create?: string; update?: string; delete?: string } | undefined;
  importId: string | undefined;
  version: string | undefined;
}

export interface RecordedResource {
  type: string;
  name: string;
  urn: string;
  custom: boolean;
  remote: boolean;
  /** Name of the parent resource; undefined for children of the stack. */
  parent: string | undefined;
  parentUrn: string | undefined;
  /** The id the mock returned (custom resources). */
  id: string | undefined;
  /** Plain decoded inputs (secrets unwrapped, unknowns = `UNKNOWN`). */
  inputs: Record<string, any>;
  /** Paths of inputs that were secret (`"key"`, `"key.sub"`, `"key[0]"`). */
  secretInputs: string[];
  options: RecordedOptions;
  /** Outputs as the program received them (for components: what `registerOutputs` was given). */
  outputs: Record<string, any>;
  secretOutputs: string[];
}

export interface RecordedInvoke {
  token: string;
  inputs: Record<string, any>;
  provider: string;
}

export interface Recording {
  preview: boolean;
  project: string;
  stack: string;
  /** Every resource in construction order, without the root stack. */
  resources: RecordedResource[];
  /** The root `pulumi:pulumi:Stack`. */
  stackResource: RecordedResource;
  /** What `fn` returned, as registered stack outputs (decoded). */
  stackOutputs: Record<string, any>;
  secretStackOutputs: string[];
  invokes: RecordedInvoke[];
  /** The resource named `name`; throws listing the recorded names when absent or ambiguous. */
  byName(name: string): RecordedResource;
  /** Like byName, but undefined when absent. */
  find(name: string): RecordedResource | undefined;
  /** Every resource of this type token (e.g. "docker:index/container:Container"). */
  byType(type: string): RecordedResource[];
  /** Direct children of the named resource. */
  childrenOf(name: string): RecordedResource[];
}

export interface MockResourceArgsEx extends pulumi.runtime.MockResourceArgs {
  preview: boolean;
}

export interface MockState {
  /**
   * Default `<name>-id` (also in preview). Return `""` for an unknown id, as a real preview of a create
   * gives (a provider built from it then has an unknown reference).
   */
  id?: string;
  /** Extra or overriding outputs (may hold `pulumi.secret(...)` or `UNKNOWN`). */
  outputs?: Record<string, unknown>;
  /** Start from the inputs echoed back (default true). */
  echoInputs?: boolean;
}

export interface RecordOptions {
  /** Run as `pulumi preview` (default false = `pulumi up`). */
  preview?: boolean;
  /** Stack config; keys with or without project prefix (`"ksail:foo"` or `"foo"` → `"<project>:foo"`). */
  config?: Record<string, unknown>;
  /** Config keys (as given in `config`) that are secret. */
  secretKeys?: string[];
  /** Default "ksail". */
  project?: string;
  /** Default "test". */
  stack?: string;
  /** Customise a resource's mock outputs; return undefined for the default (inputs echoed, id `<name>-id`). */
  state?: (args: MockResourceArgsEx) => MockState | undefined | Promise<MockState | undefined>;
  /** Answer invokes; default throws naming the token (so a missing mock fails loudly). */
  call?: (args: pulumi.runtime.MockCallArgs) => Record<string, unknown> | Promise<Record<string, unknown>>;
  /** Mark outputs secret as the engine does (secret same-named inputs, additionalSecretOutputs). Default true. */
  engineSecrets?: boolean;
}

// Pulumi deliberately turns a failed registration into an unhandled rejection (the language host
// reports it). During a recording they are collected instead, so the recording rejects with the cause
// and the test runner does not report them a second time, after the test.
const sinks = new Set<unknown[]>();
let savedListeners: NodeJS.UnhandledRejectionListener[] = [];
const onUnhandled = (reason: unknown) => {
  for (const s of sinks) s.push(reason);
};

function captureUnhandledRejections(into: unknown[]): () => Promise<void> {
  if (sinks.size === 0) {
    savedListeners = process.listeners("unhandledRejection");
    process.removeAllListeners("unhandledRejection");
    process.on("unhandledRejection", onUnhandled);
  }
  sinks.add(into);
  return async () => {
    // Rejections are reported after the microtask queue drains: give them a turn to arrive.
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    sinks.delete(into);
    if (sinks.size === 0) {
      process.off("unhandledRejection", onUnhandled);
      for (const l of savedListeners) process.on("unhandledRejection", l);
      savedListeners = [];
    }
  };
}

function join(path: string, key: string | number): string {
  if (typeof key === "number") return `${path}[${key}]`;
  return path ? `${path}.${key}` : key;
}

function structToJs(s: any): Record<string, unknown> {
  return s ? (s.toJavaScript() as Record<string, unknown>) : {};
}

function optionsOf(req: any, nameOf: (urn: string) => string): { options: RecordedOptions; secret: boolean } {
  const deps: string[] = req.getDependenciesList();
  const propDeps: Record<string, string[]> = {};
  req.getPropertydependenciesMap().forEach((v: any, k: string) => {
    const urns: string[] = v.getUrnsList();
    propDeps[k] = urns.map(nameOf);
  });
  let trigger: unknown = undefined;
  let triggerSecret = false;
  if (req.hasReplacementTrigger()) {
    const d = decodeWire(req.getReplacementTrigger().toJavaScript());
    trigger = d.value;
    triggerSecret = d.secrets.length > 0;
  }
  const providerRef: string = req.getProvider();
  const providers: Record<string, string> = {};
  req.getProvidersMap().forEach((v: string, k: string) => {
    providers[k] = nameOf(v.split("::").slice(0, -1).join("::"));
  });
  const aliases = (req.getAliasesList() as any[]).map((a) => {
    if (a.hasUrn()) return { urn: a.getUrn() };
    const s = a.getSpec();
    const spec: Record<string, unknown> = {};
    if (s.getName()) spec.name = s.getName();
    if (s.getType()) spec.type = s.getType();
    if (s.getStack()) spec.stack = s.getStack();
    if (s.getProject()) spec.project = s.getProject();
    if (s.hasParenturn()) spec.parentUrn = s.getParenturn();
    if (s.hasNoparent()) spec.noParent = s.getNoparent();
    return spec;
  });
  for (const u of req.getAliasurnsList() as string[]) aliases.push({ urn: u });
  const ct = req.hasCustomtimeouts() ? req.getCustomtimeouts() : undefined;
  const customTimeouts =
    ct && (ct.getCreate() || ct.getUpdate() || ct.getDelete())
      ? {
          ...(ct.getCreate() ? { create: ct.getCreate() } : {}),
          ...(ct.getUpdate() ? { update: ct.getUpdate() } : {}),
          ...(ct.getDelete() ? { delete: ct.getDelete() } : {}),
        }
      : undefined;
  return {
    secret: triggerSecret,
    options: {
      dependsOn: [],
      dependencies: deps.map(nameOf),
      propertyDependencies: propDeps,
      deleteBeforeReplace: req.getDeletebeforereplacedefined() ? req.getDeletebeforereplace() : undefined,
      replaceOnChanges: req.getReplaceonchangesList(),
      replacementTrigger: trigger,
      replacementTriggerSecret: triggerSecret,
      replaceWith: (req.getReplaceWithList() as string[]).map(nameOf),
      ignoreChanges: req.getIgnorechangesList(),
      protect: req.hasProtect() ? req.getProtect() : undefined,
      retainOnDelete: req.hasRetainondelete() ? req.getRetainondelete() : undefined,
      deletedWith: req.getDeletedwith() ? nameOf(req.getDeletedwith()) : undefined,
      hideDiffs: req.getHidediffsList(),
      additionalSecretOutputs: req.getAdditionalsecretoutputsList(),
      provider: providerRef ? nameOf(providerRef.split("::").slice(0, -1).join("::")) : undefined,
      providerRef: providerRef || undefined,
      providers,
      aliases,
      customTimeouts,
      importId: req.getImportid() || undefined,
      version: req.getVersion() || undefined,
    },
  };
}

function makeRecording(base: Omit<Recording, "byName" | "find" | "byType" | "childrenOf">): Recording {
  const rec = base as Recording;
  rec.find = (name) => {
    const hits = rec.resources.filter((r) => r.name === name);
    if (hits.length > 1)
      throw new Error(`recording: ${hits.length} resources are named "${name}" (${hits.map((h) => h.type).join(", ")}); use byType`);
    return hits[0];
  };
  rec.byName = (name) => {
    const r = rec.find(name);
    if (!r) throw new Error(`recording: no resource named "${name}"; recorded: ${rec.resources.map((x) => x.name).join(", ")}`);
    return r;
  };
  rec.byType = (type) => rec.resources.filter((r) => r.type === type);
  rec.childrenOf = (name) => rec.resources.filter((r) => r.parent === name);
  return rec;
}

/** The resource named `name` in `recording` (throws when absent). */
export function byName(recording: Recording, name: string): RecordedResource {
  return recording.byName(name);
}

/** Every resource of a type token in `recording`. */
export function byType(recording: Recording, type: string): RecordedResource[] {
  return recording.byType(type);
}

/**
 * Run `fn` as a Pulumi program under mocks and record everything it registers. `fn` may return stack
 * outputs (an object, possibly holding Outputs). Rejects with the first registration or program error.
 */
export async function recordProgram(fn: () => unknown, opts: RecordOptions = {}): Promise<Recording> {
  const preview = opts.preview ?? false;
  const project = opts.project ?? "ksail";
  const stack = opts.stack ?? "test";
  const engineSecrets = opts.engineSecrets ?? true;
  return runtimeState.withLocalStorage(async () => {
    const resources: RecordedResource[] = [];
    const byUrn = new Map<string, RecordedResource>();
    const invokes: RecordedInvoke[] = [];
    const errors: unknown[] = [];
    let stackResource: RecordedResource | undefined;

    const nameOf = (urn: string) => byUrn.get(urn)?.name ?? nameOfUrn(urn);

    const mocks: pulumi.runtime.Mocks = {
      newResource: async (args) => {
        const custom = args.type === "pulumi:pulumi:Stack" ? undefined : await opts.state?.({ ...args, preview });
        const base: Record<string, unknown> = custom?.echoInputs === false ? {} : { ...args.inputs };
        return { id: custom?.id ?? `${args.name}-id`, state: { ...base, ...(custom?.outputs ?? {}) } };
      },
      call: async (args) => {
        try {
          if (!opts.call) throw new Error(`recordProgram: no mock for invoke "${args.token}"; pass opts.call`);
          return await opts.call(args);
        } catch (e) {
          // The runtime rethrows invoke failures as `new Error(err.details)`: keep the message.
          if (e instanceof Error) (e as Error & { details?: string }).details ??= e.message;
          throw e;
        }
      },
    };
    await pulumi.runtime.setMocks(mocks, project, stack, preview);
    if (opts.config) {
      const qualify = (k: string) => (k.includes(":") ? k : `${project}:${k}`);
      const cfg: Record<string, string> = {};
      for (const [k, v] of Object.entries(opts.config)) cfg[qualify(k)] = typeof v === "string" ? v : JSON.stringify(v);
      pulumi.runtime.setAllConfig(cfg, (opts.secretKeys ?? []).map(qualify));
    }

    const monitor = runtimeSettings.getMonitor();
    const origRegister = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req: any, cb: (err: any, resp?: any) => void) => {
      const decodedIn = decodeWire(structToJs(req.getObject()));
      origRegister(req, (err: any, resp: any) => {
        if (err) {
          errors.push(err);
          cb(err, resp);
          return;
        }
        try {
          const urn: string = resp.getUrn();
          const { options } = optionsOf(req, nameOf);
          let outWire = structToJs(resp.getObject());
          if (engineSecrets && req.getCustom()) {
            const secretTop = new Set<string>(options.additionalSecretOutputs);
            for (const p of decodedIn.secrets) secretTop.add(p.split(/[.[]/)[0]);
            outWire = { ...outWire };
            for (const k of secretTop) if (k in outWire) outWire[k] = wireSecret(outWire[k]);
            resp.setObject(toStruct(outWire));
          }
          const decodedOut = decodeWire(outWire);
          const parentUrn: string = req.getParent() || undefined;
          const r: RecordedResource = {
            type: req.getType(),
            name: req.getName(),
            urn,
            custom: req.getCustom(),
            remote: req.getRemote(),
            parent: parentUrn && typeOfUrn(parentUrn) !== "pulumi:pulumi:Stack" ? nameOf(parentUrn) : undefined,
            parentUrn,
            id: req.getCustom() ? resp.getId() || undefined : undefined,
            inputs: decodedIn.value,
            secretInputs: decodedIn.secrets,
            options,
            outputs: req.getCustom() ? decodedOut.value : {},
            secretOutputs: req.getCustom() ? decodedOut.secrets : [],
          };
          byUrn.set(urn, r);
          if (r.type === "pulumi:pulumi:Stack") stackResource = r;
          else resources.push(r);
        } catch (e) {
          errors.push(e);
          cb(e);
          return;
        }
        cb(null, resp);
      });
    };
    const origOutputs = monitor.registerResourceOutputs.bind(monitor);
    monitor.registerResourceOutputs = (req: any, cb: (err: any, resp?: any) => void) => {
      const r = byUrn.get(req.getUrn());
      if (r) {
        const d = decodeWire(structToJs(req.getOutputs()));
        r.outputs = d.value;
        r.secretOutputs = d.secrets;
      }
      origOutputs(req, cb);
    };
    const origInvoke = monitor.invoke.bind(monitor);
    monitor.invoke = (req: any, cb: (err: any, resp?: any) => void) => {
      invokes.push({ token: req.getTok(), inputs: decodeWire(structToJs(req.getArgs())).value, provider: req.getProvider() });
      origInvoke(req, (err: any, resp: any) => {
        if (err) errors.push(err);
        cb(err, resp);
      });
    };

    // Explicit dependsOn never reaches the monitor as such; record it from the resource options.
    // It also gives the construction order (registration completes in any order).
    const constructed: { resource: pulumi.Resource; dependsOn: unknown }[] = [];
    let programError: unknown;
    const release = captureUnhandledRejections(errors);
    // As `ksail-pulumi plan` does: no stack capture while the program runs (a third of a mocks test's CPU).
    // KSAIL_TEST_STACKS=1 keeps stacks, to debug a program that throws.
    const restoreStacks = process.env.KSAIL_TEST_STACKS ? () => undefined : withoutStackCapture();
    try {
      await pulumi.runtime.runInPulumiStack(async () => {
        pulumi.runtime.registerStackTransformation((a) => {
          constructed.push({ resource: a.resource, dependsOn: a.opts.dependsOn });
          return undefined;
        });
        // Catch here: a throw escaping the Stack's init leaves rejected runtime promises unhandled.
        try {
          return await fn();
        } catch (e) {
          programError = e;
          return undefined;
        }
      });
    } catch (e) {
      programError ??= e;
    }
    try {
      await runtimeSettings.waitForRPCs();
    } finally {
      restoreStacks();
      await release();
    }
    // A monitor error (failed mock, failed invoke) is the cause of any program error it produced.
    if (errors.length > 0) throw errors[0];
    if (programError !== undefined) throw programError;
    const order = new Map<RecordedResource, number>();
    for (const [i, e] of constructed.entries()) {
      const r = byUrn.get(await promiseOf(e.resource.urn));
      if (!r) continue;
      order.set(r, i);
      r.options.dependsOn = (await dependsOnUrns(e.dependsOn)).map(nameOf);
    }
    const last = constructed.length;
    resources.sort((x, y) => (order.get(x) ?? last) - (order.get(y) ?? last));
    if (!stackResource) throw new Error("recordProgram: the root stack was not registered");
    const st = stackResource as RecordedResource;
    return makeRecording({
      preview,
      project,
      stack,
      resources,
      stackResource: st,
      stackOutputs: st.outputs,
      secretStackOutputs: st.secretOutputs,
      invokes,
    });
  });
}

/** The value of an Output (internal API; resolves to undefined when unknown instead of hanging). */
function promiseOf<T>(o: pulumi.Output<T>): Promise<T> {
  return (o as unknown as { promise(): Promise<T> }).promise();
}

async function dependsOnUrns(d: unknown): Promise<string[]> {
  const v = pulumi.Output.isInstance(d) ? await promiseOf(d as pulumi.Output<unknown>) : await d;
  const list = Array.isArray(v) ? v : v === undefined || v === null ? [] : [v];
  const urns: string[] = [];
  for (const x of list) {
    const res = pulumi.Output.isInstance(x) ? await promiseOf(x as pulumi.Output<unknown>) : await x;
    if (res && pulumi.Resource.isInstance(res)) urns.push(await promiseOf(res.urn));
  }
  return urns;
}

function toStruct(o: Record<string, unknown>): any {
  const { Struct } = require("google-protobuf/google/protobuf/struct_pb");
  return Struct.fromJavaScript(o);
}

/** An Output's state without hanging on unknowns (`apply` never calls back on an unknown; this reads the internal fields). */
export async function settle<T>(o: pulumi.Output<T>): Promise<{ known: boolean; secret: boolean; value: T | undefined }> {
  const impl = o as unknown as { isKnown: Promise<boolean>; isSecret: Promise<boolean>; promise(): Promise<T> };
  const known = await impl.isKnown;
  const secret = await impl.isSecret;
  return { known, secret, value: known ? await impl.promise() : undefined };
}

function isUnder(path: string, secretPaths: string[]): boolean {
  return secretPaths.some((s) => path === s || path.startsWith(`${s}.`) || path.startsWith(`${s}[`));
}

function plainStrings(v: unknown, path: string, secretPaths: string[], out: string[]): void {
  if (path !== "" && isUnder(path, secretPaths)) return;
  if (typeof v === "string") out.push(v);
  else if (Array.isArray(v)) v.forEach((e, i) => plainStrings(e, join(path, i), secretPaths, out));
  else if (v !== null && typeof v === "object")
    for (const [k, e] of Object.entries(v as Record<string, unknown>)) plainStrings(e, join(path, k), secretPaths, out);
}

/**
 * Every string value in a non-secret position of the recording (inputs, outputs, replacement triggers,
 * stack outputs): what would be readable in plain text in state or a preview. For secret-leak scans:
 * `assert.ok(!allPlainStrings(rec).some((s) => s.includes(privateKeyPem)))`.
 */
export function allPlainStrings(recording: Recording): string[] {
  const out: string[] = [];
  for (const r of [...recording.resources, recording.stackResource]) {
    plainStrings(r.inputs, "", r.secretInputs, out);
    plainStrings(r.outputs, "", r.secretOutputs, out);
    if (!r.options.replacementTriggerSecret) plainStrings(r.options.replacementTrigger, "", [], out);
  }
  return out;
}
