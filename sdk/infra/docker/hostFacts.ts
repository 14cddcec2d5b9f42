/**
 * The Docker host's facts for the node containers, read when the program runs: one `GET /info` on the Engine the
 * docker provider talks to (its `docker:host` and `docker:certPath` config, else DOCKER_HOST), mapped by kind's rules
 * (`hostFacts`). A read, so preview does it too and shows the containers as they will be created. Under the mock
 * runtime (`ksail-pulumi plan`, tests) nothing is read: the plan stays offline and the same on every machine.
 */
import * as pulumi from "@pulumi/pulumi";
import { dockerInfo, hostFacts, type DockerEngineOptions, type DockerHostFacts } from "../../clients/dockerEngine";

/** The facts, or undefined (with a warning) when the Engine does not answer: the nodes then get no host-dependent flags. */
export async function readHostFacts(
  opts: Pick<DockerEngineOptions, "host" | "certPath" | "env" | "socketPath">,
  warn: (message: string) => void,
): Promise<DockerHostFacts | undefined> {
  try {
    return hostFacts(await dockerInfo({ ...opts, timeoutMs: 10_000 }));
  } catch (e) {
    warn(
      `could not read the Docker host's facts (GET /info: ${(e as Error).message}); node containers get no host-dependent flags (/dev/mapper, --userns=host, /dev/fuse)`,
    );
    return undefined;
  }
}

/** Where the docker provider's engine is, from its configuration (`docker:host`, `docker:certPath`); empty = DOCKER_HOST. */
export function providerEngine(): { host?: string; certPath?: string } {
  const docker = new pulumi.Config("docker");
  const host = docker.get("host");
  const certPath = docker.get("certPath");
  return { ...(host ? { host } : {}), ...(certPath ? { certPath } : {}) };
}

/** The facts of the docker provider's host for this program run; undefined under the mock runtime. */
export function programHostFacts(parent: pulumi.Resource): pulumi.Output<DockerHostFacts | undefined> | undefined {
  // The mock runtime's monitor (setMocks) marks a run that must stay offline.
  const { MockMonitor } = require("@pulumi/pulumi/runtime/mocks") as typeof import("@pulumi/pulumi/runtime/mocks");
  if (pulumi.runtime.getMonitor() instanceof MockMonitor) return undefined;
  return pulumi.output(readHostFacts(providerEngine(), (m) => pulumi.log.warn(m, parent)));
}
