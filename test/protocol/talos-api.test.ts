// L3: the Talos API client against a fake apid over real Ed25519 mTLS (grpc-js on 127.0.0.1).
import { test, describe, before, after } from "node:test";
import * as assert from "node:assert/strict";
import { Code, TalosClient, type TalosClientOptions } from "../../sdk/clients/talos";
import { FakeApid, FakeNetwork, fakePkiFromOsCa, talosconfigFor } from "../fakes/apid";
import { deriveAdminCredentials, generateClusterIdentity } from "../../sdk/pki";

const fastRetry = { initialDelayMs: 10, maxDelayMs: 50, deadlineMs: 5_000 };

describe("Talos API client over mTLS against a fake apid", () => {
  let apid: FakeApid;
  const clients: TalosClient[] = [];
  const client = (o: Partial<TalosClientOptions> = {}) => {
    const c = new TalosClient({ talosconfig: talosconfigFor(apid.pki, apid.endpoint), retry: fastRetry, timeoutMs: 5_000, ...o });
    clients.push(c);
    return c;
  };

  before(async () => {
    apid = await FakeApid.start({ kubeconfig: "apiVersion: v1\nkind: Config\ncurrent-context: admin@dev\n" });
  });
  after(async () => {
    for (const c of clients) c.close();
    await apid.stop();
  });

  test("Version with the talosconfig (Talos key label, base64 PEM) as os:admin", async () => {
    const v = await client().version();
    assert.equal(v.tag, "v1.12.0");
    assert.equal(v.hostname, "talos-cp-1");
    assert.deepEqual(v.platform, { name: "hcloud", mode: "cloud" });
    const call = apid.callsOf("Version").at(-1)!;
    assert.equal(call.peerOrg, "os:admin");
    assert.equal(call.metadata.node, undefined, "no node metadata unless asked");
  });

  test("node routing metadata: per client and per call, proxied as apid does (impersonator, forwarded roles, proxyfrom)", async () => {
    // A second node on the same network, reachable only through the first node's apid (a firewall in front of it).
    const worker = await FakeApid.start({
      pki: apid.pki,
      network: apid.network,
      hostname: "talos-w-1",
      address: "10.5.0.3",
      privateOnly: true,
    });
    try {
      const v = await client({ node: "10.5.0.3" }).version();
      assert.equal(v.hostname, "talos-w-1", "answered by the routed node");
      assert.deepEqual(apid.callsOf("Version").at(-1)!.metadata.node, ["10.5.0.3"]);
      const seen = worker.callsOf("Version").at(-1)!;
      assert.equal(seen.proxied, true);
      assert.equal(seen.peerOrg, "os:impersonator", "the proxy authenticates with its own impersonator certificate");
      assert.deepEqual(seen.roles, ["os:admin"], "and forwards the caller's roles");
      assert.equal(seen.metadata.node, undefined, "routing metadata is not forwarded");
      assert.equal((await client().version({ node: "10.5.0.3" })).hostname, "talos-w-1");
      // The private node refuses a direct connection.
      await assert.rejects(
        new TalosClient({
          talosconfig: talosconfigFor(apid.pki, worker.endpoint),
          retry: { ...fastRetry, maxAttempts: 1 },
          strictServerName: false,
        }).version(),
        (e: any) => e.code === Code.UNAVAILABLE,
      );
      // A routed call to an address nobody answers: Unavailable from the proxy, naming the node.
      await assert.rejects(client({ node: "10.5.0.9", retry: { ...fastRetry, maxAttempts: 1 } }).version(), (e: any) => {
        assert.equal(e.code, Code.UNAVAILABLE);
        assert.match(e.message, /\(node 10\.5\.0\.9\).*dial tcp 10\.5\.0\.9:50000/);
        return true;
      });
      // A reader may read through the proxy but not change anything: the forwarded role is enforced on the target.
      const reader = client({ talosconfig: talosconfigFor(apid.pki, apid.endpoint, apid.pki.reader), node: "10.5.0.3" });
      assert.equal((await reader.version()).hostname, "talos-w-1");
      await assert.rejects(
        reader.applyConfiguration({ data: "version: v1alpha1\n", mode: "NO_REBOOT" }),
        (e: any) => e.code === Code.PERMISSION_DENIED,
      );
    } finally {
      await worker.stop();
    }
  });

  test("ApplyConfiguration in each mode, and dry run", async () => {
    const c = client();
    const cfg = (n: number) => `version: v1alpha1\nmachine:\n  type: controlplane\n  n: ${n}\n`;

    const auto = await c.applyConfiguration({ data: cfg(1), mode: "AUTO" });
    assert.equal(auto.mode, "NO_REBOOT", "AUTO resolves to the mode the node chose");
    assert.equal(apid.config, cfg(1));

    const dry = await c.applyConfiguration({ data: cfg(9), mode: "AUTO", dryRun: true });
    assert.equal(dry.mode, "NO_REBOOT");
    assert.equal(apid.config, cfg(1), "dry run changes nothing");
    assert.equal(apid.callsOf("ApplyConfiguration").at(-1)!.request.dryRun, true);

    const live = await c.applyConfiguration({ data: cfg(2), mode: "NO_REBOOT" });
    assert.equal(live.mode, "NO_REBOOT");
    assert.equal(apid.config, cfg(2));

    const staged = await c.applyConfiguration({ data: cfg(3), mode: "STAGED" });
    assert.equal(staged.mode, "STAGED");
    assert.equal(apid.config, cfg(2), "staged config is not active yet");
    assert.equal(apid.staged, cfg(3));

    const tried = await c.applyConfiguration({ data: cfg(4), mode: "TRY", tryModeTimeoutSeconds: 90 });
    assert.equal(tried.mode, "TRY");
    const tryReq = apid.callsOf("ApplyConfiguration").at(-1)!.request;
    assert.equal(tryReq.mode, "TRY");
    assert.equal(String(tryReq.tryModeTimeout.seconds), "90");

    const reboots = apid.reboots;
    const reboot = await c.applyConfiguration({ data: cfg(5), mode: "REBOOT" });
    assert.equal(reboot.mode, "REBOOT");
    assert.equal(apid.reboots, reboots + 1);
    // The node is "down" for two calls after a reboot; the client's retries ride through it.
    const v = await c.version();
    assert.equal(v.tag, "v1.12.0");
    assert.equal(apid.config, cfg(5));
  });

  test("InvalidArgument is not retried", async () => {
    const before = apid.callsOf("ApplyConfiguration").length;
    await assert.rejects(client().applyConfiguration({ data: "machine: {}\n", mode: "AUTO" }), (e: any) => {
      assert.equal(e.code, Code.INVALID_ARGUMENT);
      assert.match(e.message, /ApplyConfiguration on 127\.0\.0\.1:\d+ failed: INVALID_ARGUMENT/);
      return true;
    });
    assert.equal(apid.callsOf("ApplyConfiguration").length, before + 1);
  });

  test("retries on Unavailable, then succeeds; gives up after the attempt budget", async () => {
    apid.failNext("Version", Code.UNAVAILABLE, "apid is starting", 3);
    const before = apid.callsOf("Version").length;
    const retried: number[] = [];
    await client({ retry: { ...fastRetry, onRetry: (_e, n) => retried.push(n) } }).version();
    assert.equal(apid.callsOf("Version").length, before + 4);
    assert.deepEqual(retried, [1, 2, 3]);

    apid.failNext("Version", Code.UNAVAILABLE, "still down", 10);
    await assert.rejects(
      client({ retry: { ...fastRetry, maxAttempts: 2 } }).version(),
      (e: any) => e.code === Code.UNAVAILABLE && /still down/.test(e.message),
    );
  });

  test("Bootstrap: fresh, then AlreadyExists keeps its code", async () => {
    const f = await FakeApid.start({ pki: apid.pki, initialConfig: "version: v1alpha1\n" });
    const fc = new TalosClient({ talosconfig: talosconfigFor(f.pki, f.endpoint), retry: fastRetry });
    try {
      await fc.bootstrap();
      assert.equal(f.bootstrapped, true);
      await assert.rejects(
        fc.bootstrap(),
        (e: any) => e.code === Code.ALREADY_EXISTS && /etcd data directory is not empty/.test(e.message),
      );
      assert.equal(f.callsOf("Bootstrap").length, 2);
      assert.equal(f.callsOf("Bootstrap")[0].request.recoverEtcd, false);
    } finally {
      fc.close();
      await f.stop();
    }
  });

  test("Kubeconfig: the streamed tar.gz is collected and unpacked; a stream error is retried when Unavailable", async () => {
    const kc = await client().kubeconfig();
    assert.equal(kc, "apiVersion: v1\nkind: Config\ncurrent-context: admin@dev\n");
    apid.failNext("Kubeconfig", Code.UNAVAILABLE, "apiserver not up", 2);
    const before = apid.callsOf("Kubeconfig").length;
    assert.equal(await client().kubeconfig(), kc);
    assert.equal(apid.callsOf("Kubeconfig").length, before + 3);
    apid.failNext("Kubeconfig", Code.PERMISSION_DENIED, "not allowed", 1);
    await assert.rejects(
      client().kubeconfig(),
      (e: any) => e.code === Code.PERMISSION_DENIED && /Kubeconfig on .* PERMISSION_DENIED: not allowed/.test(e.message),
    );
  });

  test("EtcdMemberList, ForfeitLeadership, LeaveCluster, Reboot, Upgrade, Reset", async () => {
    const c = client();
    apid.bootstrapped = true;
    // A second control plane on the network joins the cluster by itself (it has a config and empty etcd data).
    const cp2 = await FakeApid.start({
      pki: apid.pki,
      network: apid.network,
      hostname: "talos-cp-2",
      address: "10.5.0.3",
      initialConfig: "version: v1alpha1\nmachine:\n  type: controlplane\n",
    });
    try {
      await c.version({ node: "10.5.0.3" });
      const members = await c.etcdMemberList();
      assert.deepEqual(
        members.map((m) => [m.hostname, m.isLearner]),
        [
          ["talos-cp-1", false],
          ["talos-cp-2", false],
        ],
      );
      assert.match(members[0].id, /^\d+$/);
      assert.deepEqual(members[0].peerUrls, ["https://10.5.0.2:2380"]);
      assert.equal((await c.etcdForfeitLeadership()).member, "talos-cp-2");
      await c.etcdLeaveCluster({ node: "10.5.0.3" });
      assert.deepEqual(
        (await c.etcdMemberList()).map((m) => m.hostname),
        ["talos-cp-1"],
      );
      // The last member cannot leave (etcd: not enough started members).
      await assert.rejects(c.etcdLeaveCluster(), /not enough started members/);
      await c.reset({ graceful: false, reboot: true, partitions: ["STATE", "EPHEMERAL"] }, { node: "10.5.0.3" });
      assert.equal(cp2.resets, 1);
      assert.deepEqual(cp2.callsOf("Reset")[0].request.systemPartitionsToWipe, [
        { label: "STATE", wipe: true },
        { label: "EPHEMERAL", wipe: true },
      ]);
    } finally {
      await cp2.stop();
    }
    const reboots = apid.reboots;
    await c.reboot();
    assert.equal(apid.reboots, reboots + 1);
    await c.version(); // rides through the simulated downtime
    assert.equal((await c.upgrade({ image: "factory.talos.dev/installer/abc:v1.12.1" })).ack, "Upgrade request received");
    assert.deepEqual(apid.upgrades, ["factory.talos.dev/installer/abc:v1.12.1"]);
    assert.equal(apid.callsOf("Upgrade")[0].request.preserve, false, "never preserve by default: Talos then checks etcd first");
    await c.version();
    assert.equal((await c.version()).tag, "v1.12.1", "the upgraded version boots");
  });

  test("a per-node error reported in the response metadata (one-to-many proxying) becomes an error", async () => {
    apid.proxyErrorNext("EtcdMemberList", "rpc error: etcd is not running on 10.5.0.3", Code.FAILED_PRECONDITION);
    await assert.rejects(client().etcdMemberList({}), (e: any) => {
      assert.equal(e.code, Code.FAILED_PRECONDITION);
      assert.match(e.message, /EtcdMemberList on 127\.0\.0\.1:\d+ \[\] failed: FAILED_PRECONDITION: .*etcd is not running/);
      return true;
    });
  });

  test("server name: strict by default (the certificate must name the dialled host); relaxed keeps the chain check", async () => {
    const warnings: Error[] = [];
    const onWarning = (w: Error) => warnings.push(w);
    process.on("warning", onWarning);
    // apid's certificate names the node's address and hostname but not 127.0.0.1 (no machine.certSANs entry).
    const unnamed = await FakeApid.start({ pki: apid.pki, network: new FakeNetwork(), serverSans: [{ type: "ip", value: "10.5.0.2" }] });
    try {
      await client().version(); // the default fake names 127.0.0.1
      const cfg = talosconfigFor(unnamed.pki, unnamed.endpoint);
      await assert.rejects(
        client({ talosconfig: cfg, retry: { ...fastRetry, maxAttempts: 1 } }).version(),
        (e: any) => e.code === Code.UNAVAILABLE,
      );
      assert.equal((await client({ talosconfig: cfg, strictServerName: false }).version()).tag, "v1.12.0");
      assert.equal((await client({ talosconfig: cfg, serverName: "10.5.0.2" }).version()).tag, "v1.12.0", "an explicit name");
      // An IP endpoint is never sent as the TLS server name (RFC 6066 forbids it; Node warns DEP0123): the
      // strict check compares the certificate with the dialled address instead.
      await new Promise((r) => setImmediate(r));
      assert.deepEqual(
        warnings.filter((w) => (w as NodeJS.ErrnoException).code === "DEP0123").map((w) => w.message),
        [],
      );
    } finally {
      process.off("warning", onWarning);
      await unnamed.stop();
    }
  });

  test("a missing, foreign or wrong-EKU client certificate is rejected", async () => {
    const noRetry = { ...fastRetry, maxAttempts: 1 };
    // No client certificate at all (TLS without a cert, server still verified against nothing).
    await assert.rejects(
      client({ insecure: true, talosconfig: undefined, endpoint: apid.endpoint, retry: noRetry }).version(),
      (e: any) => e.code === Code.UNAVAILABLE,
    );
    // A client certificate from a foreign CA.
    await assert.rejects(
      client({ talosconfig: talosconfigFor(apid.pki, apid.endpoint, apid.pki.foreign), retry: noRetry }).version(),
      (e: any) => e.code === Code.UNAVAILABLE,
    );
    // The right CA but EKU serverAuth+clientAuth (apid requires exactly clientAuth).
    await assert.rejects(
      client({ talosconfig: talosconfigFor(apid.pki, apid.endpoint, apid.pki.wrongEku), retry: noRetry }).version(),
      (e: any) => e.code === Code.PERMISSION_DENIED,
    );
    // A different server CA pinned by the client: the server chain does not verify.
    const wrongCa = talosconfigFor({ ...apid.pki, ca: { cert: apid.pki.foreign.cert, key: "" } }, apid.endpoint);
    await assert.rejects(client({ talosconfig: wrongCa, retry: noRetry }).version(), (e: any) => e.code === Code.UNAVAILABLE);
  });
});

describe("maintenance mode (insecure, no client certificate)", () => {
  test("up to Talos 1.12 the maintenance API takes AUTO only (reported as REBOOT); NO_REBOOT and STAGED are Unimplemented", async () => {
    const apid = await FakeApid.start({ maintenance: true, versionTag: "v1.12.7" });
    const c = new TalosClient({ endpoint: apid.endpoint, insecure: true, retry: fastRetry });
    try {
      const v = await c.version();
      assert.equal(v.platform.name, "metal");
      await assert.rejects(
        c.applyConfiguration({ data: "version: v1alpha1\n", mode: "NO_REBOOT" }),
        (e: any) => e.code === Code.UNIMPLEMENTED,
      );
      await assert.rejects(
        c.applyConfiguration({ data: "version: v1alpha1\n", mode: "STAGED" }),
        (e: any) => e.code === Code.UNIMPLEMENTED,
      );
      const r = await c.applyConfiguration({ data: "version: v1alpha1\n", mode: "AUTO" });
      assert.equal(r.mode, "REBOOT");
      assert.equal(apid.config, "version: v1alpha1\n");
      assert.equal(apid.callsOf("ApplyConfiguration").at(-1)!.peerOrg, undefined, "no client certificate was presented");
    } finally {
      c.close();
      await apid.stop();
    }
  });

  test("Talos 1.13+ serves maintenance mode from the regular API: AUTO resolves to NO_REBOOT; then only mTLS answers", async () => {
    // siderolabs/talos v1.13.x internal/app/machined/internal/server/v1alpha1/v1alpha1_server.go (unified maintenance API).
    const apid = await FakeApid.start({ maintenance: true, versionTag: "v1.13.9", platform: "hcloud" });
    const c = new TalosClient({ endpoint: apid.endpoint, insecure: true, retry: { ...fastRetry, maxAttempts: 1 } });
    try {
      const r = await c.applyConfiguration({ data: "version: v1alpha1\n", mode: "AUTO" });
      assert.equal(r.mode, "NO_REBOOT");
      await new Promise((res) => setTimeout(res, 100));
      await apid.settled();
      await assert.rejects(c.version(), (e: any) => e.code === Code.UNAVAILABLE, "no client certificate: refused once configured");
      const m = new TalosClient({ talosconfig: talosconfigFor(apid.pki, apid.endpoint), retry: fastRetry });
      assert.equal((await m.version()).tag, "v1.13.9");
      m.close();
    } finally {
      c.close();
      await apid.stop();
    }
  });
});

describe("with the talosconfig sdk/pki derives from the cluster identity", () => {
  test("Version and Apply succeed as os:admin; a talosconfig from another cluster is refused", async () => {
    const identity = await generateClusterIdentity("Talos");
    assert.equal(identity.distribution, "Talos");
    if (identity.distribution !== "Talos") return;
    const apid = await FakeApid.start({ pki: await fakePkiFromOsCa(identity.talos.certs.os) });
    const derive = async (id: Awaited<ReturnType<typeof generateClusterIdentity>>) =>
      (
        await deriveAdminCredentials(id, {
          clusterName: "dev",
          endpoints: { kubernetes: "https://10.5.0.2:6443", talos: [apid.endpoint], talosNodes: ["10.5.0.2"] },
        })
      ).talosconfig!;
    const talosconfig = await derive(identity);
    assert.match(Buffer.from(/key: (\S+)/.exec(talosconfig)![1], "base64").toString(), /BEGIN ED25519 PRIVATE KEY/);
    const c = new TalosClient({ talosconfig, retry: fastRetry });
    const other = await generateClusterIdentity("Talos");
    const foreign = new TalosClient({ talosconfig: await derive(other), retry: { ...fastRetry, maxAttempts: 1 } });
    try {
      assert.equal(c.endpoint, apid.endpoint, "endpoint taken from the talosconfig");
      assert.equal((await c.version()).tag, "v1.12.0");
      assert.equal((await c.applyConfiguration({ data: "version: v1alpha1\n", mode: "AUTO" })).mode, "NO_REBOOT");
      assert.ok(apid.calls.every((x) => x.peerOrg === "os:admin"));
      await assert.rejects(foreign.version(), (e: any) => e.code === Code.UNAVAILABLE);
    } finally {
      c.close();
      foreign.close();
      await apid.stop();
    }
  });
});
