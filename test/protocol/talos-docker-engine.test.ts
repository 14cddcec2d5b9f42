// L3: the Docker Engine API client (container restart for Talos-on-Docker reboots) against a fake
// Engine served over a real unix socket with node:http.
import { test, describe, before, after } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as http from "node:http";
import * as os from "node:os";
import * as path from "node:path";
import { startFakeDockerEngine } from "../fakes/docker-engine";
import {
  dockerInfo,
  dockerSocketPath,
  engineRequest,
  hostFacts,
  inspectContainer,
  resolveDockerEndpoint,
  restartContainer,
  waitContainerRunning,
} from "../../sdk/clients/dockerEngine";
import { readHostFacts } from "../../sdk/infra/docker/hostFacts";

describe("Docker Engine client over a unix socket", () => {
  let dir: string;
  let sock: string;
  let engine: Awaited<ReturnType<typeof startFakeDockerEngine>>;
  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "ksail-docker-"));
    sock = path.join(dir, "docker.sock");
    engine = await startFakeDockerEngine(sock);
  });
  after(async () => {
    await engine.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test("DOCKER_HOST resolution", () => {
    assert.equal(dockerSocketPath({}), "/var/run/docker.sock");
    assert.equal(dockerSocketPath({ DOCKER_HOST: "unix:///run/user/1000/docker.sock" }), "/run/user/1000/docker.sock");
    assert.throws(() => dockerSocketPath({ DOCKER_HOST: "tcp://1.2.3.4:2376" }), /not a unix socket.*unix:\/\//);
  });

  test("restart → POST /containers/{name}/restart?t=, then wait until running", async () => {
    await restartContainer("dev-controlplane-1", 5, { socketPath: sock });
    assert.deepEqual(engine.requests.at(-1), { method: "POST", url: "/v1.41/containers/dev-controlplane-1/restart?t=5" });
    assert.equal(engine.state["dev-controlplane-1"].restarts, 1);
    const s = await waitContainerRunning("dev-controlplane-1", 5_000, { socketPath: sock }, 10);
    assert.equal(s.running, true);
    assert.equal(s.name, "dev-controlplane-1");
    assert.ok(engine.requests.filter((r) => r.method === "GET").length >= 2, "polled until running");
  });

  test("inspect of a missing container is undefined; restart of one is an error naming it", async () => {
    assert.equal(await inspectContainer("gone", { socketPath: sock }), undefined);
    await assert.rejects(
      restartContainer("gone", 1, { socketPath: sock }),
      /restart of container gone failed \(HTTP 404\): No such container: gone/,
    );
  });

  test("the docker provider's docker:host wins over DOCKER_HOST; tcp:// with and without TLS; ssh:// refused with a fix", () => {
    const env = { DOCKER_HOST: "unix:///from/env.sock", HOME: dir };
    assert.deepEqual(resolveDockerEndpoint({ env }), { socketPath: "/from/env.sock" });
    assert.deepEqual(resolveDockerEndpoint({ env, host: "unix:///from/provider.sock" }), { socketPath: "/from/provider.sock" });
    assert.deepEqual(resolveDockerEndpoint({ env: {}, host: "tcp://10.0.0.5:2375" }), { hostname: "10.0.0.5", port: 2375 });
    const certs = path.join(dir, "certs");
    fs.mkdirSync(certs, { recursive: true });
    for (const f of ["ca.pem", "cert.pem", "key.pem"]) fs.writeFileSync(path.join(certs, f), f);
    const tls = resolveDockerEndpoint({ env: { DOCKER_TLS_VERIFY: "1", DOCKER_CERT_PATH: certs }, host: "tcp://docker.example" });
    assert.ok("hostname" in tls && tls.port === 2376 && tls.tls?.cert.toString() === "cert.pem");
    assert.throws(
      () => resolveDockerEndpoint({ env: {}, host: "ssh://me@remote" }),
      /ssh:\/\/me@remote is not supported.*unix:\/\/\/tmp\/docker\.sock/,
    );
  });

  test("GET /info → host facts by kind's rules (kubernetes-sigs/kind pkg/cluster/internal/providers/docker/util.go)", async () => {
    const opts = { socketPath: sock };
    assert.deepEqual(hostFacts(await dockerInfo(opts)), { devMapper: false, usernsHost: false, fuse: false });
    engine.info = { Driver: "btrfs", DriverStatus: null, SecurityOptions: ["name=seccomp,profile=builtin", "name=userns"] };
    assert.deepEqual(hostFacts(await dockerInfo(opts)), { devMapper: true, usernsHost: true, fuse: false });
    engine.info = {
      Driver: "overlay2",
      DriverStatus: [["Backing Filesystem", "xfs"]],
      SecurityOptions: ["name=rootless", "name=cgroupns"],
    };
    assert.deepEqual(hostFacts(await dockerInfo(opts)), { devMapper: true, usernsHost: false, fuse: true });
    assert.equal(engine.requests.at(-1)?.url, "/v1.41/info");
  });

  test("the program reads the facts from the docker provider's host; an Engine that does not answer gives none, with a warning", async () => {
    engine.info = { Driver: "zfs", DriverStatus: null, SecurityOptions: ["name=rootless"] };
    const warnings: string[] = [];
    assert.deepEqual(await readHostFacts({ host: `unix://${sock}`, env: {} }, (m) => warnings.push(m)), {
      devMapper: true,
      usernsHost: false,
      fuse: true,
    });
    assert.equal(warnings.length, 0);
    assert.equal(await readHostFacts({ host: `unix://${path.join(dir, "absent.sock")}`, env: {} }, (m) => warnings.push(m)), undefined);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0], /could not read the Docker host's facts \(GET \/info: .*\); node containers get no host-dependent flags/);
  });

  test("the fake refuses API versions outside the daemon's range, as moby does", async () => {
    const r = await new Promise<{ status: number; body: string }>((resolve) => {
      const req = http.request({ socketPath: sock, path: "/v1.99/info" }, (res) => {
        let b = "";
        res.on("data", (c: Buffer) => (b += c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: b }));
      });
      req.end();
    });
    assert.equal(r.status, 400);
    assert.match(r.body, /client version 1\.99 is too new/);
    assert.equal((await engineRequest("GET", "/info", { socketPath: sock })).status, 200, "the client's version is accepted");
  });

  test("an absent socket gives an actionable error", async () => {
    await assert.rejects(
      inspectContainer("x", { socketPath: path.join(dir, "nope.sock") }),
      /Docker Engine is not reachable on .*nope\.sock \(ENOENT\)/,
    );
  });
});
