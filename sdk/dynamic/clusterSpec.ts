import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { groupByClass, recreateTrigger, redactSpec, type ImpactSummary } from "../impact";
import { KsailError } from "../errors";
import type { Spec } from "../config";
import { trampoline } from "./trampoline";

export interface ClusterSpecArgs {
  /**
   * The parsed cluster spec (`loadClusterConfig(...).spec` or `parseClusterDocument(...).document.spec`),
   * a plain value: it decides the shape of the cluster. Stored with the registry password redacted.
   * Applied in place, nodes reboot, nodes are replaced one at a time, or recreates the cluster: field by
   * field, as the impact table (docs/impact.md) says for the spec's distribution × provider.
   */
  spec: Spec;
}

/** Path of the first Output (or Promise) inside a value, if any. */
function outputAt(v: unknown, at: string): string | undefined {
  if (pulumi.Output.isInstance(v) || v instanceof Promise) return at;
  if (Array.isArray(v)) {
    for (const [i, x] of v.entries()) {
      const p = outputAt(x, `${at}[${i}]`);
      if (p) return p;
    }
  } else if (v !== null && typeof v === "object") {
    for (const [k, x] of Object.entries(v)) {
      const p = outputAt(x, `${at}.${k}`);
      if (p) return p;
    }
  }
  return undefined;
}

/** The spec decides the cluster's shape, so it must be plain data (no Outputs); returned redacted. */
function plainSpec(spec: Spec): Spec {
  const at = outputAt(spec, "spec");
  if (at)
    throw new KsailError([
      {
        path: at,
        message:
          "is a Pulumi Output; the cluster spec must be plain values because it decides the cluster's shape (load it with loadClusterConfig or clusterConfigFromStack)",
      },
    ]);
  return redactSpec(spec);
}

/** One provider object shared by every ClusterSpec (serialized once; a trampoline into clusterSpec.impl). */
const provider = trampoline(path.join(__dirname, "clusterSpec.impl.js"), "handler", ["check", "diff", "update", "delete"]);

/**
 * The record of the applied spec inside a stack, and what makes `pulumi preview` tell the impact class
 * of a change. Its inputs are the spec's compared values grouped by class — `inPlace`, `rebootRequired`,
 * `rollingRecreate`, `recreateRequired` — so the preview shows `[diff: ~rebootRequired]`; a
 * recreate-class change shows as `+- replace` (delete before replace), and `diff` prints the change
 * table (field, before, after, class) as a preview diagnostic. Its `recreateTrigger` goes into every
 * infrastructure resource's `replacementTrigger`, so a recreate-class change replaces them in the same
 * preview.
 *
 * @example
 * const record = new ClusterSpec(`${name}-spec`, { spec: config.spec }, { parent: this });
 * new docker.Network(`${name}-network`, {...}, { parent: this, replacementTrigger: record.recreateTrigger });
 */
export class ClusterSpec extends pulumi.dynamic.Resource {
  /** The spec last applied (registry password redacted). */
  declare readonly appliedSpec: pulumi.Output<Spec>;
  /** The impact of the last update, in KSail's JSON shape (empty after create). */
  declare readonly impact: pulumi.Output<ImpactSummary>;
  declare readonly inPlace: pulumi.Output<Record<string, string>>;
  declare readonly rebootRequired: pulumi.Output<Record<string, string>>;
  declare readonly rollingRecreate: pulumi.Output<Record<string, string>>;
  declare readonly recreateRequired: pulumi.Output<Record<string, string>>;
  /** Hash of the recreate-class values (`recreateTrigger(spec)`), known at construction. */
  readonly recreateTrigger: string;

  constructor(name: string, args: ClusterSpecArgs, opts?: pulumi.CustomResourceOptions) {
    const spec = plainSpec(args.spec);
    super(provider, name, { __spec: spec, ...groupByClass(spec), appliedSpec: undefined, impact: undefined }, opts, "ksail", "ClusterSpec");
    this.recreateTrigger = recreateTrigger(spec);
  }
}
