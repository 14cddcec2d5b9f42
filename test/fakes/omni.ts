/**
 * A fake Sidero Omni for protocol and engine tests: a real grpc-js server over TLS on 127.0.0.1 serving
 * `cosi.resource.State` and `management.ManagementService/Kubeconfig` with the rules of the real one that
 * a client can trip over:
 *
 * - Authentication as Omni's signature interceptor and go-api-signature (pkg/message) verify it: the key is
 *   looked up by the fingerprint in `x-sidero-signature` (unknown or expired → Unauthenticated "invalid
 *   signature"; the identity in the header is not what authenticates), `x-sidero-timestamp` must be within
 *   ±5 minutes of the server's clock, `x-sidero-payload` must name the called method and carry exactly the
 *   request's values of the ten included headers (null and [] differ), and the detached OpenPGP signature
 *   over the payload's bytes must verify (verified with the openpgp library, independently of the client's
 *   signing code). Then roles: Reader reads, Operator writes and asks for service-account kubeconfigs.
 * - COSI state (cosi-project/runtime inmem + protobuf server): versions start at 1 and bump on every write;
 *   Update needs the stored version (FailedPrecondition), the expected phase (InvalidArgument) and the owner
 *   (PermissionDenied); Create of an existing ID is AlreadyExists; Destroy with finalizers pending is
 *   FailedPrecondition; watches open with an empty message, then the current state (a Destroyed tombstone
 *   when absent).
 * - Omni's validations (internal/backend/runtime/omni/validations, "failed to validate: " InvalidArgument):
 *   known, non-deprecated Talos versions with compatible Kubernetes versions, no Talos minor downgrade, at most
 *   one Kubernetes minor per update; MachineSet IDs and role labels; MachineSetNodes only in an existing,
 *   manually allocated machine set of a live cluster; ConfigPatches without Omni-owned fields.
 * - Omni's controllers, asynchronously: finalizers on Clusters, MachineSets and MachineSetNodes (so the
 *   version moves under a client after create), machines taken from the available pool (manual IDs or a
 *   MachineClass's label selectors) and released on teardown, a ClusterStatus that reaches RUNNING/ready only
 *   when every requested machine is allocated, teardown cascading Cluster → MachineSets → MachineSetNodes,
 *   orphaned patches removed once their cluster is gone.
 */
import "reflect-metadata";
import * as grpc from "@grpc/grpc-js";
import * as YAML from "yaml";
import * as openpgp from "openpgp";
import { omniServiceDefinitions } from "../../sdk/clients/omni/proto";
import { decodeSpec, encodeSpec, Label, ResourceType, controlPlanesId } from "../../sdk/clients/omni/resources";

type Role = "Reader" | "Operator" | "Admin";
const ROLE_RANK: Record<Role, number> = { Reader: 1, Operator: 2, Admin: 3 };

const INCLUDED_HEADERS = [
  "x-sidero-timestamp",
  "nodes",
  "selectors",
  "fieldSelectors",
  "runtime",
  "context",
  "cluster",
  "namespace",
  "uid",
  "authorization",
];
const SKEW_S = 5 * 60;

/** Omni-owned config fields a patch may not set (client/pkg/omni/resources/omni/config_patch.go). */
const FORBIDDEN_FIELDS = [
  "cluster.clusterName",
  "cluster.id",
  "cluster.controlPlane.endpoint",
  "cluster.token",
  "cluster.secret",
  "cluster.aescbcEncryptionSecret",
  "cluster.secretboxEncryptionSecret",
  "cluster.ca",
  "cluster.acceptedCAs",
  "cluster.serviceAccount",
  "machine.token",
  "machine.ca",
  "machine.type",
  "machine.install.disk",
  "machine.install.extensions",
  "machine.acceptedCAs",
];
const FORBIDDEN_DOCUMENTS = [
  "UnattendedInstallConfig",
  "DiscoveryIdentityConfig",
  "KubeClusterConfig",
  "KubeEtcdEncryptionConfig",
  "KubeAPIServerCAConfig",
  "KubeAggregatorCAConfig",
];

export interface FakeMachine {
  readonly id: string;
  readonly labels?: Record<string, string>;
  readonly talosVersion?: string;
}

export interface FakeOmniOptions {
  /** Omni account name (first part of the kubeconfig context). @default "fake" */
  readonly account?: string;
  readonly talosVersions?: readonly { version: string; kubernetes: readonly string[]; deprecated?: boolean }[];
  readonly machines?: readonly FakeMachine[];
  readonly machineClasses?: readonly { name: string; matchLabels: readonly string[] }[];
  /** Serve the Teardown/TeardownAndDestroy RPCs (newer COSI); false answers Unimplemented. @default true */
  readonly teardownRpc?: boolean;
  /** Delay of the simulated controllers, ms. @default 15 */
  readonly controllerDelayMs?: number;
  /**
   * Omni's Kubernetes proxy in front of a real API server: when set, a service-account kubeconfig is this one (e.g.
   * the admin kubeconfig of the real kube-apiserver test peer) instead of one naming an unreachable proxy host.
   * The request is still checked as Omni checks it.
   */
  readonly kubeconfigFor?: (cluster: string, user: string) => string;
}

export interface RecordedCall {
  readonly method: string;
  readonly metadata: Record<string, string[]>;
  readonly request: any;
  /** The gRPC status code the call ended with (0 = OK). */
  code: number;
  readonly identity?: string;
}

interface Meta {
  namespace: string;
  type: string;
  id: string;
  version: number;
  owner: string;
  phase: "running" | "tearingDown";
  created: Date;
  updated: Date;
  finalizers: string[];
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

interface Stored {
  meta: Meta;
  spec: Buffer;
}

interface Watcher {
  type: string;
  namespace: string;
  id?: string;
  send: (events: any[]) => void;
}

interface Account {
  name: string;
  role: Role;
  fingerprint: string;
  publicKey: openpgp.PublicKey;
  expires?: Date;
}

class StatusError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}
const fail = (code: number, msg: string) => new StatusError(code, msg);
const invalid = (msg: string) => fail(grpc.status.INVALID_ARGUMENT, `failed to validate: ${msg}`);
const key = (ns: string, type: string, id: string) => `${ns}/${type}/${id}`;

/** A service account as Omni issues it: the base64 key (what a user exports) and its public half. */
export interface FakeServiceAccount {
  readonly name: string;
  readonly key: string;
  readonly fingerprint: string;
}

/** Generate an EdDSA service-account key the way Omni does (v4 Ed25519 primary + Curve25519 subkey). */
export async function makeServiceAccountKey(
  name: string,
  o: { lifetimeSeconds?: number; createdAt?: Date } = {},
): Promise<{ key: string; fingerprint: string; publicKey: openpgp.PublicKey; expires?: Date }> {
  const createdAt = o.createdAt ?? new Date(Date.now() - 3600_000);
  const { privateKey } = await openpgp.generateKey({
    type: "ecc",
    curve: "curve25519Legacy",
    userIDs: [{ email: name }],
    keyExpirationTime: o.lifetimeSeconds ?? 365 * 86400,
    date: createdAt,
    format: "armored",
  });
  const priv = await openpgp.readPrivateKey({ armoredKey: privateKey });
  const exp = await priv.getExpirationTime();
  return {
    key: Buffer.from(JSON.stringify({ name, pgp_key: privateKey })).toString("base64"),
    fingerprint: priv.getFingerprint(),
    publicKey: priv.toPublic(),
    expires: exp instanceof Date ? exp : undefined,
  };
}

export class FakeOmni {
  readonly endpoint: string;
  readonly caPem: string;
  readonly calls: RecordedCall[] = [];
  readonly account: string;
  /** Milliseconds added to the real clock to get the server's clock (simulates a skewed client). */
  clockOffsetMs = 0;
  private readonly server: grpc.Server;
  private readonly store = new Map<string, Stored>();
  private readonly watchers = new Set<Watcher>();
  private readonly accounts = new Map<string, Account>();
  private readonly failures = new Map<string, { code: number; message: string; remaining: number }>();
  private readonly opts: FakeOmniOptions;
  private readonly timers = new Set<NodeJS.Timeout>();
  private stopped = false;

  private constructor(server: grpc.Server, endpoint: string, caPem: string, opts: FakeOmniOptions) {
    this.server = server;
    this.endpoint = endpoint;
    this.caPem = caPem;
    this.opts = opts;
    this.account = opts.account ?? "fake";
  }

  static async start(opts: FakeOmniOptions = {}): Promise<FakeOmni> {
    const pki = await import("../../sdk/pki");
    const ca = await pki.issueCa({ template: "talos", algorithm: "ecdsa-p256", subject: { organizations: ["fake-omni"] } });
    const tlsCert = await pki.issueServerCert({ ca, commonName: "fake-omni", dnsNames: ["localhost"], ips: ["127.0.0.1"] });
    const server = new grpc.Server();
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync(
        "127.0.0.1:0",
        grpc.ServerCredentials.createSsl(null, [{ private_key: Buffer.from(tlsCert.key), cert_chain: Buffer.from(tlsCert.cert) }], false),
        (err, p) => (err ? reject(err) : resolve(p)),
      ),
    );
    const fake = new FakeOmni(server, `https://127.0.0.1:${port}`, ca.cert, opts);
    fake.seed();
    fake.register();
    return fake;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.server.forceShutdown();
  }

  /** Register a service account; returns the base64 key its user exports (OMNI_SERVICE_ACCOUNT_KEY). */
  async addServiceAccount(name: string, role: Role = "Operator", o: { lifetimeSeconds?: number } = {}): Promise<FakeServiceAccount> {
    const k = await makeServiceAccountKey(name, o);
    this.accounts.set(k.fingerprint, { name, role, fingerprint: k.fingerprint, publicKey: k.publicKey, expires: k.expires });
    return { name, key: k.key, fingerprint: k.fingerprint };
  }

  /** Register a key generated elsewhere (e.g. by go-api-signature) under `name`. */
  async addPublicKey(name: string, armoredPublicKey: string, role: Role = "Operator"): Promise<string> {
    const publicKey = await openpgp.readKey({ armoredKey: armoredPublicKey });
    const exp = await publicKey.getExpirationTime();
    const fingerprint = publicKey.getFingerprint();
    this.accounts.set(fingerprint, { name, role, fingerprint, publicKey, expires: exp instanceof Date ? exp : undefined });
    return fingerprint;
  }

  /** Remove a service account (its key stops working). */
  revoke(fingerprint: string): void {
    this.accounts.delete(fingerprint);
  }

  /** Make the next `times` calls of `method` ("Create", "Kubeconfig", …) fail with `code`. */
  failNext(method: string, code: number, message: string, times = 1): void {
    this.failures.set(method, { code, message, remaining: times });
  }

  callsOf(method: string): RecordedCall[] {
    return this.calls.filter((c) => c.method === method);
  }

  /** A stored resource with its spec decoded, or undefined. */
  resource(type: string, id: string): { meta: Meta; spec: any } | undefined {
    const s = this.store.get(key("default", type, id));
    return s ? { meta: structuredClone(s.meta), spec: decodeSpec(type, s.spec) } : undefined;
  }

  /** Every stored resource of a type (decoded), sorted by ID. */
  resources(type: string): { meta: Meta; spec: any }[] {
    return [...this.store.values()]
      .filter((s) => s.meta.type === type)
      .sort((a, b) => a.meta.id.localeCompare(b.meta.id))
      .map((s) => ({ meta: structuredClone(s.meta), spec: decodeSpec(type, s.spec) }));
  }

  /** Add a machine to the pool (connected, available). */
  addMachine(m: FakeMachine): void {
    this.put(
      ResourceType.MachineStatus,
      m.id,
      { talosVersion: m.talosVersion ?? "v1.12.0", connected: true, cluster: "" },
      "MachineStatusController",
      {
        [Label.available]: "",
        [Label.readyToUse]: "",
        [Label.reportingEvents]: "",
        ...(m.labels ?? {}),
      },
    );
  }

  private now(): number {
    return Date.now() + this.clockOffsetMs;
  }

  private seed(): void {
    const versions = this.opts.talosVersions ?? [
      { version: "1.11.6", kubernetes: ["1.33.0", "1.33.5", "1.34.1"] },
      { version: "1.12.0", kubernetes: ["1.33.5", "1.34.1", "1.35.0"] },
      { version: "1.13.0", kubernetes: ["1.34.1", "1.35.0", "1.36.0"] },
      { version: "1.9.5", kubernetes: ["1.32.3"], deprecated: true },
    ];
    for (const v of versions) {
      this.put(
        ResourceType.TalosVersion,
        v.version,
        { version: v.version, compatibleKubernetesVersions: [...v.kubernetes], deprecated: v.deprecated ?? false },
        "TalosVersionController",
      );
    }
    for (const m of this.opts.machines ?? []) this.addMachine(m);
    for (const c of this.opts.machineClasses ?? []) this.put(ResourceType.MachineClass, c.name, { matchLabels: [...c.matchLabels] }, "");
  }

  /** Write a resource directly (controllers and seeding): creates or bumps the version. */
  private put(type: string, id: string, spec: object, owner: string, labels: Record<string, string> = {}): Stored {
    const k = key("default", type, id);
    const cur = this.store.get(k);
    const now = new Date(this.now());
    const s: Stored = cur
      ? {
          meta: { ...cur.meta, version: cur.meta.version + 1, updated: now, labels: { ...cur.meta.labels, ...labels } },
          spec: encodeSpec(type, spec),
        }
      : {
          meta: {
            namespace: "default",
            type,
            id,
            version: 1,
            owner,
            phase: "running",
            created: now,
            updated: now,
            finalizers: [],
            labels,
            annotations: {},
          },
          spec: encodeSpec(type, spec),
        };
    this.store.set(k, s);
    this.publish(cur ? "UPDATED" : "CREATED", s);
    return s;
  }

  private mutate(s: Stored, fn: (m: Meta) => void, spec?: object): void {
    const cur = this.store.get(key(s.meta.namespace, s.meta.type, s.meta.id));
    if (!cur) return;
    const next: Stored = { meta: structuredClone(cur.meta), spec: spec ? encodeSpec(cur.meta.type, spec) : cur.spec };
    fn(next.meta);
    next.meta.version = cur.meta.version + 1;
    next.meta.updated = new Date(this.now());
    this.store.set(key(cur.meta.namespace, cur.meta.type, cur.meta.id), next);
    this.publish("UPDATED", next);
  }

  private remove(s: Stored): void {
    const k = key(s.meta.namespace, s.meta.type, s.meta.id);
    const cur = this.store.get(k);
    if (!cur) return;
    this.store.delete(k);
    this.publish("DESTROYED", cur);
  }

  private publish(type: string, s: Stored): void {
    for (const w of this.watchers) {
      if (w.type !== s.meta.type || w.namespace !== s.meta.namespace) continue;
      if (w.id !== undefined && w.id !== s.meta.id) continue;
      w.send([{ eventType: type, resource: toWire(s) }]);
    }
    this.schedule();
  }

  // ---------------------------------------------------------------- authentication

  private async authenticate(
    call: grpc.ServerUnaryCall<any, any> | grpc.ServerWritableStream<any, any>,
    method: string,
  ): Promise<Account | undefined> {
    const md = call.metadata;
    const first = (k: string) => {
      const v = md.get(k);
      return v.length > 0 ? String(v[0]) : "";
    };
    const sigHeader = first("x-sidero-signature");
    if (sigHeader === "") return undefined; // no signature: anonymous (rejected by the role check)
    const denied = () => fail(grpc.status.UNAUTHENTICATED, "invalid signature");
    const parts = sigHeader.split(" ");
    if (parts.length < 4 || parts[0] !== "siderov1") throw denied();
    const [, , fingerprint, sigB64] = parts;
    const acct = this.accounts.get(fingerprint);
    if (!acct) throw denied(); // unknown key: no such service account (or revoked)
    if (acct.expires && acct.expires.getTime() < this.now()) throw denied();
    const tsHeader = first("x-sidero-timestamp");
    if (!/^-?\d+$/.test(tsHeader)) throw denied();
    const ts = Number(tsHeader);
    const nowS = this.now() / 1000;
    if (ts > nowS + SKEW_S || ts < nowS - SKEW_S) throw denied(); // outside the allowed skew
    const payloadHeader = first("x-sidero-payload");
    if (payloadHeader === "") throw denied();
    let payload: { headers?: Record<string, unknown>; method?: unknown };
    try {
      payload = JSON.parse(payloadHeader);
    } catch {
      throw denied();
    }
    if (payload.method !== method) throw denied();
    for (const h of INCLUDED_HEADERS) {
      // go-api-signature compares with reflect.DeepEqual against metadata indexed by the exact (lower-case) key:
      // absent/null on both sides match; [] is not null; a mixed-case name never matches a present value.
      const claimed = payload.headers?.[h] ?? null;
      const actual = h === h.toLowerCase() && md.get(h).length > 0 ? md.get(h).map(String) : null;
      if (JSON.stringify(claimed) !== JSON.stringify(actual)) throw denied();
    }
    let signature: openpgp.Signature;
    try {
      signature = await openpgp.readSignature({ binarySignature: Buffer.from(sigB64, "base64") });
    } catch {
      throw denied();
    }
    const verifyAt = async (date: Date) => {
      try {
        const res = await openpgp.verify({
          message: await openpgp.createMessage({ binary: Buffer.from(payloadHeader, "utf8") }),
          signature,
          verificationKeys: acct.publicKey,
          date,
        });
        await res.signatures[0].verified;
        return true;
      } catch {
        return false;
      }
    };
    // gopenpgp verifies at the server's now, then once more allowing the signature to be up to 5 minutes ahead
    if (!(await verifyAt(new Date(this.now()))) && !(await verifyAt(new Date(this.now() + SKEW_S * 1000)))) throw denied();
    return acct;
  }

  private requireRole(acct: Account | undefined, role: Role): void {
    if (!acct) throw fail(grpc.status.UNAUTHENTICATED, "missing valid signature");
    if (ROLE_RANK[acct.role] < ROLE_RANK[role]) throw fail(grpc.status.PERMISSION_DENIED, `insufficient role: "${acct.role}" < "${role}"`);
  }

  private record(call: { metadata: grpc.Metadata; request?: any }, method: string): RecordedCall {
    const metadata: Record<string, string[]> = {};
    for (const [k, v] of Object.entries(call.metadata.getMap())) metadata[k] = call.metadata.get(k).map(String) ?? [String(v)];
    const rec: RecordedCall = { method, metadata, request: call.request, code: 0 };
    this.calls.push(rec);
    return rec;
  }

  private injected(method: string): void {
    const f = this.failures.get(method);
    if (f && f.remaining > 0) {
      f.remaining--;
      throw fail(f.code, f.message);
    }
  }

  private unary(
    method: string,
    role: Role,
    fn: (req: any, call: grpc.ServerUnaryCall<any, any>, acct: Account) => any,
  ): grpc.handleUnaryCall<any, any> {
    return (call, cb) => {
      const rec = this.record(call, method);
      void (async () => {
        try {
          const acct = await this.authenticate(call, call.getPath());
          (rec as { identity?: string }).identity = acct?.name;
          this.requireRole(acct, role);
          this.injected(method);
          const res = await fn(call.request, call, acct!);
          cb(null, res);
        } catch (e) {
          const code = e instanceof StatusError ? e.code : grpc.status.UNKNOWN;
          rec.code = code;
          cb({ code, details: (e as Error).message, metadata: new grpc.Metadata() } as grpc.ServiceError);
        }
      })();
    };
  }

  // ---------------------------------------------------------------- service

  private register(): void {
    const defs = omniServiceDefinitions();
    const teardownRpc = this.opts.teardownRpc !== false;
    const unimplemented = (method: string) =>
      this.unary(method, "Reader", () => {
        throw fail(grpc.status.UNIMPLEMENTED, `unknown method ${method} for service cosi.resource.State`);
      });
    this.server.addService(defs.state, {
      Get: this.unary("Get", "Reader", (req) => {
        const s = this.store.get(key(req.namespace, req.type, req.id));
        if (!s) throw fail(grpc.status.NOT_FOUND, `resource ${req.type}(${req.namespace}/${req.id}@undefined) doesn't exist`);
        return { resource: toWire(s) };
      }),
      List: (call: grpc.ServerWritableStream<any, any>) => {
        const rec = this.record(call, "List");
        void (async () => {
          try {
            const acct = await this.authenticate(call, call.getPath());
            (rec as { identity?: string }).identity = acct?.name;
            this.requireRole(acct, "Reader");
            const req = call.request;
            const queries: any[] = req.options?.labelQuery ?? [];
            for (const s of [...this.store.values()].sort((a, b) => a.meta.id.localeCompare(b.meta.id))) {
              if (s.meta.type !== req.type || s.meta.namespace !== req.namespace) continue;
              if (!queries.every((q) => matchesQuery(s.meta.labels, q.terms ?? []))) continue;
              call.write({ resource: toWire(s) });
            }
            call.end();
          } catch (e) {
            rec.code = (e as StatusError).code ?? grpc.status.UNKNOWN;
            call.destroy({ code: rec.code, details: (e as Error).message } as any);
          }
        })();
      },
      Create: this.unary("Create", "Operator", (req) => {
        const r = fromWire(req.resource);
        if (this.store.has(key(r.meta.namespace, r.meta.type, r.meta.id))) {
          throw fail(grpc.status.ALREADY_EXISTS, `resource ${r.meta.type}(${r.meta.namespace}/${r.meta.id}) already exists`);
        }
        this.validate(undefined, r);
        const now = new Date(this.now());
        const s: Stored = { meta: { ...r.meta, version: 1, owner: req.options?.owner ?? "", created: now, updated: now }, spec: r.spec };
        this.store.set(key(s.meta.namespace, s.meta.type, s.meta.id), s);
        this.publish("CREATED", s);
        return { resource: toWire(s) };
      }),
      Update: this.unary("Update", "Operator", (req) => {
        const r = fromWire(req.newResource);
        const cur = this.store.get(key(r.meta.namespace, r.meta.type, r.meta.id));
        if (!cur) throw fail(grpc.status.NOT_FOUND, `resource ${r.meta.type}(${r.meta.namespace}/${r.meta.id}) doesn't exist`);
        const owner = req.options?.owner ?? "";
        if (cur.meta.owner !== owner) throw fail(grpc.status.PERMISSION_DENIED, `resource is owned by "${cur.meta.owner}"`);
        if (cur.meta.version !== r.meta.version) {
          throw fail(
            grpc.status.FAILED_PRECONDITION,
            `resource ${r.meta.type}/${r.meta.id} update conflict: expected version "${r.meta.version}", actual version "${cur.meta.version}"`,
          );
        }
        const expected: string | undefined = req.options?.expectedPhase;
        if (expected !== undefined && expected !== null && expected !== cur.meta.phase) {
          throw fail(
            grpc.status.INVALID_ARGUMENT,
            `resource ${r.meta.type}/${r.meta.id} is in phase ${cur.meta.phase}, expected ${expected}`,
          );
        }
        this.validate(cur, r);
        const s: Stored = {
          meta: {
            ...r.meta,
            version: cur.meta.version + 1,
            owner: cur.meta.owner,
            created: cur.meta.created,
            updated: new Date(this.now()),
          },
          spec: r.spec,
        };
        this.store.set(key(s.meta.namespace, s.meta.type, s.meta.id), s);
        this.publish("UPDATED", s);
        return { resource: toWire(s) };
      }),
      Destroy: this.unary("Destroy", "Operator", (req) => {
        const cur = this.store.get(key(req.namespace, req.type, req.id));
        if (!cur) throw fail(grpc.status.NOT_FOUND, `resource ${req.type}(${req.namespace}/${req.id}) doesn't exist`);
        if (cur.meta.owner !== (req.options?.owner ?? ""))
          throw fail(grpc.status.PERMISSION_DENIED, `resource is owned by "${cur.meta.owner}"`);
        if (cur.meta.finalizers.length > 0) {
          throw fail(
            grpc.status.FAILED_PRECONDITION,
            `resource ${req.type}/${req.id} has pending finalizers ${cur.meta.finalizers.join(",")}`,
          );
        }
        this.remove(cur);
        return {};
      }),
      Watch: (call: grpc.ServerWritableStream<any, any>) => {
        const rec = this.record(call, "Watch");
        void (async () => {
          try {
            const acct = await this.authenticate(call, call.getPath());
            (rec as { identity?: string }).identity = acct?.name;
            this.requireRole(acct, "Reader");
          } catch (e) {
            rec.code = (e as StatusError).code;
            call.destroy({ code: rec.code, details: (e as Error).message } as any);
            return;
          }
          const req = call.request;
          const id: string | undefined = req.id === undefined || req.id === null ? undefined : req.id;
          const w: Watcher = { type: req.type, namespace: req.namespace, id, send: (events) => call.write({ event: events }) };
          call.write({ event: [] });
          if (id !== undefined) {
            const s = this.store.get(key(req.namespace, req.type, id));
            call.write({
              event: [
                s
                  ? { eventType: "CREATED", resource: toWire(s) }
                  : {
                      eventType: "DESTROYED",
                      resource: {
                        metadata: { namespace: req.namespace, type: req.type, id, version: "undefined", phase: "running" },
                        spec: {},
                      },
                    },
              ],
            });
          } else if (req.options?.bootstrapContents) {
            for (const s of this.store.values())
              if (s.meta.type === req.type) call.write({ event: [{ eventType: "CREATED", resource: toWire(s) }] });
            call.write({ event: [{ eventType: "BOOTSTRAPPED" }] });
          }
          this.watchers.add(w);
          call.on("cancelled", () => this.watchers.delete(w));
          call.on("close", () => this.watchers.delete(w));
        })();
      },
      Teardown: teardownRpc
        ? this.unary("Teardown", "Operator", (req) => ({
            destroyReady: this.teardown(req.namespace, req.type, req.id, req.options?.owner ?? ""),
          }))
        : unimplemented("Teardown"),
      TeardownAndDestroy: teardownRpc
        ? this.unary("TeardownAndDestroy", "Operator", async (req) => {
            const ready = this.teardown(req.namespace, req.type, req.id, req.options?.owner ?? "");
            if (!ready) await this.until(() => (this.store.get(key(req.namespace, req.type, req.id))?.meta.finalizers.length ?? 0) === 0);
            const cur = this.store.get(key(req.namespace, req.type, req.id));
            if (cur) this.remove(cur);
            return {};
          })
        : unimplemented("TeardownAndDestroy"),
    });
    this.server.addService(defs.management, {
      Kubeconfig: this.unary("Kubeconfig", "Reader", (req, call, acct) => {
        if (req.breakGlass) throw fail(grpc.status.PERMISSION_DENIED, "break-glass kubeconfigs need Admin");
        const cluster = call.metadata.get("context").map(String)[0] ?? "";
        if (!req.serviceAccount) throw fail(grpc.status.UNIMPLEMENTED, "the fake serves service-account kubeconfigs only");
        this.requireRole(acct, "Operator");
        if (cluster === "") throw fail(grpc.status.INVALID_ARGUMENT, "cluster name is not in context");
        if (!req.serviceAccountUser) throw fail(grpc.status.INVALID_ARGUMENT, "service account user name is not set");
        if (!req.serviceAccountTtl) throw fail(grpc.status.INVALID_ARGUMENT, "service account ttl is not set");
        const ttl = Number(req.serviceAccountTtl.seconds ?? 0);
        if (ttl <= 0) throw fail(grpc.status.INVALID_ARGUMENT, "service account ttl is must be positive");
        if (ttl > 10 * 365 * 24 * 3600)
          throw fail(grpc.status.INVALID_ARGUMENT, "service account ttl is too long (max allowed: 87600h0m0s)");
        if (!this.store.has(key("default", ResourceType.Cluster, cluster))) {
          throw fail(
            grpc.status.UNKNOWN,
            `failed to get cluster UUID: resource ClusterUUIDs.omni.sidero.dev(default/${cluster}@undefined) doesn't exist`,
          );
        }
        if (this.opts.kubeconfigFor) return { kubeconfig: Buffer.from(this.opts.kubeconfigFor(cluster, req.serviceAccountUser)) };
        const name = `${this.account}-${cluster}-${req.serviceAccountUser}`;
        const token = Buffer.from(
          JSON.stringify({
            sub: req.serviceAccountUser,
            groups: req.serviceAccountGroups,
            cluster,
            exp: Math.floor(this.now() / 1000) + ttl,
          }),
        ).toString("base64url");
        const kubeconfig = YAML.stringify({
          apiVersion: "v1",
          kind: "Config",
          "current-context": name,
          clusters: [{ name, cluster: { server: `https://${this.account}.kubernetes.omni.test` } }],
          contexts: [{ name, context: { cluster: name, namespace: "default", user: name } }],
          users: [{ name, user: { token: `fake.${token}.sig` } }],
        });
        return { kubeconfig: Buffer.from(kubeconfig) };
      }),
    });
  }

  // ---------------------------------------------------------------- teardown

  /** COSI Teardown: mark tearingDown (any owner may not: owner must match); true when no finalizers remain. */
  private teardown(ns: string, type: string, id: string, owner: string): boolean {
    const cur = this.store.get(key(ns, type, id));
    if (!cur) throw fail(grpc.status.NOT_FOUND, `resource ${type}(${ns}/${id}) doesn't exist`);
    if (cur.meta.owner !== owner) throw fail(grpc.status.PERMISSION_DENIED, `resource is owned by "${cur.meta.owner}"`);
    if (cur.meta.phase !== "tearingDown") this.mutate(cur, (m) => (m.phase = "tearingDown"));
    return (this.store.get(key(ns, type, id))?.meta.finalizers.length ?? 0) === 0;
  }

  private until(cond: () => boolean): Promise<void> {
    return new Promise((resolve) => {
      const check = () => {
        if (this.stopped || cond()) return resolve();
        const t = setTimeout(check, 5);
        this.timers.add(t);
      };
      check();
    });
  }

  // ---------------------------------------------------------------- validations

  private spec(s: Stored | { meta: Meta; spec: Buffer }): any {
    return decodeSpec(s.meta.type, s.spec);
  }

  private get(type: string, id: string): Stored | undefined {
    return this.store.get(key("default", type, id));
  }

  private validate(old: Stored | undefined, r: { meta: Meta; spec: Buffer }): void {
    switch (r.meta.type) {
      case ResourceType.Cluster:
        return this.validateCluster(old, r);
      case ResourceType.MachineSet:
        return this.validateMachineSet(old, r);
      case ResourceType.MachineSetNode:
        return this.validateMachineSetNode(old, r);
      case ResourceType.ConfigPatch:
        return this.validateConfigPatch(old, r);
      case ResourceType.MachineStatus:
      case ResourceType.ClusterStatus:
      case ResourceType.TalosVersion:
        throw fail(grpc.status.PERMISSION_DENIED, `resources of type ${r.meta.type} are managed by Omni`);
    }
  }

  private validateCluster(old: Stored | undefined, r: { meta: Meta; spec: Buffer }): void {
    if (r.meta.phase === "tearingDown") return;
    const spec = this.spec(r);
    const oldSpec = old ? this.spec(old) : undefined;
    const tv = this.get(ResourceType.TalosVersion, spec.talosVersion);
    if (!tv)
      throw invalid(
        `invalid talos version "${spec.talosVersion}": resource TalosVersions.omni.sidero.dev(default/${spec.talosVersion}@undefined) doesn't exist`,
      );
    const tvSpec = this.spec(tv);
    const oldDeprecated = oldSpec
      ? this.get(ResourceType.TalosVersion, oldSpec.talosVersion)
        ? this.spec(this.get(ResourceType.TalosVersion, oldSpec.talosVersion)!).deprecated
        : false
      : false;
    if (tvSpec.deprecated && !oldDeprecated) throw invalid(`talos version "${spec.talosVersion}" is no longer supported`);
    if (oldSpec) {
      const [om, on] = minor(oldSpec.talosVersion);
      const [nm, nn] = minor(spec.talosVersion);
      if (nm < om || (nm === om && nn < on))
        throw invalid(`downgrading from version "${oldSpec.talosVersion}" to "${spec.talosVersion}" is not supported`);
      if (oldSpec.kubernetesVersion !== spec.kubernetesVersion) {
        const [a, b] = minor(oldSpec.kubernetesVersion);
        const [c, d] = minor(spec.kubernetesVersion);
        if (a !== c || (d !== b && d !== b + 1)) {
          throw invalid(
            `kubernetes version is not supported for upgrade to "${spec.kubernetesVersion}" from "${oldSpec.kubernetesVersion}"`,
          );
        }
      }
      if ((oldSpec.features?.diskEncryption ?? false) !== (spec.features?.diskEncryption ?? false))
        throw invalid("updating disk encryption settings is not allowed");
    }
    if (!tvSpec.compatibleKubernetesVersions.includes(spec.kubernetesVersion)) {
      throw invalid(`invalid kubernetes version "${spec.kubernetesVersion}": is not compatible with talos version "${spec.talosVersion}"`);
    }
  }

  private validateMachineSet(old: Stored | undefined, r: { meta: Meta; spec: Buffer }): void {
    const clusterName = r.meta.labels[Label.cluster];
    if (!clusterName) throw invalid(`label "${Label.cluster}" does not exist`);
    if (old && old.meta.labels[Label.cluster] !== clusterName)
      throw invalid(`changing value of label "${Label.cluster}" from "${old.meta.labels[Label.cluster]}" to "${clusterName}"`);
    const cluster = this.get(ResourceType.Cluster, clusterName);
    if (!cluster) {
      if (r.meta.phase === "tearingDown") return;
      throw invalid(`the cluster "${clusterName}" does not exist`);
    }
    if (!old && cluster.meta.phase === "tearingDown") throw invalid(`the cluster "${clusterName}" is tearing down`);
    const cp = Label.controlPlaneRole in r.meta.labels;
    const worker = Label.workerRole in r.meta.labels;
    if (!cp && !worker) throw invalid(`machine set must have either "${Label.controlPlaneRole}" or "${Label.workerRole}" label`);
    const spec = this.spec(r);
    const alloc = spec.machineClass ?? spec.machineAllocation;
    if (alloc) {
      if (!alloc.name) throw invalid("machine allocation source name is not set");
      if (alloc.machineCount !== 0 && alloc.allocationType !== "Static")
        throw invalid("machine count can be set only if static allocation type is used");
      const oldSpec = old ? this.spec(old) : undefined;
      const oldAlloc = oldSpec ? (oldSpec.machineClass ?? oldSpec.machineAllocation) : undefined;
      if (!old || (oldAlloc && oldAlloc.name !== alloc.name)) {
        if (!this.get(ResourceType.MachineClass, alloc.name)) throw invalid(`machine class with name "${alloc.name}" doesn't exist`);
      }
    }
    if (old) {
      const oldSpec = this.spec(old);
      const oldAlloc = oldSpec.machineClass ?? oldSpec.machineAllocation;
      if (Boolean(oldAlloc) !== Boolean(alloc) && this.nodesOf(r.meta.id).length > 0) {
        throw invalid(
          alloc
            ? "machine set is not empty and is using manual nodes management, updating to machine class mode is not allowed"
            : "machine set is not empty and is using machine class based node management, updating to manual mode is not allowed",
        );
      }
      return;
    }
    if (!r.meta.id.startsWith(`${clusterName}-`))
      throw invalid(`machine set of cluster "${clusterName}" ID must have "${clusterName}-" as prefix`);
    if (cp && r.meta.id !== controlPlanesId(clusterName))
      throw invalid(`control plane machine set must have ID "${controlPlanesId(clusterName)}"`);
    if (!cp && r.meta.id === controlPlanesId(clusterName))
      throw invalid(`worker machine set must not have ID "${controlPlanesId(clusterName)}"`);
  }

  private validateMachineSetNode(old: Stored | undefined, r: { meta: Meta; spec: Buffer }): void {
    if (r.meta.phase === "tearingDown") return;
    const clusterName = r.meta.labels[Label.cluster];
    const msName = r.meta.labels[Label.machineSet];
    if (!clusterName) throw invalid(`label "${Label.cluster}" does not exist`);
    if (!msName) throw invalid(`label "${Label.machineSet}" does not exist`);
    if (old && old.meta.labels[Label.machineSet] !== msName)
      throw invalid(`changing value of label "${Label.machineSet}" from "${old.meta.labels[Label.machineSet]}" to "${msName}"`);
    const verb = old ? "updating machine set node on" : "adding machine set node to";
    const ms = this.get(ResourceType.MachineSet, msName);
    if (!ms) throw invalid(`${verb} the machine set "${msName}" is not allowed: the machine set does not exist`);
    if (ms.meta.phase === "tearingDown")
      throw invalid(`${verb} the machine set "${msName}" is not allowed: the machine set is tearing down`);
    const msSpec = this.spec(ms);
    if (!old && (msSpec.machineClass ?? msSpec.machineAllocation) && !(Label.managedByMachineSetNodeController in r.meta.labels)) {
      throw invalid(
        `adding machine set node to the machine set "${msName}" is not allowed: the machine set is using automated machine allocation`,
      );
    }
    const cluster = this.get(ResourceType.Cluster, clusterName);
    if (!cluster) throw invalid(`${verb} the machine set "${msName}" is not allowed: the cluster "${clusterName}" does not exist`);
    if (cluster.meta.phase === "tearingDown")
      throw invalid(`${verb} the machine set "${msName}" is not allowed: the cluster "${clusterName}" is tearing down`);
    if (!old) {
      const machine = this.get(ResourceType.MachineStatus, r.meta.id);
      if (machine) {
        const [mm, mn] = minor(this.spec(machine).talosVersion);
        const [cm, cn] = minor(this.spec(cluster).talosVersion);
        if (mm > cm || (mm === cm && mn > cn))
          throw invalid(
            `machine ${r.meta.id} runs Talos ${this.spec(machine).talosVersion}, newer than the cluster's ${this.spec(cluster).talosVersion}`,
          );
      }
    }
  }

  private validateConfigPatch(old: Stored | undefined, r: { meta: Meta; spec: Buffer }): void {
    const spec = this.spec(r);
    if (!old) {
      const c = r.meta.labels[Label.cluster];
      if (c && this.get(ResourceType.Cluster, c)?.meta.phase === "tearingDown") throw invalid(`cluster "${c}" is tearing down`);
      const ms = r.meta.labels[Label.machineSet];
      if (ms && this.get(ResourceType.MachineSet, ms)?.meta.phase === "tearingDown") throw invalid(`machine set "${ms}" is tearing down`);
    }
    if (spec.compressedData && spec.compressedData.length > 0) throw invalid("the fake does not decode zstd-compressed patches");
    if (old && this.spec(old).data === spec.data) return;
    let docs: YAML.Document[];
    try {
      docs = YAML.parseAllDocuments(spec.data) as YAML.Document[];
    } catch (e) {
      throw invalid((e as Error).message);
    }
    const errors: string[] = [];
    for (const d of docs) {
      if (d.errors.length > 0) throw invalid(d.errors[0].message);
      const doc = d.toJS();
      if (doc === null || doc === undefined) continue;
      if (typeof doc !== "object" || Array.isArray(doc)) throw invalid("config patch document is not a mapping");
      const kind = typeof doc.kind === "string" ? doc.kind : undefined;
      if (kind && FORBIDDEN_DOCUMENTS.includes(kind)) {
        errors.push(`the "${kind}" document is not allowed in the config patch`);
        continue;
      }
      if (!kind)
        for (const f of FORBIDDEN_FIELDS)
          if (getPath(doc, f) !== undefined) errors.push(`overriding "${f}" is not allowed in the config patch`);
    }
    if (errors.length > 0) throw invalid(errors.join("; "));
  }

  // ---------------------------------------------------------------- controllers

  private scheduled = false;

  private schedule(): void {
    if (this.scheduled || this.stopped) return;
    this.scheduled = true;
    const t = setTimeout(() => {
      this.timers.delete(t);
      this.scheduled = false;
      if (!this.stopped) this.reconcile();
    }, this.opts.controllerDelayMs ?? 15);
    this.timers.add(t);
  }

  private nodesOf(machineSet: string): Stored[] {
    return [...this.store.values()].filter(
      (s) => s.meta.type === ResourceType.MachineSetNode && s.meta.labels[Label.machineSet] === machineSet,
    );
  }

  private ofType(type: string): Stored[] {
    return [...this.store.values()].filter((s) => s.meta.type === type);
  }

  private addFinalizer(s: Stored, f: string): void {
    if (!s.meta.finalizers.includes(f)) this.mutate(s, (m) => m.finalizers.push(f));
  }

  private removeFinalizer(s: Stored, f: string): void {
    if (s.meta.finalizers.includes(f)) this.mutate(s, (m) => (m.finalizers = m.finalizers.filter((x) => x !== f)));
  }

  /** One pass of the simulated controllers; each write re-schedules another pass until nothing changes. */
  private reconcile(): void {
    // Clusters: finalizer while running; on teardown remove the machine sets, then release.
    for (const c of this.ofType(ResourceType.Cluster)) {
      const id = c.meta.id;
      const sets = this.ofType(ResourceType.MachineSet).filter((s) => s.meta.labels[Label.cluster] === id);
      if (c.meta.phase === "running") {
        this.addFinalizer(c, "ClusterController");
      } else {
        for (const s of sets) if (s.meta.phase === "running") this.mutate(s, (m) => (m.phase = "tearingDown"));
        for (const s of sets) if (s.meta.phase === "tearingDown" && s.meta.finalizers.length === 0) this.remove(s);
        if (sets.length === 0) this.removeFinalizer(this.get(ResourceType.Cluster, id)!, "ClusterController");
      }
      this.updateClusterStatus(id);
    }
    // ClusterStatus and orphaned patches of clusters that are gone.
    for (const st of this.ofType(ResourceType.ClusterStatus)) if (!this.get(ResourceType.Cluster, st.meta.id)) this.remove(st);
    for (const p of this.ofType(ResourceType.ConfigPatch)) {
      const c = p.meta.labels[Label.cluster];
      const ms = p.meta.labels[Label.machineSet];
      if (
        (c && !this.get(ResourceType.Cluster, c)) ||
        (ms && !this.get(ResourceType.MachineSet, ms) && c && !this.get(ResourceType.Cluster, c))
      )
        this.remove(p);
    }
    // MachineSets: finalizer; class allocation; on teardown remove their nodes, then release.
    for (const s of this.ofType(ResourceType.MachineSet)) {
      const nodes = this.nodesOf(s.meta.id);
      if (s.meta.phase === "running") {
        this.addFinalizer(s, "MachineSetController");
        this.allocate(this.get(ResourceType.MachineSet, s.meta.id)!);
      } else {
        for (const n of nodes) if (n.meta.phase === "running") this.mutate(n, (m) => (m.phase = "tearingDown"));
        for (const n of nodes) if (n.meta.phase === "tearingDown" && n.meta.finalizers.length === 0) this.remove(n);
        if (nodes.length === 0) this.removeFinalizer(this.get(ResourceType.MachineSet, s.meta.id)!, "MachineSetController");
      }
    }
    // MachineSetNodes: take the machine while running; give it back on teardown, then release.
    for (const n of this.ofType(ResourceType.MachineSetNode)) {
      const machine = this.get(ResourceType.MachineStatus, n.meta.id);
      const cluster = n.meta.labels[Label.cluster];
      if (n.meta.phase === "running") {
        if (machine && Label.available in machine.meta.labels) {
          this.addFinalizer(n, "ClusterMachineController");
          const role = Label.controlPlaneRole in n.meta.labels ? "CONTROL_PLANE" : "WORKER";
          this.mutate(machine, (m) => delete m.labels[Label.available], { ...this.spec(machine), cluster, role });
        }
      } else {
        if (machine && this.spec(machine).cluster === cluster) {
          this.mutate(machine, (m) => (m.labels[Label.available] = ""), { ...this.spec(machine), cluster: "", role: "NONE" });
        }
        const cur = this.get(ResourceType.MachineSetNode, n.meta.id)!;
        this.removeFinalizer(cur, "ClusterMachineController");
        if (Label.managedByMachineSetNodeController in cur.meta.labels)
          this.removeFinalizer(this.get(ResourceType.MachineSetNode, n.meta.id)!, "MachineSetNodeController");
      }
    }
  }

  /** Machine-class allocation: add nodes for available machines matching the class, or remove extra ones. */
  private allocate(ms: Stored): void {
    const spec = this.spec(ms);
    const alloc = spec.machineClass ?? spec.machineAllocation;
    if (!alloc) return;
    const cls = this.get(ResourceType.MachineClass, alloc.name);
    if (!cls) return;
    const nodes = this.nodesOf(ms.meta.id).filter((n) => n.meta.phase === "running");
    const want = alloc.allocationType === "Unlimited" ? Number.POSITIVE_INFINITY : alloc.machineCount;
    if (nodes.length > want) {
      for (const n of nodes.slice(want)) this.mutate(n, (m) => (m.phase = "tearingDown"));
      return;
    }
    const selectors: string[] = this.spec(cls).matchLabels;
    const free = this.ofType(ResourceType.MachineStatus).filter(
      (m) =>
        Label.available in m.meta.labels &&
        Label.readyToUse in m.meta.labels &&
        Label.reportingEvents in m.meta.labels &&
        !this.get(ResourceType.MachineSetNode, m.meta.id) &&
        selectors.some((sel) => matchesSelector(m.meta.labels, sel)),
    );
    for (const m of free.slice(0, want - nodes.length)) {
      const labels: Record<string, string> = {
        [Label.cluster]: ms.meta.labels[Label.cluster],
        [Label.machineSet]: ms.meta.id,
        [Label.managedByMachineSetNodeController]: "",
      };
      if (Label.controlPlaneRole in ms.meta.labels) labels[Label.controlPlaneRole] = "";
      if (Label.workerRole in ms.meta.labels) labels[Label.workerRole] = "";
      const s = this.put(ResourceType.MachineSetNode, m.meta.id, {}, "", labels);
      this.mutate(s, (x) => x.finalizers.push("MachineSetNodeController"));
    }
  }

  private updateClusterStatus(cluster: string): void {
    const c = this.get(ResourceType.Cluster, cluster);
    if (!c) return;
    const sets = this.ofType(ResourceType.MachineSet).filter((s) => s.meta.labels[Label.cluster] === cluster && s.meta.phase === "running");
    let requested = 0;
    let total = 0;
    let cps = 0;
    for (const s of sets) {
      const spec = this.spec(s);
      const alloc = spec.machineClass ?? spec.machineAllocation;
      const nodes = this.nodesOf(s.meta.id).filter((n) => n.meta.phase === "running");
      requested += alloc ? alloc.machineCount : nodes.length;
      const placed = nodes.filter((n) => {
        const m = this.get(ResourceType.MachineStatus, n.meta.id);
        return m !== undefined && this.spec(m).cluster === cluster;
      }).length;
      total += placed;
      if (Label.controlPlaneRole in s.meta.labels) cps += placed;
    }
    const phase =
      c.meta.phase === "tearingDown" ? "DESTROYING" : total < requested ? "SCALING_UP" : total > requested ? "SCALING_DOWN" : "RUNNING";
    const ready = phase === "RUNNING" && cps > 0;
    const spec = this.spec(c);
    const next = {
      available: cps > 0,
      machines: { total, healthy: total, connected: total, requested },
      phase,
      ready,
      kubernetesAPIReady: ready,
      controlplaneReady: ready,
      hasConnectedControlPlanes: cps > 0,
      talosVersion: spec.talosVersion,
      kubernetesVersion: spec.kubernetesVersion,
    };
    const cur = this.get(ResourceType.ClusterStatus, cluster);
    if (
      cur &&
      JSON.stringify(this.spec(cur)) ===
        JSON.stringify(decodeSpec(ResourceType.ClusterStatus, encodeSpec(ResourceType.ClusterStatus, next)))
    )
      return;
    this.put(ResourceType.ClusterStatus, cluster, next, "ClusterStatusController", { [Label.cluster]: cluster });
  }
}

function minor(v: string): [number, number] {
  const m = /^v?(\d+)\.(\d+)/.exec(v ?? "");
  return m ? [Number(m[1]), Number(m[2])] : [0, 0];
}

function getPath(doc: any, path: string): unknown {
  let cur = doc;
  for (const p of path.split(".")) {
    if (cur === null || typeof cur !== "object" || !(p in cur)) return undefined;
    cur = cur[p];
  }
  return cur;
}

/** A COSI label query term as the server evaluates it (EXISTS, EQUAL, IN; invert negates). */
function matchesQuery(labels: Record<string, string>, terms: any[]): boolean {
  return terms.every((t) => {
    const has = t.key in labels;
    let ok: boolean;
    switch (t.op) {
      case "EXISTS":
        ok = has;
        break;
      case "NOT_EXISTS":
        ok = !has;
        break;
      case "EQUAL":
        ok = has && labels[t.key] === t.value?.[0];
        break;
      case "IN":
        ok = has && (t.value ?? []).includes(labels[t.key]);
        break;
      default:
        ok = false;
    }
    return t.invert ? !ok : ok;
  });
}

/** Omni's label selector strings (client/pkg/cosi/labels): `key`, `!key`, `key = v`, `key == v`, `key != v`, comma-joined. */
function matchesSelector(labels: Record<string, string>, selector: string): boolean {
  return selector
    .split(",")
    .map((t) => t.trim())
    .filter((t) => t !== "")
    .every((term) => {
      let m: RegExpExecArray | null;
      if ((m = /^!\s*(\S+)$/.exec(term))) return !(m[1] in labels);
      if ((m = /^(\S+?)\s*!=\s*(.*)$/.exec(term))) return labels[m[1]] !== m[2].trim();
      if ((m = /^(\S+?)\s*==?\s*(.*)$/.exec(term))) return labels[m[1]] === m[2].trim();
      return term in labels;
    });
}

function toWire(s: Stored): object {
  const t = (d: Date) => ({ seconds: String(Math.floor(d.getTime() / 1000)), nanos: (d.getTime() % 1000) * 1e6 });
  return {
    metadata: {
      namespace: s.meta.namespace,
      type: s.meta.type,
      id: s.meta.id,
      version: String(s.meta.version),
      owner: s.meta.owner,
      phase: s.meta.phase,
      created: t(s.meta.created),
      updated: t(s.meta.updated),
      finalizers: [...s.meta.finalizers],
      labels: { ...s.meta.labels },
      annotations: { ...s.meta.annotations },
    },
    spec: { protoSpec: s.spec, yamlSpec: "" },
  };
}

function fromWire(w: any): { meta: Meta; spec: Buffer } {
  const m = w?.metadata ?? {};
  if (!m.type || !m.id) throw fail(grpc.status.INVALID_ARGUMENT, "resource metadata lacks type or id");
  const version = m.version === "undefined" || m.version === "" || m.version === undefined ? 0 : Number(m.version);
  if (!Number.isInteger(version)) throw fail(grpc.status.INVALID_ARGUMENT, `error parsing version: ${m.version}`);
  if (m.phase !== "running" && m.phase !== "tearingDown") throw fail(grpc.status.INVALID_ARGUMENT, `unknown phase: ${m.phase}`);
  return {
    meta: {
      namespace: m.namespace || "default",
      type: m.type,
      id: m.id,
      version,
      owner: m.owner ?? "",
      phase: m.phase,
      created: new Date(),
      updated: new Date(),
      finalizers: [...(m.finalizers ?? [])],
      labels: { ...(m.labels ?? {}) },
      annotations: { ...(m.annotations ?? {}) },
    },
    spec: Buffer.from(w.spec?.protoSpec ?? Buffer.alloc(0)),
  };
}
