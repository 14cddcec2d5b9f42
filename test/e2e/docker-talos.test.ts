// L4: a Talos cluster (1 control plane + 1 worker) on real Docker through `pulumi up`: the nodes boot from
// USERDATA rendered by the Talos renderer, the test bootstraps etcd over the Talos API (what TalosBootstrap
// does in the full component), waits for Ready nodes with a derived kubeconfig, then `pulumi destroy`. Skips
// with the reason when this machine has no Pulumi CLI, no Docker engine, no images or no privileged containers.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { dockerE2eSkipReason, upCluster, waitForReadyNodes } from "../fixtures/docker/e2e";
import { planDockerCluster, talosRegistryInputs } from "../../sdk/plan/docker";
import { deriveKubeconfig, deriveTalosconfig, generateTalosBundle, kubeconfigClientCert } from "../../sdk/pki";
import { renderMachineConfigs } from "../../sdk/distributions/talos/render";
import { TalosClient } from "../../sdk/clients/talos";

const plan = planDockerCluster({
  distribution: "Talos",
  clusterName: "ksail-e2e-talos",
  controlPlanes: 1,
  workers: 1,
  mirrors: [],
});
const skip = dockerE2eSkipReason([plan.image]);

test("Talos on Docker: up, bootstrap, Ready nodes, destroy", { skip, timeout: 30 * 60_000 }, async () => {
  const secrets = await generateTalosBundle();
  const first = plan.nodes[0];
  const rendered = renderMachineConfigs({
    clusterName: plan.clusterName,
    endpoint: `https://${first.ip}:6443`,
    talosVersion: plan.image.split(":").pop(),
    secrets,
    platform: "docker",
    workers: 1,
    ...talosRegistryInputs(plan),
    nodes: plan.nodes.map((n) => ({
      hostname: n.name,
      role: n.role === "control-plane" ? "controlplane" : "worker",
    })),
  });
  const run = await upCluster(
    plan,
    () => ({
      talosMachineConfigs: Object.fromEntries(plan.nodes.map((n) => [n.name, pulumi.secret(rendered.perNode[n.name])])),
    }),
    (s) => process.stdout.write(s),
  );
  try {
    const tc = await deriveTalosconfig({
      contextName: plan.clusterName,
      endpoints: [run.outputs.talosEndpoint as string],
      osCa: secrets.certs.os,
    });
    const client = new TalosClient({ talosconfig: tc.text, timeoutMs: 60_000 });
    await client.bootstrap();
    const kc = await deriveKubeconfig({
      clusterName: plan.clusterName,
      endpoint: run.outputs.apiEndpoint as string,
      caCert: secrets.certs.k8s.cert,
      caKey: secrets.certs.k8s.key,
    });
    const c = kubeconfigClientCert(kc.text);
    const ready = await waitForReadyNodes(c.server, { ca: c.caPem, cert: c.certPem, key: c.keyPem }, 2);
    assert.deepEqual(ready, plan.nodes.map((n) => n.name).sort());
  } finally {
    await run.destroy();
  }
});
