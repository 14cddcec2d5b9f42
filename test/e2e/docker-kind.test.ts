// L4: a Vanilla cluster from Kind node images (1 control plane + 1 worker) on real Docker through `pulumi up`,
// Ready nodes checked with a kubeconfig derived from the CA passed in, then `pulumi destroy`. Skips with the
// reason when this machine has no Pulumi CLI, no Docker engine, no images or no privileged containers.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { dockerE2eSkipReason, upCluster, waitForReadyNodes } from "../fixtures/docker/e2e";
import { planDockerCluster } from "../../sdk/plan/docker";
import { deriveKubeconfig, generateKubeadmPki, kubeconfigClientCert } from "../../sdk/pki";

const plan = planDockerCluster({
  distribution: "Vanilla",
  clusterName: "ksail-e2e-kind",
  controlPlanes: 1,
  workers: 1,
  mirrors: [],
});
const skip = dockerE2eSkipReason([plan.image]);

test("Kind node images on Docker: up, Ready nodes, destroy", { skip, timeout: 30 * 60_000 }, async () => {
  const pki = await generateKubeadmPki();
  const run = await upCluster(
    plan,
    () => ({ kubeadmPki: pulumi.secret(pki) }),
    (s) => process.stdout.write(s),
  );
  try {
    const kc = await deriveKubeconfig({
      clusterName: plan.clusterName,
      endpoint: run.outputs.apiEndpoint as string,
      caCert: pki.ca.cert,
      caKey: pki.ca.key,
    });
    const c = kubeconfigClientCert(kc.text);
    const ready = await waitForReadyNodes(c.server, { ca: c.caPem, cert: c.certPem, key: c.keyPem }, 2);
    assert.deepEqual(ready, plan.nodes.map((n) => n.name).sort());
  } finally {
    await run.destroy();
  }
});
