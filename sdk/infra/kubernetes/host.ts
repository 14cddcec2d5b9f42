/**
 * What every nested cluster shares on its host: the Kubernetes provider built from the host kubeconfig, the
 * namespace that carries the recreate key (replacing it deletes the nested cluster with it), and a Gateway with a
 * TCPRoute in front of the nested API server. Used by the k3k (./k3k.ts) and vCluster (./vcluster.ts) tiers.
 */
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import * as YAML from "yaml";

/** How a nested cluster reaches its host, and the settings every nested tier takes. */
export interface NestedHostArgs {
  /** Host cluster kubeconfig (kept secret). */
  readonly hostKubeconfig: pulumi.Input<string>;
  /** Host kubeconfig context; empty = its current context. */
  readonly hostContext?: string;
  /** NodePort front: the node address clients dial. @default the host kubeconfig's API server host */
  readonly hostAddress?: pulumi.Input<string>;
  /** Seconds the API front may take to get an address, and the nested cluster to be ready. @default 600 */
  readonly createTimeoutSeconds?: number;
}

/** What every nested tier hands back. */
export interface NestedInfra {
  readonly hostProvider: k8s.Provider;
  /** The nested cluster's admin kubeconfig, server set to the API front (secret). */
  readonly kubeconfig: pulumi.Output<string>;
  /** `https://<front address>:<port>`. */
  readonly endpoint: pulumi.Output<string>;
  /** Everything created, for ordering and the destroy guard. */
  readonly resources: pulumi.Resource[];
}

/** Namespace annotation holding the hash of what cannot change in place. */
export const RECREATE_KEY = "ksail.dev/recreate-key";

/** The kubeconfig with every cluster's `server` replaced. */
export function withServer(kubeconfig: string, server: string): string {
  const doc = YAML.parse(kubeconfig) as { clusters?: { cluster?: { server?: string } }[] };
  for (const c of doc?.clusters ?? []) if (c.cluster) c.cluster.server = server;
  return YAML.stringify(doc);
}

/**
 * The kubeconfig with every cluster's `tls-server-name` set: the API server's certificate is then checked against
 * `name` (a name every kubeadm serving certificate holds, such as `kubernetes`) instead of the front's address.
 */
export function withTlsServerName(kubeconfig: string, name: string): string {
  const doc = YAML.parse(kubeconfig) as { clusters?: { cluster?: Record<string, unknown> }[] };
  for (const c of doc?.clusters ?? []) if (c.cluster) c.cluster["tls-server-name"] = name;
  return YAML.stringify(doc);
}

/** The first address of a LoadBalancer Service's or a Gateway's status. */
export function firstAddress(addresses: { ip?: string; hostname?: string; value?: string }[] | undefined): string {
  const a = addresses?.[0];
  return a?.ip || a?.hostname || a?.value || "";
}

/** Custom create/update timeouts of the waits on the host, when the caller sets one. */
export function createTimeouts(seconds: number | undefined): pulumi.CustomResourceOptions {
  return seconds ? { customTimeouts: { create: `${seconds}s`, update: `${seconds}s` } } : {};
}

/**
 * The nested cluster's endpoint at its API front, and the admin kubeconfig a Secret holds (base64 under `key`),
 * pointed at that endpoint (secret).
 */
export function kubeconfigAtFront(
  secretData: pulumi.Output<Record<string, string> | undefined>,
  key: string,
  where: string,
  front: { address: pulumi.Output<string>; port: pulumi.Output<number> },
): { endpoint: pulumi.Output<string>; kubeconfig: pulumi.Output<string> } {
  const endpoint = pulumi.interpolate`https://${front.address}:${front.port}`;
  const kubeconfig = pulumi.secret(
    pulumi.all([secretData, endpoint]).apply(([data, server]) => {
      const raw = data?.[key];
      if (!raw) throw new Error(`${where} has no ${key}`);
      return withServer(Buffer.from(raw, "base64").toString("utf8"), server);
    }),
  );
  return { endpoint, kubeconfig };
}

/** The host's provider. A new host kubeconfig (rotated token, another path to the same host) updates it in place. */
export function hostProvider(
  name: string,
  args: { hostKubeconfig: pulumi.Input<string>; hostContext?: string; identity: string },
  parent: pulumi.Resource,
): k8s.Provider {
  return new k8s.Provider(
    `${name}-host`,
    {
      kubeconfig: pulumi.secret(args.hostKubeconfig),
      ...(args.hostContext ? { context: args.hostContext } : {}),
      deleteUnreachable: false,
      // Without it a new kubeconfig would replace the provider and, with it, every object on the host.
      clusterIdentifier: `ksail-host-${args.identity}`,
    },
    { parent },
  );
}

/**
 * Pod Security Admission labels of a namespace whose pods run privileged (k3k's servers and agents, the
 * Docker-in-Docker engine): hosts that enforce `baseline` by default (Talos does, for every namespace without a
 * label) would refuse those pods, and the nested cluster would never start. KSail labels these namespaces the same way.
 */
export const PRIVILEGED_NAMESPACE: Readonly<Record<string, string>> = {
  "pod-security.kubernetes.io/enforce": "privileged",
  "pod-security.kubernetes.io/audit": "privileged",
  "pod-security.kubernetes.io/warn": "privileged",
};

/**
 * The nested cluster's namespace. A recreate goes through it: it is replaced (deleted first, which deletes the
 * nested cluster with it) when its recreate key changes. Everything in it takes its name from the namespace's
 * output, unknown in such a preview, so the plugin does not dry-run the new objects against the old ones (it
 * previews a replacement as an apply on the existing object, pulumi/pulumi-kubernetes#3984) and the preview shows
 * the replacement instead of failing.
 */
export function recreatableNamespace(
  name: string,
  namespace: string,
  recreateKey: string,
  opts: pulumi.CustomResourceOptions,
  /** Labels (changed in place), e.g. `PRIVILEGED_NAMESPACE`. */
  labels?: Readonly<Record<string, string>>,
): k8s.core.v1.Namespace {
  return new k8s.core.v1.Namespace(
    `${name}-namespace`,
    { metadata: { name: namespace, annotations: { [RECREATE_KEY]: recreateKey }, ...(labels ? { labels: { ...labels } } : {}) } },
    { ...opts, replaceOnChanges: [`metadata.annotations["${RECREATE_KEY}"]`], deleteBeforeReplace: true },
  );
}

/** A Gateway of `gatewayClassName` with a TCP listener, and a TCPRoute to `backend`; the address is the Gateway's first. */
export function gatewayFront(
  name: string,
  x: {
    gatewayClassName: string;
    gateway: string;
    route: string;
    port: number;
    backend: { service: string; port: number };
  },
  namespace: { plain: string; output: pulumi.Input<string>; resource: pulumi.Resource },
  opts: pulumi.CustomResourceOptions,
  /** The Gateway's wait for its address (custom timeouts). */
  wait: pulumi.CustomResourceOptions = {},
  /** What the front serves, in the resource names. */
  role = "api",
): { address: pulumi.Output<string>; resources: pulumi.Resource[] } {
  const listener = role === "api" ? "kube-api" : role;
  const gateway = new k8s.apiextensions.CustomResource(
    `${name}-${role}-gateway`,
    {
      apiVersion: "gateway.networking.k8s.io/v1",
      kind: "Gateway",
      metadata: {
        name: x.gateway,
        namespace: namespace.plain,
        annotations: { "pulumi.com/waitFor": "jsonpath={.status.addresses[0].value}" },
      },
      spec: { gatewayClassName: x.gatewayClassName, listeners: [{ name: listener, protocol: "TCP", port: x.port }] },
      // Declared (never sent) so the Gateway's status is an output: a CustomResource has outputs only for its argument keys.
      status: undefined,
    },
    { ...opts, ...wait, dependsOn: [namespace.resource] },
  );
  const route = new k8s.apiextensions.CustomResource(
    `${name}-${role}-route`,
    {
      apiVersion: "gateway.networking.k8s.io/v1alpha2",
      kind: "TCPRoute",
      metadata: { name: x.route, namespace: namespace.output },
      spec: {
        parentRefs: [{ name: x.gateway, sectionName: listener }],
        rules: [{ backendRefs: [{ name: x.backend.service, port: x.backend.port }] }],
      },
    },
    { ...opts, dependsOn: [gateway] },
  );
  const address = (gateway as unknown as { status: pulumi.Output<any> }).status.apply((s) => firstAddress(s?.addresses));
  return { address, resources: [gateway, route] };
}

/**
 * A LoadBalancer Service of its own in front of the nested API server's pods; the address is its first ingress. It
 * waits for the address only: the plugin's own Service readiness also waits for endpoints, i.e. for the pods, which
 * start only after the nested cluster is created, and that needs this address (a SAN) first.
 */
export function loadBalancerFront(
  name: string,
  x: { service: string; port: number; targetPort: number; selector: Readonly<Record<string, string>> },
  namespace: { output: pulumi.Input<string>; resource: pulumi.Resource },
  opts: pulumi.CustomResourceOptions,
  role = "api",
): { address: pulumi.Output<string>; resources: pulumi.Resource[] } {
  const service = new k8s.core.v1.Service(
    `${name}-${role}`,
    {
      metadata: {
        name: x.service,
        namespace: namespace.output,
        annotations: { "pulumi.com/waitFor": "jsonpath={.status.loadBalancer.ingress}" },
      },
      spec: {
        type: "LoadBalancer",
        selector: { ...x.selector },
        ports: [{ name: "https", port: x.port, targetPort: x.targetPort, protocol: "TCP" }],
      },
    },
    { ...opts, dependsOn: [namespace.resource] },
  );
  return { address: service.status.apply((s) => firstAddress(s?.loadBalancer?.ingress)), resources: [service] };
}

/** The host name of the API server a kubeconfig's context (else its current context) points at. */
export function kubeconfigServerHost(kubeconfig: string, context?: string): string {
  const doc = YAML.parse(kubeconfig) as {
    "current-context"?: string;
    contexts?: { name?: string; context?: { cluster?: string } }[];
    clusters?: { name?: string; cluster?: { server?: string } }[];
  };
  const ctx = doc?.contexts?.find((c) => c.name === (context || doc["current-context"]));
  const cluster =
    doc?.clusters?.find((c) => c.name === ctx?.context?.cluster) ?? (doc?.clusters?.length === 1 ? doc.clusters[0] : undefined);
  const server = cluster?.cluster?.server;
  if (!server) throw new Error(`the host kubeconfig has no server for context "${context || doc?.["current-context"] || ""}"`);
  return new URL(server).hostname.replace(/^\[(.*)\]$/, "$1");
}

/**
 * A NodePort Service of its own in front of the nested API server's pods, for hosts without a load balancer (as
 * KSail falls back to one). It is reached at `address` (a node address; by default the host API server's host, which
 * is a node on single-node hosts such as kind or k3s) and the port Kubernetes allocates.
 */
export function nodePortFront(
  name: string,
  x: { service: string; port: number; targetPort: number; selector: Readonly<Record<string, string>> },
  address: pulumi.Input<string>,
  namespace: { output: pulumi.Input<string>; resource: pulumi.Resource },
  opts: pulumi.CustomResourceOptions,
  role = "api",
): { address: pulumi.Output<string>; port: pulumi.Output<number>; resources: pulumi.Resource[] } {
  const service = new k8s.core.v1.Service(
    `${name}-${role}`,
    {
      metadata: { name: x.service, namespace: namespace.output, annotations: { "pulumi.com/skipAwait": "true" } },
      spec: {
        type: "NodePort",
        selector: { ...x.selector },
        // The same Service port as the LoadBalancer front, so that switching between the two updates one port.
        ports: [{ name: "https", port: x.port, targetPort: x.targetPort, protocol: "TCP" }],
      },
    },
    { ...opts, dependsOn: [namespace.resource] },
  );
  return {
    address: pulumi.output(address),
    port: service.spec.apply((s) => s?.ports?.[0]?.nodePort ?? 0),
    resources: [service],
  };
}

/** The API front of an exposure plan: its address (a SAN of the nested API server), port and resources. */
export function apiFront(
  name: string,
  x:
    | { kind: "LoadBalancer"; service: string; port: number; selector: Readonly<Record<string, string>> }
    | { kind: "NodePort"; service: string; port: number; selector: Readonly<Record<string, string>> }
    | {
        kind: "Gateway";
        gatewayClassName: string;
        gateway: string;
        route: string;
        port: number;
        backend: { service: string; port: number };
      },
  targetPort: number,
  ctx: {
    namespace: { plain: string; output: pulumi.Input<string>; resource: pulumi.Resource };
    host: NestedHostArgs;
    opts: pulumi.CustomResourceOptions;
    wait: pulumi.CustomResourceOptions;
    /** What the front serves, in the resource names. @default "api" */
    role?: string;
  },
): { address: pulumi.Output<string>; port: pulumi.Output<number>; resources: pulumi.Resource[] } {
  const role = ctx.role ?? "api";
  if (x.kind === "Gateway") {
    const f = gatewayFront(name, x, ctx.namespace, ctx.opts, ctx.wait, role);
    return { ...f, port: pulumi.output(x.port) };
  }
  if (x.kind === "NodePort") {
    const h = ctx.host;
    const address = h.hostAddress ?? pulumi.output(h.hostKubeconfig).apply((k) => kubeconfigServerHost(k, h.hostContext));
    return nodePortFront(name, { ...x, targetPort }, address, ctx.namespace, ctx.opts, role);
  }
  const f = loadBalancerFront(name, { ...x, targetPort }, ctx.namespace, { ...ctx.opts, ...ctx.wait }, role);
  return { ...f, port: pulumi.output(x.port) };
}

/** A nested cluster whose workloads KSailCluster defines itself on the host (KWOK's processes, the Docker-in-Docker engine). */
export interface WorkloadHostArgs extends NestedHostArgs {
  /** The namespace's recreate key; KSailCluster passes its recreate trigger. */
  readonly recreateKey: string;
  /** Wait for the workloads' pods to be ready. @default true; false only where no kubelet runs pods (tests). */
  readonly awaitWorkloads?: boolean;
}

/**
 * What such a cluster starts from on its host: the host provider, the options of objects on it, the create timeouts
 * and the namespace (with its recreate key and `labels`), also in the shape the fronts take.
 */
export function workloadHost(
  name: string,
  namespaceName: string,
  host: WorkloadHostArgs,
  ctx: { parent: pulumi.Resource; protect: boolean },
  labels?: Readonly<Record<string, string>>,
) {
  const provider = hostProvider(
    name,
    { hostKubeconfig: host.hostKubeconfig, hostContext: host.hostContext, identity: namespaceName },
    ctx.parent,
  );
  const onHost = { parent: ctx.parent, provider };
  const namespace = recreatableNamespace(name, namespaceName, host.recreateKey, { ...onHost, protect: ctx.protect }, labels);
  return {
    hostProvider: provider,
    onHost,
    timeouts: createTimeouts(host.createTimeoutSeconds),
    namespace,
    inNs: { plain: namespaceName, output: namespace.metadata.name, resource: namespace as pulumi.Resource },
    /** For the workloads: no wait on their pods when asked (tests without a kubelet). */
    noAwait: host.awaitWorkloads === false ? { annotations: { "pulumi.com/skipAwait": "true" } } : {},
  };
}
