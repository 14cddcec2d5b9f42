/**
 * A fake Talos apid for protocol and engine tests: a real grpc-js server on 127.0.0.1 with mutual TLS
 * (Ed25519 certificates, client certificate required and verified against the OS CA, apid-style EKU
 * check = exactly clientAuth) serving the subset of MachineService that @ksail/pulumi uses. It records
 * every call with its metadata and peer subject, keeps a little node state (active/staged config,
 * bootstrapped, reboots) and can be scripted to fail. A `maintenance` variant serves without client
 * certificates, as a node booted from the ISO does.
 */
import "reflect-metadata";
import * as zlib from "node:zlib";
import { webcrypto, randomBytes } from "node:crypto";
import * as grpc from "@grpc/grpc-js";
import * as x509 from "@peculiar/x509";
import { machinePackage } from "../../sdk/clients/talos/proto";
import { toTalosKeyPem } from "../../sdk/clients/talos/pem";

x509.cryptoProvider.set(webcrypto as any);

const ED25519 = { name: "Ed25519" };
const CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";
const SERVER_AUTH = "1.3.6.1.5.5.7.3.1";

export interface Pem {
  readonly cert: string;
  readonly key: string;
}

/** Test PKI: the OS CA, apid's server cert, an admin client cert, and bad client certs. */
export interface FakePki {
  readonly ca: Pem;
  readonly server: Pem;
  readonly admin: Pem;
  /** Signed by a different CA. */
  readonly foreign: Pem;
  /** Signed by the right CA but EKU serverAuth+clientAuth (apid rejects it). */
  readonly wrongEku: Pem;
}

function pemKey(der: ArrayBuffer): string {
  return x509.PemConverter.encode(der, "PRIVATE KEY") + "\n";
}

async function keys(): Promise<any> {
  return webcrypto.subtle.generateKey(ED25519, true, ["sign", "verify"]);
}

async function makeCa(org: string): Promise<{ pem: Pem; cert: x509.X509Certificate; keys: any }> {
  const k = await keys();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomBytes(16)
      .toString("hex")
      .replace(/^[89a-f]/, "1"),
    name: `O=${org}`,
    notBefore: new Date(Date.now() - 60_000),
    notAfter: new Date(Date.now() + 10 * 365 * 86400_000),
    signingAlgorithm: ED25519,
    keys: k,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([SERVER_AUTH, CLIENT_AUTH] as any),
    ],
  });
  return {
    pem: { cert: cert.toString("pem") + "\n", key: pemKey(await webcrypto.subtle.exportKey("pkcs8", k.privateKey)) },
    cert,
    keys: k,
  };
}

async function makeLeaf(
  ca: { cert: x509.X509Certificate; keys: any },
  subject: string,
  eku: string[],
  sans?: { type: "ip" | "dns"; value: string }[],
): Promise<Pem> {
  const k = await keys();
  const exts: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
    new x509.ExtendedKeyUsageExtension(eku as any),
  ];
  if (sans) exts.push(new x509.SubjectAlternativeNameExtension(sans));
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: randomBytes(16)
      .toString("hex")
      .replace(/^[89a-f]/, "1"),
    subject,
    issuer: ca.cert.subject,
    notBefore: new Date(Date.now() - 60_000),
    notAfter: new Date(Date.now() + 86400_000),
    signingAlgorithm: ED25519,
    publicKey: k.publicKey,
    signingKey: ca.keys.privateKey,
    extensions: exts,
  });
  return { cert: cert.toString("pem") + "\n", key: pemKey(await webcrypto.subtle.exportKey("pkcs8", k.privateKey)) };
}

/**
 * Generate a fresh Ed25519 test PKI. Server SANs: talos-cp-1 and 10.5.0.2, deliberately NOT 127.0.0.1 (apid's
 * certificate lacks port-mapped addresses), plus `extraServerSans` (e.g. 127.0.0.1 to test strict name checks).
 */
export async function makeFakePki(extraServerSans: { type: "ip" | "dns"; value: string }[] = []): Promise<FakePki> {
  const ca = await makeCa("talos");
  const other = await makeCa("talos");
  return {
    ca: ca.pem,
    server: await makeLeaf(
      ca,
      "CN=talos-cp-1",
      [SERVER_AUTH],
      [{ type: "dns", value: "talos-cp-1" }, { type: "ip", value: "10.5.0.2" }, ...extraServerSans],
    ),
    admin: await makeLeaf(ca, "O=os:admin", [CLIENT_AUTH]),
    foreign: await makeLeaf(other, "O=os:admin", [CLIENT_AUTH]),
    wrongEku: await makeLeaf(ca, "O=os:admin", [SERVER_AUTH, CLIENT_AUTH]),
  };
}

/**
 * Test PKI around a real OS CA from sdk/pki (the cluster's `certs.os`): apid's server certificate and the
 * bad client certificates are issued with sdk/pki too, so the client's talosconfig can be the one
 * `deriveAdminCredentials` writes.
 */
export async function fakePkiFromOsCa(osCa: Pem): Promise<FakePki> {
  const pki = await import("../../sdk/pki");
  const other = await pki.issueCa({ template: "talos", algorithm: "ed25519", subject: { organizations: ["talos"] } });
  const leaf = (ca: Pem, eku: string[]) =>
    pki.issueLeaf({ ca, subject: { organizations: ["os:admin"] }, keyUsage: pki.KeyUsage.digitalSignature, extKeyUsages: eku });
  return {
    ca: osCa,
    server: await pki.issueServerCert({ ca: osCa, commonName: "talos-cp-1", dnsNames: ["talos-cp-1"], ips: ["10.5.0.2"] }),
    admin: await leaf(osCa, [CLIENT_AUTH]),
    foreign: await leaf(other, [CLIENT_AUTH]),
    wrongEku: await leaf(osCa, [SERVER_AUTH, CLIENT_AUTH]),
  };
}

/** A talosconfig YAML for the fake, written the way Talos writes it (base64 of PEM, Talos key label). */
export function talosconfigFor(pki: FakePki, endpoint: string, client: Pem = pki.admin, context = "test"): string {
  const b64 = (s: string) => Buffer.from(s).toString("base64");
  return [
    `context: ${context}`,
    `contexts:`,
    `  ${context}:`,
    `    endpoints:`,
    `      - ${endpoint}`,
    `    nodes:`,
    `      - 10.5.0.2`,
    `    ca: ${b64(pki.ca.cert)}`,
    `    crt: ${b64(client.cert)}`,
    `    key: ${b64(toTalosKeyPem(client.key))}`,
    ``,
  ].join("\n");
}

/** Build a gzip'd ustar archive holding one file (what the Kubeconfig RPC streams). */
export function tarGz(name: string, content: string): Buffer {
  const data = Buffer.from(content, "utf8");
  const header = Buffer.alloc(512, 0);
  header.write(name, 0, "utf8");
  header.write("0000600\0", 100);
  header.write("0000000\0", 108);
  header.write("0000000\0", 116);
  header.write(data.length.toString(8).padStart(11, "0") + "\0", 124);
  header.write(
    Math.floor(Date.now() / 1000)
      .toString(8)
      .padStart(11, "0") + "\0",
    136,
  );
  header.write("        ", 148);
  header.write("0", 156);
  header.write("ustar\0", 257);
  header.write("00", 263);
  let sum = 0;
  for (const b of header) sum += b;
  header.write(sum.toString(8).padStart(6, "0") + "\0 ", 148);
  const pad = Buffer.alloc((512 - (data.length % 512)) % 512, 0);
  return zlib.gzipSync(Buffer.concat([header, data, pad, Buffer.alloc(1024, 0)]));
}

export interface RecordedCall {
  readonly method: string;
  readonly request: any;
  readonly metadata: Record<string, string[]>;
  /** Organization of the client certificate (undefined in maintenance mode). */
  readonly peerOrg?: string;
  /** When the call arrived (Date.now()). */
  readonly at: number;
}

export interface FakeApidOptions {
  readonly pki?: FakePki;
  /** Serve like a node in maintenance mode: no client certificate, only AUTO/REBOOT/TRY applies. */
  readonly maintenance?: boolean;
  /** Container mode: Reboot and Upgrade answer FailedPrecondition. */
  readonly containerMode?: boolean;
  readonly hostname?: string;
  readonly versionTag?: string;
  /** What AUTO resolves to. @default "NO_REBOOT" */
  readonly autoResolvesTo?: "NO_REBOOT" | "REBOOT";
  /** Start with this config (as if already configured). */
  readonly initialConfig?: string;
  /** Kubeconfig the Kubeconfig RPC returns. */
  readonly kubeconfig?: string;
  /** Calls that fail with UNAVAILABLE after a Reboot/Upgrade, simulating the node going down. @default 2 */
  readonly downCallsAfterReboot?: number;
  readonly port?: number;
}

interface Failure {
  code: number;
  message: string;
  times: number;
}

/** A running fake apid. */
export class FakeApid {
  readonly pki: FakePki;
  readonly calls: RecordedCall[] = [];
  port = 0;
  /** Active machine config (what the node runs). */
  config: string | undefined;
  /** Config staged for the next boot. */
  staged: string | undefined;
  bootstrapped = false;
  versionTag: string;
  reboots = 0;
  upgrades: string[] = [];
  resets = 0;
  leftEtcd = false;
  members: { id: string; hostname: string; peerUrls: string[]; clientUrls: string[]; isLearner: boolean }[] = [
    { id: "1", hostname: "talos-cp-1", peerUrls: ["https://10.5.0.2:2380"], clientUrls: ["https://10.5.0.2:2379"], isLearner: false },
  ];
  private failures = new Map<string, Failure[]>();
  private proxyErrors = new Map<string, { error: string; code: number }>();
  private downFor = 0;
  private server: grpc.Server | undefined;

  private constructor(
    pki: FakePki,
    private readonly opts: FakeApidOptions,
  ) {
    this.pki = pki;
    this.config = opts.initialConfig;
    this.versionTag = opts.versionTag ?? "v1.12.0";
  }

  static async start(opts: FakeApidOptions = {}): Promise<FakeApid> {
    const pki = opts.pki ?? (await makeFakePki());
    const f = new FakeApid(pki, opts);
    await f.listen(opts.port ?? 0);
    return f;
  }

  get endpoint(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** Make the next `times` calls of `method` fail with `code` (gRPC status) and `message`. */
  failNext(method: string, code: number, message: string, times = 1): void {
    const list = this.failures.get(method) ?? [];
    list.push({ code, message, times });
    this.failures.set(method, list);
  }

  /** Answer the next call of `method` the way a proxying apid reports a failed upstream node. */
  proxyErrorNext(method: string, error: string, code = grpc.status.UNAVAILABLE): void {
    this.proxyErrors.set(method, { error, code });
  }

  /** Calls of one method. */
  callsOf(method: string): RecordedCall[] {
    return this.calls.filter((c) => c.method === method);
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (!s) return;
    await new Promise<void>((r) => s.tryShutdown(() => r()));
    s.forceShutdown();
  }

  private async listen(port: number): Promise<void> {
    const server = new grpc.Server();
    const svc = (machinePackage().MachineService as grpc.ServiceClientConstructor).service;
    const impl: grpc.UntypedServiceImplementation = {};
    for (const method of Object.keys(svc)) {
      const def = svc[method];
      if (def.responseStream) {
        impl[method] = (call: grpc.ServerWritableStream<any, any>) => {
          const err = this.intercept(method, call);
          if (err) return void call.emit("error", err);
          try {
            for (const m of this.stream(method)) call.write(m);
            call.end();
          } catch (e) {
            call.emit("error", e);
          }
        };
      } else {
        impl[method] = (call: grpc.ServerUnaryCall<any, any>, cb: grpc.sendUnaryData<any>) => {
          const err = this.intercept(method, call);
          if (err) return cb(err);
          const pe = this.proxyErrors.get(method);
          if (pe) {
            this.proxyErrors.delete(method);
            const hostname = call.metadata.get("node")[0]?.toString() ?? "";
            return cb(null, { messages: [{ metadata: { hostname, error: pe.error, status: { code: pe.code, message: pe.error } } }] });
          }
          try {
            cb(null, this.handle(method, call.request));
          } catch (e) {
            cb(e as grpc.ServiceError);
          }
        };
      }
    }
    server.addService(svc, impl);
    const creds = this.opts.maintenance
      ? grpc.ServerCredentials.createSsl(
          null,
          [{ private_key: Buffer.from(this.pki.server.key), cert_chain: Buffer.from(this.pki.server.cert) }],
          false,
        )
      : grpc.ServerCredentials.createSsl(
          Buffer.from(this.pki.ca.cert),
          [{ private_key: Buffer.from(this.pki.server.key), cert_chain: Buffer.from(this.pki.server.cert) }],
          true,
        );
    this.port = await new Promise<number>((resolve, reject) =>
      server.bindAsync(`127.0.0.1:${port}`, creds, (err, p) => (err ? reject(err) : resolve(p))),
    );
    this.server = server;
  }

  /** Record the call, apply the apid EKU rule and scripted failures. Returns an error to send, if any. */
  private intercept(
    method: string,
    call: { metadata: grpc.Metadata; request?: any; getAuthContext(): any },
  ): grpc.StatusObject | undefined {
    const md: Record<string, string[]> = {};
    for (const [k, v] of Object.entries(call.metadata.getMap())) md[k] = String(v).split(",");
    const peer = call.getAuthContext()?.sslPeerCertificate;
    const org = peer?.subject?.O as string | undefined;
    this.calls.push({ method, request: call.request, metadata: md, peerOrg: org, at: Date.now() });
    const status = (code: number, details: string): grpc.StatusObject => ({ code, details, metadata: new grpc.Metadata() });
    if (!this.opts.maintenance) {
      const eku: string[] = peer?.ext_key_usage ?? [];
      if (!(eku.length === 1 && eku[0] === CLIENT_AUTH))
        return status(grpc.status.PERMISSION_DENIED, "client certificate EKU must be exactly clientAuth");
    }
    if (this.downFor > 0) {
      this.downFor--;
      return status(grpc.status.UNAVAILABLE, "connection refused (node rebooting)");
    }
    const list = this.failures.get(method);
    if (list && list.length > 0) {
      const f = list[0];
      if (--f.times <= 0) list.shift();
      return status(f.code, f.message);
    }
    return undefined;
  }

  private md() {
    return { hostname: this.opts.hostname ?? "talos-cp-1", error: "" };
  }

  private err(code: number, details: string): grpc.ServiceError {
    return Object.assign(new Error(details), { code, details, metadata: new grpc.Metadata() }) as grpc.ServiceError;
  }

  private handle(method: string, req: any): any {
    const metadata = this.md();
    const maintenance = this.opts.maintenance === true;
    switch (method) {
      case "Version":
        return {
          messages: [
            {
              metadata,
              version: { tag: this.versionTag, sha: "fake", arch: "amd64", os: "linux" },
              platform: {
                name: this.opts.containerMode ? "container" : maintenance ? "metal" : "hcloud",
                mode: this.opts.containerMode ? "container" : maintenance ? "metal" : "cloud",
              },
            },
          ],
        };
      case "ApplyConfiguration": {
        const data = Buffer.from(req.data ?? []).toString("utf8");
        if (!data.includes("version: v1alpha1")) throw this.err(grpc.status.INVALID_ARGUMENT, "config has no v1alpha1 document");
        let mode: string = req.mode;
        if (maintenance && (mode === "NO_REBOOT" || mode === "STAGED"))
          throw this.err(grpc.status.UNIMPLEMENTED, `apply mode ${mode} is not supported in maintenance mode`);
        if (mode === "AUTO") mode = maintenance ? "REBOOT" : (this.opts.autoResolvesTo ?? "NO_REBOOT");
        if (!req.dryRun) {
          if (mode === "STAGED") this.staged = data;
          else {
            this.config = data;
            this.staged = undefined; // a persisted config supersedes a staged one
            if (mode === "REBOOT") this.reboot();
          }
        }
        return {
          messages: [{ metadata, mode, modeDetails: req.dryRun ? "dry run: no changes applied" : `applied in mode ${mode}`, warnings: [] }],
        };
      }
      case "Bootstrap":
        if (this.bootstrapped) throw this.err(grpc.status.ALREADY_EXISTS, "etcd data directory is not empty");
        if (!this.config) throw this.err(grpc.status.FAILED_PRECONDITION, "bootstrap is not available yet");
        this.bootstrapped = true;
        return { messages: [{ metadata }] };
      case "Reboot":
        if (this.opts.containerMode) throw this.err(grpc.status.FAILED_PRECONDITION, "method is not supported in container mode");
        this.reboot();
        return { messages: [{ metadata, actorId: "reboot-1" }] };
      case "Upgrade":
        if (this.opts.containerMode) throw this.err(grpc.status.FAILED_PRECONDITION, "method is not supported in container mode");
        this.upgrades.push(req.image);
        this.versionTag = /:(v\d+\.\d+\.\d+)/.exec(req.image)?.[1] ?? this.versionTag;
        this.reboot();
        return { messages: [{ metadata, ack: "Upgrade request received", actorId: "upgrade-1" }] };
      case "Reset":
        this.resets++;
        this.config = undefined;
        this.staged = undefined;
        return { messages: [{ metadata, actorId: "reset-1" }] };
      case "EtcdMemberList":
        if (!this.bootstrapped) throw this.err(grpc.status.UNAVAILABLE, "etcd is not running");
        return { messages: [{ metadata, members: this.members }] };
      case "EtcdLeaveCluster":
        this.leftEtcd = true;
        return { messages: [{ metadata }] };
      case "EtcdForfeitLeadership":
        return { messages: [{ metadata, member: "talos-cp-1" }] };
      default:
        throw this.err(grpc.status.UNIMPLEMENTED, `${method} is not implemented by the fake apid`);
    }
  }

  private *stream(method: string): Generator<any> {
    if (method !== "Kubeconfig") throw this.err(grpc.status.UNIMPLEMENTED, `${method} is not implemented`);
    if (!this.config) throw this.err(grpc.status.FAILED_PRECONDITION, "machine has no config");
    const archive = tarGz("kubeconfig", this.opts.kubeconfig ?? "apiVersion: v1\nkind: Config\nclusters: []\n");
    // Stream in two chunks, as a real server may split the payload.
    const mid = Math.floor(archive.length / 2);
    yield { metadata: this.md(), bytes: archive.subarray(0, mid) };
    yield { metadata: this.md(), bytes: archive.subarray(mid) };
  }

  /** Simulate a reboot: the staged config becomes active and the node is unreachable for a few calls. */
  simulateReboot(): void {
    this.reboot();
  }

  private reboot(): void {
    this.reboots++;
    if (this.staged !== undefined) {
      this.config = this.staged;
      this.staged = undefined;
    }
    this.downFor = this.opts.downCallsAfterReboot ?? 2;
  }
}
