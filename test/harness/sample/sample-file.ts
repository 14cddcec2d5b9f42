/**
 * Sample dynamic resource used to prove the harness (test/engine/harness.test.ts) and the trampoline
 * pattern of sdk/dynamic/trampoline.ts. It manages one real file on disk, so a test can see that the
 * dynamic-provider host really ran create/update/delete. Copy its shape for real resources: the thin
 * class here, the logic in the sibling `sample-file.impl.ts`. Not part of the SDK.
 */
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { trampoline } from "../../../sdk/dynamic/trampoline";

export interface SampleFileArgs {
  /** Absolute path of the file. Changing it replaces the resource (delete first: same slot). */
  path: pulumi.Input<string>;
  /** "text" or "json" (json content is validated in check). Changing it replaces the resource. */
  kind: pulumi.Input<string>;
  /** File content. Applied in place. */
  content: pulumi.Input<string>;
  /** A credential: only its SHA-256 is written and output; kept secret in state. */
  token?: pulumi.Input<string>;
  /**
   * Test switch: write the file, then report a partial failure (an error carrying the id), as a real
   * resource does when it exists but did not become healthy. The engine keeps it with init errors.
   */
  failAfterWrite?: pulumi.Input<boolean>;
}

/** One provider object shared by every SampleFile (serialized once, a few hundred bytes). */
const provider = trampoline(path.join(__dirname, "sample-file.impl.js"), "handler", [
  "configure",
  "check",
  "diff",
  "read",
  "update",
  "delete",
]);

export class SampleFile extends pulumi.dynamic.Resource {
  declare readonly path: pulumi.Output<string>;
  declare readonly kind: pulumi.Output<string>;
  declare readonly content: pulumi.Output<string>;
  /** SHA-256 of what was written. */
  declare readonly sha256: pulumi.Output<string>;
  /** 1 after create, +1 on every update. */
  declare readonly generation: pulumi.Output<number>;
  declare readonly tokenSha256: pulumi.Output<string | undefined>;

  constructor(name: string, args: SampleFileArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      provider,
      name,
      {
        ...args,
        token: args.token === undefined ? undefined : pulumi.secret(args.token),
        sha256: undefined,
        generation: undefined,
        tokenSha256: undefined,
      },
      { ...opts, additionalSecretOutputs: ["tokenSha256"] },
      "ksail",
      "SampleFile",
    );
  }
}
