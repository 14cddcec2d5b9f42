/** KSailCluster for Talos on Hetzner: network, firewall, endpoint and servers, identity, machines and bootstrap. */
import * as pulumi from "@pulumi/pulumi";
import { KsailError } from "../../errors";
import { ClusterSecrets } from "../../dynamic/clusterSecrets";
import { HetznerClusterInfra } from "./infra";
import { hetznerToken } from "./token";
import { renderMachineConfigs } from "../../distributions/talos/render";
import { required, talosBootstrap, type ClusterInfra, type InfraContext } from "../parts";

/** `protect` reaches only the network among the Hetzner resources (servers can still be removed or resized). */
const protectNetwork: pulumi.ResourceTransformation = (a) =>
  a.type === "hcloud:index/network:Network" ? { props: a.props, opts: { ...a.opts, protect: true } } : undefined;

/** `host:50000` (IPv6 in brackets). */
const apid = (address: string) => (address.includes(":") ? `[${address}]:50000` : `${address}:50000`);

export function hetznerCluster(ctx: InfraContext, options: { hcloudToken?: pulumi.Input<string> }): ClusterInfra {
  const { name, parent, plan, protect } = ctx;
  const hplan = plan.hetzner!;
  const talos = plan.talos!;
  const h = plan.effective.provider.hetzner;
  const token = options.hcloudToken !== undefined ? pulumi.secret(options.hcloudToken) : hetznerToken(h.tokenEnvVar);
  if (token === undefined && hplan.endpoint.mode === "floating-ip") {
    throw new KsailError([
      {
        path: "spec.provider.hetzner.floatingIPEnabled",
        message: `is true: the control planes move the floating IP through the Hetzner API, so they need the token; set it with "pulumi config set --secret hcloud:token ..." or export ${h.tokenEnvVar || "HCLOUD_TOKEN"}`,
      },
    ]);
  }
  const snapshot = hplan.image.kind === "snapshot";
  // The servers boot with configs that need the identity, and the identity's kubeconfig needs the endpoint
  // address the infrastructure creates first: the configs (snapshot route) and the talosconfig of the health
  // gates are handed in as deferred outputs, resolved once ClusterSecrets exists.
  const [configs, setConfigs] = pulumi.deferredOutput<Record<string, string>>();
  const [talosconfig, setTalosconfig] = pulumi.deferredOutput<string>();
  const infra = new HetznerClusterInfra(
    `${name}-infra`,
    {
      plan: hplan,
      recreateTrigger: plan.recreateTrigger,
      machineConfigs: snapshot
        ? Object.fromEntries(plan.nodes.map((n) => [n.name, pulumi.secret(configs.apply((c) => c[n.name]))]))
        : undefined,
      hcloudToken: token,
      tokenEnvVar: h.tokenEnvVar,
      health: { talosconfig: pulumi.secret(talosconfig) },
    },
    { parent, ...(protect ? { transformations: [protectNetwork] } : {}) },
  );
  const secrets = new ClusterSecrets(
    `${name}-secrets`,
    { clusterName: plan.clusterName, distribution: "Talos", endpoints: { kubernetes: infra.apiEndpoint, talos: [infra.talosEndpoint] } },
    { parent, protect },
  );
  setTalosconfig(secrets.talosconfig.apply((t) => t ?? ""));
  const rendered = pulumi
    .all([secrets.talos, infra.apiEndpoint, infra.certSANs, infra.vip, token ?? pulumi.output("")])
    .apply(([bundle, endpoint, certSANs, vip, apiToken]) =>
      renderMachineConfigs({
        ...talos.render,
        endpoint,
        certSANs,
        secrets: required(bundle, "Talos secrets bundle", plan.clusterName),
        hetzner: { ...(vip ? { vip, apiToken } : {}), privateNetworkCidr: hplan.network.cidr, firewall: infra.talosFirewall },
      }),
    );
  if (snapshot) setConfigs(rendered.apply((r) => ({ ...r.perNode })));

  const { machines, bootstrap } = talosBootstrap(ctx, {
    rendered,
    talosconfig: secrets.talosconfig,
    node: (nodeName) => {
      const n = plan.nodes.find((x) => x.name === nodeName)!;
      const server = infra.servers[nodeName];
      // This server's own address only, so each machine waits for its server and no other.
      return pulumi.all([server.ipv4Address, server.ipv6Address]).apply(([v4, v6]) => ({
        name: n.name,
        role: n.role === "control-plane" ? ("controlplane" as const) : ("worker" as const),
        platform: "hcloud" as const,
        endpoint: apid(v4 || v6 || ""),
      }));
    },
    after: (nodeName) => [infra.servers[nodeName]],
    platformExtras: { installImage: talos.image, maintenance: talos.maintenance },
    // ISO route: each node's ISO is detached (and the node rebooted into its disk) after its config was applied.
    bootstrapAfter: (ms) => {
      const detached = infra.detachIsos(ms);
      const first = plan.nodes[0].name;
      return detached[first] ? [detached[first]] : [ms[first]];
    },
  });
  const img = hplan.image;
  return {
    secrets,
    endpoint: infra.apiEndpoint,
    nodes: infra.nodes.apply((ns) =>
      ns.map((n) => ({ name: n.name, role: n.role, address: n.publicAddress, privateAddress: n.privateAddress })),
    ),
    rendered,
    ready: [bootstrap, ...Object.values(machines)],
    install: {
      hcloudToken: token,
      networkName: infra.networkName,
      ...(plan.components.autoscaler && img.kind === "snapshot"
        ? {
            autoscaler: {
              imageId: infra.imageId.apply((id) => id ?? (img.id !== undefined ? String(img.id) : img.selector!)),
              workerConfig: pulumi.secret(rendered.apply((r) => r.worker)),
            },
          }
        : {}),
    },
  };
}
