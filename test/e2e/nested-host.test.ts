// L4: K3s (k3k), a vCluster, KWOK, Vanilla and Talos (Docker-in-Docker) nested in a REAL host cluster through `pulumi up` of the real Pulumi CLI and the real
// Kubernetes plugin, their nodes read with the kubeconfig KSailCluster hands out, then `pulumi destroy`. It needs what
// this machine does not have: a host cluster (`KSAIL_E2E_HOST_KUBECONFIG`, a kubeconfig file with a client
// certificate or token for it; kind or k3s will do) and the internet (the charts come from rancher.github.io/k3k and
// charts.loft.sh; Vanilla's and Talos's docker provider plugin and node images). Without them it skips with the reason. The API front is a NodePort Service (most test hosts have no
// load balancer); `KSAIL_E2E_HOST_EXPOSURE=LoadBalancer` switches it.
//
// This is what the real-engine tier (test/realEngine/k3k-cluster, vcluster-cluster) cannot show: the nested control
// plane starting, writing its kubeconfig, and serving at the front's address with that address in its certificate.
import { describe, test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as https from "node:https";
import { KSailCluster } from "../../sdk/cluster";
import { kubeconfigClientCert } from "../../sdk/pki";
import { RealStack, skipRealKubernetesPlugin } from "../realEngine/harness";

const hostFile = process.env.KSAIL_E2E_HOST_KUBECONFIG;
const skip =
  skipRealKubernetesPlugin ||
  (!hostFile
    ? "no host cluster: set KSAIL_E2E_HOST_KUBECONFIG to a kubeconfig file of a cluster this test may create namespaces in (kind or k3s will do)"
    : !fs.existsSync(hostFile)
      ? `KSAIL_E2E_HOST_KUBECONFIG=${hostFile} does not exist`
      : false);
const exposure = process.env.KSAIL_E2E_HOST_EXPOSURE === "LoadBalancer" ? "LoadBalancer" : "NodePort";

/** GET /api/v1/nodes with the nested cluster's kubeconfig until it answers with at least one node. */
async function nodesOf(kubeconfig: string, timeoutMs = 10 * 60_000): Promise<string[]> {
  const c = kubeconfigClientCert(kubeconfig);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const names = await new Promise<string[] | undefined>((resolve) => {
      const req = https.request(
        new URL("/api/v1/nodes", c.server),
        { ca: c.caPem, cert: c.certPem, key: c.keyPem, servername: c.serverName, timeout: 10_000 },
        (res) => {
          let text = "";
          res.on("data", (d: Buffer) => (text += d.toString("utf8")));
          res.on("end", () => {
            try {
              resolve(
                res.statusCode === 200
                  ? (JSON.parse(text).items as { metadata: { name: string } }[]).map((n) => n.metadata.name)
                  : undefined,
              );
            } catch {
              resolve(undefined);
            }
          });
        },
      );
      req.on("error", () => resolve(undefined));
      req.on("timeout", () => req.destroy());
      req.end();
    });
    if (names && names.length > 0) return names;
    if (Date.now() > deadline) throw new Error(`the nested API server at ${c.server} listed no nodes within ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 5_000));
  }
}

for (const distribution of ["K3s", "VCluster", "KWOK", "Vanilla", "Talos"] as const) {
  describe(`${distribution} on a real host cluster (L4)`, { skip }, () => {
    test(
      "up: the nested cluster serves at its front with the kubeconfig KSailCluster hands out; destroy leaves nothing",
      { timeout: 40 * 60_000 },
      async () => {
        const name = `ksail-e2e-${distribution.toLowerCase()}`;
        const stack = await RealStack.create(
          `e2e-${distribution.toLowerCase()}`,
          async () => {
            const cluster = new KSailCluster(name, {
              spec: {
                cluster: { distribution, provider: "Kubernetes", ...(distribution === "K3s" ? { workers: 1 } : {}) },
                provider: { kubernetes: {} },
              },
              hostKubeconfig: fs.readFileSync(hostFile as string, "utf8"),
              hostExposure: exposure,
            });
            return { kubeconfig: cluster.kubeconfig, endpoint: cluster.endpoint };
          },
          // Vanilla's Docker layer needs the docker provider plugin, which the engine downloads where it can.
          {
            plugins: ["kubernetes"],
            ...(distribution === "Vanilla" || distribution === "Talos"
              ? { env: { PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "false" } }
              : {}),
          },
        );
        try {
          await stack.up();
          const outputs = await stack.stack.outputs();
          assert.equal(outputs.kubeconfig.secret, true);
          const nodes = await nodesOf(outputs.kubeconfig.value as string);
          assert.ok(nodes.length >= 1, `nodes: ${nodes.join(", ")}`);
        } finally {
          await stack.destroy();
          stack.dispose();
        }
      },
    );
  });
}
