import * as path from "node:path";
import type * as pulumi from "@pulumi/pulumi";

/**
 * Thin, serializable dynamic providers.
 *
 * Pulumi serializes a dynamic provider's code into state, and `delete`/refresh later run the code stored
 * at the last create/update. So the serialized object holds no logic: each method is a one-line
 * dispatcher that `require`s the implementation module of the installed package and calls it. Only two
 * strings are captured (the module specifier and the export name), so the serialized text stays well
 * under a few KiB and never contains a credential.
 *
 * The specifier is the package path (`@ksail/pulumi/dist/...`) when the package is installed under
 * `node_modules` (resolved from the Pulumi project directory, the dynamic-provider host's cwd), and an
 * absolute path without extension when running from a source checkout (tests, examples in this
 * repository), so the same provider loads from dist/ and from .ts sources under tsx.
 */
export function implSpecifier(absFile: string): string {
  const norm = absFile.split(path.sep).join("/");
  const marker = "/node_modules/@ksail/pulumi/";
  const at = norm.lastIndexOf(marker);
  if (at >= 0) return `@ksail/pulumi/${norm.slice(at + marker.length)}`;
  // Source checkout: drop the extension so that `require` finds dist/…/x.impl.js when running compiled
  // and src …/x.impl.ts when the host runs under tsx (a literal `.js` path does not exist there).
  return absFile.replace(/\.(js|ts)$/, "");
}

/** Methods a provider implementation module can export (under one export name). */
export type ProviderMethod = "configure" | "check" | "diff" | "create" | "read" | "update" | "delete";

/**
 * Build the shared provider object for one resource type. `absImplFile` is the compiled implementation
 * module (use `require.resolve("./x.impl")` or `path.join(__dirname, "x.impl.js")`); `exportName` the
 * object exported there with the methods; `methods` which methods to expose (omit `diff` to let the
 * engine diff inputs itself; omit `update` for replace-only resources).
 */
export function trampoline(absImplFile: string, exportName: string, methods: readonly ProviderMethod[]): pulumi.dynamic.ResourceProvider {
  const spec = implSpecifier(absImplFile);
  const name = exportName;
  const p: Record<string, unknown> = {};
  // Each method is written out so that the serialized text is plain and minimal.
  if (methods.includes("configure")) p.configure = async (req: unknown) => require(spec)[name].configure(req);
  if (methods.includes("check")) p.check = async (olds: unknown, news: unknown) => require(spec)[name].check(olds, news);
  if (methods.includes("diff")) p.diff = async (id: unknown, olds: unknown, news: unknown) => require(spec)[name].diff(id, olds, news);
  p.create = async (inputs: unknown) => require(spec)[name].create(inputs);
  if (methods.includes("read")) p.read = async (id: unknown, props: unknown) => require(spec)[name].read(id, props);
  if (methods.includes("update"))
    p.update = async (id: unknown, olds: unknown, news: unknown) => require(spec)[name].update(id, olds, news);
  if (methods.includes("delete")) p.delete = async (id: unknown, props: unknown) => require(spec)[name].delete(id, props);
  return p as unknown as pulumi.dynamic.ResourceProvider;
}
