// L3: `docker exec` through the Docker Engine client (sdk/clients/dockerEngine.ts, execInContainer) against the fake
// Engine over a real unix socket. The fake models moby's exec endpoints (moby/moby api swagger.yaml ContainerExec,
// ExecStart, ExecInspect) and writes the output as moby's stdcopy frames (moby/moby api pkg/stdcopy/stdcopy.go): an
// 8-byte header (stream byte, size big-endian) per frame, stdout split over several frames. The demultiplexer is also
// checked frame by frame against stdcopy's rules. This is the exec path the vCluster (Vind) install and KWOK's node
// scaling run inside their containers (issue 18); before, the client had no exec at all.
import { after, before, describe, test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { startFakeDockerEngine } from "../fakes/docker-engine";
import { DockerEngineError, demuxDockerStream, execInContainer } from "../../sdk/clients/dockerEngine";

/** One stdcopy frame: stream byte, three zero bytes, the payload size (big-endian), the payload. */
function frame(stream: number, payload: string | Buffer): Buffer {
  const body = typeof payload === "string" ? Buffer.from(payload, "utf8") : payload;
  const header = Buffer.alloc(8);
  header[0] = stream;
  header.writeUInt32BE(body.length, 4);
  return Buffer.concat([header, body]);
}

describe("demuxDockerStream (moby's stdcopy rules)", () => {
  test("stdout and stderr frames are joined per stream in order; stdin frames count as stdout", () => {
    const s = Buffer.concat([frame(1, "hel"), frame(2, "warn\n"), frame(1, "lo\n"), frame(0, "x")]);
    assert.deepEqual(demuxDockerStream(s), { stdout: "hello\nx", stderr: "warn\n" });
  });

  test("a frame larger than stdcopy's 32 KiB starting buffer, and an empty stream", () => {
    const big = "a".repeat(100_000);
    assert.equal(demuxDockerStream(frame(1, big)).stdout.length, 100_000);
    assert.deepEqual(demuxDockerStream(Buffer.alloc(0)), { stdout: "", stderr: "" });
  });

  test("a truncated header or payload at the end ends the stream (as stdcopy returns on EOF)", () => {
    const whole = frame(1, "ok");
    assert.equal(demuxDockerStream(Buffer.concat([whole, frame(1, "cut").subarray(0, 9)])).stdout, "ok");
    assert.equal(demuxDockerStream(Buffer.concat([whole, Buffer.from([1, 0, 0])])).stdout, "ok");
  });

  test("a daemon error frame (stream 3) and an unknown stream are errors", () => {
    assert.throws(() => demuxDockerStream(frame(3, "boom")), /error from daemon in stream: boom/);
    assert.throws(() => demuxDockerStream(frame(7, "x")), /unrecognized stream 7/);
  });
});

describe("execInContainer against the fake Engine", () => {
  let dir: string;
  let socketPath: string;
  let engine: Awaited<ReturnType<typeof startFakeDockerEngine>>;
  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "ksail-exec-"));
    socketPath = path.join(dir, "docker.sock");
    engine = await startFakeDockerEngine(socketPath, undefined, ["vcluster.cp.dev", "stopped"]);
    engine.state.stopped.running = false;
    engine.state.stopped.pollsUntilRunning = 1_000_000;
  });
  after(async () => {
    await engine.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test("runs the command with its environment; output over several frames comes back whole; the exit code from the exec instance", async () => {
    engine.exec = (_c, cmd, env) =>
      cmd[0] === "sh" ? { stdout: `installed ${env.join(",")}\nline two\n`, stderr: "a warning\n", exitCode: 0 } : { exitCode: 127 };
    const r = await execInContainer("vcluster.cp.dev", ["sh", "-c", "install"], { socketPath, execEnv: ["A=1"] });
    assert.deepEqual(r, { exitCode: 0, stdout: "installed A=1\nline two\n", stderr: "a warning\n" });
    assert.deepEqual(engine.execs.at(-1), { container: "vcluster.cp.dev", cmd: ["sh", "-c", "install"], env: ["A=1"] });
    const urls = engine.requests.slice(-3).map((q) => `${q.method} ${q.url.replace(/exec\d+0*/, "ID")}`);
    assert.deepEqual(urls, ["POST /v1.41/containers/vcluster.cp.dev/exec", "POST /v1.41/exec/ID/start", "GET /v1.41/exec/ID/json"]);
  });

  test("a failing command is a result with its exit code, not an exception", async () => {
    engine.exec = () => ({ stderr: "no such file\n", exitCode: 2 });
    assert.deepEqual(await execInContainer("vcluster.cp.dev", ["cat", "/nope"], { socketPath }), {
      exitCode: 2,
      stdout: "",
      stderr: "no such file\n",
    });
  });

  test("an unknown or stopped container is a DockerEngineError with the daemon's message", async () => {
    await assert.rejects(
      execInContainer("nope", ["true"], { socketPath }),
      (e: unknown) => e instanceof DockerEngineError && e.statusCode === 404 && /No such container: nope/.test(e.message),
    );
    await assert.rejects(
      execInContainer("stopped", ["true"], { socketPath }),
      (e: unknown) => e instanceof DockerEngineError && e.statusCode === 409 && /container stopped is not running/.test(e.message),
    );
  });
});
