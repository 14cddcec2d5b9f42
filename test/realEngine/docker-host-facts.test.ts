// L3E: the Docker host's facts (kind's host-dependent node flags) are read when the program runs under the real
// Pulumi engine — in preview too, so a preview shows the node containers as `up` will create them — from the Engine
// the docker provider's `docker:host` stack config names (the fake Engine over a real unix socket), and not read at
// all under the mock runtime (`ksail-pulumi plan`, the mocks tests), which stays offline.
import { after, before, describe, test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { programHostFacts } from "../../sdk/infra/docker/hostFacts";
import { startFakeDockerEngine, type FakeDockerEngine } from "../fakes/docker-engine";
import { recordProgram } from "../harness/mocks";
import { RealStack, skipRealEngine } from "./harness";

class Parent extends pulumi.ComponentResource {
  constructor(name: string) {
    super("test:index:Parent", name, {});
  }
}

describe("Docker host facts read by the program (real engine, fake Engine on a unix socket)", { skip: skipRealEngine || false }, () => {
  let engine: FakeDockerEngine;
  let dir: string;
  let sock: string;
  let stack: RealStack;
  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "ksail-l3e-dockerhost-"));
    sock = path.join(dir, "docker.sock");
    engine = await startFakeDockerEngine(sock);
    engine.info = { Driver: "overlay2", DriverStatus: [["Backing Filesystem", "btrfs"]], SecurityOptions: ["name=rootless"] };
    stack = await RealStack.create("l3e-dockerhost", async () => {
      const facts = programHostFacts(new Parent("p"));
      return { facts, read: facts !== undefined };
    });
    await stack.stack.setConfig("docker:host", { value: `unix://${sock}` });
  });
  after(async () => {
    stack?.dispose();
    await engine?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  test("preview reads GET /info from the provider's host; up records kind's flags for it", async () => {
    const before = engine.requests.filter((r) => r.url.endsWith("/info")).length;
    await stack.preview();
    assert.equal(engine.requests.filter((r) => r.url.endsWith("/info")).length, before + 1, "one read in preview");
    await stack.up();
    const out = await stack.stack.outputs();
    assert.equal(out.read.value, true);
    assert.deepEqual(out.facts.value, { devMapper: true, usernsHost: false, fuse: true });
    assert.ok(
      engine.requests.every((r) => r.method === "GET"),
      "reads only",
    );
  });

  test("under the mock runtime nothing is read", async () => {
    const before = engine.requests.length;
    let facts: unknown = "not run";
    await recordProgram(() => {
      facts = programHostFacts(new Parent("m"));
    });
    assert.equal(facts, undefined);
    assert.equal(engine.requests.length, before);
  });
});
