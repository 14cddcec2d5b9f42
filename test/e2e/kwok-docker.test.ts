// L4: KWOK on real Docker through `pulumi up` of KSailCluster — kwokctl's network and five containers from the
// registry.k8s.io images, the identity from ClusterSecrets, the simulated node — then the node read Ready with the
// kubeconfig KSailCluster hands out, and `pulumi destroy`. What test/peers/kwok-real.test.ts cannot show: the images'
// entrypoints and the containers reaching each other by name on the network. Skips with the reason when this
// machine has no Pulumi CLI, no Docker engine or cannot pull the images (the docker and kubernetes plugins are
// installed at the SDKs' versions).
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as path from "node:path";
import { dockerE2eSkipReason, upProgram, waitForReadyNodes } from "../fixtures/docker/e2e";
import { KSailCluster } from "../../sdk/cluster";
import { loadClusterConfig } from "../../sdk/config/load";
import { planKwokCluster } from "../../sdk/plan/kwok";
import { kubeconfigClientCert } from "../../sdk/pki";
import { repoRoot } from "../harness/paths";

const config = loadClusterConfig(path.join(repoRoot(), "test/fixtures/kwok-project/ksail.yaml"));
const images = Object.values(planKwokCluster({ clusterName: "ksail-e2e-kwok" }).images);
const skip = dockerE2eSkipReason(images);

test("KWOK on Docker: up, the simulated node Ready, destroy", { skip, timeout: 20 * 60_000 }, async () => {
  const log = (s: string) => process.stdout.write(s);
  const run = await upProgram(
    "ksail-e2e-kwok",
    async () => {
      const c = new KSailCluster("ksail-e2e-kwok", { ...config, name: "ksail-e2e-kwok" });
      return { kubeconfig: c.kubeconfig, endpoint: c.endpoint, nodes: c.nodes };
    },
    log,
    ["docker", "kubernetes"],
  );
  try {
    assert.equal(run.outputs.kubeconfig.secret, true);
    const c = kubeconfigClientCert(run.outputs.kubeconfig.value as string);
    const ready = await waitForReadyNodes(c.server, { ca: c.caPem, cert: c.certPem, key: c.keyPem, servername: c.serverName }, 1);
    assert.deepEqual(ready, ["node-000000"]);
  } finally {
    await run.destroy();
  }
});
