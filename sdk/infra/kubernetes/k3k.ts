/**
 * K3s nested in a host cluster through rancher/k3k, with @pulumi/kubernetes on a provider built from the host
 * kubeconfig: the operator chart (optional: one per host), the cluster's namespace, the API front (a LoadBalancer
 * Service, or a Gateway with a TCPRoute) whose address becomes a TLS SAN, the `k3k.io/v1beta1` Cluster (the
 * provider waits for `status.phase` Ready), and the admin kubeconfig read back from the Secret k3k's controller
 * writes, pointed at the front. Deleting the Cluster and its namespace tears the nested cluster down.
 */
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import type { K3kClusterPlan } from "../../plan/k3k";
import {
  apiFront,
  hostProvider as newHostProvider,
  recreatableNamespace,
  PRIVILEGED_NAMESPACE,
  createTimeouts,
  kubeconfigAtFront,
  type NestedHostArgs,
  type NestedInfra,
} from "./host";

export interface K3kInfraArgs extends NestedHostArgs {
  /** Install the k3k operator chart; false when the host already runs it (one operator per host). @default true */
  readonly installOperator?: boolean;
  /** The namespace's recreate key. @default the plan's (k3k's immutable fields); KSailCluster passes its recreate trigger */
  readonly recreateKey?: string;
}

export interface K3kInfra extends NestedInfra {
  readonly cluster: k8s.apiextensions.CustomResource;
}

export function k3kCluster(
  name: string,
  plan: K3kClusterPlan,
  args: K3kInfraArgs,
  opts: { parent: pulumi.Resource; protect?: boolean },
): K3kInfra {
  const child = { parent: opts.parent };
  const hostProvider = newHostProvider(
    name,
    { hostKubeconfig: args.hostKubeconfig, hostContext: args.hostContext, identity: plan.object.metadata.name },
    opts.parent,
  );
  const onHost = { ...child, provider: hostProvider };
  const timeouts = createTimeouts(args.createTimeoutSeconds);
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

  // A recreate goes through the namespace (./host.ts): replaced when the fields k3k cannot change do, so k3k's CEL
  // rules ("clusterCIDR is immutable") never see the new Cluster applied over the old one.
  // k3k's server and agent pods run privileged (KSail labels the namespace the same way).
  const namespace = recreatableNamespace(
    name,
    plan.namespace,
    args.recreateKey ?? plan.recreateKey,
    { ...onHost, protect: opts.protect },
    PRIVILEGED_NAMESPACE,
  );
  const ns = namespace.metadata.name;
  resources.push(namespace);

  const x = plan.exposure;
  const front = apiFront(name, x, 6443, {
    namespace: { plain: plan.namespace, output: ns, resource: namespace },
    host: args,
    opts: onHost,
    wait: timeouts,
  });
  resources.push(...front.resources);
  const address = front.address;

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
  const { endpoint, kubeconfig } = kubeconfigAtFront(
    secret.data,
    plan.kubeconfigSecret.key,
    `k3k's Secret ${plan.namespace}/${plan.kubeconfigSecret.name}`,
    front,
  );
  return { hostProvider, cluster, kubeconfig, endpoint, resources };
}
