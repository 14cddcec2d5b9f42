import type { Command } from "commander";
import type { SetExitCode } from "./exitCode";

// The SOPS module (and age-encryption, yaml) load only when a cipher command runs.
const sopsModule = () => require("../../sops") as typeof import("../../sops");

function fail(err: unknown, setExitCode: SetExitCode): void {
  if (err instanceof Error && (err.name === "SopsError" || (err as NodeJS.ErrnoException).code === "ENOENT")) {
    process.stderr.write(`${err.message}\n`);
    setExitCode(1);
    return;
  }
  throw err;
}

/**
 * `ksail-pulumi cipher encrypt|decrypt|edit|import`: SOPS files with age recipients, as KSail's
 * `workload cipher` (encrypt in place, decrypt to stdout or a file, edit through $SOPS_EDITOR/$EDITOR,
 * import an age key into sops's key file). Exit 0 on success, 1 on a user error.
 */
export function registerCipher(program: Command, setExitCode: SetExitCode): void {
  const cipher = program
    .command("cipher")
    .description("Encrypt, decrypt and edit SOPS files with age recipients (reads .sops.yaml creation_rules)");

  cipher
    .command("encrypt")
    .description("Encrypt a YAML file in place with the recipients and rules of the matching .sops.yaml creation rule")
    .argument("<file>")
    .option("--age <recipients>", "comma-separated age recipients (instead of .sops.yaml)")
    .option("--encrypted-regex <regex>", "encrypt only values under keys matching this regex (instead of .sops.yaml)")
    .option("-o, --output <file>", "write here instead of in place ('-' for stdout)")
    .action(async (file: string, opts: { age?: string; encryptedRegex?: string; output?: string }) => {
      try {
        const s = sopsModule();
        let rule: import("../../sops").EncryptOptions;
        if (opts.age) {
          rule = { recipients: opts.age.split(",").map((x) => x.trim()), encryptedRegex: opts.encryptedRegex };
        } else {
          const conf = s.findSopsConfig();
          if (!conf) throw new s.SopsError("no .sops.yaml found from the working directory upwards; pass --age or add one");
          rule = s.creationRuleFor(conf, file);
          if (opts.encryptedRegex) rule = { ...rule, encryptedRegex: opts.encryptedRegex };
        }
        const out = await s.encryptYaml(require("node:fs").readFileSync(file, "utf8"), rule);
        if (opts.output === "-") process.stdout.write(out);
        else require("node:fs").writeFileSync(opts.output ?? file, out, { mode: 0o600 });
        setExitCode(0);
      } catch (e) {
        fail(e, setExitCode);
      }
    });

  cipher
    .command("decrypt")
    .description("Decrypt a SOPS YAML file (stdin when no file) to stdout or --output; the MAC is checked")
    .argument("[file]")
    .option("-o, --output <file>", "write the plaintext here")
    .option("--ignore-mac", "do not check the Message Authentication Code", false)
    .action(async (file: string | undefined, opts: { output?: string; ignoreMac: boolean }) => {
      try {
        const fs = require("node:fs") as typeof import("node:fs");
        const text = file ? fs.readFileSync(file, "utf8") : fs.readFileSync(0, "utf8");
        const out = await sopsModule().decryptYaml(text, { ignoreMac: opts.ignoreMac });
        if (opts.output) fs.writeFileSync(opts.output, out, { mode: 0o600 });
        else process.stdout.write(out);
        setExitCode(0);
      } catch (e) {
        fail(e, setExitCode);
      }
    });

  cipher
    .command("edit")
    .description("Decrypt into a private temporary file, open $SOPS_EDITOR or $EDITOR, re-encrypt (unchanged values keep their ciphertext)")
    .argument("<file>")
    .option("--editor <command>", "editor command (default: $SOPS_EDITOR, $EDITOR, vi)")
    .action(async (file: string, opts: { editor?: string }) => {
      try {
        const fs = require("node:fs") as typeof import("node:fs");
        const os = require("node:os") as typeof import("node:os");
        const path = require("node:path") as typeof import("node:path");
        const s = sopsModule();
        const prev = await s.decryptYamlTree(fs.readFileSync(file, "utf8"));
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ksail-cipher-"));
        const tmp = path.join(dir, path.basename(file));
        try {
          const before = (require("../../sops/yamlStore") as typeof import("../../sops/yamlStore")).emitYaml(prev.docs);
          fs.writeFileSync(tmp, before, { mode: 0o600 });
          const editor = opts.editor ?? process.env.SOPS_EDITOR ?? process.env.EDITOR ?? "vi";
          const r = require("node:child_process").spawnSync("sh", ["-c", `${editor} "$1"`, "sh", tmp], { stdio: "inherit" });
          if (r.status !== 0) throw new s.SopsError(`the editor "${editor}" exited with ${r.status}; the file is unchanged`);
          const after = fs.readFileSync(tmp, "utf8");
          if (after === before) {
            process.stderr.write("no changes\n");
          } else {
            fs.writeFileSync(file, await s.reencryptYaml(after, prev), { mode: 0o600 });
          }
        } finally {
          fs.rmSync(dir, { recursive: true, force: true });
        }
        setExitCode(0);
      } catch (e) {
        fail(e, setExitCode);
      }
    });

  cipher
    .command("import")
    .description("Add an age private key to sops's key file (SOPS_AGE_KEY_FILE, else $XDG_CONFIG_HOME|~/.config/sops/age/keys.txt)")
    .argument("<private-key>", "AGE-SECRET-KEY-1…")
    .action(async (key: string) => {
      try {
        const r = await sopsModule().importAgeKey(key);
        process.stdout.write(r.added ? `imported ${r.recipient} into ${r.file}\n` : `${r.recipient} is already in ${r.file}\n`);
        setExitCode(0);
      } catch (e) {
        fail(e, setExitCode);
      }
    });
}
