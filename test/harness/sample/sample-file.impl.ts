/**
 * Logic of the SampleFile dynamic resource (see sample-file.ts). Loaded by the trampoline inside the
 * dynamic-provider host; never serialized. Demonstrates the conventions every real provider follows:
 * configure from stack config, check with failures and the preview unknown sentinel, diff with
 * replaces/deleteBeforeReplace and a progress line, `outs: {...inputs, ...computed}`, and a delete that
 * tolerates an already-gone resource.
 */
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { UNKNOWN, containsUnknown } from "../../../sdk/impact/unknown";

interface Inputs {
  path: string;
  kind: string;
  content: string;
  token?: string;
  failAfterWrite?: boolean;
}
interface Outputs extends Inputs {
  sha256: string;
  generation: number;
  tokenSha256?: string;
}

const KINDS = ["text", "json"];
/** Keys whose change replaces the resource. */
const REPLACE_KEYS = ["path", "kind"] as const;
const INPUT_KEYS = ["path", "kind", "content", "token"] as const;

/** Set by configure from `ksail:sampleHeader` (stack config). */
let header = "";

const sha256 = (s: string) => crypto.createHash("sha256").update(s).digest("hex");

function body(i: Inputs): string {
  return header + i.content;
}

function write(i: Inputs, generation: number): Outputs {
  const text = body(i);
  fs.mkdirSync(path.dirname(i.path), { recursive: true });
  fs.writeFileSync(i.path, text);
  const outs: Outputs = { ...i, sha256: sha256(text), generation };
  if (i.token !== undefined) outs.tokenSha256 = sha256(i.token);
  return outs;
}

/** A partial failure: the host packs `id`/`properties`/`reasons` into ErrorResourceInitFailed. */
function initFailed(id: string, outs: Outputs): Error {
  return Object.assign(new Error(`sample: ${outs.path} was written but is not healthy`), {
    id,
    properties: outs,
    reasons: ["failAfterWrite is set"],
  });
}

export const handler = {
  async configure(req: { config: { get(key: string): string | undefined } }): Promise<void> {
    header = req.config.get("sampleHeader") ?? "";
  },

  async check(_olds: Partial<Inputs>, news: Partial<Inputs> & Record<string, unknown>) {
    const failures: { property: string; reason: string }[] = [];
    const known = (v: unknown) => v !== undefined && !containsUnknown(v);
    if (known(news.path) && (typeof news.path !== "string" || !path.isAbsolute(news.path)))
      failures.push({ property: "path", reason: `path must be an absolute file path, got ${JSON.stringify(news.path)}` });
    if (known(news.kind) && !KINDS.includes(String(news.kind)))
      failures.push({ property: "kind", reason: `kind is ${JSON.stringify(news.kind)}; allowed: ${KINDS.join(", ")}` });
    if (news.kind === "json" && known(news.content)) {
      try {
        JSON.parse(String(news.content));
      } catch (e) {
        failures.push({ property: "content", reason: `content is not valid JSON: ${(e as Error).message}` });
      }
    }
    const unknownKeys = INPUT_KEYS.filter((k) => news[k] === UNKNOWN);
    if (unknownKeys.length > 0) console.log(`sample check: not known yet: ${unknownKeys.join(", ")}`);
    // Defaults must be a pure function of news (the engine calls check again with only news on replace).
    return { inputs: { ...news, content: news.content ?? "" }, failures };
  },

  async diff(_id: string, olds: Outputs, news: Inputs) {
    const changed = INPUT_KEYS.filter((k) => news[k] === UNKNOWN || JSON.stringify(olds[k]) !== JSON.stringify(news[k]));
    const replaces = REPLACE_KEYS.filter((k) => changed.includes(k));
    console.log(
      `sample diff ${olds.path}: ${changed.length === 0 ? "no change" : changed.map((k) => `~${k}`).join(" ")}${replaces.length > 0 ? " (replace)" : ""}`,
    );
    return { changes: changed.length > 0, replaces: [...replaces], deleteBeforeReplace: replaces.length > 0 };
  },

  async create(inputs: Inputs) {
    if (fs.existsSync(inputs.path)) throw new Error(`sample create: ${inputs.path} already exists; remove it or choose another path`);
    const outs = write(inputs, 1);
    const id = sha256(inputs.path).slice(0, 12);
    if (inputs.failAfterWrite) throw initFailed(id, outs);
    return { id, outs };
  },

  async read(id: string, props: Outputs) {
    if (!fs.existsSync(props.path)) return { id: "", props: {} };
    const text = fs.readFileSync(props.path, "utf8");
    return { id, props: { ...props, sha256: sha256(text) } };
  },

  async update(id: string, olds: Outputs, news: Inputs) {
    const outs = write(news, (olds.generation ?? 0) + 1);
    if (news.failAfterWrite) throw initFailed(id, outs);
    return { outs };
  },

  async delete(_id: string, props: Outputs) {
    try {
      fs.unlinkSync(props.path);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
      console.log(`sample delete: ${props.path} already gone`);
    }
  },
};
