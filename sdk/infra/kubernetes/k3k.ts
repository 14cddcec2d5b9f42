/**
 * K3s nested in a host cluster through rancher/k3k, with @pulumi/kubernetes on a provider built from the host
 * kubeconfig: the operator chart (optional: one per host), the cluster's namespace, the API front (a LoadBalancer
 * Service, or a Gateway with a TCPRoute) whose address becomes a TLS SAN, the `k3k.io/v1beta1` Cluster (the
 * provider waits for `status.phase` Ready), and the admin kubeconfig read back from the Secret k3k's controller
 * writes, pointed at the front. Deleting the Cluster and its namespace tears the nested cluster down.
 */
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import * as YAML from "yaml";
import type { K3kClusterPlan } from "../../plan/k3k";

/** Namespace annotation holding the hash of what k3k cannot change in place. */
export const RECREATE_KEY = "ksail.dev/recreate-key";

export interface K3kInfraArgs {
  /** Host cluster kubeconfig (kept secret). */
  readonly hostKubeconfig: pulumi.Input<string>;
  /** Host kubeconfig context; empty = its current context. */
  readonly hostContext?: string;
  /** Install the k3k operator chart; false when the host already runs it (one operator per host). @default true */
  readonly installOperator?: boolean;
  /** The namespace's recreate key. @default the plan's (k3k's immutable fields); KSailCluster passes its recreate trigger */
  readonly recreateKey?: string;
  /** Seconds the API front may take to get an address, and the Cluster to become Ready. @default 600 */
  readonly createTimeoutSeconds?: number;
}

export interface K3kInfra {
  readonly hostProvider: k8s.Provider;
  readonly cluster: k8s.apiextensions.CustomResource;
  /** The nested cluster's admin kubeconfig, server set to the API front (secret). */
  readonly kubeconfig: pulumi.Output<string>;
  /** `https://<front address>:6443`. */
  readonly endpoint: pulumi.Output<string>;
  /** Everything created, for ordering and the destroy guard. */
  readonly resources: pulumi.Resource[];
}

/** The kubeconfig with every cluster's `server` replaced. */
export function withServer(kubeconfig: string, server: string): string {
  const doc = YAML.parse(kubeconfig) as { clusters?: { cluster?: { server?: string } }[] };
  for (const c of doc?.clusters ?? []) if (c.cluster) c.cluster.server = server;
  return YAML.stringify(doc);
}

/** The first address of a LoadBalancer Service's or a Gateway's status. */
function firstAddress(addresses: { ip?: string; hostname?: string; value?: string }[] | undefined): string {
  const a = addresses?.[0];
  return a?.ip || a?.hostname || a?.value || "";
}

export function k3kCluster(
  name: string,
  plan: K3kClusterPlan,
  args: K3kInfraArgs,
  opts: { parent: pulumi.Resource; protect?: boolean },
): K3kInfra {
  const child = { parent: opts.parent };
  const hostProvider = new k8s.Provider(
    `${name}-host`,
    {
      kubeconfig: pulumi.secret(args.hostKubeconfig),
      ...(args.hostContext ? { context: args.hostContext } : {}),
      deleteUnreachable: false,
      // A new host kubeconfig (rotated token, another path to the same host) updates the provider instead of
      // replacing it and, with it, every object on the host.
      clusterIdentifier: `ksail-host-${plan.object.metadata.name}`,
    },
    child,
  );
  const onHost = { ...child, provider: hostProvider };
  const wait = args.createTimeoutSeconds ? `${args.createTimeoutSeconds}s` : undefined;
  const timeouts = wait ? { customTimeouts: { create: wait, update: wait } } : {};
  const resources: pulumi.Resource[] = [hostProvider];

  const operator =
    args.installOperator === false
      ? undefined
      : new k8s.helm.v3.Release(
          `${name}-k3k-operator`,
          {
            name: plan.chart.release,
            chart: plan.chart.chart,
            version: plan.chart.version,
            repositoryOpts: { repo: plan.chart.repo },
            namespace: plan.chart.namespace,
            createNamespace: true,
          },
          onHost,
        );
  if (operator) resources.push(operator);

  // A recreate goes through the namespace: it is replaced (deleted first, which deletes the nested cluster with it)
  // when the fields k3k cannot change do. Everything in it takes its name from the namespace's output, unknown in
  // such a preview, so the plugin does not dry-run the new Cluster against the old one, which k3k's CEL rules would
  // refuse ("clusterCIDR is immutable"; the plugin previews a replacement as an apply on the existing object,
  // pulumi/pulumi-kubernetes#3984), and the preview shows the replacement instead of failing.
  const namespace = new k8s.core.v1.Namespace(
    `${name}-namespace`,
    { metadata: { name: plan.namespace, annotations: { [RECREATE_KEY]: args.recreateKey ?? plan.recreateKey } } },
    { ...onHost, protect: opts.protect, replaceOnChanges: [`metadata.annotations["${RECREATE_KEY}"]`], deleteBeforeReplace: true },
  );
  const ns = namespace.metadata.name;
  resources.push(namespace);

  const x = plan.exposure;
  let address: pulumi.Output<string>;
  if (x.kind === "LoadBalancer") {
    const service = new k8s.core.v1.Service(
      `${name}-api`,
      {
        // Wait for the address only: the plugin's own Service readiness also waits for endpoints, i.e. for the
        // server pods, which k3k starts only after the Cluster exists, and the Cluster needs this address first.
        metadata: { name: x.service, namespace: ns, annotations: { "pulumi.com/waitFor": "jsonpath={.status.loadBalancer.ingress}" } },
        spec: {
          type: "LoadBalancer",
          selector: { ...x.selector },
          ports: [{ name: "https", port: x.port, targetPort: 6443, protocol: "TCP" }],
        },
      },
      { ...onHost, dependsOn: [namespace], ...timeouts },
    );
    resources.push(service);
    address = service.status.apply((s) => firstAddress(s?.loadBalancer?.ingress));
  } else {
    const gateway = new k8s.apiextensions.CustomResource(
      `${name}-api-gateway`,
      {
        apiVersion: "gateway.networking.k8s.io/v1",
        kind: "Gateway",
        metadata: {
          name: x.gateway,
          namespace: plan.namespace,
          annotations: { "pulumi.com/waitFor": "jsonpath={.status.addresses[0].value}" },
        },
        spec: { gatewayClassName: x.gatewayClassName, listeners: [{ name: "kube-api", protocol: "TCP", port: x.port }] },
        // Declared (never sent) so the Gateway's status is an output: a CustomResource has outputs only for its argument keys.
        status: undefined,
      },
      { ...onHost, dependsOn: [namespace], ...timeouts },
    );
    const route = new k8s.apiextensions.CustomResource(
      `${name}-api-route`,
      {
        apiVersion: "gateway.networking.k8s.io/v1alpha2",
        kind: "TCPRoute",
        metadata: { name: x.route, namespace: ns },
        spec: {
          parentRefs: [{ name: x.gateway, sectionName: "kube-api" }],
          rules: [{ backendRefs: [{ name: x.backend.service, port: x.backend.port }] }],
        },
      },
      { ...onHost, dependsOn: [gateway] },
    );
    resources.push(gateway, route);
    address = (gateway as unknown as { status: pulumi.Output<any> }).status.apply((s) => firstAddress(s?.addresses));
  }

  const cluster = new k8s.apiextensions.CustomResource(
    `${name}-k3k-cluster`,
    {
      apiVersion: plan.object.apiVersion,
      kind: plan.object.kind,
      metadata: { ...plan.object.metadata, namespace: ns, annotations: { "pulumi.com/waitFor": "jsonpath={.status.phase}=Ready" } },
      spec: { ...plan.object.spec, tlsSANs: address.apply((a) => (a ? [a] : [])) },
    },
    {
      ...onHost,
      dependsOn: [namespace, ...(operator ? [operator] : [])],
      protect: opts.protect,
      ...timeouts,
      // k3k's CRD refuses changes of these (CEL `self == oldSelf`): a new value needs a new Cluster.
      deleteBeforeReplace: true,
    },
  );
  resources.push(cluster);

  // Read once the Cluster is Ready (its outputs are unknown while it is being created, so a first preview reads nothing).
  const secretId = (cluster.metadata as pulumi.Output<{ namespace?: string }>).apply(
    (m) => `${m?.namespace ?? plan.namespace}/${plan.kubeconfigSecret.name}`,
  );
  const secret = k8s.core.v1.Secret.get(`${name}-k3k-kubeconfig`, secretId, { ...onHost, dependsOn: [cluster] });
  const endpoint = pulumi.interpolate`https://${address}:${x.port}`;
  const kubeconfig = pulumi.secret(
    pulumi.all([secret.data, endpoint]).apply(([data, server]) => {
      const raw = data?.[plan.kubeconfigSecret.key];
      if (!raw) throw new Error(`k3k's Secret ${plan.namespace}/${plan.kubeconfigSecret.name} has no ${plan.kubeconfigSecret.key}`);
      return withServer(Buffer.from(raw, "base64").toString("utf8"), server);
    }),
  );
  return { hostProvider, cluster, kubeconfig, endpoint, resources };
}
