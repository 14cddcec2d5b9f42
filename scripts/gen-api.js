#!/usr/bin/env node
// Generates docs/api.md, the API reference, from the TypeScript declarations and their JSDoc: every export of the
// package root (sdk/index.ts) and of each subpath in package.json "exports", with signatures, argument tables
// (type, @default, description with its impact line) and examples. Same machinery as scripts/gen-schema.js (the
// TypeScript compiler API over the sources); no other dependency.
//
// `node scripts/gen-api.js` rewrites docs/api.md; `--check` exits 1 when the committed file is stale.
// test/unit/api-docs.test.ts runs the same check.
"use strict";
const fs = require("node:fs");
const path = require("node:path");
const ts = require("typescript");

const root = path.resolve(__dirname, "..");
const PKG = require(path.join(root, "package.json"));
const OUT = path.join(root, "docs", "api.md");

/** `[import specifier, source file]` for the root and every subpath export. */
function entries() {
  const out = [[PKG.name, "sdk/index.ts"]];
  const exp = PKG.exports;
  if (exp && typeof exp === "object") {
    for (const [key, target] of Object.entries(exp)) {
      if (key === "." || key === "./package.json" || key.includes("*")) continue;
      const file = typeof target === "string" ? target : (target.types ?? target.require ?? target.default ?? target.import);
      if (typeof file !== "string") continue;
      const src = file.replace(/^\.\/dist\//, "").replace(/\.d\.ts$|\.js$/, ".ts");
      if (fs.existsSync(path.join(root, src))) out.push([`${PKG.name}/${key.replace(/^\.\//, "")}`, src]);
    }
  }
  return out;
}

const FLAGS = ts.TypeFormatFlags.NoTruncation | ts.TypeFormatFlags.UseAliasDefinedOutsideCurrentScope;
const cell = (s) =>
  s
    .replace(/\r?\n\s*/g, " ")
    .replace(/\|/g, "\\|")
    .trim();
const flat = (s) => s.replace(/\s*\r?\n\s*/g, " ").trim();

function generate() {
  const list = entries();
  const program = ts.createProgram(
    list.map(([, f]) => path.join(root, f)),
    { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.CommonJS, strict: true, skipLibCheck: true, noEmit: true },
  );
  const checker = program.getTypeChecker();

  const docText = (sym) => (sym ? ts.displayPartsToString(sym.getDocumentationComment(checker)).trim() : "");
  const tagsOf = (sym) =>
    sym ? sym.getJsDocTags(checker).map((t) => ({ name: t.name, text: ts.displayPartsToString(t.text ?? []).trim() })) : [];
  const firstSentence = (s) => {
    const m = /^([\s\S]*?[.!?])(\s|$)/.exec(flat(s));
    return m ? m[1] : flat(s);
  };
  const typeText = (node, fallback) => (node ? flat(node.getText()) : flat(checker.typeToString(fallback, undefined, FLAGS)));
  /** Source position for readers: `sdk/x.ts`. */
  const where = (decl) => path.relative(root, decl.getSourceFile().fileName).split(path.sep).join("/");

  function examples(tags) {
    return tags
      .filter((t) => t.name === "example")
      .map((t) => (t.text.includes("```") ? t.text : "```ts\n" + t.text + "\n```"))
      .join("\n\n");
  }

  function docBlock(sym, out) {
    const text = docText(sym);
    if (text) out.push(text, "");
    const tags = tagsOf(sym);
    const ex = examples(tags);
    if (ex) out.push(ex, "");
    const dep = tags.find((t) => t.name === "deprecated");
    if (dep) out.push(`**Deprecated.** ${dep.text}`, "");
  }

  /** Property table of an interface / object type (own and inherited members, in declaration order). */
  function propertyTable(type, out) {
    const props = checker.getPropertiesOfType(type);
    if (props.length === 0) return;
    out.push("| Property | Type | Default | Description |", "|---|---|---|---|");
    for (const p of props) {
      const decl = p.valueDeclaration ?? p.declarations?.[0];
      const optional = (p.flags & ts.SymbolFlags.Optional) !== 0;
      const t =
        decl && (ts.isPropertySignature(decl) || ts.isPropertyDeclaration(decl))
          ? typeText(decl.type, checker.getTypeOfSymbol(p))
          : flat(checker.typeToString(checker.getTypeOfSymbol(p), undefined, FLAGS));
      const tags = tagsOf(p);
      const def = tags.find((x) => x.name === "default");
      out.push(
        `| \`${p.getName()}\`${optional ? "" : " (required)"} | \`${cell(t)}\` | ${def ? cell(def.text) : ""} | ${cell(docText(p))} |`,
      );
    }
    out.push("");
  }

  function renderClass(name, sym, decl, out, h) {
    out.push(`${h} class \`${name}\``, "", `Declared in \`${where(decl)}\`.`, "");
    const ctorType = checker.getTypeOfSymbolAtLocation(sym, decl);
    for (const sig of ctorType.getConstructSignatures()) {
      if (sig.declaration && ts.getCombinedModifierFlags(sig.declaration) & ts.ModifierFlags.Private) continue;
      const params = sig.parameters.map((p) => {
        const pd = p.valueDeclaration;
        const opt = pd && (pd.questionToken || pd.initializer) ? "?" : "";
        return `${p.getName()}${opt}: ${pd && pd.type ? flat(pd.type.getText()) : checker.typeToString(checker.getTypeOfSymbol(p))}`;
      });
      out.push("```ts", `new ${name}(${params.join(", ")})`, "```", "");
    }
    docBlock(sym, out);
    const members = decl.members.filter(
      (m) =>
        (ts.isPropertyDeclaration(m) || ts.isGetAccessor(m)) &&
        m.name &&
        ts.isIdentifier(m.name) &&
        !(ts.getCombinedModifierFlags(m) & (ts.ModifierFlags.Private | ts.ModifierFlags.Protected | ts.ModifierFlags.Static)),
    );
    if (members.length > 0) {
      out.push("| Member | Type | Description |", "|---|---|---|");
      for (const m of members) {
        const s = checker.getSymbolAtLocation(m.name);
        out.push(`| \`${m.name.text}\` | \`${cell(typeText(m.type, checker.getTypeAtLocation(m)))}\` | ${cell(docText(s))} |`);
      }
      out.push("");
    }
  }

  function renderFunction(name, sym, decl, out, h) {
    out.push(`${h} \`${name}()\``, "", `Declared in \`${where(decl)}\`.`, "");
    const type = checker.getTypeOfSymbolAtLocation(sym, decl);
    const sigs = type.getCallSignatures().map((s) => `function ${name}${flat(checker.signatureToString(s, undefined, FLAGS))}`);
    if (sigs.length > 0) out.push("```ts", ...sigs, "```", "");
    docBlock(sym, out);
  }

  function renderInterface(name, sym, decl, out, h) {
    out.push(`${h} interface \`${name}\``, "", `Declared in \`${where(decl)}\`.`, "");
    docBlock(sym, out);
    propertyTable(checker.getDeclaredTypeOfSymbol(sym), out);
  }

  function renderTypeAlias(name, sym, decl, out, h) {
    out.push(`${h} type \`${name}\``, "", `Declared in \`${where(decl)}\`.`, "");
    out.push(
      "```ts",
      `type ${name}${decl.typeParameters ? `<${decl.typeParameters.map((p) => p.getText()).join(", ")}>` : ""} = ${flat(decl.type.getText())}`,
      "```",
      "",
    );
    docBlock(sym, out);
    const t = checker.getDeclaredTypeOfSymbol(sym);
    if (ts.isTypeLiteralNode(decl.type)) propertyTable(t, out);
  }

  function renderVariable(name, sym, decl, out, h) {
    out.push(`${h} const \`${name}\``, "", `Declared in \`${where(decl)}\`.`, "");
    const t = decl.type ? flat(decl.type.getText()) : flat(checker.typeToString(checker.getTypeOfSymbolAtLocation(sym, decl)));
    out.push("```ts", `const ${name}: ${t}`, "```", "");
    docBlock(sym, out);
  }

  function renderEnum(name, sym, decl, out, h) {
    out.push(`${h} enum \`${name}\``, "", `Declared in \`${where(decl)}\`.`, "");
    docBlock(sym, out);
    out.push(`Members: ${decl.members.map((m) => `\`${m.name.getText()}\``).join(", ")}`, "");
  }

  const KINDS = [
    ["Classes", (d) => ts.isClassDeclaration(d), renderClass, "class"],
    ["Functions", (d) => ts.isFunctionDeclaration(d), renderFunction, "function"],
    ["Interfaces", (d) => ts.isInterfaceDeclaration(d), renderInterface, "interface"],
    ["Types", (d) => ts.isTypeAliasDeclaration(d), renderTypeAlias, "type"],
    ["Enums", (d) => ts.isEnumDeclaration(d), renderEnum, "enum"],
    ["Constants", (d) => ts.isVariableDeclaration(d), renderVariable, "constant"],
  ];

  function exportsOf(moduleSymbol) {
    return checker
      .getExportsOfModule(moduleSymbol)
      .map((exp) => {
        const target = exp.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exp) : exp;
        return { name: exp.getName(), sym: target, decls: target.declarations ?? [] };
      })
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  const out = [
    "# API reference",
    "",
    `<!-- Generated by scripts/gen-api.js from the TypeScript declarations and their JSDoc (npm run docs); do not edit. -->`,
    "",
    "Every export of the package, from the declarations and their JSDoc. Arguments list their type, their",
    "default and what a change does to a running cluster (the impact line: applied in place, nodes reboot, nodes",
    "are replaced one at a time, or the cluster is recreated; see [impact.md](impact.md) for the spec fields).",
    "",
  ];
  for (const [specifier, file] of list) {
    const sf = program.getSourceFile(path.join(root, file));
    const moduleSymbol = checker.getSymbolAtLocation(sf);
    out.push(`## \`${specifier}\``, "");
    const all = exportsOf(moduleSymbol);
    const namespaces = all.filter((e) => e.decls.some((d) => ts.isSourceFile(d) || ts.isModuleDeclaration(d)));
    for (const [title, is, render] of KINDS) {
      const items = all.filter((e) => e.decls.some(is));
      if (items.length === 0) continue;
      out.push(`### ${title}`, "");
      for (const e of items) {
        const decl = e.decls.find(is);
        render(e.name, e.sym, decl, out, "####");
      }
    }
    for (const ns of namespaces) {
      out.push(`### Namespace \`${ns.name}\``, "", "| Export | Kind | Summary |", "|---|---|---|");
      for (const e of exportsOf(ns.sym)) {
        const kind = KINDS.find(([, is]) => e.decls.some(is));
        out.push(`| \`${e.name}\` | ${kind ? kind[3] : "value"} | ${cell(firstSentence(docText(e.sym)))} |`);
      }
      out.push("");
    }
  }
  return `${out
    .join("\n")
    .replace(/\n{3,}/g, "\n\n")
    .trimEnd()}\n`;
}

module.exports = { generate };

if (require.main === module) {
  const text = generate();
  if (process.argv.includes("--check")) {
    const current = fs.existsSync(OUT) ? fs.readFileSync(OUT, "utf8") : "";
    if (current !== text) {
      console.error("docs/api.md is stale: run `npm run docs` and commit the result");
      process.exit(1);
    }
    console.log("docs/api.md is up to date");
  } else {
    fs.mkdirSync(path.dirname(OUT), { recursive: true });
    fs.writeFileSync(OUT, text);
    console.log(`wrote ${path.relative(process.cwd(), OUT)} (${text.split("\n").length} lines)`);
  }
}
