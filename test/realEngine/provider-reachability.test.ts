// L3E with real peers: the rule the installers' provider gate rests on, shown with the real Pulumi CLI, the real
// Kubernetes plugin and a real kube-apiserver v1.36.3 that starts only after the update has begun — as a new
// cluster's API server does. The plugin probes the cluster when a provider is configured and, finding it unreachable,
// fails every create that follows (pulumi/pulumi-kubernetes provider/pkg/provider/provider.go: `clusterUnreachable`
// set in Configure, checked in Create). A provider is configured as soon as its inputs are known, so a provider that
// only depends on the kubeconfig fails; one that depends on a ClusterReadiness gate on the API server (what
// KSailCluster's `<name>-k8s` and the KWOK nested providers do) is configured after the server answers, and works.
import { after, describe, test } from "node:test";
import * as assert from "node:assert/strict";
import * as k8s from "@pulumi/kubernetes";
import { ClusterReadiness } from "../../sdk/dynamic/clusterReadiness";
import { deriveKubeconfig, issueCa } from "../../sdk/pki";
import { skipRealKubeApiServer, startRealKubeApiServer, type RealKubeApiServer } from "../peers/kubeApiserver";
import { freePort } from "../peers/kwokRun";
import { RealStack, skipRealKubernetesPlugin } from "./harness";

describe(
  "the Kubernetes plugin and an API server that is not up yet (L3E)",
  { skip: skipRealKubernetesPlugin || skipRealKubeApiServer },
  () => {
    const servers: RealKubeApiServer[] = [];
    const stacks: RealStack[] = [];
    after(async () => {
      for (const s of stacks) s.dispose();
      for (const s of servers) await s.stop();
    });

    /** `pulumi up` of a ConfigMap on a provider for a server that starts 8 s into the update. */
    async function upWithLateServer(gated: boolean): Promise<{ error?: string; server: RealKubeApiServer | undefined }> {
      const ca = await issueCa({ subject: { commonName: "kubernetes" }, algorithm: "ecdsa-p256", template: "kubernetes" });
      const port = await freePort();
      const kubeconfig = (
        await deriveKubeconfig({ clusterName: "late", endpoint: `https://127.0.0.1:${port}`, caCert: ca.cert, caKey: ca.key })
      ).text;
      const stack = await RealStack.create(
        gated ? "l3e-late-gated" : "l3e-late",
        async () => {
          const gate = gated
            ? new ClusterReadiness("late-api-ready", {
                kubeconfig,
                distribution: "K3s",
                provider: "Docker",
                checkNodes: false,
                checkDaemonSets: false,
                pollIntervalSeconds: 0.5,
                timeouts: { apiServerSeconds: 120, requestSeconds: 5 },
              })
            : undefined;
          const provider = new k8s.Provider("late", { kubeconfig, clusterIdentifier: "late" }, gate ? { dependsOn: [gate] } : {});
          new k8s.core.v1.ConfigMap("probe", { metadata: { name: "probe", namespace: "default" }, data: { a: "b" } }, { provider });
          return {};
        },
        { plugins: ["kubernetes"] },
      );
      stacks.push(stack);
      let server: RealKubeApiServer | undefined;
      const starting = new Promise<void>((resolve) =>
        setTimeout(async () => {
          server = await startRealKubeApiServer({ ca, apiPort: port });
          servers.push(server);
          resolve();
        }, 8000),
      );
      let error: string | undefined;
      try {
        await stack.up();
      } catch (e) {
        error = String((e as Error).message);
      }
      await starting;
      return { error, server };
    }

    test("a provider configured before the server answers: the create fails, the cluster marked unreachable", async () => {
      const { error, server } = await upWithLateServer(false);
      assert.match(error ?? "", /configured Kubernetes cluster is unreachable/);
      assert.equal((await server!.request("GET", "/api/v1/namespaces/default/configmaps/probe")).status, 404);
    });

    test("a provider that waits for the API gate: configured once the server answers, the create succeeds", async () => {
      const { error, server } = await upWithLateServer(true);
      assert.equal(error, undefined, error);
      const cm = JSON.parse((await server!.request("GET", "/api/v1/namespaces/default/configmaps/probe")).body);
      assert.deepEqual(cm.data, { a: "b" });
    });
  },
);
