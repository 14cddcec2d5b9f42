import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";

/** Credentials of an external registry (or Git host) a GitOps engine pulls from. */
export interface RegistryCredentials {
  /** Registry host, e.g. `ghcr.io`. */
  readonly server: string;
  readonly username: pulumi.Input<string>;
  /** Kept secret. */
  readonly password: pulumi.Input<string>;
}

/** Secret `<namespace>/sops-age` with key `sops.agekey` (the Age private key, kept secret). */
export function sopsAgeSecret(
  name: string,
  namespace: string,
  key: pulumi.Input<string>,
  opts: pulumi.CustomResourceOptions,
): k8s.core.v1.Secret {
  return new k8s.core.v1.Secret(
    name,
    { metadata: { name: "sops-age", namespace }, type: "Opaque", stringData: { "sops.agekey": pulumi.secret(key) } },
    opts,
  );
}

/** A `kubernetes.io/dockerconfigjson` pull secret for one registry. */
export function dockerConfigSecret(
  name: string,
  secretName: string,
  namespace: string,
  creds: RegistryCredentials,
  opts: pulumi.CustomResourceOptions,
): k8s.core.v1.Secret {
  const json = pulumi.all([creds.username, creds.password]).apply(([u, p]) =>
    JSON.stringify({
      auths: { [creds.server]: { username: u, password: p, auth: Buffer.from(`${u}:${p}`).toString("base64") } },
    }),
  );
  return new k8s.core.v1.Secret(
    name,
    {
      metadata: { name: secretName, namespace },
      type: "kubernetes.io/dockerconfigjson",
      stringData: { ".dockerconfigjson": pulumi.secret(json) },
    },
    opts,
  );
}
