/**
 * Engine driver (testing ladder L2): start the real `@pulumi/pulumi/cmd/dynamic-provider` host as a child
 * process and call it over gRPC exactly as the Pulumi engine does, with the `__provider` captured from a
 * mocks run. Mocks never execute a dynamic provider; this does.
 *
 * ```ts
 * import { captureProvider, startProviderHost } from "./engine";
 * const cap = await captureProvider(() => new TalosMachine("cp-0", args));   // mocks run, nothing executed
 * const host = await startProviderHost({ config: { "ksail:foo": "bar" } });   // spawns + Configure
 * try {
 *   const news = { ...cap.inputs, __provider: cap.provider };
 *   const { inputs, failures } = await host.check(cap.urn, {}, news);        // olds = {} for a new resource
 *   const { id, outs } = await host.create(cap.urn, inputs);
 *   const d = await host.diff(id, cap.urn, outs, { ...inputs, x: 2 }, inputs); // olds = OLD OUTPUTS
 *   // or let the driver sequence the steps like the engine's step generator:
 *   const s1 = await host.up(cap.urn, news);                                   // check → create
 *   const s2 = await host.up(cap.urn, changedNews, s1);                        // check → diff → update/replace/same
 *   await host.destroy(cap.urn, s2);                                           // delete with the stored outputs
 *   await host.waitForOutput(/REBOOT/);                                        // provider console output
 * } finally { await host.close(); }
 * ```
 *
 * Values go over the wire as google.protobuf.Struct, like the engine: plain values only (the host
 * answers acceptSecrets=false, so the engine strips secrets before each call; pass plaintext). Preview
 * unknowns are the string `UNKNOWN` from sdk/impact/unknown.ts. Keys whose value is `undefined` are
 * dropped (the wire has no undefined). Every call has a deadline; failures throw `ProviderHostError`
 * with the gRPC code, the message, and for create/update the partial-failure detail (`initFailed`).
 *
 * The host's cwd is the repository root and `PULUMI_NODEJS_PROJECT` is "ksail" (the engine sets it; it
 * is what makes `config.get("key")` find `ksail:key`). When this file runs from source (tsx), the host is
 * started with the tsx loader so a trampoline pointing at a `.ts` impl module loads; from dist/ (what
 * `npm test` runs) it is plain node, as users get it.
 */
import { spawn, type ChildProcess } from "node:child_process";
import * as grpc from "@grpc/grpc-js";
import { recordProgram, type RecordOptions, type RecordedResource, type Recording } from "./mocks";

const provproto = require("@pulumi/pulumi/proto/provider_pb");
const provrpc = require("@pulumi/pulumi/proto/provider_grpc_pb");
const statusproto = require("@pulumi/pulumi/proto/status_pb");
const { Struct } = require("google-protobuf/google/protobuf/struct_pb");
const { Empty } = require("google-protobuf/google/protobuf/empty_pb");

export type Props = Record<string, unknown>;

export { repoRoot } from "./paths";
import { repoRoot } from "./paths";

/** URN of a top-level resource (child of the stack) as the mocks recorder and the engine build it. */
export function urnOf(type: string, name: string, opts: { project?: string; stack?: string; parentType?: string } = {}): string {
  const qualified = `${opts.parentType ?? "pulumi:pulumi:Stack"}$${type}`;
  return `urn:pulumi:${opts.stack ?? "test"}::${opts.project ?? "ksail"}::${qualified}::${name}`;
}

/** A failed RPC: gRPC status code (2 = UNKNOWN for a thrown error), message, and init-failure detail. */
export class ProviderHostError extends Error {
  constructor(
    readonly method: string,
    readonly code: number,
    readonly details: string,
    /** Set when create/update threw an error carrying `id` (the engine records a partial failure). */
    readonly initFailed?: { id: string; properties: Props; reasons: string[] },
  ) {
    super(`${method} failed (gRPC code ${code}): ${details}`);
    this.name = "ProviderHostError";
  }
}

/** Check failures are fatal in the engine; this is its message format (sdk/go/common/diag/errors.go). */
export class CheckFailedError extends Error {
  constructor(
    readonly urn: string,
    readonly failures: { property: string; reason: string }[],
    news: Props,
  ) {
    const type = (urn.split("::")[2] ?? "").split("$").pop();
    const name = urn.split("::").slice(3).join("::");
    super(
      failures
        .map(
          (f) => `${type} resource '${name}': property ${f.property} value ${JSON.stringify(news[f.property])} has a problem: ${f.reason}`,
        )
        .join("\n"),
    );
    this.name = "CheckFailedError";
  }
}

export interface DiffResult {
  changes: "none" | "some" | "unknown";
  replaces: string[];
  deleteBeforeReplace: boolean;
  stables: string[];
  diffs: string[];
  hasDetailedDiff: boolean;
}

/** The engine's record of one resource after a step: what it would keep in state. */
export interface ResourceState {
  id: string;
  inputs: Props;
  outputs: Props;
}

export interface StepResult extends ResourceState {
  op: "create" | "same" | "update" | "replace";
  diff?: DiffResult;
  /** For a replace: the state that was deleted. */
  replaced?: ResourceState;
}

export interface HostOptions {
  /** Stack config sent with Configure, namespaced keys ("ksail:sampleHeader"). Configure is skipped if undefined. */
  config?: Record<string, string>;
  /** PULUMI_NODEJS_PROJECT for the host (default "ksail"). */
  project?: string;
  /** Extra environment for the host. */
  env?: Record<string, string>;
  /**
   * Per-call deadline (default 120 s: generous because a loaded CI machine can take tens of seconds for
   * real key generation; it only exists so that a hung provider fails the test instead of the run).
   */
  timeoutMs?: number;
  /** Working directory (default: repository root, like a Pulumi project dir). */
  cwd?: string;
  /** Start the host with the tsx loader (default: when this file runs from .ts source). */
  tsx?: boolean;
}

function clean(v: unknown): unknown {
  if (Array.isArray(v)) return v.map((e) => (e === undefined ? null : clean(e)));
  if (v !== null && typeof v === "object") {
    const o: Record<string, unknown> = {};
    for (const [k, e] of Object.entries(v as Record<string, unknown>)) if (e !== undefined) o[k] = clean(e);
    return o;
  }
  return v;
}

const toStruct = (o: Props) => Struct.fromJavaScript(clean(o));
const fromStruct = (s: any): Props => (s ? (s.toJavaScript() as Props) : {});

export class ProviderHost {
  private stdoutBuf = "";
  private stderrBuf = "";
  private readonly waiters = new Set<() => void>();
  private closed = false;
  private readonly exited: Promise<number | null>;

  constructor(
    readonly child: ChildProcess,
    private readonly client: any,
    readonly port: number,
    private readonly timeoutMs: number,
    initialStdout: string,
    initialStderr: string,
  ) {
    this.stdoutBuf = initialStdout;
    this.stderrBuf = initialStderr;
    child.stdout!.on("data", (d) => this.append("stdout", String(d)));
    child.stderr!.on("data", (d) => this.append("stderr", String(d)));
    this.exited = new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) resolve(child.exitCode);
      else child.once("exit", (code) => resolve(code));
    });
  }

  private append(which: "stdout" | "stderr", text: string) {
    if (which === "stdout") this.stdoutBuf += text;
    else this.stderrBuf += text;
    for (const w of [...this.waiters]) w();
  }

  /** What the host (and provider code in it) printed so far, since the last clearOutput(). */
  get stdout(): string {
    return this.stdoutBuf;
  }
  get stderr(): string {
    return this.stderrBuf;
  }
  output(): { stdout: string; stderr: string } {
    return { stdout: this.stdoutBuf, stderr: this.stderrBuf };
  }
  clearOutput(): void {
    this.stdoutBuf = "";
    this.stderrBuf = "";
  }

  /**
   * Wait until stdout or stderr matches (output travels on a pipe, separately from the gRPC reply, so it
   * may arrive just after the call returns). Resolves with the combined text; rejects after the timeout,
   * which only bounds a failure: the default is generous because a loaded machine can delay the pipe.
   */
  waitForOutput(pattern: RegExp | string, timeoutMs = 30_000): Promise<string> {
    const test = () => {
      const all = `${this.stdoutBuf}${this.stderrBuf}`;
      return (typeof pattern === "string" ? all.includes(pattern) : pattern.test(all)) ? all : undefined;
    };
    const now = test();
    if (now !== undefined) return Promise.resolve(now);
    return new Promise((resolve, reject) => {
      const done = () => {
        const r = test();
        if (r === undefined) return;
        clearTimeout(timer);
        this.waiters.delete(done);
        resolve(r);
      };
      const timer = setTimeout(() => {
        this.waiters.delete(done);
        reject(
          new Error(
            `waitForOutput: ${String(pattern)} not seen in ${timeoutMs} ms; stdout=${JSON.stringify(this.stdoutBuf)} stderr=${JSON.stringify(this.stderrBuf)}`,
          ),
        );
      }, timeoutMs);
      this.waiters.add(done);
    });
  }

  private rpc<T>(method: string, req: unknown): Promise<T> {
    if (this.closed) return Promise.reject(new Error(`${method}: provider host is closed`));
    return new Promise((resolve, reject) => {
      const deadline = new Date(Date.now() + this.timeoutMs);
      this.client[method](req, new grpc.Metadata(), { deadline }, (err: grpc.ServiceError | null, resp: T) => {
        if (!err) return resolve(resp);
        reject(new ProviderHostError(method, err.code, err.details || err.message, initFailedOf(err)));
      });
    });
  }

  /** GetPluginInfo → the @pulumi/pulumi version the host runs. */
  async pluginInfo(): Promise<{ version: string }> {
    const r: any = await this.rpc("getPluginInfo", new Empty());
    return { version: r.getVersion() };
  }

  /** Configure with the stack config (namespaced keys), as the engine does before the first resource call. */
  async configure(config: Record<string, string> = {}): Promise<{ acceptSecrets: boolean; supportsPreview: boolean }> {
    const req = new provproto.ConfigureRequest();
    req.setArgs(toStruct(config));
    const vars = req.getVariablesMap();
    for (const [k, v] of Object.entries(config)) vars.set(k, v);
    req.setAcceptsecrets(true);
    req.setAcceptresources(true);
    req.setSendsOldInputs(true);
    req.setSendsOldInputsToDelete(true);
    const r: any = await this.rpc("configure", req);
    return { acceptSecrets: r.getAcceptsecrets(), supportsPreview: r.getSupportspreview() };
  }

  /** Check(olds = old inputs from state, or {} for a new resource; news = program inputs with __provider). */
  async check(urn: string, olds: Props, news: Props): Promise<{ inputs: Props; failures: { property: string; reason: string }[] }> {
    const req = new provproto.CheckRequest();
    req.setUrn(urn);
    setNameType(req, urn);
    req.setOlds(toStruct(olds));
    req.setNews(toStruct(news));
    const r: any = await this.rpc("check", req);
    return {
      inputs: fromStruct(r.getInputs()),
      failures: (r.getFailuresList() as any[]).map((f) => ({ property: f.getProperty(), reason: f.getReason() })),
    };
  }

  /** Diff(olds = OLD OUTPUTS, news = checked new inputs, oldInputs = old inputs from state). */
  async diff(id: string, urn: string, olds: Props, news: Props, oldInputs?: Props): Promise<DiffResult> {
    const req = new provproto.DiffRequest();
    req.setId(id);
    req.setUrn(urn);
    setNameType(req, urn);
    req.setOlds(toStruct(olds));
    req.setNews(toStruct(news));
    if (oldInputs) req.setOldInputs(toStruct(oldInputs));
    const r: any = await this.rpc("diff", req);
    const C = provproto.DiffResponse.DiffChanges;
    const c = r.getChanges();
    return {
      changes: c === C.DIFF_NONE ? "none" : c === C.DIFF_SOME ? "some" : "unknown",
      replaces: r.getReplacesList(),
      deleteBeforeReplace: r.getDeletebeforereplace(),
      stables: r.getStablesList(),
      diffs: r.getDiffsList(),
      hasDetailedDiff: r.getHasdetaileddiff(),
    };
  }

  /** Create(properties = checked inputs) → id and the outputs the engine stores. */
  async create(urn: string, props: Props, timeoutSeconds = 0): Promise<{ id: string; outs: Props }> {
    const req = new provproto.CreateRequest();
    req.setUrn(urn);
    setNameType(req, urn);
    req.setProperties(toStruct(props));
    req.setTimeout(timeoutSeconds);
    req.setPreview(false);
    const r: any = await this.rpc("create", req);
    return { id: r.getId(), outs: fromStruct(r.getProperties()) };
  }

  /** Read (refresh): props = stored outputs (their __provider is used). id "" means the resource is gone. */
  async read(id: string, urn: string, props: Props, inputs?: Props): Promise<{ id: string; props: Props; inputs?: Props }> {
    const req = new provproto.ReadRequest();
    req.setId(id);
    req.setUrn(urn);
    setNameType(req, urn);
    req.setProperties(toStruct(props));
    if (inputs) req.setInputs(toStruct(inputs));
    const r: any = await this.rpc("read", req);
    return { id: r.getId(), props: fromStruct(r.getProperties()), ...(r.hasInputs() ? { inputs: fromStruct(r.getInputs()) } : {}) };
  }

  /** Update(olds = OLD OUTPUTS, news = checked new inputs) → the new outputs. */
  async update(id: string, urn: string, olds: Props, news: Props, oldInputs?: Props, timeoutSeconds = 0): Promise<Props> {
    const req = new provproto.UpdateRequest();
    req.setId(id);
    req.setUrn(urn);
    setNameType(req, urn);
    req.setOlds(toStruct(olds));
    req.setNews(toStruct(news));
    if (oldInputs) req.setOldInputs(toStruct(oldInputs));
    req.setTimeout(timeoutSeconds);
    req.setPreview(false);
    const r: any = await this.rpc("update", req);
    return fromStruct(r.getProperties());
  }

  /** Delete(props = stored OUTPUTS: their __provider, i.e. the code of the last create/update, runs). */
  async delete(id: string, urn: string, props: Props, oldInputs?: Props, timeoutSeconds = 0): Promise<void> {
    const req = new provproto.DeleteRequest();
    req.setId(id);
    req.setUrn(urn);
    setNameType(req, urn);
    req.setProperties(toStruct(props));
    if (oldInputs) req.setOldInputs(toStruct(oldInputs));
    req.setTimeout(timeoutSeconds);
    await this.rpc("delete", req);
  }

  /**
   * What `pulumi preview` does for one resource: Check (fatal on failures) and, for an existing resource,
   * Diff. No create/update (the host does not support preview). `news` may hold UNKNOWN.
   */
  async preview(
    urn: string,
    news: Props,
    prior?: ResourceState,
  ): Promise<{ inputs: Props; diff?: DiffResult; op: "create" | "same" | "update" | "replace" }> {
    const { inputs, failures } = await this.check(urn, prior?.inputs ?? {}, news);
    if (failures.length > 0) throw new CheckFailedError(urn, failures, news);
    if (!prior) return { inputs, op: "create" };
    const diff = await this.diff(prior.id, urn, prior.outputs, inputs, prior.inputs);
    return { inputs, diff, op: opOf(diff, prior.inputs, inputs) };
  }

  /**
   * What `pulumi up` does for one resource (the step generator, simplified to one resource): new →
   * check({}, news) + create; existing → check(old inputs, news) + diff(old outputs) and then same /
   * update / replace. A replace re-checks with only news (as the engine does), then deletes first when
   * `deleteBeforeReplace`, else creates first and deletes the old one afterwards with its stored code.
   */
  async up(urn: string, news: Props, prior?: ResourceState): Promise<StepResult> {
    const { inputs, failures } = await this.check(urn, prior?.inputs ?? {}, news);
    if (failures.length > 0) throw new CheckFailedError(urn, failures, news);
    if (!prior) {
      const { id, outs } = await this.create(urn, inputs);
      return { op: "create", id, inputs, outputs: outs };
    }
    const diff = await this.diff(prior.id, urn, prior.outputs, inputs, prior.inputs);
    const op = opOf(diff, prior.inputs, inputs);
    if (op === "same") return { op, diff, id: prior.id, inputs, outputs: prior.outputs };
    if (op === "update") {
      const outputs = await this.update(prior.id, urn, prior.outputs, inputs, prior.inputs);
      return { op, diff, id: prior.id, inputs, outputs };
    }
    const rechecked = await this.check(urn, {}, news);
    if (rechecked.failures.length > 0) throw new CheckFailedError(urn, rechecked.failures, news);
    if (diff.deleteBeforeReplace) await this.delete(prior.id, urn, prior.outputs, prior.inputs);
    const { id, outs } = await this.create(urn, rechecked.inputs);
    if (!diff.deleteBeforeReplace) await this.delete(prior.id, urn, prior.outputs, prior.inputs);
    return { op: "replace", diff, id, inputs: rechecked.inputs, outputs: outs, replaced: prior };
  }

  /** What `pulumi destroy` does for one resource: Delete with the stored outputs. */
  async destroy(urn: string, prior: ResourceState): Promise<void> {
    await this.delete(prior.id, urn, prior.outputs, prior.inputs);
  }

  /** Stop the host (SIGTERM, then SIGKILL after 2 s). Safe to call twice. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.client.close();
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill("SIGTERM");
      const t = setTimeout(() => this.child.kill("SIGKILL"), 2000);
      await this.exited;
      clearTimeout(t);
    }
  }
}

/** The engine's decision from a diff: DIFF_UNKNOWN means "compare old and new inputs" (minus `__` keys). */
function opOf(d: DiffResult, oldInputs: Props, newInputs: Props): "same" | "update" | "replace" {
  if (d.replaces.length > 0) return "replace";
  if (d.changes === "some") return "update";
  if (d.changes === "none") return "same";
  const strip = (o: Props) =>
    JSON.stringify(
      Object.fromEntries(
        Object.entries(o)
          .filter(([k]) => !k.startsWith("__"))
          .sort(([a], [b]) => a.localeCompare(b)),
      ),
    );
  return strip(oldInputs) === strip(newInputs) ? "same" : "update";
}

function setNameType(req: any, urn: string) {
  const parts = urn.split("::");
  if (typeof req.setName === "function") req.setName(parts.slice(3).join("::"));
  if (typeof req.setType === "function") req.setType((parts[2] ?? "").split("$").pop() ?? "");
}

function initFailedOf(err: grpc.ServiceError): ProviderHostError["initFailed"] {
  const bin = err.metadata?.get("grpc-status-details-bin")?.[0];
  if (!bin) return undefined;
  const status = statusproto.Status.deserializeBinary(new Uint8Array(bin as Buffer));
  for (const any of status.getDetailsList() as any[]) {
    if (!String(any.getTypeUrl()).endsWith("pulumirpc.ErrorResourceInitFailed")) continue;
    const d = provproto.ErrorResourceInitFailed.deserializeBinary(any.getValue_asU8());
    return { id: d.getId(), properties: fromStruct(d.getProperties()), reasons: d.getReasonsList() };
  }
  return undefined;
}

/**
 * Spawn `node <@pulumi/pulumi/cmd/dynamic-provider> 127.0.0.1:0` (the engine address is required but
 * never dialled), read the port it prints, connect, and Configure when `opts.config` is given.
 */
export async function startProviderHost(opts: HostOptions = {}): Promise<ProviderHost> {
  const hostMain = require.resolve("@pulumi/pulumi/cmd/dynamic-provider");
  const useTsx = opts.tsx ?? __filename.endsWith(".ts");
  const args = [...(useTsx ? ["--import", "tsx"] : []), hostMain, "127.0.0.1:0"];
  const child = spawn(process.execPath, args, {
    cwd: opts.cwd ?? repoRoot(),
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, PULUMI_NODEJS_PROJECT: opts.project ?? "ksail", ...opts.env },
  });
  let out = "";
  let err = "";
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error(`provider host did not print its port within 60 s; stderr: ${err}`)), 60000);
    const onOut = (d: Buffer) => {
      out += String(d);
      const nl = out.indexOf("\n");
      if (nl < 0) return;
      const line = out.slice(0, nl).trim();
      out = out.slice(nl + 1);
      if (!/^\d+$/.test(line)) return fail(new Error(`provider host printed ${JSON.stringify(line)} instead of a port; stderr: ${err}`));
      cleanup();
      resolve(Number(line));
    };
    const onErr = (d: Buffer) => (err += String(d));
    const onExit = (code: number | null) => fail(new Error(`provider host exited (code ${code}) before printing its port; stderr: ${err}`));
    const cleanup = () => {
      clearTimeout(timer);
      child.stdout!.off("data", onOut);
      child.stderr!.off("data", onErr);
      child.off("exit", onExit);
    };
    const fail = (e: Error) => {
      cleanup();
      child.kill("SIGKILL");
      reject(e);
    };
    child.stdout!.on("data", onOut);
    child.stderr!.on("data", onErr);
    child.once("exit", onExit);
  });
  const client = new provrpc.ResourceProviderClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  const host = new ProviderHost(child, client, port, opts.timeoutMs ?? 120000, out, err);
  if (opts.config !== undefined) {
    try {
      await host.configure(opts.config);
    } catch (e) {
      await host.close();
      throw e;
    }
  }
  return host;
}

/** Start a host, run `fn` with it, and always close it (also when `fn` throws). */
export async function withProviderHost<T>(fn: (host: ProviderHost) => Promise<T>, opts: HostOptions = {}): Promise<T> {
  const host = await startProviderHost(opts);
  try {
    return await fn(host);
  } finally {
    await host.close();
  }
}

/** A dynamic resource as the program registered it: its serialized provider and its other inputs. */
export interface CapturedProvider {
  /** The serialized `__provider` module text. */
  provider: string;
  /** True if serialization captured a secret (the text would then hold it in plaintext). */
  providerSecret: boolean;
  /** The other inputs, plain (secrets unwrapped, as the engine sends them to the host). */
  inputs: Props;
  secretInputs: string[];
  type: string;
  name: string;
  urn: string;
  /** The full recording of the mocks run. */
  recording: Recording;
  /** The recorded resource. */
  resource: RecordedResource;
}

/**
 * Run `construct` as a program under mocks (nothing executes the provider) and return the serialized
 * `__provider` of the dynamic resource it registers (`opts.name` picks one when there are several).
 */
export async function captureProvider(construct: () => unknown, opts: RecordOptions & { name?: string } = {}): Promise<CapturedProvider> {
  const recording = await recordProgram(async () => {
    await construct();
  }, opts);
  const dynamic = recording.resources.filter((r) => typeof r.inputs.__provider === "string");
  const picked = opts.name ? dynamic.filter((r) => r.name === opts.name) : dynamic;
  if (picked.length !== 1)
    throw new Error(
      `captureProvider: expected one dynamic resource${opts.name ? ` named "${opts.name}"` : ""}, found ${picked.length} (${dynamic.map((r) => r.name).join(", ") || "none"})`,
    );
  const r = picked[0];
  const { __provider, ...inputs } = r.inputs;
  return {
    provider: __provider as string,
    providerSecret: r.secretInputs.includes("__provider"),
    inputs,
    secretInputs: r.secretInputs,
    type: r.type,
    name: r.name,
    urn: r.urn,
    recording,
    resource: r,
  };
}
