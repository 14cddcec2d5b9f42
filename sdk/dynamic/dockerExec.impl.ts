/**
 * Logic of the DockerExec dynamic resource (see dockerExec.ts), loaded by the trampoline inside the dynamic-provider
 * host; never serialized.
 */
import * as crypto from "node:crypto";
import { execInContainer, type DockerEngineOptions } from "../clients/dockerEngine";
import { containsUnknown } from "../impact/unknown";
import { seconds } from "../errors";

interface Inputs {
  container: string;
  script: string;
  engine?: { host?: string; certPath?: string };
  generateToken?: number;
  token?: string;
  keepStdout?: boolean;
  attempts?: number;
  retryDelaySeconds?: number;
  timeoutSeconds?: number;
}

/** Inputs whose change runs the step again. */
const RERUN = ["container", "script", "token", "generateToken", "keepStdout"] as const;
const same = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

/** `length` lowercase letters, as vCluster's random.String. */
function token(length: number): string {
  return Array.from({ length }, () => String.fromCharCode(97 + crypto.randomInt(26))).join("");
}

function engineOptions(i: Inputs, timeoutMs: number): DockerEngineOptions {
  return { ...(i.engine?.host ? { host: i.engine.host } : {}), ...(i.engine?.certPath ? { certPath: i.engine.certPath } : {}), timeoutMs };
}

const tail = (s: string) => s.trim().split("\n").slice(-20).join("\n");

async function run(i: Inputs, secretToken: string | undefined): Promise<string> {
  const attempts = Math.max(1, i.attempts ?? 1);
  const timeoutMs = (i.timeoutSeconds ?? 600) * 1000;
  let last = "";
  for (let n = 1; n <= attempts; n++) {
    const started = Date.now();
    try {
      const r = await execInContainer(i.container, ["bash", "-c", i.script], {
        ...engineOptions(i, timeoutMs),
        ...(secretToken ? { execEnv: [`KSAIL_TOKEN=${secretToken}`] } : {}),
      });
      if (r.exitCode === 0) {
        console.log(`DockerExec ${i.container}: done in ${seconds(Date.now() - started)} (attempt ${n} of ${attempts})`);
        return r.stdout;
      }
      last = `exit code ${r.exitCode}: ${tail(`${r.stdout}\n${r.stderr}`)}`;
    } catch (e) {
      last = (e as Error).message;
    }
    if (secretToken) last = last.split(secretToken).join("[token]");
    if (n < attempts) {
      console.log(
        `DockerExec ${i.container}: attempt ${n} of ${attempts} failed (${last.split("\n")[0]}); again in ${i.retryDelaySeconds ?? 5} s`,
      );
      await new Promise((r) => setTimeout(r, (i.retryDelaySeconds ?? 5) * 1000));
    }
  }
  throw new Error(`the step in container ${i.container} failed after ${attempts} attempt(s): ${last}`);
}

export const handler = {
  async check(_olds: Record<string, unknown>, news: Record<string, any>) {
    const failures: { property: string; reason: string }[] = [];
    if (!containsUnknown(news.container) && (typeof news.container !== "string" || news.container === ""))
      failures.push({ property: "container", reason: `container is ${JSON.stringify(news.container)}; give the container's name` });
    if (!containsUnknown(news.script) && (typeof news.script !== "string" || news.script.trim() === ""))
      failures.push({ property: "script", reason: "script is empty; give the bash script to run" });
    if (
      news.generateToken !== undefined &&
      !(Number.isInteger(news.generateToken) && news.generateToken >= 16 && news.generateToken <= 256)
    )
      failures.push({
        property: "generateToken",
        reason: `generateToken is ${JSON.stringify(news.generateToken)}; expected a length from 16 to 256`,
      });
    return { inputs: news, failures };
  },

  async diff(_id: string, olds: Record<string, any>, news: Record<string, any>) {
    // A generated token is an output, not something asked for.
    const replaces = RERUN.filter((k) => !(k === "token" && news.generateToken) && (containsUnknown(news[k]) || !same(olds[k], news[k])));
    if (replaces.length > 0) return { changes: true, replaces: [...replaces], deleteBeforeReplace: true };
    const changed = ["engine", "attempts", "retryDelaySeconds", "timeoutSeconds"].some((k) => !same(olds[k], news[k]));
    return { changes: changed, replaces: [] };
  },

  async create(inputs: Inputs) {
    const generated = inputs.generateToken ? token(inputs.generateToken) : undefined;
    const stdout = await run(inputs, generated ?? inputs.token);
    return {
      id: `${inputs.container}-${crypto.randomBytes(4).toString("hex")}`,
      outs: { ...inputs, ...(generated ? { token: generated } : {}), ...(inputs.keepStdout ? { stdout } : {}) },
    };
  },

  /** Settings only (engine, retries, timeouts): nothing runs again. */
  async update(_id: string, olds: Record<string, any>, news: Inputs) {
    return { outs: { ...news, ...(olds.generateToken ? { token: olds.token } : {}), ...(news.keepStdout ? { stdout: olds.stdout } : {}) } };
  },

  /** Refresh: what the step did lives in the container; the state is the record of it. */
  async read(id: string, props: Record<string, unknown>) {
    return { id, props };
  },

  /** The container goes with its own resource; nothing to undo here. */
  async delete() {},
};
