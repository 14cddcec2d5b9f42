/**
 * WorkloadArtifact provider logic (loaded by the trampoline in workloadArtifact.ts; never serialized).
 *
 * Create and update pack the source directory again, check that the content is what the program read (the
 * digest the preview showed), and push layer, config and manifest; the output `digest` is the manifest digest
 * the registry now serves under the tag. Refresh resolves the tag: if it points elsewhere (someone pushed) or is
 * gone (a new registry), `digest` records that and the next `up` pushes again. Delete leaves the registry
 * alone. Credentials arrive as inputs on every call and are never kept anywhere but the (secret) state.
 */
import * as path from "node:path";
import { OciClient, OciRegistryError } from "../clients/oci/client";
import { TransportError } from "../clients/oci/http";
import { artifactSource, buildArtifact, pushArtifact } from "../workload/artifact";
import { containsUnknown } from "../impact/unknown";

export interface WorkloadArtifactProps {
  registry: string;
  repository: string;
  tag: string;
  sourceDirectory: string;
  source: string;
  contentDigest: string;
  empty: boolean;
  username?: string;
  password?: string;
  scheme?: "http" | "https";
  insecureSkipVerify?: boolean;
  timeoutMs?: number;
  /** Outputs. */
  digest?: string;
  pushedDigest?: string;
  files?: string[];
}

/** Inputs whose change pushes again (the directory's path is not one: the same content elsewhere is the same artifact). */
const PUSH_KEYS = ["contentDigest", "empty", "source", "username", "password", "scheme", "insecureSkipVerify"] as const;
/** Inputs that name another artifact: a new one is pushed and the old one left as it is. */
const TARGET_KEYS = ["registry", "repository", "tag"] as const;

const TAG = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;
const REPOSITORY = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/;

function where(p: WorkloadArtifactProps): string {
  return `${p.registry}/${p.repository}:${p.tag}`;
}

function client(p: WorkloadArtifactProps): OciClient {
  return new OciClient({
    registry: p.registry,
    username: p.username,
    password: p.password,
    scheme: p.scheme,
    insecureSkipVerify: p.insecureSkipVerify,
    timeoutMs: p.timeoutMs,
  });
}

/** A registry or network failure as a message that says what was attempted and what to check. */
function explain(err: unknown, action: string, p: WorkloadArtifactProps): Error {
  if (err instanceof OciRegistryError) {
    const hint =
      err.status === 401 || err.status === 403
        ? " Check the registry credentials (spec.cluster.localRegistry.registry `user:pass@host`, or the registryCredentials argument)."
        : "";
    return new Error(`${action} ${where(p)} failed: ${err.message}.${hint}`);
  }
  if (err instanceof TransportError) {
    const hint = p.registry.startsWith("localhost:")
      ? " The cluster's local registry runs on the Docker host; is it up (`docker ps`), and is the Docker host this machine?"
      : " Is the registry reachable from the machine running Pulumi?";
    return new Error(`${action} ${where(p)} failed: ${err.message}.${hint}`);
  }
  return err instanceof Error ? err : new Error(String(err));
}

async function push(p: WorkloadArtifactProps): Promise<WorkloadArtifactProps> {
  const src = artifactSource(p.sourceDirectory, { emptyWhenMissing: p.empty });
  const built = await buildArtifact(
    src.files,
    { repository: p.repository, tag: p.tag, registryEndpoint: p.registry, source: p.source },
    { empty: src.empty },
  );
  if (built.contentDigest !== p.contentDigest || src.empty !== p.empty) {
    throw new Error(
      `the manifests in ${p.sourceDirectory} changed after the program read them (content ${p.contentDigest}, now ${built.contentDigest}); ` +
        "nothing was pushed: run `pulumi up` again to push what the preview shows",
    );
  }
  let digest: string;
  try {
    digest = await pushArtifact(client(p), built, p.repository, p.tag);
  } catch (err) {
    throw explain(err, "pushing the workload artifact to", p);
  }
  return { ...p, digest, pushedDigest: digest, files: [...built.files] };
}

export const handler = {
  async check(_olds: WorkloadArtifactProps, news: WorkloadArtifactProps) {
    const failures: { property: string; reason: string }[] = [];
    const known = (v: unknown): v is string => typeof v === "string" && !containsUnknown(v);
    if (known(news.tag) && !TAG.test(news.tag))
      failures.push({
        property: "tag",
        reason: `"${news.tag}" is not an OCI tag (letters, digits, '_', '.', '-'; at most 128; not starting with '.' or '-')`,
      });
    if (known(news.repository) && !REPOSITORY.test(news.repository))
      failures.push({
        property: "repository",
        reason: `"${news.repository}" is not an OCI repository name (lower-case path components of letters and digits, separated by '.', '_', '__' or '-')`,
      });
    if (known(news.registry) && !/^[A-Za-z0-9.\-[\]:]+$/.test(news.registry))
      failures.push({ property: "registry", reason: `"${news.registry}" must be host[:port] (no scheme, no path)` });
    if (known(news.sourceDirectory) && !path.isAbsolute(news.sourceDirectory))
      failures.push({ property: "sourceDirectory", reason: "must be an absolute path (the program resolves it)" });
    return { inputs: news, failures };
  },

  async diff(_id: string, olds: WorkloadArtifactProps, news: WorkloadArtifactProps) {
    const replaces = TARGET_KEYS.filter((k) => olds[k] !== news[k]);
    const changed = PUSH_KEYS.filter((k) => (olds[k] ?? null) !== (news[k] ?? null));
    // Refresh found the tag elsewhere (or gone): push again.
    const drifted = olds.digest !== olds.pushedDigest;
    return {
      changes: replaces.length > 0 || changed.length > 0 || drifted,
      replaces: [...replaces],
      deleteBeforeReplace: false,
    };
  },

  async create(inputs: WorkloadArtifactProps) {
    const outs = await push(inputs);
    return { id: where(inputs), outs };
  },

  async update(_id: string, _olds: WorkloadArtifactProps, news: WorkloadArtifactProps) {
    return { outs: await push(news) };
  },

  async read(id: string, props: WorkloadArtifactProps) {
    let digest: string;
    try {
      digest = (await client(props).resolveManifest(props.repository, props.tag))?.digest ?? "";
    } catch (err) {
      throw explain(err, "reading the workload artifact", props);
    }
    return { id, props: { ...props, digest } };
  },

  async delete() {
    // The tag stays: registries often refuse deletes, the tag history is the deployment history, and the
    // cluster's local registry goes with the cluster.
  },
};
