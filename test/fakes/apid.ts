/**
 * A fake Talos apid for protocol and engine tests: a real grpc-js server on 127.0.0.1 with mutual TLS (Ed25519
 * certificates, client certificate required and verified against the OS CA, apid's EKU rule = exactly clientAuth)
 * serving the subset of MachineService, ImageService, LifecycleService and the COSI State service that
 * @ksail/pulumi uses. It records every call with its metadata and roles, and can be scripted to fail.
 *
 * Nodes join a `FakeNetwork`, which models what hurts in a real cluster (each rule names its upstream source in
 * siderolabs/talos):
 * - Routing (internal/app/apid/pkg/director/director.go, pkg/backend/apid.go): a call with `node` metadata is
 *   proxied one-to-one to that address's apid, authenticated with the proxying node's own `os:impersonator`
 *   certificate and the caller's roles in `talos-role` metadata (pkg/grpc/middleware/authz/injector.go trusts
 *   that metadata only from an impersonator); the target never routes further (`proxyfrom`). The proxy is
 *   transparent: a target that does not answer fails the call with Unavailable (grpc-proxy handler_one2one.go).
 *   A `privateOnly` node refuses anything that did not come through another node's apid (a firewall).
 * - etcd (internal/app/machined/internal/server/v1alpha1/v1alpha1_server.go, internal/pkg/etcd/etcd.go):
 *   Bootstrap on a control plane whose etcd data directory is empty starts a NEW single-member cluster, even when
 *   another cluster exists (a split brain, counted in `etcdClusters`); configured control planes with empty data
 *   join the existing cluster by themselves. EtcdMemberList with `query_local=false` is answered by the cluster
 *   (any member, leader required) even while the local member is down; `query_local=true` only by the local
 *   member. After a reboot apid answers before the local etcd member has rejoined (`etcdRejoinMs`). A reboot
 *   that leaves fewer running members than quorum is recorded in `quorumLosses`. The last member cannot leave.
 * - Reboots and upgrades: a node is down for `downCallsAfterReboot` calls, or for good (`neverComesBack`); the
 *   legacy Upgrade runs etcd's ValidateForUpgrade on a control plane unless `force` or `preserve`; the 1.13+
 *   path is ImageService.Pull, LifecycleService.Upgrade (install only), then Reboot. Talos 1.14 refuses the
 *   REBOOT apply mode outside maintenance and resolves AUTO to NO_REBOOT; 1.13+ serve maintenance mode from the
 *   regular API (AUTO → NO_REBOOT), older ones only AUTO/REBOOT/TRY there.
 * - Reset answers at once and runs in the background: a graceful reset leaves etcd; wiping STATE and EPHEMERAL
 *   brings the node back without config (maintenance mode, or the platform's config: `platformConfig`); wiping
 *   the whole system disk leaves nothing to boot.
 */
import "reflect-metadata";
import * as zlib from "node:zlib";
import { webcrypto, randomBytes } from "node:crypto";
import * as grpc from "@grpc/grpc-js";
import * as x509 from "@peculiar/x509";
import * as YAML from "yaml";
import { machinePackage, cosiPackage } from "../../sdk/clients/talos/proto";
import { toTalosKeyPem } from "../../sdk/clients/talos/pem";

x509.cryptoProvider.set(webcrypto as any);

const ED25519 = { name: "Ed25519" };
const CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";
const SERVER_AUTH = "1.3.6.1.5.5.7.3.1";

export interface Pem {
  readonly cert: string;
  readonly key: string;
}

/** Test PKI: the OS CA, apid's server cert, an admin client cert, apid's impersonator cert, and bad client certs. */
export interface FakePki {
  readonly ca: Pem;
  /** The default server certificate (talos-cp-1, 10.5.0.2, 127.0.0.1); nodes of a network get their own. */
  readonly server: Pem;
  readonly admin: Pem;
  /** What apid presents when it proxies a call to another node (`O=os:impersonator`). */
  readonly impersonator: Pem;
  /** `O=os:reader`: may read, not change. */
  readonly reader: Pem;
  /** Signed by a different CA. */
  readonly foreign: Pem;
  /** Signed by the right CA but EKU serverAuth+clientAuth (apid rejects it). */
  readonly wrongEku: Pem;
}

type San = { type: "ip" | "dns"; value: string };

function pemKey(der: ArrayBuffer): string {
  return x509.PemConverter.encode(der, "PRIVATE KEY") + "\n";
}

async function keys(): Promise<any> {
  return webcrypto.subtle.generateKey(ED25519, true, ["sign", "verify"]);
}

const serial = () =>
  randomBytes(16)
    .toString("hex")
    .replace(/^[89a-f]/, "1");

async function makeCa(org: string): Promise<Pem> {
  const k = await keys();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
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
  return { cert: cert.toString("pem") + "\n", key: pemKey(await webcrypto.subtle.exportKey("pkcs8", k.privateKey)) };
}

/** A leaf signed by `ca` (PEM with a PKCS#8 Ed25519 key). */
export async function makeLeaf(ca: Pem, subject: string, eku: string[], sans?: San[]): Promise<Pem> {
  const caCert = new x509.X509Certificate(ca.cert);
  const caKey = await webcrypto.subtle.importKey("pkcs8", x509.PemConverter.decodeFirst(ca.key), ED25519, false, ["sign"]);
  const k = await keys();
  const exts: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
    new x509.ExtendedKeyUsageExtension(eku as any),
  ];
  if (sans && sans.length > 0) exts.push(new x509.SubjectAlternativeNameExtension(sans));
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject,
    issuer: caCert.subject,
    notBefore: new Date(Date.now() - 60_000),
    notAfter: new Date(Date.now() + 86400_000),
    signingAlgorithm: ED25519,
    publicKey: k.publicKey,
    signingKey: caKey,
    extensions: exts,
  });
  return { cert: cert.toString("pem") + "\n", key: pemKey(await webcrypto.subtle.exportKey("pkcs8", k.privateKey)) };
}

/** apid's server certificate for a node: its hostname and address, plus `machine.certSANs`-style extras. */
export function serverCertFor(ca: Pem, hostname: string, sans: San[]): Promise<Pem> {
  return makeLeaf(ca, `CN=${hostname}`, [SERVER_AUTH], [{ type: "dns", value: hostname }, ...sans]);
}

async function clientCerts(ca: Pem, other: Pem): Promise<Omit<FakePki, "ca" | "server">> {
  return {
    admin: await makeLeaf(ca, "O=os:admin", [CLIENT_AUTH]),
    impersonator: await makeLeaf(ca, "O=os:impersonator", [CLIENT_AUTH]),
    reader: await makeLeaf(ca, "O=os:reader", [CLIENT_AUTH]),
    foreign: await makeLeaf(other, "O=os:admin", [CLIENT_AUTH]),
    wrongEku: await makeLeaf(ca, "O=os:admin", [SERVER_AUTH, CLIENT_AUTH]),
  };
}

/**
 * Generate a fresh Ed25519 test PKI. The default server certificate names talos-cp-1, 10.5.0.2 and 127.0.0.1
 * (the rendered configs put 127.0.0.1 in `machine.certSANs`, which Talos adds to apid's certificate);
 * `serverSans` replaces the last two (e.g. `[]` to test the strict name check against a certificate without them).
 */
export async function makeFakePki(
  serverSans: San[] = [
    { type: "ip", value: "10.5.0.2" },
    { type: "ip", value: "127.0.0.1" },
  ],
): Promise<FakePki> {
  const ca = await makeCa("talos");
  const other = await makeCa("talos");
  return { ca, server: await serverCertFor(ca, "talos-cp-1", serverSans), ...(await clientCerts(ca, other)) };
}

/**
 * Test PKI around a real OS CA from sdk/pki (the cluster's `certs.os`), so the client's talosconfig can be the
 * one `deriveAdminCredentials` writes.
 */
export async function fakePkiFromOsCa(osCa: Pem): Promise<FakePki> {
  const pki = await import("../../sdk/pki");
  const std = { cert: osCa.cert, key: osCa.key };
  const other = await makeCa("talos");
  const leaf = (eku: string[], org: string) =>
    pki.issueLeaf({ ca: std, subject: { organizations: [org] }, keyUsage: pki.KeyUsage.digitalSignature, extKeyUsages: eku });
  return {
    ca: std,
    server: await pki.issueServerCert({ ca: std, commonName: "talos-cp-1", dnsNames: ["talos-cp-1"], ips: ["10.5.0.2", "127.0.0.1"] }),
    admin: await leaf([CLIENT_AUTH], "os:admin"),
    impersonator: await leaf([CLIENT_AUTH], "os:impersonator"),
    reader: await leaf([CLIENT_AUTH], "os:reader"),
    foreign: await makeLeaf(other, "O=os:admin", [CLIENT_AUTH]),
    wrongEku: await leaf([SERVER_AUTH, CLIENT_AUTH], "os:admin"),
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
  /** `Version`, `ApplyConfiguration`, ... (MachineService), `ImageService.Pull`, `LifecycleService.Upgrade`, `State.Get`. */
  readonly method: string;
  readonly request: any;
  readonly metadata: Record<string, string[]>;
  /** Organization of the client certificate (undefined in maintenance mode). */
  readonly peerOrg?: string;
  /** The roles the call ran with (the impersonator's forwarded roles for a proxied call). */
  readonly roles: readonly string[];
  /** The call came through another node's apid. */
  readonly proxied: boolean;
  /** When the call arrived (Date.now()). */
  readonly at: number;
}

export interface FakeApidOptions {
  readonly pki?: FakePki;
  /** Serve like a node in maintenance mode: no client certificate, no config yet. */
  readonly maintenance?: boolean;
  /** Container mode: Reboot and Upgrade answer FailedPrecondition. */
  readonly containerMode?: boolean;
  readonly hostname?: string;
  /** The node's address on the network (what `node` metadata names). @default 10.5.0.2 */
  readonly address?: string;
  /** Extra SANs of apid's server certificate. @default [the address, 127.0.0.1] */
  readonly serverSans?: San[];
  /** Share a network (routing, etcd) with other nodes. @default a network of its own */
  readonly network?: FakeNetwork;
  /** Refuse calls that did not come through another node's apid (a firewall in front of this apid). */
  readonly privateOnly?: boolean;
  readonly versionTag?: string;
  /** Platform reported by Version (cloud platforms: hcloud; metal). @default hcloud (metal in maintenance) */
  readonly platform?: "hcloud" | "metal" | "container";
  /** What AUTO resolves to before Talos 1.14. @default "NO_REBOOT" */
  readonly autoResolvesTo?: "NO_REBOOT" | "REBOOT";
  /** Start with this config (as if already configured). */
  readonly initialConfig?: string;
  /** What the platform hands out at boot (Docker USERDATA, hcloud user_data); none = maintenance mode after a wipe. */
  readonly platformConfig?: string;
  /** Kubeconfig the Kubeconfig RPC returns. */
  readonly kubeconfig?: string;
  /** Calls that fail with UNAVAILABLE after a Reboot/Upgrade, simulating the node going down. @default 2 */
  readonly downCallsAfterReboot?: number;
  /** After it is back up, the local etcd member needs this long to rejoin. @default 0 */
  readonly etcdRejoinMs?: number;
  /**
   * A control plane whose etcd data is empty joins the existing cluster only this long after it came up (or lost its
   * data): discovering the other members takes time, and a Bootstrap in that window starts a second cluster. @default 0
   */
  readonly etcdJoinMs?: number;
  /** After it is back up, the kubelet needs this long to report healthy. @default 0 */
  readonly kubeletReadyMs?: number;
  readonly port?: number;
}

interface Failure {
  code: number;
  message: string;
  times: number;
}

class CallError extends Error {
  constructor(
    readonly code: number,
    readonly details: string,
  ) {
    super(details);
  }
}

const err = (code: number, details: string) => new CallError(code, details);

/** One etcd cluster on the network. */
export interface FakeEtcdCluster {
  readonly id: number;
  readonly members: { id: string; node: FakeApid; learner: boolean }[];
}

/** A network of fake nodes: who is reachable at which address, and the etcd clusters they form. */
export class FakeNetwork {
  readonly nodes = new Map<string, FakeApid>();
  /** Every etcd cluster bootstrapped on this network; more than one is a split brain. */
  readonly etcdClusters: FakeEtcdCluster[] = [];
  /** One line per moment a cluster had fewer running members than its quorum (a reboot while another was down). */
  readonly quorumLosses: string[] = [];
  private nextMemberId = 0x1000;

  newMemberId(): string {
    return String(this.nextMemberId++);
  }

  clusterOf(n: FakeApid): FakeEtcdCluster | undefined {
    return this.etcdClusters.find((c) => c.members.some((m) => m.node === n));
  }

  /** Members whose local etcd is running and that are not learners. */
  runningVoters(c: FakeEtcdCluster): number {
    return c.members.filter((m) => !m.learner && m.node.etcdRunning()).length;
  }

  hasQuorum(c: FakeEtcdCluster): boolean {
    const voters = c.members.filter((m) => !m.learner).length;
    return this.runningVoters(c) >= Math.floor(voters / 2) + 1;
  }

  /** Record a quorum loss if `c` is below quorum right now. */
  checkQuorum(c: FakeEtcdCluster | undefined, why: string): void {
    if (c && c.members.length > 1 && !this.hasQuorum(c)) this.quorumLosses.push(why);
  }

  async stopAll(): Promise<void> {
    await Promise.all([...new Set(this.nodes.values())].map((n) => n.stop()));
  }
}

/** Which roles a method needs (Talos's RBAC: readers may read, admins may change). */
const READER_METHODS = new Set(["Version", "EtcdMemberList", "ServiceList", "State.Get"]);

/** A running fake apid (one node). */
export class FakeApid {
  readonly pki: FakePki;
  readonly network: FakeNetwork;
  readonly calls: RecordedCall[] = [];
  readonly hostname: string;
  readonly address: string;
  port = 0;
  /** Active machine config (what the node runs). */
  config: string | undefined;
  /** Config staged for the next boot. */
  staged: string | undefined;
  versionTag: string;
  /** Installed by an upgrade, active after the next boot. */
  pendingVersion: string | undefined;
  maintenance: boolean;
  reboots = 0;
  /** Legacy Upgrade calls (image refs). */
  upgrades: string[] = [];
  /** Images pulled through ImageService. */
  pulled: string[] = [];
  resets = 0;
  leftEtcd = false;
  /** The node never answers again after its next reboot (a boot that fails). */
  neverComesBack = false;
  /** The node's etcd data directory holds data (bootstrapped or joined). */
  etcdData = false;
  /** The local etcd member is running from this time on (Infinity: stopped). */
  etcdUpAt = 0;
  kubeletReadyAt = 0;
  /** etcd was stopped by leaving the cluster; it starts (and joins) again at the next boot. */
  etcdStopped = false;
  /** Nothing left to boot (the whole system disk was wiped). */
  wiped = false;
  /** When the etcd data directory last became empty (join delay). */
  private emptySince = Date.now();
  private failures = new Map<string, Failure[]>();
  private proxyErrors = new Map<string, { error: string; code: number }>();
  private downFor = 0;
  private down = false;
  private server: grpc.Server | undefined;
  private serverCert: Pem | undefined;
  private maintenanceCert: Pem | undefined;
  private proxies = new Map<string, Record<string, grpc.Client & Record<string, any>>>();
  private servingMaintenance = false;
  private rebinding: Promise<void> = Promise.resolve();

  private constructor(
    pki: FakePki,
    private readonly opts: FakeApidOptions,
  ) {
    this.pki = pki;
    this.network = opts.network ?? new FakeNetwork();
    this.hostname = opts.hostname ?? "talos-cp-1";
    this.address = opts.address ?? "10.5.0.2";
    this.config = opts.initialConfig;
    this.maintenance = opts.maintenance === true;
    this.versionTag = opts.versionTag ?? "v1.12.0";
  }

  static async start(opts: FakeApidOptions = {}): Promise<FakeApid> {
    const pki = opts.pki ?? (await makeFakePki());
    const f = new FakeApid(pki, opts);
    const defaultSans = opts.serverSans === undefined && opts.address === undefined && opts.hostname === undefined;
    f.serverCert = defaultSans
      ? pki.server
      : await serverCertFor(
          pki.ca,
          f.hostname,
          opts.serverSans ?? [
            { type: "ip", value: f.address },
            { type: "ip", value: "127.0.0.1" },
          ],
        );
    f.maintenanceCert = await makeCa("talos-maintenance");
    f.network.nodes.set(f.address, f);
    await f.listen(opts.port ?? 0);
    return f;
  }

  get endpoint(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** Control plane or worker, from the applied config (control plane until configured otherwise). */
  get role(): "controlplane" | "worker" {
    const type = this.config ? /\n\s*type:\s*(controlplane|worker|init)\b/.exec(`\n${this.config}`)?.[1] : undefined;
    return type === "worker" ? "worker" : "controlplane";
  }

  get minor(): number {
    return Number(/^v?\d+\.(\d+)/.exec(this.versionTag)?.[1] ?? 12);
  }

  /** etcd was bootstrapped on this node's cluster (kept for older tests: setting it starts a one-member cluster). */
  get bootstrapped(): boolean {
    return this.network.clusterOf(this) !== undefined;
  }

  set bootstrapped(v: boolean) {
    const c = this.network.clusterOf(this);
    if (v && !c) this.startEtcdCluster();
    if (!v && c) {
      c.members.splice(
        c.members.findIndex((m) => m.node === this),
        1,
      );
      if (c.members.length === 0) this.network.etcdClusters.splice(this.network.etcdClusters.indexOf(c), 1);
      this.etcdData = false;
      this.emptySince = Date.now();
    }
  }

  /** The etcd members of this node's cluster (for assertions). */
  get members(): { id: string; hostname: string; isLearner: boolean }[] {
    return (this.network.clusterOf(this)?.members ?? []).map((m) => ({ id: m.id, hostname: m.node.hostname, isLearner: m.learner }));
  }

  isUp(): boolean {
    return this.server !== undefined && !this.down && !this.wiped;
  }

  etcdRunning(): boolean {
    return this.isUp() && this.etcdData && Date.now() >= this.etcdUpAt;
  }

  /** Make the next `times` calls of `method` fail with `code` (gRPC status) and `message`. */
  failNext(method: string, code: number, message: string, times = 1): void {
    const list = this.failures.get(method) ?? [];
    list.push({ code, message, times });
    this.failures.set(method, list);
  }

  /** Answer the next call of `method` the way apid reports a failed node in a one-to-many (`nodes`) call. */
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
    for (const cs of this.proxies.values()) for (const c of Object.values(cs)) c.close();
    this.proxies.clear();
    if (!s) return;
    await new Promise<void>((r) => s.tryShutdown(() => r()));
    s.forceShutdown();
  }

  private services(): { svc: grpc.ServiceDefinition; prefix: string }[] {
    const m = machinePackage();
    return [
      { svc: (m.MachineService as grpc.ServiceClientConstructor).service, prefix: "" },
      { svc: (m.ImageService as grpc.ServiceClientConstructor).service, prefix: "ImageService." },
      { svc: (m.LifecycleService as grpc.ServiceClientConstructor).service, prefix: "LifecycleService." },
      { svc: (cosiPackage().State as grpc.ServiceClientConstructor).service, prefix: "State." },
    ];
  }

  private async listen(port: number): Promise<void> {
    const server = new grpc.Server();
    for (const { svc, prefix } of this.services()) {
      const impl: grpc.UntypedServiceImplementation = {};
      for (const name of Object.keys(svc)) {
        const method = `${prefix}${name}`;
        if (svc[name].responseStream) {
          impl[name] = (call: grpc.ServerWritableStream<any, any>) => {
            this.serve(method, call)
              .then((out) => {
                for (const m of out as any[]) call.write(m);
                call.end();
              })
              .catch((e) => call.emit("error", toStatus(e)));
          };
        } else {
          impl[name] = (call: grpc.ServerUnaryCall<any, any>, cb: grpc.sendUnaryData<any>) => {
            this.serve(method, call).then(
              (r) => cb(null, r),
              (e) => cb(toStatus(e) as grpc.ServiceError),
            );
          };
        }
      }
      server.addService(svc, impl);
    }
    const key = Buffer.from(this.serverCert!.key);
    const chain = Buffer.from(this.serverCert!.cert);
    // A configured node requires a client certificate verified against the OS CA (a foreign one fails the TLS
    // handshake, as with apid); a node in maintenance mode has no identity yet and takes clients without one.
    this.servingMaintenance = this.maintenance;
    // In maintenance mode the node has no identity: apid presents a self-signed certificate no cluster CA signed.
    const m = this.maintenanceCert!;
    const creds = this.maintenance
      ? grpc.ServerCredentials.createSsl(null, [{ private_key: Buffer.from(m.key), cert_chain: Buffer.from(m.cert) }], false)
      : grpc.ServerCredentials.createSsl(Buffer.from(this.pki.ca.cert), [{ private_key: key, cert_chain: chain }], true);
    this.port = await new Promise<number>((resolve, reject) =>
      server.bindAsync(`127.0.0.1:${port}`, creds, (e, p) => (e ? reject(e) : resolve(p))),
    );
    this.server = server;
  }

  /** apid restarts with the other kind of TLS when the node leaves or enters maintenance mode (same port). */
  private rebind(): void {
    if (this.server === undefined || this.servingMaintenance === this.maintenance) return;
    const old = this.server;
    this.server = undefined;
    old.forceShutdown();
    this.rebinding = this.listen(this.port).catch(() => undefined);
  }

  /** Resolves once a pending change of TLS mode has finished. */
  async settled(): Promise<void> {
    await this.rebinding;
  }

  /** Authenticate, record, route (proxy) or handle one call. Returns the response (unary) or the messages (stream). */
  private async serve(method: string, call: { metadata: grpc.Metadata; request?: any; getAuthContext(): any }): Promise<unknown> {
    const md: Record<string, string[]> = {};
    for (const [k, v] of Object.entries(call.metadata.getMap())) md[k] = String(v).split(",");
    const auth = call.getAuthContext();
    const peer = auth?.sslPeerCertificate;
    const orgs: string[] = peer?.subject?.O === undefined ? [] : ([] as string[]).concat(peer.subject.O);
    const impersonated = orgs.includes("os:impersonator") && md["talos-role"] !== undefined;
    const roles = impersonated ? md["talos-role"] : orgs;
    const proxied = md.proxyfrom !== undefined;
    this.calls.push({ method, request: call.request, metadata: md, peerOrg: orgs[0], roles, proxied, at: Date.now() });

    if (!this.isUp()) throw err(grpc.status.UNAVAILABLE, "connection refused");
    if (this.servingMaintenance !== this.maintenance) throw err(grpc.status.UNAVAILABLE, "connection reset (apid restarting)");
    if (!this.maintenance) {
      // apid's EKU rule: exactly clientAuth (the chain was verified in the handshake).
      const eku: string[] = peer?.ext_key_usage ?? [];
      if (!(eku.length === 1 && eku[0] === CLIENT_AUTH))
        throw err(grpc.status.PERMISSION_DENIED, "client certificate EKU must be exactly clientAuth");
    }
    if (this.opts.privateOnly && !proxied)
      throw err(grpc.status.UNAVAILABLE, "connection timed out (only reachable from the private network)");
    if (this.downFor > 0) {
      this.downFor--;
      if (this.downFor === 0) this.cameUp();
      throw err(grpc.status.UNAVAILABLE, "connection refused (node rebooting)");
    }
    // Routing: a single `node` is proxied one-to-one unless it is this node or the call was already routed.
    const target = md.node;
    if (target && target.length !== 1) throw err(grpc.status.INVALID_ARGUMENT, "node metadata must be single-valued");
    if (target && !proxied && !this.isLocal(target[0])) {
      if (this.maintenance) throw err(grpc.status.PERMISSION_DENIED, "no request forwarding");
      return this.forward(method, target[0], call.request, roles, md);
    }
    if (!this.maintenance && !READER_METHODS.has(method) && !roles.includes("os:admin")) {
      throw err(grpc.status.PERMISSION_DENIED, "not authorized");
    }
    this.reconcile();
    const list = this.failures.get(method);
    if (list && list.length > 0) {
      const f = list[0];
      if (--f.times <= 0) list.shift();
      throw err(f.code, f.message);
    }
    const pe = this.proxyErrors.get(method);
    if (pe) {
      this.proxyErrors.delete(method);
      const hostname = md.node?.[0] ?? "";
      return { messages: [{ metadata: { hostname, error: pe.error, status: { code: pe.code, message: pe.error } } }] };
    }
    return this.handle(method, call.request ?? {});
  }

  private isLocal(target: string): boolean {
    return target === this.address || target === this.hostname || target === "127.0.0.1" || target === "localhost";
  }

  /** Proxy to another node's apid as apid does: its own impersonator certificate, the caller's roles, `proxyfrom`. */
  private async forward(
    method: string,
    target: string,
    request: any,
    roles: readonly string[],
    md: Record<string, string[]>,
  ): Promise<unknown> {
    const node = this.network.nodes.get(target);
    if (!node || !node.isUp() || node.consumeDown()) {
      throw err(
        grpc.status.UNAVAILABLE,
        `connection error: desc = "transport: Error while dialing: dial tcp ${target}:50000: connect: connection refused"`,
      );
    }
    const [svcName, m] = method.includes(".") ? method.split(".") : ["MachineService", method];
    const client = this.proxyClient(node, svcName);
    const meta = new grpc.Metadata();
    for (const r of roles) meta.add("talos-role", r);
    meta.set("proxyfrom", md[":authority"]?.[0] ?? this.endpoint);
    const deadline = new Date(Date.now() + 30_000);
    const def = (client as any)[m] as { responseStream?: boolean } | undefined;
    const streaming = (client.constructor as any).service?.[m]?.responseStream === true || def?.responseStream === true;
    if (streaming) {
      return new Promise<unknown[]>((resolve, reject) => {
        const out: unknown[] = [];
        const s = (client as any)[m](request, meta, { deadline }) as grpc.ClientReadableStream<unknown>;
        s.on("data", (d) => out.push(d));
        s.on("error", (e: grpc.ServiceError) => reject(err(e.code ?? grpc.status.UNKNOWN, e.details ?? e.message)));
        s.on("end", () => resolve(out));
      });
    }
    return new Promise((resolve, reject) =>
      (client as any)[m](request, meta, { deadline }, (e: grpc.ServiceError | null, r: unknown) =>
        e ? reject(err(e.code ?? grpc.status.UNKNOWN, e.details ?? e.message)) : resolve(r),
      ),
    );
  }

  private proxyClient(node: FakeApid, svcName: string): grpc.Client & Record<string, any> {
    const key = `${node.address}@${node.endpoint}`; // a node restarted on another port is another connection
    const byService = this.proxies.get(key) ?? {};
    this.proxies.set(key, byService);
    if (!byService[svcName]) {
      const Ctor = (svcName === "State" ? cosiPackage().State : machinePackage()[svcName]) as grpc.ServiceClientConstructor;
      const creds = grpc.credentials.createSsl(
        Buffer.from(this.pki.ca.cert),
        Buffer.from(this.pki.impersonator.key),
        Buffer.from(this.pki.impersonator.cert),
        {
          checkServerIdentity: () => undefined,
        },
      );
      byService[svcName] = new Ctor(node.endpoint, creds, { "grpc.ssl_target_name_override": node.hostname }) as grpc.Client &
        Record<string, any>;
    }
    return byService[svcName];
  }

  /** A connection attempt while rebooting counts against the downtime, as a direct call does. */
  consumeDown(): boolean {
    if (this.downFor <= 0) return false;
    this.downFor--;
    if (this.downFor === 0) this.cameUp();
    return true;
  }

  /** A configured control plane with an empty etcd data directory joins the network's etcd cluster by itself. */
  reconcile(): void {
    if (this.maintenance || !this.config || this.role !== "controlplane" || this.etcdData || this.etcdStopped) return;
    if (Date.now() - this.emptySince < (this.opts.etcdJoinMs ?? 0)) return;
    const c = this.network.etcdClusters.find((x) => this.network.hasQuorum(x));
    if (!c) return;
    c.members.push({ id: this.network.newMemberId(), node: this, learner: false });
    this.etcdData = true;
    this.etcdUpAt = Date.now() + (this.opts.etcdRejoinMs ?? 0);
  }

  private startEtcdCluster(): FakeEtcdCluster {
    const c: FakeEtcdCluster = {
      id: this.network.etcdClusters.length + 1,
      members: [{ id: this.network.newMemberId(), node: this, learner: false }],
    };
    this.network.etcdClusters.push(c);
    this.etcdData = true;
    this.etcdUpAt = 0;
    return c;
  }

  private md() {
    return { hostname: this.hostname, error: "" };
  }

  private async handle(method: string, req: any): Promise<any> {
    const metadata = this.md();
    const cp = this.role === "controlplane";
    const cpOnly = (api: string) => {
      if (this.maintenance || !this.config) throw err(grpc.status.UNIMPLEMENTED, `machine type is not set, cannot use ${api} API`);
      if (!cp) throw err(grpc.status.UNIMPLEMENTED, `${api} is only available on control plane nodes`);
    };
    const container = () => {
      if (this.platform === "container") throw err(grpc.status.FAILED_PRECONDITION, "method is not supported in container mode");
    };
    const etcdClient = (local: boolean) => {
      const c = local ? this.network.clusterOf(this) : (this.network.clusterOf(this) ?? this.network.etcdClusters[0]);
      if (!c || (local && !this.etcdRunning()))
        throw err(grpc.status.UNAVAILABLE, "etcd: dial tcp 127.0.0.1:2379: connect: connection refused");
      if (!this.network.hasQuorum(c)) throw err(grpc.status.UNAVAILABLE, "etcdserver: no leader");
      return c;
    };
    switch (method) {
      case "Version":
        return {
          messages: [
            {
              metadata,
              version: { tag: this.versionTag, sha: "fake", arch: "amd64", os: "linux" },
              platform: {
                name: this.platform,
                mode: this.platform === "container" ? "container" : this.platform === "metal" ? "metal" : "cloud",
              },
            },
          ],
        };
      case "ApplyConfiguration": {
        const data = Buffer.from(req.data ?? []).toString("utf8");
        if (!data.includes("version: v1alpha1")) throw err(grpc.status.INVALID_ARGUMENT, "config has no v1alpha1 document");
        let mode: string = req.mode;
        const m = this.minor;
        if (this.maintenance) {
          if (m < 13 && (mode === "NO_REBOOT" || mode === "STAGED"))
            throw err(
              grpc.status.UNIMPLEMENTED,
              `apply configuration --mode='${mode.toLowerCase().replace("_", "-")}' is not supported in maintenance mode`,
            );
          // ≤ 1.12: the maintenance server reports no mode (REBOOT, the proto default); 1.13+: NO_REBOOT.
          mode = m < 13 ? "REBOOT" : mode === "STAGED" ? "STAGED" : "NO_REBOOT";
        } else if (mode === "REBOOT" && m >= 14) {
          throw err(grpc.status.UNIMPLEMENTED, "the REBOOT mode is not supported, please use AUTO or NO_REBOOT modes instead");
        } else if (mode === "AUTO") {
          mode = m >= 14 ? "NO_REBOOT" : (this.opts.autoResolvesTo ?? "NO_REBOOT");
        } else if (mode === "NO_REBOOT" && m < 14 && this.opts.autoResolvesTo === "REBOOT") {
          // Talos < 1.14 (CanApplyImmediate): a change outside the live-apply whitelist is refused in NO_REBOOT mode.
          throw err(grpc.status.INVALID_ARGUMENT, "this config change can't be applied in immediate mode\ndiff:\n(fake)");
        }
        if (req.dryRun) return { messages: [{ metadata, mode, modeDetails: "dry run: no changes applied", warnings: [] }] };
        if (this.maintenance) {
          // The node takes the config and continues booting: on metal it installs and reboots into the installed system.
          this.config = data;
          this.maintenance = false;
          if (this.platform === "metal") this.reboot();
          setTimeout(() => this.rebind(), 25); // after the response has left
        } else if (mode === "STAGED") this.staged = data;
        else {
          this.config = data;
          this.staged = undefined; // a persisted config supersedes a staged one
          if (mode === "REBOOT") this.reboot();
        }
        return { messages: [{ metadata, mode, modeDetails: `applied in mode ${mode}`, warnings: [] }] };
      }
      case "Bootstrap":
        if (!this.config || this.maintenance) throw err(grpc.status.FAILED_PRECONDITION, "bootstrap is not available yet");
        cpOnly("bootstrap");
        if (this.etcdData) throw err(grpc.status.ALREADY_EXISTS, "etcd data directory is not empty");
        this.startEtcdCluster(); // a NEW cluster, whatever else exists on the network
        return { messages: [{ metadata }] };
      case "Reboot":
        container();
        this.reboot();
        return { messages: [{ metadata, actorId: "reboot-1" }] };
      case "Upgrade": {
        container();
        if (cp && !req.force && !req.preserve) {
          const c = this.network.clusterOf(this);
          if (c && c.members.length === 2)
            throw err(grpc.status.FAILED_PRECONDITION, "etcd member count(2) is insufficient to maintain quorum if upgrade commences");
          const bad = c?.members.find((x) => !x.node.etcdRunning());
          if (bad)
            throw err(
              grpc.status.FAILED_PRECONDITION,
              `etcd member ${bad.id} is not healthy; all members must be healthy to perform an upgrade`,
            );
        }
        this.upgrades.push(req.image);
        this.pendingVersion = tagOf(req.image) ?? this.versionTag;
        if (!req.stage) this.reboot();
        return { messages: [{ metadata, ack: "Upgrade request received", actorId: "upgrade-1" }] };
      }
      case "Reset":
        this.resets++;
        setImmediate(() => this.runReset(req));
        return { messages: [{ metadata, actorId: "reset-1" }] };
      case "ServiceList": {
        const svc = (id: string, healthy: boolean) => ({
          id,
          state: healthy ? "Running" : "Preparing",
          health: { unknown: false, healthy, lastMessage: "" },
        });
        const out = [svc("apid", true), svc("machined", true)];
        if (this.config && !this.maintenance) {
          if (cp) out.push(svc("etcd", this.etcdRunning()), svc("trustd", true));
          out.push(svc("kubelet", Date.now() >= this.kubeletReadyAt));
        }
        return { messages: [{ metadata, services: out }] };
      }
      case "EtcdMemberList": {
        cpOnly("member list");
        const c = etcdClient(req.queryLocal === true);
        return {
          messages: [
            {
              metadata,
              members: c.members.map((x) => ({
                id: x.id,
                hostname: x.node.hostname,
                peerUrls: [`https://${x.node.address}:2380`],
                clientUrls: [`https://${x.node.address}:2379`],
                isLearner: x.learner,
              })),
            },
          ],
        };
      }
      case "EtcdLeaveCluster": {
        cpOnly("etcd leave");
        this.leaveEtcd(etcdClient(false));
        return { messages: [{ metadata }] };
      }
      case "EtcdRemoveMemberByID": {
        cpOnly("etcd remove member");
        const c = etcdClient(false);
        const i = c.members.findIndex((x) => x.id === String(req.memberId));
        if (i < 0) throw err(grpc.status.NOT_FOUND, "etcdserver: member not found");
        if (c.members.length === 1) throw err(grpc.status.UNKNOWN, "etcdserver: re-configuration failed due to not enough started members");
        const [gone] = c.members.splice(i, 1);
        gone.node.etcdData = false;
        return { messages: [{ metadata }] };
      }
      case "EtcdForfeitLeadership": {
        cpOnly("etcd forfeit leadership");
        const c = etcdClient(false);
        if (c.members.length === 1) throw err(grpc.status.UNKNOWN, "cannot forfeit leadership, only one member");
        return { messages: [{ metadata, member: c.members.find((x) => x.node !== this)?.node.hostname ?? "" }] };
      }
      case "Kubeconfig":
        cpOnly("kubeconfig");
        return this.kubeconfigStream();
      case "ImageService.Pull":
        if (this.minor < 13) throw err(grpc.status.UNIMPLEMENTED, "unknown service machine.ImageService");
        this.pulled.push(req.imageRef);
        return [{ name: req.imageRef }];
      case "LifecycleService.Upgrade": {
        if (this.minor < 13) throw err(grpc.status.UNIMPLEMENTED, "unknown service machine.LifecycleService");
        container();
        const image = req.source?.imageName ?? "";
        if (!this.pulled.includes(image)) throw err(grpc.status.FAILED_PRECONDITION, `image "${image}" not found: pull it first`);
        this.pendingVersion = tagOf(image) ?? this.versionTag;
        return [{ progress: { message: `installing ${image}` } }, { progress: { exitCode: 0 } }];
      }
      case "State.Get":
        return this.getResource(req);
      default:
        throw err(grpc.status.UNIMPLEMENTED, `${method} is not implemented by the fake apid`);
    }
  }

  get platform(): "hcloud" | "metal" | "container" {
    return this.opts.containerMode ? "container" : (this.opts.platform ?? (this.opts.maintenance ? "metal" : "hcloud"));
  }

  private getResource(req: { namespace: string; type: string; id: string }): any {
    const res = (yamlSpec: string) => ({
      resource: { metadata: { namespace: req.namespace, type: req.type, id: req.id, version: "1", phase: "running" }, spec: { yamlSpec } },
    });
    if (req.namespace === "runtime" && req.type === "MachineStatuses.runtime.talos.dev" && req.id === "machine") {
      const stage = this.maintenance ? "maintenance" : "running";
      const unmet = this.maintenance ? [] : this.unmetConditions();
      return res(YAML.stringify({ stage, status: { ready: unmet.length === 0 && !this.maintenance, unmetConditions: unmet } }));
    }
    if (req.namespace === "config" && req.type === "MachineConfigs.config.talos.dev" && req.id === "v1alpha1") {
      if (!this.config) throw err(grpc.status.NOT_FOUND, `resource ${req.type} ${req.id} doesn't exist`);
      return res(YAML.stringify(this.config));
    }
    throw err(grpc.status.NOT_FOUND, `resource ${req.type} ${req.id} doesn't exist`);
  }

  private unmetConditions(): { name: string; reason: string }[] {
    const out: { name: string; reason: string }[] = [];
    if (this.role === "controlplane" && this.config && !this.etcdRunning() && this.etcdData)
      out.push({ name: "serviceStatus", reason: "etcd is not healthy" });
    if (Date.now() < this.kubeletReadyAt) out.push({ name: "serviceStatus", reason: "kubelet is not healthy" });
    return out;
  }

  private kubeconfigStream(): any[] {
    if (!this.config) throw err(grpc.status.FAILED_PRECONDITION, "machine has no config");
    const archive = tarGz("kubeconfig", this.opts.kubeconfig ?? "apiVersion: v1\nkind: Config\nclusters: []\n");
    // Stream in two chunks, as a real server may split the payload.
    const mid = Math.floor(archive.length / 2);
    return [
      { metadata: this.md(), bytes: archive.subarray(0, mid) },
      { metadata: this.md(), bytes: archive.subarray(mid) },
    ];
  }

  private leaveEtcd(c: FakeEtcdCluster): void {
    const i = c.members.findIndex((x) => x.node === this);
    if (i < 0) return; // not a member (any more): nothing to do, as etcd's MemberNotFound is success for LeaveCluster
    if (c.members.length === 1)
      throw err(grpc.status.UNKNOWN, "failed to leave cluster: etcdserver: re-configuration failed due to not enough started members");
    c.members.splice(i, 1);
    this.etcdData = false; // LeaveCluster stops etcd and empties its data directory
    this.emptySince = Date.now();
    this.etcdStopped = true;
    this.leftEtcd = true;
  }

  /** The reset sequence, after the API answered. */
  private runReset(req: any): void {
    const cp = this.role === "controlplane";
    if (req.graceful && cp) {
      const c = this.network.clusterOf(this);
      try {
        if (c) this.leaveEtcd(c);
      } catch {
        return; // the sequence fails; the node stays as it was
      }
    }
    const parts: string[] = (req.systemPartitionsToWipe ?? []).filter((p: any) => p.wipe).map((p: any) => p.label);
    if (parts.length === 0 && req.mode !== "USER_DISKS") {
      this.wiped = true; // the whole system disk: nothing to boot any more
      this.config = undefined;
      this.staged = undefined;
      this.detachEtcd();
      this.network.checkQuorum(
        this.network.etcdClusters.find((x) => x.members.some((m) => m.node === this)),
        `${this.hostname} wiped`,
      );
      return;
    }
    if (parts.includes("STATE")) {
      this.config = undefined;
      this.staged = undefined;
    }
    if (parts.includes("EPHEMERAL")) this.detachEtcd();
    if (req.reboot) this.reboot();
    else this.down = true; // halted
  }

  private detachEtcd(): void {
    // The data is gone; the member (if it did not leave) stays in the cluster, unreachable.
    this.etcdData = false;
    this.emptySince = Date.now();
    this.etcdUpAt = Number.POSITIVE_INFINITY;
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
    this.etcdUpAt = Number.POSITIVE_INFINITY;
    this.network.checkQuorum(this.network.clusterOf(this), `${this.hostname} rebooted while another member was down`);
    if (this.neverComesBack) {
      this.down = true;
      return;
    }
    this.downFor = this.opts.downCallsAfterReboot ?? 2;
    if (this.downFor === 0) this.cameUp();
  }

  /** The node is back: the installed version runs, a node without config is in maintenance mode (or takes the platform's). */
  private cameUp(): void {
    if (this.pendingVersion) {
      this.versionTag = this.pendingVersion;
      this.pendingVersion = undefined;
    }
    if (!this.config) {
      if (this.opts.platformConfig) this.config = this.opts.platformConfig;
      else this.maintenance = true;
    }
    const now = Date.now();
    if (!this.etcdData) this.emptySince = now;
    this.etcdStopped = false;
    this.etcdUpAt = this.etcdData ? now + (this.opts.etcdRejoinMs ?? 0) : 0;
    this.kubeletReadyAt = now + (this.opts.kubeletReadyMs ?? 0);
    setTimeout(() => this.rebind(), 25); // after the response has left
  }
}

function tagOf(image: string): string | undefined {
  return /:(v\d+\.\d+\.\d+[^@]*)/.exec(image)?.[1];
}

function toStatus(e: unknown): Partial<grpc.StatusObject> & Error {
  const c = e as CallError;
  return Object.assign(new Error(c.details ?? String(e)), {
    code: c.code ?? grpc.status.UNKNOWN,
    details: c.details ?? String(e),
    metadata: new grpc.Metadata(),
  });
}
