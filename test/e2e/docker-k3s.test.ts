// L4: a K3s cluster (1 server + 1 agent) on real Docker through `pulumi up`, Ready nodes checked with a
// kubeconfig derived from the CA passed in, then `pulumi destroy`. Skips with the reason when this machine has
// no Pulumi CLI, no Docker engine, no images or no privileged containers.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { dockerE2eSkipReason, upCluster, waitForReadyNodes } from "../fixtures/docker/e2e";
import { planDockerCluster } from "../../sdk/plan/docker";
import { deriveKubeconfig, generateK3sPki, kubeconfigClientCert } from "../../sdk/pki";

const plan = planDockerCluster({
  distribution: "K3s",
  clusterName: "ksail-e2e-k3s",
  controlPlanes: 1,
  workers: 1,
  mirrors: [],
});
const skip = dockerE2eSkipReason([plan.image]);

test("K3s on Docker: up, Ready nodes, destroy", { skip, timeout: 30 * 60_000 }, async () => {
  const pki = await generateK3sPki();
  const run = await upCluster(
    plan,
    () => ({ k3sPki: pulumi.secret(pki) }),
    (s) => process.stdout.write(s),
  );
  try {
    assert.equal(run.outputs.apiEndpoint, `https://127.0.0.1:${plan.apiHostPort}`);
    const kc = await deriveKubeconfig({
      clusterName: plan.clusterName,
      endpoint: run.outputs.apiEndpoint as string,
      caCert: pki.clientCa.cert,
      caKey: pki.clientCa.key,
      serverCaCert: pki.serverCa.cert,
    });
    const c = kubeconfigClientCert(kc.text);
    const ready = await waitForReadyNodes(c.server, { ca: c.caPem, cert: c.certPem, key: c.keyPem }, 2);
    assert.deepEqual(ready, plan.nodes.map((n) => n.name).sort());
  } finally {
    await run.destroy();
  }
});
