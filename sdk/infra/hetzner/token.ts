import * as pulumi from "@pulumi/pulumi";

/**
 * The Hetzner Cloud API token as a secret Output, from the `hcloud:token` stack config (set it with
 * `pulumi config set --secret hcloud:token ...`), else the environment variable `tokenEnvVar`
 * (`spec.provider.hetzner.tokenEnvVar`, default `HCLOUD_TOKEN`). Undefined when neither is set.
 * Read once, in the program; dynamic providers never receive it (they read the same sources at run time).
 */
export function hetznerToken(tokenEnvVar = "HCLOUD_TOKEN"): pulumi.Output<string> | undefined {
  const fromConfig = new pulumi.Config("hcloud").getSecret("token");
  if (fromConfig !== undefined) return fromConfig;
  const fromEnv = process.env[tokenEnvVar || "HCLOUD_TOKEN"] ?? process.env.HCLOUD_TOKEN;
  return fromEnv ? pulumi.secret(fromEnv) : undefined;
}
