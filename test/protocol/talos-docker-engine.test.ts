// L3: the Docker Engine API client (container restart for Talos-on-Docker reboots) against a fake
// Engine served over a real unix socket with node:http.
import { test, describe, before, after } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { startFakeDockerEngine } from "../fakes/docker-engine";
import { dockerSocketPath, inspectContainer, restartContainer, waitContainerRunning } from "../../sdk/clients/dockerEngine";

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
    assert.deepEqual(engine.requests.at(-1), { method: "POST", url: "/containers/dev-controlplane-1/restart?t=5" });
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

  test("an absent socket gives an actionable error", async () => {
    await assert.rejects(
      inspectContainer("x", { socketPath: path.join(dir, "nope.sock") }),
      /Docker Engine is not reachable on .*nope\.sock \(ENOENT\)/,
    );
  });
});
