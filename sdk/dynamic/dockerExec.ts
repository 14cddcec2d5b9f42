import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { trampoline } from "./trampoline";

/** How the step reaches the Docker engine: the docker provider's `docker:host` (and cert path), or mutual TLS in memory. */
export interface DockerExecEngine {
  /** `unix://…` or `tcp://host:port`; empty = DOCKER_HOST, else the local socket. */
  readonly host?: string;
  /** Directory with ca.pem, cert.pem, key.pem (the docker provider's `docker:certPath`). */
  readonly certPath?: string;
}

export interface DockerExecArgs {
  /** The container the script runs in (`bash -c`). Replaces this resource: the step runs again. */
  container: pulumi.Input<string>;
  /** The script. Replaces this resource: the step runs again. */
  script: pulumi.Input<string>;
  /** Where the engine is. Applied in place. @default DOCKER_HOST, else the local socket */
  engine?: pulumi.Input<DockerExecEngine>;
  /**
   * Generate a secret token of this many letters at create (vCluster's join token: `random.String(64)`, lowercase
   * letters), passed to the script as `KSAIL_TOKEN` and kept as the secret output `token`. Only used on create.
   * @default none
   */
  generateToken?: number;
  /**
   * A token given instead (a worker's join): passed as `KSAIL_TOKEN`. Wrapped as a secret. Replaces this resource: the
   * step runs again.
   * @default none
   */
  token?: pulumi.Input<string>;
  /** Keep the script's standard output as the secret output `stdout` (e.g. a kubeconfig it prints). Only used on create. @default false */
  keepStdout?: boolean;
  /**
   * Run the script until it succeeds, this many times in all, `retryDelaySeconds` apart (KSail retries vCluster's
   * create 5 times, 5 s apart, for the D-Bus start-up race). Applied in place. @default 1
   */
  attempts?: number;
  /** Seconds between attempts. Applied in place. @default 5 */
  retryDelaySeconds?: number;
  /** Longest wait for one run, seconds. Applied in place. @default 600 */
  timeoutSeconds?: number;
}

const provider = trampoline(path.join(__dirname, "dockerExec.impl"), "handler", ["check", "diff", "create", "read", "update", "delete"]);

/**
 * A step run once inside a container through the Docker Engine's exec API (no docker CLI): an installer, a join, a
 * read of a file the container wrote. It runs at create (and again when the container or the script changes);
 * `pulumi refresh` and `destroy` do not run anything (the container goes with its own resource). The script's exit
 * code decides success; on failure the error ends with the last lines of its output.
 */
export class DockerExec extends pulumi.dynamic.Resource {
  /** The generated token (`generateToken`), secret. */
  declare readonly token: pulumi.Output<string | undefined>;
  /** The script's standard output (`keepStdout`), secret. */
  declare readonly stdout: pulumi.Output<string | undefined>;

  constructor(name: string, args: DockerExecArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      provider,
      name,
      {
        ...args,
        token: args.token === undefined ? undefined : pulumi.secret(args.token),
        stdout: undefined,
      },
      { ...opts, additionalSecretOutputs: ["token", "stdout"] },
      "ksail",
      "DockerExec",
    );
  }
}
