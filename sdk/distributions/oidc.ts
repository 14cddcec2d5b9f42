/**
 * `spec.cluster.oidc` as kube-apiserver arguments, the same for every distribution: kubeadm's
 * `ClusterConfiguration.apiServer.extraArgs` (Kind), `--kube-apiserver-arg=<name>=<value>` (K3s) and Talos's
 * `cluster.apiServer.extraArgs` all take the flag names without the leading dashes. The flags are the
 * kube-apiserver `--oidc-*` options; the structured AuthenticationConfiguration would need a file on every
 * control plane and is not used. `extraScopes` is for the client (the kubeconfig's login plugin), not the server.
 * Pure.
 */
import { KsailError } from "../errors";

/** The OIDC fields the API server takes (a subset of `spec.cluster.oidc`). */
export interface OidcSettings {
  readonly issuerURL: string;
  readonly clientID: string;
  readonly usernameClaim: string;
  readonly usernamePrefix: string;
  readonly groupsClaim: string;
  readonly groupsPrefix: string;
  readonly caFile: string;
}

/**
 * kube-apiserver arguments (name → value, no dashes) for an OIDC issuer; empty when `issuerURL` is empty (OIDC
 * off). Empty claim and prefix fields are left out, so the API server's own defaults apply.
 *
 * `caFile` is refused: `--oidc-ca-file` is a path on the control-plane node, which these clusters do not mount
 * from the host; an issuer with a publicly trusted certificate needs none.
 */
export function oidcApiServerArgs(o: OidcSettings | undefined): Record<string, string> {
  if (!o || o.issuerURL === "") return {};
  if (o.caFile !== "") {
    throw new KsailError([
      {
        path: "spec.cluster.oidc.caFile",
        message: `is "${o.caFile}", but a CA file is not applied to the API server (it needs the file inside every control-plane node); use an issuer whose certificate is publicly trusted, or remove caFile`,
      },
    ]);
  }
  const args: Record<string, string> = { "oidc-issuer-url": o.issuerURL, "oidc-client-id": o.clientID };
  const optional: [string, string][] = [
    ["oidc-username-claim", o.usernameClaim],
    ["oidc-username-prefix", o.usernamePrefix],
    ["oidc-groups-claim", o.groupsClaim],
    ["oidc-groups-prefix", o.groupsPrefix],
  ];
  for (const [k, v] of optional) if (v !== "") args[k] = v;
  return args;
}
