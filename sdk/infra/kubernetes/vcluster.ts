/**
 * A vCluster nested in a host cluster through its Helm chart, with @pulumi/kubernetes on a provider built from the
 * host kubeconfig: the namespace (carrying the recreate key), the API front — a LoadBalancer Service, or a Gateway
 * with a TCPRoute — whose address goes in as `controlPlane.proxy.extraSANs` (loft-sh/vcluster pkg/server/cert/cert.go
 * puts those in the certificate), the release, and the admin
 * kubeconfig from the Secret vCluster writes (`vc-<name>`, key `config`), pointed at the front. Deleting the
 * namespace tears the nested cluster down.
 *
 * vCluster writes that Secret from a background loop after its control plane serves (pkg/setup/controllers.go,
 * StartControllers, retried every 10 s), so a ready release does not mean the Secret exists yet. The Secret is
 * therefore created here, empty, next to the release, and waits (`pulumi.com/waitFor`) until vCluster has patched its
 * kubeconfig into it: vCluster creates the Secret or patches an existing one (pkg/util/kubeconfig/kubeconfig.go,
 * controllerutil.CreateOrPatch), and this program's server-side apply owns only the labels it sets.
 */
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import type { VClusterPlan } from "../../plan/vcluster";
import {
  apiFront,
  hostProvider as newHostProvider,
  recreatableNamespace,
  createTimeouts,
  kubeconfigAtFront,
  type NestedHostArgs,
  type NestedInfra,
} from "./host";

export interface VClusterInfraArgs extends NestedHostArgs {
  /** The namespace's recreate key; KSailCluster passes its recreate trigger. */
  readonly recreateKey: string;
  /**
   * Where the chart comes from. @default the pinned chart from charts.loft.sh; tests pass a local copy of the same
   * chart (a directory) because they run without the internet.
   */
  readonly chartPath?: string;
  /** Wait for the release's objects to be ready (Helm's wait). @default true; false only where nothing runs pods. */
  readonly awaitRelease?: boolean;
}

export interface VClusterInfra extends NestedInfra {
  readonly release: k8s.helm.v3.Release;
}

export function vclusterCluster(
  name: string,
  plan: VClusterPlan,
  args: VClusterInfraArgs,
  opts: { parent: pulumi.Resource; protect?: boolean },
): VClusterInfra {
  const hostProvider = newHostProvider(
    name,
    { hostKubeconfig: args.hostKubeconfig, hostContext: args.hostContext, identity: plan.release },
    opts.parent,
  );
  const onHost = { parent: opts.parent, provider: hostProvider };
  const timeouts = createTimeouts(args.createTimeoutSeconds);
  const namespace = recreatableNamespace(name, plan.namespace, args.recreateKey, { ...onHost, protect: opts.protect });
  const ns = namespace.metadata.name;
  const resources: pulumi.Resource[] = [hostProvider, namespace];

  const x = plan.exposure;
  const front = apiFront(name, x, 8443, {
    namespace: { plain: plan.namespace, output: ns, resource: namespace },
    host: args,
    opts: onHost,
    wait: timeouts,
  });
  resources.push(...front.resources);
  const address = front.address;
  const values = address.apply((a) => withExtraSans(plan.values, a ? [a] : []));
  const release = new k8s.helm.v3.Release(
    `${name}-vcluster`,
    {
      name: plan.release,
      namespace: ns,
      ...(args.chartPath
        ? { chart: args.chartPath }
        : { chart: plan.chart.chart, version: plan.chart.version, repositoryOpts: { repo: plan.chart.repo } }),
      values,
      ...(args.awaitRelease === false ? { skipAwait: true } : {}),
      // Helm's wait: the control plane's image pull and start; the plugin's default (300 s) is short for a cold host.
      timeout: args.createTimeoutSeconds ?? 600,
    },
    { ...onHost, dependsOn: [namespace, ...resources.slice(2)], protect: opts.protect },
  );
  resources.push(release);

  const secret = new k8s.core.v1.Secret(
    `${name}-vcluster-kubeconfig`,
    {
      metadata: {
        name: plan.kubeconfigSecret.name,
        namespace: ns,
        // The labels vCluster gives the Secret when it creates it.
        labels: { app: "vcluster", "vcluster-name": plan.release },
        annotations: { "pulumi.com/waitFor": `jsonpath={.data.${plan.kubeconfigSecret.key}}` },
      },
      type: "Opaque",
    },
    { ...onHost, dependsOn: [namespace], ...timeouts },
  );
  resources.push(secret);

  const { endpoint, kubeconfig } = kubeconfigAtFront(
    secret.data,
    plan.kubeconfigSecret.key,
    `vCluster's Secret ${plan.namespace}/${plan.kubeconfigSecret.name}`,
    front,
  );
  return { hostProvider, release, kubeconfig, endpoint, resources };
}

/** The values with the API front's address added to `controlPlane.proxy.extraSANs` (after any the project lists). */
export function withExtraSans(values: Record<string, unknown>, sans: readonly string[]): Record<string, unknown> {
  if (sans.length === 0) return values;
  const cp = (values.controlPlane ?? {}) as Record<string, unknown>;
  const proxy = (cp.proxy ?? {}) as Record<string, unknown>;
  const listed = Array.isArray(proxy.extraSANs) ? (proxy.extraSANs as string[]) : [];
  return { ...values, controlPlane: { ...cp, proxy: { ...proxy, extraSANs: [...new Set([...listed, ...sans])] } } };
}
