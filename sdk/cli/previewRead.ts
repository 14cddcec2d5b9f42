/**
 * Reading `pulumi preview --json` into steps: the engine's PreviewDigest (one JSON object) or, with
 * `PULUMI_ENABLE_STREAMING_JSON_PREVIEW=true`, JSON lines of engine events. Fails closed: an empty, truncated,
 * cancelled, failed or foreign document, or a step op the engine does not define, is an error, never a pass.
 * preview.ts turns the steps into each cluster's impact. Pure.
 */
import { KsailError } from "../errors";

export const REPLACE_OPS = new Set(["replace", "create-replacement", "delete-replaced", "discard-replaced"]);
/**
 * Every step op the Pulumi engine reports (pkg/resource/deploy/step.go, `OpType`). A step with another op is one
 * the gate cannot classify, so it refuses the preview instead of passing it.
 */
const KNOWN_OPS = new Set([
  "same",
  "create",
  "update",
  "delete",
  "replace",
  "create-replacement",
  "delete-replaced",
  "read",
  "read-replacement",
  "refresh",
  "read-discard",
  "discard-replaced",
  "remove-pending-replace",
  "import",
  "import-replacement",
]);

/** Refuses a step whose op the engine does not define (a newer engine, or a hand-made document). */
function knownOp(op: string, where: string): void {
  if (!KNOWN_OPS.has(op))
    throw new KsailError([
      {
        path: where,
        message: `has the step op "${op}", which the gate cannot classify (known: ${[...KNOWN_OPS].join(", ")}); the gate passes nothing it cannot read`,
      },
    ]);
}

export type Props = Record<string, unknown>;

export interface ResourceState {
  type?: string;
  inputs?: Props;
  outputs?: Props;
  parent?: string;
}

/** One step of the digest, normalised (events are folded into this shape too). */
export interface PreviewStep {
  op: string;
  urn: string;
  oldState?: ResourceState;
  newState?: ResourceState;
  replaceReasons?: string[];
  diffReasons?: string[];
}

/** `urn:pulumi:<stack>::<project>::<parent types$type>::<name>` → the resource's own type and name. */
export function parseUrn(urn: string): { type: string; name: string; typeChain: string[] } {
  const parts = urn.split("::");
  if (parts.length < 4 || !parts[0].startsWith("urn:pulumi:"))
    throw new KsailError([{ path: "urn", message: `"${urn}" is not a Pulumi URN (urn:pulumi:<stack>::<project>::<type>::<name>)` }]);
  const typeChain = parts[2].split("$");
  return { type: typeChain[typeChain.length - 1], name: parts.slice(3).join("::"), typeChain };
}

export const isObject = (v: unknown): v is Props => v !== null && typeof v === "object" && !Array.isArray(v);

/** The steps of a digest (one JSON object) or of a JSON-lines event stream. Throws KsailError when neither. */
export function readPreview(text: string, source = "preview"): PreviewStep[] {
  const trimmed = text.trim();
  if (trimmed === "") throw new KsailError([{ path: source, message: "is empty; pass the output of `pulumi preview --json`" }]);
  let doc: unknown;
  try {
    doc = JSON.parse(trimmed);
  } catch {
    return readEvents(trimmed, source);
  }
  if (!isObject(doc) || (doc.steps !== undefined && !Array.isArray(doc.steps))) {
    throw new KsailError([
      { path: source, message: "is not a `pulumi preview --json` document (expected an object with a `steps` array)" },
    ]);
  }
  // Fail closed: a document that carries neither steps nor a change summary is not a preview the gate can vouch for
  // (a foreign JSON file, or a preview cut short), and a preview that reported an error did not finish planning.
  if (doc.steps === undefined && doc.changeSummary === undefined) {
    throw new KsailError([
      {
        path: source,
        message:
          "has neither `steps` nor `changeSummary`: not a complete `pulumi preview --json` document (a foreign or truncated file?); the gate passes nothing it cannot read",
      },
    ]);
  }
  failOnErrors(Array.isArray(doc.diagnostics) ? doc.diagnostics : [], source);
  const steps = (doc.steps ?? []) as unknown[];
  return steps.map((s, i) => {
    if (!isObject(s) || typeof s.op !== "string" || typeof s.urn !== "string") {
      throw new KsailError([{ path: `${source}: steps[${i}]`, message: "is not a step (needs string `op` and `urn`)" }]);
    }
    knownOp(s.op, `${source}: steps[${i}]`);
    return s as unknown as PreviewStep;
  });
}

/** A preview whose diagnostics include an error failed: the gate refuses it, quoting the first error (shortened). */
function failOnErrors(diagnostics: unknown[], source: string): void {
  const errors = diagnostics.filter((d) => isObject(d) && d.severity === "error") as Record<string, unknown>[];
  if (errors.length === 0) return;
  const first = String(errors[0].message ?? "")
    .trim()
    .split("\n")[0]
    .slice(0, 200);
  throw new KsailError([
    {
      path: source,
      message: `reports ${errors.length} error(s), so the preview failed (${first || "no message"}); fix the error and run the preview again — the gate does not pass a failed preview`,
    },
  ]);
}

/** `PULUMI_ENABLE_STREAMING_JSON_PREVIEW=true`: one engine event per line; steps come from `resourcePreEvent`. */
function readEvents(text: string, source: string): PreviewStep[] {
  const steps: PreviewStep[] = [];
  let summary = false;
  for (const [i, line] of text.split("\n").entries()) {
    if (line.trim() === "") continue;
    let ev: unknown;
    try {
      ev = JSON.parse(line);
    } catch {
      throw new KsailError([
        { path: `${source}: line ${i + 1}`, message: "is neither a `pulumi preview --json` document nor a JSON engine event" },
      ]);
    }
    if (isObject(ev) && isObject(ev.diagnosticEvent)) failOnErrors([ev.diagnosticEvent], `${source}: line ${i + 1}`);
    if (isObject(ev) && ev.cancelEvent !== undefined)
      throw new KsailError([{ path: `${source}: line ${i + 1}`, message: "the preview was cancelled; run it again to completion" }]);
    if (isObject(ev) && isObject(ev.summaryEvent)) summary = true;
    const m = isObject(ev) && isObject(ev.resourcePreEvent) ? ev.resourcePreEvent.metadata : undefined;
    if (!isObject(m) || typeof m.op !== "string" || typeof m.urn !== "string") continue;
    knownOp(m.op, `${source}: line ${i + 1}`);
    steps.push({
      op: m.op,
      urn: m.urn,
      oldState: isObject(m.old) ? (m.old as ResourceState) : undefined,
      newState: isObject(m.new) ? (m.new as ResourceState) : undefined,
      replaceReasons: Array.isArray(m.keys) ? (m.keys as string[]) : undefined,
      diffReasons: Array.isArray(m.diffs) ? (m.diffs as string[]) : undefined,
    });
  }
  // The engine ends a finished preview's event stream with its summary; without it the stream was cut short.
  if (!summary)
    throw new KsailError([
      {
        path: source,
        message:
          "is an engine event stream without its `summaryEvent`: the preview did not finish (cut short, or still running); the gate passes nothing it cannot read",
      },
    ]);
  return steps;
}

/** Steps per URN; a replacement's sub-steps (create-replacement, delete-replaced) merge into one `replace`. */
export function mergeSteps(steps: PreviewStep[]): PreviewStep[] {
  const byUrn = new Map<string, PreviewStep>();
  for (const s of steps) {
    const prev = byUrn.get(s.urn);
    const op = REPLACE_OPS.has(s.op) ? "replace" : s.op;
    if (!prev) {
      byUrn.set(s.urn, { ...s, op });
      continue;
    }
    byUrn.set(s.urn, {
      op: REPLACE_OPS.has(prev.op) || op === "replace" ? "replace" : prev.op,
      urn: s.urn,
      oldState: prev.oldState ?? s.oldState,
      newState: prev.newState ?? s.newState,
      replaceReasons: [...new Set([...(prev.replaceReasons ?? []), ...(s.replaceReasons ?? [])])],
      diffReasons: [...new Set([...(prev.diffReasons ?? []), ...(s.diffReasons ?? [])])],
    });
  }
  return [...byUrn.values()];
}
