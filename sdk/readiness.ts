import * as pulumi from "@pulumi/pulumi";

/**
 * `true` once every resource in `on` is created (a component counts with all its children). The resources
 * travel with the Output: a resource that takes it, or a value derived from it with {@link afterReady}, as an
 * input is registered with a dependency on each of them, so the engine creates it after them.
 */
export function readyOutput(on: readonly pulumi.Resource[]): pulumi.Output<boolean> {
  return pulumi.all(on.map((r) => r.urn)).apply(() => true);
}

/** `value`, resolved only once `ready` is, and carrying its dependencies (secretness is kept). */
export function afterReady<T>(value: pulumi.Input<T>, ready: pulumi.Output<boolean>): pulumi.Output<T> {
  return pulumi.all([value, ready]).apply(([v]) => v as T);
}
