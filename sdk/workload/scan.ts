/**
 * `ksail-pulumi workload scan`: the NSA/CISA Kubernetes Hardening Guidance controls that can be judged from
 * manifests alone, offline, with the control IDs and names of Kubescape's NSA framework (which KSail's
 * `workload scan` runs). Each control looks at the resources it applies to (workloads, RBAC bindings, namespaces,
 * ConfigMaps); a resource passes or fails it.
 *
 * The score works like Kubescape's compliance score: a control scores the share of its resources that pass
 * (controls with no resource are left out), the framework scores the mean of its controls, 0–100. It is not
 * Kubescape's number: Kubescape also runs the framework's cluster controls (API server flags, audit logs, etcd
 * encryption, kubelet TLS, the CVE checks), which no manifest shows, and its rules differ in detail from the
 * checks here. Exceptions use Kubescape's exception file shape (`postureExceptionPolicy`: resources by kind,
 * name and namespace, controls by ID); an excepted failure counts as passed and is listed.
 */
import * as fs from "node:fs";
import * as YAML from "yaml";
import { listManifestFiles } from "./validate";
import { yamlValue } from "../config/yamlValue";
import { KsailError } from "../errors";
import { NSA_CONTROLS } from "./nsaControls";
import type { Control, ScanResource, Severity } from "./scanTypes";

export type { Control, ScanResource, Severity } from "./scanTypes";

/** Kinds without a namespace (the rest default to `default`, as kubectl applies them). */
const CLUSTER_SCOPED = new Set([
  "Namespace",
  "ClusterRole",
  "ClusterRoleBinding",
  "CustomResourceDefinition",
  "PersistentVolume",
  "StorageClass",
  "PriorityClass",
  "IngressClass",
  "ValidatingWebhookConfiguration",
  "MutatingWebhookConfiguration",
]);

export const FRAMEWORKS: Record<string, readonly Control[]> = { nsa: NSA_CONTROLS };

/** A Kubescape posture exception (the fields honoured here). */
export interface PostureException {
  readonly name?: string;
  readonly policyType?: string;
  readonly resources?: readonly { readonly attributes?: { readonly kind?: string; readonly name?: string; readonly namespace?: string } }[];
  readonly posturePolicies?: readonly { readonly controlID?: string; readonly frameworkName?: string }[];
}

export interface Finding {
  readonly controlId: string;
  readonly file: string;
  readonly kind: string;
  readonly name: string;
  readonly namespace: string;
  readonly reasons: readonly string[];
  /** Name of the exception that covers it (counted as passed). */
  readonly exception?: string;
}

export interface ControlResult {
  readonly id: string;
  readonly name: string;
  readonly severity: Severity;
  readonly remediation: string;
  readonly passed: number;
  readonly failed: number;
  /** Passed share of the resources it judged, 0–100; undefined when it judged none. */
  readonly score?: number;
}

export interface ScanResult {
  readonly framework: string;
  readonly resources: number;
  readonly controls: readonly ControlResult[];
  readonly findings: readonly Finding[];
  /** Mean of the controls' scores (0–100, one decimal); 100 when no control judged anything. */
  readonly complianceScore: number;
}

/** Kubescape's attribute values are regular expressions matched against the whole value. */
function matches(pattern: string | undefined, value: string): boolean {
  if (pattern === undefined || pattern === "") return true;
  try {
    return new RegExp(`^(?:${pattern})$`).test(value);
  } catch {
    return pattern === value;
  }
}

function excepted(exceptions: readonly PostureException[], framework: string, f: Omit<Finding, "exception">): string | undefined {
  for (const e of exceptions) {
    if (e.policyType !== undefined && e.policyType !== "postureExceptionPolicy") continue;
    const control = (e.posturePolicies ?? []).some(
      (p) =>
        (p.controlID === undefined || p.controlID === f.controlId) &&
        (p.frameworkName === undefined || p.frameworkName.toLowerCase() === framework),
    );
    const resource = (e.resources ?? []).some(
      (r) => matches(r.attributes?.kind, f.kind) && matches(r.attributes?.name, f.name) && matches(r.attributes?.namespace, f.namespace),
    );
    if (control && resource) return e.name ?? "(unnamed exception)";
  }
  return undefined;
}

/** Every Kubernetes object in the YAML files under `paths` (files or directories). */
export function readResources(paths: readonly string[]): ScanResource[] {
  const files: string[] = [];
  for (const p of paths) listManifestFiles(p, files);
  const out: ScanResource[] = [];
  for (const file of files) {
    for (const doc of YAML.parseAllDocuments(fs.readFileSync(file, "utf8"))) {
      if (doc.errors.length > 0) throw new KsailError([{ path: file, message: `not valid YAML: ${doc.errors[0].message.split("\n")[0]}` }]);
      const v = yamlValue(doc);
      if ("error" in v) throw new KsailError([{ path: file, message: v.error }]);
      const o = v.value as Record<string, any> | null;
      if (!o || typeof o !== "object" || typeof o.kind !== "string" || typeof o.apiVersion !== "string") continue;
      if (o.kind === "Kustomization" && String(o.apiVersion).startsWith("kustomize.config.k8s.io/")) continue;
      out.push({
        file,
        apiVersion: o.apiVersion,
        kind: o.kind,
        name: String(o.metadata?.name ?? ""),
        namespace: CLUSTER_SCOPED.has(o.kind) ? "" : String(o.metadata?.namespace ?? "default"),
        object: o,
      });
    }
  }
  return out;
}

/** Scans resources with a framework's controls. */
export function scanResources(
  resources: readonly ScanResource[],
  opts: { framework?: string; exceptions?: readonly PostureException[] } = {},
): ScanResult {
  const framework = (opts.framework ?? "nsa").toLowerCase();
  const controls = FRAMEWORKS[framework];
  if (!controls)
    throw new Error(`framework "${opts.framework}" is not available offline; available: ${Object.keys(FRAMEWORKS).join(", ")}`);
  const findings: Finding[] = [];
  const results: ControlResult[] = controls.map((c) => {
    let passed = 0;
    let failed = 0;
    for (const r of resources) {
      if (!c.applies(r)) continue;
      const reasons = c.check(r, resources);
      if (reasons.length === 0) {
        passed++;
        continue;
      }
      const base = { controlId: c.id, file: r.file, kind: r.kind, name: r.name, namespace: r.namespace, reasons };
      const exception = excepted(opts.exceptions ?? [], framework, base);
      findings.push(exception ? { ...base, exception } : base);
      if (exception) passed++;
      else failed++;
    }
    const total = passed + failed;
    return {
      id: c.id,
      name: c.name,
      severity: c.severity,
      remediation: c.remediation,
      passed,
      failed,
      ...(total > 0 ? { score: (passed / total) * 100 } : {}),
    };
  });
  const scored = results.filter((r) => r.score !== undefined);
  const complianceScore = scored.length === 0 ? 100 : Math.round((scored.reduce((a, r) => a + r.score!, 0) / scored.length) * 10) / 10;
  return { framework, resources: resources.length, controls: results, findings, complianceScore };
}
