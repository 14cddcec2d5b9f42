// L3: the Omni client against a fake Omni over real TLS/gRPC on 127.0.0.1 — COSI state as Omni's template
// sync uses it (cosi-project/runtime pkg/state/protobuf/client, siderolabs/omni client/pkg/template), the
// service-account kubeconfig, and request signing as go-api-signature (pkg/message) and Omni's signature
// interceptor (internal/pkg/auth/interceptor/signature.go) verify it: rejected keys, tampered payloads,
// skewed clocks.
import { test, describe, before, after } from "node:test";
import * as assert from "node:assert/strict";
import * as tls from "node:tls";
import * as grpc from "@grpc/grpc-js";
import * as YAML from "yaml";
import {
  Code,
  Label,
  OmniClient,
  ResourceType,
  controlPlanesId,
  decodeResource,
  decodeServiceAccountKey,
  encodeSpec,
  newMetadata,
  signCall,
  workersId,
  type OmniClientOptions,
  type RawResource,
} from "../../sdk/clients/omni";
import { stateServiceClient } from "../../sdk/clients/omni/proto";
import { FakeOmni, makeServiceAccountKey, type FakeServiceAccount } from "../fakes/omni";

const fastRetry = { initialDelayMs: 10, maxDelayMs: 40, deadlineMs: 3_000 };

const MACHINES = [
  { id: "m-cp-1", labels: { pool: "cp" } },
  { id: "m-w-1", labels: { pool: "w" } },
  { id: "m-w-2", labels: { pool: "w" } },
  { id: "m-w-3", labels: { pool: "w" } },
  { id: "m-new", labels: { pool: "w" }, talosVersion: "v1.13.0" },
];

function cluster(name: string, talos = "1.12.0", k8s = "1.34.1"): RawResource {
  return {
    metadata: newMetadata(ResourceType.Cluster, name, { annotations: { "omni.sidero.dev/managed-by-cluster-templates": "" } }),
    spec: encodeSpec(ResourceType.Cluster, { talosVersion: talos, kubernetesVersion: k8s, features: {} }),
  };
}

function machineSet(clusterName: string, role: "cp" | "w", alloc?: { name: string; count: number }): RawResource {
  const id = role === "cp" ? controlPlanesId(clusterName) : workersId(clusterName);
  const roleLabel = role === "cp" ? Label.controlPlaneRole : Label.workerRole;
  return {
    metadata: newMetadata(ResourceType.MachineSet, id, { labels: { [Label.cluster]: clusterName, [roleLabel]: "" } }),
    spec: encodeSpec(ResourceType.MachineSet, {
      updateStrategy: "Rolling",
      ...(alloc ? { machineAllocation: { name: alloc.name, machineCount: alloc.count, allocationType: "Static" } } : {}),
    }),
  };
}

function node(clusterName: string, role: "cp" | "w", machine: string): RawResource {
  const roleLabel = role === "cp" ? Label.controlPlaneRole : Label.workerRole;
  return {
    metadata: newMetadata(ResourceType.MachineSetNode, machine, {
      labels: {
        [Label.cluster]: clusterName,
        [Label.machineSet]: role === "cp" ? controlPlanesId(clusterName) : workersId(clusterName),
        [roleLabel]: "",
      },
    }),
    spec: encodeSpec(ResourceType.MachineSetNode, {}),
  };
}

function patch(id: string, data: string, labels: Record<string, string>): RawResource {
  return {
    metadata: newMetadata(ResourceType.ConfigPatch, id, { labels, annotations: { name: id } }),
    spec: encodeSpec(ResourceType.ConfigPatch, { data }),
  };
}

const statusOf = (r: RawResource | undefined) => (r ? decodeResource<any>(r).spec : undefined);

describe("Omni client over TLS against a fake Omni", () => {
  let omni: FakeOmni;
  let operator: FakeServiceAccount;
  const clients: OmniClient[] = [];
  const client = (o: Partial<OmniClientOptions> = {}) => {
    const c = new OmniClient({
      endpoint: omni.endpoint,
      caPem: omni.caPem,
      serviceAccountKey: operator.key,
      retry: fastRetry,
      timeoutMs: 5_000,
      ...o,
    });
    clients.push(c);
    return c;
  };

  before(async () => {
    omni = await FakeOmni.start({ machines: MACHINES, machineClasses: [{ name: "workers", matchLabels: ["pool = w"] }] });
    operator = await omni.addServiceAccount("ksail@serviceaccount.omni.sidero.dev", "Operator");
  });
  after(async () => {
    for (const c of clients) c.close();
    await omni.stop();
  });

  test("a template's resources: create in canonical order, ClusterStatus turns ready, kubeconfig as a service account", async () => {
    const c = client();
    const created = await c.create(cluster("dev"));
    assert.equal(created.metadata.version, "1", "COSI stores the first version as 1");
    await c.create(patch("200-cluster-dev-cni", "cluster:\n  network:\n    cni:\n      name: none\n", { [Label.cluster]: "dev" }));
    await c.create(machineSet("dev", "cp"));
    await c.create(machineSet("dev", "w"));
    await c.create(node("dev", "cp", "m-cp-1"));
    await c.create(node("dev", "w", "m-w-1"));

    const ready = await c.waitFor(ResourceType.ClusterStatus, "dev", (r) => statusOf(r)?.ready === true, { timeoutMs: 5_000 });
    const st = statusOf(ready);
    assert.equal(st.phase, "RUNNING");
    assert.deepEqual({ total: st.machines.total, requested: st.machines.requested }, { total: 2, requested: 2 });
    assert.equal(omni.resource(ResourceType.MachineStatus, "m-cp-1")!.spec.cluster, "dev", "the machine was taken from the pool");
    assert.ok(!(Label.available in omni.resource(ResourceType.MachineStatus, "m-w-1")!.meta.labels));

    const kc = YAML.parse(await c.kubeconfig("dev", { ttlSeconds: 30 * 86400, user: "ksail", groups: ["system:masters"] }));
    assert.equal(kc["current-context"], "fake-dev-ksail", "context <account>-<cluster>-<user>, as Omni's buildServiceAccountKubeconfig");
    assert.match(kc.users[0].user.token, /^fake\./);
    const call = omni.callsOf("Kubeconfig").at(-1)!;
    assert.deepEqual(call.metadata.context, ["dev"], "the cluster travels in the signed context header");
    assert.equal(call.request.serviceAccountUser, "ksail");
    assert.deepEqual(call.request.serviceAccountGroups, ["system:masters"]);
    assert.equal(String(call.request.serviceAccountTtl.seconds), String(30 * 86400));
  });

  test("List with a label query; Get of an absent resource is undefined", async () => {
    const c = client();
    const nodes = await c.list(ResourceType.MachineSetNode, { labels: { [Label.cluster]: "dev" } });
    assert.deepEqual(nodes.map((n) => n.metadata.id).sort(), ["m-cp-1", "m-w-1"]);
    const free = await c.list(ResourceType.MachineStatus, { labels: { [Label.available]: true } });
    assert.ok(free.every((m) => !["m-cp-1", "m-w-1"].includes(m.metadata.id)));
    assert.equal(await c.get(ResourceType.Cluster, "nope"), undefined);
  });

  test("Update needs the stored version: controllers moved it after create (finalizers), so a stale write is a conflict", async () => {
    const c = client();
    const stale = cluster("dev", "1.12.0", "1.35.0"); // version "undefined"
    await assert.rejects(c.update(stale), (e: any) => e.code === Code.FAILED_PRECONDITION && /update conflict/.test(e.message));
    const cur = (await c.get(ResourceType.Cluster, "dev"))!;
    assert.ok(Number(cur.metadata.version) > 1, "the ClusterController's finalizer bumped the version");
    assert.deepEqual(cur.metadata.finalizers, ["ClusterController"]);
    const upd = await c.update({
      ...cur,
      spec: encodeSpec(ResourceType.Cluster, { talosVersion: "1.12.0", kubernetesVersion: "1.35.0", features: {} }),
    });
    assert.equal(Number(upd.metadata.version), Number(cur.metadata.version) + 1);
    assert.equal(omni.resource(ResourceType.Cluster, "dev")!.spec.kubernetesVersion, "1.35.0");
  });

  test("Omni's validations come back as InvalidArgument 'failed to validate: …'", async () => {
    const c = client();
    await assert.rejects(
      c.create(cluster("bad", "1.99.0")),
      (e: any) => e.code === Code.INVALID_ARGUMENT && /invalid talos version "1.99.0"/.test(e.message),
    );
    await assert.rejects(c.create(cluster("bad", "1.12.0", "1.30.0")), /is not compatible with talos version/);
    await assert.rejects(c.create(cluster("old", "1.9.5", "1.32.3")), /no longer supported/);
    const cur = (await c.get(ResourceType.Cluster, "dev"))!;
    await assert.rejects(
      c.update({ ...cur, spec: encodeSpec(ResourceType.Cluster, { talosVersion: "1.11.6", kubernetesVersion: "1.34.1", features: {} }) }),
      /downgrading from version "1.12.0" to "1.11.6" is not supported/,
    );
    await assert.rejects(
      c.create(patch("200-cluster-dev-bad", "machine:\n  install:\n    disk: /dev/sda\n", { [Label.cluster]: "dev" })),
      /overriding "machine.install.disk" is not allowed/,
    );
    await assert.rejects(
      c.create(patch("200-cluster-dev-bad", "machine: [\n", { [Label.cluster]: "dev" })),
      (e: any) => e.code === Code.INVALID_ARGUMENT,
    );
    await assert.rejects(c.create(machineSet("ghost", "w")), /the cluster "ghost" does not exist/);
  });

  test("MachineSetNodes: a machine is in one set at a time; a class-allocated set takes no manual nodes; no newer Talos than the cluster", async () => {
    const c = client();
    await c.create(cluster("other"));
    await c.create(machineSet("other", "cp"));
    await assert.rejects(
      c.create(node("other", "cp", "m-w-1")),
      (e: any) => e.code === Code.ALREADY_EXISTS,
      "m-w-1 already belongs to dev",
    );
    await assert.rejects(c.create(node("other", "cp", "m-new")), /newer than the cluster's/);
    await c.create(machineSet("other", "w", { name: "workers", count: 1 }));
    await assert.rejects(c.create(node("other", "w", "m-w-3")), /automated machine allocation/);
  });

  test("MachineClass allocation: Omni creates the nodes from available matching machines; scaling the count re-allocates", async () => {
    const c = client();
    await c.waitFor(
      ResourceType.ClusterStatus,
      "other",
      () => omni.resources(ResourceType.MachineSetNode).some((n) => n.meta.labels[Label.machineSet] === workersId("other")),
      {
        timeoutMs: 5_000,
      },
    );
    const auto = omni.resources(ResourceType.MachineSetNode).filter((n) => n.meta.labels[Label.machineSet] === workersId("other"));
    assert.equal(auto.length, 1);
    assert.ok(Label.managedByMachineSetNodeController in auto[0].meta.labels);
    assert.ok(["m-w-2", "m-w-3"].includes(auto[0].meta.id), "only machines matching 'pool = w' and still available");
    // the cluster has no control plane machine: it never gets ready
    assert.equal(statusOf(await c.get(ResourceType.ClusterStatus, "other")).ready, false);

    const ms = (await c.get(ResourceType.MachineSet, workersId("other")))!;
    await c.update({
      ...ms,
      spec: encodeSpec(ResourceType.MachineSet, {
        updateStrategy: "Rolling",
        machineAllocation: { name: "workers", machineCount: 2, allocationType: "Static" },
      }),
    });
    await c.waitFor(ResourceType.ClusterStatus, "other", (r) => statusOf(r)?.machines.total === 2, { timeoutMs: 5_000 });
  });

  test("teardown: TeardownAndDestroy of the Cluster cascades to machine sets and nodes, releases machines, removes patches", async () => {
    const c = client();
    await c.teardownAndDestroy(ResourceType.Cluster, "other", { timeoutMs: 5_000 });
    assert.equal(await c.get(ResourceType.Cluster, "other"), undefined);
    assert.equal(omni.resources(ResourceType.MachineSet).filter((s) => s.meta.labels[Label.cluster] === "other").length, 0);
    await c.waitFor(ResourceType.MachineStatus, "m-w-3", (r) => r !== undefined && Label.available in r.metadata.labels, {
      timeoutMs: 5_000,
    });
    // already gone counts as done
    await c.teardownAndDestroy(ResourceType.Cluster, "other");
    // Destroy with finalizers pending is refused
    await assert.rejects(
      c.destroy(ResourceType.Cluster, "dev"),
      (e: any) => e.code === Code.FAILED_PRECONDITION && /pending finalizers/.test(e.message),
    );
  });

  test("older Omni without the Teardown RPCs: COSI's fallback (Update to tearingDown, watch finalizers, Destroy)", async () => {
    const old = await FakeOmni.start({ machines: [{ id: "m1" }], controllerDelayMs: 5, teardownRpc: false });
    const sa = await old.addServiceAccount("ci@serviceaccount.omni.sidero.dev");
    const c = new OmniClient({ endpoint: old.endpoint, caPem: old.caPem, serviceAccountKey: sa.key, retry: fastRetry });
    try {
      await c.create(cluster("x"));
      await c.create(machineSet("x", "cp"));
      await c.create(node("x", "cp", "m1"));
      await c.waitFor(ResourceType.ClusterStatus, "x", (r) => statusOf(r)?.ready === true, { timeoutMs: 5_000 });
      await c.teardownAndDestroy(ResourceType.Cluster, "x", { timeoutMs: 5_000 });
      assert.equal(old.callsOf("TeardownAndDestroy")[0].code, Code.UNIMPLEMENTED);
      assert.ok(
        old
          .callsOf("Update")
          .some((u) => u.request.newResource.metadata.phase === "tearingDown" && u.request.options.expectedPhase === "running"),
      );
      assert.equal(old.callsOf("Destroy").at(-1)!.code, 0);
      assert.equal(await c.get(ResourceType.Cluster, "x"), undefined);
      assert.equal(old.callsOf("TeardownAndDestroy").length, 1, "Unimplemented is remembered");
    } finally {
      c.close();
      await old.stop();
    }
  });

  test("kubeconfig rules: the cluster must exist; the TTL is bounded", async () => {
    const c = client();
    await assert.rejects(c.kubeconfig("ghost", { ttlSeconds: 60, user: "ksail", groups: [] }), /failed to get cluster UUID/);
    await assert.rejects(c.kubeconfig("dev", { ttlSeconds: 11 * 365 * 86400, user: "ksail", groups: [] }), /ttl is too long/);
    await assert.rejects(c.kubeconfig("dev", { ttlSeconds: 60, user: "", groups: [] }), /user name is not set/);
  });
});

describe("Omni request signing as Omni verifies it", () => {
  let omni: FakeOmni;
  let operator: FakeServiceAccount;
  const get = (c: OmniClient) => c.get(ResourceType.TalosVersion, "1.12.0");
  const mk = (o: Partial<OmniClientOptions> = {}) =>
    new OmniClient({
      endpoint: omni.endpoint,
      caPem: omni.caPem,
      serviceAccountKey: operator.key,
      retry: { ...fastRetry, maxAttempts: 1 },
      ...o,
    });
  const withClient = async (o: Partial<OmniClientOptions>, fn: (c: OmniClient) => Promise<void>) => {
    const c = mk(o);
    try {
      await fn(c);
    } finally {
      c.close();
    }
  };

  before(async () => {
    omni = await FakeOmni.start({});
    operator = await omni.addServiceAccount("ksail@serviceaccount.omni.sidero.dev", "Operator");
  });
  after(() => omni.stop());

  test("a registered key is accepted and its identity recorded", async () => {
    await withClient({}, async (c) => assert.ok(await get(c)));
    assert.equal(omni.callsOf("Get").at(-1)!.identity, "ksail@serviceaccount.omni.sidero.dev");
  });

  test("an unknown service account (its key is not registered) is Unauthenticated, with a hint that names the fix", async () => {
    const stranger = await makeServiceAccountKey("stranger@serviceaccount.omni.sidero.dev");
    await withClient({ serviceAccountKey: stranger.key }, async (c) =>
      assert.rejects(
        get(c),
        (e: any) => e.code === Code.UNAUTHENTICATED && /invalid signature/.test(e.message) && /clock is within 5 minutes/.test(e.message),
      ),
    );
  });

  test("a revoked key stops working", async () => {
    const sa = await omni.addServiceAccount("short@serviceaccount.omni.sidero.dev");
    await withClient({ serviceAccountKey: sa.key }, async (c) => {
      assert.ok(await get(c));
      omni.revoke(sa.fingerprint);
      await assert.rejects(get(c), (e: any) => e.code === Code.UNAUTHENTICATED);
    });
  });

  test("skewed clocks: 4 minutes either way is accepted, 6 minutes is rejected (±5 min, go-api-signature timestampAllowedSkew)", async () => {
    for (const [skewMin, ok] of [
      [4, true],
      [-4, true],
      [6, false],
      [-6, false],
    ] as const) {
      await withClient({ clock: () => Date.now() + skewMin * 60_000 }, async (c) => {
        if (ok) assert.ok(await get(c), `client clock ${skewMin} min`);
        else await assert.rejects(get(c), (e: any) => e.code === Code.UNAUTHENTICATED, `client clock ${skewMin} min`);
      });
    }
    // the server's clock off instead of the client's: same window
    omni.clockOffsetMs = -6 * 60_000;
    try {
      await withClient({}, async (c) => assert.rejects(get(c), (e: any) => e.code === Code.UNAUTHENTICATED));
    } finally {
      omni.clockOffsetMs = 0;
    }
  });

  test("tampering: a payload naming another method, a header value that differs from the signed one, a bad signature, [] for null", async () => {
    const sa = await decodeServiceAccountKey(operator.key);
    const State = stateServiceClient();
    const raw = new State(
      omni.endpoint.replace("https://", ""),
      // As OmniClient dials an IP: the certificate is checked against the IP, the SNI is a DNS name (RFC 6066).
      grpc.credentials.createSsl(Buffer.from(omni.caPem), null, null, {
        checkServerIdentity: (_n, cert) => tls.checkServerIdentity("127.0.0.1", cert),
      }),
      { "grpc.ssl_target_name_override": "omni.invalid" },
    ) as grpc.Client & Record<string, any>;
    const call = (md: grpc.Metadata) =>
      new Promise<number>((resolve) =>
        raw.Get({ namespace: "default", type: ResourceType.TalosVersion, id: "1.12.0" }, md, (err: any) => resolve(err ? err.code : 0)),
      );
    const metadata = (h: Record<string, string>) => {
      const md = new grpc.Metadata();
      for (const [k, v] of Object.entries(h)) md.set(k, v);
      return md;
    };
    try {
      const good = await signCall(sa, "/cosi.resource.State/Get", {});
      assert.equal(await call(metadata(good)), 0, "an untouched signed call passes");

      const other = await signCall(sa, "/cosi.resource.State/List", {});
      assert.equal(await call(metadata(other)), Code.UNAUTHENTICATED, "payload method must be the called method");

      const withCtx = await signCall(sa, "/cosi.resource.State/Get", { context: ["dev"] });
      assert.equal(
        await call(metadata({ ...withCtx, context: "prod" })),
        Code.UNAUTHENTICATED,
        "a signed header must carry the signed value",
      );
      assert.equal(await call(metadata(withCtx)), Code.UNAUTHENTICATED, "a signed header that is missing from the call fails too");

      const sig = good["x-sidero-signature"].split(" ");
      const flipped = Buffer.from(sig[3], "base64");
      flipped[flipped.length - 1] ^= 0xff;
      assert.equal(
        await call(metadata({ ...good, "x-sidero-signature": [...sig.slice(0, 3), flipped.toString("base64")].join(" ") })),
        Code.UNAUTHENTICATED,
      );
      assert.equal(
        await call(metadata({ ...good, "x-sidero-signature": good["x-sidero-signature"].replace("siderov1", "siderov2") })),
        Code.UNAUTHENTICATED,
      );

      const emptyList = good["x-sidero-payload"].replace('"uid":null', '"uid":[]');
      assert.equal(
        await call(metadata({ ...good, "x-sidero-payload": emptyList })),
        Code.UNAUTHENTICATED,
        "[] is not null (reflect.DeepEqual)",
      );

      const noTs = { ...good };
      delete (noTs as Record<string, string>)["x-sidero-timestamp"];
      assert.equal(await call(metadata(noTs)), Code.UNAUTHENTICATED);
      assert.equal(await call(new grpc.Metadata()), Code.UNAUTHENTICATED, "no signature at all: not authenticated");
    } finally {
      raw.close();
    }
  });

  test("roles: a Reader service account reads but cannot create clusters (PermissionDenied with the role hint)", async () => {
    const reader = await omni.addServiceAccount("viewer@serviceaccount.omni.sidero.dev", "Reader");
    await withClient({ serviceAccountKey: reader.key }, async (c) => {
      assert.ok(await get(c));
      await assert.rejects(c.create(cluster("r")), (e: any) => e.code === Code.PERMISSION_DENIED && /needs Operator/.test(e.message));
    });
  });

  test("each retry is signed afresh (a new timestamp), so a slow retry never replays a stale signature", async () => {
    omni.failNext("Get", Code.UNAVAILABLE, "omni restarting", 2);
    let t = Date.now();
    await withClient({ clock: () => (t += 2_000), retry: fastRetry }, async (c) => assert.ok(await get(c)));
    const last3 = omni.callsOf("Get").slice(-3);
    assert.deepEqual(
      last3.map((x) => x.code),
      [Code.UNAVAILABLE, Code.UNAVAILABLE, 0],
    );
    const stamps = new Set(last3.map((x) => x.metadata["x-sidero-timestamp"][0]));
    assert.equal(stamps.size, 3);
  });

  test("TLS is verified: without the fake's CA the call fails and nothing is sent", async () => {
    const before = omni.calls.length;
    await withClient({ caPem: undefined }, async (c) => assert.rejects(get(c), (e: any) => e.code === Code.UNAVAILABLE));
    assert.equal(omni.calls.length, before);
  });

  test("a malformed key fails at construction, before any call, without echoing the key", () => {
    assert.throws(() => mk({ serviceAccountKey: "%%%" }), /not base64/);
    assert.throws(() => mk({ endpoint: "http://127.0.0.1:1" }), /must use https/);
  });
});
