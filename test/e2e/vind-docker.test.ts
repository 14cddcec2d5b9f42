// L4: VCluster on real Docker (vCluster's Docker driver) through `pulumi up` of KSailCluster — the network, the
// binaries staged from vCluster's images, the systemd control-plane container, the standalone installer it downloads
// from GitHub, one worker from vcluster.yaml joined with the token — then the nodes read Ready with the kubeconfig
// KSailCluster hands out, and `pulumi destroy`. What test/peers/vind-engine-real.test.ts cannot show with stand-in
// images: vm-container's systemd, install-standalone.sh, the join script and the kubelets. Skips with the reason when
// this machine has no Pulumi CLI, no Docker engine or cannot pull the images (it also needs github.com).
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { dockerE2eSkipReason, upProgram, waitForReadyNodes } from "../fixtures/docker/e2e";
import { KSailCluster } from "../../sdk/cluster";
import { parseSpec } from "../../sdk/config/parse";
import { planCluster } from "../../sdk/plan/cluster";
import { kubeconfigClientCert } from "../../sdk/pki";

const values = { experimental: { docker: { nodes: [{ name: "worker-1" }] } } };
const plan = planCluster({
  name: "ksail-e2e-vind",
  spec: parseSpec({ cluster: { distribution: "VCluster", provider: "Docker" } }).spec,
  vclusterValues: values,
});
const skip = dockerE2eSkipReason([
  plan.vind!.binaries.kubernetesImage,
  plan.vind!.binaries.vclusterImage,
  plan.vind!.controlPlane.spec.image,
]);

test("VCluster on Docker: up, the control plane and the worker Ready, destroy", { skip, timeout: 30 * 60_000 }, async () => {
  const log = (s: string) => process.stdout.write(s);
  const run = await upProgram(
    "ksail-e2e-vind",
    async () => {
      const c = new KSailCluster("ksail-e2e-vind", {
        spec: { cluster: { distribution: "VCluster", provider: "Docker" } },
        name: "ksail-e2e-vind",
        vclusterValues: values,
      });
      return { kubeconfig: c.kubeconfig, endpoint: c.endpoint };
    },
    log,
    ["docker", "kubernetes"],
  );
  try {
    assert.equal(run.outputs.kubeconfig.secret, true);
    const c = kubeconfigClientCert(run.outputs.kubeconfig.value as string);
    const ready = await waitForReadyNodes(c.server, { ca: c.caPem, cert: c.certPem, key: c.keyPem, servername: c.serverName }, 2);
    assert.deepEqual(ready.sort(), ["ksail-e2e-vind", "worker-1"]);
  } finally {
    await run.destroy();
  }
});
