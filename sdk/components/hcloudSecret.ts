import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";

/**
 * Secret `kube-system/hcloud` (`token`, `network`) read by the hcloud CCM, the CSI driver and the
 * cluster-autoscaler. Created once per cluster; the token is wrapped as a secret.
 */
export function hcloudSecret(
  name: string,
  args: { token: pulumi.Input<string>; network?: pulumi.Input<string> },
  opts: pulumi.CustomResourceOptions,
): k8s.core.v1.Secret {
  const stringData: Record<string, pulumi.Input<string>> = { token: pulumi.secret(args.token) };
  if (args.network !== undefined) stringData.network = args.network;
  return new k8s.core.v1.Secret(name, { metadata: { name: "hcloud", namespace: "kube-system" }, type: "Opaque", stringData }, opts);
}
