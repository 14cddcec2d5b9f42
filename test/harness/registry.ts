/**
 * Real-peer harness for OCI tests: Debian's `docker-registry` (CNCF Distribution 2.8) on 127.0.0.1 with a
 * temporary config and storage, in one of four modes — anonymous plain HTTP, htpasswd Basic auth, token
 * auth against a small token server in this process (RS256 JWTs with an `x5c` header, which Distribution
 * verifies against `auth.token.rootcertbundle`), or TLS with a test CA — and Debian's `skopeo` to read
 * back what a test pushed. Tests skip with the reason when a binary is missing (`apt-get install
 * docker-registry skopeo`).
 */
import { execFile, execFileSync, spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createSign, randomUUID } from "node:crypto";
import * as fs from "node:fs";
import * as http from "node:http";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";

export const REGISTRY_USER = "ksail";
export const REGISTRY_PASSWORD = "registry-test-password";
/** bcrypt (cost 5) of REGISTRY_PASSWORD, generated once with golang.org/x/crypto/bcrypt. */
const HTPASSWD = `${REGISTRY_USER}:$2a$05$eRyARNKqhBhP1sXKQTQF4ezmkWeze91V2kSFVZZ//Wo5ypwU42gmq\n`;

function which(bin: string): string | undefined {
  const r = spawnSync("sh", ["-c", `command -v ${bin}`], { encoding: "utf8" });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

/** Why the registry tests cannot run here, or undefined when they can. */
export function registrySkipReason(): string | undefined {
  if (!which("docker-registry")) return "Debian's docker-registry is not installed (apt-get install docker-registry)";
  return undefined;
}

export function skopeoSkipReason(): string | undefined {
  if (!which("skopeo")) return "Debian's skopeo is not installed (apt-get install skopeo)";
  return undefined;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
    s.on("error", reject);
  });
}

export type RegistryMode = "anonymous" | "basic" | "token" | "tls";

export interface RunningRegistry {
  readonly mode: RegistryMode;
  /** `127.0.0.1:<port>` */
  readonly endpoint: string;
  readonly port: number;
  /** CA certificate (PEM) for the TLS mode. */
  readonly caPem?: string;
  /** Token requests the token server answered (token mode): scope and whether credentials were valid. */
  readonly tokenRequests: { scope: string; service: string; authorized: boolean }[];
  readonly dir: string;
  stop(): Promise<void>;
}

function b64url(b: Buffer | string): string {
  return Buffer.from(b).toString("base64url");
}

function opensslCert(dir: string, name: string, subj: string, san?: string): { key: string; cert: string; der: Buffer } {
  const key = path.join(dir, `${name}.key`);
  const cert = path.join(dir, `${name}.crt`);
  const args = ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-days", "2", "-subj", subj];
  if (san) args.push("-addext", `subjectAltName=${san}`);
  execFileSync("openssl", args, { stdio: "ignore" });
  const der = execFileSync("openssl", ["x509", "-in", cert, "-outform", "DER"]);
  return { key, cert, der };
}

/** A token server as Docker's token spec describes it; grants what is asked to valid (or absent, if allowed) credentials. */
function startTokenServer(
  dir: string,
  requests: RunningRegistry["tokenRequests"],
): Promise<{ server: http.Server; port: number; certPath: string }> {
  const { key, cert, der } = opensslCert(dir, "token", "/CN=ksail-test-token-issuer");
  const keyPem = fs.readFileSync(key, "utf8");
  const expected = `Basic ${Buffer.from(`${REGISTRY_USER}:${REGISTRY_PASSWORD}`).toString("base64")}`;
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    const scope = url.searchParams.get("scope") ?? "";
    const service = url.searchParams.get("service") ?? "";
    const authorized = req.headers.authorization === expected;
    requests.push({ scope, service, authorized });
    if (!authorized) {
      res.writeHead(401, { "Content-Type": "application/json" });
      res.end(JSON.stringify({ errors: [{ code: "UNAUTHORIZED", message: "bad credentials" }] }));
      return;
    }
    const now = Math.floor(Date.now() / 1000);
    const access = scope
      .split(" ")
      .filter((s) => s !== "")
      .map((s) => {
        const parts = s.split(":");
        return { type: parts[0], name: parts.slice(1, -1).join(":"), actions: (parts[parts.length - 1] ?? "").split(",") };
      });
    const header = { typ: "JWT", alg: "RS256", x5c: [der.toString("base64")] };
    const claims = {
      iss: "ksail-test-issuer",
      sub: REGISTRY_USER,
      aud: service,
      exp: now + 300,
      nbf: now - 10,
      iat: now,
      jti: randomUUID(),
      access,
    };
    const signingInput = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
    const sig = createSign("RSA-SHA256").update(signingInput).sign(keyPem);
    res.writeHead(200, { "Content-Type": "application/json" });
    res.end(JSON.stringify({ token: `${signingInput}.${b64url(sig)}`, expires_in: 300 }));
  });
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () => resolve({ server, port: (server.address() as net.AddressInfo).port, certPath: cert })),
  );
}

async function waitReady(url: string, child: ChildProcess, log: () => string, caPem?: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`docker-registry exited with ${child.exitCode}: ${log()}`);
    const ok = await new Promise<boolean>((resolve) => {
      const mod = url.startsWith("https") ? require("node:https") : http;
      const req = mod.get(url, { ca: caPem }, (res: http.IncomingMessage) => {
        res.resume();
        resolve(res.statusCode === 200 || res.statusCode === 401);
      });
      req.on("error", () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`docker-registry did not answer ${url} within 30 s: ${log()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Starts docker-registry on 127.0.0.1 in the given mode; stop() kills it and removes its files. */
export async function startRegistry(mode: RegistryMode): Promise<RunningRegistry> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ksail-registry-"));
  const port = await freePort();
  const tokenRequests: RunningRegistry["tokenRequests"] = [];
  let auth = "";
  let tls = "";
  let token: Awaited<ReturnType<typeof startTokenServer>> | undefined;
  let caPem: string | undefined;
  if (mode === "basic") {
    fs.writeFileSync(path.join(dir, "htpasswd"), HTPASSWD);
    auth = `auth:\n  htpasswd:\n    realm: ksail-test\n    path: ${path.join(dir, "htpasswd")}\n`;
  } else if (mode === "token") {
    token = await startTokenServer(dir, tokenRequests);
    auth =
      `auth:\n  token:\n    realm: http://127.0.0.1:${token.port}/token\n    service: ksail-test-registry\n` +
      `    issuer: ksail-test-issuer\n    rootcertbundle: ${token.certPath}\n`;
  } else if (mode === "tls") {
    const c = opensslCert(dir, "registry", "/CN=127.0.0.1", "IP:127.0.0.1");
    caPem = fs.readFileSync(c.cert, "utf8");
    tls = `  tls:\n    certificate: ${c.cert}\n    key: ${c.key}\n`;
  }
  const config =
    `version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\n` +
    `storage:\n  filesystem:\n    rootdirectory: ${path.join(dir, "data")}\n  delete:\n    enabled: true\n` +
    `http:\n  addr: 127.0.0.1:${port}\n  secret: ksail-test-secret\n${tls}${auth}`;
  fs.writeFileSync(path.join(dir, "config.yml"), config);
  const child = spawn("docker-registry", ["serve", path.join(dir, "config.yml")], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout?.on("data", (d) => (out += String(d)));
  child.stderr?.on("data", (d) => (out += String(d)));
  const scheme = mode === "tls" ? "https" : "http";
  try {
    await waitReady(`${scheme}://127.0.0.1:${port}/v2/`, child, () => out.slice(-2000), caPem);
  } catch (e) {
    child.kill("SIGKILL");
    token?.server.close();
    throw e;
  }
  return {
    mode,
    endpoint: `127.0.0.1:${port}`,
    port,
    caPem,
    tokenRequests,
    dir,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once("exit", r));
        child.kill("SIGTERM");
        await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
        if (child.exitCode === null) child.kill("SIGKILL");
      }
      if (token) {
        token.server.closeAllConnections();
        await new Promise((r) => token!.server.close(r));
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * `skopeo <args>` with policy checks off. Asynchronous on purpose: the token server of the token mode lives in
 * this process, and a synchronous child would block the event loop that must answer skopeo's token request.
 * Rejects with an Error carrying `stderr`.
 */
export function skopeo(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile("skopeo", ["--insecure-policy", ...args], { encoding: "utf8", timeout: 60_000 }, (err, stdout, stderr) => {
      if (err) reject(Object.assign(new Error(`skopeo ${args.join(" ")}: ${stderr}`), { stderr }));
      else resolve(stdout);
    });
  });
}
