/**
 * The controls of `ksail-pulumi workload scan`: the NSA/CISA hardening controls a manifest can answer, with the
 * control IDs and names of Kubescape's NSA framework. Each judges the resources it applies to.
 */
import type { Control, ScanResource } from "./scanTypes";

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
