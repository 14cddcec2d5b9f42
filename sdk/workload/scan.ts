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
import * as path from "node:path";
import * as YAML from "yaml";

export type Severity = "Low" | "Medium" | "High" | "Critical";

export interface ScanResource {
  readonly file: string;
  readonly apiVersion: string;
  readonly kind: string;
  readonly name: string;
  readonly namespace: string;
  readonly object: Record<string, any>;
}

export interface Control {
  readonly id: string;
  readonly name: string;
  readonly severity: Severity;
  /** What a failure means and how to fix it. */
  readonly remediation: string;
  /** The resources the control judges. */
  applies(r: ScanResource): boolean;
  /** The reasons it fails (empty: passes). `all` is every resource of the scan (for cross-resource controls). */
  check(r: ScanResource, all: readonly ScanResource[]): string[];
}

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

const WORKLOAD_KINDS = new Set(["Pod", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob", "ReplicationController"]);

/** The pod spec of a workload (CronJob: its job template's). */
export function podSpec(r: ScanResource): Record<string, any> | undefined {
  const o = r.object;
  if (r.kind === "Pod") return o.spec;
  if (r.kind === "CronJob") return o.spec?.jobTemplate?.spec?.template?.spec;
  return o.spec?.template?.spec;
}

function podLabels(r: ScanResource): Record<string, string> {
  const o = r.object;
  if (r.kind === "Pod") return o.metadata?.labels ?? {};
  if (r.kind === "CronJob") return o.spec?.jobTemplate?.spec?.template?.metadata?.labels ?? {};
  return o.spec?.template?.metadata?.labels ?? {};
}

interface Container {
  readonly where: string;
  readonly c: Record<string, any>;
}

function containers(r: ScanResource): Container[] {
  const s = podSpec(r) ?? {};
  return [
    ...((s.initContainers ?? []) as Record<string, any>[]).map((c) => ({ where: `initContainer ${c.name}`, c })),
    ...((s.containers ?? []) as Record<string, any>[]).map((c) => ({ where: `container ${c.name}`, c })),
  ];
}

const isWorkload = (r: ScanResource) => WORKLOAD_KINDS.has(r.kind);
const each = (r: ScanResource, f: (c: Container) => string | undefined): string[] =>
  containers(r)
    .map(f)
    .filter((x): x is string => x !== undefined);

/** Capabilities Kubescape's C-0046 calls insecure by default (its `insecureCapabilities` setting). */
export const INSECURE_CAPABILITIES = [
  "SETPCAP",
  "NET_ADMIN",
  "NET_RAW",
  "SYS_MODULE",
  "SYS_RAWIO",
  "SYS_PTRACE",
  "SYS_ADMIN",
  "SYS_BOOT",
  "MAC_OVERRIDE",
  "MAC_ADMIN",
  "PERFMON",
  "ALL",
  "BPF",
];
const SENSITIVE_KEY = /(password|passwd|secret|token|api[_-]?key|private[_-]?key|credential|access[_-]?key)/i;
const SECRET_REF = /^\$\{|^ENC\[/;

function selects(selector: Record<string, any> | undefined, labels: Record<string, string>): boolean {
  if (!selector || Object.keys(selector).length === 0) return true;
  for (const [k, v] of Object.entries((selector.matchLabels ?? {}) as Record<string, string>)) if (labels[k] !== v) return false;
  for (const e of (selector.matchExpressions ?? []) as { key: string; operator: string; values?: string[] }[]) {
    const has = e.key in labels;
    const inValues = (e.values ?? []).includes(labels[e.key]);
    if (e.operator === "In" && !(has && inValues)) return false;
    if (e.operator === "NotIn" && has && inValues) return false;
    if (e.operator === "Exists" && !has) return false;
    if (e.operator === "DoesNotExist" && has) return false;
  }
  return true;
}

const policies = (all: readonly ScanResource[], ns: string) =>
  all.filter((p) => p.kind === "NetworkPolicy" && p.apiVersion === "networking.k8s.io/v1" && p.namespace === ns);

/** The manifest-checkable controls of Kubescape's NSA framework, by its control IDs and names. */
export const NSA_CONTROLS: readonly Control[] = [
  {
    id: "C-0009",
    name: "Resource limits",
    severity: "High",
    remediation: "Set resources.limits.cpu and resources.limits.memory on every container.",
    applies: isWorkload,
    check: (r) =>
      each(r, ({ where, c }) => {
        const l = c.resources?.limits ?? {};
        const missing = ["cpu", "memory"].filter((k) => l[k] === undefined);
        return missing.length > 0 ? `${where}: no ${missing.join(" or ")} limit` : undefined;
      }),
  },
  {
    id: "C-0012",
    name: "Applications credentials in configuration files",
    severity: "High",
    remediation: "Move credentials into Secrets (referenced with secretKeyRef or mounted), not literal env values or ConfigMap data.",
    applies: (r) => isWorkload(r) || r.kind === "ConfigMap",
    check: (r) => {
      if (r.kind === "ConfigMap")
        return Object.entries((r.object.data ?? {}) as Record<string, unknown>)
          .filter(([k, v]) => SENSITIVE_KEY.test(k) && typeof v === "string" && v !== "" && !SECRET_REF.test(v))
          .map(([k]) => `data.${k} looks like a credential`);
      return containers(r).flatMap(({ where, c }) =>
        ((c.env ?? []) as { name: string; value?: unknown }[])
          .filter((e) => SENSITIVE_KEY.test(e.name) && typeof e.value === "string" && e.value !== "" && !SECRET_REF.test(e.value))
          .map((e) => `${where}: env ${e.name} holds a literal credential`),
      );
    },
  },
  {
    id: "C-0013",
    name: "Non-root containers",
    severity: "Medium",
    remediation: "Set securityContext.runAsNonRoot: true (or a non-zero runAsUser) on the pod or every container.",
    applies: isWorkload,
    check: (r) => {
      const pod = podSpec(r)?.securityContext ?? {};
      return each(r, ({ where, c }) => {
        const sc = c.securityContext ?? {};
        const user = sc.runAsUser ?? pod.runAsUser;
        const nonRoot = sc.runAsNonRoot ?? pod.runAsNonRoot;
        if (user === 0) return `${where}: runs as user 0`;
        return nonRoot === true || (typeof user === "number" && user > 0) ? undefined : `${where}: may run as root`;
      });
    },
  },
  {
    id: "C-0016",
    name: "Allow privilege escalation",
    severity: "Medium",
    remediation: "Set securityContext.allowPrivilegeEscalation: false on every container.",
    applies: isWorkload,
    check: (r) =>
      each(r, ({ where, c }) =>
        c.securityContext?.allowPrivilegeEscalation === false && c.securityContext?.privileged !== true
          ? undefined
          : `${where}: allowPrivilegeEscalation is not false`,
      ),
  },
  {
    id: "C-0017",
    name: "Immutable container filesystem",
    severity: "Low",
    remediation: "Set securityContext.readOnlyRootFilesystem: true and mount writable volumes where needed.",
    applies: isWorkload,
    check: (r) =>
      each(r, ({ where, c }) => (c.securityContext?.readOnlyRootFilesystem === true ? undefined : `${where}: root filesystem is writable`)),
  },
  {
    id: "C-0030",
    name: "Ingress and Egress blocked",
    severity: "Medium",
    remediation: "Add NetworkPolicies selecting the workload's pods for both Ingress and Egress.",
    applies: isWorkload,
    check: (r, all) => {
      const labels = podLabels(r);
      const mine = policies(all, r.namespace).filter((p) => selects(p.object.spec?.podSelector, labels));
      const types = new Set(
        mine.flatMap(
          (p) => (p.object.spec?.policyTypes as string[] | undefined) ?? (p.object.spec?.egress ? ["Ingress", "Egress"] : ["Ingress"]),
        ),
      );
      const missing = ["Ingress", "Egress"].filter((t) => !types.has(t));
      return missing.length > 0 ? [`no NetworkPolicy restricts ${missing.join(" or ")} of its pods`] : [];
    },
  },
  {
    id: "C-0034",
    name: "Automatic mapping of service account",
    severity: "Medium",
    remediation: "Set automountServiceAccountToken: false on the pod (or its ServiceAccount) unless it calls the Kubernetes API.",
    applies: (r) => isWorkload(r) || r.kind === "ServiceAccount",
    check: (r, all) => {
      if (r.kind === "ServiceAccount")
        return r.object.automountServiceAccountToken === false ? [] : ["automountServiceAccountToken is not false"];
      const s = podSpec(r) ?? {};
      if (s.automountServiceAccountToken !== undefined)
        return s.automountServiceAccountToken === false ? [] : ["automountServiceAccountToken is true"];
      const saName = s.serviceAccountName ?? "default";
      const sa = all.find((x) => x.kind === "ServiceAccount" && x.name === saName && x.namespace === r.namespace);
      return sa?.object.automountServiceAccountToken === false ? [] : [`the token of service account ${saName} is mounted`];
    },
  },
  {
    id: "C-0035",
    name: "Cluster-admin binding",
    severity: "High",
    remediation: "Bind narrower roles than cluster-admin.",
    applies: (r) => (r.kind === "ClusterRoleBinding" || r.kind === "RoleBinding") && r.apiVersion.startsWith("rbac.authorization.k8s.io/"),
    check: (r) => (r.object.roleRef?.kind === "ClusterRole" && r.object.roleRef?.name === "cluster-admin" ? ["binds cluster-admin"] : []),
  },
  {
    id: "C-0038",
    name: "Host PID/IPC privileges",
    severity: "High",
    remediation: "Remove hostPID and hostIPC.",
    applies: isWorkload,
    check: (r) => ["hostPID", "hostIPC"].filter((k) => podSpec(r)?.[k] === true).map((k) => `${k} is true`),
  },
  {
    id: "C-0041",
    name: "HostNetwork access",
    severity: "High",
    remediation: "Remove hostNetwork.",
    applies: isWorkload,
    check: (r) => (podSpec(r)?.hostNetwork === true ? ["hostNetwork is true"] : []),
  },
  {
    id: "C-0044",
    name: "Container hostPort",
    severity: "Medium",
    remediation: "Expose ports through a Service instead of hostPort.",
    applies: isWorkload,
    check: (r) =>
      each(r, ({ where, c }) => {
        const ports = ((c.ports ?? []) as { hostPort?: number }[]).filter((p) => p.hostPort !== undefined).map((p) => p.hostPort);
        return ports.length > 0 ? `${where}: hostPort ${ports.join(", ")}` : undefined;
      }),
  },
  {
    id: "C-0046",
    name: "Insecure capabilities",
    severity: "High",
    remediation: "Do not add the capabilities listed; drop ALL and add back only what the process needs.",
    applies: isWorkload,
    check: (r) =>
      each(r, ({ where, c }) => {
        const bad = ((c.securityContext?.capabilities?.add ?? []) as string[]).filter((x) =>
          INSECURE_CAPABILITIES.includes(String(x).toUpperCase().replace(/^CAP_/, "")),
        );
        return bad.length > 0 ? `${where}: adds ${bad.join(", ")}` : undefined;
      }),
  },
  {
    id: "C-0054",
    name: "Cluster internal networking",
    severity: "Medium",
    remediation: "Give every namespace a NetworkPolicy (a default-deny one, then what each app needs).",
    applies: (r) => r.kind === "Namespace" && r.apiVersion === "v1",
    check: (r, all) => (policies(all, r.name).length > 0 ? [] : ["no NetworkPolicy in this namespace"]),
  },
  {
    id: "C-0055",
    name: "Linux hardening",
    severity: "Medium",
    remediation: "Set a seccompProfile (RuntimeDefault), an AppArmor profile, SELinux options, or drop capabilities.",
    applies: isWorkload,
    check: (r) => {
      const pod = podSpec(r)?.securityContext ?? {};
      return each(r, ({ where, c }) => {
        const sc = c.securityContext ?? {};
        const hardened =
          sc.seccompProfile ?? pod.seccompProfile ?? sc.appArmorProfile ?? pod.appArmorProfile ?? sc.seLinuxOptions ?? pod.seLinuxOptions;
        const drops = ((sc.capabilities?.drop ?? []) as string[]).length > 0;
        return hardened || drops ? undefined : `${where}: no seccomp, AppArmor or SELinux profile and no dropped capabilities`;
      });
    },
  },
  {
    id: "C-0057",
    name: "Privileged container",
    severity: "High",
    remediation: "Remove securityContext.privileged.",
    applies: isWorkload,
    check: (r) => each(r, ({ where, c }) => (c.securityContext?.privileged === true ? `${where}: privileged` : undefined)),
  },
];

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
  const walk = (p: string) => {
    if (fs.statSync(p).isDirectory()) {
      for (const e of fs.readdirSync(p).sort()) if (!e.startsWith(".")) walk(path.join(p, e));
    } else if (/\.(ya?ml|json)$/i.test(p)) files.push(p);
  };

  for (const p of paths) walk(p);
  const out: ScanResource[] = [];
  for (const file of files) {
    for (const doc of YAML.parseAllDocuments(fs.readFileSync(file, "utf8"))) {
      if (doc.errors.length > 0) throw new Error(`${file}: not valid YAML: ${doc.errors[0].message.split("\n")[0]}`);
      const o = doc.toJS() as Record<string, any> | null;
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

const xml = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

/** Text report: one line per failing resource and control, then the controls and the score. */
export function formatPretty(r: ScanResult, cwd = process.cwd()): string {
  const lines: string[] = [];
  for (const f of r.findings)
    lines.push(
      `${path.relative(cwd, f.file) || f.file}: ${f.kind}/${f.name}${f.namespace ? ` (${f.namespace})` : ""}: ${f.controlId} ${r.controls.find((c) => c.id === f.controlId)?.name}: ${f.reasons.join("; ")}${f.exception ? ` [excepted: ${f.exception}]` : ""}`,
    );
  lines.push("");
  for (const c of r.controls)
    lines.push(`${c.id} ${c.name} (${c.severity}): ${c.score === undefined ? "no resources" : `${c.passed} passed, ${c.failed} failed`}`);
  lines.push(`compliance score (${r.framework}, ${r.resources} resources): ${r.complianceScore}%`);
  return lines.join("\n");
}

/** SARIF 2.1.0: one rule per control, one result per failing resource and control (excepted ones suppressed). */
export function formatSarif(r: ScanResult, cwd = process.cwd()): string {
  const level = (s: Severity) => (s === "Low" ? "note" : s === "Medium" ? "warning" : "error");
  return JSON.stringify(
    {
      $schema: "https://json.schemastore.org/sarif-2.1.0.json",
      version: "2.1.0",
      runs: [
        {
          tool: {
            driver: {
              name: "ksail-pulumi workload scan",
              informationUri: "https://github.com/devantler-tech/ksail",
              rules: r.controls.map((c) => ({
                id: c.id,
                name: c.name.replace(/[^A-Za-z0-9]+/g, ""),
                shortDescription: { text: c.name },
                help: { text: c.remediation },
                defaultConfiguration: { level: level(c.severity) },
              })),
            },
          },
          results: r.findings.map((f) => {
            const c = r.controls.find((x) => x.id === f.controlId)!;
            return {
              ruleId: f.controlId,
              level: level(c.severity),
              message: { text: `${f.kind}/${f.name}: ${f.reasons.join("; ")}` },
              locations: [{ physicalLocation: { artifactLocation: { uri: path.relative(cwd, f.file).split(path.sep).join("/") } } }],
              ...(f.exception ? { suppressions: [{ kind: "external", justification: f.exception }] } : {}),
            };
          }),
        },
      ],
    },
    null,
    2,
  );
}

/** JUnit XML: a test suite per control, a test case per judged resource that failed it (passes are counted). */
export function formatJunit(r: ScanResult): string {
  const suites = r.controls.map((c) => {
    const fails = r.findings.filter((f) => f.controlId === c.id && !f.exception);
    const cases = fails
      .map(
        (f) =>
          `    <testcase classname="${xml(c.id)}" name="${xml(`${f.kind}/${f.name}`)}" file="${xml(f.file)}"><failure message="${xml(f.reasons.join("; "))}">${xml(c.remediation)}</failure></testcase>`,
      )
      .join("\n");
    return `  <testsuite name="${xml(`${c.id} ${c.name}`)}" tests="${c.passed + c.failed}" failures="${c.failed}">${cases ? `\n${cases}\n  ` : ""}</testsuite>`;
  });
  const tests = r.controls.reduce((a, c) => a + c.passed + c.failed, 0);
  const failures = r.controls.reduce((a, c) => a + c.failed, 0);
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="${xml(r.framework)}" tests="${tests}" failures="${failures}">\n${suites.join("\n")}\n</testsuites>\n`;
}
