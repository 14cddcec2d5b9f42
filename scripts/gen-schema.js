#!/usr/bin/env node
// Generates schema.json, the Pulumi package schema of `ksail` (for `pulumi package add`), from the TypeScript
// declarations themselves: the component classes exported by sdk/index.ts and sdk/components/index.ts, their
// constructor's args interface (inputs) and their public readonly members (outputs). `ksail.yaml`'s `spec` is a
// zod-inferred type, read the same way; its descriptions come from ksail.schema.json (also generated from the
// zod model), so the three views never disagree.
//
// `node scripts/gen-schema.js` rewrites schema.json; `--check` exits 1 when the committed file is stale.
// test/unit/schema.test.ts runs the same check.
//
// Mapping (what Pulumi's own analyzer in @pulumi/pulumi/provider/experimental does, minus its refusals):
//   pulumi.Input<T> → T with plain:false; every other property is plain:true (it decides the shape);
//   string-literal unions → enum types (`ksail:index:<AliasName>` or `<Owner><Prop>`); interfaces and object
//   literal types → object types; Record<string, T> → object + additionalProperties; arrays → items;
//   unknown/any/mixed unions → pulumi.json#/Any; Kubernetes provider/Release members → $refs into the
//   kubernetes package schema. Secret outputs (kubeconfig, talosconfig) are marked secret by name, as the
//   analyzer does not see pulumi.secret.
"use strict";
const fs = require("node:fs");
const path = require("node:path");
const ts = require("typescript");

const root = path.resolve(__dirname, "..");
const K8S_VERSION = require(path.join(root, "node_modules", "@pulumi", "kubernetes", "package.json")).version;
const PKG = require(path.join(root, "package.json"));
const ANY = { $ref: "pulumi.json#/Any" };
const SECRET_OUTPUTS = new Set(["kubeconfig", "talosconfig"]);
/** Component classes and where they are exported from. */
const ENTRIES = ["sdk/index.ts", "sdk/components/index.ts"];

// Type names Pulumi's schema binder (pkg/codegen/schema) refuses in the root module: `provider` is reserved for
// the package's provider resource (checked by test/peers/schema-codegen.test.ts with that binder).
const RESERVED_INDEX_NAMES = { provider: "InfrastructureProvider" };
const typeName = (n) => RESERVED_INDEX_NAMES[n.toLowerCase()] ?? n;
const pascal = (s) => s.replace(/(^|[^A-Za-z0-9])([A-Za-z0-9])/g, (_, _a, c) => c.toUpperCase());

function docOf(symbol, checker) {
  if (!symbol) return undefined;
  const text = ts.displayPartsToString(symbol.getDocumentationComment(checker)).trim();
  const tags = symbol
    .getJsDocTags(checker)
    .filter((t) => ["default", "example"].includes(t.name))
    .map((t) => `@${t.name} ${ts.displayPartsToString(t.text ?? []).trim()}`);
  const all = [text, ...tags].filter((x) => x !== "").join("\n");
  return all === "" ? undefined : all;
}

/** Type node of a property declaration, unwrapping `pulumi.Input<T>`: { node, input }. */
function unwrapInput(node) {
  if (node && ts.isTypeReferenceNode(node) && /(^|\.)Input$/.test(node.typeName.getText()) && node.typeArguments?.length === 1) {
    return { node: node.typeArguments[0], input: true };
  }
  return { node, input: false };
}

function generate() {
  const program = ts.createProgram(
    ENTRIES.map((e) => path.join(root, e)),
    {
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.CommonJS,
      strict: true,
      esModuleInterop: false,
      skipLibCheck: true,
      noEmit: true,
    },
  );
  const checker = program.getTypeChecker();
  const types = {};
  const enums = new Map();
  const ksailSchema = JSON.parse(fs.readFileSync(path.join(root, "ksail.schema.json"), "utf8"));

  /** JSON Schema node of a property under a ksail.schema.json node (for descriptions). */
  const jsonChild = (js, key) => (js && js.properties && js.properties[key]) || undefined;

  function withoutUndefined(type) {
    if (!type.isUnion()) return type;
    const rest = type.types.filter((t) => !(t.flags & (ts.TypeFlags.Undefined | ts.TypeFlags.Null | ts.TypeFlags.Void)));
    if (rest.length === type.types.length) return type;
    if (rest.length === 1) return rest[0];
    // boolean = true | false
    if (rest.every((t) => t.flags & ts.TypeFlags.BooleanLiteral)) return checker.getBooleanType();
    return { ...type, types: rest, isUnion: () => true, aliasSymbol: type.aliasSymbol, flags: type.flags, __rest: rest };
  }

  /** Schema property for a type. `name` names anonymous object/enum types; `js` is the ksail.schema.json node. */
  function mapType(type, name, js, depth = 0, key = undefined) {
    if (depth > 12) return { ...ANY };
    type = withoutUndefined(type);
    const members = type.__rest ?? (type.isUnion && type.isUnion() ? type.types : undefined);
    const f = type.flags ?? 0;
    if (f & (ts.TypeFlags.Any | ts.TypeFlags.Unknown)) return { ...ANY };
    if (f & ts.TypeFlags.StringLike && !(f & ts.TypeFlags.StringLiteral)) return { type: "string" };
    if (f & ts.TypeFlags.StringLiteral) return { type: "string", const: type.value };
    if (f & ts.TypeFlags.NumberLike) return { type: "number" };
    if (f & ts.TypeFlags.BooleanLike) return { type: "boolean" };
    if (members) {
      const lits = members.filter((t) => t.flags & ts.TypeFlags.StringLiteral);
      // Toggles also accept YAML booleans (true → Enabled): the schema offers the named values.
      const bools = members.filter((t) => t.flags & ts.TypeFlags.BooleanLiteral);
      if (lits.length > 0 && lits.length + bools.length === members.length) {
        const values = lits.map((t) => t.value).sort();
        // One enum type per value set: the first name that meets it (an alias name, else the property path).
        const known = enums.get(values.join("\u0000"));
        if (known) return { $ref: `#/types/ksail:index:${known}` };
        const alias = type.aliasSymbol && !/^(Input|Partial)$/.test(type.aliasSymbol.name) ? type.aliasSymbol.name : undefined;
        const short = values.join() === "Default,Disabled,Enabled" ? "Toggle" : values.join() === "Disabled,Enabled" ? "Switch" : key;
        const enumName = alias ? typeName(alias) : short && !types[`ksail:index:${typeName(short)}`] ? typeName(short) : name;
        enums.set(values.join("\u0000"), enumName);
        types[`ksail:index:${enumName}`] ??= {
          type: "string",
          enum: values.map((v) => ({ name: pascal(v) || "Empty", value: v })),
        };
        return { $ref: `#/types/ksail:index:${enumName}` };
      }
      if (members.every((t) => t.flags & ts.TypeFlags.BooleanLiteral)) return { type: "boolean" };
      return { ...ANY };
    }
    if (checker.isArrayType(type) || checker.isTupleType(type)) {
      const el = checker.getTypeArguments(type)[0];
      return { type: "array", items: el ? mapType(el, `${name}Item`, js?.items ?? js?.prefixItems?.[0], depth + 1) : { ...ANY } };
    }
    const sym = type.getSymbol();
    const symName = sym?.getName();
    if (symName === "Provider" && /kubernetes/.test(sym.declarations?.[0]?.getSourceFile().fileName ?? "")) {
      return { $ref: `/kubernetes/v${K8S_VERSION}/schema.json#/provider` };
    }
    if (symName === "Release" && /kubernetes/.test(sym.declarations?.[0]?.getSourceFile().fileName ?? "")) {
      return { $ref: `/kubernetes/v${K8S_VERSION}/schema.json#/resources/kubernetes:helm.sh%2Fv3:Release` };
    }
    if (symName === "Promise" || symName === "OutputInstance" || symName === "Output") {
      const inner = checker.getTypeArguments(type)[0];
      return inner ? mapType(inner, name, js, depth + 1) : { ...ANY };
    }
    if (f & ts.TypeFlags.Object) {
      const props = checker.getPropertiesOfType(type);
      const index = checker.getIndexInfoOfType(type, ts.IndexKind.String);
      if (props.length === 0) {
        return {
          type: "object",
          additionalProperties: index ? mapType(index.type, `${name}Value`, js?.additionalProperties, depth + 1) : { ...ANY },
        };
      }
      if (props.some((p) => p.valueDeclaration && (ts.isMethodDeclaration(p.valueDeclaration) || ts.isMethodSignature(p.valueDeclaration))))
        return { ...ANY };
      const declared = type.aliasSymbol?.name ?? (symName && !symName.startsWith("__") ? symName : undefined);
      const typeName = declared && !/^(Partial|Readonly|Record|Required|Pick|Omit)$/.test(declared) ? declared : name;
      const token = `ksail:index:${typeName}`;
      if (!types[token]) {
        types[token] = { type: "object" }; // reserve (recursion)
        const { properties, required } = objectProperties(props, typeName, js, depth + 1);
        types[token] = {
          type: "object",
          ...(js?.description ? { description: js.description } : {}),
          properties,
          ...(required.length > 0 ? { required } : {}),
        };
      }
      return { $ref: `#/types/${token}` };
    }
    return { ...ANY };
  }

  /** Properties of an object/interface type; `owner` prefixes names of anonymous nested types. */
  function objectProperties(props, owner, js, depth, special = {}) {
    const properties = {};
    const required = [];
    for (const p of props) {
      const key = p.getName();
      const decl = p.valueDeclaration ?? p.declarations?.[0];
      const { node, input } = unwrapInput(decl && (ts.isPropertySignature(decl) || ts.isPropertyDeclaration(decl)) ? decl.type : undefined);
      const t = node ? checker.getTypeFromTypeNode(node) : checker.getTypeOfSymbol(p);
      const child = jsonChild(js, key);
      const prop = special[key] ? special[key]() : mapType(t, `${owner}${pascal(key)}`, child, depth, pascal(key));
      const description = docOf(p, checker) ?? child?.description;
      const out = { ...prop, ...(description ? { description } : {}) };
      if (!input && !out.$ref?.startsWith("/")) out.plain = true;
      properties[key] = out;
      if (!(p.flags & ts.SymbolFlags.Optional)) required.push(key);
    }
    return { properties, required };
  }

  const resources = {};
  const seen = new Set();
  for (const entry of ENTRIES) {
    const sf = program.getSourceFile(path.join(root, entry));
    const moduleSymbol = checker.getSymbolAtLocation(sf);
    for (const exp of checker.getExportsOfModule(moduleSymbol)) {
      const target = exp.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exp) : exp;
      const decl = target.valueDeclaration;
      if (!decl || !ts.isClassDeclaration(decl) || seen.has(target)) continue;
      const heritage = decl.heritageClauses?.flatMap((h) => h.types.map((x) => x.expression.getText())) ?? [];
      if (!heritage.some((h) => /ComponentResource$/.test(h))) continue;
      seen.add(target);
      const ctor = decl.members.find((m) => ts.isConstructorDeclaration(m));
      const superCall = ctor?.body?.statements
        .map((s) =>
          ts.isExpressionStatement(s) && ts.isCallExpression(s.expression) && s.expression.expression.kind === ts.SyntaxKind.SuperKeyword
            ? s.expression
            : undefined,
        )
        .find(Boolean);
      const tokenArg = superCall?.arguments[0];
      if (!tokenArg || !ts.isStringLiteral(tokenArg))
        throw new Error(`${target.name}: super() must name its type token as a string literal`);
      const token = tokenArg.text;
      const argsParam = ctor.parameters[1];
      const argsType = checker.getTypeFromTypeNode(argsParam.type);
      const isCluster = target.name === "KSailCluster";
      // The spec of ksail.yaml: typed from the zod-inferred type, described by ksail.schema.json.
      const special = isCluster
        ? {
            spec: () =>
              mapType(checker.getTypeOfSymbol(checker.getPropertyOfType(argsType, "spec")), "Spec", ksailSchema.properties.spec, 0),
          }
        : {};
      const inputs = objectProperties(checker.getPropertiesOfType(argsType), target.name, undefined, 0, special);
      const outputs = {};
      const requiredOut = [];
      for (const m of decl.members) {
        if (!ts.isPropertyDeclaration(m) || !m.name || !ts.isIdentifier(m.name)) continue;
        const mods = ts.getCombinedModifierFlags(m);
        if (mods & (ts.ModifierFlags.Private | ts.ModifierFlags.Protected | ts.ModifierFlags.Static)) continue;
        const key = m.name.text;
        const typeText = m.type ? m.type.getText() : "";
        // `pulumi.Output<T>` is an intersection type; read T from the declaration.
        const outNode =
          m.type && ts.isTypeReferenceNode(m.type) && /(^|\.)Output$/.test(m.type.typeName.getText())
            ? m.type.typeArguments?.[0]
            : undefined;
        const t = outNode ? checker.getTypeFromTypeNode(outNode) : checker.getTypeAtLocation(m);
        if (key === "plan") continue; // the pure plan object (TypeScript only)
        if (!/Output<|Provider|Release/.test(typeText)) continue;
        const prop = mapType(t, `${target.name}${pascal(key)}`, undefined, 0);
        const description = docOf(checker.getSymbolAtLocation(m.name), checker);
        outputs[key] = { ...prop, ...(description ? { description } : {}), ...(SECRET_OUTPUTS.has(key) ? { secret: true } : {}) };
        if (!m.questionToken && !/undefined/.test(typeText)) requiredOut.push(key);
      }
      resources[token] = {
        isComponent: true,
        ...(docOf(target, checker) ? { description: docOf(target, checker) } : {}),
        inputProperties: inputs.properties,
        ...(inputs.required.length > 0 ? { requiredInputs: inputs.required } : {}),
        properties: outputs,
        ...(requiredOut.length > 0 ? { required: requiredOut } : {}),
      };
    }
  }
  const sortKeys = (o) =>
    Object.fromEntries(
      Object.keys(o)
        .sort()
        .map((k) => [k, o[k]]),
    );
  return {
    name: "ksail",
    displayName: "KSail",
    version: PKG.version,
    description: PKG.description,
    homepage: "https://github.com/devantler-tech/ksail",
    license: PKG.license,
    keywords: ["pulumi", "kubernetes", "talos", "kind", "k3s", "ksail", "kind/component", "category/cloud"],
    meta: { moduleFormat: "(.*)" },
    language: {
      nodejs: {
        packageName: PKG.name,
        dependencies: {
          "@pulumi/pulumi": PKG.dependencies["@pulumi/pulumi"],
          "@pulumi/kubernetes": PKG.dependencies["@pulumi/kubernetes"],
        },
      },
    },
    dependencies: [{ name: "kubernetes", version: K8S_VERSION }],
    resources: sortKeys(resources),
    types: sortKeys(types),
  };
}

function render() {
  return `${JSON.stringify(generate(), null, 2)}\n`;
}

module.exports = { generate, render };

if (require.main === module) {
  const file = path.join(root, "schema.json");
  const text = render();
  if (process.argv.includes("--check")) {
    const current = fs.existsSync(file) ? fs.readFileSync(file, "utf8") : "";
    if (current !== text) {
      console.error("schema.json is stale: run `node scripts/gen-schema.js` and commit the result");
      process.exit(1);
    }
    console.log("schema.json is up to date");
  } else {
    fs.writeFileSync(file, text);
    console.log(
      `wrote ${path.relative(process.cwd(), file)}: ${Object.keys(JSON.parse(text).resources).length} components, ${Object.keys(JSON.parse(text).types).length} types`,
    );
  }
}
