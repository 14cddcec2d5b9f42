/**
 * KSailCluster for Talos on Hetzner, in one direction: network (network, subnet, firewall, placement groups,
 * endpoint addresses) → identity (ClusterSecrets, for those addresses) → machine configs → nodes (servers, resize
 * steps) → machines, ISO detach and bootstrap.
 */
import * as pulumi from "@pulumi/pulumi";
import { KsailError } from "../../errors";
import { ClusterSecrets } from "../../dynamic/clusterSecrets";
import { renderMachineConfigs } from "../../distributions/talos/render";
import { talosRenderInput } from "../../plan/talos";
import { talosMachines } from "../talos";
import type { ClusterInfra, InfraContext } from "../types";
import { HetznerClusterInfra } from "./infra";
import { hetznerNodes } from "./nodes";
import { hetznerToken } from "./token";
import { HcloudCleanup } from "../../dynamic/hcloudCleanup";
import { hcloudComponentSettings } from "../../plan/hetznerComponents";
import { csiVolumeLabels, selectorOf } from "../../plan/hetznerParts";

/** `protect` reaches only the network among the Hetzner resources (servers can still be removed or resized). */
const protectNetwork: pulumi.ResourceTransformation = (a) =>
  a.type === "hcloud:index/network:Network" ? { props: a.props, opts: { ...a.opts, protect: true } } : undefined;

export function hetznerCluster(ctx: InfraContext, options: { hcloudToken?: pulumi.Input<string> }): ClusterInfra {
  const { name, parent, plan, protect } = ctx;
  const hplan = plan.hetzner!;
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

  const infra = new HetznerClusterInfra(
    `${name}-infra`,
    { plan: hplan, recreateTrigger: plan.recreateTrigger, hcloudToken: token, tokenEnvVar: h.tokenEnvVar, deleteProtection: protect },
    { parent, ...(protect ? { transformations: [protectNetwork] } : {}) },
  );
  const secrets = new ClusterSecrets(
    `${name}-secrets`,
    {
      clusterName: plan.clusterName,
      distribution: "Talos",
      endpoints: { kubernetes: infra.apiEndpoint, talos: [infra.talosEndpoint] },
      talosVersion: plan.talos!.version,
    },
    { parent, protect },
  );
  const addresses = pulumi.all(infra.addresses);
  const rendered = pulumi
    .all([secrets.talos, addresses, token ?? pulumi.output(""), secrets.talosContract])
    .apply(([bundle, a, apiToken, contract]) =>
      renderMachineConfigs(talosRenderInput(plan, { secrets: bundle, addresses: a, apiToken, contract })),
    );
  const nodes = hetznerNodes(infra, {
    machineConfigs:
      hplan.image.kind === "snapshot"
        ? Object.fromEntries(plan.nodes.map((n) => [n.name, pulumi.secret(rendered.apply((r) => r.perNode[n.name]))]))
        : undefined,
    talosconfig: pulumi.secret(secrets.talosconfig),
  });
  const talos = plan.talos!;
  const targets = nodes.targets.map((t) => ({ ...t, installImage: talos.image, maintenance: talos.maintenance }));
  const machines = talosMachines(ctx, { targets, rendered, talosconfig: secrets.talosconfig, kubeconfig: secrets.kubeconfig });
  // What the cluster creates outside Pulumi (autoscaled servers, CCM load balancers, CSI volumes) is removed on
  // destroy: after the installers, which wait for this record (so nothing re-creates what it removes), and before
  // the network, which it depends on.
  const cleanup = new HcloudCleanup(
    `${infra.resourceName}-cleanup`,
    {
      clusterName: plan.clusterName,
      networkId: infra.network.id,
      volumeSelector: selectorOf(csiVolumeLabels(plan.clusterName)),
      ownSelector: selectorOf(hplan.labels),
      tokenEnvVar: infra.tokenEnvVar,
    },
    infra.childOptions({ provider: undefined, dependsOn: [infra.network] }),
  );
  const ready = [...machines.ready, cleanup];

  const img = hplan.image;
  const hcloud = hcloudComponentSettings(plan);
  for (const w of hcloud?.warnings ?? []) pulumi.log.warn(w, parent);
  return {
    secrets,
    endpoint: infra.apiEndpoint,
    nodes: nodes.nodes.apply((ns) =>
      ns.map((n) => ({ name: n.name, role: n.role, address: n.publicAddress, privateAddress: n.privateAddress })),
    ),
    rendered,
    ready,
    resources: [infra, ...Object.values(machines.machines), machines.bootstrap],
    install: {
      hcloud,
      hcloudToken: token,
      networkName: infra.networkName,
      ...(plan.components.autoscaler && img.kind === "snapshot"
        ? {
            autoscaler: {
              imageId: nodes.imageId.apply((id) => id ?? (img.id !== undefined ? String(img.id) : img.selector!)),
              // The autoscaler looks a label selector up per architecture (cloudprovider/hetzner findImage).
              ...(img.selector ? { arm64Image: img.selector } : {}),
              workerConfig: pulumi.secret(rendered.apply((r) => r.worker)),
            },
          }
        : {}),
    },
  };
}
